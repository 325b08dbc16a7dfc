import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import { versionList } from '../catalog/catalog.schema';
import {
  deployFormBody,
  formDeployResponse,
  formDiffQuery,
  formDiffResponse,
  formHeadList,
  formPlaceParams,
  formResolution,
  formResolveParams,
  formResolveQuery,
  formRollbackBody,
  formUsage,
  formUsageQuery,
  formValidation,
  formVersionDetail,
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
  const api = declareRoutes(r, { tag: 'forms' });

  api.get(
    '/',
    {
      summary: 'The current version of every form at every place the caller may read',
      query: listFormsQuery,
      responses: { 200: { description: 'One item per form and place', schema: formHeadList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(abilityFor(currentPrincipal(res)), query));
    },
  );

  api.get(
    '/:id/resolve',
    {
      summary: "Which version of a form applies at a school: its own, its county's or the city's",
      params: formResolveParams,
      query: formResolveQuery,
      responses: { 200: { description: 'The form version', schema: formResolution } },
      errors: [404],
    },
    async ({ params, query }, _req, res) => {
      res.json(await service.resolveFor(abilityFor(currentPrincipal(res)), params.id, query.schoolId));
    },
  );

  api.get(
    '/:id/usage',
    {
      summary:
        'The process steps that link a form (user tasks and start events with zeebe:formDefinition), per current process version the caller may read; `place`: those that run there',
      params: formResolveParams,
      query: formUsageQuery,
      responses: { 200: { description: 'The steps, per process version', schema: formUsage } },
      errors: [404],
    },
    async ({ params, query }, _req, res) => {
      res.json(await service.usage(abilityFor(currentPrincipal(res)), params.id, query));
    },
  );

  api.get(
    '/:id/:place/versions',
    {
      summary: 'The versions of a form at a place, newest first',
      params: formPlaceParams,
      responses: { 200: { description: 'Versions', schema: versionList } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.versions(abilityFor(currentPrincipal(res)), params.place, params.id));
    },
  );

  api.post(
    '/:id/:place/versions',
    {
      summary: 'Create or edit a form at a place: saved and deployed as a new version',
      params: formPlaceParams,
      body: deployFormBody,
      responses: {
        201: { description: 'Saved as a new version', schema: formDeployResponse },
        200: { description: 'Unchanged: the schema is the current version', schema: formDeployResponse },
      },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      const result = await service.deploy(currentPrincipal(res), params.place, params.id, body);
      res.status(result.changed ? 201 : 200).json(result);
    },
  );

  api.get(
    '/:id/:place/versions/:version',
    {
      summary: 'One version with its form-js schema',
      params: formVersionParams,
      responses: { 200: { description: 'The version', schema: formVersionDetail } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(
        await service.version(
          abilityFor(currentPrincipal(res)),
          params.place,
          params.id,
          params.version,
        ),
      );
    },
  );

  api.post(
    '/:id/:place/validate',
    {
      summary: 'Check a form-js schema as a save would, without saving it',
      params: formPlaceParams,
      body: validateFormBody,
      responses: { 200: { description: 'The problems, by JSON path', schema: formValidation } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      res.json(
        await service.validate(abilityFor(currentPrincipal(res)), params.place, params.id, body.schema),
      );
    },
  );

  api.post(
    '/:id/:place/rollback',
    {
      summary: 'Roll back: save an older version again as the newest',
      params: formPlaceParams,
      body: formRollbackBody,
      responses: { 201: { description: 'Saved as a new version', schema: formDeployResponse } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      res.status(201).json(await service.rollback(currentPrincipal(res), params.place, params.id, body));
    },
  );

  api.get(
    '/:id/:place/diff',
    {
      summary: 'Component-level and text diff of two versions (`3`, or `city@3` at another place)',
      params: formPlaceParams,
      query: formDiffQuery,
      responses: { 200: { description: 'The diff', schema: formDiffResponse } },
      errors: [404],
    },
    async ({ params, query }, _req, res) => {
      res.json(
        await service.diff(
          abilityFor(currentPrincipal(res)),
          params.place,
          params.id,
          query.from,
          query.to,
        ),
      );
    },
  );

  return r;
}
