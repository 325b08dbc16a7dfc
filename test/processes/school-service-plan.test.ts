import { startEngineHarness, type EngineHarness } from '../fixtures/engine';
import { rootVariables, visits, waitForInstance } from '../fixtures/engine-queries';
import { completeJob, completeTask, deployTemplates, refuseJob, startWithForm } from './templates';

/**
 * The 一校一案 template run through the engine with the jobs completed by hand: the happy path
 * (checks → committee → principal → county filing → published), and a plan refused by a rule,
 * revised, then passing with a TIME-2H exception approved in writing.
 */

const PROCESS = 'school-service-plan';

let seq = 0;

function serverVariables() {
  seq += 1;
  return {
    planId: `plan-${seq}`,
    cityId: 'city-411100',
    countyId: 'county-411102',
    schoolId: 'school-yh1',
    submittedBy: 'yh1.admin',
  };
}

/** A school's plan as the start form takes it. */
const PLAN = {
  term: '2026年秋季学期',
  termStart: '2026-09-01',
  termEnd: '2027-01-20',
  sessions: [
    {
      name: '三年级课后服务',
      weekdays: [1, 2, 3, 4, 5],
      dismissal: '16:30',
      start: '16:40',
      end: '18:30',
      content: 'homework',
      venue: '三年级（2）班教室',
      personInCharge: '李老师',
      capacity: 45,
    },
  ],
  feeStandardYuan: 80,
  middayMinutes: 0,
  safetyMeasures: '每日考勤，专人看护，按名单交接给家长或指定接送人。',
  emergencyPlan: '突发事件按学校应急预案处置，第一时间报告校长并通知家长。',
  dutySchedule: '每日一名校级领导行政值班。',
};

async function path(h: EngineHarness, key: string) {
  return (await visits(h, key)).map((v) => v.elementId);
}

describe('school-service-plan', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployTemplates(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('should go from the school plan through checks, committee, principal and county filing to publication', async () => {
    // given
    const vars = serverVariables();
    const key = await startWithForm(h, PROCESS, 'plan-submission', PLAN, vars);

    // when
    const check = await completeJob(h, key, 'check-plan', { planChecked: true, timeWarnings: [] });
    const consent = await completeTask(h, key, 'CommitteeConsent', {
      decision: 'approve',
      opinions: '家长普遍支持',
    });
    const signOff = await completeTask(h, key, 'PrincipalSignOff', {
      decision: 'approve',
      responsibilityAccepted: true,
    });
    const filing = await completeTask(h, key, 'CountyFiling', {
      decision: 'approve',
      filingNo: 'YH-2026-017',
    });
    const publish = await completeJob(h, key, 'publish-plan', {
      publishedAt: '2026-08-28T10:00:00+08:00',
    });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(check.variables).toMatchObject({ planId: vars.planId, sessions: PLAN.sessions });
    expect(consent.candidateGroups).toEqual(['school:school-yh1:committee']);
    expect(signOff.candidateGroups).toEqual(['school:school-yh1:principal']);
    expect(filing.candidateGroups).toEqual(['county:county-411102:bureau']);
    expect(publish.variables).toMatchObject({ filingNo: 'YH-2026-017' });
    expect(await path(h, key)).toEqual([
      PROCESS,
      'PlanSubmitted',
      'PlanMerge',
      'CheckPlan',
      'HasTimeWarnings',
      'ConsentMerge',
      'CommitteeConsent',
      'CommitteeDecided',
      'PrincipalSignOff',
      'PrincipalDecided',
      'CountyFiling',
      'CountyDecided',
      'PublishPlan',
      'PlanPublished',
    ]);
    expect(await rootVariables(h, key)).toMatchObject({
      committeeDecision: 'approve',
      middayFeeConsent: false,
      principalDecision: 'approve',
      responsibilityAccepted: true,
      countyDecision: 'approve',
      filingNo: 'YH-2026-017',
      refusal: null,
    });
  });

  it('should send a plan refused by a rule back for revision, then pass a TIME-2H exception with a written reason', async () => {
    // given
    const key = await startWithForm(h, PROCESS, 'plan-submission', PLAN, serverVariables());
    const violations = [
      { rule: 'FEE-CAP', clause: '四(二)', message: '收费标准超过每生每月 80 元' },
    ];

    // when the check refuses, the admin revises and resubmits
    await refuseJob(h, key, 'check-plan', 'FEE_RULE_VIOLATION', { violations });
    const revise = await completeTask(h, key, 'RevisePlan', {
      ...PLAN,
      sessions: [{ ...PLAN.sessions[0], end: '19:00' }],
    });
    // and the second check passes with a soft TIME-2H warning
    const warning = { rule: 'TIME-2H', clause: '三(二)', message: '结束时间超过放学后两小时' };
    await completeJob(h, key, 'check-plan', { planChecked: true, timeWarnings: [warning] });
    await expect(
      completeTask(h, key, 'ApproveTimeException', { decision: 'approve' }),
    ).rejects.toThrow(/reason/);
    const exception = await completeTask(h, key, 'ApproveTimeException', {
      decision: 'approve',
      reason: '家长普遍下班较晚，经家委会征求意见延长至 19:00',
    });
    await completeTask(h, key, 'CommitteeConsent', { decision: 'approve' });
    await completeTask(h, key, 'PrincipalSignOff', {
      decision: 'approve',
      responsibilityAccepted: true,
    });
    await completeTask(h, key, 'CountyFiling', { decision: 'approve', filingNo: 'YH-2026-018' });
    await completeJob(h, key, 'publish-plan');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(revise.candidateGroups).toEqual(['school:school-yh1:admin']);
    expect(JSON.parse(revise.variables)).toMatchObject({
      refusal: { step: 'CheckPlan', violations },
    });
    expect(exception.candidateGroups).toEqual(['school:school-yh1:principal']);
    expect(await rootVariables(h, key)).toMatchObject({
      sessions: [expect.objectContaining({ end: '19:00' })],
      timeExceptionDecision: 'approve',
      timeExceptionReason: '家长普遍下班较晚，经家委会征求意见延长至 19:00',
      refusal: null,
    });
    const taken = await path(h, key);
    expect(taken.filter((id) => id === 'CheckPlan')).toHaveLength(2);
    expect(taken).toEqual(
      expect.arrayContaining(['PlanRefused', 'RevisePlan', 'ApproveTimeException']),
    );
  });

  it('should return a plan the county bureau refuses to the school admin, who may withdraw it', async () => {
    // given
    const key = await startWithForm(h, PROCESS, 'plan-submission', PLAN, serverVariables());
    await completeJob(h, key, 'check-plan', { planChecked: true, timeWarnings: [] });
    await completeTask(h, key, 'CommitteeConsent', { decision: 'approve' });
    await completeTask(h, key, 'PrincipalSignOff', {
      decision: 'approve',
      responsibilityAccepted: true,
    });

    // when
    await completeTask(h, key, 'CountyFiling', { decision: 'reject', reason: '应急预案不具体' });
    const revise = await completeTask(h, key, 'RevisePlan', { ...PLAN, abandonPlan: true });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(JSON.parse(revise.variables)).toMatchObject({
      refusal: { step: 'CountyFiling', reason: '应急预案不具体' },
    });
    expect((await path(h, key)).slice(-1)).toEqual(['PlanWithdrawn']);
  });
});
