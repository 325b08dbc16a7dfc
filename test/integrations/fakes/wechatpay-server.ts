import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encryptResource } from '../../../server/integrations/wechatpay/aead';
import {
  nonceStr,
  parseAuthorization,
  requestMessage,
  responseMessage,
  signMessage,
  verifyMessage,
} from '../../../server/integrations/wechatpay/signing';
import {
  formatTradeBill,
  type TradeBillRow,
} from '../../../server/integrations/wechatpay/trade-bill';
import type { WechatPayTestKeys } from './wechatpay-keys';

/**
 * A contract server of WeChat Pay API v3 as documented: it checks every request's
 * `WECHATPAY2-SHA256-RSA2048` signature with the merchant's public key (401 SIGN_ERROR
 * otherwise), signs every answer with the platform key (certificate mode) or the WeChat Pay
 * public key (public-key mode), keeps orders and refunds with WeChat Pay's idempotency
 * (same out_trade_no → same prepay; same out_refund_no → same refund; refunds never above the
 * amount paid), serves the trade bill with its SHA1, and sends signed, encrypted callbacks.
 */
export interface FakeWechatPay {
  url: string;
  /** How answers are signed. */
  mode: 'certificate' | 'public-key';
  orders: Map<string, FakeOrder>;
  refunds: Map<string, FakeRefund>;
  /** Every request received: method, path and status answered. */
  log: { method: string; path: string; status: number }[];
  /** The payer pays: the order becomes SUCCESS; answers the callback WeChat Pay would post. */
  pay(outTradeNo: string, at?: Date): SignedCallback;
  /** The refund completes: answers its REFUND.SUCCESS callback. */
  completeRefund(outRefundNo: string, at?: Date): SignedCallback;
  /** A signed callback of any content (to forge or replay in tests). */
  callback(eventType: string, resource: object, opts?: CallbackOptions): SignedCallback;
  /** Answers the next n requests to `path` with this status and code (rate limits, outages). */
  failNext(pathPrefix: string, n: number, status: number, code: string): void;
  /** Corrupts the next bill download (its hash will not match). */
  corruptNextBill(): void;
  /** Adds a line to the bill of a day (a payment we do not know of, say). */
  addBillRow(billDate: string, row: TradeBillRow): void;
  close(): Promise<void>;
}

/** A callback as WeChat Pay would POST it: headers and the exact body. */
export interface SignedCallback {
  headers: Record<string, string>;
  body: string;
  id: string;
}

/** How to make a callback differ from a genuine one. */
export interface CallbackOptions {
  timestamp?: number;
  /** Sign with this key instead (a forger's). */
  signWith?: KeyObject;
  serial?: string;
  id?: string;
}

/** An order as the fake keeps it. */
export interface FakeOrder {
  outTradeNo: string;
  transactionId?: string;
  tradeType: 'JSAPI' | 'NATIVE';
  state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  amountFen: number;
  description: string;
  openId?: string;
  attach?: string;
  prepayId?: string;
  codeUrl?: string;
  successTime?: string;
  notifyUrl: string;
}

/** A refund as the fake keeps it. */
export interface FakeRefund {
  outRefundNo: string;
  refundId: string;
  outTradeNo: string;
  refundFen: number;
  status: 'PROCESSING' | 'SUCCESS';
  createTime: string;
  successTime?: string;
}

