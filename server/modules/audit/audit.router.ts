import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import { listAuditQuery } from './audit.schema';
import type { AuditLog } from './audit.service';

/**
 * /api/audit: the audit log for administrators. Needs a session; the list is filtered by the
 * caller's ability (subject `AuditEntry`), so others get an empty page.
 */
export function createAuditRouter(log: AuditLog, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);

  r.get('/', async (req, res) => {
    res.json(
      await log.list(abilityFor(currentPrincipal(res)), parseInput(listAuditQuery, req.query)),
    );
  });

  return r;
}
