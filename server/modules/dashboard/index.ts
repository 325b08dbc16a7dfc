import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { BILLING_COLLECTIONS, billingModels } from '../billing/billing.model';
import { ENROLMENT_COLLECTIONS, enrolmentModels } from '../enrolment/enrolment.model';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { SAFETY_COLLECTIONS, safetyModels } from '../safety/safety.model';
import { STAFF_COLLECTIONS, staffModels } from '../staff/staff.model';
import { USER_COLLECTIONS, userModels } from '../users/users.model';
import { createDashboardRouter } from './dashboard.router';
import { DashboardService } from './dashboard.service';

/**
 * Creates the bureau dashboard (ensuring the collections it reads) and its /api/dashboard
 * router (docs/dashboard.md). It only reads other slices' collections.
 */
export async function createDashboard(deps: {
  db: Database;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: DashboardService }> {
  await deps.db.ensureCollections([
    ...Object.values(ORG_COLLECTIONS),
    ...Object.values(ENROLMENT_COLLECTIONS),
    ...Object.values(BILLING_COLLECTIONS),
    ...Object.values(SAFETY_COLLECTIONS),
    ...Object.values(STAFF_COLLECTIONS),
    ...Object.values(USER_COLLECTIONS),
  ]);
  const c = deps.db.connection;
  const service = new DashboardService({
    org: orgModels(c),
    enrolment: enrolmentModels(c),
    billing: billingModels(c),
    safety: safetyModels(c),
    staff: staffModels(c),
    users: userModels(c),
  });
  return { router: createDashboardRouter(service, deps.requireSession), service };
}
