import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import {
  incidentParams,
  instanceParams,
  listInstancesQuery,
  retryIncidentBody,
} from './monitor.schema';
import type { MonitorService } from './monitor.service';

/**
 * /api/monitor: process instances, where they stand, their timeline and incidents, and
 * retrying an incident. Every route needs a session and works through the caller's CASL
 * ability on the `Instance` subject (server/auth/authorization-table.ts).
 */
export function createMonitorRouter(
  service: MonitorService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);

  r.get('/instances', async (req, res) => {
    const q = parseInput(listInstancesQuery, req.query);
    res.json(await service.list(abilityFor(currentPrincipal(res)), q));
  });

  r.get('/instances/:key', async (req, res) => {
    const { key } = parseInput(instanceParams, req.params);
    res.json(await service.get(abilityFor(currentPrincipal(res)), key));
  });

  r.get('/instances/:key/timeline', async (req, res) => {
    const { key } = parseInput(instanceParams, req.params);
    res.json(await service.timeline(abilityFor(currentPrincipal(res)), key));
  });

  r.get('/instances/:key/incidents', async (req, res) => {
    const { key } = parseInput(instanceParams, req.params);
    res.json(await service.incidents(abilityFor(currentPrincipal(res)), key));
  });

  r.post('/incidents/:key/retry', async (req, res) => {
    const { key } = parseInput(incidentParams, req.params);
    const { retries } = parseInput(retryIncidentBody, req.body);
    const p = currentPrincipal(res);
    await service.retry(abilityFor(p), p, key, retries);
    res.status(204).end();
  });

  return r;
}
