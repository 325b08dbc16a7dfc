/**
 * Money (四(二) 经费保障), all in integer fen (分). A month's fee is the school's approved
 * standard, never above the county's cap (FEE-CAP); free for registered poor households
 * (FEE-FREE-POOR); midday and other extra services pro rata to their time against the same
 * standard, and only with the parent committee's consent on record (FEE-PRORATE); no other
 * fee items (FEE-NO-ABUSE); spending only in the earmarked categories (FEE-EARMARK).
 *
 * Rounding: every pro-rata amount is rounded half up to the fen once, at the end, from exact
 * integer arithmetic. A prorated fee is never more than the full fee, and the full fee never
 * more than the cap. A refund is what was paid less the fee for the days served, so fee and
 * refund always add up to the payment.
 */
import { z } from 'zod';
import type { RuleCitation } from '../lib/errors';
import { t } from '../lib/i18n';
import { serviceDaysInMonth, type SchoolCalendar } from './calendar';
import { cite } from './citations';
import { isoDateSchema, isoMonthSchema, weekdaySchema, type IsoDate, type IsoMonth } from './dates';
import { decide, type RuleDecision } from './decision';
import type { ServiceParameters } from './parameters';

/** The parent committee's consent on record (家委会同意) for a charged extra service. */
export const committeeConsentSchema = z.strictObject({
  /** Where the consent is recorded: a task id, minutes number or document. */
  reference: z.string().trim().min(1).max(200),
  recordedAt: z.iso.datetime({ offset: true }),
});

/** A midday or other extra service a student takes, with its minutes per service day. */
export const extraServiceSchema = z.strictObject({
  kind: z.enum(['midday', 'extra']),
  minutesPerDay: z.number().int().min(1).max(480),
  committeeConsent: committeeConsentSchema.optional(),
});

/** An extra service (validated with {@link extraServiceSchema}). */
export type ExtraService = z.infer<typeof extraServiceSchema>;

/** What a month's fee of one student depends on. */
export const monthlyFeeInputSchema = z.strictObject({
  month: isoMonthSchema,
  /** The school's approved monthly standard for the full service, in fen. */
  standardFen: z.number().int().min(0),
  /** Registered poor household (建档立卡贫困家庭). */
  povertyRegistered: z.boolean(),
  /** The student's chosen weekdays; every school day when left out. */
  weekdays: z.array(weekdaySchema).optional(),
  /** First day of service when joining this month. */
  from: isoDateSchema.optional(),
  /** Last day of service when leaving this month (included). */
  to: isoDateSchema.optional(),
  extras: z.array(extraServiceSchema).optional(),
});

/** Input of {@link assessMonthlyFee}. */
export type MonthlyFeeInput = z.infer<typeof monthlyFeeInputSchema>;

/** One line of a monthly bill. */
export interface FeeLine {
  item: 'after-school' | 'midday' | 'extra';
  fen: number;
  /** Service days charged. */
  days: number;
  /** Minutes per day charged (extra services only). */
  minutesPerDay?: number;
}

/** A month's fee of one student: the decision, the bill lines and how they were reached. */
export interface FeeAssessment extends RuleDecision {
  month: IsoMonth;
  lines: FeeLine[];
  totalFen: number;
  /** The days charged (the basis of a later refund). */
  serviceDays: IsoDate[];
  /** The school days of the month: what a full monthly fee pays for. */
  schoolDaysInMonth: number;
  /** The rules that shaped the amount, for the bill's explanation. */
  applied: RuleCitation[];
}

/** What a withdrawal gives back of a month's payment. */
export interface Refund {
  refundFen: number;
  keptFen: number;
  servedDays: number;
  remainingDays: number;
  reason: RuleCitation;
}

/** The kinds of fee item a school may bill under the name of after-school service. */
export const FEE_ITEM_KINDS = ['after-school', 'midday', 'extra'] as const;

/** The spending categories fees may go to (FEE-EARMARK). */
export const EARMARKED_SPENDING = [
  'staff-allowance',
  'consumables',
  'venue-upkeep',
  'bought-in-services',
] as const;

/** The ledger's categories: income from fees, and what may go out. */
export const LEDGER_CATEGORIES = {
  in: ['fee-payment'],
  out: [...EARMARKED_SPENDING, 'fee-refund'],
} as const;

/** One entry of a school's earmarked ledger. */
export const ledgerEntrySchema = z.strictObject({
  direction: z.enum(['in', 'out']),
  category: z.string().min(1).max(64),
  amountFen: z.number().int().positive(),
  description: z.string().max(500).optional(),
});

/** A ledger entry (validated with {@link ledgerEntrySchema}). */
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/** A fee item a school wants to bill. */
export const feeItemSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  kind: z.string().min(1).max(64),
});

/** A fee item (validated with {@link feeItemSchema}). */
export type FeeItem = z.infer<typeof feeItemSchema>;

