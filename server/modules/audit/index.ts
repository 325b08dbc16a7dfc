import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { AUDIT_COLLECTIONS, auditModels } from './audit.model';
import { createAuditRouter } from './audit.router';
import { AuditLog } from './audit.service';

export { AuditLog, type AuditActor, type AuditRecord } from './audit.service';

/** Creates the audit log (ensuring its collection) and its /api/audit router. */
export async function createAudit(deps: {
  db: Database;
  requireSession: RequestHandler;
}): Promise<{ router: Router; log: AuditLog }> {
  await deps.db.ensureCollections(Object.values(AUDIT_COLLECTIONS));
  const log = new AuditLog(auditModels(deps.db.connection));
  return { router: createAuditRouter(log, deps.requireSession), log };
}
