import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import type { MembershipService } from './memberships.service';
import {
  createdStaff,
  createStaffBody,
  listStaffQuery,
  membershipBody,
  staffList,
  staffView,
  userParams,
} from './memberships.schema';

/**
 * /api/users: staff accounts and role changes by the administrators of a place (the
 * delegation table is `GRANTS` in memberships.service.ts, docs/identity.md). Every change is
 * in the audit log.
 */
export function createMembershipsRouter(
  service: MembershipService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'users' });

  api.get(
    '/staff',
    {
      summary: 'Staff holding a role in the places the caller administers (phones masked)',
      query: listStaffQuery,
      responses: { 200: { description: 'One page of staff', schema: staffList } },
      errors: [403],
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );

  api.post(
    '/staff',
    {
      summary: 'A new staff account with its first role; its one-time password is answered once',
      body: createStaffBody,
      responses: { 201: { description: 'Created', schema: createdStaff } },
      errors: [403, 404, 409],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await service.create(currentPrincipal(res), body));
    },
  );

  api.post(
    '/:id/memberships',
    {
      summary: 'Give a staff member a role in a place the caller administers',
      params: userParams,
      body: membershipBody,
      responses: { 200: { description: 'The staff member', schema: staffView } },
      errors: [403, 404],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.grant(currentPrincipal(res), params.id, body));
    },
  );

  api.post(
    '/:id/memberships/revoke',
    {
      summary: 'Take a role in a place the caller administers away from a staff member',
      params: userParams,
      body: membershipBody,
      responses: { 200: { description: 'The staff member', schema: staffView } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.revoke(currentPrincipal(res), params.id, body));
    },
  );

  return r;
}
