import express, { type RequestHandler, type Router } from 'express';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import { listApplicationsQuery, recordStepBody, submitApplicationBody } from './enrolment.schema';
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

  r.post('/applications', async (req, res) => {
    const body = parseInput(submitApplicationBody, req.body);
    res.status(201).json(await service.submit(currentPrincipal(res), body));
  });

  r.get('/applications', async (req, res) => {
    res.json(
      await service.list(currentPrincipal(res), parseInput(listApplicationsQuery, req.query)),
    );
  });

  r.get('/applications/:id', async (req, res) => {
    res.json(await service.get(currentPrincipal(res), req.params.id));
  });

  r.post('/applications/:id/withdraw', async (req, res) => {
    res.json(await service.withdraw(currentPrincipal(res), req.params.id));
  });

  r.get('/applications/:id/facts', async (req, res) => {
    res.json(await service.facts(currentPrincipal(res), req.params.id));
  });

  r.post('/applications/:id/steps', async (req, res) => {
    await service.recordStep(
      currentPrincipal(res),
      req.params.id,
      parseInput(recordStepBody, req.body),
    );
    res.status(204).end();
  });

  r.post('/applications/:id/arrange', async (req, res) => {
    res.json(await service.arrange(currentPrincipal(res), req.params.id));
  });

  return r;
}
