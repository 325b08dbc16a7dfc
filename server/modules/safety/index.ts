import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { ENROLMENT_COLLECTIONS, enrolmentModels } from '../enrolment/enrolment.model';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { AttendanceService } from './attendance.service';
import type { ProcessPort } from './engine-port';
import { IncidentService } from './incidents.service';
import { SAFETY_COLLECTIONS, safetyModels } from './safety.model';
import { createSafetyRouter } from './safety.router';

export { INCIDENT_PROCESS } from './incidents.service';
export { processPort, type ProcessPort } from './engine-port';
export type { AttendanceService } from './attendance.service';

/**
 * Creates the safety slice (attendance and hand-over, incidents) with its collections and its
 * /api/safety router. `stepDeadline` overrides the incident process's `incidentStepDeadline`
 * (ISO duration, default `PT4H` in the diagram).
 */
export async function createSafety(deps: {
  db: Database;
  engine: ProcessPort;
  requireSession: RequestHandler;
  stepDeadline?: string;
}): Promise<{ router: Router; attendance: AttendanceService; incidents: IncidentService }> {
  await deps.db.ensureCollections([
    ...Object.values(SAFETY_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
    ...Object.values(ENROLMENT_COLLECTIONS),
  ]);
  const m = safetyModels(deps.db.connection);
  const org = orgModels(deps.db.connection);
  const attendance = new AttendanceService(m, org, enrolmentModels(deps.db.connection).plans);
  const incidents = new IncidentService(m, org, attendance, deps.engine, {
    ...(deps.stepDeadline ? { stepDeadline: deps.stepDeadline } : {}),
  });
  return {
    router: createSafetyRouter(attendance, incidents, deps.requireSession),
    attendance,
    incidents,
  };
}
