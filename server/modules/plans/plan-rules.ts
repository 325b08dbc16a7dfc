import type { SchoolCalendar } from '../../rules/calendar';
import type { Activity } from '../../rules/content';
import { minutesOfDay, type Weekday } from '../../rules/dates';
import type { ServiceParameters } from '../../rules/parameters';
import type { SchoolPlan } from '../../rules/plan';
import type { PlanDoc, PlanSession } from './plans.model';

/**
 * A stored plan in the rule book's terms ({@link SchoolPlan}): a session's times hold in every
 * timetable (summer and winter) of the term, its activities are its content (a plan stored
 * before activities existed has one activity: its name in its content category), the midday
 * service is an extra service charged with the committee's consent (FEE-PRORATE). `filing`
 * adds the committee's consent and the principal's sign-off for `checkPlanFiling`.
 */
export function toSchoolPlan(
  doc: PlanDoc,
  filing?: {
    committeeConsent?: { reference: string; recordedAt: string };
    principal?: { userId: string; signedAt: string };
  },
): SchoolPlan {
  const consent = filing?.committeeConsent;
  return {
    schoolId: doc.schoolId,
    termId: doc.term,
    ...(doc.method ? { method: doc.method } : {}),
    sessions: doc.sessions.map(toRuleSession),
    fee: {
      monthlyStandardFen: doc.feeStandardFen,
      ...(doc.middayMinutes > 0
        ? {
            extras: [
              {
                kind: 'midday' as const,
                minutesPerDay: doc.middayMinutes,
                ...(doc.middayFeeConsent && consent ? { committeeConsent: consent } : {}),
              },
            ],
          }
        : {}),
    },
    staff: (doc.staff ?? []).map((m) => ({
      staffId: m.staffId,
      name: m.name,
      employment: m.employment,
      recordCheck: m.recordCheck,
      ...(m.agreement ? { agreement: { reference: m.agreement.reference } } : {}),
    })),
    ...(doc.safetyMeasures ? { safetyMeasures: doc.safetyMeasures } : {}),
    ...(doc.emergencyPlan ? { emergencyPlan: doc.emergencyPlan } : {}),
    ...(consent ? { committeeConsent: consent } : {}),
    ...(filing?.principal ? { principalSignOff: { ...filing.principal, role: 'principal' } } : {}),
  };
}

/** The school calendar of the plan's term: its first and last day (holidays come from the rule book). */
export function planCalendar(
  doc: Pick<PlanDoc, 'schoolId' | 'term' | 'termStart' | 'termEnd'>,
): SchoolCalendar {
  return {
    schoolId: doc.schoolId,
    terms: [{ id: doc.term, name: doc.term, from: doc.termStart, to: doc.termEnd }],
  };
}

/** The sessions ending more than the county's minutes after dismissal (TIME-2H). */
export function overrunningSessions(
  sessions: readonly PlanSession[],
  params: Pick<ServiceParameters, 'maxMinutesAfterDismissal'>,
): PlanSession[] {
  return sessions.filter(
    (s) => minutesOfDay(s.end) - minutesOfDay(s.dismissal) > params.maxMinutesAfterDismissal,
  );
}

// helpers //////////

function toRuleSession(s: PlanSession): SchoolPlan['sessions'][number] {
  const times = {
    dismissalTime: s.dismissal,
    startTime: s.start,
    endTime: s.end,
    ...(s.approvedReason
      ? {
          approvedReason: {
            text: s.approvedReason.text,
            approvedBy: s.approvedReason.approvedBy,
            ...(s.approvedReason.approvedAt ? { approvedAt: s.approvedReason.approvedAt } : {}),
          },
        }
      : {}),
  };
  const activities: Activity[] = s.activities?.length
    ? s.activities.map((a) => ({
        title: a.title,
        category: a.category,
        ...(a.description ? { description: a.description } : {}),
        ...(a.provider ? { provider: { ...a.provider } } : {}),
        ...(a.assignsHomework !== undefined ? { assignsHomework: a.assignsHomework } : {}),
      }))
    : s.content
      ? [{ title: s.name, category: s.content }]
      : [];
  return {
    id: s.id,
    name: s.name,
    weekdays: s.weekdays as Weekday[],
    timetable: { summer: { ...times }, winter: { ...times } },
    ...(s.venue ? { venue: s.venue } : {}),
    ...(s.personInChargeId ? { personInChargeId: s.personInChargeId } : {}),
    ...(s.staffIds?.length ? { staffIds: [...s.staffIds] } : {}),
    ...(s.capacity ? { capacity: s.capacity } : {}),
    activities,
  };
}
