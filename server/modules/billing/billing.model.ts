import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/**
 * Monthly bills, their payment orders, settlements and withdrawals, and each school's earmarked
 * ledger (四(二) 经费保障). Every document carries the ids of its place (cityId, countyId, schoolId)
 * for authorization. Idempotency rests on `_id`s derived from what a document is about (a bill
 * per application and month, one settlement and one withdrawal per bill, one income and one
 * refund entry per bill), inserted once: FerretDB 1.24 has no other compare-and-swap (ADR
 * 0003/0004). A bill's status, amount, payment and withdrawal fields are a view of its
 * settlement and withdrawal, repaired from them by the next writer or reader.
 */

/** The collections of this slice, for `Database.ensureCollections`. */
export const BILLING_COLLECTIONS = {
  bills: 'billing_bills',
  paymentOrders: 'billing_payment_orders',
  settlements: 'billing_settlements',
  withdrawals: 'billing_withdrawals',
  ledger: 'billing_ledger',
  monthCloses: 'billing_month_closes',
} as const;

/** Where a bill stands. */
export type BillStatus = 'open' | 'paid' | 'waived' | 'overdue' | 'cancelled';

/** How a bill was paid: WeChat Pay, or cash / bank transfer recorded by the school. */
export type PaymentMethod = 'wechat' | 'cash' | 'offline';

/** One line of a bill: only the service's own items (FEE-NO-ABUSE). */
export interface BillLine {
  item: 'after-school' | 'midday' | 'extra';
  /** The item's zh-CN name as billed (课后服务, 午间服务 …). */
  name: string;
  fen: number;
  /** Service days charged. */
  days: number;
  /** Minutes per day charged (extra services). */
  minutesPerDay?: number;
}

/** A rule as cited on a bill (what shaped the amount, or what kept a line at 0). */
export interface BillCitation {
  rule: string;
  clause: string;
  message: string;
}

/**
 * What a withdrawal did to a bill (shown from its {@link WithdrawalDoc} and settlement): a
 * refund of a paid bill, or a smaller amount due.
 */
export interface BillWithdrawal {
  withdrawnOn: string;
  /** What the school keeps (paid) or still asks for (unpaid) for the days served. */
  keptFen: number;
  /** What goes back to the family (paid bills); 0 for an unpaid one. */
  refundFen: number;
  servedDays: number;
  remainingDays: number;
  at: Date;
  by: string;
}

/**
 * One student's bill for one month, `_id` = `bill:<applicationId>:<YYYY-MM>` (one per
 * application and month, so a billing run delivered twice bills once).
 */
export interface BillDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  gradeId: string;
  classId: string;
  studentId: string;
  studentName: string;
  applicationId: string;
  planId: string;
  /** The child's guardians with an account (parents read their own children's bills). */
  guardians: { userId: string }[];
  month: string;
  /** `<schoolId>:<YYYY-MM>`: the billing run of the school and month. */
  billingRunKey: string;
  lines: BillLine[];
  amountFen: number;
  /** The school days charged (the basis of a refund on withdrawal). */
  serviceDays: string[];
  schoolDaysInMonth: number;
  /** Rules that shaped the amount (FEE-CAP partial month, FEE-FREE-POOR, FEE-PRORATE). */
  applied: BillCitation[];
  /** Rules that kept a line at 0 (FEE-PRORATE without the committee's consent). */
  notCharged: BillCitation[];
  status: BillStatus;
  /** The payment order's out_trade_no (WeChat Pay), once ordered. */
  outTradeNo?: string;
  paidFen?: number;
  paidAt?: Date;
  transactionId?: string;
  paymentMethod?: PaymentMethod;
  withdrawal?: BillWithdrawal;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A payment order for one open bill, `_id` = its `out_trade_no` (WeChat Pay: 6–32 of
 * `[A-Za-z0-9_-]`), so ordering twice orders once and a payment notice finds its bill by `_id`.
 */
export interface PaymentOrderDoc {
  _id: string;
  billId: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  studentId: string;
  amountFen: number;
  /** What the payer sees (WeChat Pay `description`, ≤ 127 characters). */
  description: string;
  status: 'open' | 'paid' | 'closed';
  createdAt: Date;
}

/** The one settlement of a bill, `_id` = `settle:<billId>`: inserting it is settling. */
export interface SettlementDoc {
  _id: string;
  billId: string;
  paidFen: number;
  /** WeChat Pay's transaction_id, or `cash:<receipt>` for a payment the school recorded. */
  transactionId: string;
  method: PaymentMethod;
  by: string;
  at: Date;
}

/**
 * The one withdrawal of a bill, `_id` = `withdrawal:<billId>`: inserting it is recording the
 * withdrawal (the refund-fee worker's numbers, computed with `refundOnWithdrawal` from the
 * amount the bill showed, paid or due). With the settlement it decides what the bill shows and
 * what goes back: paid − `keptFen` (docs/billing.md, "Withdrawals and refunds").
 */
export interface WithdrawalDoc {
  _id: string;
  billId: string;
  withdrawnOn: string;
  /** What the school keeps (paid) or still asks for (unpaid) for the days served. */
  keptFen: number;
  /**
   * What goes back of the amount the withdrawal was computed on once that amount is paid
   * (kept + refund = that amount, the bill's payment or its amount due).
   */
  refundFen: number;
  servedDays: number;
  remainingDays: number;
  by: string;
  at: Date;
  /** When the refund listeners were told of this bill's refund (a crash before: told again). */
  refundToldAt?: Date;
}

