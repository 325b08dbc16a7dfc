import { z } from 'zod';

/** POST /api/notifications: a worker sends one notification (idempotent by `key`). */
export const sendNotificationBody = z.strictObject({
  key: z.string().min(1).max(120),
  template: z.string().regex(/^[a-z0-9-]{1,60}$/),
  users: z.array(z.string().min(1).max(64)).max(200).default([]),
  groups: z
    .array(z.string().regex(/^(class|school|county|city):[\w.-]{1,64}:[a-z]{1,20}$/))
    .max(50)
    .default([]),
  data: z.record(z.string(), z.unknown()).default({}),
  processInstanceKey: z.string().max(32).optional(),
});

/** GET /api/notifications. */
export const listNotificationsQuery = z.strictObject({
  unread: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

export type SendNotificationBody = z.infer<typeof sendNotificationBody>;
export type ListNotificationsQuery = z.infer<typeof listNotificationsQuery>;

// responses //////////

/** `GET /api/notifications`: the caller's notifications, newest first. */
export const notificationList = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      template: z.string(),
      title: z.string(),
      body: z.string(),
      data: z.unknown().optional(),
      at: z.string(),
      read: z.boolean(),
    }),
  ),
  total: z.number().int(),
  unread: z.number().int(),
});

/** `POST /api/notifications`: how many recipients were new. */
export const sendNotificationResponse = z.object({
  delivered: z.number().int(),
  duplicates: z.number().int(),
});
