import type { RequestHandler } from 'express';
import type { Database } from '../../db/connection';
import type { Engine } from '../../engine/engine';
import type { SecretBox } from '../../integrations/secret-box';
import type {
  WechatPayClientOptions,
  WechatPayMerchant,
} from '../../integrations/wechatpay/client';
import { NotFoundError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import type { Logger } from '../../lib/logger';
import type { BillingService } from '../billing/billing.service';
import type { NotificationService } from '../notifications/notifications.service';
import type { DiscrepancyDoc } from './payments.model';
import { orgModels } from '../org/org.model';
import { billingPortOf } from './billing-port';
import { discrepancyProcess, type DiscrepancyProcess } from './discrepancy-process';
import { createPayments } from './index';

/**
 * Payments joined to the product (server/main.ts and the domain test harness): bills of the
 * billing module are what is ordered and settled; a withdrawal's refund of a bill paid by
 * WeChat Pay goes back the way it came; a difference the daily reconciliation finds is told
 * to the school's admins and the county's bureau in-app and, with an engine, starts its
 * `payment-discrepancy` process (the school's resolved variant or the city template) whose
 * inbox task the school's admin (the county bureau without a school) completes with the
 * resolution; resolving at /api/payments/discrepancies completes that task. A start that
 * fails (the engine unavailable) leaves the process not yet started, and every reconciliation
 * run starts the processes of the open discrepancies not yet started (exactly one instance
 * each, however many runs at once: discrepancy-process.ts).
 */
export async function composePayments(deps: {
  db: Database;
  billing: BillingService;
  notifications: NotificationService;
  requireSession: RequestHandler;
  logger: Logger;
  merchant?: Omit<WechatPayMerchant, 'notifyUrl'>;
  box: SecretBox;
  publicUrl: string;
  client?: WechatPayClientOptions;
  schedule?: boolean;
  /** The engine each discrepancy's process runs on, and which definition a school runs. */
  engine?: Engine;
  resolveProcess?: (bpmnProcessId: string, schoolId: string) => Promise<string | undefined>;
}): Promise<Awaited<ReturnType<typeof createPayments>>> {
  const org = orgModels(deps.db.connection);
  const engine = deps.engine;
  let process: DiscrepancyProcess | undefined;
  /** The discrepancy with the county of its school when it names only the school. */
  const placed = async (raised: DiscrepancyDoc): Promise<DiscrepancyDoc> => {
    const school =
      raised.schoolId && !raised.countyId
        ? await org.schools.findById(raised.schoolId).lean()
        : null;
    return school ? { ...raised, cityId: school.cityId, countyId: school.countyId } : raised;
  };
  const startProcess = async (d: DiscrepancyDoc): Promise<void> => {
    // nobody to give the task to without a place (no order, the environment's merchant)
    if (!process || !(d.schoolId || d.countyId)) return;
    await process.start(d).catch((err: unknown) => {
      deps.logger.warn(
        { err, id: d._id },
        'starting the discrepancy process failed; retried next run',
      );
    });
  };
  const payments = await createPayments({
    db: deps.db,
    billing: billingPortOf(
      deps.billing,
      async (schoolId) => {
        const school = await org.schools.findById(schoolId).lean();
        if (!school) throw new NotFoundError(`no school ${schoolId}`);
        return { cityId: school.cityId, countyId: school.countyId };
      },
      (bill) =>
        t('payments.order.description', {
          month: `${bill.month.slice(0, 4)}年${Number(bill.month.slice(5, 7))}月`,
          student: bill.studentName,
        }),
    ),
    requireSession: deps.requireSession,
    logger: deps.logger,
    ...(deps.merchant ? { merchant: deps.merchant } : {}),
    box: deps.box,
    publicUrl: deps.publicUrl,
    ...(deps.client ? { client: deps.client } : {}),
    ...(deps.schedule === undefined ? {} : { schedule: deps.schedule }),
    ...(engine
      ? {
          discrepancyProcess: (m) => (process = discrepancyProcess(engine, m, deps.resolveProcess)),
        }
      : {}),
    beforeReconcile: async () => {
      if (!process) return;
      const open = await payments.service.discrepancies({ open: true });
      const started = await process.started(open.map((d) => d._id));
      for (const d of open) if (!started.has(d._id)) await startProcess(await placed(d));
    },
    incidents: async (raised) => {
      const d = await placed(raised);
      await startProcess(d);
      const groups = [
        ...(d.schoolId ? [`school:${d.schoolId}:admin`] : []),
        ...(d.countyId ? [`county:${d.countyId}:bureau`] : []),
      ];
      if (groups.length === 0) return;
      await deps.notifications.deliver({
        key: `discrepancy:${d._id}`,
        template: 'payment-discrepancy',
        users: [],
        groups,
        data: {
          what: t(`payments.discrepancy.${d.kind}`),
          date: d.date,
          outTradeNo: d.outTradeNo ?? d.outRefundNo ?? '—',
        },
      });
    },
  });
  deps.billing.onRefund(async ({ bill, refundFen, withdrawnOn }) => {
    await payments.service.refundWithdrawal({
      billId: bill._id,
      withdrawnOn,
      refundFen,
      // the payment that settled the bill (a second one was paid back whole)
      ...(bill.transactionId ? { transactionId: bill.transactionId } : {}),
    });
  });
  return payments;
}
