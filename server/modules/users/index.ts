import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { AuditLog } from '../audit';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { createMembershipsRouter } from './memberships.router';
import { MembershipService } from './memberships.service';
import { USER_COLLECTIONS, userModels } from './users.model';
import type { UserService } from './users.service';

export { GRANTS, MembershipService } from './memberships.service';

/** Creates the staff administration slice and its /api/users router. */
export async function createMemberships(deps: {
  db: Database;
  users: UserService;
  audit?: AuditLog;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: MembershipService }> {
  await deps.db.ensureCollections([
    ...Object.values(USER_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const service = new MembershipService(
    deps.users,
    userModels(deps.db.connection),
    orgModels(deps.db.connection),
    deps.audit,
  );
  return { router: createMembershipsRouter(service, deps.requireSession), service };
}
