import { createHash, type KeyObject } from 'node:crypto';
import { decryptResource, type EncryptedResource } from './aead';
import {
  authorizationHeader,
  jsapiPayParams,
  nonceStr,
  toPrivateKey,
  type JsapiPayParams,
  type MerchantSigner,
} from './signing';
import { parseTradeBill, type TradeBill } from './trade-bill';
import {
  CombinedKeyRing,
  PlatformCertificateRing,
  PublicKeyRing,
  SignatureVerifier,
  signatureHeaders,
  WechatPayVerificationError,
  type PlatformCertificate,
  type WechatPayKeyRing,
} from './verifier';

/**
 * A typed client of WeChat Pay API v3 for a directly connected merchant (直连商户): JSAPI and
 * Native prepay, the JSAPI pay parameters, order query and close, refunds and their query,
 * the trade bill with its hash check, and callbacks. Every request is signed; every response
 * (but the bill file, which WeChat Pay does not sign and we check by its hash) and every
 * callback is verified before anything in it is used.
 */

/** WeChat Pay's production API. */
export const WECHATPAY_BASE_URL = 'https://api.mch.weixin.qq.com';

/** What a merchant enters (商户平台 → 账户中心 → API安全) and where WeChat Pay calls back. */
export interface WechatPayMerchant {
  /** 商户号. */
  mchId: string;
  /** The AppID bound to the merchant (公众号/小程序/企业微信 AppID) that payers use. */
  appId: string;
  /** 商户API证书序列号. */
  serialNo: string;
  /** The merchant API private key (apiclient_key.pem). */
  privateKey: KeyObject | string;
  /** The APIv3 key (32 characters). */
  apiV3Key: string;
  /** 微信支付公钥 and its id (`PUB_KEY_ID_…`), when the merchant uses the public-key mode. */
  wechatPayPublicKey?: { id: string; pem: string };
  /** Platform certificates known already (平台证书模式); fetched when missing. */
  platformCertificates?: PlatformCertificate[];
  /** Where payment results are posted (HTTPS, no query string). */
  notifyUrl: string;
  /** Where refund results are posted; default `notifyUrl`. */
  refundNotifyUrl?: string;
}

/** Options of the client. */
export interface WechatPayClientOptions {
  /** Default {@link WECHATPAY_BASE_URL}; a contract server in tests. */
  baseUrl?: string;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  /** The timestamp window of verification, seconds (default 300). */
  windowSeconds?: number;
  /** Use these keys instead of those the merchant's settings imply. */
  keyRing?: WechatPayKeyRing;
}

/** The error WeChat Pay answered (`{ code, message }`), or a failure to reach it. */
export class WechatPayError extends Error {
  constructor(
    /** HTTP status, 0 when unreachable. */
    readonly status: number,
    /** WeChat Pay's error code (`ORDER_NOT_EXIST`, `SYSTEM_ERROR`, …) or `NETWORK`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WechatPayError';
  }

  /** A retry may succeed: unreachable, 5xx, 429, or a code WeChat Pay documents as such. */
  get isTransient(): boolean {
    return (
      this.status === 0 ||
      this.status >= 500 ||
      this.status === 429 ||
      ['SYSTEM_ERROR', 'FREQUENCY_LIMITED', 'BANK_ERROR', 'NETWORK'].includes(this.code)
    );
  }
}

/** Input of a prepay. */
export interface PrepayInput {
  /** 6–32 characters of `[0-9A-Za-z_\-|*]`, unique per merchant. */
  outTradeNo: string;
  /** What the payer sees (商品描述), at most 127 bytes. */
  description: string;
  amountFen: number;
  /** RFC 3339, e.g. `2026-03-31T23:59:59+08:00`. */
  timeExpire?: string;
  /** Echoed in the callback (商户数据包), at most 128 characters. */
  attach?: string;
}

/** An order as `GET /v3/pay/transactions/out-trade-no/{out_trade_no}` answers it. */
export interface Transaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: string;
  /** SUCCESS REFUND NOTPAY CLOSED REVOKED USERPAYING PAYERROR */
  trade_state: string;
  trade_state_desc?: string;
  success_time?: string;
  attach?: string;
  payer?: { openid?: string };
  amount?: { total: number; payer_total?: number; currency?: string; payer_currency?: string };
}

/** A refund as WeChat Pay answers it. */
export interface RefundResult {
  refund_id: string;
  out_refund_no: string;
  transaction_id?: string;
  out_trade_no?: string;
  channel?: string;
  /** SUCCESS CLOSED PROCESSING ABNORMAL */
  status: string;
  success_time?: string;
  create_time?: string;
  amount: { total: number; refund: number; payer_total?: number; payer_refund?: number };
}

/** A verified, decrypted callback (支付通知 / 退款通知). */
export interface WechatPayNotification<T = unknown> {
  id: string;
  create_time: string;
  /** `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`. */
  event_type: string;
  resource_type: string;
  summary?: string;
  resource: T;
}

