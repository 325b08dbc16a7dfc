import { z } from 'zod';
import { complete, defineWorker } from './runtime';

/**
 * Records on a WeChat Pay discrepancy the resolution its review task was completed with, and
 * who completed it. The worker names only the discrepancy: the server reads the resolution and
 * the person from the engine's record of the task's completion, so nobody can put another
 * name on it. Idempotent: a discrepancy is resolved once; a second delivery answers the same.
 */
export default defineWorker({
  type: 'resolve-discrepancy',
  input: z.object({ discrepancyId: z.string().min(1) }),
  async handle({ discrepancyId }, ctx) {
    const d = await ctx.api.post<{ resolvedBy?: string; resolvedAt?: string }>(
      `/api/payments/discrepancies/${encodeURIComponent(discrepancyId)}/process-resolution`,
      {},
    );
    return complete({
      resolvedBy: d.resolvedBy ?? null,
      resolvedAt: d.resolvedAt ?? null,
    });
  },
});
