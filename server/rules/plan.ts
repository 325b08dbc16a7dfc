/**
 * A school's own plan (一校一案, PLAN-ONE-SCHOOL): service times, content, method, fees, safety
 * measures and emergency plan, filed with the county bureau. {@link checkPlan} runs every
 * data rule over a draft (the automatic checks of the plan process);
 * {@link checkPlanFiling} adds what must be on record before filing: the parent committee's
 * consent (FLOW-COMMITTEE) and the principal's sign-off (RESP-PRINCIPAL).
 */
import { z } from 'zod';
import type { RuleCitation } from '../lib/errors';
import { t } from '../lib/i18n';
import { schoolDays, type SchoolCalendar } from './calendar';
import { cite } from './citations';
import { activitySchema, checkActivities } from './content';
import { SCHOOL_WEEK, timeOfDaySchema, weekdaySchema } from './dates';
import { combine, decide, type RuleDecision } from './decision';
import { checkFeeStandard, committeeConsentSchema, extraServiceSchema } from './fees';
import { seasonOf, type Season, type ServiceParameters } from './parameters';
import { SERVICE_KINDS, approvedReasonSchema, checkServiceTime } from './service-time';
import { checkSessionVenue, checkStaffing, staffMemberSchema } from './staffing';

const idSchema = z.string().min(1).max(64);
const textSchema = z.string().max(5000);

/** A session's times in one season's timetable. */
export const seasonTimesSchema = z
  .strictObject({
    dismissalTime: timeOfDaySchema,
    startTime: timeOfDaySchema,
    endTime: timeOfDaySchema,
    approvedReason: approvedReasonSchema.optional(),
  })
  .refine((s) => s.startTime < s.endTime, { path: ['endTime'] });

/** A recurring session of the plan (e.g. 三年级 周一至周五 课后服务). */
export const planSessionSchema = z.strictObject({
  id: idSchema,
  name: z.string().trim().min(1).max(100),
  kind: z.enum(SERVICE_KINDS).optional(),
  weekdays: z.array(weekdaySchema).min(1),
  timetable: z.strictObject({
    summer: seasonTimesSchema.optional(),
    winter: seasonTimesSchema.optional(),
  }),
  venue: z.string().trim().max(100).optional(),
  personInChargeId: idSchema.optional(),
  staffIds: z.array(idSchema).optional(),
  capacity: z.number().int().min(1).optional(),
  activities: z.array(activitySchema),
});

/** A session of a plan (validated with {@link planSessionSchema}). */
export type PlanSession = z.infer<typeof planSessionSchema>;

/** A school's plan for one term. */
export const schoolPlanSchema = z.strictObject({
  schoolId: idSchema,
  termId: idSchema,
  /** 服务方式: how the service is organised. */
  method: textSchema.optional(),
  sessions: z.array(planSessionSchema),
  fee: z
    .strictObject({
      monthlyStandardFen: z.number().int().min(0),
      extras: z.array(extraServiceSchema).optional(),
    })
    .optional(),
  staff: z.array(staffMemberSchema),
  safetyMeasures: textSchema.optional(),
  emergencyPlan: textSchema.optional(),
  committeeConsent: committeeConsentSchema.optional(),
  principalSignOff: z
    .strictObject({
      userId: idSchema,
      role: z.string().min(1).max(32),
      signedAt: z.iso.datetime({ offset: true }),
    })
    .optional(),
});

/** A school's plan (validated with {@link schoolPlanSchema}). */
export type SchoolPlan = z.infer<typeof schoolPlanSchema>;

/**
 * Every data rule over a draft plan: complete (PLAN-ONE-SCHOOL; emergency plan SAFE-ATTEND),
 * its term in the school calendar, sessions on school days in every season the term spans
 * (TIME-*), allowed content (CONTENT-*), fee standard within the cap (FEE-CAP), staff
 * (SAFE-STAFF, FEE-EXTERNAL) and venues (VENUE-RECORDS). An extra service still waiting for
 * the committee's consent is a warning here; filing needs it ({@link checkPlanFiling}).
 */
export function checkPlan(
  plan: SchoolPlan,
  params: ServiceParameters,
  calendar: SchoolCalendar,
): RuleDecision {
  const seasons = termSeasons(plan.termId, params, calendar);
  const decisions = [
    checkCompleteness(plan),
    seasons ? decide() : decide([cite('PLAN-ONE-SCHOOL', 'rule.PLAN-ONE-SCHOOL.unknown-term')]),
    ...plan.sessions.map((s) => checkSession(s, plan, params, seasons ?? [])),
    plan.fee ? checkFees(plan.fee, params) : decide(),
    checkStaffing(plan.staff, params),
  ];
  return combine(...decisions);
}

