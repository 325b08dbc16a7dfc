import express, { type Request, type RequestHandler, type Router } from 'express';
import { abilityFor, subject } from '../../auth/abilities';
import { WechatPayVerificationError } from '../../integrations/wechatpay/verifier';
import { NotFoundError, UserError } from '../../lib/errors';
import { hasMessage, t } from '../../lib/i18n';
import type { Logger } from '../../lib/logger';
import { declarePlaceSettingsRoutes, type PlaceLookup } from '../../http/place-settings-routes';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import type { BillingPort } from './billing-port';
import type { DiscrepancyProcess } from './discrepancy-process';
import type { Merchants } from './merchants';
import type { DiscrepancyDoc } from './payments.model';
import {
  billParams,
  billPayments,
  billPaymentsQuery,
  discrepanciesQuery,
  discrepancyParams,
  discrepancyView,
  merchantBody,
  merchantParams,
  merchantView,
  notifyParams,
  orderBody,
  orderView,
  reconcileBody,
  reconciliationView,
  resolveBody,
} from './payments.schema';
import type { PaymentsService } from './payments.service';

/** What the router needs besides the service. */
export interface PaymentsRouterDeps {
  service: PaymentsService;
  billing: BillingPort;
  merchants: Merchants;
  /** The place (city, county) of a school or county, for authorization of settings. */
  placeOf: PlaceLookup;
  requireSession: RequestHandler;
  logger: Logger;
  /** Each discrepancy's `payment-discrepancy` process, when the engine runs in this server. */
  discrepancyProcess?: DiscrepancyProcess;
}

/**
 * /api/payments: a payer orders and pays a bill (JSAPI or Native), WeChat Pay's callbacks
 * (public, verified by signature), the daily reconciliation and its discrepancies, and a
 * school's or county's merchant settings (secrets go in, never out).
 */
