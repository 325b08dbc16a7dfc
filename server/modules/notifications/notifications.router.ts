import express, { type RequestHandler, type Router } from 'express';
import { parseInput } from '../../http/validate';
import { currentPrincipal } from '../auth';
import { listNotificationsQuery, sendNotificationBody } from './notifications.schema';
import type { NotificationService } from './notifications.service';

/** /api/notifications: a person's in-app notifications; job workers send them. */
export function createNotificationsRouter(
  service: NotificationService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  r.get('/', async (req, res) => {
    res.json(
      await service.list(currentPrincipal(res), parseInput(listNotificationsQuery, req.query)),
    );
  });
  r.post('/', async (req, res) => {
    res.json(await service.send(currentPrincipal(res), parseInput(sendNotificationBody, req.body)));
  });
  return r;
}
