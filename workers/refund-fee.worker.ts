import { z } from 'zod';
import type { BillView } from '../server/modules/billing/billing.schema';
import { shanghaiDate } from '../server/rules/dates';
import { formatYuan, refundOnWithdrawal } from '../server/rules/fees';
import type { KehouApi as Api } from './api-client';
import { recordStep } from './facts';
import { complete, defineWorker } from './runtime';

/**
 * A withdrawal after the fee was assessed (ELIG-VOLUNTARY, FEE-PRORATE): service stops on the
 * day of the withdrawal, so each bill of the child is settled with `refundOnWithdrawal` —
 * a paid bill gives back the unserved days (a refund in the earmarked ledger), an unpaid one
 * asks only for the days served. The day is the message's `withdrawnAt`, else the day the
 * application records its withdrawal, else today (Asia/Shanghai). Each bill records its
 * withdrawal once, so a job delivered twice refunds once.
 */
export default defineWorker({
  type: 'refund-fee',
  input: z.object({
    applicationId: z.string().min(1),
    withdrawnAt: z.string().nullable().optional(),
  }),
  async handle({ applicationId, withdrawnAt }, ctx) {
    const withdrawnOn = await withdrawalDay(ctx.api, applicationId, withdrawnAt ?? undefined);
    const { items: bills } = await ctx.api.get<{ items: BillView[] }>(
      `/api/billing/bills?applicationId=${encodeURIComponent(applicationId)}&limit=500`,
    );
    let refundFen = 0;
    for (const bill of bills) {
      const recorded = bill.withdrawal ?? (await settle(ctx.api, bill, withdrawnOn));
      if (recorded) refundFen += recorded.refundFen;
    }
    await recordStep(ctx, applicationId, {
      step: 'refund-fee',
      note: `withdrawn on ${withdrawnOn}: refund ${formatYuan(refundFen)} yuan over ${bills.length} bill(s)`,
    });
    return complete({ refundFen, refundYuan: formatYuan(refundFen), withdrawnOn });
  },
});

// helpers //////////

/** What the withdrawal does to one bill, recorded by the billing API (paid: refund). */
async function settle(api: Api, bill: BillView, withdrawnOn: string) {
  // bills of months before the withdrawal were served in full
  if (bill.status === 'waived' || bill.status === 'cancelled') return undefined;
  if (bill.month < withdrawnOn.slice(0, 7)) return undefined;
  const paid = bill.status === 'paid';
  const r = refundOnWithdrawal({
    paidFen: paid ? (bill.paidFen ?? 0) : bill.amountFen,
    billedDays: bill.serviceDays,
    withdrawnOn,
  });
  const updated = await api.post<BillView>(
    `/api/billing/bills/${encodeURIComponent(bill.id)}/withdrawal`,
    {
      withdrawnOn,
      keptFen: r.keptFen,
      refundFen: r.refundFen,
      servedDays: r.servedDays,
      remainingDays: r.remainingDays,
    },
  );
  return updated.withdrawal;
}

/** The day service stopped: the message's, else the application's withdrawal, else today. */
async function withdrawalDay(api: Api, applicationId: string, withdrawnAt?: string) {
  if (withdrawnAt)
    return /^\d{4}-\d{2}-\d{2}$/.test(withdrawnAt)
      ? withdrawnAt
      : shanghaiDate(new Date(withdrawnAt));
  const app = await api.get<{ timeline?: { step: string; at: string }[] }>(
    `/api/enrolment/applications/${encodeURIComponent(applicationId)}`,
  );
  const withdrawn = app.timeline?.find((e) => e.step === 'withdrawn');
  return shanghaiDate(withdrawn ? new Date(withdrawn.at) : new Date());
}
