import { z } from 'zod';
import { isoDateSchema, isoMonthSchema } from '../../rules/dates';

const id = z.string().min(1).max(64);
const billId = z.string().min(1).max(140);
const fen = z.number().int().min(0);
const citation = z.object({ rule: z.string(), clause: z.string(), message: z.string() });
const citationInput = z.strictObject({
  rule: z.string().min(1).max(40),
  clause: z.string().max(40),
  message: z.string().max(500),
});

// worker routes //////////

/** GET /api/billing/schools: the schools a billing run bills (worker `list-schools`). */
export const listSchoolsQuery = z.strictObject({
  month: isoMonthSchema.optional(),
  /** Comma-separated school ids to restrict the run to. */
  schoolIds: z.string().max(4000).optional(),
  /** Only this city's schools. */
  cityId: id.optional(),
});

/** The schools of a run. */
export const schoolsToBill = z.object({
  billingMonth: z.string(),
  schools: z.array(z.object({ schoolId: z.string(), countyId: z.string(), cityId: z.string() })),
});

/** `/api/billing/schools/:schoolId/…`. */
export const schoolParams = z.strictObject({ schoolId: id });

/** `?month=YYYY-MM`. */
export const monthQuery = z.strictObject({ month: isoMonthSchema });

/** What the `create-bills` worker assesses a school's month from. */
export const billingFacts = z.object({
  schoolId: z.string(),
  month: z.string(),
  plans: z.array(
    z.object({
      id: z.string(),
      term: z.string(),
      termStart: z.string(),
      termEnd: z.string(),
      feeStandardFen: z.number().int(),
      middayMinutes: z.number().int(),
      middayFeeConsent: z.boolean(),
      /** When the plan (and with it the committee's consent) was last recorded. */
      recordedAt: z.string(),
    }),
  ),
  enrolments: z.array(
    z.object({
      applicationId: z.string(),
      studentId: z.string(),
      studentName: z.string(),
      planId: z.string(),
      weekdays: z.array(z.number().int()),
      midday: z.boolean(),
      povertyRegistered: z.boolean(),
      /** First day of service: the later of the term's start and the day of enrolment. */
      joinedOn: z.string(),
      /** The day a withdrawal took effect (no service from then on). */
      leftOn: z.string().optional(),
    }),
  ),
});

const billLineInput = z.strictObject({
  item: z.string().min(1).max(40),
  name: z.string().min(1).max(100),
  fen,
  days: z.number().int().min(0).max(31),
  minutesPerDay: z.number().int().min(1).max(480).optional(),
});

/** POST /api/billing/bills: the assessed bills of a school's month (worker `create-bills`). */
export const createBillsBody = z.strictObject({
  schoolId: id,
  month: isoMonthSchema,
  bills: z
    .array(
      z.strictObject({
        applicationId: id,
        lines: z.array(billLineInput).min(1).max(10),
        serviceDays: z.array(isoDateSchema).max(31),
        schoolDaysInMonth: z.number().int().min(0).max(31),
        applied: z.array(citationInput).max(20).default([]),
        notCharged: z.array(citationInput).max(20).default([]),
      }),
    )
    .max(200),
});

/** How many bills a batch created and how many were there already. */
export const createBillsResponse = z.object({
  created: z.number().int(),
  existing: z.number().int(),
});

/** `/api/billing/runs/:schoolId/:month/…`: one school's billing run of a month. */
export const runParams = z.strictObject({ schoolId: id, month: isoMonthSchema });

/** Where a school's billing run of a month stands. */
export const runSummary = z.object({
  billCount: z.number().int(),
  openBillCount: z.number().int(),
  waivedBillCount: z.number().int(),
  billTotalFen: z.number().int(),
  paymentOrderCount: z.number().int(),
  paidFen: z.number().int(),
  unpaidBillCount: z.number().int(),
  unpaidStudentIds: z.array(z.string()),
  overdueBillCount: z.number().int(),
});

