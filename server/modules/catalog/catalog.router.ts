import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import {
  deployProcessBody,
  diffQuery,
  lintProcessBody,
  listProcessesQuery,
  processPlaceParams,
  processVersionParams,
  resolveParams,
  resolveQuery,
  rollbackBody,
} from './catalog.schema';
import type { CatalogService } from './catalog.service';

/**
 * /api/catalog/processes: the city's process templates and the counties' and schools' variants.
 * A place is `city`, `county.<countyId>` or `school.<schoolId>`. Every route needs a session;
 * reading a place needs `read Process` there, deploying `create Process` (docs/catalog.md).
 */
export function createCatalogRouter(
  service: CatalogService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);

  r.get('/', async (req, res) => {
    const q = parseInput(listProcessesQuery, req.query);
    res.json(await service.list(abilityFor(currentPrincipal(res)), q));
  });

  r.get('/:id/resolve', async (req, res) => {
    const { id } = parseInput(resolveParams, req.params);
    const { schoolId } = parseInput(resolveQuery, req.query);
    res.json(await service.resolveFor(abilityFor(currentPrincipal(res)), id, schoolId));
  });

  r.get('/:id/:place/versions', async (req, res) => {
    const { id, place } = parseInput(processPlaceParams, req.params);
    res.json(await service.versions(abilityFor(currentPrincipal(res)), place, id));
  });

  r.post('/:id/:place/versions', async (req, res) => {
    const { id, place } = parseInput(processPlaceParams, req.params);
    const body = parseInput(deployProcessBody, req.body);
    const result = await service.deploy(currentPrincipal(res), place, id, body);
    res.status(result.changed ? 201 : 200).json(result);
  });

  r.get('/:id/:place/versions/:version', async (req, res) => {
    const { id, place, version } = parseInput(processVersionParams, req.params);
    res.json(await service.version(abilityFor(currentPrincipal(res)), place, id, version));
  });

  r.post('/:id/:place/rollback', async (req, res) => {
    const { id, place } = parseInput(processPlaceParams, req.params);
    const body = parseInput(rollbackBody, req.body);
    res.status(201).json(await service.rollback(currentPrincipal(res), place, id, body));
  });

  r.post('/:id/:place/lint', async (req, res) => {
    const { id, place } = parseInput(processPlaceParams, req.params);
    const { xml } = parseInput(lintProcessBody, req.body);
    res.json(await service.lint(abilityFor(currentPrincipal(res)), place, id, xml));
  });

  r.get('/:id/:place/diff', async (req, res) => {
    const { id, place } = parseInput(processPlaceParams, req.params);
    const { from, to } = parseInput(diffQuery, req.query);
    res.json(await service.diff(abilityFor(currentPrincipal(res)), place, id, from, to));
  });

  return r;
}
