import { groupsOf, parseGroup } from '../../auth/groups';
import { isDuplicateKey } from '../../db/models';
import {
  WecomApiError,
  WecomTransportError,
  type WecomCard,
} from '../../integrations/wecom/client';
import type { Logger } from '../../lib/logger';
import type { RecordedNotification } from '../notifications/notifications.service';
import type { UserDoc, UserModels } from '../users/users.model';
import type { WecomApps, OpenedApp } from './apps';
import type {
  WecomDeliveryDoc,
  WecomModels,
  WecomOutcome,
  WecomQueueDoc,
  WecomRecipientKind,
} from './wecom.model';

/** WeCom's limit per app and person (每应用对同一个成员): 30 a minute, 1,000 an hour. */
export const PERSON_LIMITS = [
  { window: 'm', ms: 60_000, max: 30 },
  { window: 'h', ms: 3600_000, max: 1000 },
] as const;

/** After this many failed attempts a message is given up (the in-app one stays). */
const MAX_ATTEMPTS = 8;
/** A lease older than this belongs to a drainer that died. */
const LEASE_MS = 5 * 60_000;
/** A group's members reached by WeCom at most. */
export const GROUP_MEMBERS_MAX = 200;
/** How often used slots are swept away. */
const SWEEP_MS = 10 * 60_000;
/** Recipients per API call. */
const BATCH = 1000;

/** What one drain did. */
export interface DrainResult {
  sent: number;
  undeliverable: number;
  deferred: number;
}

/**
 * The WeCom channel of notifications: each in-app notification to a person with a linked WeCom
 * identity (a member's UserID, a parent's parent_userid) is queued for their school's (or
 * county's) app; a drain sends what is due, grouped into one call per notification and app,
 * within each person's limits. A message beyond a limit waits in the queue for the next
 * window; a transient failure backs off; each recipient's outcome is recorded once. The in-app
 * notification is always there, whatever WeCom does.
 */
export class WecomDelivery {
  private timer?: NodeJS.Timeout;
  private running?: Promise<DrainResult>;
  private lastSweep = 0;

