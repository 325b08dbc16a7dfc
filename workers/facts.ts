import type { ApplicationFacts } from '../server/modules/enrolment/enrolment.service';
import type { ServiceParameters } from '../server/rules/parameters';
import type { SchoolCalendar } from '../server/rules/calendar';
import type { JobContext } from './runtime';

/** The facts of one application, read by the worker's service account. */
export function applicationFacts(
  ctx: JobContext,
  applicationId: string,
): Promise<ApplicationFacts> {
  return ctx.api.get<ApplicationFacts>(
    `/api/enrolment/applications/${encodeURIComponent(applicationId)}/facts`,
  );
}

/**
 * The parameters in force for a county, read through the API (its own season dates, end times
 * and minutes after dismissal; its own fee standard once the city approved it; else the city's).
 */
export function countyParameters(ctx: JobContext, countyId: string): Promise<ServiceParameters> {
  return ctx.api.get<ServiceParameters>(
    `/api/parameters/counties/${encodeURIComponent(countyId)}/effective`,
  );
}

/** The parameters in force for the application's county. */
export function parametersOf(ctx: JobContext, facts: ApplicationFacts): Promise<ServiceParameters> {
  return countyParameters(ctx, facts.plan.countyId);
}

/** The school calendar of the application's term: the plan's term dates and the official calendar. */
export function calendarOf(facts: ApplicationFacts): SchoolCalendar {
  return {
    schoolId: facts.plan.schoolId,
    terms: [
      {
        id: facts.plan.term,
        name: facts.plan.term,
        from: facts.plan.termStart,
        to: facts.plan.termEnd,
      },
    ],
  };
}

/** Records a step of the application (idempotent by the job's element instance key). */
export async function recordStep(
  ctx: JobContext,
  applicationId: string,
  body: Record<string, unknown> & { step: string },
): Promise<void> {
  await ctx.api.post(`/api/enrolment/applications/${encodeURIComponent(applicationId)}/steps`, {
    key: ctx.elementInstanceKey,
    ...body,
  });
}
