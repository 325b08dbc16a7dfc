import { z } from 'zod';
import { recordStep } from './facts';
import { complete, defineWorker } from './runtime';

/**
 * A withdrawal after the fee was assessed (ELIG-VOLUNTARY, FEE-PRORATE): records the refund
 * of the unserved days. Payment is not collected yet in this release (WeChat Pay comes with
 * the integration), so what was paid is zero and the refund is recorded as such.
 */
export default defineWorker({
  type: 'refund-fee',
  input: z.object({
    applicationId: z.string().min(1),
    paidFen: z.number().int().min(0).optional(),
  }),
  async handle({ applicationId, paidFen }, ctx) {
    await recordStep(ctx, applicationId, { step: 'refund-fee', note: `paid ${paidFen ?? 0} fen` });
    return complete({ refundFen: 0 });
  },
});