/**
 * One entry of a school's earmarked ledger (FEE-EARMARK): income from a fee payment
 * (`_id` = `pay:<billId>`), a refund (`refund:<billId>`), or spending in one of the four
 * categories (`spend:<key>`).
 */
export interface LedgerEntryDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  /** The month it counts in: the bill's month for payments and refunds, else the date's. */
  month: string;
  date: string;
  direction: 'in' | 'out';
  category: string;
  amountFen: number;
  description?: string;
  billId?: string;
  by: string;
  at: Date;
}

/** A month's close of a school's ledger (`_id` = `close:<schoolId>:<YYYY-MM>`), rewritten by each close. */
export interface MonthCloseDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  month: string;
  incomeFen: number;
  refundFen: number;
  spendingFen: number;
  /** Income less refunds and spending of the month. */
  netFen: number;
  /** Net of every month up to and including this one. */
  balanceFen: number;
  /** JSON of the breaches found (RuleCitation[]); absent when none. */
  breaches?: string;
  closedAt: Date;
  by: string;
}

/** This slice's models. */
export interface BillingModels {
  bills: Model<BillDoc>;
  paymentOrders: Model<PaymentOrderDoc>;
  settlements: Model<SettlementDoc>;
  withdrawals: Model<WithdrawalDoc>;
  ledger: Model<LedgerEntryDoc>;
  monthCloses: Model<MonthCloseDoc>;
}

const opts = { versionKey: false } as const;
const citation = { _id: false, rule: String, clause: String, message: String };

const billSchema = new Schema<BillDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    gradeId: { type: String, required: true },
    classId: { type: String, required: true },
    studentId: { type: String, required: true },
    studentName: { type: String, required: true },
    applicationId: { type: String, required: true },
    planId: { type: String, required: true },
    guardians: [{ _id: false, userId: String }],
    month: { type: String, required: true },
    billingRunKey: { type: String, required: true },
    lines: [
      { _id: false, item: String, name: String, fen: Number, days: Number, minutesPerDay: Number },
    ],
    amountFen: { type: Number, required: true },
    serviceDays: [String],
    schoolDaysInMonth: { type: Number, required: true },
    applied: [citation],
    notCharged: [citation],
    status: { type: String, required: true },
    outTradeNo: String,
    paidFen: Number,
    paidAt: Date,
    transactionId: String,
    paymentMethod: String,
    withdrawal: {
      type: {
        _id: false,
        withdrawnOn: String,
        keptFen: Number,
        refundFen: Number,
        servedDays: Number,
        remainingDays: Number,
        at: Date,
        by: String,
      },
      required: false,
    },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  opts,
);

const paymentOrderSchema = new Schema<PaymentOrderDoc>(
  {
    _id: String,
    billId: { type: String, required: true },
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    studentId: { type: String, required: true },
    amountFen: { type: Number, required: true },
    description: { type: String, required: true },
    status: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  opts,
);

const settlementSchema = new Schema<SettlementDoc>(
  {
    _id: String,
    billId: { type: String, required: true },
    paidFen: { type: Number, required: true },
    transactionId: { type: String, required: true },
    method: { type: String, required: true },
    by: { type: String, required: true },
    at: { type: Date, required: true },
  },
  opts,
);

const withdrawalSchema = new Schema<WithdrawalDoc>(
  {
    _id: String,
    billId: { type: String, required: true },
    withdrawnOn: { type: String, required: true },
    keptFen: { type: Number, required: true },
    refundFen: { type: Number, required: true },
    servedDays: { type: Number, required: true },
    remainingDays: { type: Number, required: true },
    by: { type: String, required: true },
    at: { type: Date, required: true },
    refundToldAt: Date,
  },
  opts,
);

const ledgerSchema = new Schema<LedgerEntryDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    month: { type: String, required: true },
    date: { type: String, required: true },
    direction: { type: String, required: true },
    category: { type: String, required: true },
    amountFen: { type: Number, required: true },
    description: String,
    billId: String,
    by: { type: String, required: true },
    at: { type: Date, required: true },
  },
  opts,
);

const monthCloseSchema = new Schema<MonthCloseDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    month: { type: String, required: true },
    incomeFen: Number,
    refundFen: Number,
    spendingFen: Number,
    netFen: Number,
    balanceFen: Number,
    breaches: String,
    closedAt: { type: Date, required: true },
    by: { type: String, required: true },
  },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function billingModels(connection: Connection): BillingModels {
  return {
    bills: registerModel(connection, 'BillingBill', billSchema, BILLING_COLLECTIONS.bills),
    paymentOrders: registerModel(
      connection,
      'BillingPaymentOrder',
      paymentOrderSchema,
      BILLING_COLLECTIONS.paymentOrders,
    ),
    settlements: registerModel(
      connection,
      'BillingSettlement',
      settlementSchema,
      BILLING_COLLECTIONS.settlements,
    ),
    withdrawals: registerModel(
      connection,
      'BillingWithdrawal',
      withdrawalSchema,
      BILLING_COLLECTIONS.withdrawals,
    ),
    ledger: registerModel(
      connection,
      'BillingLedgerEntry',
      ledgerSchema,
      BILLING_COLLECTIONS.ledger,
    ),
    monthCloses: registerModel(
      connection,
      'BillingMonthClose',
      monthCloseSchema,
      BILLING_COLLECTIONS.monthCloses,
    ),
  };
}
