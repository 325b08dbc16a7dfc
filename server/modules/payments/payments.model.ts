import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';
import { type PlaceSettingsDoc, placeSettingsFields } from '../../db/place-settings';

/**
 * WeChat Pay orders, payments, refunds and the daily reconciliation. Every step that must
 * happen once is the insert of a document whose `_id` names it — the only compare-and-swap
 * FerretDB 1.24 has (ADR 0003/0004): an order is its `out_trade_no`, a payment is
 * `paid:<out_trade_no>`, a refund is its `out_refund_no`, a callback its notification id, a
 * day's reconciliation `<mchid>:<date>`, a discrepancy what it is about. Updates afterwards
 * only record what the winner of that insert learnt.
 */

/** The collections of this slice. */
export const PAYMENT_COLLECTIONS = {
  orders: 'payment_orders',
  payments: 'payment_payments',
  refunds: 'payment_refunds',
  notifications: 'payment_notifications',
  reconciliations: 'payment_reconciliations',
  discrepancies: 'payment_discrepancies',
  merchants: 'payment_merchants',
  discrepancyProcesses: 'payment_discrepancy_processes',
} as const;

/**
 * A WeChat Pay order for a bill, `_id` = its `out_trade_no`. A bill's first order uses the
 * number billing derived for it; a later attempt (after the first was closed, or to pay it
 * another way) appends `-2`, `-3`, … so each number is only ever used for one order.
 */
