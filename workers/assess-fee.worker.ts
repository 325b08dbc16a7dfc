import { z } from 'zod';
import { assessMonthlyFee, formatYuan } from '../server/rules/fees';
import { applicationFacts, calendarOf, parametersOf, recordStep } from './facts';
import { complete, defineWorker, refuse } from './runtime';

/**
 * Fees (FEE-CAP, FEE-FREE-POOR, FEE-PRORATE): the monthly fee of the first month of service,
 * in fen — the school's standard within the county's cap, prorated to the chosen weekdays,
 * free for registered poor households, a midday service charged only with the committee's
 * consent on record.
 */
export default defineWorker({
  type: 'assess-fee',
  input: z.object({ applicationId: z.string().min(1) }),
  async handle({ applicationId }, ctx) {
    const facts = await applicationFacts(ctx, applicationId);
    const params = await parametersOf(ctx, facts);
    const calendar = calendarOf(facts);
    const month = facts.plan.termStart.slice(0, 7);
    const assessment = assessMonthlyFee(
      {
        month,
        standardFen: facts.plan.feeStandardFen,
        povertyRegistered: facts.student.povertyRegistered,
        weekdays: facts.application.weekdays as (1 | 2 | 3 | 4 | 5)[],
        from: facts.plan.termStart,
        extras:
          facts.application.midday && facts.plan.middayMinutes > 0
            ? [
                {
                  kind: 'midday' as const,
                  minutesPerDay: facts.plan.middayMinutes,
                  ...(facts.plan.middayFeeConsent
                    ? {
                        committeeConsent: {
                          reference: `plan:${facts.plan.id}`,
                          recordedAt: new Date(0).toISOString(),
                        },
                      }
                    : {}),
                },
              ]
            : [],
      },
      params,
      calendar,
    );
    if (!assessment.ok) {
      await recordStep(ctx, applicationId, {
        step: 'assess-fee',
        status: 'refused',
        rules: assessment.violations,
      });
      return refuse(assessment.violations);
    }
    const middayFen = assessment.lines
      .filter((l) => l.item === 'midday')
      .reduce((s, l) => s + l.fen, 0);
    const fee = {
      monthlyFen: assessment.totalFen,
      free: facts.student.povertyRegistered,
      middayFen,
      citations: assessment.applied.map((c) => c.rule).join(','),
    };
    await recordStep(ctx, applicationId, {
      step: 'assess-fee',
      status: 'enrolled',
      fee,
      rules: assessment.applied,
    });
    return complete({
      feeAssessed: true,
      monthlyFen: fee.monthlyFen,
      monthlyYuan: formatYuan(fee.monthlyFen),
      feeMonth: month,
    });
  },
});
