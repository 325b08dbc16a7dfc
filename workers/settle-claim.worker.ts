import { z } from 'zod';
import { settlementInputSchema } from '../server/modules/claims/settlement';
import { ApiRefusal } from './api-client';
import { complete, defineWorker, refuse } from './runtime';

/**
 * SAFE-CLAIM (损害赔偿的多方承担共担机制): the server checks the proposed shares (they cover the
 * loss exactly, and the insurer or the school bears part of it) and records the settlement in
 * fen; a refusal comes back as SAFE_RULE_VIOLATION, which sends the claim back to the school's
 * proposal with the rule. Idempotent by the job's element instance key.
 */
export default defineWorker({
  type: 'settle-claim',
  input: settlementInputSchema.extend({
    claimId: z.string().min(1),
    incidentId: z.string().nullable().optional(),
    studentId: z.string().min(1),
    cityId: z.string().optional(),
    countyId: z.string().optional(),
    schoolId: z.string().optional(),
    settlementNote: z.string().nullable().optional(),
    claimantName: z.string().nullable().optional(),
    claimantPhone: z.string().nullable().optional(),
  }),
  async handle({ claimId, ...v }, ctx) {
    try {
      const r = await ctx.api.post<{
        settlement: Record<string, unknown>;
        claimantUserId?: string;
      }>(`/api/claims/${encodeURIComponent(claimId)}/settlement`, {
        key: ctx.elementInstanceKey,
        instanceKey: ctx.processInstanceKey,
        ...v,
      });
      // the guardian named as claimant is told and may appeal (ClaimantResponse)
      return complete({
        settlement: r.settlement,
        ...(r.claimantUserId ? { claimantUserId: r.claimantUserId } : {}),
      });
    } catch (err) {
      if (err instanceof ApiRefusal && err.status === 422 && err.rules.length)
        return refuse(err.rules);
      throw err;
    }
  },
});
