import type { ApplicationFacts } from '../server/modules/enrolment/enrolment.service';
import { resolveParameters, type ServiceParameters } from '../server/rules/parameters';
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

/** The county's parameters (the city's defaults until counties set their own). */
export function parametersOf(_facts: ApplicationFacts): ServiceParameters {
  return resolveParameters(undefined);
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
