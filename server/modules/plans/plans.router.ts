import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  createPlanBody,
  listPlansQuery,
  planFacts,
  planList,
  planParams,
  planView,
  publishPlanBody,
  publishResponse,
  recordCheckBody,
  updatePlanBody,
} from './plans.schema';
import type { PlanService } from './plans.service';

/**
 * /api/plans: schools' service plans (一校一案): drafting, editing, submitting into the plan
 * process, resubmitting or withdrawing a returned plan, reading through CASL, and the routes
 * the plan process's job workers call (facts, checks, publication).
 */
export function createPlansRouter(service: PlanService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'plans' });

  api.post(
    '/',
    {
      summary: "Draft a school's plan for a term (school admin); one per school and term",
      body: createPlanBody,
      responses: { 201: { description: 'Drafted', schema: planView } },
      errors: [403, 404, 409],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await service.create(currentPrincipal(res), body));
    },
  );

  api.get(
    '/',
    {
      summary: 'The plans the caller may read, latest term first (parents: published plans only)',
      query: listPlansQuery,
      responses: { 200: { description: 'One page of plans', schema: planList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/:id',
    {
      summary: 'One plan with its timeline (parents: the published view)',
      params: planParams,
      responses: { 200: { description: 'The plan', schema: planView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(currentPrincipal(res), params.id));
    },
  );

  api.put(
    '/:id',
    {
      summary: 'Replace the content of a draft, a withdrawn plan or one returned for revision',
      params: planParams,
      body: updatePlanBody,
      responses: { 200: { description: 'Saved', schema: planView } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.update(currentPrincipal(res), params.id, body));
    },
  );

  api.post(
    '/:id/submit',
    {
      summary:
        'Submit the plan: starts the school-service-plan process (checks, committee, principal, county)',
      params: planParams,
      responses: { 200: { description: 'Submitted', schema: planView } },
      errors: [403, 404, 409],
    },
    async ({ params }, _req, res) => {
      res.json(await service.submit(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/:id/resubmit',
    {
      summary: 'Resubmit a plan returned for revision (completes the revision task)',
      params: planParams,
      responses: { 200: { description: 'Resubmitted', schema: planView } },
      errors: [403, 404, 409],
    },
    async ({ params }, _req, res) => {
      res.json(await service.resubmit(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/:id/withdraw',
    {
      summary:
        'Withdraw a plan returned for revision (its process ends; it may be submitted again)',
      params: planParams,
      responses: { 200: { description: 'Withdrawn', schema: planView } },
      errors: [403, 404, 409],
    },
    async ({ params }, _req, res) => {
      res.json(await service.withdraw(currentPrincipal(res), params.id));
    },
  );

  api.get(
    '/:id/facts',
    {
      summary: 'The plan in the rule book’s terms and its term calendar (workers)',
      params: planParams,
      responses: { 200: { description: 'The facts', schema: planFacts } },
      errors: [403, 404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.facts(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/:id/checks',
    {
      summary: 'Record the outcome of the automatic check (workers; idempotent by key)',
      params: planParams,
      body: recordCheckBody,
      responses: { 204: { description: 'Recorded' } },
      errors: [403, 404],
    },
    async ({ params, body }, _req, res) => {
      await service.recordCheck(currentPrincipal(res), params.id, body);
      res.status(204).end();
    },
  );

  api.post(
    '/:id/publish',
    {
      summary: 'File and publish the plan after the county filing (workers; idempotent)',
      params: planParams,
      body: publishPlanBody,
      responses: { 200: { description: 'Published', schema: publishResponse } },
      errors: [403, 404, 409, 422],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.publish(currentPrincipal(res), params.id, body));
    },
  );

  return r;
}
