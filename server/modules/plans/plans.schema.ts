import { z } from 'zod';
import { t } from '../../lib/i18n';
import { activitySchema } from '../../rules/content';
import { isoDateSchema, timeOfDaySchema, weekdaySchema } from '../../rules/dates';
import { staffMemberSchema } from '../../rules/staffing';

const id = z.string().min(1).max(64);
const text = z.string().trim().max(5000);

/**
 * One session of a draft: its times, content (the rule book's activities), venue, person in
 * charge (one of the plan's staff) and capacity. What the rules decide (a venue or a person
 * missing, an end too early, forbidden content) is left to the automatic check, which cites
 * the rule; only malformed values are refused here.
 */
export const planSessionBody = z
  .strictObject({
    /** Stable id parents apply for (S1, S2, …); given when left out. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: () => t('validation.id') })
      .optional(),
    name: z.string().trim().min(1).max(100),
    /** ISO weekdays (1 = Monday … 7 = Sunday; weekends are refused by TIME-SCHOOLDAY). */
    weekdays: z.array(weekdaySchema).min(1).max(7),
    /** Normal dismissal (正常放学), the session's start and end, 'HH:MM'. */
    dismissal: timeOfDaySchema,
    start: timeOfDaySchema,
    end: timeOfDaySchema,
    venue: z.string().trim().max(100).optional(),
    /** The staff id (from the plan's staff) of the person in charge (VENUE-RECORDS). */
    personInChargeId: id.optional(),
    staffIds: z.array(id).max(50).optional(),
    capacity: z.number().int().min(1).max(5000),
    activities: z.array(activitySchema).max(20),
  })
  .refine((s) => s.start < s.end, { path: ['end'], error: () => t('plan.end_before_start') });

const planFields = {
  /** The term's first and last day (学期). */
  termStart: isoDateSchema,
  termEnd: isoDateSchema,
  sessions: z
    .array(planSessionBody)
    .max(50)
    .refine((list) => unique(list.flatMap((s) => (s.id ? [s.id] : []))), {
      error: () => t('plan.session_id_taken'),
    }),
  /** The people serving (SAFE-STAFF: in-service or external, record check, agreement). */
  staff: z
    .array(staffMemberSchema)
    .max(200)
    .refine((list) => unique(list.map((m) => m.staffId)), {
      error: () => t('plan.staff_id_taken'),
    })
    .default([]),
  /** Per student per month, in fen (分; FEE-CAP). */
  feeStandardFen: z.number().int().min(0).max(100_000),
  /** Minutes of midday service per day; 0 = none (FEE-PRORATE). */
  middayMinutes: z.number().int().min(0).max(240).default(0),
  method: text.optional(),
  safetyMeasures: text.optional(),
  emergencyPlan: text.optional(),
  dutySchedule: text.optional(),
};

/** POST /api/plans: a school admin drafts the school's plan for a term (一校一案). */
export const createPlanBody = z
  .strictObject({
    schoolId: id,
    /** The term's id, e.g. `2026-autumn`; one plan per school and term (PLAN-ONE-SCHOOL). */
    term: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, { error: () => t('validation.id') }),
    ...planFields,
  })
  .refine((p) => p.termStart <= p.termEnd, {
    path: ['termEnd'],
    error: () => t('plan.term_dates'),
  });

/** PUT /api/plans/:id: the draft as a whole (school and term stay). */
export const updatePlanBody = z
  .strictObject(planFields)
  .refine((p) => p.termStart <= p.termEnd, {
    path: ['termEnd'],
    error: () => t('plan.term_dates'),
  });

