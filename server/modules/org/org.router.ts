import express, { type RequestHandler, type Router } from 'express';
import { parseInput } from '../../http/validate';
import { abilityFor } from '../../auth/abilities';
import { currentPrincipal } from '../auth';
import { listClassesQuery, listSchoolsQuery, listStudentsQuery, studentParams } from './org.schema';
import type { OrgService } from './org.service';

/**
 * /api/org: the schools, classes and students the signed-in user may read. Every route needs a
 * session and works through the caller's CASL ability (server/auth/abilities.ts): lists are
 * filtered by it, a single student is checked against it, fields are cut to what it permits.
 */
export function createOrgRouter(service: OrgService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);

  r.get('/schools', async (req, res) => {
    res.json(
      await service.listSchools(
        abilityFor(currentPrincipal(res)),
        parseInput(listSchoolsQuery, req.query),
      ),
    );
  });

  r.get('/classes', async (req, res) => {
    res.json(
      await service.listClasses(
        abilityFor(currentPrincipal(res)),
        parseInput(listClassesQuery, req.query),
      ),
    );
  });

  r.get('/students', async (req, res) => {
    res.json(
      await service.listStudents(
        abilityFor(currentPrincipal(res)),
        parseInput(listStudentsQuery, req.query),
      ),
    );
  });

  r.get('/students/:id', async (req, res) => {
    const { id } = parseInput(studentParams, req.params);
    res.json(await service.getStudent(abilityFor(currentPrincipal(res)), id));
  });

  return r;
}
