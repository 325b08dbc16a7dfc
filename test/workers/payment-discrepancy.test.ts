import { shanghaiDate } from '../../server/rules/dates';
import { CSRF_HEADER } from '../../server/modules/auth';
import { eventually } from '../fixtures/engine';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import { schoolScope, signIn, type OrgTree, type SignedInClient } from '../fixtures/identity';
import { paidButBilledLess as paidButBilledLessIn, tradeBillRow } from '../fixtures/payments';
import {
  makeWechatPayKeys,
  publicKeyMerchant,
  type WechatPayTestKeys,
} from '../integrations/fakes/wechatpay-keys';
import { startFakeWechatPay, type FakeWechatPay } from '../integrations/fakes/wechatpay-server';

/**
 * A difference the daily WeChat Pay reconciliation finds becomes a task in the school admin's
 * inbox (processes/payment-discrepancy.bpmn) through the real engine and job workers: one task
 * however often the day is reconciled; completing it records the resolution with the admin as
 * the one who resolved it; resolving through the API instead completes the task (issue 7,
 * FEE-EARMARK).
 */
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';

type Task = { key: string; elementId: string; processInstanceKey: string };
type Discrepancy = {
  id: string;
  kind: string;
  outTradeNo?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolution?: string;
};

describe('a WeChat Pay reconciliation difference in the inbox', () => {
  let h: DomainHarness;
  let fake: FakeWechatPay;
  let keys: WechatPayTestKeys;
  let tree: OrgTree;
  let admin: SignedInClient;
  let adminId: string;
  let seq = 0;

  beforeAll(async () => {
    keys = makeWechatPayKeys();
    fake = await startFakeWechatPay(keys, { mchId: MCH_ID, appId: APP_ID, mode: 'public-key' });
    h = await startDomainHarness({
      wechatPay: {
        baseUrl: fake.url,
        merchant: publicKeyMerchant(keys, MCH_ID, APP_ID),
      },
    });
    tree = await h.createOrgTree();
    const a = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    adminId = a._id;
    admin = await signIn(h.app, { phone: a.phone!, password: a.password });
  }, 120_000);

  afterAll(async () => {
    await h.close();
    await fake.close();
  });

  // helpers //////////

  const scene = () => ({ db: h.db, fake, mchId: MCH_ID, appId: APP_ID, tree });

  /** A payment of the school that the day's trade bill shows 10 yuan short (amount mismatch). */
  function paidButBilledLess(at: Date): Promise<{ outTradeNo: string; date: string }> {
    const n = ++seq;
    return paidButBilledLessIn(scene(), at, {
      tag: 'disc',
      n,
      transactionId: `42000000000000${n}`,
    });
  }

  async function reviewTasks(): Promise<Task[]> {
    const res = await admin.agent.get('/api/tasks?view=groups&size=100');
    expect(res.status).toBe(200);
    return (res.body.items as Task[]).filter((t) => t.elementId === 'ReviewDiscrepancy');
  }

  async function discrepancyOf(outTradeNo: string, until: (d: Discrepancy) => boolean) {
    return eventually(
      async () => {
        const res = await admin.agent.get('/api/payments/discrepancies');
        const d = (res.body as Discrepancy[]).find((x) => x.outTradeNo === outTradeNo);
        return d && until(d) ? d : undefined;
      },
      30_000,
      `the discrepancy of ${outTradeNo}`,
    );
  }

  // tests //////////

  it("should put one task in the school admin's inbox however often the day is reconciled, and record the admin's resolution", async () => {
    // given a payment the trade bill shows with another amount
    const { outTradeNo, date } = await paidButBilledLess(new Date());

    // when the day is reconciled, and reconciled again
    const run = await h.payments.reconcile(MCH_ID, date);
    const rerun = await h.payments.reconcile(MCH_ID, date);

    // then there is one difference and one task for it in the school admin's inbox
    expect(run.discrepancies.map((d) => `${d.kind}:${d.outTradeNo}`)).toEqual([
      `amount-mismatch:${outTradeNo}`,
    ]);
    expect(rerun.discrepancies).toHaveLength(1);
    const [task] = await eventually(
      async () => {
        const tasks = await reviewTasks();
        return tasks.length ? tasks : undefined;
      },
      30_000,
      'the review task',
    );
    expect(await reviewTasks()).toHaveLength(1);
    const detail = await admin.agent.get(`/api/tasks/${task!.key}`);
    expect(detail.status).toBe(200);
    expect(detail.body.variables).toMatchObject({
      kind: '账单金额与本系统记录不一致',
      date,
      outTradeNo,
      ourYuan: '80.00',
      billYuan: '70.00',
      schoolId: tree.school._id,
    });
    const open = await discrepancyOf(outTradeNo, () => true);
    expect(open.resolvedAt).toBeUndefined();

    // when the admin completes it without saying what was done, then with it
    const empty = await admin.post(`/api/tasks/${task!.key}/complete`, { variables: {} });
    const done = await admin.post(`/api/tasks/${task!.key}/complete`, {
      variables: { resolution: '已核对：微信支付账单少计10元，已联系商户平台更正' },
    });

    // then the first is refused, and the resolution is recorded with the admin as resolver
    expect(empty.status).toBe(400);
    expect(done.status).toBe(204);
    const resolved = await discrepancyOf(outTradeNo, (d) => Boolean(d.resolvedAt));
    expect(resolved).toMatchObject({
      resolution: '已核对：微信支付账单少计10元，已联系商户平台更正',
      resolvedBy: adminId,
    });
    const stillOpen = await admin.agent.get('/api/payments/discrepancies?open=true');
    expect((stillOpen.body as Discrepancy[]).map((d) => d.id)).not.toContain(resolved.id);
    expect(await reviewTasks()).toHaveLength(0);
  }, 120_000);

  it('should complete the inbox task when the admin resolves the difference through the API', async () => {
    // given a difference of yesterday with its task in the inbox
    const { outTradeNo, date } = await paidButBilledLess(new Date(Date.now() - 86_400_000));
    await h.payments.reconcile(MCH_ID, date);
    const [task] = await eventually(
      async () => {
        const tasks = await reviewTasks();
        return tasks.length ? tasks : undefined;
      },
      30_000,
      'the review task',
    );
    const { id } = await discrepancyOf(outTradeNo, () => true);

    // when the admin records the resolution on the discrepancy itself
    const res = await admin.post(`/api/payments/discrepancies/${encodeURIComponent(id)}/resolve`, {
      resolution: '已核对，系对账日切差异',
    });

    // then it is resolved by the admin, and neither the task nor its process stays open
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resolution: '已核对，系对账日切差异', resolvedBy: adminId });
    expect(await reviewTasks()).toHaveLength(0);
    await eventually(
      async () => {
        const instance = await h.engine.loadInstance(task!.processInstanceKey);
        return instance?.state === 'COMPLETED' ? instance : undefined;
      },
      30_000,
      'the discrepancy process completed',
    );
    const after = await discrepancyOf(outTradeNo, () => true);
    expect(after).toMatchObject({ resolution: '已核对，系对账日切差异', resolvedBy: adminId });
  }, 120_000);

  it('should give a payment of no order of ours to the school whose merchant received it', async () => {
    // given the school's own merchant, and a payment in its trade bill we have no order for
    const saved = await admin.agent
      .put(`/api/payments/merchants/school/${tree.school._id}`)
      .set(CSRF_HEADER, admin.csrfToken)
      .send({
        mchId: MCH_ID,
        appId: APP_ID,
        serialNo: keys.merchant.serialNo,
        privateKeyPem: keys.merchant.privatePem,
        apiV3Key: keys.apiV3Key,
      });
    expect(saved.status).toBe(200);
    const date = shanghaiDate(new Date(Date.now() - 2 * 86_400_000));
    fake.addBillRow(date, tradeBillRow(scene(), date, 'STRANGER0002', '4200000000000099998', 1234));

    // when the day is reconciled
    await h.payments.reconcile(MCH_ID, date);

    // then the school's admin has the task, and resolves it
    const task = await eventually(
      async () => {
        for (const t of await reviewTasks()) {
          const detail = await admin.agent.get(`/api/tasks/${t.key}`);
          if (detail.body.variables?.outTradeNo === 'STRANGER0002') return detail.body;
        }
        return undefined;
      },
      30_000,
      'the review task of the unknown payment',
    );
    expect(task.variables).toMatchObject({
      kind: '账单中有一笔本系统没有的收款',
      billYuan: '12.34',
      ourYuan: null,
      schoolId: tree.school._id,
    });
    const done = await admin.post(`/api/tasks/${task.key}/complete`, {
      variables: { resolution: '系家长误扫其他缴费码，已原路退回' },
    });
    expect(done.status).toBe(204);
    const resolved = await discrepancyOf('STRANGER0002', (d) => Boolean(d.resolvedAt));
    expect(resolved).toMatchObject({ kind: 'unknown-payment', resolvedBy: adminId });
  }, 120_000);
});
