import { eventually } from '../fixtures/engine';
import { taskOf } from '../fixtures/inbox-tasks';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import { schoolScope, signIn } from '../fixtures/identity';
import { planBody } from '../fixtures/plan';

/**
 * Two approvers of one step of the school service plan at the same instant (two members of the
 * parent committee consenting, FLOW-COMMITTEE): exactly one decision counts, the other is told
 * in zh-CN that the task has ended (409 TASK_NOT_OPEN, as when they come after; it was a 404
 * saying the task does not exist), and the process moves on once. The decision is the engine's
 * commit (an insert of the instance's next version, ADR 0004), not an update of the plan. And
 * the check-plan worker's outcome, written as the submission lands, stays on the plan.
 */
describe('school service plan: two approvers at once', () => {
  let h: DomainHarness;

  beforeAll(async () => {
    h = await startDomainHarness();
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  async function school() {
    const tree = await h.createOrgTree();
    const as = async (role: string) => {
      const u = await h.createUser({ memberships: [{ role, scope: schoolScope(tree) } as never] });
      return { id: u._id, client: await signIn(h.app, { phone: u.phone!, password: u.password }) };
    };
    return {
      tree,
      admin: await as('schoolAdmin'),
      principal: await as('principal'),
      committee: [await as('committee'), await as('committee')] as const,
    };
  }

  it('should count one committee consent of two given at once and tell the other approver', async () => {
    for (let round = 0; round < 3; round++) {
      // given a submitted plan waiting for the parent committee's consent, seen by two members
      const s = await school();
      const drafted = await s.admin.client.post('/api/plans', planBody(s.tree));
      expect(drafted.status).toBe(201);
      const submitted = await s.admin.client.post(`/api/plans/${drafted.body.id as string}/submit`);
      expect(submitted.status).toBe(200);
      const key = submitted.body.instanceKey as string;
      const [seenByOne, seenByOther] = await Promise.all([
        taskOf(s.committee[0].client, key, 'CommitteeConsent'),
        taskOf(s.committee[1].client, key, 'CommitteeConsent'),
      ]);
      expect(seenByOne.key).toBe(seenByOther.key);

      // when both consent at the same instant, with different opinions
      const answers = await Promise.all(
        s.committee.map((m, i) =>
          m.client.post(`/api/tasks/${seenByOne.key}/complete`, {
            variables: { decision: 'approve', middayFeeConsent: true, opinions: `意见${i}` },
          }),
        ),
      );

      // then exactly one counts; the other approver is told, in zh-CN, and nothing else happens
      expect(answers.map((r) => r.status).sort()).toEqual([204, 409]);
      const loser = answers.find((r) => r.status !== 204)!;
      expect(loser.body).toMatchObject({
        code: 'TASK_NOT_OPEN',
        title: '数据已被他人修改，请刷新后重试',
        detail: '任务已结束',
      });
      // and the process moves on once: one principal's sign-off task
      const signOff = await taskOf(s.principal.client, key, 'PrincipalSignOff');
      const tasks = await s.principal.client.agent.get('/api/tasks?view=groups&size=100');
      expect(
        (tasks.body.items as { elementId: string; processInstanceKey: string }[]).filter(
          (t) => t.processInstanceKey === key,
        ),
      ).toEqual([expect.objectContaining({ key: signOff.key })]);
      // and the rule check recorded as the submission landed is still on the plan
      const plan = await eventually(async () => {
        const res = await s.admin.client.agent.get(`/api/plans/${drafted.body.id as string}`);
        return res.body.lastCheck
          ? (res.body as { lastCheck: { ok: boolean }; status: string })
          : undefined;
      });
      expect(plan.lastCheck.ok).toBe(true);
      expect(plan.status).toBe('submitted');
    }
  }, 180_000);
});
