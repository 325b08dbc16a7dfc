import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  badRecordBody,
  badRecordView,
  endMemberBody,
  listMembersQuery,
  listStaffQuery,
  memberList,
  memberParams,
  memberView,
  recordCheckBody,
  recordCheckResponse,
  registerBody,
  registerMemberBody,
  registerMemberResponse,
  registrationList,
  registrationParams,
  registrationView,
  serviceHoursQuery,
  serviceHoursView,
  staffStepBody,
} from './staff.schema';
import type { StaffService } from './staff.service';

/**
 * /api/staff: teacher registrations (附件2) with their process, the registered service staff
 * (and ending a member's registration),
 * the bureaus' bad-record list, teachers' service hours per month, and the worker-facing routes
 * of the `check-staff-record` and `register-staff` jobs.
 */
export function createStaffRouter(service: StaffService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'staff' });

  api.post(
    '/registrations',
    {
      summary: 'Register a person for the service (附件2; school admin or principal)',
      body: registerBody,
      responses: { 201: { description: 'Submitted', schema: registrationView } },
      errors: [403, 404, 409, 422],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await service.register(currentPrincipal(res), body));
    },
  );

  api.get(
    '/registrations',
    {
      summary: 'The registrations the caller may read, newest first',
      query: listStaffQuery,
      responses: { 200: { description: 'Registrations', schema: registrationList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/registrations/:id',
    {
      summary: 'One registration with its timeline',
      params: registrationParams,
      responses: { 200: { description: 'The registration', schema: registrationView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/registrations/:id/steps',
    {
      summary: 'Record a step of a registration (workers; idempotent by key)',
      params: registrationParams,
      body: staffStepBody,
      responses: { 204: { description: 'Recorded' } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      await service.recordStep(currentPrincipal(res), params.id, body);
      res.status(204).end();
    },
  );

  api.post(
    '/record-checks',
    {
      summary: "A person's record check against the bad-record list (workers; SAFE-STAFF)",
      body: recordCheckBody,
      responses: { 200: { description: 'The outcome', schema: recordCheckResponse } },
    },
    async ({ body }, _req, res) => {
      res.json(await service.recordCheck(currentPrincipal(res), body.idNumber));
    },
  );

  api.post(
    '/bad-records',
    {
      summary: 'Record the outcome of a record check on the list (county or city bureau)',
      body: badRecordBody,
      responses: { 200: { description: 'Recorded', schema: badRecordView } },
      errors: [403],
    },
    async ({ body }, _req, res) => {
      res.json(await service.recordBadRecord(currentPrincipal(res), body));
    },
  );

  api.get(
    '/bad-records',
    {
      summary: 'The bad-record list the caller may read (bureaus)',
      responses: {
        200: {
          description: 'Entries',
          schema: z.object({ items: z.array(badRecordView), total: z.number().int() }),
        },
      },
    },
    async (_input, _req, res) => {
      res.json(await service.listBadRecords(currentPrincipal(res)));
    },
  );

  api.post(
    '/members',
    {
      summary:
        "Record a confirmed registration's person as service staff, unless now on the bad-record list (workers; SAFE-STAFF)",
      body: registerMemberBody,
      responses: { 200: { description: 'The staff id', schema: registerMemberResponse } },
      errors: [404, 422],
    },
    async ({ body }, _req, res) => {
      res.json(await service.registerMember(currentPrincipal(res), body.registrationId));
    },
  );

  api.get(
    '/members',
    {
      summary: 'The service staff the caller may read (serving by default; `status=ended|all`)',
      query: listMembersQuery,
      responses: { 200: { description: 'Staff', schema: memberList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.members(currentPrincipal(res), query));
    },
  );

  api.post(
    '/members/:id/end',
    {
      summary:
        "End a member's registration with a reason and the last day served (school admin or principal); kept and shown as ended",
      params: memberParams,
      body: endMemberBody,
      responses: { 200: { description: 'The member, ended', schema: memberView } },
      errors: [403, 404, 409, 422],
    },
    async ({ params, body }, _req, res) => {
      res.json(await service.endMember(currentPrincipal(res), params.id, body));
    },
  );

  api.get(
    '/service-hours',
    {
      summary: "Teachers' service hours of a school in a month (basis of allowances, 绩效)",
      query: serviceHoursQuery,
      responses: { 200: { description: 'Hours per teacher', schema: serviceHoursView } },
      errors: [404],
    },
    async ({ query }, _req, res) => {
      res.json(await service.serviceHours(currentPrincipal(res), query));
    },
  );

  return r;
}
