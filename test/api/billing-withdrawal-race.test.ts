import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { SecretBox } from '../../server/integrations/secret-box';
import { createBilling } from '../../server/modules/billing';
import { billingModels, type BillDoc } from '../../server/modules/billing/billing.model';
import type { BillingService } from '../../server/modules/billing/billing.service';
import { createNotifications } from '../../server/modules/notifications';
import { composePayments } from '../../server/modules/payments/compose';
import { refundOnWithdrawal } from '../../server/rules/fees';
import {
  classScope,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import { makeWechatPayKeys, publicKeyMerchant } from '../integrations/fakes/wechatpay-keys';
import {
  startFakeWechatPay,
  type FakeWechatPay,
  type SignedCallback,
} from '../integrations/fakes/wechatpay-server';

/**
 * A withdrawal and a WeChat Pay payment of the same bill at the same time (FerretDB 1.24 runs
 * an update's filter and its write apart and rewrites the whole document, ADR 0001/0004): the
 * withdrawal and the settlement are facts inserted once per bill, each side reads the other's
 * fact after inserting its own, so at least one sees both and the refund is made exactly once
 * (ledger, refund listeners, WeChat Pay); the bill is a view its readers repair from the facts.
 * The real billing and payments modules on this file's database, WeChat Pay a contract server.
 */
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';
const MONTH = '2026-12';
const AMOUNT = 8000;
/** A month's first 20 days from Monday to Friday, as a bill lists the days it charges. */
const daysOf = (month: string) =>
  Array.from({ length: 28 }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`)
    .filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()))
    .slice(0, 20);
const MID_MONTH = '2026-12-10';
const BEFORE_MONTH = '2026-11-30';

type Bill = {
  id: string;
  status: string;
  amountFen: number;
  paidFen?: number;
  withdrawal?: { keptFen: number; refundFen: number; withdrawnOn: string };
};
type Entry = { direction: 'in' | 'out'; amountFen: number; billId?: string; category: string };

describe('a withdrawal and a payment of the same bill at the same time', () => {
  let h: IdentityHarness;
  let fake: FakeWechatPay;
  let billing: BillingService;
  let tree: OrgTree;
  let parent: SignedInClient;
  let parentId: string;
  let admin: SignedInClient;
  let worker: { username: string; password: string };
  const told: { billId: string; refundFen: number }[] = [];
  let seq = 0;

  beforeAll(async () => {
    const keys = makeWechatPayKeys();
    fake = await startFakeWechatPay(keys, { mchId: MCH_ID, appId: APP_ID, mode: 'public-key' });
    h = await startIdentityHarness({}, async (db, logger, auth) => {
      const notifications = await createNotifications({ db, requireSession: auth.requireSession });
      const created = await createBilling({
        db,
        // no billing run is requested here
        engine: { publishMessage: async () => undefined },
        requireSession: auth.requireSession,
      });
      billing = created.service;
      const payments = await composePayments({
        db,
        billing,
        notifications: notifications.service,
        requireSession: auth.requireSession,
        logger,
        merchant: publicKeyMerchant(keys, MCH_ID, APP_ID),
        box: new SecretBox(randomBytes(32).toString('base64')),
        publicUrl: 'https://kehou.example',
        client: { baseUrl: fake.url },
        schedule: false,
      });
      billing.onRefund(({ bill, refundFen }) => {
        told.push({ billId: bill._id, refundFen });
      });
      return [
        { path: '/api/billing', router: created.router },
        { path: '/api/payments', router: payments.router },
      ];
    });
    tree = await h.createOrgTree();
    const p = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(tree) }],
    });
    parentId = p._id;
    parent = await signIn(h.app, { phone: p.phone!, password: p.password });
    const a = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    admin = await signIn(h.app, { phone: a.phone!, password: a.password });
    const w = await h.createUser({
      kind: 'service',
      memberships: [{ role: 'worker', scope: { cityId: tree.cityId } }],
    });
    worker = { username: w.username!, password: w.password };
  });

  afterAll(async () => {
    await h.close();
    await fake.close();
  });

  // helpers //////////

  /** An open bill of AMOUNT for a child of the parent, ordered by WeChat Pay. */
  async function orderedBill(month = MONTH): Promise<{ id: string; outTradeNo: string }> {
    const n = ++seq;
    const id = `bill:app-race-${n}:${month}`;
    const days = daysOf(month);
    const now = new Date();
    const bill: BillDoc = {
      _id: id,
      cityId: tree.cityId,
      countyId: tree.county._id,
      schoolId: tree.school._id,
      gradeId: tree.grade._id,
      classId: tree.class._id,
      studentId: `student-race-${n}`,
      studentName: `张小${n}`,
      applicationId: `app-race-${n}`,
      planId: 'plan-race',
      guardians: [{ userId: parentId }],
      month,
      billingRunKey: `${tree.school._id}:${month}`,
      lines: [{ item: 'after-school', name: '课后服务费', fen: AMOUNT, days: days.length }],
      amountFen: AMOUNT,
      serviceDays: days,
      schoolDaysInMonth: days.length,
      applied: [],
      notCharged: [],
      status: 'open',
      outTradeNo: `bill-${month.replace('-', '')}-app-race-${n}`,
      createdAt: now,
      updatedAt: now,
    };
    await billingModels(h.db.connection).bills.create(bill);
    const order = await parent.post(`/api/payments/bills/${encodeURIComponent(id)}/order`, {
      tradeType: 'NATIVE',
    });
    expect(order.status).toBe(200);
    return { id, outTradeNo: order.body.outTradeNo as string };
  }

  /** What the refund-fee worker records for a withdrawal on `withdrawnOn` of AMOUNT. */
  function withdraw(billId: string, withdrawnOn: string) {
    const r = refundOnWithdrawal({
      paidFen: AMOUNT,
      billedDays: daysOf(monthOf(billId)),
      withdrawnOn,
    });
    return request(h.app)
      .post(`/api/billing/bills/${encodeURIComponent(billId)}/withdrawal`)
      .auth(worker.username, worker.password)
      .send({
        withdrawnOn,
        keptFen: r.keptFen,
        refundFen: r.refundFen,
        servedDays: r.servedDays,
        remainingDays: r.remainingDays,
      });
  }

  const notify = (cb: SignedCallback) =>
    request(h.app).post(`/api/payments/wechatpay/notify/${MCH_ID}`).set(cb.headers).send(cb.body);

  async function parentBills(month = MONTH): Promise<Bill[]> {
    const res = await parent.agent.get(`/api/billing/bills?month=${month}&limit=500`);
    expect(res.status).toBe(200);
    return res.body.items as Bill[];
  }

  async function entries(): Promise<Entry[]> {
    const res = await admin.agent.get(
      `/api/billing/ledger/entries?schoolId=${tree.school._id}&limit=500`,
    );
    expect(res.status).toBe(200);
    return res.body.items as Entry[];
  }

  const keptOf = (withdrawnOn: string, month = MONTH) =>
    refundOnWithdrawal({ paidFen: AMOUNT, billedDays: daysOf(month), withdrawnOn }).keptFen;

  const monthOf = (billId: string) => billId.slice(-7);

  const runOf = (month: string) => `/api/billing/runs/${tree.school._id}/${month}`;

  // tests //////////

  it('should refund each bill exactly once, and show it paid and withdrawn, whichever lands first', async () => {
    // given 20 ordered bills, and 4 more that are never paid
    const raced = [];
    for (let i = 0; i < 20; i++) raced.push(await orderedBill());
    const unpaid = [];
    for (let i = 0; i < 4; i++) unpaid.push(await orderedBill());
    const withdrawnOn = (i: number) => (i % 2 === 0 ? MID_MONTH : BEFORE_MONTH);

    // when each child withdraws while the parent's payment lands (both at the same time)
    for (const [i, bill] of raced.entries()) {
      const paid = fake.pay(bill.outTradeNo);
      const [w, s] =
        i % 4 < 2
          ? await Promise.all([withdraw(bill.id, withdrawnOn(i)), notify(paid)])
          : await Promise.all([notify(paid), withdraw(bill.id, withdrawnOn(i))]).then(
              ([n, x]) => [x, n] as const,
            );
      expect(w.status).toBe(200);
      expect(s.status).toBe(204);
    }
    // and the unpaid ones withdraw with no payment
    for (const [i, bill] of unpaid.entries())
      expect((await withdraw(bill.id, withdrawnOn(i))).status).toBe(200);

    // then every paid bill shows paid and withdrawn, with the unserved days refunded
    const bills = await parentBills();
    const ledger = await entries();
    for (const [i, { id, outTradeNo }] of raced.entries()) {
      const kept = keptOf(withdrawnOn(i));
      const refund = AMOUNT - kept;
      expect({ id, ...bills.find((b) => b.id === id) }).toMatchObject({
        id,
        status: 'paid',
        paidFen: AMOUNT,
        withdrawal: { withdrawnOn: withdrawnOn(i), keptFen: kept, refundFen: refund },
      });
      // and the refund is made once: in the ledger, to the refund listeners, at WeChat Pay
      const mine = ledger.filter((e) => e.billId === id);
      expect({ id, in: mine.filter((e) => e.direction === 'in').map((e) => e.amountFen) }).toEqual({
        id,
        in: [AMOUNT],
      });
      expect({
        id,
        out: mine.filter((e) => e.direction === 'out').map((e) => e.amountFen),
      }).toEqual({ id, out: [refund] });
      expect({ id, told: told.filter((t) => t.billId === id).map((t) => t.refundFen) }).toEqual({
        id,
        told: [refund],
      });
      const atWechat = [...fake.refunds.values()].filter((r) => r.outTradeNo === outTradeNo);
      expect({ id, atWechat: atWechat.map((r) => [r.outRefundNo, r.refundFen]) }).toEqual({
        id,
        atWechat: [[`${outTradeNo}-wd`, refund]],
      });
    }

    // and a bill nobody paid asks only for the days served, or is cancelled, and refunds nothing
    for (const [i, { id }] of unpaid.entries()) {
      const kept = keptOf(withdrawnOn(i));
      expect(bills.find((b) => b.id === id)).toMatchObject({
        status: kept === 0 ? 'cancelled' : 'open',
        amountFen: kept,
        withdrawal: { keptFen: kept, refundFen: 0 },
      });
      expect(ledger.filter((e) => e.billId === id)).toEqual([]);
      expect(told.filter((t) => t.billId === id)).toEqual([]);
    }

    // and the ledger adds up: the school keeps what the served days cost
    const keptTotal = raced.reduce((sum, _, i) => sum + keptOf(withdrawnOn(i)), 0);
    const balances = await admin.agent.get(
      `/api/billing/ledger/balances?schoolId=${tree.school._id}`,
    );
    expect(balances.status).toBe(200);
    expect(balances.body.items).toEqual([
      expect.objectContaining({
        month: MONTH,
        incomeFen: AMOUNT * raced.length,
        refundFen: AMOUNT * raced.length - keptTotal,
        balanceFen: keptTotal,
      }),
    ]);
  }, 240_000);
  it('should refund paid minus kept when the order made before the withdrawal is paid after it', async () => {
    // given a bill whose child withdrew mid-month while it was unpaid: it asks for the days served
    const month = '2027-01';
    const bill = await orderedBill(month);
    const withdrawnOn = '2027-01-14';
    const kept = keptOf(withdrawnOn, month);
    expect(kept).toBeGreaterThan(0);
    expect((await withdraw(bill.id, withdrawnOn)).status).toBe(200);
    expect((await parentBills(month)).find((b) => b.id === bill.id)).toMatchObject({
      status: 'open',
      amountFen: kept,
      withdrawal: { keptFen: kept, refundFen: 0 },
    });

    // when the parent pays the whole amount through the order made before the withdrawal
    expect((await notify(fake.pay(bill.outTradeNo))).status).toBe(204);
    // and the withdrawal is delivered again
    expect((await withdraw(bill.id, withdrawnOn)).status).toBe(200);

    // then the payment is taken and what the served days do not cost goes back, once
    expect((await parentBills(month)).find((b) => b.id === bill.id)).toMatchObject({
      status: 'paid',
      amountFen: AMOUNT,
      paidFen: AMOUNT,
      withdrawal: { keptFen: kept, refundFen: AMOUNT - kept },
    });
    const mine = (await entries()).filter((e) => e.billId === bill.id);
    expect(mine.map((e) => [e.direction, e.amountFen]).sort()).toEqual([
      ['in', AMOUNT],
      ['out', AMOUNT - kept],
    ]);
    expect(told.filter((t) => t.billId === bill.id)).toEqual([
      { billId: bill.id, refundFen: AMOUNT - kept },
    ]);
    expect(
      [...fake.refunds.values()]
        .filter((r) => r.outTradeNo === bill.outTradeNo)
        .map((r) => [r.outRefundNo, r.refundFen]),
    ).toEqual([[`${bill.outTradeNo}-wd`, AMOUNT - kept]]);
  });

  it('should show a bill as its payment and withdrawal say when a write over it lost them', async () => {
    // given a bill paid and withdrawn, one withdrawn unpaid before the month and one withdrawn
    // unpaid mid-month
    const month = '2027-02';
    const paid = await orderedBill(month);
    const cancelled = await orderedBill(month);
    const owing = await orderedBill(month);
    const midMonth = '2027-02-10';
    expect((await notify(fake.pay(paid.outTradeNo))).status).toBe(204);
    expect((await withdraw(paid.id, midMonth)).status).toBe(200);
    expect((await withdraw(cancelled.id, '2027-01-31')).status).toBe(200);
    expect((await withdraw(owing.id, midMonth)).status).toBe(200);
    const kept = keptOf(midMonth, month);

    // and a write that lost their payment and withdrawal (FerretDB 1.24 rewrites the whole
    // document: an update over a stale copy puts back what the bill was)
    for (const { id } of [paid, cancelled, owing])
      await billingModels(h.db.connection).bills.updateOne(
        { _id: id },
        {
          $set: { status: 'open', amountFen: AMOUNT },
          $unset: { withdrawal: 1, paidFen: 1, paidAt: 1, transactionId: 1, paymentMethod: 1 },
        },
      );

    // when the parent, the run's workers and the school read them
    const bills = await parentBills(month);
    const run = await request(h.app).get(runOf(month)).auth(worker.username, worker.password);
    const overdue = await request(h.app)
      .post(`${runOf(month)}/overdue`)
      .auth(worker.username, worker.password)
      .send({});
    const summary = await admin.agent.get(
      `/api/billing/summary?schoolId=${tree.school._id}&month=${month}`,
    );

    // then each shows what its facts say
    expect(bills.find((b) => b.id === paid.id)).toMatchObject({
      status: 'paid',
      paidFen: AMOUNT,
      withdrawal: { keptFen: kept, refundFen: AMOUNT - kept },
    });
    expect(bills.find((b) => b.id === cancelled.id)).toMatchObject({
      status: 'cancelled',
      amountFen: 0,
      withdrawal: { keptFen: 0, refundFen: 0 },
    });
    expect(bills.find((b) => b.id === owing.id)).toMatchObject({
      status: 'open',
      amountFen: kept,
      withdrawal: { keptFen: kept, refundFen: 0 },
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      billCount: 3,
      openBillCount: 1,
      billTotalFen: AMOUNT + kept,
      paidFen: AMOUNT,
      unpaidBillCount: 1,
    });
    // and only the bill still owing becomes overdue
    expect(overdue.status).toBe(200);
    expect(overdue.body).toEqual({ overdueBillCount: 1 });
    expect(summary.status).toBe(200);
    expect(summary.body.items).toEqual([
      expect.objectContaining({
        month,
        billCount: 3,
        billedFen: AMOUNT + kept,
        paidCount: 1,
        paidFen: AMOUNT,
        overdueCount: 1,
        refundFen: AMOUNT - kept,
      }),
    ]);
    // and the refund was made once, before and after
    expect(told.filter((t) => t.billId === paid.id)).toEqual([
      { billId: paid.id, refundFen: AMOUNT - kept },
    ]);
    expect(
      (await entries()).filter((e) => e.billId === paid.id && e.direction === 'out'),
    ).toHaveLength(1);
  });
  it('should refund a bill the school records paid in cash while the child withdraws once, in the ledger', async () => {
    // given 8 bills of a month, ordered by WeChat Pay but paid at the school
    const month = '2027-03';
    const bills = [];
    for (let i = 0; i < 8; i++) bills.push(await orderedBill(month));
    const withdrawnOn = (i: number) => (i % 2 === 0 ? '2027-03-11' : '2027-02-28');

    // when the school records each one's cash payment while the child withdraws
    for (const [i, { id }] of bills.entries()) {
      const [w, paid] = await Promise.all([
        withdraw(id, withdrawnOn(i)),
        admin.post(`/api/billing/bills/${encodeURIComponent(id)}/pay`, {
          paidFen: AMOUNT,
          method: 'cash',
          receiptNo: `R-${i}`,
        }),
      ]);
      expect(w.status).toBe(200);
      expect(paid.status).toBe(200);
    }

    // then each is paid in cash and withdrawn, its refund booked and told once, none by WeChat Pay
    const shown = await parentBills(month);
    const ledger = await entries();
    for (const [i, { id, outTradeNo }] of bills.entries()) {
      const refund = AMOUNT - keptOf(withdrawnOn(i), month);
      expect({ id, ...shown.find((b) => b.id === id) }).toMatchObject({
        id,
        status: 'paid',
        paidFen: AMOUNT,
        withdrawal: { refundFen: refund },
      });
      expect({
        id,
        out: ledger.filter((e) => e.billId === id && e.direction === 'out').map((e) => e.amountFen),
      }).toEqual({ id, out: [refund] });
      expect({ id, told: told.filter((t) => t.billId === id).map((t) => t.refundFen) }).toEqual({
        id,
        told: [refund],
      });
      expect([...fake.refunds.values()].filter((r) => r.outTradeNo === outTradeNo)).toEqual([]);
    }
  });
});