export function createPaymentsRouter(deps: PaymentsRouterDeps): Router {
  const { service } = deps;
  const r = express.Router();
  // Callbacks are verified over the exact bytes: JSON bodies keep theirs (server/plugin.ts),
  // anything else is read raw here.
  r.use('/wechatpay/notify', express.raw({ type: () => true, limit: '64kb' }));
  const api = declareRoutes(r, { tag: 'payments', requireSession: deps.requireSession });

  api.post(
    '/bills/:billId/order',
    {
      summary:
        'Order a bill through WeChat Pay: JSAPI pay parameters or a Native QR code URL (the payer)',
      params: billParams,
      body: orderBody,
      responses: { 200: { description: 'The order to pay', schema: orderView } },
      errors: [404, 409, 502, 503],
    },
    async ({ params, body }, _req, res) => {
      const bill = await deps.billing.billFor(currentPrincipal(res), params.billId);
      res.json(await service.order(bill, body));
    },
  );

  api.get(
    '/bills/:billId',
    {
      summary: "A bill's WeChat Pay orders and refunds (sync=true asks WeChat Pay first)",
      params: billParams,
      query: billPaymentsQuery,
      responses: { 200: { description: 'Orders and refunds', schema: billPayments } },
      errors: [404, 503],
    },
    async ({ params, query }, _req, res) => {
      await deps.billing.billFor(currentPrincipal(res), params.billId);
      let state = await service.ofBill(params.billId);
      if (query.sync === 'true' && state.orders.some((o) => o.state === 'open')) {
        for (const o of state.orders.filter((x) => x.state === 'open')) await service.sync(o._id);
        state = await service.ofBill(params.billId);
      }
      res.json({
        orders: state.orders.map((o) => ({
          outTradeNo: o._id,
          tradeType: o.tradeType,
          state: o.state,
          amountFen: o.amountFen,
          ...(o.paidAt ? { paidAt: o.paidAt.toISOString() } : {}),
        })),
        refunds: state.refunds.map((x) => ({
          outRefundNo: x._id,
          reason: x.reason,
          refundFen: x.refundFen,
          state: x.state,
        })),
      });
    },
  );

  api.post(
    '/wechatpay/notify/:mchId',
    {
      summary:
        "WeChat Pay's payment and refund callbacks (signature-verified; 204, or 4xx/5xx to be retried)",
      auth: 'public',
      params: notifyParams,
      responses: { 204: { description: 'Received' } },
      errors: [401, 404, 500],
    },
    async ({ params }, req, res) => {
      try {
        await service.handleNotification(params.mchId, req.headers, rawBodyOf(req));
        res.status(204).end();
      } catch (err) {
        // WeChat Pay retries anything but 2xx; it reads `{ code, message }`.
        const status =
          err instanceof WechatPayVerificationError
            ? 401
            : err instanceof NotFoundError
              ? 404
              : 500;
        if (status === 500)
          deps.logger.error({ err, mchId: params.mchId }, 'WeChat Pay callback failed');
        else
          deps.logger.warn(
            { mchId: params.mchId, why: (err as Error).message },
            'WeChat Pay callback refused',
          );
        res.status(status).json({ code: 'FAIL', message: t('payments.callback_failed') });
      }
    },
  );

  api.post(
    '/reconciliations',
    {
      summary:
        "Reconcile a day's trade bill with the records (job workers, city bureau; once per merchant and day)",
      body: reconcileBody,
      responses: { 200: { description: 'What was found', schema: reconciliationView } },
      errors: [403, 409, 502, 503],
    },
    async ({ body }, _req, res) => {
      const p = currentPrincipal(res);
      if (!p.roles.includes('worker') && !p.roles.includes('cityBureau'))
        throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
      const ids = body.mchId ? [body.mchId] : await service.merchantIds();
      const results = [];
      for (const mchId of ids) results.push(await service.reconcile(mchId, body.date));
      res.json({ results });
    },
  );

  api.get(
    '/discrepancies',
    {
      summary:
        'Differences between the trade bill and the records, of the schools the caller supervises',
      query: discrepanciesQuery,
      responses: {
        200: { description: 'Discrepancies, newest first', schema: discrepancyView.array() },
      },
    },
    async ({ query }, _req, res) => {
      const p = currentPrincipal(res);
      const ability = abilityFor(p);
      const all = await service.discrepancies({ open: query.open === 'true' });
      const visible = all.filter((d) => ability.can('read', subject('Payment', placeDoc(d))));
      const started = await deps.discrepancyProcess?.started(visible.map((d) => d._id));
      res.json(
        visible.map((d) => ({
          ...viewOf(d),
          // a place's discrepancy has an inbox task once its process started
          ...(started && (d.schoolId || d.countyId)
            ? { process: started.has(d._id) ? ('started' as const) : ('pending' as const) }
            : {}),
        })),
      );
    },
  );

  api.post(
    '/discrepancies/:id/resolve',
    {
      summary: 'Record how a discrepancy was resolved (school admin, county bureau)',
      params: discrepancyParams,
      body: resolveBody,
      responses: { 200: { description: 'Resolved', schema: discrepancyView } },
      errors: [404],
    },
    async ({ params, body }, _req, res) => {
      const p = currentPrincipal(res);
      const d = await service.discrepancy(params.id);
      if (!d || !abilityFor(p).can('update', subject('Payment', placeDoc(d))))
        throw new NotFoundError();
      // its inbox task is completed first (as the caller), so nothing stays open
      if (!d.resolvedAt)
        await deps.discrepancyProcess?.closeReview(d._id, p.userId, body.resolution);
      res.json(viewOf(await service.resolveDiscrepancy(d._id, p.userId, body.resolution)));
    },
  );

  api.post(
    '/discrepancies/:id/process-resolution',
    {
      summary:
        "Record the resolution entered in the discrepancy's review task, with who completed it (job workers)",
      params: discrepancyParams,
      responses: { 200: { description: 'Resolved', schema: discrepancyView } },
      errors: [403, 404, 409],
    },
    async ({ params }, _req, res) => {
      const p = currentPrincipal(res);
      if (!p.roles.includes('worker')) throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
      const d = await service.discrepancy(params.id);
      if (!d || !abilityFor(p).can('update', subject('Payment', placeDoc(d))))
        throw new NotFoundError();
      // who resolved it is the engine's record of the task's completion, not the caller's word
      const outcome = await deps.discrepancyProcess?.outcome(d._id);
      if (!outcome)
        throw new UserError(409, 'DISCREPANCY_NOT_REVIEWED', 'payments.discrepancy_not_reviewed');
      res.json(viewOf(await service.resolveDiscrepancy(d._id, outcome.by, outcome.resolution)));
    },
  );

  declarePlaceSettingsRoutes(api, {
    path: '/merchants/:level/:placeId',
    subject: 'Payment',
    params: merchantParams,
    body: merchantBody,
    view: merchantView,
    summaries: {
      get: "A school's or county's WeChat Pay merchant settings (no secrets)",
      put: "Enter a school's or county's WeChat Pay merchant (secrets sealed at rest, never shown)",
    },
    placeOf: deps.placeOf,
    store: deps.merchants,
  });

  return r;
}

// helpers //////////

/** The exact bytes of the request body (JSON kept by the plugin, anything else read raw). */
function rawBodyOf(req: Request): string {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  if (raw) return raw.toString('utf8');
  if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
  return typeof req.body === 'string' ? req.body : '';
}

function placeDoc(d: DiscrepancyDoc): Record<string, string> {
  return {
    ...(d.cityId ? { cityId: d.cityId } : {}),
    ...(d.countyId ? { countyId: d.countyId } : {}),
    ...(d.schoolId ? { schoolId: d.schoolId } : {}),
  };
}

function viewOf(d: DiscrepancyDoc) {
  const key = `payments.discrepancy.${d.kind}`;
  return {
    id: d._id,
    kind: d.kind,
    title: hasMessage(key) ? t(key as 'payments.discrepancy.unknown-payment') : d.kind,
    mchId: d.mchId,
    date: d.date,
    ...(d.schoolId ? { schoolId: d.schoolId } : {}),
    ...(d.outTradeNo ? { outTradeNo: d.outTradeNo } : {}),
    ...(d.outRefundNo ? { outRefundNo: d.outRefundNo } : {}),
    ...(d.ourFen !== undefined ? { ourFen: d.ourFen } : {}),
    ...(d.billFen !== undefined ? { billFen: d.billFen } : {}),
    at: d.at.toISOString(),
    ...(d.resolvedAt ? { resolvedAt: d.resolvedAt.toISOString() } : {}),
    ...(d.resolvedBy ? { resolvedBy: d.resolvedBy } : {}),
    ...(d.resolution ? { resolution: d.resolution } : {}),
  };
}
