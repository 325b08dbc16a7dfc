import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { ENROLMENT_COLLECTIONS, enrolmentModels } from '../enrolment/enrolment.model';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { BILLING_COLLECTIONS, billingModels } from './billing.model';
import { createBillingRouter } from './billing.router';
import { BillingService, type BillingEnginePort } from './billing.service';
import { LedgerService } from './ledger.service';

export { BILLING_PROCESS, BILLING_RUN_REQUESTED, billIdOf, outTradeNoOf } from './billing.service';
export type { BillingEnginePort, RefundListener } from './billing.service';
export { billingEnginePort } from './engine-port';

/**
 * Creates the billing slice (ensuring its collections) and its /api/billing router. The
 * service is what the payments module calls: `settleBill`, `paymentOrder`, `onRefund`
 * (docs/billing.md).
 */
export async function createBilling(deps: {
  db: Database;
  engine: BillingEnginePort;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: BillingService; ledger: LedgerService }> {
  await deps.db.ensureCollections([
    ...Object.values(BILLING_COLLECTIONS),
    ...Object.values(ENROLMENT_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const m = billingModels(deps.db.connection);
  const org = orgModels(deps.db.connection);
  const ledger = new LedgerService(m, org);
  const service = new BillingService(
    m,
    enrolmentModels(deps.db.connection),
    org,
    ledger,
    deps.engine,
  );
  return { router: createBillingRouter(service, ledger, deps.requireSession), service, ledger };
}
