import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { abilityFor } from '../../auth/abilities';
import { currentPrincipal } from '../auth';
import {
  classPage,
  countyList,
  listClassesQuery,
  listSchoolsQuery,
  listStudentsQuery,
  schoolPage,
  studentDetail,
  studentPage,
  studentParams,
} from './org.schema';
import type { OrgService } from './org.service';

/**
 * /api/org: the counties, schools, classes and students the signed-in user may read. Every route needs a
 * session and works through the caller's CASL ability (server/auth/abilities.ts): lists are
 * filtered by it, a single student is checked against it, fields are cut to what it permits.
 */
export function createOrgRouter(service: OrgService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'org' });

  api.get(
    '/schools',
    {
      summary: 'The schools the caller may read',
      query: listSchoolsQuery,
      responses: { 200: { description: 'One page of schools', schema: schoolPage } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.listSchools(abilityFor(currentPrincipal(res)), query));
    },
  );

  api.get(
    '/counties',
    {
      summary: 'The counties of the schools the caller may read, with their names',
      responses: { 200: { description: 'The counties', schema: countyList } },
    },
    async (_input, _req, res) => {
      res.json(await service.listCounties(abilityFor(currentPrincipal(res))));
    },
  );

  api.get(
    '/classes',
    {
      summary: 'The classes the caller may read',
      query: listClassesQuery,
      responses: { 200: { description: 'One page of classes', schema: classPage } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.listClasses(abilityFor(currentPrincipal(res)), query));
    },
  );

  api.get(
    '/students',
    {
      summary: 'The students the caller may read, without personal fields',
      query: listStudentsQuery,
      responses: { 200: { description: 'One page of students', schema: studentPage } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.listStudents(abilityFor(currentPrincipal(res)), query));
    },
  );

  api.get(
    '/students/:id',
    {
      summary: 'One student, with the personal fields the caller may see',
      params: studentParams,
      responses: { 200: { description: 'The student', schema: studentDetail } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.getStudent(abilityFor(currentPrincipal(res)), params.id));
    },
  );

  return r;
}
