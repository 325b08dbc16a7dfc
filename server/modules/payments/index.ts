import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { SecretBox } from '../../integrations/secret-box';
import type {
  WechatPayClientOptions,
  WechatPayMerchant,
} from '../../integrations/wechatpay/client';
import type { Logger } from '../../lib/logger';
import { orgModels } from '../org/org.model';
import type { BillingPort } from './billing-port';
import type { DiscrepancyProcess } from './discrepancy-process';
import { Merchants } from './merchants';
import { PAYMENT_COLLECTIONS, paymentModels, type PaymentModels } from './payments.model';
import { createPaymentsRouter } from './payments.router';
import { PaymentsService, type IncidentSink } from './payments.service';
import { startPaymentSchedule, type PaymentSchedule } from './schedule';

export { billingPortOf, type BillingPort, type PayableBill } from './billing-port';
export { PaymentsService, outTradeNoOf, type IncidentSink } from './payments.service';
export { Merchants } from './merchants';
export {
  discrepancyProcess,
  DISCREPANCY_PROCESS_ID,
  type DiscrepancyProcess,
} from './discrepancy-process';

/** How the payments slice is assembled (server/main.ts). */
export interface PaymentsDeps {
  db: Database;
  billing: BillingPort;
  requireSession: RequestHandler;
  logger: Logger;
  /** The merchant from the environment (WECHATPAY_*), if any. */
  merchant?: Omit<WechatPayMerchant, 'notifyUrl'>;
  /** Seals merchant secrets administrators enter (DATA_ENCRYPTION_KEY). */
  box?: SecretBox;
  /** This server's public base URL, where WeChat Pay calls back. */
  publicUrl: string;
  client?: WechatPayClientOptions;
  incidents?: IncidentSink;
  /**
   * Each discrepancy's `payment-discrepancy` process (its inbox task): resolving through the
   * API completes the task, and the job worker records who completed it.
   */
  discrepancyProcess?: (m: PaymentModels) => DiscrepancyProcess;
  /** What each reconciliation run catches up on first (see {@link PaymentsService}). */
  beforeReconcile?: () => Promise<void>;
  /** Run the daily reconciliation and refund retries in this process (default true). */
  schedule?: boolean;
}

/** Creates the payments slice: its collections, service, router and daily schedule. */
export async function createPayments(deps: PaymentsDeps): Promise<{
  router: Router;
  service: PaymentsService;
  merchants: Merchants;
  schedule?: PaymentSchedule;
  discrepancyProcess?: DiscrepancyProcess;
}> {
  await deps.db.ensureCollections(Object.values(PAYMENT_COLLECTIONS));
  const m = paymentModels(deps.db.connection);
  const org = orgModels(deps.db.connection);
  const merchants = new Merchants(m, {
    fallback: deps.merchant,
    box: deps.box,
    publicUrl: deps.publicUrl,
    client: deps.client,
  });
  const service = new PaymentsService(m, {
    billing: deps.billing,
    merchants,
    logger: deps.logger,
    incidents: deps.incidents,
    ...(deps.beforeReconcile ? { beforeReconcile: deps.beforeReconcile } : {}),
  });
  const process = deps.discrepancyProcess?.(m);
  const router = createPaymentsRouter({
    service,
    billing: deps.billing,
    merchants,
    requireSession: deps.requireSession,
    logger: deps.logger,
    ...(process ? { discrepancyProcess: process } : {}),
    async placeOf(level, placeId) {
      if (level === 'school') {
        const s = await org.schools.findById(placeId).lean();
        return s ? { cityId: s.cityId, countyId: s.countyId } : undefined;
      }
      const c = await org.counties.findById(placeId).lean();
      return c ? { cityId: c.cityId, countyId: c._id } : undefined;
    },
  });
  const schedule =
    deps.schedule === false ? undefined : startPaymentSchedule(service, { logger: deps.logger });
  return { router, service, merchants, schedule, discrepancyProcess: process };
}
