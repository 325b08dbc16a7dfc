import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  claimList,
  claimParams,
  claimView,
  listClaimsQuery,
  openClaimBody,
  openClaimResponse,
  requestClaimBody,
  settlementBody,
  settlementResponse,
} from './claims.schema';
import type { ClaimService } from './claims.service';

/**
 * /api/claims: accident-insurance claims (request, list, read with timeline) and the
 * worker-facing routes of the `open-claim` and `settle-claim` jobs (SAFE-CLAIM).
 */
export function createClaimsRouter(service: ClaimService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'claims' });

  api.post(
    '/',
    {
      summary: 'Request an insurance claim for a child (school admin; the claim-request form)',
      body: requestClaimBody,
      responses: { 201: { description: 'Requested', schema: claimView } },
      errors: [403, 404],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await service.request(currentPrincipal(res), body));
    },
  );

  api.get(
    '/',
    {
      summary: 'The claims the caller may read, newest first',
      query: listClaimsQuery,
      responses: { 200: { description: 'One page of claims', schema: claimList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/:id',
    {
      summary: 'One claim with its settlement and timeline',
      params: claimParams,
      responses: { 200: { description: 'The claim', schema: claimView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/:id/open',
    {
      summary:
        'Record a claim as open when its process starts, from the incident and the child for a claim an incident called (workers; idempotent)',
      params: claimParams,
      body: openClaimBody,
      responses: { 200: { description: 'The claim', schema: openClaimResponse } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.open(currentPrincipal(res), params.id, body));
    },
  );

  api.post(
    '/:id/settlement',
    {
      summary: 'Check and record the shared settlement of a claim (workers; SAFE-CLAIM)',
      params: claimParams,
      body: settlementBody,
      responses: { 200: { description: 'Recorded', schema: settlementResponse } },
      errors: [404, 422],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.settle(currentPrincipal(res), params.id, body));
    },
  );

  return r;
}