/** `numerator / denominator` rounded half up to an integer (both non-negative, exact). */
export function roundHalfUp(numerator: number, denominator: number): number {
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

/** `amountFen × part / whole`, rounded half up to the fen; 0 when `whole` is 0. */
export function prorateFen(amountFen: number, part: number, whole: number): number {
  return whole === 0 ? 0 : roundHalfUp(amountFen * part, whole);
}

/** 8000 → '80.00' (yuan, for messages). */
export function formatYuan(fen: number): string {
  return (fen / 100).toFixed(2);
}

/** FEE-CAP: a school's monthly standard may not exceed the cap in force for its county. */
export function checkFeeStandard(standardFen: number, params: ServiceParameters): RuleDecision {
  if (standardFen <= params.feeCapFen) return decide();
  return decide([
    cite('FEE-CAP', 'rule.FEE-CAP.over-cap', {
      standard: formatYuan(standardFen),
      cap: formatYuan(params.feeCapFen),
    }),
  ]);
}

/** FEE-PRORATE: a charged midday or extra service needs the committee's consent on record. */
export function checkExtraService(extra: ExtraService): RuleDecision {
  if (extra.committeeConsent) return decide();
  return decide([
    cite('FEE-PRORATE', 'rule.FEE-PRORATE.no-consent', { service: t(`fee.item.${extra.kind}`) }),
  ]);
}

/**
 * A student's fee for one month. The full standard pays for every school day of the month;
 * a student who comes on fewer days (chosen weekdays, joining or leaving mid-month) pays for
 * the days served. Extra services cost the standard × their minutes ÷ the standard's minutes
 * per day (FEE-CAP: 2 hours) × days served ÷ school days, and are not charged without the
 * committee's consent. A registered poor household pays nothing. A standard above the cap is
 * a violation and is charged at the cap.
 */
export function assessMonthlyFee(
  input: MonthlyFeeInput,
  params: ServiceParameters,
  calendar: SchoolCalendar,
): FeeAssessment {
  const allDays = serviceDaysInMonth(input.month, calendar).length;
  const days = serviceDaysInMonth(input.month, calendar, {
    weekdays: input.weekdays,
    from: input.from,
    to: input.to,
  });
  const served = days.length;
  const standard = Math.min(input.standardFen, params.feeCapFen);
  const violations: RuleCitation[] = [...checkFeeStandard(input.standardFen, params).violations];
  const applied: RuleCitation[] = [];

  if (served < allDays) {
    applied.push(
      cite('FEE-CAP', 'rule.FEE-CAP.partial-month', { days: served, schoolDays: allDays }),
    );
  }
  const lines: FeeLine[] = [
    { item: 'after-school', fen: prorateFen(standard, served, allDays), days: served },
  ];
  for (const extra of input.extras ?? []) {
    const line: FeeLine = {
      item: extra.kind,
      fen: extraFen(standard, extra.minutesPerDay, served, allDays, params),
      days: served,
      minutesPerDay: extra.minutesPerDay,
    };
    if (input.povertyRegistered) {
      lines.push(line);
      continue;
    }
    const consent = checkExtraService(extra);
    violations.push(...consent.violations);
    if (!consent.ok) line.fen = 0;
    else {
      applied.push(
        cite('FEE-PRORATE', 'rule.FEE-PRORATE.charged', {
          service: t(`fee.item.${extra.kind}`),
          minutes: extra.minutesPerDay,
          basis: params.feeBasisMinutesPerDay,
        }),
      );
    }
    lines.push(line);
  }
  if (input.povertyRegistered) {
    for (const line of lines) line.fen = 0;
    applied.push(cite('FEE-FREE-POOR', 'rule.FEE-FREE-POOR.waived'));
  }
  return {
    ...decide(violations),
    month: input.month,
    lines,
    totalFen: lines.reduce((sum, l) => sum + l.fen, 0),
    serviceDays: days,
    schoolDaysInMonth: allDays,
    applied,
  };
}

/**
 * What a withdrawal on `withdrawnOn` gives back of a month's payment: the days billed from
 * that date on are not served (a parent may withdraw at any time, ELIG-VOLUNTARY), so the
 * school keeps the fee for the days before it, prorated as it was billed.
 */
export function refundOnWithdrawal(input: {
  paidFen: number;
  billedDays: readonly IsoDate[];
  withdrawnOn: IsoDate;
}): Refund {
  const served = input.billedDays.filter((d) => d < input.withdrawnOn).length;
  const billed = input.billedDays.length;
  const keptFen = prorateFen(input.paidFen, served, billed);
  const refundFen = input.paidFen - keptFen;
  return {
    refundFen,
    keptFen,
    servedDays: served,
    remainingDays: billed - served,
    reason: cite('ELIG-VOLUNTARY', 'rule.ELIG-VOLUNTARY.refund', {
      days: billed - served,
      refund: formatYuan(refundFen),
    }),
  };
}

/** FEE-NO-ABUSE: only the service's own fees may be billed under its name. */
export function checkFeeItems(items: readonly FeeItem[]): RuleDecision {
  const violations = items
    .filter(
      (item) =>
        !(FEE_ITEM_KINDS as readonly string[]).includes(item.kind) ||
        FORBIDDEN_ITEM_WORDS.some((w) => item.name.includes(w)),
    )
    .map((item) => cite('FEE-NO-ABUSE', 'rule.FEE-NO-ABUSE.other-item', { name: item.name }));
  return decide(violations);
}

/** FEE-EARMARK: income is fee payments; spending only in the earmarked categories. */
export function checkLedgerEntry(entry: LedgerEntry): RuleDecision {
  const allowed: readonly string[] = LEDGER_CATEGORIES[entry.direction];
  if (allowed.includes(entry.category)) return decide();
  return decide([cite('FEE-EARMARK', 'rule.FEE-EARMARK.category', { category: entry.category })]);
}

// helpers //////////

/** Names of charges schools have been known to add under the service's name. */
const FORBIDDEN_ITEM_WORDS = [
  '资料费',
  '教材费',
  '材料费',
  '报名费',
  '押金',
  '服装费',
  '餐费',
  '保险费',
  '考试费',
  '培训费',
  '赞助费',
];

function extraFen(
  standard: number,
  minutesPerDay: number,
  served: number,
  allDays: number,
  params: ServiceParameters,
): number {
  if (allDays === 0) return 0;
  return roundHalfUp(standard * minutesPerDay * served, params.feeBasisMinutesPerDay * allDays);
}
