import { z } from 'zod';
import type { RuleCitation } from '../server/lib/errors';
import type { SchoolCalendar } from '../server/rules/calendar';
import { checkPlan, type SchoolPlan } from '../server/rules/plan';
import { countyParameters } from './facts';
import { complete, defineWorker, refuse, type JobContext } from './runtime';

/** What `GET /api/plans/:id/facts` answers. */
interface PlanFacts {
  planId: string;
  countyId: string;
  plan: SchoolPlan;
  calendar: SchoolCalendar;
}

/**
 * The automatic checks of a school's plan (一校一案): every data rule of the rule book's
 * `checkPlan` with the county's parameters in force — completeness (PLAN-ONE-SCHOOL), school
 * days and end times per timetable (TIME-SCHOOLDAY, TIME-END-*, TIME-SEASON), content
 * (CONTENT-*), the fee within the county's cap (FEE-CAP), staff (SAFE-STAFF), venues and persons
 * in charge (VENUE-RECORDS), the emergency plan (SAFE-ATTEND). A hard violation refuses the plan
 * (BPMN error of the first rule's family, caught by `PlanRefused`, which sends it back to the
 * school with the citations). A session ending beyond TIME-2H is soft: it comes back as a
 * `timeWarnings` entry, and the diagram asks the principal for a written reason
 * (`ApproveTimeException`). Other warnings (CONTENT-NO-BURDEN, FEE-PRORATE pending consent,
 * FEE-EXTERNAL) are returned for the reviewers. The outcome is recorded on the plan, keyed by
 * the job's element instance key.
 */
export default defineWorker({
  type: 'check-plan',
  input: z.object({ planId: z.string().min(1) }),
  async handle({ planId }, ctx) {
    const facts = await ctx.api.get<PlanFacts>(`/api/plans/${encodeURIComponent(planId)}/facts`);
    const params = await countyParameters(ctx, facts.countyId);
    const decision = checkPlan(facts.plan, params, facts.calendar);
    // TIME-2H without a written reason is the rule book's violation; in the plan process it is
    // the soft case the principal decides on in writing
    const timeWarnings = decision.violations.filter((v) => v.rule === 'TIME-2H');
    const violations = decision.violations.filter((v) => v.rule !== 'TIME-2H');
    const warnings = [...timeWarnings, ...decision.warnings];
    if (violations.length) {
      await recordCheck(ctx, planId, false, violations, warnings);
      return refuse(violations);
    }
    await recordCheck(ctx, planId, true, [], warnings);
    return complete({
      planChecked: true,
      timeWarnings,
      contentWarnings: decision.warnings.filter((w) => w.rule.startsWith('CONTENT-')),
      planWarnings: decision.warnings.filter((w) => !w.rule.startsWith('CONTENT-')),
      // a reason given in an earlier round does not carry over to a plan that no longer needs one
      ...(timeWarnings.length ? {} : { timeExceptionReason: null }),
    });
  },
});

// helpers //////////

async function recordCheck(
  ctx: JobContext,
  planId: string,
  ok: boolean,
  violations: RuleCitation[],
  warnings: RuleCitation[],
): Promise<void> {
  await ctx.api.post(`/api/plans/${encodeURIComponent(planId)}/checks`, {
    key: ctx.elementInstanceKey,
    ok,
    violations,
    warnings,
  });
}
