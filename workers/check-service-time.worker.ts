import { z } from 'zod';
import { checkServiceTime, sessionSeason } from '../server/rules/service-time';
import { applicationFacts, parametersOf, recordStep } from './facts';
import { complete, defineWorker, refuse } from './runtime';

/**
 * TIME-*: the chosen session starts after dismissal and ends no earlier than the county's
 * minimum for the timetable of the term's start; beyond TIME-2H only with the school's approved
 * written reason (kept as a warning on the record).
 */
export default defineWorker({
  type: 'check-service-time',
  input: z.object({ applicationId: z.string().min(1) }),
  async handle({ applicationId }, ctx) {
    const facts = await applicationFacts(ctx, applicationId);
    const params = await parametersOf(ctx, facts);
    const season = sessionSeason({ date: facts.plan.termStart }, params);
    const decision = checkServiceTime(
      {
        season,
        dismissalTime: facts.session.dismissal,
        startTime: facts.session.start,
        endTime: facts.session.end,
        ...(facts.session.approvedReason ? { approvedReason: facts.session.approvedReason } : {}),
      },
      params,
    );
    if (!decision.ok) {
      await recordStep(ctx, applicationId, {
        step: 'check-service-time',
        status: 'refused',
        rules: decision.violations,
      });
      return refuse(decision.violations);
    }
    await recordStep(ctx, applicationId, {
      step: 'check-service-time',
      ...(decision.warnings.length ? { rules: decision.warnings } : {}),
    });
    return complete({ timeWarnings: decision.warnings });
  },
});
