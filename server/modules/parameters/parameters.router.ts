import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  approveFeeStandardBody,
  countyParams,
  countyParametersList,
  countyParametersView,
  effectiveParameters,
  proposeFeeStandardBody,
  rejectFeeStandardBody,
  setParametersBody,
} from './parameters.schema';
import type { ParametersService } from './parameters.service';

/**
 * /api/parameters: each county's parameters (县区参数) and the approval of its own fee
 * standard. Reading needs `read CountyParameters`; changing needs `update CountyParameters`
 * and the role the step belongs to (the county bureau sets values and proposes, the city
 * bureau approves or refuses a fee standard), decided by the service.
 */
export function createParametersRouter(
  service: ParametersService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'parameters' });

  api.get(
    '/counties',
    {
      summary: 'The parameters of every county the caller may read (bureaus, workers)',
      responses: { 200: { description: 'The counties', schema: countyParametersList } },
    },
    async (_input, _req, res) => {
      res.json(await service.list(currentPrincipal(res)));
    },
  );

  api.get(
    '/counties/:countyId',
    {
      summary: "A county's own parameters, its fee standard's approval and what is in force",
      params: countyParams,
      responses: { 200: { description: 'The county', schema: countyParametersView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(currentPrincipal(res), params.countyId));
    },
  );

  api.get(
    '/counties/:countyId/effective',
    {
      summary:
        'The parameters in force for a county: its own where set and approved, else the city defaults',
      params: countyParams,
      responses: { 200: { description: 'In force', schema: effectiveParameters } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.effective(currentPrincipal(res), params.countyId));
    },
  );

  api.put(
    '/counties/:countyId',
    {
      summary:
        "Set the county's season dates, minimum end times and minutes after dismissal (county bureau)",
      params: countyParams,
      body: setParametersBody,
      responses: { 200: { description: 'Saved', schema: countyParametersView } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.set(currentPrincipal(res), params.countyId, body));
    },
  );

  api.post(
    '/counties/:countyId/fee-standard',
    {
      summary:
        "Propose the county's own monthly fee standard (county bureau); applies once city-approved",
      params: countyParams,
      body: proposeFeeStandardBody,
      responses: { 200: { description: 'Proposed', schema: countyParametersView } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.proposeFee(currentPrincipal(res), params.countyId, body));
    },
  );

  api.post(
    '/counties/:countyId/fee-standard/approve',
    {
      summary:
        "Approve the proposed fee standard one step: county-approved (county bureau, with its government's document), city-approved (city bureau)",
      params: countyParams,
      body: approveFeeStandardBody,
      responses: { 200: { description: 'Approved', schema: countyParametersView } },
      errors: [403, 404, 409, 422],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.approveFee(currentPrincipal(res), params.countyId, body));
    },
  );

  api.post(
    '/counties/:countyId/fee-standard/reject',
    {
      summary: 'Refuse the proposed fee standard (city bureau)',
      params: countyParams,
      body: rejectFeeStandardBody,
      responses: { 200: { description: 'Refused', schema: countyParametersView } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.rejectFee(currentPrincipal(res), params.countyId, body));
    },
  );

  return r;
}
