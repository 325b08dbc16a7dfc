import express, { type RequestHandler, type Router } from 'express';
import { toProblem } from '../../http/problem';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import { bulkBody, commentBody, completeTaskBody, draftBody, listTasksQuery } from './tasks.schema';
import type { TaskService } from './tasks.service';

/**
 * /api/tasks: the task inbox. Every route needs a session (and the CSRF token to change
 * anything); who may see or act on a task is decided per task by the service.
 */
export function createTasksRouter(service: TaskService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);

  r.get('/', async (req, res) => {
    res.json(await service.list(currentPrincipal(res), parseInput(listTasksQuery, req.query)));
  });

  r.post('/bulk', async (req, res) => {
    const body = parseInput(bulkBody, req.body);
    const outcomes = await service.bulk(currentPrincipal(res), body);
    res.json({
      results: outcomes.map((o) =>
        o.ok
          ? { key: o.key, ok: true }
          : {
              key: o.key,
              ok: false,
              problem: toProblem(o.error, String(req.id ?? ''), `/api/tasks/${o.key}/complete`),
            },
      ),
    });
  });

  r.get('/:key', async (req, res) => {
    res.json(await service.get(currentPrincipal(res), req.params.key));
  });

  r.post('/:key/claim', async (req, res) => {
    await service.claim(currentPrincipal(res), req.params.key);
    res.status(204).end();
  });

  r.post('/:key/unclaim', async (req, res) => {
    await service.unclaim(currentPrincipal(res), req.params.key);
    res.status(204).end();
  });

  r.post('/:key/complete', async (req, res) => {
    const { variables } = parseInput(completeTaskBody, req.body);
    await service.complete(currentPrincipal(res), req.params.key, variables);
    res.status(204).end();
  });

  r.put('/:key/draft', async (req, res) => {
    const { values } = parseInput(draftBody, req.body);
    await service.saveDraft(currentPrincipal(res), req.params.key, values);
    res.status(204).end();
  });

  r.post('/:key/comments', async (req, res) => {
    const { text } = parseInput(commentBody, req.body);
    res.status(201).json(await service.comment(currentPrincipal(res), req.params.key, text));
  });

  return r;
}