/** Starts the contract server on a free port. */
export async function startFakeWechatPay(
  keys: WechatPayTestKeys,
  opts: { mchId: string; appId: string; mode?: 'certificate' | 'public-key'; now?: () => number },
): Promise<FakeWechatPay> {
  const mode = opts.mode ?? 'public-key';
  const now = opts.now ?? Date.now;
  const merchantKey = createPublicKey(keys.merchant.publicPem);
  const signingKey = createPrivateKey(
    mode === 'certificate' ? keys.platform.privatePem : keys.publicKey.privatePem,
  );
  const serial = mode === 'certificate' ? keys.platform.serialNo : keys.publicKey.id;
  const orders = new Map<string, FakeOrder>();
  const refunds = new Map<string, FakeRefund>();
  const bills = new Map<string, string>();
  const extraRows = new Map<string, TradeBillRow[]>();
  const log: FakeWechatPay['log'] = [];
  const failures: { prefix: string; n: number; status: number; code: string }[] = [];
  let corruptBill = false;
  let seq = 0;

  const sign = (body: string, ts = Math.floor(now() / 1000), key = signingKey, ser = serial) => {
    const nonce = nonceStr();
    return {
      'wechatpay-timestamp': String(ts),
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signMessage(key, responseMessage(String(ts), nonce, body)),
      'wechatpay-serial': ser,
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = url.pathname;
      const answer = (status: number, body?: object, signed = true) => {
        const text = body === undefined ? '' : JSON.stringify(body);
        log.push({ method: req.method ?? '', path, status });
        res.writeHead(status, {
          ...(text ? { 'content-type': 'application/json' } : {}),
          ...(signed ? sign(text) : {}),
        });
        res.end(text);
      };

      const auth = parseAuthorization(req.headers.authorization);
      if (
        !auth ||
        auth.mchid !== opts.mchId ||
        auth.serial_no !== keys.merchant.serialNo ||
        Math.abs(Math.floor(now() / 1000) - Number(auth.timestamp)) > 300 ||
        !verifyMessage(
          merchantKey,
          requestMessage(req.method ?? '', req.url ?? '', auth.timestamp, auth.nonce_str, raw),
          auth.signature,
        )
      )
        return answer(401, { code: 'SIGN_ERROR', message: '签名错误' });

      const failure = failures.find((f) => path.startsWith(f.prefix) && f.n > 0);
      if (failure) {
        failure.n--;
        return answer(failure.status, { code: failure.code, message: 'injected' });
      }

      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      let m: RegExpExecArray | null;
      if (req.method === 'POST' && (m = /^\/v3\/pay\/transactions\/(jsapi|native)$/.exec(path))) {
        const kind = m[1] === 'jsapi' ? 'JSAPI' : 'NATIVE';
        const amount = body.amount as { total?: number; currency?: string } | undefined;
        const outTradeNo = String(body.out_trade_no ?? '');
        if (
          body.mchid !== opts.mchId ||
          body.appid !== opts.appId ||
          !/^[0-9A-Za-z_\-|*]{6,32}$/.test(outTradeNo) ||
          !Number.isInteger(amount?.total) ||
          (amount?.total ?? 0) < 1 ||
          typeof body.description !== 'string' ||
          typeof body.notify_url !== 'string' ||
          (kind === 'JSAPI' && !(body.payer as { openid?: string } | undefined)?.openid)
        )
          return answer(400, { code: 'PARAM_ERROR', message: '参数错误' });
        const existing = orders.get(outTradeNo);
        if (existing) {
          if (existing.state === 'SUCCESS' || existing.state === 'REFUND')
            return answer(400, { code: 'ORDERPAID', message: '该订单已支付' });
          if (existing.state === 'CLOSED')
            return answer(400, { code: 'ORDER_CLOSED', message: '订单已关闭' });
          if (existing.amountFen !== amount!.total || existing.tradeType !== kind)
            return answer(400, { code: 'INVALID_REQUEST', message: '商户订单号重复' });
        } else {
          orders.set(outTradeNo, {
            outTradeNo,
            tradeType: kind,
            state: 'NOTPAY',
            amountFen: amount!.total!,
            description: body.description,
            openId: (body.payer as { openid?: string } | undefined)?.openid,
            attach: body.attach as string | undefined,
            notifyUrl: body.notify_url,
            prepayId: kind === 'JSAPI' ? `wx${randomBytes(14).toString('hex')}` : undefined,
            codeUrl: kind === 'NATIVE' ? `weixin://wxpay/bizpayurl?pr=${seq++}` : undefined,
          });
        }
        const order = orders.get(outTradeNo)!;
        return answer(
          200,
          kind === 'JSAPI' ? { prepay_id: order.prepayId } : { code_url: order.codeUrl },
        );
      }
      if ((m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(path))) {
        const order = orders.get(decodeURIComponent(m[1]!));
        if (url.searchParams.get('mchid') !== opts.mchId)
          return answer(400, { code: 'PARAM_ERROR', message: 'mchid' });
        if (!order) return answer(404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
        return answer(200, transactionOf(order));
      }
      if ((m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(path))) {
        const order = orders.get(decodeURIComponent(m[1]!));
        if (!order) return answer(404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
        if (order.state === 'SUCCESS' || order.state === 'REFUND')
          return answer(400, { code: 'ORDERPAID', message: '该订单已支付' });
        order.state = 'CLOSED';
        return answer(204);
      }
      if (req.method === 'POST' && path === '/v3/refund/domestic/refunds') {
        const outTradeNo = String(body.out_trade_no ?? '');
        const outRefundNo = String(body.out_refund_no ?? '');
        const amount = body.amount as { refund?: number; total?: number } | undefined;
        const order = orders.get(outTradeNo);
        if (!order) return answer(404, { code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' });
        const existing = refunds.get(outRefundNo);
        if (existing) return answer(200, refundOf(existing, order));
        if (order.state !== 'SUCCESS' && order.state !== 'REFUND')
          return answer(400, { code: 'INVALID_REQUEST', message: '订单未支付' });
        if (amount?.total !== order.amountFen)
          return answer(400, { code: 'PARAM_ERROR', message: '订单金额不符' });
        const refunded = [...refunds.values()]
          .filter((r) => r.outTradeNo === outTradeNo)
          .reduce((s, r) => s + r.refundFen, 0);
        if (!amount.refund || amount.refund < 1 || refunded + amount.refund > order.amountFen)
          return answer(400, { code: 'INVALID_REQUEST', message: '退款金额超过订单可退金额' });
        const refund: FakeRefund = {
          outRefundNo,
          refundId: `50${Date.now()}${seq++}`,
          outTradeNo,
          refundFen: amount.refund,
          status: 'PROCESSING',
          createTime: rfc3339(new Date(now())),
        };
        refunds.set(outRefundNo, refund);
        order.state = 'REFUND';
        return answer(200, refundOf(refund, order));
      }
      if ((m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path))) {
        const refund = refunds.get(decodeURIComponent(m[1]!));
        if (!refund) return answer(404, { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' });
        return answer(200, refundOf(refund, orders.get(refund.outTradeNo)!));
      }
      if (path === '/v3/bill/tradebill') {
        const date = url.searchParams.get('bill_date') ?? '';
        const text = formatTradeBill([...billRows(date), ...(extraRows.get(date) ?? [])]);
        const token = randomBytes(8).toString('hex');
        bills.set(token, text);
        return answer(200, {
          hash_type: 'SHA1',
          hash_value: createHash('sha1').update(text).digest('hex'),
          download_url: `${fake.url}/v3/billdownload/file?token=${token}`,
        });
      }
      if (path === '/v3/billdownload/file') {
        let text = bills.get(url.searchParams.get('token') ?? '');
        if (text === undefined) return answer(404, { code: 'NO_STATEMENT_EXIST', message: '' });
        if (corruptBill) {
          corruptBill = false;
          text = text.replace('`', '`9');
        }
        log.push({ method: 'GET', path, status: 200 });
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        return res.end(text);
      }
      if (path === '/v3/certificates') {
        return answer(200, {
          data: [
            {
              serial_no: keys.platform.serialNo,
              effective_time: rfc3339(new Date(now() - 86_400_000)),
              expire_time: rfc3339(new Date(now() + 20 * 86_400_000)),
              encrypt_certificate: encryptResource(
                keys.platform.certPem,
                keys.apiV3Key,
                'certificate',
              ),
            },
          ],
        });
      }
      return answer(404, { code: 'NOT_FOUND', message: 'no such API' });
    });
  });

  const billRows = (date: string): TradeBillRow[] => {
    const rows: TradeBillRow[] = [];
    for (const o of orders.values()) {
      if (!o.successTime || o.successTime.slice(0, 10) !== date) continue;
      rows.push(row(o, 'SUCCESS', o.successTime));
    }
    for (const r of refunds.values()) {
      if (r.status !== 'SUCCESS' || r.successTime?.slice(0, 10) !== date) continue;
      rows.push({
        ...row(orders.get(r.outTradeNo)!, 'REFUND', r.successTime),
        refundId: r.refundId,
        outRefundNo: r.outRefundNo,
        refundFen: r.refundFen,
        refundStatus: 'SUCCESS',
        settlementTotalFen: 0,
        feeFen: 0,
      });
    }
    return rows;
  };
  const row = (o: FakeOrder, state: string, time: string): TradeBillRow => ({
    tradeTime: time.slice(0, 19).replace('T', ' '),
    appId: opts.appId,
    mchId: opts.mchId,
    transactionId: o.transactionId ?? '',
    outTradeNo: o.outTradeNo,
    openId: o.openId ?? '',
    tradeType: o.tradeType,
    tradeState: state,
    currency: 'CNY',
    settlementTotalFen: o.amountFen,
    orderAmountFen: o.amountFen,
    refundId: '',
    outRefundNo: '',
    refundFen: 0,
    refundStatus: '',
    productName: o.description,
    attach: o.attach ?? '',
    feeFen: Math.round(o.amountFen * 0.006),
  });
  const transactionOf = (o: FakeOrder) => ({
    appid: opts.appId,
    mchid: opts.mchId,
    out_trade_no: o.outTradeNo,
    ...(o.transactionId ? { transaction_id: o.transactionId } : {}),
    trade_type: o.tradeType,
    trade_state: o.state,
    trade_state_desc: o.state,
    ...(o.successTime ? { success_time: o.successTime } : {}),
    ...(o.attach ? { attach: o.attach } : {}),
    payer: { openid: o.openId ?? 'oNativePayer' },
    amount: {
      total: o.amountFen,
      payer_total: o.amountFen,
      currency: 'CNY',
      payer_currency: 'CNY',
    },
  });
  const refundOf = (r: FakeRefund, o: FakeOrder) => ({
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: o.transactionId,
    out_trade_no: o.outTradeNo,
    channel: 'ORIGINAL',
    status: r.status,
    create_time: r.createTime,
    ...(r.successTime ? { success_time: r.successTime } : {}),
    amount: {
      total: o.amountFen,
      refund: r.refundFen,
      payer_total: o.amountFen,
      payer_refund: r.refundFen,
      currency: 'CNY',
    },
  });
  const callback = (
    eventType: string,
    resource: object,
    o: CallbackOptions = {},
  ): SignedCallback => {
    const id = o.id ?? `EV-${randomBytes(8).toString('hex')}`;
    const kind = eventType.startsWith('REFUND') ? 'refund' : 'transaction';
    const body = JSON.stringify({
      id,
      create_time: rfc3339(new Date(now())),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: kind === 'refund' ? '退款成功' : '支付成功',
      resource: {
        original_type: kind,
        ...encryptResource(JSON.stringify(resource), keys.apiV3Key, kind),
      },
    });
    const headers = {
      'content-type': 'application/json',
      ...sign(
        body,
        o.timestamp ?? Math.floor(now() / 1000),
        o.signWith ?? signingKey,
        o.serial ?? serial,
      ),
    };
    return { headers, body, id };
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeWechatPay = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode,
    orders,
    refunds,
    log,
    pay(outTradeNo, at = new Date(now())) {
      const order = orders.get(outTradeNo);
      if (!order) throw new Error(`no order ${outTradeNo}`);
      if (order.state === 'NOTPAY') {
        order.state = 'SUCCESS';
        order.transactionId = `42000${Date.now()}${seq++}`;
        order.successTime = rfc3339(at);
        order.openId ??= 'oNativePayer';
      }
      return callback('TRANSACTION.SUCCESS', transactionOf(order));
    },
    completeRefund(outRefundNo, at = new Date(now())) {
      const refund = refunds.get(outRefundNo);
      if (!refund) throw new Error(`no refund ${outRefundNo}`);
      refund.status = 'SUCCESS';
      refund.successTime ??= rfc3339(at);
      const order = orders.get(refund.outTradeNo)!;
      return callback('REFUND.SUCCESS', {
        mchid: opts.mchId,
        out_trade_no: order.outTradeNo,
        transaction_id: order.transactionId,
        out_refund_no: refund.outRefundNo,
        refund_id: refund.refundId,
        refund_status: 'SUCCESS',
        success_time: refund.successTime,
        amount: {
          total: order.amountFen,
          refund: refund.refundFen,
          payer_total: order.amountFen,
          payer_refund: refund.refundFen,
        },
      });
    },
    callback,
    failNext(prefix, n, status, code) {
      failures.push({ prefix, n, status, code });
    },
    corruptNextBill() {
      corruptBill = true;
    },
    addBillRow(date, r) {
      extraRows.set(date, [...(extraRows.get(date) ?? []), r]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

/** `2026-03-02T10:00:00+08:00`: Beijing time, as WeChat Pay writes times. */
export function rfc3339(d: Date): string {
  const local = new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 19);
  return `${local}+08:00`;
}
