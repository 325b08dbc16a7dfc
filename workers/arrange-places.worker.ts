import { z } from 'zod';
import type { RuleCitation } from '../server/lib/errors';
import { complete, defineWorker } from './runtime';

/**
 * 统筹安排 (ELIG-PRIORITY): asks the server for a seat of the chosen session; seats are
 * claimed there by insert so no two workers over-fill a session, and a full session puts the
 * child on a waiting list ordered by priority group, then application time.
 */
export default defineWorker({
  type: 'arrange-places',
  input: z.object({ applicationId: z.string().min(1) }),
  async handle({ applicationId }, ctx) {
    const r = await ctx.api.post<{
      status: 'placed' | 'waiting';
      rank?: number;
      rules: RuleCitation[];
    }>(`/api/enrolment/applications/${encodeURIComponent(applicationId)}/arrange`, {});
    return complete({
      placed: r.status === 'placed',
      waitingRank: r.rank ?? null,
      ...(r.rules.length ? { placementReason: r.rules[0] } : {}),
    });
  },
});