/** POST /api/billing/bills/:id/withdrawal: what a withdrawal does to the bill (worker `refund-fee`). */
export const withdrawalBody = z.strictObject({
  withdrawnOn: isoDateSchema,
  keptFen: fen,
  refundFen: fen,
  servedDays: z.number().int().min(0),
  remainingDays: z.number().int().min(0),
});

/** The month's close of a school's ledger (worker `record-ledger`, month-close). */
export const monthClose = z.object({
  incomeFen: z.number().int(),
  refundFen: z.number().int(),
  spendingFen: z.number().int(),
  netFen: z.number().int(),
  ledgerBalanceFen: z.number().int(),
  breaches: z.array(citation),
});

// people's routes //////////

/** POST /api/billing/runs: request a billing run now (message `billing-run-requested`). */
export const requestRunBody = z.strictObject({
  month: isoMonthSchema.optional(),
  schoolIds: z.array(id).max(500).optional(),
  /** How long each payment window lasts (ISO 8601 duration), default P7D. */
  reminderInterval: z
    .string()
    .regex(/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/)
    .optional(),
  maxReminders: z.number().int().min(0).max(10).optional(),
});

/** The run as requested. */
export const requestRunResponse = z.object({
  billingMonth: z.string(),
  schoolIds: z.array(z.string()),
});

