import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { ENROLMENT_COLLECTIONS, enrolmentModels } from './enrolment.model';
import { createEnrolmentRouter } from './enrolment.router';
import { EnrolmentService, type EnrolmentEnginePort } from './enrolment.service';

export { ENROLMENT_PROCESS, PLACE_AVAILABLE_MESSAGE, WITHDRAWN_MESSAGE } from './enrolment.service';
export type { EnrolmentEnginePort } from './enrolment.service';

/** Creates the enrolment slice (ensuring its collections) and its /api/enrolment router. */
export async function createEnrolment(deps: {
  db: Database;
  engine: EnrolmentEnginePort;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: EnrolmentService }> {
  await deps.db.ensureCollections([
    ...Object.values(ENROLMENT_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const org = orgModels(deps.db.connection);
  const service = new EnrolmentService(enrolmentModels(deps.db.connection), org, deps.engine);
  return { router: createEnrolmentRouter(service, deps.requireSession), service };
}
