import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { AuditLog } from '../audit';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import type { AttendanceService } from '../safety/attendance.service';
import type { ProcessPort } from '../safety/engine-port';
import { STAFF_COLLECTIONS, staffModels } from './staff.model';
import { createStaffRouter } from './staff.router';
import { StaffService } from './staff.service';

export { STAFF_PROCESS } from './staff.service';

/**
 * Creates the staff slice (ensuring its collections) and its /api/staff router; service hours
 * come from the safety slice's attendance, endings of registrations go to the audit log.
 */
export async function createStaff(deps: {
  db: Database;
  engine: ProcessPort;
  attendance: AttendanceService;
  requireSession: RequestHandler;
  /** Where ending a member's registration is recorded. */
  audit?: AuditLog;
}): Promise<{ router: Router; service: StaffService }> {
  await deps.db.ensureCollections([
    ...Object.values(STAFF_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const service = new StaffService(
    staffModels(deps.db.connection),
    orgModels(deps.db.connection),
    deps.attendance,
    deps.engine,
    deps.audit,
  );
  return { router: createStaffRouter(service, deps.requireSession), service };
}
