import { generateKeyPairSync, randomBytes } from 'node:crypto';
import request from 'supertest';
import { SecretBox } from '../../server/integrations/secret-box';
import { shanghaiDate } from '../../server/rules/dates';
import { CSRF_HEADER } from '../../server/modules/auth';
import { createPayments, type PaymentsService } from '../../server/modules/payments';
import type { DiscrepancyDoc } from '../../server/modules/payments/payments.model';
import { paymentModels } from '../../server/modules/payments/payments.model';
import {
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import { createFixtureBilling, type FixtureBilling } from '../integrations/fakes/billing-fixture';
import {
  makeWechatPayKeys,
  publicKeyMerchant,
  type WechatPayTestKeys,
} from '../integrations/fakes/wechatpay-keys';
import {
  startFakeWechatPay,
  type FakeWechatPay,
  type SignedCallback,
} from '../integrations/fakes/wechatpay-server';

/**
 * Payments through HTTP against a WeChat Pay contract server: bills become orders with stable
 * numbers, callbacks settle exactly once however often and in whatever order they come,
 * withdrawals refund pro rata once, and the daily reconciliation raises each difference once.
 * Billing is a small fixture of our own on the real database (server/modules/payments/billing-port.ts).
 */
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';

describe('payments', () => {
  let h: IdentityHarness;
  let keys: WechatPayTestKeys;
  let fake: FakeWechatPay;
  let billing: FixtureBilling;
  let service: PaymentsService;
  let a: OrgTree;
  let b: OrgTree;
  let parent: SignedInClient;
  let parentId: string;
  let adminA: SignedInClient;
  let adminB: SignedInClient;
  let worker: SignedInClient;
  const incidents: DiscrepancyDoc[] = [];
  let seq = 0;

  beforeAll(async () => {
    keys = makeWechatPayKeys();
    fake = await startFakeWechatPay(keys, { mchId: MCH_ID, appId: APP_ID, mode: 'public-key' });
    h = await startIdentityHarness({}, async (db, logger, auth) => {
      billing = await createFixtureBilling(db);
      const payments = await createPayments({
        db,
        billing,
        requireSession: auth.requireSession,
        logger,
        merchant: publicKeyMerchant(keys, MCH_ID, APP_ID),
        box: new SecretBox(randomBytes(32).toString('base64')),
        publicUrl: 'https://kehou.example',
        client: { baseUrl: fake.url },
        incidents: (d) => {
          incidents.push(d);
        },
        schedule: false,
      });
      service = payments.service;
      return [{ path: '/api/payments', router: payments.router }];
    });
    a = await h.createOrgTree();
    b = await h.createOrgTree();
    const p = await h.createUser({ kind: 'parent' });
    parentId = p._id;
    parent = await signIn(h.app, { phone: p.phone!, password: p.password });
    const aa = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(a) }],
    });
    adminA = await signIn(h.app, { phone: aa.phone!, password: aa.password });
    const ab = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(b) }],
    });
    adminB = await signIn(h.app, { phone: ab.phone!, password: ab.password });
    const w = await h.createUser({
      kind: 'service',
      memberships: [{ role: 'worker', scope: { cityId: a.cityId } }],
    });
    worker = await signIn(h.app, { phone: w.phone!, password: w.password });
  });

  afterAll(async () => {
    await h.close();
    await fake.close();
  });

  /** A fresh open bill of school A for the parent's child. */
  async function newBill(amountFen = 8000) {
    const n = ++seq;
    return billing.addBill({
      billId: `bill:app-${n}:2026-03`,
      cityId: a.cityId,
      countyId: a.county._id,
      schoolId: a.school._id,
      studentId: `student-${n}`,
      amountFen,
      description: '课后服务费 2026年3月 张小一',
      outTradeNo: `bill-202603-app-${n}`,
      guardianUserIds: [parentId],
    });
  }

  const notify = (cb: SignedCallback, mchId = MCH_ID) =>
    request(h.app).post(`/api/payments/wechatpay/notify/${mchId}`).set(cb.headers).send(cb.body);

  it('should order a bill once per way of paying, and a new number when the way changes', async () => {
    // given
    const bill = await newBill();

    // when the parent asks for a QR code twice, then pays inside WeChat (JSAPI)
    const native1 = await parent.post(`/api/payments/bills/${bill.billId}/order`, {
      tradeType: 'NATIVE',
    });
    const native2 = await parent.post(`/api/payments/bills/${bill.billId}/order`, {
      tradeType: 'NATIVE',
    });
    const jsapi = await parent.post(`/api/payments/bills/${bill.billId}/order`, {
      tradeType: 'JSAPI',
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    });

    // then
    expect(native1.status).toBe(200);
    expect(native1.body).toMatchObject({
      outTradeNo: bill.outTradeNo,
      tradeType: 'NATIVE',
      amountFen: 8000,
    });
    expect(native1.body.codeUrl).toMatch(/^weixin:\/\//);
    expect(native2.body).toEqual(native1.body);
    expect(jsapi.status).toBe(200);
    expect(jsapi.body.outTradeNo).toBe(`${bill.outTradeNo}-2`);
    expect(jsapi.body.payParams).toMatchObject({ appId: APP_ID, signType: 'RSA' });
    expect(fake.orders.get(bill.outTradeNo!)?.state).toBe('CLOSED');
    const state = await parent.agent.get(`/api/payments/bills/${bill.billId}`);
    expect(state.body.orders.map((o: { state: string }) => o.state)).toEqual(['closed', 'open']);
  });

  it("should not order another family's bill, nor one without an openid for JSAPI", async () => {
    // given
    const bill = await newBill();

    // when / then
    expect(
      (await adminB.post(`/api/payments/bills/${bill.billId}/order`, { tradeType: 'NATIVE' }))
        .status,
    ).toBe(404);
    const noOpenId = await parent.post(`/api/payments/bills/${bill.billId}/order`, {
      tradeType: 'JSAPI',
    });
    expect(noOpenId.status).toBe(400);
    expect(noOpenId.body.code).toBe('OPENID_REQUIRED');
  });

  it('should settle exactly once however often and however concurrently the callback comes', async () => {
    // given a paid order
    const bill = await newBill(6400);
    await parent.post(`/api/payments/bills/${bill.billId}/order`, { tradeType: 'NATIVE' });
    const paid = fake.pay(bill.outTradeNo!);
    const again = fake.pay(bill.outTradeNo!); // WeChat Pay's retry: a new notification id

    // when it arrives five times, three at once
    const answers = await Promise.all([notify(paid), notify(paid), notify(again)]);
    answers.push(await notify(paid), await notify(again));

    // then every delivery is acknowledged, and the bill is settled and booked once
    expect(answers.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
    expect(await billing.settlements(bill.billId)).toHaveLength(1);
    expect(await billing.ledger(bill.billId)).toEqual([
      { _id: `pay:${bill.billId}`, billId: bill.billId, amountFen: 6400 },
    ]);
    expect((await billing.bill(bill.billId))?.status).toBe('paid');
    const m = paymentModels(h.db.connection);
    const payment = await m.payments.findById(`paid:${bill.outTradeNo}`).lean();
    expect(payment).toMatchObject({ outcome: 'settled', amountFen: 6400, source: 'callback' });
    expect(await m.notifications.countDocuments({ outTradeNo: bill.outTradeNo })).toBe(2);
    const state = await parent.agent.get(`/api/payments/bills/${bill.billId}`);
    expect(state.body.orders[0]).toMatchObject({ state: 'paid', amountFen: 6400 });
  });

  it('should refuse forged, stale and misdirected callbacks without settling', async () => {
    // given
    const bill = await newBill(100);
    await parent.post(`/api/payments/bills/${bill.billId}/order`, { tradeType: 'NATIVE' });
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const resource = {
      appid: APP_ID,
      mchid: MCH_ID,
      out_trade_no: bill.outTradeNo,
      transaction_id: '4200000000000000001',
      trade_state: 'SUCCESS',
      success_time: '2026-03-02T10:00:00+08:00',
      amount: { total: 100 },
    };

    // when
    const forged = await notify(
      fake.callback('TRANSACTION.SUCCESS', resource, { signWith: forger }),
    );
    const stale = await notify(
      fake.callback('TRANSACTION.SUCCESS', resource, {
        timestamp: Math.floor(Date.now() / 1000) - 600,
      }),
    );
    const unknownMerchant = await notify(
      fake.callback('TRANSACTION.SUCCESS', resource),
      '1900000999',
    );

    // then
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ code: 'FAIL', message: '失败' });
    expect(stale.status).toBe(401);
    expect(unknownMerchant.status).toBe(404);
    expect(await billing.settlements(bill.billId)).toHaveLength(0);
  });

  it('should record a payment whose callback never came when the payer comes back', async () => {
    // given a payment WeChat Pay never told us of
    const bill = await newBill(3000);
    await parent.post(`/api/payments/bills/${bill.billId}/order`, { tradeType: 'NATIVE' });
    fake.pay(bill.outTradeNo!);

    // when the parent's page asks with sync=true
    const state = await parent.agent.get(`/api/payments/bills/${bill.billId}?sync=true`);

    // then
    expect(state.body.orders[0].state).toBe('paid');
    expect(await billing.settlements(bill.billId)).toHaveLength(1);
  });

  it('should pay back a second payment of the same bill in full, once', async () => {
    // given a bill whose QR code (attempt 1) and JSAPI order (attempt 2) were both paid: the
    // payer scanned the code just before it was closed
    const bill = await newBill(5000);
    await parent.post(`/api/payments/bills/${bill.billId}/order`, { tradeType: 'NATIVE' });
    await parent.post(`/api/payments/bills/${bill.billId}/order`, {
      tradeType: 'JSAPI',
      openId: 'oPayer000001',
    });
    const second = `${bill.outTradeNo}-2`;
    expect((await notify(fake.pay(second))).status).toBe(204);
    fake.orders.get(bill.outTradeNo!)!.state = 'NOTPAY';
    const first = fake.pay(bill.outTradeNo!);

    // when the late payment's callback comes, twice
    expect((await notify(first)).status).toBe(204);
    expect((await notify(first)).status).toBe(204);

    // then the bill stays settled by the JSAPI payment; the QR payment goes back in full, once
    const settlements = await billing.settlements(bill.billId);
    expect(settlements).toHaveLength(1);
    expect(settlements[0]!.transactionId).toBe(fake.orders.get(second)!.transactionId);
    const refund = fake.refunds.get(`${bill.outTradeNo}-dup`);
    expect(refund).toMatchObject({ outTradeNo: bill.outTradeNo, refundFen: 5000 });
    expect([...fake.refunds.values()].filter((r) => r.outTradeNo === bill.outTradeNo)).toHaveLength(
      1,
    );
    expect(
      incidents.some((d) => d.kind === 'duplicate-payment' && d.outTradeNo === bill.outTradeNo),
    ).toBe(true);
  });

  it('should refund a withdrawal pro rata once, and refuse a refund of a refund', async () => {
    // given a paid bill of 20 days
    const bill = await newBill(8000);
    await parent.post(`/api/payments/bills/${bill.billId}/order`, { tradeType: 'NATIVE' });
    await notify(fake.pay(bill.outTradeNo!));
    const billedDays = Array.from(
      { length: 20 },
      (_, i) => `2026-03-${String(i + 2).padStart(2, '0')}`,
    );

    // when the child withdraws after 5 days, reported twice
    const r1 = await service.refundWithdrawal({
      billId: bill.billId,
      withdrawnOn: '2026-03-07',
      billedDays,
    });
    const r2 = await service.refundWithdrawal({
      billId: bill.billId,
      withdrawnOn: '2026-03-07',
      billedDays,
    });

    // then 15 of 20 days (6000 fen) go back, once, under a stable number
    expect(r1).toMatchObject({
      _id: `${bill.outTradeNo}-wd`,
      refundFen: 6000,
      state: 'PROCESSING',
    });
    expect(r2?._id).toBe(r1?._id);
    expect([...fake.refunds.values()].filter((r) => r.outTradeNo === bill.outTradeNo)).toHaveLength(
      1,
    );
    await expect(
      service.refundOrder(`${bill.outTradeNo}-wd`, 100, 'withdrawal'),
    ).rejects.toMatchObject({
      code: 'REFUND_OF_REFUND',
    });

    // and the refund's callback, repeated, completes it
    const done = fake.completeRefund(`${bill.outTradeNo}-wd`);
    expect((await notify(done)).status).toBe(204);
    expect((await notify(done)).status).toBe(204);
    const state = await parent.agent.get(`/api/payments/bills/${bill.billId}`);
    expect(state.body.refunds).toEqual([
      {
        outRefundNo: `${bill.outTradeNo}-wd`,
        reason: 'withdrawal',
        refundFen: 6000,
        state: 'SUCCESS',
      },
    ]);
  });

  it("should reconcile the day's trade bill, raising each difference once and settling a lost payment", async () => {
    // given a payment whose callback was lost, and a line of the bill we know nothing of
    const bill = await newBill(4500);
    await parent.post(`/api/payments/bills/${bill.billId}/order`, { tradeType: 'NATIVE' });
    fake.pay(bill.outTradeNo!);
    const today = shanghaiDate(new Date());
    fake.addBillRow(today, {
      tradeTime: `${today} 09:00:00`,
      appId: APP_ID,
      mchId: MCH_ID,
      transactionId: '4200000000000099999',
      outTradeNo: 'STRANGER0001',
      openId: 'oX',
      tradeType: 'NATIVE',
      tradeState: 'SUCCESS',
      currency: 'CNY',
      settlementTotalFen: 1234,
      orderAmountFen: 1234,
      refundId: '',
      outRefundNo: '',
      refundFen: 0,
      refundStatus: '',
      productName: '?',
      attach: '',
      feeFen: 7,
    });
    const before = incidents.length;

    // when a worker runs the day, and then again
    fake.corruptNextBill();
    const failed = await worker.post('/api/payments/reconciliations', { date: today });
    const run = await worker.post('/api/payments/reconciliations', { date: today });
    const rerun = await worker.post('/api/payments/reconciliations', { date: today });

    // then a corrupted file fails the run (retried), the next one finds the differences
    expect(failed.status).toBe(502);
    expect(run.status).toBe(200);
    const kinds = run.body.results[0].discrepancies.map(
      (d: { kind: string; outTradeNo: string }) => `${d.kind}:${d.outTradeNo}`,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        `unsettled-payment:${bill.outTradeNo}`,
        'unknown-payment:STRANGER0001',
      ]),
    );
    expect(await billing.settlements(bill.billId)).toHaveLength(1);
    expect(rerun.body).toEqual(run.body);
    const raised = incidents.slice(before).map((d) => `${d.kind}:${d.outTradeNo}`);
    expect(raised.filter((k) => k === `unsettled-payment:${bill.outTradeNo}`)).toHaveLength(1);
    expect(raised.filter((k) => k === 'unknown-payment:STRANGER0001')).toHaveLength(1);

    // and the school sees its own discrepancies, another school none of them
    const mine = await adminA.agent.get('/api/payments/discrepancies?open=true');
    expect(mine.body.map((d: { outTradeNo?: string }) => d.outTradeNo)).toContain(bill.outTradeNo);
    const theirs = await adminB.agent.get('/api/payments/discrepancies');
    expect(theirs.body.map((d: { outTradeNo?: string }) => d.outTradeNo)).not.toContain(
      bill.outTradeNo,
    );
    const id = mine.body.find((d: { outTradeNo?: string }) => d.outTradeNo === bill.outTradeNo).id;
    expect(
      (
        await adminB.post(`/api/payments/discrepancies/${encodeURIComponent(id)}/resolve`, {
          resolution: 'x',
        })
      ).status,
    ).toBe(404);
    const resolved = await adminA.post(
      `/api/payments/discrepancies/${encodeURIComponent(id)}/resolve`,
      {
        resolution: '已核对：回调丢失，对账补记',
      },
    );
    expect(resolved.body).toMatchObject({
      resolution: '已核对：回调丢失，对账补记',
      title: expect.stringContaining('回调丢失'),
    });
    expect((await parent.post('/api/payments/reconciliations', { date: today })).status).toBe(403);
  });

  it('should keep merchant secrets sealed and never show them', async () => {
    // given
    const own = makeWechatPayKeys();
    const body = {
      mchId: '1900000200',
      appId: 'wx1234567890abcdef',
      serialNo: own.merchant.serialNo,
      privateKeyPem: own.merchant.privatePem,
      apiV3Key: own.apiV3Key,
    };

    // when
    const saved = await adminA.agent
      .put(`/api/payments/merchants/school/${a.school._id}`)
      .set(CSRF_HEADER, adminA.csrfToken)
      .send(body);
    const shown = await adminA.agent.get(`/api/payments/merchants/school/${a.school._id}`);
    const other = await adminB.agent
      .put(`/api/payments/merchants/school/${a.school._id}`)
      .set(CSRF_HEADER, adminB.csrfToken)
      .send(body);
    const badKey = await adminA.agent
      .put(`/api/payments/merchants/school/${a.school._id}`)
      .set(CSRF_HEADER, adminA.csrfToken)
      .send({ ...body, apiV3Key: 'short' });

    // then
    expect(saved.status).toBe(200);
    expect(shown.body).toEqual({
      level: 'school',
      placeId: a.school._id,
      mchId: '1900000200',
      appId: 'wx1234567890abcdef',
      serialNo: own.merchant.serialNo,
      hasPrivateKey: true,
      hasApiV3Key: true,
      notifyUrl: 'https://kehou.example/api/payments/wechatpay/notify/1900000200',
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(shown.body)).not.toContain('PRIVATE KEY');
    const stored = await paymentModels(h.db.connection)
      .merchants.findById(`wechatpay:school:${a.school._id}`)
      .lean();
    expect(JSON.stringify(stored)).not.toContain(own.apiV3Key);
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
    expect(h.logs.join('\n')).not.toContain(own.apiV3Key);
    expect(other.status).toBe(404);
    expect(badKey.status).toBe(400);
    expect(badKey.body.errors ?? badKey.body.fields).toBeDefined();
    await paymentModels(h.db.connection).merchants.deleteOne({
      _id: `wechatpay:school:${a.school._id}`,
    });
  });

  it('should answer 503 while WeChat Pay is down, and order once it is back', async () => {
    // given
    const bill = await newBill(700);
    fake.failNext('/v3/pay/transactions/native', 1, 500, 'SYSTEM_ERROR');

    // when
    const down = await parent.post(`/api/payments/bills/${bill.billId}/order`, {
      tradeType: 'NATIVE',
    });
    const back = await parent.post(`/api/payments/bills/${bill.billId}/order`, {
      tradeType: 'NATIVE',
    });

    // then
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('WECHATPAY_UNAVAILABLE');
    expect(back.status).toBe(200);
    expect(back.body.outTradeNo).toBe(bill.outTradeNo);
  });
});
