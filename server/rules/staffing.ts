/**
 * People, insurance and places (三(四), 四(二), 四(三)): staff are mainly the school's own and
 * never anyone with a bad record (SAFE-STAFF); outside professionals are paid by agreement
 * (FEE-EXTERNAL); every participating student is insured for the service period (SAFE-INSURE);
 * every session has a venue and a named person in charge (VENUE-RECORDS).
 */
import { z } from 'zod';
import type { RuleCitation } from '../lib/errors';
import { cite } from './citations';
import { dateInputSchema, type IsoDate } from './dates';
import { decide, type RuleDecision } from './decision';
import type { ServiceParameters } from './parameters';

const idSchema = z.string().min(1).max(64);

/** Outcome of the record check (不良记录) of a staff member. */
export const RECORD_CHECK_RESULTS = ['clear', 'bad', 'pending'] as const;

/** A person serving in the after-school service. */
export const staffMemberSchema = z.strictObject({
  staffId: idSchema,
  name: z.string().trim().min(1).max(50),
  /** The school's in-service staff (在职教职工) or an outside professional. */
  employment: z.enum(['in-service', 'external']),
  recordCheck: z.enum(RECORD_CHECK_RESULTS),
  /** The service agreement with an outside professional (FEE-EXTERNAL). */
  agreement: z.strictObject({ reference: z.string().trim().min(1).max(200) }).optional(),
});

/** A staff member (validated with {@link staffMemberSchema}). */
export type StaffMember = z.infer<typeof staffMemberSchema>;

/** A student's accident insurance (意外伤害保险); dates as in the student record. */
export const insuranceSchema = z.strictObject({
  insurer: z.string().trim().min(1).max(100),
  policyNo: z.string().trim().min(1).max(100),
  validFrom: dateInputSchema.optional(),
  validUntil: dateInputSchema,
});

/** Insurance (validated with {@link insuranceSchema}). */
export type Insurance = z.infer<typeof insuranceSchema>;

/** Where and under whom a session runs. */
export const sessionVenueSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  /** 教室、实验室、图书馆、体育场所、书法教室、音乐教室 … */
  venue: z.string().trim().max(100).optional(),
  /** The staff id of the person in charge (专人照管). */
  personInChargeId: idSchema.optional(),
});

/** A session's venue and person in charge (validated with {@link sessionVenueSchema}). */
export type SessionVenue = z.infer<typeof sessionVenueSchema>;

/**
 * SAFE-STAFF for one person: a bad record bars them, and so does a check not yet done; an
 * outside professional without an agreement on record is a FEE-EXTERNAL warning.
 */
export function checkStaffMember(member: StaffMember): RuleDecision {
  const violations: RuleCitation[] = [];
  const warnings: RuleCitation[] = [];
  const name = member.name;
  if (member.recordCheck === 'bad') {
    violations.push(cite('SAFE-STAFF', 'rule.SAFE-STAFF.bad-record', { name }));
  } else if (member.recordCheck === 'pending') {
    violations.push(cite('SAFE-STAFF', 'rule.SAFE-STAFF.unchecked', { name }));
  }
  if (member.employment === 'external' && !member.agreement) {
    warnings.push(cite('FEE-EXTERNAL', 'rule.FEE-EXTERNAL.no-agreement', { name }));
  }
  return decide(violations, warnings);
}

/**
 * SAFE-STAFF for a team: every member as {@link checkStaffMember}, and a warning when outside
 * staff are more than the county's share (the policy: mainly in-service staff).
 */
export function checkStaffing(
  staff: readonly StaffMember[],
  params: ServiceParameters,
): RuleDecision {
  const decisions = staff.map(checkStaffMember);
  const warnings = decisions.flatMap((d) => d.warnings);
  const external = staff.filter((m) => m.employment === 'external').length;
  if (staff.length > 0 && external / staff.length > params.maxExternalStaffShare) {
    warnings.push(
      cite('SAFE-STAFF', 'rule.SAFE-STAFF.mostly-external', {
        share: Math.round((external / staff.length) * 100),
        max: Math.round(params.maxExternalStaffShare * 100),
      }),
    );
  }
  return decide(
    decisions.flatMap((d) => d.violations),
    warnings,
  );
}

/** SAFE-INSURE: the student's accident insurance covers the whole service period. */
export function checkInsurance(
  insurance: Insurance | undefined,
  period: { from: IsoDate; to: IsoDate },
): RuleDecision {
  if (!insurance) return decide([cite('SAFE-INSURE', 'rule.SAFE-INSURE.missing')]);
  const violations: RuleCitation[] = [];
  if (insurance.validFrom !== undefined && insurance.validFrom > period.from) {
    violations.push(
      cite('SAFE-INSURE', 'rule.SAFE-INSURE.starts-late', {
        validFrom: insurance.validFrom,
        from: period.from,
      }),
    );
  }
  if (insurance.validUntil < period.to) {
    violations.push(
      cite('SAFE-INSURE', 'rule.SAFE-INSURE.expires', {
        validUntil: insurance.validUntil,
        to: period.to,
      }),
    );
  }
  return decide(violations);
}

/** VENUE-RECORDS: a session has a venue and a named person in charge. */
export function checkSessionVenue(session: SessionVenue): RuleDecision {
  const violations: RuleCitation[] = [];
  if (!session.venue?.trim()) {
    violations.push(
      cite('VENUE-RECORDS', 'rule.VENUE-RECORDS.no-venue', { session: session.name }),
    );
  }
  if (!session.personInChargeId) {
    violations.push(
      cite('VENUE-RECORDS', 'rule.VENUE-RECORDS.no-person', { session: session.name }),
    );
  }
  return decide(violations);
}
