import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  definitionParams,
  definitionView,
  incidentList,
  incidentParams,
  instanceDetail,
  instancePage,
  instanceParams,
  listInstancesQuery,
  retryIncidentBody,
  statistics,
  statisticsQuery,
  timeline,
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
  const api = declareRoutes(r, { tag: 'monitor' });

  api.get(
    '/instances',
    {
      summary: 'The process instances the caller may see, with their state and current steps',
      query: listInstancesQuery,
      responses: { 200: { description: 'One page of instances', schema: instancePage } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(abilityFor(currentPrincipal(res)), query));
    },
  );

  api.get(
    '/instances/:key',
    {
      summary: 'One process instance: state, current steps and whether the caller may retry',
      params: instanceParams,
      responses: { 200: { description: 'The instance', schema: instanceDetail } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(abilityFor(currentPrincipal(res)), params.key));
    },
  );

  api.get(
    '/instances/:key/timeline',
    {
      summary: 'What happened to an instance, by whom and when, with element names',
      params: instanceParams,
      responses: { 200: { description: 'The timeline, oldest first', schema: timeline } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.timeline(abilityFor(currentPrincipal(res)), params.key));
    },
  );

  api.get(
    '/instances/:key/incidents',
    {
      summary: 'The incidents of an instance, open and resolved',
      params: instanceParams,
      responses: { 200: { description: 'Incidents, newest first', schema: incidentList } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.incidents(abilityFor(currentPrincipal(res)), params.key));
    },
  );

  api.get(
    '/statistics',
    {
      summary: "A process's readable instances counted per element and version (active, incidents)",
      query: statisticsQuery,
      responses: { 200: { description: 'Per version, newest first', schema: statistics } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.statistics(abilityFor(currentPrincipal(res)), query));
    },
  );

  api.get(
    '/definitions/:key',
    {
      summary:
        'A deployed process version with its BPMN XML (for those who read an instance of it)',
      params: definitionParams,
      responses: { 200: { description: 'The version and its XML', schema: definitionView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.definition(abilityFor(currentPrincipal(res)), params.key));
    },
  );

  api.post(
    '/incidents/:key/retry',
    {
      summary: 'Retry an incident (administrators): job retries given back, the step re-run',
      params: incidentParams,
      body: retryIncidentBody,
      responses: { 204: { description: 'Resolved; the failed step runs again' } },
      errors: [404, 409],
    },
    async ({ params, body }, _req, res) => {
      const p = currentPrincipal(res);
      await service.retry(abilityFor(p), p, params.key, body.retries);
      res.status(204).end();
    },
  );

  return r;
}
