import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice. */
export const NOTIFICATION_COLLECTIONS = { notifications: 'notifications' } as const;

/**
 * One in-app notification to one recipient: a user (`user:<id>`) or a candidate group
 * (`group:class:<id>:teacher`, read by everyone in it). `_id` is `<key>|<recipient>`, so a
 * job delivered twice notifies each recipient once. The record is also the delivery log per
 * recipient (`channel`, `outcome`) that the WeCom channel will extend.
 */
export interface NotificationDoc {
  _id: string;
  key: string;
  recipient: string;
  template: string;
  title: string;
  body: string;
  /** JSON of the template's data (no personal data: ids and rule citations). */
  data?: string;
  processInstanceKey?: string;
  channel: 'in-app';
  outcome: 'delivered';
  at: Date;
  readAt?: Date;
}

/** This slice's models. */
export interface NotificationModels {
  notifications: Model<NotificationDoc>;
}

const schema = new Schema<NotificationDoc>(
  {
    _id: String,
    key: { type: String, required: true },
    recipient: { type: String, required: true },
    template: { type: String, required: true },
    title: { type: String, required: true },
    body: { type: String, required: true },
    data: String,
    processInstanceKey: String,
    channel: { type: String, required: true },
    outcome: { type: String, required: true },
    at: { type: Date, required: true },
    readAt: Date,
  },
  { versionKey: false },
);

/** Registers (once) and returns this slice's models on `connection`. */
export function notificationModels(connection: Connection): NotificationModels {
  return {
    notifications: registerModel(
      connection,
      'Notification',
      schema,
      NOTIFICATION_COLLECTIONS.notifications,
    ),
  };
}