/** {@link checkPlan} plus what filing needs on record: committee consent, principal sign-off. */
export function checkPlanFiling(
  plan: SchoolPlan,
  params: ServiceParameters,
  calendar: SchoolCalendar,
): RuleDecision {
  const violations: RuleCitation[] = [];
  if (!plan.committeeConsent) {
    violations.push(cite('FLOW-COMMITTEE', 'rule.FLOW-COMMITTEE.no-plan-consent'));
  }
  if (!plan.principalSignOff) {
    violations.push(cite('RESP-PRINCIPAL', 'rule.RESP-PRINCIPAL.no-sign-off'));
  } else if (plan.principalSignOff.role !== 'principal') {
    violations.push(cite('RESP-PRINCIPAL', 'rule.RESP-PRINCIPAL.not-principal'));
  }
  for (const extra of plan.fee?.extras ?? []) {
    if (!extra.committeeConsent) {
      violations.push(
        cite('FEE-PRORATE', 'rule.FEE-PRORATE.no-consent', {
          service: t(`fee.item.${extra.kind}`),
        }),
      );
    }
  }
  const draft = checkPlan(plan, params, calendar);
  return decide(
    [...draft.violations, ...violations],
    draft.warnings.filter((w) => w.rule !== 'FEE-PRORATE'),
  );
}

// helpers //////////

function checkCompleteness(plan: SchoolPlan): RuleDecision {
  const violations: RuleCitation[] = [];
  const missing = (part: string) =>
    violations.push(cite('PLAN-ONE-SCHOOL', 'rule.PLAN-ONE-SCHOOL.missing', { part }));
  if (plan.sessions.length === 0) missing(t('plan.part.sessions'));
  if (!plan.method?.trim()) missing(t('plan.part.method'));
  if (!plan.fee) missing(t('plan.part.fee'));
  if (!plan.safetyMeasures?.trim()) missing(t('plan.part.safety'));
  if (plan.staff.length === 0) missing(t('plan.part.staff'));
  if (!plan.emergencyPlan?.trim()) {
    violations.push(cite('SAFE-ATTEND', 'rule.SAFE-ATTEND.no-emergency-plan'));
  }
  return decide(violations);
}

function checkSession(
  session: PlanSession,
  plan: SchoolPlan,
  params: ServiceParameters,
  seasons: readonly Season[],
): RuleDecision {
  const violations: RuleCitation[] = [];
  const name = session.name;
  if (session.activities.length === 0) {
    violations.push(cite('PLAN-ONE-SCHOOL', 'rule.PLAN-ONE-SCHOOL.no-content', { session: name }));
  }
  if (session.weekdays.some((d) => !SCHOOL_WEEK.includes(d))) {
    violations.push(cite('TIME-SCHOOLDAY', 'rule.TIME-SCHOOLDAY.weekend', { session: name }));
  }
  const times: RuleDecision[] = [];
  for (const season of seasons) {
    const timetable = session.timetable[season];
    if (!timetable) {
      violations.push(
        cite('PLAN-ONE-SCHOOL', 'rule.PLAN-ONE-SCHOOL.no-times', {
          session: name,
          season: t(`season.${season}` as const),
        }),
      );
    } else {
      times.push(checkServiceTime({ ...timetable, kind: session.kind, season }, params));
    }
  }
  const person = session.personInChargeId;
  if (person && !plan.staff.some((m) => m.staffId === person)) {
    violations.push(
      cite('SAFE-STAFF', 'rule.SAFE-STAFF.unlisted', { session: name, staffId: person }),
    );
  }
  for (const staffId of session.staffIds ?? []) {
    if (!plan.staff.some((m) => m.staffId === staffId)) {
      violations.push(cite('SAFE-STAFF', 'rule.SAFE-STAFF.unlisted', { session: name, staffId }));
    }
  }
  return combine(
    decide(violations),
    ...times,
    checkActivities(session.activities),
    checkSessionVenue(session),
  );
}

function checkFees(fee: NonNullable<SchoolPlan['fee']>, params: ServiceParameters): RuleDecision {
  const warnings = (fee.extras ?? [])
    .filter((extra) => !extra.committeeConsent)
    .map((extra) =>
      cite('FEE-PRORATE', 'rule.FEE-PRORATE.consent-pending', {
        service: t(`fee.item.${extra.kind}`),
      }),
    );
  return combine(checkFeeStandard(fee.monthlyStandardFen, params), decide([], warnings));
}

/** The seasons the term's school days fall in; undefined when the calendar lacks the term. */
function termSeasons(
  termId: string,
  params: ServiceParameters,
  calendar: SchoolCalendar,
): Season[] | undefined {
  const term = calendar.terms.find((x) => x.id === termId);
  if (!term) return undefined;
  const seasons = new Set(schoolDays(term.from, term.to, calendar).map((d) => seasonOf(d, params)));
  return (['summer', 'winter'] as const).filter((s) => seasons.has(s));
}
