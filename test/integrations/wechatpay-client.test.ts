import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decryptResource, encryptResource } from '../../server/integrations/wechatpay/aead';
import {
  WechatPayClient,
  WechatPayError,
  type RefundNotice,
  type TransactionNotice,
  type WechatPayMerchant,
} from '../../server/integrations/wechatpay/client';
import {
  authorizationHeader,
  parseAuthorization,
  requestMessage,
} from '../../server/integrations/wechatpay/signing';
import { parseTradeBill, yuanToFen } from '../../server/integrations/wechatpay/trade-bill';
import { WechatPayVerificationError } from '../../server/integrations/wechatpay/verifier';
import { makeWechatPayKeys, type WechatPayTestKeys } from './fakes/wechatpay-keys';
import { startFakeWechatPay, type FakeWechatPay } from './fakes/wechatpay-server';

/**
 * The WeChat Pay v3 client against a contract server of the documented API (both signature
 * modes), with our signatures checked independently by the openssl CLI.
 */
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';

describe('WeChat Pay v3 signing', () => {
  let keys: WechatPayTestKeys;
  let dir: string;
  beforeAll(() => {
    keys = makeWechatPayKeys();
    dir = mkdtempSync(path.join(tmpdir(), 'kehou-sig-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should sign requests as WECHATPAY2-SHA256-RSA2048 so that openssl verifies them', () => {
    // given the documented example request (GET /v3/certificates at 1554208460)
    const signer = {
      mchId: MCH_ID,
      serialNo: keys.merchant.serialNo,
      privateKey: createPrivateKey(keys.merchant.privatePem),
    };
    const at = { timestamp: '1554208460', nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' };

    // when
    const header = authorizationHeader(
      signer,
      { method: 'GET', pathWithQuery: '/v3/certificates', body: '' },
      at,
    );

    // then the header has the five parts, and openssl verifies the signature over the lines
    const parts = parseAuthorization(header)!;
    expect(header.startsWith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",')).toBe(true);
    expect(parts).toMatchObject({ mchid: MCH_ID, serial_no: keys.merchant.serialNo });
    const message = requestMessage('GET', '/v3/certificates', at.timestamp, at.nonce, '');
    expect(message).toBe('GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n');
    expect(opensslVerifies(dir, keys.merchant.publicPem, message, parts.signature)).toBe(true);
    expect(opensslVerifies(dir, keys.merchant.publicPem, `${message}x`, parts.signature)).toBe(
      false,
    );
  });

  it('should decrypt AEAD_AES_256_GCM resources and refuse tampered ones', () => {
    // given
    const resource = encryptResource('{"out_trade_no":"KH1"}', keys.apiV3Key, 'transaction');

    // when / then
    expect(decryptResource(resource, keys.apiV3Key)).toBe('{"out_trade_no":"KH1"}');
    expect(() =>
      decryptResource({ ...resource, associated_data: 'refund' }, keys.apiV3Key),
    ).toThrow('resource failed authentication');
    const flipped = Buffer.from(resource.ciphertext, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() =>
      decryptResource({ ...resource, ciphertext: flipped.toString('base64') }, keys.apiV3Key),
    ).toThrow('resource failed authentication');
    expect(() => decryptResource(resource, 'k'.repeat(32))).toThrow();
  });

  it('should read trade bill amounts as exact fen', () => {
    expect(yuanToFen('80.00')).toBe(8000);
    expect(yuanToFen('0.01')).toBe(1);
    expect(yuanToFen('12.3')).toBe(1230);
    expect(yuanToFen('')).toBe(0);
    expect(() => yuanToFen('1.234')).toThrow();
  });
});

describe.each(['public-key', 'certificate'] as const)('WeChat Pay v3 client (%s mode)', (mode) => {
  let keys: WechatPayTestKeys;
  let fake: FakeWechatPay;
  let client: WechatPayClient;
  let merchant: WechatPayMerchant;
  let dir: string;

  beforeAll(async () => {
    keys = makeWechatPayKeys();
    dir = mkdtempSync(path.join(tmpdir(), 'kehou-wxpay-'));
    fake = await startFakeWechatPay(keys, { mchId: MCH_ID, appId: APP_ID, mode });
    merchant = {
      mchId: MCH_ID,
      appId: APP_ID,
      serialNo: keys.merchant.serialNo,
      privateKey: keys.merchant.privatePem,
      apiV3Key: keys.apiV3Key,
      notifyUrl: 'https://kehou.example/api/payments/wechatpay/notify',
      ...(mode === 'public-key'
        ? { wechatPayPublicKey: { id: keys.publicKey.id, pem: keys.publicKey.publicPem } }
        : {}),
    };
    client = new WechatPayClient(merchant, { baseUrl: fake.url });
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should prepay JSAPI idempotently and sign pay parameters openssl verifies', async () => {
    // given
    const order = {
      outTradeNo: `KH${mode[0]}JSAPI0001`,
      description: '课后服务费 2026-03',
      amountFen: 8000,
    };

    // when
    const first = await client.jsapiPrepay({ ...order, openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    const again = await client.jsapiPrepay({ ...order, openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    const params = client.jsapiPayParams(first.prepayId);

    // then
    expect(again.prepayId).toBe(first.prepayId);
    expect(params).toMatchObject({
      appId: APP_ID,
      package: `prepay_id=${first.prepayId}`,
      signType: 'RSA',
    });
    const message = `${APP_ID}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    expect(opensslVerifies(dir, keys.merchant.publicPem, message, params.paySign)).toBe(true);
    if (mode === 'certificate')
      expect(fake.log.some((l) => l.path === '/v3/certificates')).toBe(true);
  });

  it('should refuse the same out_trade_no with another amount', async () => {
    // given
    const outTradeNo = `KH${mode[0]}DUP000001`;
    await client.nativePrepay({ outTradeNo, description: '课后服务费', amountFen: 100 });

    // when / then
    await expect(
      client.nativePrepay({ outTradeNo, description: '课后服务费', amountFen: 200 }),
    ).rejects.toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
  });

  it('should query, close, and tell a missing order from a transient failure', async () => {
    // given
    const outTradeNo = `KH${mode[0]}CLOSE0001`;
    const { codeUrl } = await client.nativePrepay({
      outTradeNo,
      description: '课后服务费',
      amountFen: 500,
    });
    expect(codeUrl).toMatch(/^weixin:\/\//);

    // when
    const before = await client.queryOrder(outTradeNo);
    await client.closeOrder(outTradeNo);
    const after = await client.queryOrder(outTradeNo);

    // then
    expect(before.trade_state).toBe('NOTPAY');
    expect(after.trade_state).toBe('CLOSED');
    const missing = await client.queryOrder('KHNOSUCHORDER').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'ORDER_NOT_EXIST', isTransient: false });
    fake.failNext('/v3/pay/transactions/out-trade-no', 1, 500, 'SYSTEM_ERROR');
    const outage = await client.queryOrder(outTradeNo).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(WechatPayError);
    expect((outage as WechatPayError).isTransient).toBe(true);
  });

  it('should refund idempotently, never above what was paid, and query the refund', async () => {
    // given a paid order of 80 yuan
    const outTradeNo = `KH${mode[0]}REFUND001`;
    await client.jsapiPrepay({
      outTradeNo,
      description: '课后服务费',
      amountFen: 8000,
      openId: 'oP',
    });
    fake.pay(outTradeNo);

    // when
    const r1 = await client.refund({
      outTradeNo,
      outRefundNo: `RF${mode[0]}0001`,
      refundFen: 3000,
      totalFen: 8000,
    });
    const again = await client.refund({
      outTradeNo,
      outRefundNo: `RF${mode[0]}0001`,
      refundFen: 3000,
      totalFen: 8000,
    });
    const tooMuch = client.refund({
      outTradeNo,
      outRefundNo: `RF${mode[0]}0002`,
      refundFen: 5001,
      totalFen: 8000,
    });

    // then
    expect(again.refund_id).toBe(r1.refund_id);
    expect(r1).toMatchObject({ status: 'PROCESSING', amount: { refund: 3000, total: 8000 } });
    await expect(tooMuch).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    fake.completeRefund(`RF${mode[0]}0001`);
    expect((await client.queryRefund(`RF${mode[0]}0001`)).status).toBe('SUCCESS');
  });

  it('should download the trade bill and refuse one whose SHA1 does not match', async () => {
    // given an order paid today (Beijing time)
    const outTradeNo = `KH${mode[0]}BILL00001`;
    await client.nativePrepay({ outTradeNo, description: '课后服务费', amountFen: 6400 });
    fake.pay(outTradeNo);
    const today = fake.orders.get(outTradeNo)!.successTime!.slice(0, 10);

    // when
    const bill = await client.downloadTradeBill(today);

    // then
    const line = bill.rows.find((r) => r.outTradeNo === outTradeNo);
    expect(line).toMatchObject({ tradeState: 'SUCCESS', settlementTotalFen: 6400, mchId: MCH_ID });
    expect(bill.summary?.tradeCount).toBe(bill.rows.length);
    expect(parseTradeBill(bill.text).rows).toHaveLength(bill.rows.length);
    fake.corruptNextBill();
    await expect(client.downloadTradeBill(today)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
  });

  it('should verify and decrypt payment and refund callbacks', async () => {
    // given
    const outTradeNo = `KH${mode[0]}NOTIFY001`;
    await client.nativePrepay({ outTradeNo, description: '课后服务费', amountFen: 100 });
    const paid = fake.pay(outTradeNo);

    // when
    const n = await client.parseNotification<TransactionNotice>(paid.headers, paid.body);

    // then
    expect(n).toMatchObject({ id: paid.id, event_type: 'TRANSACTION.SUCCESS' });
    expect(n.resource).toMatchObject({
      out_trade_no: outTradeNo,
      trade_state: 'SUCCESS',
      amount: { total: 100 },
    });
    await client.refund({
      outTradeNo,
      outRefundNo: `RF${mode[0]}N001`,
      refundFen: 100,
      totalFen: 100,
    });
    const refunded = fake.completeRefund(`RF${mode[0]}N001`);
    const rn = await client.parseNotification<RefundNotice>(refunded.headers, refunded.body);
    expect(rn.resource).toMatchObject({
      out_refund_no: `RF${mode[0]}N001`,
      refund_status: 'SUCCESS',
    });
  });

  it('should refuse forged, stale, tampered and probe callbacks', async () => {
    // given
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const resource = { out_trade_no: 'KHX', trade_state: 'SUCCESS', amount: { total: 1 } };
    const forged = fake.callback('TRANSACTION.SUCCESS', resource, { signWith: forger });
    const stale = fake.callback('TRANSACTION.SUCCESS', resource, {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    const fresh = fake.callback('TRANSACTION.SUCCESS', resource, {
      timestamp: Math.floor(Date.now() / 1000) - 290,
    });
    const unknown = fake.callback('TRANSACTION.SUCCESS', resource, {
      serial: 'PUB_KEY_ID_UNKNOWN',
    });
    const genuine = fake.callback('TRANSACTION.SUCCESS', resource);
    const probe = { ...genuine.headers, 'wechatpay-signature': 'WECHATPAY/SIGNTEST/abc' };

    // when / then
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => 'accepted',
        (e: unknown) => (e instanceof WechatPayVerificationError ? e.failure : String(e)),
      );
    expect(await failure(client.parseNotification(forged.headers, forged.body))).toBe('forged');
    expect(await failure(client.parseNotification(stale.headers, stale.body))).toBe('stale');
    expect(await failure(client.parseNotification(fresh.headers, fresh.body))).toBe('accepted');
    expect(await failure(client.parseNotification(unknown.headers, unknown.body))).toBe(
      'unknown-serial',
    );
    expect(
      await failure(
        client.parseNotification(genuine.headers, genuine.body.replace('"id"', '"id" ')),
      ),
    ).toBe('forged');
    expect(await failure(client.parseNotification(probe, genuine.body))).toBe('probe');
    expect(await failure(client.parseNotification({}, genuine.body))).toBe('missing');
  });

  it('should refuse answers signed by someone else and answers out of the time window', async () => {
    // given a client whose clock is 301 s ahead of the server's signatures
    const ahead = new WechatPayClient(merchant, {
      baseUrl: fake.url,
      now: () => Date.now() + 301_000,
    });
    // and a client that trusts another WeChat Pay public key
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const wrongKey = new WechatPayClient(
      {
        ...merchant,
        wechatPayPublicKey: {
          id: mode === 'public-key' ? keys.publicKey.id : keys.platform.serialNo,
          pem: other.export({ type: 'spki', format: 'pem' }).toString(),
        },
        platformCertificates: undefined,
      },
      { baseUrl: fake.url },
    );

    // when / then (the server refuses the first client's stale request too)
    await expect(ahead.queryOrder('KHNOSUCHORDER')).rejects.toMatchObject({ status: 401 });
    await expect(wrongKey.queryOrder(`KH${mode[0]}CLOSE0001`)).rejects.toMatchObject({
      failure: 'forged',
    });
  });
});

// helpers //////////

/** Verifies a Base64 SHA256withRSA signature with the openssl CLI. */
function opensslVerifies(
  dir: string,
  publicPem: string,
  message: string,
  signature: string,
): boolean {
  const pub = path.join(dir, 'pub.pem');
  const sig = path.join(dir, 'sig.bin');
  const msg = path.join(dir, 'msg.txt');
  writeFileSync(pub, publicPem);
  writeFileSync(sig, Buffer.from(signature, 'base64'));
  writeFileSync(msg, message);
  try {
    execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, msg], {
      stdio: 'pipe',
    });
    return true;
  } catch {
    return false;
  }
}
