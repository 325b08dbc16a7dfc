import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  createSurveyBody,
  listSurveysQuery,
  respondBody,
  respondResponse,
  summaryQuery,
  surveyList,
  surveyParams,
  surveyResults,
  surveySummary,
  surveyView,
} from './surveys.schema';
import type { SurveyService } from './surveys.service';

/**
 * /api/surveys: the parent committee's feedback surveys (FLOW-COMMITTEE): drafting, opening and
 * closing (committee), answering once (parents of served children, anonymously), results
 * (committee, school admin, principal; the county bureau in aggregates).
 */
export function createSurveysRouter(
  service: SurveyService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'surveys' });

  api.post(
    '/',
    {
      summary: "Draft a feedback survey for the member's school (parent committee)",
      body: createSurveyBody,
      responses: { 201: { description: 'Drafted', schema: surveyView } },
      errors: [403, 404],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await service.create(currentPrincipal(res), body));
    },
  );

  api.get(
    '/',
    {
      summary: 'The surveys the caller may read, newest first (committee, school, county bureau)',
      query: listSurveysQuery,
      responses: { 200: { description: 'One page of surveys', schema: surveyList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/answerable',
    {
      summary: 'The open surveys a parent may answer, with whether they have answered',
      responses: { 200: { description: 'Open surveys', schema: surveyList } },
    },
    async (_input, _req, res) => {
      res.json(await service.answerable(currentPrincipal(res)));
    },
  );

  api.get(
    '/summary',
    {
      summary: 'Per school: surveys, open ones, responses and the mean rating (bureau supervision)',
      query: summaryQuery,
      responses: { 200: { description: 'Aggregates per school', schema: surveySummary } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.summary(currentPrincipal(res), query));
    },
  );

  api.get(
    '/:id',
    {
      summary: 'One survey (a parent who may answer it gets the questionnaire)',
      params: surveyParams,
      responses: { 200: { description: 'The survey', schema: surveyView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/:id/open',
    {
      summary: 'Open a draft for answers (parent committee)',
      params: surveyParams,
      responses: { 200: { description: 'Opened', schema: surveyView } },
      errors: [403, 404, 409],
    },
    async ({ params }, _req, res) => {
      res.json(await service.open(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/:id/close',
    {
      summary: 'Close an open survey (parent committee)',
      params: surveyParams,
      responses: { 200: { description: 'Closed', schema: surveyView } },
      errors: [403, 404, 409],
    },
    async ({ params }, _req, res) => {
      res.json(await service.close(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/:id/responses',
    {
      summary: "A parent's answers, once per survey; anonymous to the school",
      params: surveyParams,
      body: respondBody,
      responses: { 201: { description: 'Answered', schema: respondResponse } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      await service.respond(currentPrincipal(res), params.id, body);
      res.status(201).json({ surveyId: params.id, answered: true });
    },
  );

  api.get(
    '/:id/results',
    {
      summary: 'Aggregated results, never who answered (free text for the school only)',
      params: surveyParams,
      responses: { 200: { description: 'The results', schema: surveyResults } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.results(currentPrincipal(res), params.id));
    },
  );

  return r;
}
