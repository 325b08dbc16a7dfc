import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import {
  deployFormBody,
  formDiffQuery,
  formPlaceParams,
  formResolveParams,
  formResolveQuery,
  formRollbackBody,
  formVersionParams,
  listFormsQuery,
  validateFormBody,
} from './forms.schema';
import type { FormsService } from './forms.service';

/**
 * /api/catalog/forms: form-js schemas, the city's templates and the variants of counties and
 * schools. A place is `city`, `county.<countyId>` or `school.<schoolId>`. Every route needs a
 * session; reading needs `read Form` at the place, saving `create Form` (docs/catalog.md).
 */
export function createFormsRouter(service: FormsService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);

  r.get('/', async (req, res) => {
    const q = parseInput(listFormsQuery, req.query);
    res.json(await service.list(abilityFor(currentPrincipal(res)), q));
  });

  r.get('/:id/resolve', async (req, res) => {
    const { id } = parseInput(formResolveParams, req.params);
    const { schoolId } = parseInput(formResolveQuery, req.query);
    res.json(await service.resolveFor(abilityFor(currentPrincipal(res)), id, schoolId));
  });

  r.get('/:id/:place/versions', async (req, res) => {
    const { id, place } = parseInput(formPlaceParams, req.params);
    res.json(await service.versions(abilityFor(currentPrincipal(res)), place, id));
  });

  r.post('/:id/:place/versions', async (req, res) => {
    const { id, place } = parseInput(formPlaceParams, req.params);
    const body = parseInput(deployFormBody, req.body);
    const result = await service.deploy(currentPrincipal(res), place, id, body);
    res.status(result.changed ? 201 : 200).json(result);
  });

  r.get('/:id/:place/versions/:version', async (req, res) => {
    const { id, place, version } = parseInput(formVersionParams, req.params);
    res.json(await service.version(abilityFor(currentPrincipal(res)), place, id, version));
  });

  r.post('/:id/:place/validate', async (req, res) => {
    const { id, place } = parseInput(formPlaceParams, req.params);
    const { schema } = parseInput(validateFormBody, req.body);
    res.json(await service.validate(abilityFor(currentPrincipal(res)), place, id, schema));
  });

  r.post('/:id/:place/rollback', async (req, res) => {
    const { id, place } = parseInput(formPlaceParams, req.params);
    const body = parseInput(formRollbackBody, req.body);
    res.status(201).json(await service.rollback(currentPrincipal(res), place, id, body));
  });

  r.get('/:id/:place/diff', async (req, res) => {
    const { id, place } = parseInput(formPlaceParams, req.params);
    const { from, to } = parseInput(formDiffQuery, req.query);
    res.json(await service.diff(abilityFor(currentPrincipal(res)), place, id, from, to));
  });

  return r;
}
