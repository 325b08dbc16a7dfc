import { z } from 'zod';
import { checkInsurance } from '../server/rules/staffing';
import { applicationFacts, recordStep } from './facts';
import { complete, defineWorker, refuse } from './runtime';

/**
 * SAFE-INSURE: the child's accident insurance covers the whole term. The policy the guardian
 * named on the application counts, as does one already on the student's record.
 */
export default defineWorker({
  type: 'check-insurance',
  input: z.object({ applicationId: z.string().min(1) }),
  async handle({ applicationId }, ctx) {
    const facts = await applicationFacts(ctx, applicationId);
    const period = { from: facts.plan.termStart, to: facts.plan.termEnd };
    const named = checkInsurance(facts.application.insurance, period);
    const onRecord = facts.student.insuredUntil
      ? checkInsurance(
          { insurer: '学籍记录', policyNo: '-', validUntil: facts.student.insuredUntil },
          period,
        )
      : named;
    if (!named.ok && !onRecord.ok) {
      await recordStep(ctx, applicationId, {
        step: 'check-insurance',
        status: 'refused',
        rules: named.violations,
      });
      return refuse(named.violations);
    }
    await recordStep(ctx, applicationId, { step: 'check-insurance' });
    return complete({ insured: true });
  },
});
