import type { Principal } from '../../auth/principal';
import { isDuplicateKey } from '../../db/models';
import { UserError } from '../../lib/errors';
import { hasMessage, t, type MessageKey } from '../../lib/i18n';
import type { NotificationDoc, NotificationModels } from './notifications.model';
import type { ListNotificationsQuery, SendNotificationBody } from './notifications.schema';

/** A notification as its reader sees it. */
export interface NotificationView {
  id: string;
  template: string;
  title: string;
  body: string;
  data?: unknown;
  at: string;
  read: boolean;
}

/** A notification recorded for one recipient, as other channels (WeCom) are told of it. */
export interface RecordedNotification {
  /** `<key>|<recipient>`, the in-app notification's id. */
  id: string;
  recipient: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

/** A channel told of notifications to users; idempotent per `id`. */
export type NotificationObserver = (n: RecordedNotification) => Promise<unknown>;

/**
 * In-app notifications (the fallback channel of PLATFORM-WECOM): sent by the `notify` worker
 * to users and candidate groups, read by each person in their own list. Texts come from the
 * zh-CN table (`notify.<template>.title|body`), filled with the data's scalar values.
 */
export class NotificationService {
  private readonly observers: NotificationObserver[] = [];

  constructor(private readonly m: NotificationModels) {}

  /**
   * Adds a channel that is told of every notification to a user or group, new or repeated (so
   * a job retried after a crash still reaches it); the WeCom channel queues its messages there.
   */
  observe(observer: NotificationObserver): void {
    this.observers.push(observer);
  }

  /** Sends once per key and recipient; answers how many recipients were new. */
  async send(
    p: Principal,
    body: SendNotificationBody,
  ): Promise<{ delivered: number; duplicates: number }> {
    if (!p.roles.includes('worker'))
      throw new UserError(
        403,
        'FORBIDDEN',
        'error.forbidden',
        'only job workers send notifications',
      );
    return this.deliver(body);
  }

  /**
   * Sends once per key and recipient without a caller: for what the server itself reports
   * (payment discrepancies found by the daily reconciliation). Workers go through `send`.
   */
  async deliver(body: SendNotificationBody): Promise<{ delivered: number; duplicates: number }> {
    const recipients = [
      ...new Set([...body.users.map((u) => `user:${u}`), ...body.groups.map((g) => `group:${g}`)]),
    ];
    if (recipients.length === 0)
      throw new UserError(400, 'NO_RECIPIENTS', 'error.validation', 'users or groups are required');
    const params = Object.fromEntries(
      Object.entries(body.data).filter(
        (e): e is [string, string | number] => typeof e[1] === 'string' || typeof e[1] === 'number',
      ),
    );
    const title = text(`notify.${body.template}.title`, 'notify.generic.title', params);
    const text_ = text(`notify.${body.template}.body`, 'notify.generic.body', params);
    let delivered = 0;
    for (const recipient of recipients) {
      try {
        await this.m.notifications.create({
          _id: `${body.key}|${recipient}`,
          key: body.key,
          recipient,
          template: body.template,
          title,
          body: text_,
          ...(Object.keys(body.data).length ? { data: JSON.stringify(body.data) } : {}),
          ...(body.processInstanceKey ? { processInstanceKey: body.processInstanceKey } : {}),
          channel: 'in-app',
          outcome: 'delivered',
          at: new Date(),
        } satisfies NotificationDoc);
        delivered++;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      for (const tell of this.observers)
        await tell({
          id: `${body.key}|${recipient}`,
          recipient,
          title,
          body: text_,
          data: body.data,
        });
    }
    return { delivered, duplicates: recipients.length - delivered };
  }

  /** The caller's notifications: to them and to their candidate groups, newest first. */
  async list(
    p: Principal,
    q: ListNotificationsQuery,
  ): Promise<{ items: NotificationView[]; total: number; unread: number }> {
    const mine = [`user:${p.userId}`, ...p.groups.map((g) => `group:${g}`)];
    const all = await this.m.notifications
      .find({ recipient: { $in: mine } })
      .sort({ at: -1 })
      .lean<NotificationDoc[]>();
    const unread = all.filter((n) => !n.readAt).length;
    const rows = q.unread === 'true' ? all.filter((n) => !n.readAt) : all;
    return {
      items: rows.slice(q.offset, q.offset + q.limit).map((n) => ({
        id: n._id,
        template: n.template,
        title: n.title,
        body: n.body,
        ...(n.data ? { data: JSON.parse(n.data) as unknown } : {}),
        at: n.at.toISOString(),
        read: Boolean(n.readAt),
      })),
      total: rows.length,
      unread,
    };
  }
}

function text(key: string, fallback: MessageKey, params: Record<string, string | number>): string {
  return t(hasMessage(key) ? key : fallback, params);
}