  constructor(
    private readonly m: WecomModels,
    private readonly users: Pick<UserModels, 'users'>,
    private readonly apps: WecomApps,
    private readonly opts: { logger: Logger; now?: () => Date },
  ) {}

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }

  /**
   * Queues WeCom messages for a recorded notification (idempotent: a message already queued or
   * delivered is not queued again). A candidate group reaches its members (at most
   * {@link GROUP_MEMBERS_MAX}); someone named directly and through a group gets one message.
   */
  async enqueue(n: RecordedNotification): Promise<number> {
    const key = n.id.slice(0, n.id.lastIndexOf('|'));
    let users: UserDoc[] = [];
    if (n.recipient.startsWith('user:')) {
      const user = await this.users.users.findById(n.recipient.slice(5)).lean<UserDoc>();
      users = user ? [user] : [];
    } else if (n.recipient.startsWith('group:')) users = await this.membersOf(n.recipient.slice(6));
    let queued = 0;
    for (const user of users) queued += await this.enqueueFor(user, `${key}|user:${user._id}`, n);
    return queued;
  }

  /** Sends what is due; one drain at a time per process. */
  drain(): Promise<DrainResult> {
    this.running ??= this.drainOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Drains every `intervalMs` until {@link stop}. */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.drain().catch((err: unknown) =>
        this.opts.logger.error({ err }, 'WeCom delivery failed'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running drain. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** The recorded deliveries of a notification key (every recipient). */
  async deliveriesOf(notificationIds: string[]): Promise<WecomDeliveryDoc[]> {
    return this.m.deliveries.find({ notificationId: { $in: notificationIds } }).lean();
  }

  // helpers //////////

  /** Queues one person's messages, one per linked WeCom identity with an app at their places. */
  private async enqueueFor(
    user: UserDoc,
    notificationId: string,
    n: RecordedNotification,
  ): Promise<number> {
    if (!user.externalIds?.length || user.disabled) return 0;
    const places = placesOf(user);
    let queued = 0;
    for (const ext of user.externalIds) {
      const kind: WecomRecipientKind = ext.provider === 'wecom' ? 'member' : 'parent';
      const wecomUserId = kind === 'member' ? ext.userId : ext.externalUserId;
      if (!wecomUserId) continue;
      const app = await this.appOf(places, ext.corpId);
      if (!app) continue;
      const id = `${notificationId}|${ext.corpId}|${kind}`;
      if (await this.m.deliveries.exists({ _id: id })) continue;
      const now = this.now();
      try {
        await this.m.queue.create({
          _id: id,
          notificationId,
          batchKey: `${n.id.slice(0, n.id.lastIndexOf('|'))}|${app.doc._id}|${kind}`,
          appId: app.doc._id,
          corpId: ext.corpId,
          kind,
          wecomUserId,
          userId: user._id,
          title: n.title,
          description: n.body,
          url: this.linkOf(n),
          attempts: 0,
          notBefore: now,
          queuedAt: now,
        } satisfies WecomQueueDoc);
        queued++;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    return queued;
  }

  /**
   * The members of a candidate group who have a WeCom identity: users with a membership at the
   * group's place whose groups include it (a scan of the users; FerretDB serves only `_id`
   * from an index, so the result is capped).
   */
  private async membersOf(group: string): Promise<UserDoc[]> {
    const ref = parseGroup(group);
    if (!ref) return [];
    const field = `memberships.scope.${ref.level}Id`;
    const candidates = await this.users.users
      .find({ [field]: ref.id })
      .limit(GROUP_MEMBERS_MAX)
      .lean<UserDoc[]>();
    return candidates.filter(
      (u) => u.externalIds?.length && groupsOf(u.memberships).includes(group),
    );
  }

  private async drainOnce(): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, undeliverable: 0, deferred: 0 };
    const now = this.now();
    if (now.getTime() - this.lastSweep > SWEEP_MS) {
      // slots older than the longest window count nothing any more
      this.lastSweep = now.getTime();
      await this.m.slots.deleteMany({ at: { $lt: new Date(now.getTime() - 2 * 3600_000) } });
    }
    const due = await this.m.queue
      .find({ notBefore: { $lte: now } })
      .sort({ queuedAt: 1 })
      .limit(2000)
      .lean<WecomQueueDoc[]>();
    const batches = new Map<string, WecomQueueDoc[]>();
    for (const row of due) {
      if (!(await this.lease(row, now))) continue;
      const wait = await this.takeSlots(row, now);
      if (wait) {
        await this.defer(row, wait, undefined, false);
        result.deferred++;
        continue;
      }
      const list = batches.get(row.batchKey) ?? [];
      list.push(row);
      batches.set(row.batchKey, list);
    }
    for (const rows of batches.values())
      for (let i = 0; i < rows.length; i += BATCH) {
        const r = await this.sendBatch(rows.slice(i, i + BATCH), now);
        result.sent += r.sent;
        result.undeliverable += r.undeliverable;
        result.deferred += r.deferred;
      }
    return result;
  }

  private async sendBatch(rows: WecomQueueDoc[], now: Date): Promise<DrainResult> {
    const first = rows[0]!;
    const card: WecomCard = { title: first.title, description: first.description, url: first.url };
    let app: OpenedApp | undefined;
    try {
      app = await this.apps.byId(first.appId);
    } catch (err) {
      this.opts.logger.warn({ appId: first.appId, err }, 'WeCom app cannot be opened');
    }
    if (!app) {
      for (const row of rows) await this.record(row, 'config-error', now);
      return { sent: 0, undeliverable: rows.length, deferred: 0 };
    }
    const ids = rows.map((r) => r.wecomUserId);
    try {
      const invalid = new Map<string, WecomOutcome>();
      let msgId: string | undefined;
      if (first.kind === 'member') {
        const r = await app.client.sendAppMessage({
          toUsers: ids,
          card,
          style: app.doc.cardStyle ?? 'textcard',
        });
        msgId = r.msgId;
        for (const u of r.invalidUsers) invalid.set(u.toLowerCase(), 'invaliduser');
        for (const u of r.unlicensedUsers) invalid.set(u.toLowerCase(), 'unlicensed');
      } else {
        const r = await app.client.sendSchoolMessage({ toParents: ids, recvScope: 1, card });
        for (const u of r.invalidParents) invalid.set(u.toLowerCase(), 'invalid-parent');
      }
      let sent = 0;
      for (const row of rows) {
        const outcome = invalid.get(row.wecomUserId.toLowerCase()) ?? 'sent';
        if (outcome === 'sent') sent++;
        await this.record(row, outcome, now, { ...(msgId ? { msgId } : {}) });
      }
      this.opts.logger.info(
        { appId: first.appId, kind: first.kind, sent, undeliverable: rows.length - sent },
        'WeCom messages sent',
      );
      return { sent, undeliverable: rows.length - sent, deferred: 0 };
    } catch (err) {
      return this.failed(rows, err, now);
    }
  }

  private async failed(rows: WecomQueueDoc[], err: unknown, now: Date): Promise<DrainResult> {
    const appId = rows[0]!.appId;
    if (err instanceof WecomApiError && !err.isTransient) {
      const outcome: WecomOutcome = err.kind === 'config' ? 'config-error' : 'refused';
      this.opts.logger.warn({ appId, errcode: err.errcode, outcome }, 'WeCom refused messages');
      for (const row of rows) await this.record(row, outcome, now, { errcode: err.errcode });
      return { sent: 0, undeliverable: rows.length, deferred: 0 };
    }
    if (!(err instanceof WecomApiError) && !(err instanceof WecomTransportError)) throw err;
    const errcode = err instanceof WecomApiError ? err.errcode : undefined;
    this.opts.logger.warn({ appId, errcode, why: err.message }, 'WeCom delivery deferred');
    let undeliverable = 0;
    for (const row of rows) {
      if (row.attempts + 1 >= MAX_ATTEMPTS) {
        await this.record(row, 'gave-up', now, errcode !== undefined ? { errcode } : {});
        undeliverable++;
        continue;
      }
      const backoff = Math.max(
        err instanceof WecomApiError ? (err.retryAfterMs ?? 0) : 0,
        30_000 * 2 ** row.attempts,
      );
      await this.defer(row, new Date(now.getTime() + backoff), err.message, true);
    }
    return { sent: 0, undeliverable, deferred: rows.length - undeliverable };
  }

  /** Records the outcome of one recipient once and takes the message off the queue. */
  private async record(
    row: WecomQueueDoc,
    outcome: WecomOutcome,
    now: Date,
    extra: { errcode?: number; msgId?: string } = {},
  ): Promise<void> {
    try {
      await this.m.deliveries.create({
        _id: row._id,
        notificationId: row.notificationId,
        appId: row.appId,
        corpId: row.corpId,
        kind: row.kind,
        wecomUserId: row.wecomUserId,
        userId: row.userId,
        outcome,
        ...extra,
        attempts: row.attempts + 1,
        queuedAt: row.queuedAt,
        at: now,
      } satisfies WecomDeliveryDoc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    await this.m.queue.deleteOne({ _id: row._id });
    await this.m.leases.deleteOne({ _id: leaseId(row) });
  }

  private async defer(
    row: WecomQueueDoc,
    until: Date,
    why: string | undefined,
    isAttempt: boolean,
  ): Promise<void> {
    await this.m.queue.updateOne(
      { _id: row._id },
      {
        $set: {
          notBefore: until,
          ...(isAttempt ? { attempts: row.attempts + 1 } : {}),
          ...(why ? { lastError: why } : {}),
        },
      },
    );
    await this.m.leases.deleteOne({ _id: leaseId(row) });
  }

  /**
   * Claims this attempt of a queued message (insert-CAS on `<id>|<attempts>|<notBefore>`), so
   * two drainers never send it twice; a claim older than {@link LEASE_MS} is taken over.
   */
  private async lease(row: WecomQueueDoc, now: Date): Promise<boolean> {
    const id = leaseId(row);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.m.leases.create({ _id: id, at: now });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const held = await this.m.leases.findById(id).lean();
      if (!held || now.getTime() - held.at.getTime() < LEASE_MS) return false;
      await this.m.leases.deleteOne({ _id: id });
    }
    return false;
  }

  /**
   * Takes one slot of the person's budget in each window, or answers when to try again.
   * Slots of a window are numbered from 0 and taken in order by inserting their `_id`; slot n
   * of this window is usable only once slot n of the previous window is a full window old, so
   * no rolling minute (or hour) ever holds more than the limit.
   */
  private async takeSlots(row: WecomQueueDoc, now: Date): Promise<Date | undefined> {
    const person = `${row.appId}|${row.kind}:${row.wecomUserId.toLowerCase()}`;
    const at = now.getTime();
    const taken: string[] = [];
    for (const w of PERSON_LIMITS) {
      const bucket = Math.floor(at / w.ms);
      const prefix = `${w.window}|${person}|${bucket}|`;
      let n = await this.firstFree(prefix, w.max);
      let slotId: string | undefined;
      while (n < w.max) {
        const previous = await this.m.slots.findById(`${w.window}|${person}|${bucket - 1}|${n}`);
        if (previous && previous.at.getTime() > at - w.ms) {
          await this.release(taken);
          return new Date(previous.at.getTime() + w.ms);
        }
        try {
          await this.m.slots.create({ _id: `${prefix}${n}`, at: now });
          slotId = `${prefix}${n}`;
          break;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          n++;
        }
      }
      if (!slotId) {
        await this.release(taken);
        return new Date((bucket + 1) * w.ms);
      }
      taken.push(slotId);
    }
    return undefined;
  }

  /** Gives back slots taken for a message that waits after all (the last ones, in order). */
  private async release(slotIds: string[]): Promise<void> {
    for (const id of slotIds.reverse()) await this.m.slots.deleteOne({ _id: id });
  }

  /** The lowest free slot number of a window (slots are taken from 0 without gaps). */
  private async firstFree(prefix: string, max: number): Promise<number> {
    let lo = 0;
    let hi = max;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (await this.m.slots.exists({ _id: `${prefix}${mid}` })) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private async appOf(
    places: { schoolId?: string; countyId?: string }[],
    corpId: string,
  ): Promise<OpenedApp | undefined> {
    for (const place of places) {
      try {
        const app = await this.apps.forSchool(place);
        if (app?.doc.corpId === corpId) return app;
      } catch (err) {
        this.opts.logger.warn({ err, ...place }, 'WeCom app cannot be opened');
      }
    }
    return undefined;
  }

  /**
   * The task when the notification names one, else the person's notifications. The key in the
   * link keeps WeCom's duplicate check to repeats of this notification: two notifications with
   * the same text are different messages.
   */
  private linkOf(n: RecordedNotification): string {
    const taskKey = n.data.taskKey;
    const base = this.apps.base();
    if (typeof taskKey === 'string' && /^\d{1,20}$/.test(taskKey))
      return `${base}/tasks/${taskKey}`;
    return `${base}/notifications?n=${encodeURIComponent(n.id.slice(0, n.id.lastIndexOf('|')))}`;
  }
}

function leaseId(row: WecomQueueDoc): string {
  return `${row._id}|${row.attempts}|${row.notBefore.getTime()}`;
}

/** The schools (or counties, for bureau staff) of a user's memberships. */
function placesOf(user: UserDoc): { schoolId?: string; countyId?: string }[] {
  const seen = new Set<string>();
  const places: { schoolId?: string; countyId?: string }[] = [];
  for (const m of user.memberships) {
    const place = m.scope.schoolId
      ? { schoolId: m.scope.schoolId, countyId: m.scope.countyId }
      : m.scope.countyId
        ? { countyId: m.scope.countyId }
        : undefined;
    const key = place && `${place.schoolId ?? ''}/${place.countyId ?? ''}`;
    if (place && key && !seen.has(key)) {
      seen.add(key);
      places.push(place);
    }
  }
  return places;
}
