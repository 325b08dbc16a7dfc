/**
 * When the service runs (三(二)): after normal dismissal on school days (TIME-SCHOOLDAY),
 * ending no earlier than the season's minimum (TIME-END-SUMMER, TIME-END-WINTER; seasons per
 * county, TIME-SEASON) and in principle within two hours of dismissal (TIME-2H, soft: longer
 * only with a written reason the school approved).
 */
import { z } from 'zod';
import type { RuleCitation } from '../lib/errors';
import { t } from '../lib/i18n';
import { checkSchoolDay, type SchoolCalendar } from './calendar';
import { cite } from './citations';
import { isoDateSchema, minutesOfDay, timeOfDaySchema, type IsoDate } from './dates';
import { decide, combine, type RuleDecision } from './decision';
import { minimumEndMinutes, seasonOf, type Season, type ServiceParameters } from './parameters';

/**
 * Kinds of service: the after-school service proper (课后服务), midday care (午间服务) and
 * other extra services; the latter two are charged pro rata (FEE-PRORATE).
 */
export const SERVICE_KINDS = ['after-school', 'midday', 'extra'] as const;

/** A kind of service. */
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** A written reason for running longer than TIME-2H allows, approved by the school. */
export const approvedReasonSchema = z.strictObject({
  text: z.string().trim().min(1).max(1000),
  approvedBy: z.string().min(1).max(64),
  approvedAt: z.iso.datetime({ offset: true }).optional(),
});

/** A written reason approved by the school (TIME-2H). */
export type ApprovedReason = z.infer<typeof approvedReasonSchema>;

/** The times of one session: on a date, or in a season's timetable of a plan. */
export const sessionTimesSchema = z
  .strictObject({
    kind: z.enum(SERVICE_KINDS).optional(),
    /** A dated session; its season follows from the county's season dates. */
    date: isoDateSchema.optional(),
    /** The timetable a plan's session belongs to, when it has no date. */
    season: z.enum(['summer', 'winter']).optional(),
    /** Normal dismissal (正常放学) that day. */
    dismissalTime: timeOfDaySchema,
    startTime: timeOfDaySchema,
    endTime: timeOfDaySchema,
    approvedReason: approvedReasonSchema.optional(),
  })
  .refine((s) => s.date !== undefined || s.season !== undefined, { path: ['season'] })
  .refine((s) => s.startTime < s.endTime, { path: ['endTime'] });

/** The times of one session (validated with {@link sessionTimesSchema}). */
export type SessionTimes = z.infer<typeof sessionTimesSchema>;

/**
 * Checks a session's times against the county's parameters and, for a dated session, the
 * school calendar. Midday and extra services are only held to school days; the end-time and
 * two-hour rules are about the after-school service.
 */
export function checkServiceTime(
  session: SessionTimes,
  params: ServiceParameters,
  calendar?: SchoolCalendar,
): RuleDecision {
  const schoolDay =
    session.date !== undefined && calendar ? checkSchoolDay(session.date, calendar) : decide();
  if ((session.kind ?? 'after-school') !== 'after-school') return schoolDay;

  const violations: RuleCitation[] = [];
  const warnings: RuleCitation[] = [];
  const season = sessionSeason(session, params, violations);
  const dismissal = minutesOfDay(session.dismissalTime);
  const end = minutesOfDay(session.endTime);

  if (minutesOfDay(session.startTime) < dismissal) {
    violations.push(
      cite('TIME-SCHOOLDAY', 'rule.TIME-SCHOOLDAY.before-dismissal', {
        start: session.startTime,
        dismissal: session.dismissalTime,
      }),
    );
  }
  if (end < minimumEndMinutes(season, params)) {
    violations.push(endTooEarly(season, session.endTime, params));
  }
  const overrun = end - dismissal;
  if (overrun > params.maxMinutesAfterDismissal) {
    const values = { minutes: overrun, max: params.maxMinutesAfterDismissal };
    if (session.approvedReason) {
      warnings.push(
        cite('TIME-2H', 'rule.TIME-2H.approved', {
          ...values,
          reason: session.approvedReason.text,
        }),
      );
    } else {
      violations.push(cite('TIME-2H', 'rule.TIME-2H.needs-approval', values));
    }
  }
  return combine(schoolDay, decide(violations, warnings));
}

/** The season of a dated or seasonal session; a date in the other season is a violation. */
export function sessionSeason(
  session: Pick<SessionTimes, 'date' | 'season'>,
  params: ServiceParameters,
  violations: RuleCitation[] = [],
): Season {
  if (session.date === undefined) return session.season ?? 'winter';
  const season = seasonOf(session.date, params);
  if (session.season !== undefined && session.season !== season) {
    violations.push(wrongSeason(session.date, season));
  }
  return season;
}

// helpers //////////

function endTooEarly(season: Season, endTime: string, params: ServiceParameters): RuleCitation {
  const values = { end: endTime, min: params.endNoEarlierThan[season] };
  return season === 'summer'
    ? cite('TIME-END-SUMMER', 'rule.TIME-END-SUMMER.too-early', values)
    : cite('TIME-END-WINTER', 'rule.TIME-END-WINTER.too-early', values);
}

function wrongSeason(date: IsoDate, season: Season): RuleCitation {
  return cite('TIME-SEASON', 'rule.TIME-SEASON.wrong-season', {
    date,
    season: t(`season.${season}` as const),
  });
}
