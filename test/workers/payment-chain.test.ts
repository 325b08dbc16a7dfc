import request from 'supertest';
import { eventually } from '../fixtures/engine';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import {
  buildStudent,
  classScope,
  schoolScope,
  signIn,
  type OrgTree,
  type SignedInClient,
} from '../fixtures/identity';
import { orgModels } from '../../server/modules/org/org.model';
import { makeWechatPayKeys, publicKeyMerchant } from '../integrations/fakes/wechatpay-keys';
import {
  startFakeWechatPay,
  type FakeWechatPay,
  type SignedCallback,
} from '../integrations/fakes/wechatpay-server';

/**
 * The whole money path as a family lives it, through the real engine, workers and database
 * and a WeChat Pay contract server: the enrolment process enrols the child, the monthly
 * billing process bills the month, the parent pays by WeChat Pay, the callback settles the
 * bill and books the income in the earmarked ledger, the child withdraws, the enrolment
 * process's refund step refunds the unserved days by WeChat Pay, and the refund's callback
 * completes it (issue 7's end-to-end path; FEE-EARMARK, FEE-PRORATE, ELIG-VOLUNTARY).
 */
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';
const MONTH = '2026-12';

type Bill = {
  id: string;
  studentId: string;
  status: string;
  amountFen: number;
  paidFen?: number;
  outTradeNo?: string;
  withdrawal?: { refundFen: number; keptFen: number };
};
type Entry = { direction: 'in' | 'out'; amountFen: number; billId?: string; category: string };

