import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import { auditPage, listAuditQuery } from './audit.schema';
import type { AuditLog } from './audit.service';

/**
 * /api/audit: the audit log for administrators. Needs a session; the list is filtered by the
 * caller's ability (subject `AuditEntry`), so others get an empty page.
 */
export function createAuditRouter(log: AuditLog, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'audit' });

  api.get(
    '/',
    {
      summary:
        'Administrative actions the caller may see (deploys, rollbacks, form and role changes), newest first',
      query: listAuditQuery,
      responses: { 200: { description: 'One page of entries', schema: auditPage } },
    },
    async ({ query }, _req, res) => {
      res.json(await log.list(abilityFor(currentPrincipal(res)), query));
    },
  );

  return r;
}