/** GET /api/plans. */
export const listPlansQuery = z.strictObject({
  schoolId: id.optional(),
  countyId: id.optional(),
  term: z.string().max(40).optional(),
  status: z.string().max(20).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `/api/plans/:id…` path. */
export const planParams = z.strictObject({ id: z.string().min(1).max(140) });

const citation = z.strictObject({
  rule: z.string().max(40),
  clause: z.string().max(40),
  message: z.string().max(1000),
});

/** POST /api/plans/:id/checks: the check-plan worker records its outcome (idempotent by key). */
export const recordCheckBody = z.strictObject({
  key: z.string().min(1).max(80),
  ok: z.boolean(),
  violations: z.array(citation).max(100),
  warnings: z.array(citation).max(100),
});

/** POST /api/plans/:id/publish: the publish-plan worker files and publishes (idempotent). */
export const publishPlanBody = z.strictObject({
  key: z.string().min(1).max(80),
  filingNo: z.string().trim().min(1).max(100),
  /** The principal's written reason for sessions beyond TIME-2H, when there was one. */
  timeExceptionReason: z.string().trim().max(1000).nullable().optional(),
  middayFeeConsent: z.boolean().nullable().optional(),
  responsibilityAccepted: z.boolean().nullable().optional(),
});

/** Types of the bodies. */
export type CreatePlanBody = z.infer<typeof createPlanBody>;
export type UpdatePlanBody = z.infer<typeof updatePlanBody>;
export type ListPlansQuery = z.infer<typeof listPlansQuery>;
export type RecordCheckBody = z.infer<typeof recordCheckBody>;
export type PublishPlanBody = z.infer<typeof publishPlanBody>;

// responses //////////

const citationView = z.object({ rule: z.string(), clause: z.string(), message: z.string() });

const sessionView = z.object({
  id: z.string(),
  name: z.string(),
  weekdays: z.array(z.number().int()),
  dismissal: z.string(),
  start: z.string(),
  end: z.string(),
  venue: z.string(),
  personInCharge: z.string(),
  content: z.string(),
  capacity: z.number().int(),
  activities: z.array(
    z.object({
      title: z.string(),
      category: z.string(),
      description: z.string().optional(),
      provider: z.object({ kind: z.string(), name: z.string().optional() }).optional(),
      assignsHomework: z.boolean().optional(),
    }),
  ),
  personInChargeId: z.string().optional(),
  staffIds: z.array(z.string()).optional(),
  approvedReason: z
    .object({ text: z.string(), approvedBy: z.string(), approvedAt: z.string().optional() })
    .optional(),
});

/**
 * A plan as the API shows it. Parents (public view) get the fields of `PLAN_PUBLIC_FIELDS`
 * and sessions without staff ids and approvals; the rest is for the school and the bureaus.
 */
export const planView = z.object({
  id: z.string(),
  cityId: z.string(),
  countyId: z.string(),
  schoolId: z.string(),
  term: z.string(),
  termStart: z.string(),
  termEnd: z.string(),
  /** `returned` while the process waits for the school's revision. */
  status: z.enum(['draft', 'submitted', 'returned', 'filed', 'published', 'withdrawn']),
  sessions: z.array(sessionView),
  feeStandardFen: z.number().int(),
  middayMinutes: z.number().int(),
  middayFeeConsent: z.boolean(),
  method: z.string().optional(),
  safetyMeasures: z.string().optional(),
  emergencyPlan: z.string().optional(),
  filing: z
    .object({
      filingNo: z.string(),
      publishedAt: z.string(),
      filedBy: z.string().optional(),
      filedAt: z.string().optional(),
      committeeConsentBy: z.string().optional(),
      committeeConsentAt: z.string().optional(),
      principalSignOffBy: z.string().optional(),
      principalSignOffAt: z.string().optional(),
    })
    .optional(),
  dutySchedule: z.string().optional(),
  staff: z.array(z.looseObject({ staffId: z.string(), name: z.string() })).optional(),
  instanceKey: z.string().optional(),
  currentSteps: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  submissions: z.number().int().optional(),
  lastCheck: z
    .object({
      at: z.string(),
      ok: z.boolean(),
      violations: z.array(citationView),
      warnings: z.array(citationView),
    })
    .optional(),
  /** Why the plan came back (the rule check's citations, or a reviewer's reason). */
  refusal: z
    .object({
      step: z.string(),
      violations: z.array(citationView).optional(),
      reason: z.string().optional(),
    })
    .optional(),
  createdBy: z.string().optional(),
  submittedBy: z.string().optional(),
  submittedAt: z.string().optional(),
  updatedAt: z.string().optional(),
  timeline: z
    .array(
      z.object({ step: z.string(), at: z.string(), by: z.string(), data: z.unknown().optional() }),
    )
    .optional(),
});

/** `GET /api/plans`. */
export const planList = z.object({ items: z.array(planView), total: z.number().int() });

/** What the check-plan worker checks: the plan in the rule book's terms and its calendar. */
export const planFacts = z.object({
  planId: z.string(),
  cityId: z.string(),
  countyId: z.string(),
  schoolId: z.string(),
  status: z.string(),
  plan: z.looseObject({ schoolId: z.string(), termId: z.string() }),
  calendar: z.looseObject({ terms: z.array(z.looseObject({ id: z.string() })) }),
});

/** The outcome of publishing. */
export const publishResponse = z.object({ status: z.string(), publishedAt: z.string() });

// helpers //////////

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}