/** The transaction in a `TRANSACTION.*` callback. */
export type TransactionNotice = Transaction;

/** The refund in a `REFUND.*` callback. */
export interface RefundNotice {
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  out_refund_no: string;
  refund_id: string;
  refund_status: string;
  success_time?: string;
  amount: { total: number; refund: number; payer_total: number; payer_refund: number };
}

/** The client of one merchant. */
export class WechatPayClient {
  readonly baseUrl: string;
  private readonly signer: MerchantSigner;
  private readonly verifier: SignatureVerifier;
  private readonly now: () => number;

  constructor(
    readonly merchant: WechatPayMerchant,
    opts: WechatPayClientOptions = {},
  ) {
    this.baseUrl = (opts.baseUrl ?? WECHATPAY_BASE_URL).replace(/\/+$/, '');
    this.now = opts.now ?? Date.now;
    this.signer = {
      mchId: merchant.mchId,
      serialNo: merchant.serialNo,
      privateKey: toPrivateKey(merchant.privateKey),
    };
    const rings: WechatPayKeyRing[] = [];
    if (opts.keyRing) rings.push(opts.keyRing);
    if (merchant.wechatPayPublicKey)
      rings.push(
        new PublicKeyRing(merchant.wechatPayPublicKey.id, merchant.wechatPayPublicKey.pem),
      );
    // A merchant on the public-key mode has no certificates to fetch; one on the certificate
    // mode (or switching, with both configured) fetches them when a serial is unknown.
    if (!merchant.wechatPayPublicKey || merchant.platformCertificates)
      rings.push(
        new PlatformCertificateRing(
          () => this.certificates(),
          { now: this.now },
          merchant.platformCertificates ?? [],
        ),
      );
    this.verifier = new SignatureVerifier(new CombinedKeyRing(rings), {
      now: this.now,
      windowSeconds: opts.windowSeconds,
    });
  }

