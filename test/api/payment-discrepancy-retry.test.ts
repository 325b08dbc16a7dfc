import fs from 'node:fs';
import path from 'node:path';
import { Engine } from '../../server/engine/engine';
import { SecretBox } from '../../server/integrations/secret-box';
import { TransientError } from '../../server/lib/errors';
import { billingEnginePort, createBilling } from '../../server/modules/billing';
import { createNotifications } from '../../server/modules/notifications';
import type { PaymentsService } from '../../server/modules/payments';
import { composePayments } from '../../server/modules/payments/compose';
import { instanceKeyOf } from '../../server/modules/payments/discrepancy-process';
import { createTasks } from '../../server/modules/tasks';
import { eventually } from '../fixtures/engine';
import {
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import { paidButBilledLess as paidButBilledLessIn } from '../fixtures/payments';
import {
  makeWechatPayKeys,
  publicKeyMerchant,
  type WechatPayTestKeys,
} from '../integrations/fakes/wechatpay-keys';
import { startFakeWechatPay, type FakeWechatPay } from '../integrations/fakes/wechatpay-server';

/**
 * A reconciliation difference whose `payment-discrepancy` process could not be started (the
 * engine unavailable) is listed as not yet started, and the next reconciliation run starts it:
 * one task in the school admin's inbox, however many runs catch up at once. The failure is
 * injected through the composition's seam (which definition a school runs), on the real
 * engine and database.
 */
const MCH_ID = '1900000109';
const APP_ID = 'wxd678efh567hg6787';
const ROOT = path.resolve(__dirname, '..', '..');

type Task = { key: string; elementId: string; processInstanceKey: string };
type Discrepancy = { id: string; outTradeNo?: string; process?: string };

describe('a discrepancy whose process failed to start', () => {
  let h: IdentityHarness;
  let engine: Engine;
  let payments: PaymentsService;
  let fake: FakeWechatPay;
  let keys: WechatPayTestKeys;
  let tree: OrgTree;
  let admin: SignedInClient;
  /** While true, starting a discrepancy's process fails as when the engine is unavailable. */
  let engineDown = false;
  let starts = 0;
  let seq = 0;

  beforeAll(async () => {
    keys = makeWechatPayKeys();
    fake = await startFakeWechatPay(keys, { mchId: MCH_ID, appId: APP_ID, mode: 'public-key' });
    h = await startIdentityHarness({}, async (db, logger, auth) => {
      engine = new Engine(db, { logger });
      await engine.start();
      await engine.deploy(
        ['processes/payment-discrepancy.bpmn', 'forms/payment-discrepancy-resolution.form'].map(
          (f) => ({ name: path.basename(f), content: fs.readFileSync(path.join(ROOT, f), 'utf8') }),
        ),
      );
      const requireSession = auth.requireSession;
      const tasks = await createTasks({ db, engine, requireSession });
      const notifications = await createNotifications({ db, requireSession });
      const billing = await createBilling({
        db,
        engine: billingEnginePort(engine),
        requireSession,
      });
      const slice = await composePayments({
        db,
        billing: billing.service,
        notifications: notifications.service,
        requireSession,
        logger,
        merchant: publicKeyMerchant(keys, MCH_ID, APP_ID),
        client: { baseUrl: fake.url },
        box: new SecretBox(Buffer.alloc(32, 7).toString('base64')),
        publicUrl: 'https://kehou.example',
        schedule: false,
        engine,
        // the seam: which definition the school runs (none of its own: the city template)
        resolveProcess: async () => {
          starts += 1;
          if (engineDown) throw new TransientError('ENGINE_UNAVAILABLE');
          return undefined;
        },
      });
      payments = slice.service;
      return [
        { path: '/api/payments', router: slice.router },
        { path: '/api/tasks', router: tasks.router },
      ];
    });
    tree = await h.createOrgTree();
    const a = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    admin = await signIn(h.app, { phone: a.phone!, password: a.password });
  }, 120_000);

  afterAll(async () => {
    await engine.stop();
    await h.close();
    await fake.close();
  });

  // helpers //////////

  /** A payment of 80 yuan settled at `at` that the day's trade bill shows as 70 yuan. */
  function paidButBilledLess(at: Date): Promise<{ outTradeNo: string; date: string }> {
    const n = ++seq;
    return paidButBilledLessIn({ db: h.db, fake, mchId: MCH_ID, appId: APP_ID, tree }, at, {
      tag: 'retry',
      n,
      transactionId: `42000000000001${n}`,
    });
  }

  async function discrepancyOf(outTradeNo: string): Promise<Discrepancy> {
    const res = await admin.agent.get('/api/payments/discrepancies');
    expect(res.status).toBe(200);
    return (res.body as Discrepancy[]).find((d) => d.outTradeNo === outTradeNo)!;
  }

  /** The review tasks in the school admin's inbox for the discrepancy's process. */
  async function reviewTasksOf(discrepancyId: string): Promise<Task[]> {
    const res = await admin.agent.get('/api/tasks?view=groups&size=100');
    expect(res.status).toBe(200);
    return (res.body.items as Task[]).filter(
      (t) =>
        t.elementId === 'ReviewDiscrepancy' &&
        t.processInstanceKey === instanceKeyOf(discrepancyId),
    );
  }

  // tests //////////

  it('should start it at the next reconciliation run, once however many runs catch up at once', async () => {
    // given a difference found while the engine is unavailable
    const day1 = await paidButBilledLess(new Date(Date.now() - 3 * 86_400_000));
    engineDown = true;
    const run = await payments.reconcile(MCH_ID, day1.date);
    expect(run.discrepancies.map((d) => d.outTradeNo)).toEqual([day1.outTradeNo]);
    expect(starts).toBeGreaterThan(0);

    // then it is listed, its process not yet started, and no task is in the inbox
    const listed = await discrepancyOf(day1.outTradeNo);
    expect(listed.process).toBe('pending');
    expect(await reviewTasksOf(listed.id)).toEqual([]);

    // when the engine is back and two reconciliation runs go at once (the done day again, and
    // the next day with a difference of its own)
    engineDown = false;
    const day2 = await paidButBilledLess(new Date(Date.now() - 2 * 86_400_000));
    await Promise.all([
      payments.reconcile(MCH_ID, day1.date),
      payments.reconcile(MCH_ID, day2.date),
    ]);

    // then the first difference's task is in the school admin's inbox, once, and it is started
    const tasks = await eventually(
      async () => {
        const found = await reviewTasksOf(listed.id);
        return found.length ? found : undefined;
      },
      30_000,
      'the review task of the retried discrepancy',
    );
    expect(tasks).toHaveLength(1);
    expect((await discrepancyOf(day1.outTradeNo)).process).toBe('started');
    const detail = await admin.agent.get(`/api/tasks/${tasks[0]!.key}`);
    expect(detail.body.variables).toMatchObject({
      outTradeNo: day1.outTradeNo,
      ourYuan: '80.00',
      billYuan: '70.00',
      schoolId: tree.school._id,
    });
    // and the next day's difference has its own, one task
    const second = await discrepancyOf(day2.outTradeNo);
    expect(second.process).toBe('started');
    expect(await reviewTasksOf(second.id)).toHaveLength(1);
    // and one more run starts nothing again
    await payments.reconcile(MCH_ID, day2.date);
    const instances = await engine.collections.instances
      .find({ bpmnProcessId: 'payment-discrepancy' })
      .toArray();
    expect(instances.map((i) => i._id).sort()).toEqual(
      [instanceKeyOf(listed.id), instanceKeyOf(second.id)].sort(),
    );
    expect(await reviewTasksOf(listed.id)).toHaveLength(1);
  }, 120_000);
});
