import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  applicationFacts,
  applicationList,
  applicationParams,
  applicationView,
  arrangeResponse,
  listApplicationsQuery,
  recordStepBody,
  submitApplicationBody,
} from './enrolment.schema';
import type { EnrolmentService } from './enrolment.service';

/**
 * /api/enrolment: parents' applications (submit, list, read with timeline, withdraw) and the
 * worker-facing routes the enrolment process's job workers call (facts, steps, arrangement).
 * Who may do what is decided per application by the service (CASL).
 */
export function createEnrolmentRouter(
  service: EnrolmentService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'enrolment' });

  api.post(
    '/applications',
    {
      summary: "A guardian's application for one child (the enrolment start form)",
      body: submitApplicationBody,
      responses: { 201: { description: 'Submitted', schema: applicationView } },
      errors: [403, 404, 409, 422],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await service.submit(currentPrincipal(res), body));
    },
  );

  api.get(
    '/applications',
    {
      summary: 'The applications the caller may read, newest first',
      query: listApplicationsQuery,
      responses: { 200: { description: 'One page of applications', schema: applicationList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/applications/:id',
    {
      summary: 'One application with its timeline',
      params: applicationParams,
      responses: { 200: { description: 'The application', schema: applicationView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/applications/:id/withdraw',
    {
      summary: 'Withdraw an application (its guardian)',
      params: applicationParams,
      responses: { 200: { description: 'Withdrawn', schema: applicationView } },
      errors: [404, 409],
    },
    async ({ params }, _req, res) => {
      res.json(await service.withdraw(currentPrincipal(res), params.id));
    },
  );

  api.get(
    '/applications/:id/facts',
    {
      summary: 'The facts a job worker checks an application against (workers)',
      params: applicationParams,
      responses: { 200: { description: 'The facts', schema: applicationFacts } },
      errors: [403, 404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.facts(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/applications/:id/steps',
    {
      summary: 'Record a step of the enrolment process (workers; idempotent by key)',
      params: applicationParams,
      body: recordStepBody,
      responses: { 204: { description: 'Recorded' } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      await service.recordStep(currentPrincipal(res), params.id, body);
      res.status(204).end();
    },
  );

  api.post(
    '/applications/:id/arrange',
    {
      summary:
        'Arrange a place for an approved application, or put it on the waiting list (workers)',
      params: applicationParams,
      responses: { 200: { description: 'Placed or waiting', schema: arrangeResponse } },
      errors: [404, 409],
    },
    async ({ params }, _req, res) => {
      res.json(await service.arrange(currentPrincipal(res), params.id));
    },
  );

  return r;
}
