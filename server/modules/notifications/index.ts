import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { NOTIFICATION_COLLECTIONS, notificationModels } from './notifications.model';
import { createNotificationsRouter } from './notifications.router';
import { NotificationService } from './notifications.service';

/** Creates the in-app notification slice and its /api/notifications router. */
export async function createNotifications(deps: {
  db: Database;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: NotificationService }> {
  await deps.db.ensureCollections(Object.values(NOTIFICATION_COLLECTIONS));
  const service = new NotificationService(notificationModels(deps.db.connection));
  return { router: createNotificationsRouter(service, deps.requireSession), service };
}
