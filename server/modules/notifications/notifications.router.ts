import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  listNotificationsQuery,
  notificationList,
  sendNotificationBody,
  sendNotificationResponse,
} from './notifications.schema';
import type { NotificationService } from './notifications.service';

/** /api/notifications: a person's in-app notifications; job workers send them. */
export function createNotificationsRouter(
  service: NotificationService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'notifications' });
  api.get(
    '/',
    {
      summary: "The caller's in-app notifications, newest first",
      query: listNotificationsQuery,
      responses: { 200: { description: 'One page of notifications', schema: notificationList } },
    },
    async ({ query }, _req, res) => {
      res.json(await service.list(currentPrincipal(res), query));
    },
  );
  api.post(
    '/',
    {
      summary: 'Send a notification to users and candidate groups (job workers; idempotent by key)',
      body: sendNotificationBody,
      responses: { 200: { description: 'Delivered', schema: sendNotificationResponse } },
    },
    async ({ body }, _req, res) => {
      res.json(await service.send(currentPrincipal(res), body));
    },
  );
  return r;
}
