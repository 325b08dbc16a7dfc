import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { Engine } from '../../engine/engine';
import { TASK_COLLECTIONS, taskModels } from './tasks.model';
import { createTasksRouter } from './tasks.router';
import { TaskService } from './tasks.service';

/** Creates the task inbox module (ensuring its collections) and its /api/tasks router. */
export async function createTasks(deps: {
  db: Database;
  engine: Engine;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: TaskService }> {
  await deps.db.ensureCollections(Object.values(TASK_COLLECTIONS));
  const service = new TaskService(deps.engine, taskModels(deps.db.connection));
  return { router: createTasksRouter(service, deps.requireSession), service };
}
