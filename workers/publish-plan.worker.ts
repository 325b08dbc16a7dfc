import { z } from 'zod';
import { complete, defineWorker } from './runtime';

/**
 * Publication after the county's filing (平台备案, PLAN-ONE-SCHOOL): the plan becomes
 * `published` — the plan parents see and apply under — with the filing number, the
 * committee's consent to a midday fee (FEE-PRORATE), who consented (FLOW-COMMITTEE) and signed
 * (RESP-PRINCIPAL), and the principal's written reason on every session beyond TIME-2H.
 * Idempotent: the server answers a plan already published with its publication time.
 */
export default defineWorker({
  type: 'publish-plan',
  input: z.object({
    planId: z.string().min(1),
    filingNo: z.string().min(1),
    timeExceptionReason: z.string().nullable().optional(),
    middayFeeConsent: z.boolean().nullable().optional(),
    responsibilityAccepted: z.boolean().nullable().optional(),
  }),
  async handle(v, ctx) {
    const r = await ctx.api.post<{ publishedAt: string }>(
      `/api/plans/${encodeURIComponent(v.planId)}/publish`,
      {
        key: ctx.elementInstanceKey,
        filingNo: v.filingNo,
        timeExceptionReason: v.timeExceptionReason ?? null,
        middayFeeConsent: v.middayFeeConsent ?? false,
        responsibilityAccepted: v.responsibilityAccepted ?? false,
      },
    );
    return complete({ publishedAt: r.publishedAt });
  },
});
