import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';
import { type PlaceSettingsDoc, placeSettingsFields } from '../../db/place-settings';

/** The collections of this slice, for `Database.ensureCollections`. */
export const WECOM_COLLECTIONS = {
  apps: 'wecom_apps',
  queue: 'wecom_queue',
  deliveries: 'wecom_deliveries',
  slots: 'wecom_slots',
  leases: 'wecom_leases',
  events: 'wecom_events',
} as const;

/**
 * A school's or county's WeCom app (`wecom:<level>:<placeId>`): the corp, the app's AgentId,
 * its Secret and the callback Token and EncodingAESKey, sealed (server/db/place-settings.ts).
 * Never logged, never sent.
 */
export interface WecomAppDoc extends PlaceSettingsDoc {
  corpId: string;
  agentId: number;
  /** How staff messages look (default `textcard`). */
  cardStyle?: 'textcard' | 'template_card';
  secretSealed: string;
  callbackTokenSealed?: string;
  encodingAesKeySealed?: string;
}

/** Who a queued message goes to: a member (staff) or a parent of the school contact book. */
export type WecomRecipientKind = 'member' | 'parent';

/**
 * A message waiting to go out, one per in-app notification and WeCom identity
 * (`<notificationId>|<corpId>`). It leaves the queue when its delivery is recorded; until
 * then it waits for `notBefore` (a person's limit, a back-off).
 */
export interface WecomQueueDoc {
  _id: string;
  notificationId: string;
  /** Messages of the same notification to the same app go out in one call. */
  batchKey: string;
  appId: string;
  corpId: string;
  kind: WecomRecipientKind;
  /** The member's UserID or the parent's parent_userid. */
  wecomUserId: string;
  userId: string;
  title: string;
  description: string;
  url: string;
  attempts: number;
  notBefore: Date;
  queuedAt: Date;
  lastError?: string;
}

/** How one recipient's delivery ended. */
export type WecomOutcome =
  'sent' | 'invaliduser' | 'unlicensed' | 'invalid-parent' | 'config-error' | 'refused' | 'gave-up';

/** The record of one recipient's delivery (same `_id` as its queue entry). */
export interface WecomDeliveryDoc {
  _id: string;
  notificationId: string;
  appId: string;
  corpId: string;
  kind: WecomRecipientKind;
  wecomUserId: string;
  userId: string;
  outcome: WecomOutcome;
  errcode?: number;
  msgId?: string;
  attempts: number;
  queuedAt: Date;
  at: Date;
}

/**
 * One use of a person's per-app budget (`<window>|<appId>|<kind>:<wecomUserId>|<bucket>|<n>`):
 * inserting slot n is the compare-and-swap that counts the n-th message of that minute or hour.
 */
export interface WecomSlotDoc {
  _id: string;
  at: Date;
}

/**
 * A drainer's claim on one attempt of a queued message (`<queueId>|<attempt>`), or a contact
 * callback's on a child's guardian list (`guardians|<studentId>`).
 */
export interface WecomLeaseDoc {
  _id: string;
  at: Date;
}

/** A callback event seen (`<appId>|<event key>`), so a repeated callback changes nothing. */
export interface WecomEventDoc {
  _id: string;
  appId: string;
  event: string;
  changeType?: string;
  wecomId?: string;
  outcome: string;
  at: Date;
}

/** This slice's models. */
export interface WecomModels {
  apps: Model<WecomAppDoc>;
  queue: Model<WecomQueueDoc>;
  deliveries: Model<WecomDeliveryDoc>;
  slots: Model<WecomSlotDoc>;
  leases: Model<WecomLeaseDoc>;
  events: Model<WecomEventDoc>;
}

const opts = { versionKey: false } as const;

const appSchema = new Schema<WecomAppDoc>(
  {
    ...placeSettingsFields,
    corpId: { type: String, required: true },
    agentId: { type: Number, required: true },
    cardStyle: { type: String, enum: ['textcard', 'template_card'] },
    secretSealed: { type: String, required: true },
    callbackTokenSealed: String,
    encodingAesKeySealed: String,
  },
  opts,
);

const queueSchema = new Schema<WecomQueueDoc>(
  {
    _id: String,
    notificationId: { type: String, required: true },
    batchKey: { type: String, required: true },
    appId: { type: String, required: true },
    corpId: { type: String, required: true },
    kind: { type: String, enum: ['member', 'parent'], required: true },
    wecomUserId: { type: String, required: true },
    userId: { type: String, required: true },
    title: { type: String, required: true },
    description: { type: String, required: true },
    url: { type: String, required: true },
    attempts: { type: Number, required: true },
    notBefore: { type: Date, required: true },
    queuedAt: { type: Date, required: true },
    lastError: String,
  },
  opts,
);

const deliverySchema = new Schema<WecomDeliveryDoc>(
  {
    _id: String,
    notificationId: { type: String, required: true },
    appId: { type: String, required: true },
    corpId: { type: String, required: true },
    kind: { type: String, enum: ['member', 'parent'], required: true },
    wecomUserId: { type: String, required: true },
    userId: { type: String, required: true },
    outcome: { type: String, required: true },
    errcode: Number,
    msgId: String,
    attempts: { type: Number, required: true },
    queuedAt: { type: Date, required: true },
    at: { type: Date, required: true },
  },
  opts,
);

const slotSchema = new Schema<WecomSlotDoc>(
  { _id: String, at: { type: Date, required: true } },
  opts,
);
const leaseSchema = new Schema<WecomLeaseDoc>(
  { _id: String, at: { type: Date, required: true } },
  opts,
);

const eventSchema = new Schema<WecomEventDoc>(
  {
    _id: String,
    appId: { type: String, required: true },
    event: { type: String, required: true },
    changeType: String,
    wecomId: String,
    outcome: { type: String, required: true },
    at: { type: Date, required: true },
  },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function wecomModels(connection: Connection): WecomModels {
  const c = WECOM_COLLECTIONS;
  return {
    apps: registerModel(connection, 'WecomApp', appSchema, c.apps),
    queue: registerModel(connection, 'WecomQueue', queueSchema, c.queue),
    deliveries: registerModel(connection, 'WecomDelivery', deliverySchema, c.deliveries),
    slots: registerModel(connection, 'WecomSlot', slotSchema, c.slots),
    leases: registerModel(connection, 'WecomLease', leaseSchema, c.leases),
    events: registerModel(connection, 'WecomEvent', eventSchema, c.events),
  };
}
