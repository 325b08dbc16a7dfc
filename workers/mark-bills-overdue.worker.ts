import { z } from 'zod';
import { runPath } from './billing-api';
import { complete, defineWorker } from './runtime';

/** The school's bills of the month still unpaid after the last reminder become overdue. */
export default defineWorker({
  type: 'mark-bills-overdue',
  input: z.object({ schoolId: z.string().min(1), billingMonth: z.string().min(7) }),
  async handle({ schoolId, billingMonth }, ctx) {
    const r = await ctx.api.post<{ overdueBillCount: number }>(
      `${runPath(schoolId, billingMonth)}/overdue`,
      {},
    );
    return complete({ overdueBillCount: r.overdueBillCount });
  },
});