export interface PaymentOrderDoc {
  _id: string;
  billId: string;
  attempt: number;
  mchId: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  studentId: string;
  amountFen: number;
  description: string;
  tradeType: 'JSAPI' | 'NATIVE';
  prepayId?: string;
  codeUrl?: string;
  /** `open` until paid or closed; `paid` from the payment's insert on. */
  state: 'open' | 'paid' | 'closed';
  transactionId?: string;
  paidAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A payment WeChat Pay reported (callback, order query or the trade bill), `_id` =
 * `paid:<out_trade_no>`: inserting it is settling; `reportedAt` is set once billing took it.
 */
export interface PaymentDoc {
  _id: string;
  outTradeNo: string;
  billId: string;
  mchId: string;
  schoolId: string;
  transactionId: string;
  amountFen: number;
  /** When WeChat Pay says the payer paid. */
  successTime: Date;
  /** What billing made of it. */
  outcome?: 'settled' | 'already-settled' | 'duplicate-payment' | 'not-payable';
  reportedAt?: Date;
  /** Which channel told us first. */
  source: 'callback' | 'query' | 'reconciliation';
  at: Date;
}

/** Why money goes back. */
export type RefundReason = 'withdrawal' | 'duplicate-payment';

/** A refund, `_id` = its `out_refund_no`; WeChat Pay treats the same number as the same refund. */
export interface RefundDoc {
  _id: string;
  outTradeNo: string;
  billId: string;
  mchId: string;
  schoolId: string;
  reason: RefundReason;
  refundFen: number;
  totalFen: number;
  /** `requested` before WeChat Pay answered; then its status. */
  state: 'requested' | 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';
  refundId?: string;
  successTime?: Date;
  /** The last error when applying failed (retried by the next sweep). */
  error?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A callback received, `_id` = WeChat Pay's notification id (repeats are recognised). */
export interface NotificationDoc {
  _id: string;
  mchId: string;
  eventType: string;
  outTradeNo?: string;
  outRefundNo?: string;
  receivedAt: Date;
}

/** One merchant's reconciliation of one day, `_id` = `<mchId>:<YYYY-MM-DD>`. */
export interface ReconciliationDoc {
  _id: string;
  mchId: string;
  date: string;
  status: 'running' | 'done' | 'failed';
  startedAt: Date;
  finishedAt?: Date;
  billRows?: number;
  discrepancyCount?: number;
  error?: string;
}

/** What kind of difference the trade bill and our records have. */
export type DiscrepancyKind =
  /** The bill has a payment we have no order for. */
  | 'unknown-payment'
  /** The bill has a payment of our order that we had not settled (a lost callback; settled now). */
  | 'unsettled-payment'
  /** The bill's amount differs from ours. */
  | 'amount-mismatch'
  /** We settled a payment of that day that the bill does not have. */
  | 'missing-in-bill'
  /** The bill has a refund we did not ask for. */
  | 'unknown-refund'
  /** The bill's refund amount differs from ours. */
  | 'refund-amount-mismatch'
  /** A refund we saw succeed that day is not in the bill. */
  | 'refund-missing-in-bill'
  /** A bill was paid twice (two orders); the second payment is refunded. */
  | 'duplicate-payment';

/** A difference found, `_id` = `<kind>:<mchId>:<date>:<reference>` (raised once). */
export interface DiscrepancyDoc {
  _id: string;
  kind: DiscrepancyKind;
  mchId: string;
  date: string;
  cityId?: string;
  countyId?: string;
  schoolId?: string;
  outTradeNo?: string;
  outRefundNo?: string;
  ourFen?: number;
  billFen?: number;
  at: Date;
  resolvedAt?: Date;
  resolvedBy?: string;
  resolution?: string;
}

/**
 * A discrepancy's `payment-discrepancy` process, `_id` = the discrepancy's id, inserted before
 * the first start: `key` is the one instance key the process may have (derived from the
 * discrepancy's id; the engine's insert of its first commit under that key lets one start win
 * however many run at once), `instanceKey` is set once the instance exists. A document with
 * `key` and no `instanceKey` is a process not yet started: the next reconciliation run starts
 * it. (A document of the earlier scheme has no `key`: `instanceKey` when it was started.)
 */
export interface DiscrepancyProcessDoc {
  _id: string;
  key?: string;
  instanceKey?: string;
  at: Date;
}

/**
 * A school's or county's own WeChat Pay merchant, `_id` = `wechatpay:<school|county>:<id>`;
 * the secrets are sealed (server/db/place-settings.ts) and never leave the server.
 */
export interface MerchantSettingsDoc extends PlaceSettingsDoc {
  mchId: string;
  appId: string;
  serialNo: string;
  /** Sealed: the merchant API private key (PEM). */
  privateKeySealed: string;
  /** Sealed: the APIv3 key. */
  apiV3KeySealed: string;
  publicKeyId?: string;
  publicKeyPem?: string;
}

/** This slice's models. */
export interface PaymentModels {
  orders: Model<PaymentOrderDoc>;
  payments: Model<PaymentDoc>;
  refunds: Model<RefundDoc>;
  notifications: Model<NotificationDoc>;
  reconciliations: Model<ReconciliationDoc>;
  discrepancies: Model<DiscrepancyDoc>;
  merchants: Model<MerchantSettingsDoc>;
  discrepancyProcesses: Model<DiscrepancyProcessDoc>;
}

const opts = { versionKey: false } as const;

const orderSchema = new Schema<PaymentOrderDoc>(
  {
    _id: String,
    billId: { type: String, required: true },
    attempt: { type: Number, required: true },
    mchId: { type: String, required: true },
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    studentId: { type: String, required: true },
    amountFen: { type: Number, required: true },
    description: { type: String, required: true },
    tradeType: { type: String, required: true },
    prepayId: String,
    codeUrl: String,
    state: { type: String, required: true },
    transactionId: String,
    paidAt: Date,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  opts,
);

const paymentSchema = new Schema<PaymentDoc>(
  {
    _id: String,
    outTradeNo: { type: String, required: true },
    billId: { type: String, required: true },
    mchId: { type: String, required: true },
    schoolId: { type: String, required: true },
    transactionId: { type: String, required: true },
    amountFen: { type: Number, required: true },
    successTime: { type: Date, required: true },
    outcome: String,
    reportedAt: Date,
    source: { type: String, required: true },
    at: { type: Date, required: true },
  },
  opts,
);

const refundSchema = new Schema<RefundDoc>(
  {
    _id: String,
    outTradeNo: { type: String, required: true },
    billId: { type: String, required: true },
    mchId: { type: String, required: true },
    schoolId: { type: String, required: true },
    reason: { type: String, required: true },
    refundFen: { type: Number, required: true },
    totalFen: { type: Number, required: true },
    state: { type: String, required: true },
    refundId: String,
    successTime: Date,
    error: String,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  opts,
);

const notificationSchema = new Schema<NotificationDoc>(
  {
    _id: String,
    mchId: { type: String, required: true },
    eventType: { type: String, required: true },
    outTradeNo: String,
    outRefundNo: String,
    receivedAt: { type: Date, required: true },
  },
  opts,
);

const reconciliationSchema = new Schema<ReconciliationDoc>(
  {
    _id: String,
    mchId: { type: String, required: true },
    date: { type: String, required: true },
    status: { type: String, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: Date,
    billRows: Number,
    discrepancyCount: Number,
    error: String,
  },
  opts,
);

const discrepancySchema = new Schema<DiscrepancyDoc>(
  {
    _id: String,
    kind: { type: String, required: true },
    mchId: { type: String, required: true },
    date: { type: String, required: true },
    cityId: String,
    countyId: String,
    schoolId: String,
    outTradeNo: String,
    outRefundNo: String,
    ourFen: Number,
    billFen: Number,
    at: { type: Date, required: true },
    resolvedAt: Date,
    resolvedBy: String,
    resolution: String,
  },
  opts,
);

const merchantSchema = new Schema<MerchantSettingsDoc>(
  {
    ...placeSettingsFields,
    mchId: { type: String, required: true },
    appId: { type: String, required: true },
    serialNo: { type: String, required: true },
    privateKeySealed: { type: String, required: true },
    apiV3KeySealed: { type: String, required: true },
    publicKeyId: String,
    publicKeyPem: String,
  },
  opts,
);

const discrepancyProcessSchema = new Schema<DiscrepancyProcessDoc>(
  {
    _id: String,
    key: String,
    instanceKey: String,
    at: { type: Date, required: true },
  },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function paymentModels(connection: Connection): PaymentModels {
  const c = PAYMENT_COLLECTIONS;
  return {
    orders: registerModel(connection, 'PaymentOrder', orderSchema, c.orders),
    payments: registerModel(connection, 'PaymentPayment', paymentSchema, c.payments),
    refunds: registerModel(connection, 'PaymentRefund', refundSchema, c.refunds),
    notifications: registerModel(
      connection,
      'PaymentNotification',
      notificationSchema,
      c.notifications,
    ),
    reconciliations: registerModel(
      connection,
      'PaymentReconciliation',
      reconciliationSchema,
      c.reconciliations,
    ),
    discrepancies: registerModel(
      connection,
      'PaymentDiscrepancy',
      discrepancySchema,
      c.discrepancies,
    ),
    merchants: registerModel(connection, 'PaymentMerchant', merchantSchema, c.merchants),
    discrepancyProcesses: registerModel(
      connection,
      'PaymentDiscrepancyProcess',
      discrepancyProcessSchema,
      c.discrepancyProcesses,
    ),
  };
}
