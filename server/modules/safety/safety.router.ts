import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import type { AttendanceService } from './attendance.service';
import type { IncidentService } from './incidents.service';
import {
  attachAttendanceBody,
  attachAttendanceResponse,
  attendanceList,
  attendanceRecordView,
  attendanceSheetView,
  checkInBody,
  guardiansBody,
  guardiansResponse,
  handOverBody,
  incidentList,
  incidentParams,
  incidentView,
  listAttendanceQuery,
  listIncidentsQuery,
  openHandOversQuery,
  openHandOversView,
  reportIncidentBody,
} from './safety.schema';

/**
 * /api/safety: attendance and hand-over per session and day (SAFE-ATTEND), incidents with their
 * process, and the worker-facing routes of the `attach-attendance` and `notify` jobs. Who may
 * do what is decided per record by the services (CASL).
 */
export function createSafetyRouter(
  attendance: AttendanceService,
  incidents: IncidentService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'safety' });

  api.post(
    '/attendance/check-ins',
    {
      summary: "Check students in (or mark them absent) for a session's day (teachers)",
      body: checkInBody,
      responses: { 200: { description: "The day's sheet", schema: attendanceSheetView } },
      errors: [403, 404],
    },
    async ({ body }, _req, res) => {
      res.json(await attendance.checkIn(currentPrincipal(res), body));
    },
  );

  api.post(
    '/attendance/hand-overs',
    {
      summary: 'Hand a present child over to a named guardian at a time (SAFE-ATTEND)',
      body: handOverBody,
      responses: { 200: { description: 'The attendance line', schema: attendanceRecordView } },
      errors: [403, 404, 409],
    },
    async ({ body }, _req, res) => {
      res.json(await attendance.handOver(currentPrincipal(res), body));
    },
  );

  api.get(
    '/attendance',
    {
      summary: 'The attendance lines the caller may read, newest day first',
      query: listAttendanceQuery,
      responses: { 200: { description: 'Attendance lines', schema: attendanceList } },
    },
    async ({ query }, _req, res) => {
      res.json(await attendance.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/attendance/open-hand-overs',
    {
      summary: 'Present children not handed over yet, per session of a day (SAFE-ATTEND)',
      query: openHandOversQuery,
      responses: { 200: { description: 'Missing hand-overs', schema: openHandOversView } },
    },
    async ({ query }, _req, res) => {
      res.json(await attendance.openHandOvers(currentPrincipal(res), query));
    },
  );

  api.post(
    '/incidents',
    {
      summary: 'Report a safety incident (the incident-report start form)',
      body: reportIncidentBody,
      responses: { 201: { description: 'Reported', schema: incidentView } },
      errors: [403, 404],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await incidents.report(currentPrincipal(res), body));
    },
  );

  api.get(
    '/incidents',
    {
      summary: 'The incidents the caller may read, newest first',
      query: listIncidentsQuery,
      responses: { 200: { description: 'One page of incidents', schema: incidentList } },
    },
    async ({ query }, _req, res) => {
      res.json(await incidents.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/incidents/:id',
    {
      summary: 'One incident with its steps and the attached attendance',
      params: incidentParams,
      responses: { 200: { description: 'The incident', schema: incidentView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await incidents.get(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/incidents/:id/attendance',
    {
      summary: "Attach the session's attendance and flag missing hand-overs (workers)",
      params: incidentParams,
      body: attachAttendanceBody,
      responses: { 200: { description: 'Attached', schema: attachAttendanceResponse } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      res.json(await incidents.attachAttendance(currentPrincipal(res), params.id, body));
    },
  );

  api.post(
    '/guardians',
    {
      summary: "The guardians' user ids of some students, for notifications (workers)",
      body: guardiansBody,
      responses: { 200: { description: 'User ids', schema: guardiansResponse } },
      errors: [403],
    },
    async ({ body }, _req, res) => {
      res.json(await incidents.guardiansOf(currentPrincipal(res), body.studentIds));
    },
  );

  return r;
}