/** GET /api/billing/bills. */
export const listBillsQuery = z.strictObject({
  schoolId: id.optional(),
  classId: id.optional(),
  studentId: id.optional(),
  applicationId: id.optional(),
  month: isoMonthSchema.optional(),
  status: z.enum(['open', 'paid', 'waived', 'overdue', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `/api/billing/bills/:id`. */
export const billParams = z.strictObject({ id: billId });

/** POST /api/billing/bills/:id/pay: a cash or bank payment the school received. */
export const payBillBody = z.strictObject({
  paidFen: z.number().int().positive(),
  method: z.enum(['cash', 'offline']).default('cash'),
  /** The school's receipt (收据) number. */
  receiptNo: z.string().trim().min(1).max(40),
});

/** A bill as the API shows it. */
export const billView = z.object({
  id: z.string(),
  schoolId: z.string(),
  classId: z.string(),
  studentId: z.string(),
  studentName: z.string(),
  applicationId: z.string(),
  month: z.string(),
  lines: z.array(
    z.object({
      item: z.string(),
      name: z.string(),
      fen: z.number().int(),
      days: z.number().int(),
      minutesPerDay: z.number().int().optional(),
    }),
  ),
  amountFen: z.number().int(),
  amountYuan: z.string(),
  serviceDays: z.array(z.string()),
  schoolDaysInMonth: z.number().int(),
  applied: z.array(citation),
  notCharged: z.array(citation),
  status: z.enum(['open', 'paid', 'waived', 'overdue', 'cancelled']),
  outTradeNo: z.string().optional(),
  paidFen: z.number().int().optional(),
  paidAt: z.string().optional(),
  paymentMethod: z.enum(['wechat', 'cash', 'offline']).optional(),
  transactionId: z.string().optional(),
  withdrawal: z
    .object({
      withdrawnOn: z.string(),
      keptFen: z.number().int(),
      refundFen: z.number().int(),
      servedDays: z.number().int(),
      remainingDays: z.number().int(),
    })
    .optional(),
});

/** `GET /api/billing/bills`. */
export const billList = z.object({ items: z.array(billView), total: z.number().int() });

/** A settlement as answered. */
export const settlementView = z.object({
  billId: z.string(),
  /** False when the bill had been settled before with the same transaction (idempotent). */
  settled: z.boolean(),
  status: z.enum(['paid']),
  paidFen: z.number().int(),
  transactionId: z.string(),
  method: z.enum(['wechat', 'cash', 'offline']),
});

/** GET /api/billing/summary: bills and ledger per school and month. */
export const summaryQuery = z.strictObject({
  month: isoMonthSchema.optional(),
  countyId: id.optional(),
  schoolId: id.optional(),
});

/** Totals per school and month. */
export const summaryView = z.object({
  items: z.array(
    z.object({
      schoolId: z.string(),
      countyId: z.string(),
      month: z.string(),
      billCount: z.number().int(),
      billedFen: z.number().int(),
      paidCount: z.number().int(),
      paidFen: z.number().int(),
      waivedCount: z.number().int(),
      openCount: z.number().int(),
      overdueCount: z.number().int(),
      refundFen: z.number().int(),
    }),
  ),
});

// ledger //////////

/** POST /api/billing/ledger/entries: a school's spending (FEE-EARMARK). */
export const spendingBody = z.strictObject({
  schoolId: id,
  date: isoDateSchema,
  /** One of the four earmarked categories; anything else is refused naming FEE-EARMARK. */
  category: z.string().trim().min(1).max(64),
  amountFen: z.number().int().positive(),
  description: z.string().trim().min(1).max(500),
  /** Idempotency key of the client (a retried request records once). */
  key: z
    .string()
    .regex(/^[\w.-]{1,64}$/)
    .optional(),
});

/** GET /api/billing/ledger/entries. */
export const listLedgerQuery = z.strictObject({
  schoolId: id.optional(),
  countyId: id.optional(),
  month: isoMonthSchema.optional(),
  direction: z.enum(['in', 'out']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** GET /api/billing/ledger/balances. */
export const balancesQuery = z.strictObject({
  schoolId: id.optional(),
  countyId: id.optional(),
  month: isoMonthSchema.optional(),
});

/** A ledger entry as the API shows it. */
export const ledgerEntryView = z.object({
  id: z.string(),
  schoolId: z.string(),
  countyId: z.string(),
  month: z.string(),
  date: z.string(),
  direction: z.enum(['in', 'out']),
  category: z.string(),
  categoryName: z.string(),
  amountFen: z.number().int(),
  description: z.string().optional(),
  billId: z.string().optional(),
  by: z.string(),
  at: z.string(),
});

/** `GET /api/billing/ledger/entries`. */
export const ledgerList = z.object({ items: z.array(ledgerEntryView), total: z.number().int() });

/** Balances per school and month. */
export const balancesView = z.object({
  items: z.array(
    z.object({
      schoolId: z.string(),
      countyId: z.string(),
      month: z.string(),
      incomeFen: z.number().int(),
      refundFen: z.number().int(),
      spendingFen: z.number().int(),
      netFen: z.number().int(),
      /** Net of every month up to and including this one. */
      balanceFen: z.number().int(),
      /** Spending per earmarked category. */
      spendingByCategory: z.record(z.string(), z.number().int()),
    }),
  ),
});

/** `/api/billing/ledger/:schoolId/:month/close`. */
export const closeParams = runParams;

/** Types of the inputs. */
export type ListSchoolsQuery = z.infer<typeof listSchoolsQuery>;
export type BillingFacts = z.infer<typeof billingFacts>;
export type CreateBillsBody = z.infer<typeof createBillsBody>;
export type RunSummary = z.infer<typeof runSummary>;
export type WithdrawalBody = z.infer<typeof withdrawalBody>;
export type MonthClose = z.infer<typeof monthClose>;
export type RequestRunBody = z.infer<typeof requestRunBody>;
export type ListBillsQuery = z.infer<typeof listBillsQuery>;
export type PayBillBody = z.infer<typeof payBillBody>;
export type BillView = z.infer<typeof billView>;
export type SettlementView = z.infer<typeof settlementView>;
export type SummaryQuery = z.infer<typeof summaryQuery>;
export type SpendingBody = z.infer<typeof spendingBody>;
export type ListLedgerQuery = z.infer<typeof listLedgerQuery>;
export type BalancesQuery = z.infer<typeof balancesQuery>;
export type LedgerEntryView = z.infer<typeof ledgerEntryView>;
