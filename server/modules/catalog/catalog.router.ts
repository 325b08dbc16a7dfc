import express, { type RequestHandler, type Router } from 'express';
import { abilityFor } from '../../auth/abilities';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  deployProcessBody,
  deployResponse,
  diffQuery,
  diffResponse,
  headList,
  lintProcessBody,
  lintReport,
  listProcessesQuery,
  processPlaceParams,
  processVersionDetail,
  processVersionParams,
  resolution,
  resolveParams,
  resolveQuery,
  rollbackBody,
  versionList,
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
  const api = declareRoutes(r, { tag: 'catalog' });

  api.get(
    '/',
    {
      summary: 'The current version of every process at every place the caller may read',
      query: listProcessesQuery,
      responses: { 200: { description: 'One item per process and place', schema: headList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(abilityFor(currentPrincipal(res)), query));
    },
  );

  api.get(
    '/:id/resolve',
    {
      summary: "Which version a school starts: its variant, its county's, or the city's template",
      params: resolveParams,
      query: resolveQuery,
      responses: { 200: { description: 'The process definition to start', schema: resolution } },
      errors: [404],
    },
    async ({ params, query }, _req, res) => {
      res.json(
        await service.resolveFor(abilityFor(currentPrincipal(res)), params.id, query.schoolId),
      );
    },
  );

  api.get(
    '/:id/:place/versions',
    {
      summary: 'The versions of a process at a place, newest first',
      params: processPlaceParams,
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
      summary:
        'Deploy a new version at a place (a variant of the template above it): policy-linted',
      params: processPlaceParams,
      body: deployProcessBody,
      responses: {
        201: { description: 'Deployed as a new version', schema: deployResponse },
        200: {
          description: 'Unchanged: the content is the current version',
          schema: deployResponse,
        },
      },
      errors: [403, 404, 409, 422],
    },
    async ({ params, body }, _req, res) => {
      const result = await service.deploy(currentPrincipal(res), params.place, params.id, body);
      res.status(result.changed ? 201 : 200).json(result);
    },
  );

  api.get(
    '/:id/:place/versions/:version',
    {
      summary: 'One version with its BPMN XML',
      params: processVersionParams,
      responses: { 200: { description: 'The version', schema: processVersionDetail } },
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
    '/:id/:place/rollback',
    {
      summary: 'Roll back: deploy an older version again as the newest',
      params: processPlaceParams,
      body: rollbackBody,
      responses: { 201: { description: 'Deployed as a new version', schema: deployResponse } },
      errors: [403, 404, 409, 422],
    },
    async ({ params, body }, _req, res) => {
      res
        .status(201)
        .json(await service.rollback(currentPrincipal(res), params.place, params.id, body));
    },
  );

  api.post(
    '/:id/:place/lint',
    {
      summary: 'Check a process as a deployment at the place would, without deploying it',
      params: processPlaceParams,
      body: lintProcessBody,
      responses: { 200: { description: 'Errors (would refuse) and warnings', schema: lintReport } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      res.json(
        await service.lint(abilityFor(currentPrincipal(res)), params.place, params.id, body.xml),
      );
    },
  );

  api.get(
    '/:id/:place/diff',
    {
      summary: 'Element-level and text diff of two versions (`3`, or `city@3` at another place)',
      params: processPlaceParams,
      query: diffQuery,
      responses: { 200: { description: 'The diff', schema: diffResponse } },
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
