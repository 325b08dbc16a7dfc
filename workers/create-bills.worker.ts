import { z } from 'zod';
import type { RuleCitation } from '../server/lib/errors';
import { t } from '../server/lib/i18n';
import type { SchoolCalendar } from '../server/rules/calendar';
import { addDays, type Weekday } from '../server/rules/dates';
import { assessMonthlyFee, checkFeeItems, type ExtraService } from '../server/rules/fees';
import type { ServiceParameters } from '../server/rules/parameters';
import type { BillingFacts, CreateBillsBody } from '../server/modules/billing/billing.schema';
import { runPath } from './billing-api';
import { countyParameters } from './facts';
import { complete, defineWorker } from './runtime';

/** Bills handed in per request (the body stays far below the server's limit). */
const BATCH = 100;

/**
 * One bill per enrolled child for the school's month, assessed with the rule book: the
 * school's approved standard within the county's cap (FEE-CAP), prorated to the child's
 * weekdays and to joining or leaving within the month; nothing for a registered poor
 * household (FEE-FREE-POOR, the bill is waived); a midday service pro rata to its minutes and
 * only with the parent committee's consent on record, else not charged and FEE-PRORATE cited
 * on the bill; only the service's own items (FEE-NO-ABUSE). Bills are keyed by application
 * and month, so a job delivered twice bills once. A plan above the cap fails the job (an
 * incident for the bureau: configuration, not a family's fault).
 */
export default defineWorker({
  type: 'create-bills',
  input: z.object({
    schoolId: z.string().min(1),
    countyId: z.string().min(1),
    billingMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
  }),
  timeoutMs: 120_000,
  async handle({ schoolId, countyId, billingMonth }, ctx) {
    // the county's cap (its own approved standard, else the city's 80 yuan) and fee basis
    const params = await countyParameters(ctx, countyId);
    const facts = await ctx.api.get<BillingFacts>(
      `/api/billing/schools/${encodeURIComponent(schoolId)}/facts?month=${billingMonth}`,
    );
    const bills = facts.enrolments.flatMap((e) => assess(facts, e, billingMonth, params));
    for (let i = 0; i < bills.length; i += BATCH) {
      const body: CreateBillsBody = {
        schoolId,
        month: billingMonth,
        bills: bills.slice(i, i + BATCH),
      };
      await ctx.api.post('/api/billing/bills', body);
    }
    const run = await ctx.api.get<{
      billCount: number;
      openBillCount: number;
      waivedBillCount: number;
      billTotalFen: number;
    }>(runPath(schoolId, billingMonth));
    ctx.log.info({ schoolId, month: billingMonth, bills: run.billCount }, 'bills created');
    return complete({
      billCount: run.billCount,
      openBillCount: run.openBillCount,
      waivedBillCount: run.waivedBillCount,
      billTotalFen: run.billTotalFen,
    });
  },
});

// helpers //////////

type Enrolment = BillingFacts['enrolments'][number];
type BillInput = CreateBillsBody['bills'][number];

/** The bill of one child's month, or none when the child was not served that month. */
function assess(
  facts: BillingFacts,
  e: Enrolment,
  month: string,
  params: ServiceParameters,
): BillInput[] {
  const plan = facts.plans.find((p) => p.id === e.planId);
  if (!plan) throw new Error(`plan ${e.planId} of ${e.applicationId} is missing from the facts`);
  const calendar: SchoolCalendar = {
    schoolId: facts.schoolId,
    terms: [{ id: plan.term, name: plan.term, from: plan.termStart, to: plan.termEnd }],
  };
  const extras: ExtraService[] =
    e.midday && plan.middayMinutes > 0
      ? [
          {
            kind: 'midday',
            minutesPerDay: plan.middayMinutes,
            ...(plan.middayFeeConsent
              ? { committeeConsent: { reference: `plan:${plan.id}`, recordedAt: plan.recordedAt } }
              : {}),
          },
        ]
      : [];
  const assessment = assessMonthlyFee(
    {
      month,
      standardFen: plan.feeStandardFen,
      povertyRegistered: e.povertyRegistered,
      weekdays: e.weekdays as Weekday[],
      from: e.joinedOn,
      ...(e.leftOn ? { to: addDays(e.leftOn, -1) } : {}),
      extras,
    },
    params,
    calendar,
  );
  const overCap = assessment.violations.filter((v) => v.rule === 'FEE-CAP');
  if (overCap.length)
    throw new Error(`plan ${plan.id}: ${overCap.map((v) => `${v.rule} ${v.message}`).join('; ')}`);
  if (assessment.serviceDays.length === 0) return [];
  const lines = assessment.lines.map((l) => ({
    item: l.item,
    name: t(`fee.item.${l.item}`),
    fen: l.fen,
    days: l.days,
    ...(l.minutesPerDay ? { minutesPerDay: l.minutesPerDay } : {}),
  }));
  const items = checkFeeItems(lines.map((l) => ({ name: l.name, kind: l.item })));
  if (!items.ok)
    throw new Error(`bill items refused: ${items.violations.map((v) => v.message).join('; ')}`);
  return [
    {
      applicationId: e.applicationId,
      lines,
      serviceDays: assessment.serviceDays,
      schoolDaysInMonth: assessment.schoolDaysInMonth,
      applied: assessment.applied.map(plain),
      notCharged: assessment.violations.filter((v) => v.rule === 'FEE-PRORATE').map(plain),
    },
  ];
}

function plain({ rule, clause, message }: RuleCitation): RuleCitation {
  return { rule, clause, message };
}
