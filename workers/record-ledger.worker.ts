import { z } from 'zod';
import type { RuleCitation } from '../server/lib/errors';
import { runPath } from './billing-api';
import { complete, defineWorker, refuse } from './runtime';

/**
 * The earmarked ledger (FEE-EARMARK), two steps told apart by the task header `entryKind`:
 * `payments` books every payment of the school's run received so far as income and answers
 * who has not paid; `month-close` sums the month and carries the balance, refusing with
 * FEE-EARMARK when an entry lies outside the policy's categories (the diagram reports it to
 * the county bureau). Both are idempotent: entries are keyed by their bill.
 */
export default defineWorker({
  type: 'record-ledger',
  input: z.object({
    schoolId: z.string().min(1),
    billingMonth: z.string().min(7),
    reminderRound: z.number().int().nullable().optional(),
  }),
  async handle({ schoolId, billingMonth }, ctx) {
    const kind = ctx.headers.entryKind;
    if (kind === 'payments') {
      const r = await ctx.api.post<{
        paidFen: number;
        unpaidBillCount: number;
        unpaidStudentIds: string[];
      }>(`${runPath(schoolId, billingMonth)}/payments`, {});
      return complete({
        paidFen: r.paidFen,
        unpaidBillCount: r.unpaidBillCount,
        unpaidStudentIds: r.unpaidStudentIds,
      });
    }
    if (kind === 'month-close') {
      const r = await ctx.api.post<{ ledgerBalanceFen: number; breaches: RuleCitation[] }>(
        `/api/billing/ledger/${encodeURIComponent(schoolId)}/${encodeURIComponent(billingMonth)}/close`,
        {},
      );
      if (r.breaches.length) return refuse(r.breaches, { ledgerBalanceFen: r.ledgerBalanceFen });
      return complete({ ledgerBalanceFen: r.ledgerBalanceFen });
    }
    // a diagram without the header is a modelling error: the job fails into an incident
    throw new Error(
      `record-ledger needs the task header entryKind (payments | month-close), got ${String(kind)}`,
    );
  },
});
