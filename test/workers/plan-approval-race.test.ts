import { eventually } from '../fixtures/engine';
import { taskOf } from '../fixtures/inbox-tasks';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import { schoolScope, signIn, type OrgTree } from '../fixtures/identity';

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

function planContent(
  _tree: OrgTree,
  o: {
    end?: string;
    dismissal?: string;
    start?: string;
    feeStandardFen?: number;
    activities?: { title: string; category: string }[];
  } = {},
) {
  return {
    termStart: '2026-09-01',
    termEnd: '2027-01-22',
    staff: [
      { staffId: 'T1', name: '王老师', employment: 'in-service', recordCheck: 'clear' },
      { staffId: 'T2', name: '李老师', employment: 'in-service', recordCheck: 'clear' },
    ],
    sessions: [
      {
        name: '三年级作业辅导与阅读',
        weekdays: [1, 2, 3, 4, 5],
        dismissal: o.dismissal ?? '16:30',
        start: o.start ?? '16:40',
        end: o.end ?? '18:30',
        venue: '三年级（1）班教室',
        personInChargeId: 'T1',
        staffIds: ['T2'],
        capacity: 45,
        activities: o.activities ?? [
          { title: '作业辅导', category: 'homework' },
          { title: '自主阅读', category: 'reading' },
        ],
      },
    ],
    feeStandardFen: o.feeStandardFen ?? 8000,
    middayMinutes: 60,
    method: '学生自愿参加：家长申请，班级初审，学校核准，统筹安排',
    safetyMeasures: '点名考勤，专人值守，放学按名单交接给家长',
    emergencyPlan: '突发疾病、意外伤害、极端天气应急预案，值班校领导负责',
    dutySchedule: '每日一名校级领导行政值班',
  };
}

function planBody(tree: OrgTree) {
  return { schoolId: tree.school._id, term: '2026-autumn', ...planContent(tree) };
}