  /** JSAPI prepay (JSAPI下单): the payer's openid under the merchant's AppID. */
  async jsapiPrepay(input: PrepayInput & { openId: string }): Promise<{ prepayId: string }> {
    const r = await this.request<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', {
      ...this.orderBody(input),
      payer: { openid: input.openId },
    });
    return { prepayId: r.prepay_id };
  }

  /** Native prepay (Native下单): a `weixin://` code URL to show as a QR code. */
  async nativePrepay(input: PrepayInput): Promise<{ codeUrl: string }> {
    const r = await this.request<{ code_url: string }>(
      'POST',
      '/v3/pay/transactions/native',
      this.orderBody(input),
    );
    return { codeUrl: r.code_url };
  }

  /** The signed parameters the payer's WeChat needs to pay a JSAPI prepay. */
  jsapiPayParams(prepayId: string): JsapiPayParams {
    return jsapiPayParams(this.merchant.appId, prepayId, this.signer.privateKey, {
      timestamp: String(Math.floor(this.now() / 1000)),
      nonce: nonceStr(),
    });
  }

  /** Queries an order by our number (商户订单号查询订单). */
  queryOrder(outTradeNo: string): Promise<Transaction> {
    return this.request<Transaction>(
      'GET',
      `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.merchant.mchId)}`,
    );
  }

  /** Closes an unpaid order (关闭订单); the number cannot be used again afterwards. */
  async closeOrder(outTradeNo: string): Promise<void> {
    await this.request<undefined>(
      'POST',
      `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`,
      { mchid: this.merchant.mchId },
    );
  }

  /** Applies for a refund (退款申请); the same `outRefundNo` again is the same refund. */
  refund(input: {
    outTradeNo: string;
    outRefundNo: string;
    refundFen: number;
    totalFen: number;
    reason?: string;
  }): Promise<RefundResult> {
    return this.request<RefundResult>('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(input.reason ? { reason: input.reason } : {}),
      notify_url: this.merchant.refundNotifyUrl ?? this.merchant.notifyUrl,
      amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    });
  }

  /** Queries a refund by our number (查询单笔退款). */
  queryRefund(outRefundNo: string): Promise<RefundResult> {
    return this.request<RefundResult>(
      'GET',
      `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`,
    );
  }

  /** Where to download the trade bill of a day (申请交易账单), `YYYY-MM-DD`. */
  async tradeBillUrl(
    billDate: string,
    billType: 'ALL' | 'SUCCESS' | 'REFUND' = 'ALL',
  ): Promise<{ hashType: string; hashValue: string; downloadUrl: string }> {
    const r = await this.request<{ hash_type: string; hash_value: string; download_url: string }>(
      'GET',
      `/v3/bill/tradebill?bill_date=${encodeURIComponent(billDate)}&bill_type=${billType}`,
    );
    return { hashType: r.hash_type, hashValue: r.hash_value, downloadUrl: r.download_url };
  }

  /**
   * Downloads and parses the trade bill of a day. The file's SHA1 must equal the hash the
   * bill API (whose answer is signed) gave; otherwise the file is refused.
   */
  async downloadTradeBill(billDate: string): Promise<TradeBill & { text: string }> {
    const { hashType, hashValue, downloadUrl } = await this.tradeBillUrl(billDate);
    const url = new URL(downloadUrl);
    const res = await this.send('GET', url.pathname + url.search, undefined, url.origin);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw this.errorOf(res.status, bytes.toString('utf8'));
    if (hashType.toUpperCase() !== 'SHA1')
      throw new WechatPayError(res.status, 'HASH_TYPE', `unsupported hash type ${hashType}`);
    const actual = createHash('sha1').update(bytes).digest('hex');
    if (actual !== hashValue.toLowerCase())
      throw new WechatPayError(res.status, 'HASH_MISMATCH', 'the bill file fails its SHA1 check');
    const text = bytes.toString('utf8');
    return { ...parseTradeBill(text), text };
  }

  /** The platform certificates (下载平台证书), decrypted with the APIv3 key. */
  async certificates(): Promise<PlatformCertificate[]> {
    // This answer is verified with the certificates it carries (the first fetch trusts the
    // TLS connection and the APIv3 key's authenticated encryption of each certificate).
    const res = await this.send('GET', '/v3/certificates');
    const text = await res.text();
    if (res.status !== 200) throw this.errorOf(res.status, text);
    const body = JSON.parse(text) as {
      data: {
        serial_no: string;
        effective_time?: string;
        expire_time?: string;
        encrypt_certificate: EncryptedResource;
      }[];
    };
    const certs = body.data.map((c) => ({
      serialNo: c.serial_no,
      effectiveTime: c.effective_time,
      expireTime: c.expire_time,
      pem: decryptResource(c.encrypt_certificate, this.merchant.apiV3Key),
    }));
    const own = new SignatureVerifier(
      new PlatformCertificateRing(() => Promise.resolve([]), { now: this.now }, certs),
      { now: this.now },
    );
    await own.verify(signatureHeaders(res.headers), text);
    return certs;
  }

  /**
   * A callback: verifies the signature over the raw body (before parsing anything) and
   * decrypts the resource with the APIv3 key. Throws {@link WechatPayVerificationError} for
   * anything forged or stale.
   */
  async parseNotification<T = unknown>(
    headers: Headers | Record<string, string | string[] | undefined>,
    rawBody: string,
  ): Promise<WechatPayNotification<T>> {
    await this.verifier.verify(signatureHeaders(headers), rawBody);
    const envelope = JSON.parse(rawBody) as Omit<WechatPayNotification, 'resource'> & {
      resource: EncryptedResource;
    };
    const resource = JSON.parse(decryptResource(envelope.resource, this.merchant.apiV3Key)) as T;
    return { ...envelope, resource };
  }

  // helpers //////////

  private orderBody(input: PrepayInput) {
    return {
      appid: this.merchant.appId,
      mchid: this.merchant.mchId,
      description: input.description,
      out_trade_no: input.outTradeNo,
      ...(input.timeExpire ? { time_expire: input.timeExpire } : {}),
      ...(input.attach ? { attach: input.attach } : {}),
      notify_url: this.merchant.notifyUrl,
      amount: { total: input.amountFen, currency: 'CNY' },
    };
  }

  /** A signed request whose answer is verified; JSON in, JSON out (undefined for 204). */
  private async request<T>(
    method: 'GET' | 'POST',
    pathWithQuery: string,
    body?: unknown,
  ): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.send(method, pathWithQuery, json);
    const text = await res.text();
    try {
      await this.verifier.verify(signatureHeaders(res.headers), text);
    } catch (err) {
      // An unsigned error answer (a gateway's, or forged) is a failure whose content we ignore.
      if (res.status >= 400 && err instanceof WechatPayVerificationError)
        throw new WechatPayError(res.status, 'UNVERIFIED_ERROR', err.message);
      throw err;
    }
    if (res.status >= 400) throw this.errorOf(res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(
    method: 'GET' | 'POST',
    pathWithQuery: string,
    body?: string,
    origin: string = this.baseUrl,
  ): Promise<Response> {
    const authorization = authorizationHeader(
      this.signer,
      { method, pathWithQuery, body: body ?? '' },
      { timestamp: String(Math.floor(this.now() / 1000)), nonce: nonceStr() },
    );
    try {
      return await fetch(origin + pathWithQuery, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          'user-agent': 'kehou-flow',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body,
      });
    } catch (err) {
      throw new WechatPayError(
        0,
        'NETWORK',
        `${method} ${pathWithQuery}: ${(err as Error).message}`,
      );
    }
  }

  private errorOf(status: number, text: string): WechatPayError {
    let code = `HTTP_${status}`;
    let message = text.slice(0, 200);
    try {
      const body = JSON.parse(text) as { code?: string; message?: string };
      code = body.code ?? code;
      message = body.message ?? message;
    } catch {
      // not JSON: keep the status
    }
    return new WechatPayError(status, code, message);
  }
}

export { WechatPayVerificationError };
