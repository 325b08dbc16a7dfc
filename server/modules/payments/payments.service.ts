import { createHash } from 'node:crypto';
import { isDuplicateKey } from '../../db/models';
import {
  WechatPayError,
  type RefundNotice,
  type Transaction,
  type WechatPayClient,
} from '../../integrations/wechatpay/client';
import type { TradeBillRow } from '../../integrations/wechatpay/trade-bill';
import { NotFoundError, TransientError, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import type { Logger } from '../../lib/logger';
import { refundOnWithdrawal } from '../../rules/fees';
import { shanghaiDate, type IsoDate } from '../../rules/dates';
import type { BillingPort, PayableBill } from './billing-port';
import type { MerchantDirectory } from './merchants';
import type {
  DiscrepancyDoc,
  DiscrepancyKind,
  MerchantSettingsDoc,
  PaymentDoc,
  PaymentModels,
  PaymentOrderDoc,
  ReconciliationDoc,
  RefundDoc,
  RefundReason,
} from './payments.model';

/** Told once per discrepancy raised (the composition root tells the school and county). */
export type IncidentSink = (d: DiscrepancyDoc) => Promise<void> | void;

/** What a payer gets to pay an order. */
export interface OrderView {
  outTradeNo: string;
  tradeType: 'JSAPI' | 'NATIVE';
  amountFen: number;
  state: PaymentOrderDoc['state'];
  /** Native: the `weixin://` URL to show as a QR code. */
  codeUrl?: string;
  /** JSAPI: what `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` takes. */
  payParams?: ReturnType<WechatPayClient['jsapiPayParams']>;
}

/** What a reconciliation found. */
export interface ReconciliationView {
  mchId: string;
  date: string;
  status: ReconciliationDoc['status'];
  billRows: number;
  discrepancies: { kind: DiscrepancyKind; outTradeNo?: string; outRefundNo?: string }[];
}

/** How long an order may stay unpaid (WeChat Pay's `time_expire`); then a new attempt. */
const ORDER_LIFETIME_MS = 2 * 3_600_000;

/**
 * WeChat Pay for the bills billing makes (PLATFORM-WECOM, FEE-EARMARK): orders with stable
 * `out_trade_no`s, payments reported to billing exactly once however often and in whatever
 * order WeChat Pay's callbacks (or our own queries) bring them, refunds of withdrawals with
 * stable `out_refund_no`s, and the daily reconciliation of the trade bill with our records,
 * raising a discrepancy (and telling the school and county) for every difference.
 */
export class PaymentsService {
  private readonly now: () => Date;

  constructor(
    private readonly m: PaymentModels,
    private readonly deps: {
      billing: BillingPort;
      merchants: MerchantDirectory;
      logger: Logger;
      incidents?: IncidentSink;
      /**
       * What each reconciliation run catches up on first, whatever its day: the composition
       * root starts the processes of discrepancies whose start failed.
       */
      beforeReconcile?: () => Promise<void>;
      now?: () => Date;
    },
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  // orders //////////

  /**
   * An order to pay `bill` (JSAPI with the payer's openid, or Native for a QR code). The same
   * bill asked again the same way gets the same order; asked another way, or after WeChat Pay
   * closed the order, the open one is closed and the next attempt's number is used.
   */
  async order(
    bill: PayableBill,
    how: { tradeType: 'JSAPI' | 'NATIVE'; openId?: string },
  ): Promise<OrderView> {
    if (!bill.payable) throw new UserError(409, 'BILL_NOT_PAYABLE', 'payments.bill_not_payable');
    if (bill.amountFen < 1)
      throw new UserError(409, 'BILL_NOT_PAYABLE', 'payments.bill_not_payable');
    const openId = how.openId ?? bill.payerOpenId;
    if (how.tradeType === 'JSAPI' && !openId)
      throw new UserError(400, 'OPENID_REQUIRED', 'payments.openid_required');
    const client = await this.clientFor(bill);
    const base = bill.outTradeNo ?? outTradeNoOf(bill.billId);

    for (let attempt = 1; attempt <= 20; attempt++) {
      const id = attemptNo(base, attempt);
      let order = await this.m.orders.findById(id).lean<PaymentOrderDoc>();
      if (!order) {
        order = this.newOrder(id, attempt, bill, client.merchant.mchId, how.tradeType);
        try {
          await this.m.orders.create(order);
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          order = await this.m.orders.findById(id).lean<PaymentOrderDoc>();
          if (!order) throw err;
        }
      }
      if (order.state === 'paid')
        throw new UserError(409, 'BILL_ALREADY_PAID', 'payments.bill_already_paid');
      if (order.state === 'closed') continue;
      const expired = this.now().getTime() - order.createdAt.getTime() > ORDER_LIFETIME_MS - 60_000;
      if (order.tradeType !== how.tradeType || order.amountFen !== bill.amountFen || expired) {
        await this.close(client, order);
        continue;
      }
      try {
        return await this.prepay(client, order, openId);
      } catch (err) {
        if (err instanceof WechatPayError && err.code === 'ORDER_CLOSED') {
          await this.markClosed(order._id);
          continue;
        }
        if (err instanceof WechatPayError && err.code === 'ORDERPAID') {
          await this.sync(order._id);
          throw new UserError(409, 'BILL_ALREADY_PAID', 'payments.bill_already_paid');
        }
        throw asAppError(err);
      }
    }
    throw new UserError(409, 'PAYMENT_ATTEMPTS_EXHAUSTED', 'payments.attempts_exhausted');
  }

  /** The orders, payments and refunds of a bill (for its payer and the school). */
  async ofBill(billId: string): Promise<{
    orders: Pick<PaymentOrderDoc, '_id' | 'tradeType' | 'state' | 'amountFen' | 'paidAt'>[];
    refunds: Pick<RefundDoc, '_id' | 'reason' | 'refundFen' | 'state'>[];
  }> {
    const orders = await this.m.orders.find({ billId }).lean<PaymentOrderDoc[]>();
    const refunds = await this.m.refunds.find({ billId }).lean<RefundDoc[]>();
    return {
      orders: orders
        .sort((a, b) => a.attempt - b.attempt)
        .map(({ _id, tradeType, state, amountFen, paidAt }) => ({
          _id,
          tradeType,
          state,
          amountFen,
          paidAt,
        })),
      refunds: refunds.map(({ _id, reason, refundFen, state }) => ({
        _id,
        reason,
        refundFen,
        state,
      })),
    };
  }

  /**
   * Asks WeChat Pay how an order stands and records a payment it reports (a payer back from
   * paying, or a callback that never came). Answers the order's state afterwards.
   */
  async sync(outTradeNo: string): Promise<PaymentOrderDoc['state']> {
    const order = await this.m.orders.findById(outTradeNo).lean<PaymentOrderDoc>();
    if (!order) throw new NotFoundError();
    if (order.state !== 'open') return order.state;
    const client = await this.clientByMch(order.mchId);
    let tx: Transaction;
    try {
      tx = await client.queryOrder(outTradeNo);
    } catch (err) {
      if (err instanceof WechatPayError && err.code === 'ORDER_NOT_EXIST') return order.state;
      throw asAppError(err);
    }
    if (tx.trade_state === 'SUCCESS' || tx.trade_state === 'REFUND')
      await this.recordPayment(client.merchant.mchId, tx, 'query');
    else if (tx.trade_state === 'CLOSED' || tx.trade_state === 'REVOKED')
      await this.markClosed(outTradeNo);
    return (await this.m.orders.findById(outTradeNo).lean<PaymentOrderDoc>())?.state ?? order.state;
  }

  // callbacks //////////

  /**
   * A WeChat Pay callback to merchant `mchId`: verified (signature, key, 300-s window) before
   * anything is read, decrypted, recorded once by its id, then applied. Applying is idempotent,
   * so a repeated or late callback changes nothing.
   */
  async handleNotification(
    mchId: string,
    headers: Record<string, string | string[] | undefined>,
    rawBody: string,
  ): Promise<{ eventType: string; duplicate: boolean }> {
    const client = await this.deps.merchants.byMchId(mchId);
    if (!client) throw new NotFoundError(`no merchant ${mchId}`, 'MERCHANT_UNKNOWN');
    const n = await client.parseNotification<Transaction | RefundNotice>(headers, rawBody);
    const isRefund = n.event_type.startsWith('REFUND.');
    const outTradeNo = (n.resource as { out_trade_no?: string }).out_trade_no;
    let duplicate = false;
    try {
      await this.m.notifications.create({
        _id: n.id,
        mchId,
        eventType: n.event_type,
        ...(outTradeNo ? { outTradeNo } : {}),
        ...(isRefund ? { outRefundNo: (n.resource as RefundNotice).out_refund_no } : {}),
        receivedAt: this.now(),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      duplicate = true;
    }
    if (n.event_type === 'TRANSACTION.SUCCESS')
      await this.recordPayment(mchId, n.resource as Transaction, 'callback');
    else if (isRefund) await this.recordRefundResult(mchId, n.resource as RefundNotice);
    return { eventType: n.event_type, duplicate };
  }

  /**
   * Records a payment WeChat Pay reported and reports it to billing exactly once: the insert
   * of `paid:<out_trade_no>` decides who reports; a report cut short (a crash) is finished by
   * whoever comes next, billing settling the same transaction only once. A bill paid twice
   * (two orders) or no longer payable has this payment refunded in full.
   */
  async recordPayment(
    mchId: string,
    tx: Transaction,
    source: PaymentDoc['source'],
  ): Promise<'recorded' | 'repeat' | 'ignored'> {
    if (tx.trade_state !== 'SUCCESS' && tx.trade_state !== 'REFUND') return 'ignored';
    const order = await this.m.orders.findById(tx.out_trade_no).lean<PaymentOrderDoc>();
    const date = shanghaiDate(tx.success_time ? new Date(tx.success_time) : this.now());
    if (!order || order.mchId !== mchId) {
      await this.raise('unknown-payment', mchId, date, {
        outTradeNo: tx.out_trade_no,
        billFen: tx.amount?.total,
      });
      return 'ignored';
    }
    if (tx.amount?.total !== order.amountFen) {
      await this.raise('amount-mismatch', mchId, date, {
        ...placeOf(order),
        outTradeNo: order._id,
        ourFen: order.amountFen,
        billFen: tx.amount?.total,
      });
      return 'ignored';
    }
    const payment: PaymentDoc = {
      _id: `paid:${order._id}`,
      outTradeNo: order._id,
      billId: order.billId,
      mchId,
      schoolId: order.schoolId,
      transactionId: tx.transaction_id ?? '',
      amountFen: tx.amount.total,
      successTime: tx.success_time ? new Date(tx.success_time) : this.now(),
      source,
      at: this.now(),
    };
    let won = true;
    let existing: PaymentDoc | null = null;
    try {
      await this.m.payments.create(payment);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      won = false;
      existing = await this.m.payments.findById(payment._id).lean<PaymentDoc>();
      if (existing?.reportedAt) return 'repeat';
    }
    const recorded = existing ?? payment;
    await this.m.orders.updateOne(
      { _id: order._id },
      {
        $set: {
          state: 'paid',
          transactionId: recorded.transactionId,
          paidAt: recorded.successTime,
          updatedAt: this.now(),
        },
      },
    );
    const outcome = await this.deps.billing.settle({
      billId: order.billId,
      outTradeNo: order._id,
      paidFen: recorded.amountFen,
      transactionId: recorded.transactionId,
      paidAt: recorded.successTime,
    });
    // Whoever reported it writes the same outcome: billing settling this transaction before
    // (`already-settled`, e.g. a concurrent delivery got there first) is this payment settled.
    // Writing the same fields matters on FerretDB 1.24, whose update rewrites the whole
    // document: of two concurrent updates with different fields, one would be lost.
    await this.m.payments.updateOne(
      { _id: payment._id },
      {
        $set: {
          outcome: outcome === 'already-settled' ? 'settled' : outcome,
          reportedAt: this.now(),
        },
      },
    );
    if (outcome === 'duplicate-payment' || outcome === 'not-payable')
      await this.refundWhole(order, recorded, date);
    return won ? 'recorded' : 'repeat';
  }

  // refunds //////////

  /**
   * Pays back what a withdrawal refunds of a bill paid by WeChat Pay (ELIG-VOLUNTARY, pro rata
   * by `refundOnWithdrawal`): `refundFen` as billing computed it, or computed here from the
   * billed days. One withdrawal refund per order (`out_refund_no` `<out_trade_no>-wd`), never
   * more than what is left of the payment, so asking again refunds once. With `transactionId`
   * (the payment that settled the bill) only that payment's order is refunded: a bill paid
   * twice has had its other payment paid back whole. A bill not paid by WeChat Pay is the
   * school's to pay back (cash).
   */
  async refundWithdrawal(input: {
    billId: string;
    withdrawnOn: IsoDate;
    refundFen?: number;
    billedDays?: readonly IsoDate[];
    /** The transaction that settled the bill: only its order is refunded. */
    transactionId?: string;
  }): Promise<RefundDoc | undefined> {
    const paid = (
      await this.m.orders.find({ billId: input.billId }).lean<PaymentOrderDoc[]>()
    ).find(
      (o) =>
        o.state === 'paid' &&
        (input.transactionId === undefined || o.transactionId === input.transactionId),
    );
    if (!paid) return undefined;
    const payment = await this.m.payments.findById(`paid:${paid._id}`).lean<PaymentDoc>();
    if (!payment || payment.outcome === 'duplicate-payment' || payment.outcome === 'not-payable')
      return undefined;
    const amount =
      input.refundFen ??
      refundOnWithdrawal({
        paidFen: payment.amountFen,
        billedDays: input.billedDays ?? [],
        withdrawnOn: input.withdrawnOn,
      }).refundFen;
    return this.refund(paid, payment, 'withdrawal', amount);
  }

  /**
   * Refunds part of a payment; `outTradeNo` must be a paid order. A refund's own number is
   * refused (a refund of a refund), as is anything above what is left of the payment.
   */
  async refundOrder(
    outTradeNo: string,
    refundFen: number,
    reason: RefundReason,
  ): Promise<RefundDoc> {
    if (await this.m.refunds.exists({ _id: outTradeNo }))
      throw new UserError(422, 'REFUND_OF_REFUND', 'payments.refund_of_refund');
    const order = await this.m.orders.findById(outTradeNo).lean<PaymentOrderDoc>();
    const payment =
      order && (await this.m.payments.findById(`paid:${order._id}`).lean<PaymentDoc>());
    if (!order || !payment) throw new UserError(409, 'ORDER_NOT_PAID', 'payments.order_not_paid');
    const done = await this.refund(order, payment, reason, refundFen);
    if (!done) throw new UserError(409, 'NOTHING_TO_REFUND', 'payments.nothing_to_refund');
    return done;
  }

  /** A refund result WeChat Pay reported (callback or query). */
  async recordRefundResult(mchId: string, notice: RefundNotice): Promise<void> {
    const refund = await this.m.refunds.findById(notice.out_refund_no).lean<RefundDoc>();
    const date = shanghaiDate(notice.success_time ? new Date(notice.success_time) : this.now());
    if (!refund || refund.mchId !== mchId) {
      await this.raise('unknown-refund', mchId, date, {
        outTradeNo: notice.out_trade_no,
        outRefundNo: notice.out_refund_no,
        billFen: notice.amount?.refund,
      });
      return;
    }
    if (refund.state === 'SUCCESS') return;
    await this.m.refunds.updateOne(
      { _id: refund._id },
      {
        $set: {
          state: refundState(notice.refund_status),
          refundId: notice.refund_id,
          ...(notice.success_time ? { successTime: new Date(notice.success_time) } : {}),
          updatedAt: this.now(),
        },
        $unset: { error: 1 },
      },
    );
  }

  /** Re-applies refunds that never reached WeChat Pay (crash, outage); answers how many. */
  async retryRefunds(): Promise<number> {
    const pending = await this.m.refunds.find({ state: 'requested' }).lean<RefundDoc[]>();
    let applied = 0;
    for (const r of pending) {
      const client = await this.deps.merchants.byMchId(r.mchId);
      if (!client) continue;
      if (
        await this.apply(client, r).then(
          () => true,
          () => false,
        )
      )
        applied++;
    }
    return applied;
  }

  // reconciliation //////////

  /**
   * Compares one merchant's trade bill of `date` with our payments and refunds of that day.
   * Each difference is raised once (re-running the day raises nothing new); a payment of ours
   * that the bill has but we had not recorded (a lost callback) is recorded now. A day done is
   * not run again; a failed one is.
   */
  async reconcile(mchId: string, date: IsoDate): Promise<ReconciliationView> {
    await this.deps.beforeReconcile?.().catch((err: unknown) => {
      this.deps.logger.warn({ err }, 'catching up before the reconciliation failed');
    });
    const client = await this.clientByMch(mchId);
    const id = `${mchId}:${date}`;
    const before = await this.m.reconciliations.findById(id).lean<ReconciliationDoc>();
    if (before?.status === 'done') return this.reconciliationView(before);
    if (
      before?.status === 'running' &&
      this.now().getTime() - before.startedAt.getTime() < 3_600_000
    )
      throw new UserError(409, 'RECONCILIATION_RUNNING', 'payments.reconciliation_running');
    const run: ReconciliationDoc = {
      _id: id,
      mchId,
      date,
      status: 'running',
      startedAt: this.now(),
    };
    if (before) await this.m.reconciliations.replaceOne({ _id: id }, run);
    else {
      try {
        await this.m.reconciliations.create(run);
      } catch (err) {
        if (isDuplicateKey(err))
          throw new UserError(409, 'RECONCILIATION_RUNNING', 'payments.reconciliation_running');
        throw err;
      }
    }
    try {
      const bill = await client.downloadTradeBill(date);
      const raised = await this.compare(mchId, date, bill.rows);
      await this.m.reconciliations.updateOne(
        { _id: id },
        {
          $set: {
            status: 'done',
            finishedAt: this.now(),
            billRows: bill.rows.length,
            discrepancyCount: raised,
          },
        },
      );
    } catch (err) {
      await this.m.reconciliations.updateOne(
        { _id: id },
        {
          $set: {
            status: 'failed',
            finishedAt: this.now(),
            error: (err as Error).message.slice(0, 300),
          },
        },
      );
      throw asAppError(err);
    }
    return this.reconciliationView(
      (await this.m.reconciliations.findById(id).lean<ReconciliationDoc>())!,
    );
  }

  /** The merchants to reconcile (for the daily schedule). */
  async merchantIds(): Promise<string[]> {
    return (await this.deps.merchants.all()).map((c) => c.merchant.mchId);
  }

  /** Discrepancies, newest first, optionally of some schools or only the open ones. */
  async discrepancies(
    filter: { schoolIds?: string[]; open?: boolean } = {},
  ): Promise<DiscrepancyDoc[]> {
    const all = await this.m.discrepancies.find({}).lean<DiscrepancyDoc[]>();
    return all
      .filter((d) => !filter.open || !d.resolvedAt)
      .filter(
        (d) =>
          !filter.schoolIds || (d.schoolId !== undefined && filter.schoolIds.includes(d.schoolId)),
      )
      .sort((a, b) => b.at.getTime() - a.at.getTime());
  }

  /** Marks a discrepancy resolved with what was done about it. */
  async resolveDiscrepancy(id: string, by: string, resolution: string): Promise<DiscrepancyDoc> {
    const d = await this.m.discrepancies.findById(id).lean<DiscrepancyDoc>();
    if (!d) throw new NotFoundError();
    if (d.resolvedAt) return d;
    const set = { resolvedAt: this.now(), resolvedBy: by, resolution };
    await this.m.discrepancies.updateOne(
      { _id: id, resolvedAt: { $exists: false } },
      { $set: set },
    );
    return { ...d, ...set };
  }

  /** A discrepancy by id. */
  async discrepancy(id: string): Promise<DiscrepancyDoc | null> {
    return this.m.discrepancies.findById(id).lean<DiscrepancyDoc>();
  }

  // helpers //////////

  private async compare(mchId: string, date: IsoDate, rows: TradeBillRow[]): Promise<number> {
    let raised = 0;
    const payRows = rows.filter((r) => r.tradeState !== 'REFUND' && r.tradeState !== 'REVOKED');
    const refundRows = rows.filter((r) => r.tradeState === 'REFUND');
    const ours = (await this.m.payments.find({ mchId }).lean<PaymentDoc[]>()).filter(
      (p) => shanghaiDate(p.successTime) === date,
    );
    const ourRefunds = (await this.m.refunds.find({ mchId }).lean<RefundDoc[]>()).filter(
      (r) => r.state === 'SUCCESS' && r.successTime && shanghaiDate(r.successTime) === date,
    );
    for (const row of payRows) {
      const mine =
        ours.find((p) => p.outTradeNo === row.outTradeNo) ??
        (await this.m.payments.findById(`paid:${row.outTradeNo}`).lean<PaymentDoc>());
      if (mine) {
        if (mine.amountFen !== row.orderAmountFen && mine.amountFen !== row.settlementTotalFen)
          raised += await this.raise('amount-mismatch', mchId, date, {
            schoolId: mine.schoolId,
            outTradeNo: row.outTradeNo,
            ourFen: mine.amountFen,
            billFen: row.orderAmountFen,
          });
        continue;
      }
      const order = await this.m.orders.findById(row.outTradeNo).lean<PaymentOrderDoc>();
      if (!order) {
        raised += await this.raise('unknown-payment', mchId, date, {
          outTradeNo: row.outTradeNo,
          billFen: row.orderAmountFen,
        });
        continue;
      }
      raised += await this.raise('unsettled-payment', mchId, date, {
        ...placeOf(order),
        outTradeNo: order._id,
        ourFen: order.amountFen,
        billFen: row.orderAmountFen,
      });
      await this.recordPayment(mchId, transactionOfRow(row), 'reconciliation');
    }
    for (const p of ours) {
      if (payRows.some((r) => r.outTradeNo === p.outTradeNo)) continue;
      raised += await this.raise('missing-in-bill', mchId, date, {
        schoolId: p.schoolId,
        outTradeNo: p.outTradeNo,
        ourFen: p.amountFen,
      });
    }
    for (const row of refundRows) {
      const mine = await this.m.refunds.findById(row.outRefundNo).lean<RefundDoc>();
      if (!mine) {
        raised += await this.raise('unknown-refund', mchId, date, {
          outTradeNo: row.outTradeNo,
          outRefundNo: row.outRefundNo,
          billFen: row.refundFen,
        });
        continue;
      }
      if (mine.refundFen !== row.refundFen)
        raised += await this.raise('refund-amount-mismatch', mchId, date, {
          schoolId: mine.schoolId,
          outTradeNo: mine.outTradeNo,
          outRefundNo: mine._id,
          ourFen: mine.refundFen,
          billFen: row.refundFen,
        });
      if (mine.state !== 'SUCCESS')
        await this.m.refunds.updateOne(
          { _id: mine._id },
          { $set: { state: 'SUCCESS', refundId: row.refundId, updatedAt: this.now() } },
        );
    }
    for (const r of ourRefunds) {
      if (refundRows.some((row) => row.outRefundNo === r._id)) continue;
      raised += await this.raise('refund-missing-in-bill', mchId, date, {
        schoolId: r.schoolId,
        outTradeNo: r.outTradeNo,
        outRefundNo: r._id,
        ourFen: r.refundFen,
      });
    }
    return raised;
  }

  /** Raises a discrepancy once; answers 1 when it is new (and tells the incident sink). */
  private async raise(
    kind: DiscrepancyKind,
    mchId: string,
    date: string,
    about: Partial<Omit<DiscrepancyDoc, '_id' | 'kind' | 'mchId' | 'date' | 'at'>>,
  ): Promise<number> {
    const ref = about.outRefundNo ?? about.outTradeNo ?? 'day';
    const doc: DiscrepancyDoc = {
      _id: `${kind}:${mchId}:${date}:${ref}`,
      kind,
      mchId,
      date,
      ...about,
      at: this.now(),
    };
    if (doc.schoolId && !doc.countyId) {
      const order = about.outTradeNo
        ? await this.m.orders.findById(about.outTradeNo).lean<PaymentOrderDoc>()
        : null;
      if (order) Object.assign(doc, placeOf(order));
    }
    if (!doc.schoolId && !doc.countyId) Object.assign(doc, await this.merchantPlace(mchId));
    try {
      await this.m.discrepancies.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) return 0;
      throw err;
    }
    this.deps.logger.warn(
      { kind, mchId, date, outTradeNo: about.outTradeNo },
      'payment discrepancy',
    );
    try {
      await this.deps.incidents?.(doc);
    } catch (err) {
      this.deps.logger.warn({ err, id: doc._id }, 'telling of a payment discrepancy failed');
    }
    return 1;
  }

  /**
   * The place a merchant's settings were entered for, for a difference of no order of ours (a
   * payment or refund we know nothing of): the school when one school entered it, the county
   * when only schools of one county (or the county) did, else none (the environment's merchant).
   */
  private async merchantPlace(
    mchId: string,
  ): Promise<Pick<DiscrepancyDoc, 'cityId' | 'countyId' | 'schoolId'>> {
    const places = await this.m.merchants.find({ mchId }).lean<MerchantSettingsDoc[]>();
    const first = places[0];
    if (!first || places.some((p) => p.countyId !== first.countyId)) return {};
    if (places.length === 1 && first.schoolId)
      return { cityId: first.cityId, countyId: first.countyId, schoolId: first.schoolId };
    return { cityId: first.cityId, countyId: first.countyId };
  }

  private async refundWhole(
    order: PaymentOrderDoc,
    payment: PaymentDoc,
    date: string,
  ): Promise<void> {
    await this.raise('duplicate-payment', order.mchId, date, {
      ...placeOf(order),
      outTradeNo: order._id,
      ourFen: payment.amountFen,
    });
    await this.refund(order, payment, 'duplicate-payment', payment.amountFen);
  }

  private async refund(
    order: PaymentOrderDoc,
    payment: PaymentDoc,
    reason: RefundReason,
    refundFen: number,
  ): Promise<RefundDoc | undefined> {
    const id = `${order._id}-${reason === 'withdrawal' ? 'wd' : 'dup'}`;
    const existing = await this.m.refunds.findById(id).lean<RefundDoc>();
    const client = await this.clientByMch(order.mchId);
    if (existing) {
      if (existing.state === 'requested') await this.apply(client, existing).catch(() => undefined);
      return (await this.m.refunds.findById(id).lean<RefundDoc>()) ?? existing;
    }
    const others = (
      await this.m.refunds.find({ outTradeNo: order._id }).lean<RefundDoc[]>()
    ).filter((r) => r.state !== 'CLOSED');
    const left = payment.amountFen - others.reduce((s, r) => s + r.refundFen, 0);
    const amount = Math.min(refundFen, left);
    if (amount < 1) return undefined;
    const doc: RefundDoc = {
      _id: id,
      outTradeNo: order._id,
      billId: order.billId,
      mchId: order.mchId,
      schoolId: order.schoolId,
      reason,
      refundFen: amount,
      totalFen: payment.amountFen,
      state: 'requested',
      createdAt: this.now(),
      updatedAt: this.now(),
    };
    try {
      await this.m.refunds.create(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return (await this.m.refunds.findById(id).lean<RefundDoc>()) ?? undefined;
    }
    await this.apply(client, doc).catch((err: unknown) =>
      this.deps.logger.warn({ err, outRefundNo: id }, 'refund not applied yet; retried later'),
    );
    return (await this.m.refunds.findById(id).lean<RefundDoc>()) ?? doc;
  }

  /** Sends a recorded refund to WeChat Pay (the same number again is the same refund there). */
  private async apply(client: WechatPayClient, r: RefundDoc): Promise<void> {
    try {
      const res = await client.refund({
        outTradeNo: r.outTradeNo,
        outRefundNo: r._id,
        refundFen: r.refundFen,
        totalFen: r.totalFen,
        reason: t(
          r.reason === 'withdrawal' ? 'payments.refund.withdrawal' : 'payments.refund.duplicate',
        ),
      });
      await this.m.refunds.updateOne(
        { _id: r._id, state: 'requested' },
        {
          $set: {
            state: refundState(res.status),
            refundId: res.refund_id,
            ...(res.success_time ? { successTime: new Date(res.success_time) } : {}),
            updatedAt: this.now(),
          },
          $unset: { error: 1 },
        },
      );
    } catch (err) {
      await this.m.refunds.updateOne(
        { _id: r._id },
        { $set: { error: (err as Error).message.slice(0, 300), updatedAt: this.now() } },
      );
      throw asAppError(err);
    }
  }

  private newOrder(
    id: string,
    attempt: number,
    bill: PayableBill,
    mchId: string,
    tradeType: 'JSAPI' | 'NATIVE',
  ): PaymentOrderDoc {
    return {
      _id: id,
      billId: bill.billId,
      attempt,
      mchId,
      cityId: bill.cityId,
      countyId: bill.countyId,
      schoolId: bill.schoolId,
      studentId: bill.studentId,
      amountFen: bill.amountFen,
      description: cutUtf8(bill.description, 127),
      tradeType,
      state: 'open',
      createdAt: this.now(),
      updatedAt: this.now(),
    };
  }

  private async prepay(
    client: WechatPayClient,
    order: PaymentOrderDoc,
    openId?: string,
  ): Promise<OrderView> {
    const input = {
      outTradeNo: order._id,
      description: order.description,
      amountFen: order.amountFen,
      timeExpire: rfc3339(new Date(order.createdAt.getTime() + ORDER_LIFETIME_MS)),
      attach: order.billId.slice(0, 128),
    };
    if (order.tradeType === 'JSAPI') {
      const { prepayId } = await client.jsapiPrepay({ ...input, openId: openId! });
      await this.m.orders.updateOne(
        { _id: order._id },
        { $set: { prepayId, updatedAt: this.now() } },
      );
      return {
        outTradeNo: order._id,
        tradeType: 'JSAPI',
        amountFen: order.amountFen,
        state: 'open',
        payParams: client.jsapiPayParams(prepayId),
      };
    }
    const { codeUrl } = await client.nativePrepay(input);
    await this.m.orders.updateOne({ _id: order._id }, { $set: { codeUrl, updatedAt: this.now() } });
    return {
      outTradeNo: order._id,
      tradeType: 'NATIVE',
      amountFen: order.amountFen,
      state: 'open',
      codeUrl,
    };
  }

  private async close(client: WechatPayClient, order: PaymentOrderDoc): Promise<void> {
    try {
      await client.closeOrder(order._id);
    } catch (err) {
      if (err instanceof WechatPayError && err.code === 'ORDERPAID') {
        await this.sync(order._id);
        throw new UserError(409, 'BILL_ALREADY_PAID', 'payments.bill_already_paid');
      }
      if (!(err instanceof WechatPayError && err.code === 'ORDER_NOT_EXIST')) throw asAppError(err);
    }
    await this.markClosed(order._id);
  }

  private async markClosed(outTradeNo: string): Promise<void> {
    await this.m.orders.updateOne(
      { _id: outTradeNo, state: 'open' },
      { $set: { state: 'closed', updatedAt: this.now() } },
    );
  }

  private async clientFor(place: { schoolId: string; countyId: string }): Promise<WechatPayClient> {
    const client = await this.deps.merchants.forSchool(place);
    if (!client) throw new UserError(409, 'WECHATPAY_OFF', 'payments.off');
    return client;
  }

  private async clientByMch(mchId: string): Promise<WechatPayClient> {
    const client = await this.deps.merchants.byMchId(mchId);
    if (!client) throw new UserError(409, 'WECHATPAY_OFF', 'payments.off');
    return client;
  }

  private async reconciliationView(r: ReconciliationDoc): Promise<ReconciliationView> {
    const found = (
      await this.m.discrepancies.find({ mchId: r.mchId, date: r.date }).lean<DiscrepancyDoc[]>()
    ).map((d) => ({
      kind: d.kind,
      ...(d.outTradeNo ? { outTradeNo: d.outTradeNo } : {}),
      ...(d.outRefundNo ? { outRefundNo: d.outRefundNo } : {}),
    }));
    return {
      mchId: r.mchId,
      date: r.date,
      status: r.status,
      billRows: r.billRows ?? 0,
      discrepancies: found,
    };
  }
}

/**
 * The `out_trade_no` of a bill without one from billing: `kh` and 30 hex digits of the bill
 * id's SHA-256 (WeChat Pay: 6–32 of `[A-Za-z0-9_-|*]`).
 */
export function outTradeNoOf(billId: string): string {
  return `kh${createHash('sha256').update(billId).digest('hex').slice(0, 30)}`;
}

/** The number of a bill's n-th order: the base, then `-2`, `-3`, … within 32 characters. */
export function attemptNo(base: string, attempt: number): string {
  if (attempt === 1) return base;
  const suffix = `-${attempt}`;
  return base.slice(0, 32 - suffix.length) + suffix;
}

function placeOf(o: PaymentOrderDoc): Pick<DiscrepancyDoc, 'cityId' | 'countyId' | 'schoolId'> {
  return { cityId: o.cityId, countyId: o.countyId, schoolId: o.schoolId };
}

function refundState(status: string): RefundDoc['state'] {
  return status === 'SUCCESS' || status === 'CLOSED' || status === 'ABNORMAL'
    ? status
    : 'PROCESSING';
}

function transactionOfRow(row: TradeBillRow): Transaction {
  return {
    appid: row.appId,
    mchid: row.mchId,
    out_trade_no: row.outTradeNo,
    transaction_id: row.transactionId,
    trade_state: 'SUCCESS',
    success_time: `${row.tradeTime.replace(' ', 'T')}+08:00`,
    amount: { total: row.orderAmountFen || row.settlementTotalFen },
  };
}

/** WeChat Pay's failures as the product's errors: transient ones retryable (503). */
function asAppError(err: unknown): unknown {
  if (err instanceof WechatPayError && err.isTransient)
    return new TransientError('WECHATPAY_UNAVAILABLE', 'payments.unavailable', err.message);
  if (err instanceof WechatPayError)
    return new UserError(
      502,
      'WECHATPAY_REFUSED',
      'payments.refused',
      `${err.code}: ${err.message}`,
    );
  return err;
}

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
function cutUtf8(s: string, bytes: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch, 'utf8') > bytes) break;
    out += ch;
  }
  return out;
}

/** `2026-03-02T10:00:00+08:00`: Beijing time, as WeChat Pay takes `time_expire`. */
function rfc3339(d: Date): string {
  return `${new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}
