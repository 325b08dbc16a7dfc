import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { Engine } from '../../engine/engine';
import { UserService } from '../users/users.service';
import { createMonitorRouter } from './monitor.router';
import { MonitorService } from './monitor.service';

/** Creates the instance monitor and its /api/monitor router. */
export function createMonitor(deps: {
  db: Database;
  engine: Engine;
  requireSession: RequestHandler;
}): { router: Router; service: MonitorService } {
  const service = new MonitorService(deps.engine, new UserService(deps.db));
  return { router: createMonitorRouter(service, deps.requireSession), service };
}
