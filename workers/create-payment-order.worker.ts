import { z } from 'zod';
import { runPath } from './billing-api';
import { complete, defineWorker } from './runtime';

/**
 * A payment order (WeChat Pay `out_trade_no`) for every unpaid bill of the school's run that
 * has none. Orders are derived from their bills, so a job delivered twice orders once; a bill
 * with an item other than the service's own is never ordered (FEE-NO-ABUSE, a failed job).
 */
export default defineWorker({
  type: 'create-payment-order',
  input: z.object({ schoolId: z.string().min(1), billingMonth: z.string().min(7) }),
  async handle({ schoolId, billingMonth }, ctx) {
    const r = await ctx.api.post<{ paymentOrderCount: number }>(
      `${runPath(schoolId, billingMonth)}/payment-orders`,
      {},
    );
    return complete({ paymentOrderCount: r.paymentOrderCount });
  },
});