describe('enrolment → bill → WeChat Pay → ledger → withdrawal → refund', () => {
  let h: DomainHarness;
  let fake: FakeWechatPay;
  let tree: OrgTree;
  let parent: SignedInClient;
  let parentId: string;
  let teacher: SignedInClient;
  let admin: SignedInClient;
  let city: SignedInClient;

  beforeAll(async () => {
    const keys = makeWechatPayKeys();
    fake = await startFakeWechatPay(keys, { mchId: MCH_ID, appId: APP_ID, mode: 'public-key' });
    h = await startDomainHarness({
      wechatPay: {
        baseUrl: fake.url,
        merchant: publicKeyMerchant(keys, MCH_ID, APP_ID),
      },
    });
    tree = await h.createOrgTree();
    await h.createPlan(tree);
    const p = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(tree) }],
    });
    parentId = p._id;
    parent = await signIn(h.app, { phone: p.phone!, password: p.password });
    teacher = await staff('classTeacher', classScope(tree));
    admin = await staff('schoolAdmin', schoolScope(tree));
    city = await staff('cityBureau', { cityId: tree.cityId });
  }, 120_000);

  afterAll(async () => {
    await h.close();
    await fake.close();
  });

  // helpers //////////

  async function staff(
    role: 'classTeacher' | 'schoolAdmin' | 'cityBureau',
    scope: ReturnType<typeof schoolScope> | { cityId: string },
  ) {
    const u = await h.createUser({ memberships: [{ role, scope }] });
    return signIn(h.app, { phone: u.phone!, password: u.password });
  }

  async function decide(client: SignedInClient, instanceKey: string, elementId: string) {
    const task = await eventually(
      async () => {
        const res = await client.agent.get('/api/tasks?view=groups&size=100');
        return (
          res.body.items as { key: string; elementId: string; processInstanceKey: string }[]
        ).find((t) => t.elementId === elementId && t.processInstanceKey === instanceKey);
      },
      30_000,
      `${elementId} task`,
    );
    const res = await client.post(`/api/tasks/${task.key}/complete`, {
      variables: { decision: 'approve' },
    });
    expect(res.status).toBe(204);
  }

  async function application(id: string, status?: string) {
    return eventually(
      async () => {
        const res = await parent.agent.get(`/api/enrolment/applications/${id}`);
        return !status || res.body.status === status
          ? (res.body as { instanceKey: string; status: string })
          : undefined;
      },
      30_000,
      `application ${id} ${status ?? ''}`,
    );
  }

  async function billOf(studentId: string, until: (b: Bill) => boolean, what: string) {
    return eventually(
      async () => {
        const res = await parent.agent.get(`/api/billing/bills?month=${MONTH}`);
        const bill = (res.body.items as Bill[] | undefined)?.find((b) => b.studentId === studentId);
        return bill && until(bill) ? bill : undefined;
      },
      60_000,
      what,
    );
  }

  async function ledgerOf(billId: string): Promise<Entry[]> {
    const res = await admin.agent.get(
      `/api/billing/ledger/entries?schoolId=${tree.school._id}&limit=500`,
    );
    expect(res.status).toBe(200);
    return (res.body.items as Entry[]).filter((e) => e.billId === billId);
  }

  const notify = (cb: SignedCallback) =>
    request(h.app).post(`/api/payments/wechatpay/notify/${MCH_ID}`).set(cb.headers).send(cb.body);

  // test //////////

  it('should settle a WeChat Pay payment once into the ledger, and refund it the same way when the child withdraws', async () => {
    // given an enrolled child
    const child = buildStudent(tree, {
      guardians: [{ userId: parentId, relation: 'mother', name: '张丽', phone: '13900000001' }],
    });
    await orgModels(h.db.connection).students.create(child);
    const submitted = await parent.post('/api/enrolment/applications', {
      studentId: child._id,
      sessionId: 'S1',
      weekdays: [1, 2, 3, 4, 5],
      midday: false,
      pickup: { name: '张丽', relation: '母亲', phone: '13900000001' },
      insurance: { insurer: '中国人寿', policyNo: 'P-2026-009', validUntil: '2027-06-30' },
      consent: true,
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id as string;
    const { instanceKey } = await application(id);
    await decide(teacher, instanceKey, 'ClassReview');
    await decide(admin, instanceKey, 'SchoolApproval');
    await application(id, 'enrolled');

    // when the city runs December's billing
    const run = await city.post('/api/billing/runs', {
      month: MONTH,
      schoolIds: [tree.school._id],
      reminderInterval: 'PT1H',
      maxReminders: 1,
    });
    expect(run.status).toBe(202);
    const billed = await billOf(
      child._id,
      (b) => b.status === 'open' && Boolean(b.outTradeNo),
      'the December bill with its payment order',
    );
    expect(billed.amountFen).toBeGreaterThan(0);
    expect(billed.amountFen).toBeLessThanOrEqual(8000);

    // and the parent pays it by scanning the QR code
    const order = await parent.post(`/api/payments/bills/${encodeURIComponent(billed.id)}/order`, {
      tradeType: 'NATIVE',
    });
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({
      outTradeNo: billed.outTradeNo,
      amountFen: billed.amountFen,
    });
    expect(order.body.codeUrl).toMatch(/^weixin:\/\//);
    const paid = fake.pay(billed.outTradeNo!);
    expect((await notify(paid)).status).toBe(204);
    expect((await notify(paid)).status).toBe(204); // WeChat Pay's repeat

    // then the bill is paid and its income booked once in the earmarked ledger
    const settled = await billOf(child._id, (b) => b.status === 'paid', 'the bill paid');
    expect(settled.paidFen).toBe(billed.amountFen);
    const income = (await ledgerOf(billed.id)).filter((e) => e.direction === 'in');
    expect(income).toHaveLength(1);
    expect(income[0]!.amountFen).toBe(billed.amountFen);

    // when the child withdraws before December's service starts
    const withdrawn = await parent.post(`/api/enrolment/applications/${id}/withdraw`);
    expect(withdrawn.status).toBe(200);

    // then the whole month is refunded by WeChat Pay, once, under the order's refund number
    const refunded = await billOf(
      child._id,
      (b) => Boolean(b.withdrawal),
      'the withdrawal recorded on the bill',
    );
    expect(refunded.withdrawal).toMatchObject({ refundFen: billed.amountFen, keptFen: 0 });
    const outRefundNo = `${billed.outTradeNo}-wd`;
    const atWechat = await eventually(
      async () => fake.refunds.get(outRefundNo),
      30_000,
      'the refund at WeChat Pay',
    );
    expect(atWechat).toMatchObject({ outTradeNo: billed.outTradeNo });
    expect(
      [...fake.refunds.values()].filter((r) => r.outTradeNo === billed.outTradeNo),
    ).toHaveLength(1);
    const out = (await ledgerOf(billed.id)).filter((e) => e.direction === 'out');
    expect(out.map((e) => e.amountFen)).toEqual([billed.amountFen]);

    // and WeChat Pay's refund callback completes it for the parent to see
    expect((await notify(fake.completeRefund(outRefundNo))).status).toBe(204);
    const state = await parent.agent.get(`/api/payments/bills/${encodeURIComponent(billed.id)}`);
    expect(state.status).toBe(200);
    expect(state.body.refunds).toEqual([
      { outRefundNo, reason: 'withdrawal', refundFen: billed.amountFen, state: 'SUCCESS' },
    ]);
    await application(id, 'withdrawn');
  }, 240_000);
});
