import express, { type RequestHandler, type Router } from 'express';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import { listClassesQuery, listSchoolsQuery, listStudentsQuery } from './org.schema';
import type { OrgService } from './org.service';

/**
 * /api/org: read-only lists of the signed-in user's schools, classes and students. Every route
 * needs a session; per-role rules come with the CASL abilities.
 */
export function createOrgRouter(service: OrgService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);

  r.get('/schools', async (req, res) => {
    res.json(
      await service.listSchools(currentPrincipal(res), parseInput(listSchoolsQuery, req.query)),
    );
  });

  r.get('/classes', async (req, res) => {
    res.json(
      await service.listClasses(currentPrincipal(res), parseInput(listClassesQuery, req.query)),
    );
  });

  r.get('/students', async (req, res) => {
    res.json(
      await service.listStudents(currentPrincipal(res), parseInput(listStudentsQuery, req.query)),
    );
  });

  return r;
}
