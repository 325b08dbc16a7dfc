import express, { type RequestHandler, type Router } from 'express';
import { toProblem } from '../../http/problem';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  bulkBody,
  bulkResponse,
  commentBody,
  completeTaskBody,
  draftBody,
  listTasksQuery,
  taskDetail,
  taskPage,
  taskParams,
  taskTimelineEntry,
} from './tasks.schema';
import type { TaskService } from './tasks.service';

/**
 * /api/tasks: the task inbox. Every route needs a session (and the CSRF token to change
 * anything); who may see or act on a task is decided per task by the service.
 */
export function createTasksRouter(service: TaskService, requireSession: RequestHandler): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'tasks' });

  api.get(
    '/',
    {
      summary: 'One page of an inbox view (assigned, my groups, completed by me), with counts',
      query: listTasksQuery,
      responses: { 200: { description: 'One page of tasks', schema: taskPage } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );

  api.post(
    '/bulk',
    {
      summary: 'Approve or reject many tasks with one reason (class teachers)',
      description: 'Each key is completed on its own; `results` says per key how it went.',
      body: bulkBody,
      responses: { 200: { description: 'The outcome per key', schema: bulkResponse } },
    },
    async ({ body }, req, res) => {
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
    },
  );

  api.get(
    '/:key',
    {
      summary: 'A task with its form, variables, my draft, my actions, timeline and history',
      params: taskParams,
      responses: { 200: { description: 'The task', schema: taskDetail } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await service.get(currentPrincipal(res), params.key));
    },
  );

  api.post(
    '/:key/claim',
    {
      summary: 'Claim an open task (candidates)',
      params: taskParams,
      responses: { 204: { description: 'Claimed' } },
      errors: [404, 409],
    },
    async ({ params }, _req, res) => {
      await service.claim(currentPrincipal(res), params.key);
      res.status(204).end();
    },
  );

  api.post(
    '/:key/unclaim',
    {
      summary: 'Release a claimed task (its assignee or a school administrator)',
      params: taskParams,
      responses: { 204: { description: 'Released' } },
      errors: [404, 409],
    },
    async ({ params }, _req, res) => {
      await service.unclaim(currentPrincipal(res), params.key);
      res.status(204).end();
    },
  );

  api.post(
    '/:key/complete',
    {
      summary: 'Complete a task with form values, validated against its form',
      params: taskParams,
      body: completeTaskBody,
      responses: { 204: { description: 'Completed' } },
      errors: [404, 409],
    },
    async ({ params, body }, _req, res) => {
      await service.complete(currentPrincipal(res), params.key, body.variables);
      res.status(204).end();
    },
  );

  api.put(
    '/:key/draft',
    {
      summary: 'Save my draft of the form values',
      params: taskParams,
      body: draftBody,
      responses: { 204: { description: 'Saved' } },
      errors: [404, 409],
    },
    async ({ params, body }, _req, res) => {
      await service.saveDraft(currentPrincipal(res), params.key, body.values);
      res.status(204).end();
    },
  );

  api.post(
    '/:key/comments',
    {
      summary: 'Comment on a task',
      params: taskParams,
      body: commentBody,
      responses: { 201: { description: 'The timeline entry', schema: taskTimelineEntry } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      res.status(201).json(await service.comment(currentPrincipal(res), params.key, body.text));
    },
  );

  return r;
}
