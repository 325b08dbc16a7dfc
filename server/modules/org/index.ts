import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { ORG_COLLECTIONS } from './org.model';
import { createOrgRouter } from './org.router';
import { OrgService } from './org.service';

/** Creates the organisation module (ensuring its collections) and its /api/org router. */
export async function createOrg(deps: {
  db: Database;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: OrgService }> {
  await deps.db.ensureCollections(Object.values(ORG_COLLECTIONS));
  const service = new OrgService(deps.db);
  return { router: createOrgRouter(service, deps.requireSession), service };
}
