import { startEngineHarness, type EngineHarness } from '../fixtures/engine';
import { rootVariables, visits, waitForInstance } from '../fixtures/engine-queries';
import {
  completeJob,
  completeOpenTask,
  completeTask,
  openTasks,
  deployTemplates,
  openTask,
  refuseJob,
  startWithForm,
  takeJob,
} from './templates';

/**
 * The enrolment template run through the engine with the jobs completed by hand (the real
 * workers are tested in test/workers): the happy path, a rule refusal, the committee's
 * "N of M" co-review and withdrawals before and after the fee was assessed.
 */

const PROCESS = 'after-school-enrolment';

let seq = 0;

/** What the enrolment API adds to the start form's values. */
function serverVariables(overrides: Record<string, unknown> = {}) {
  seq += 1;
  return {
    applicationId: `app-${seq}`,
    cityId: 'city-411100',
    countyId: 'county-411102',
    schoolId: 'school-yh1',
    classId: 'school-yh1-g3-c2',
    studentId: `stu-${seq}`,
    studentName: '王小明',
    applicantUserId: `parent-${seq}`,
    term: '2026-autumn',
    termEndsAt: '2030-01-20T23:59:59+08:00',
    ...overrides,
  };
}

/** A guardian's application as the start form takes it. */
function application(studentId: string) {
  return {
    studentId,
    sessionId: 'sess-g3',
    weekdays: [1, 2, 3, 4, 5],
    midday: false,
    pickup: { name: '王大伟', relation: '父亲', phone: '13900000021' },
    insurance: { insurer: '中国人寿', policyNo: 'PICC-2026-0001', validUntil: '2027-08-31' },
    consent: true,
  };
}

async function apply(h: EngineHarness, overrides: Record<string, unknown> = {}) {
  const vars = serverVariables(overrides);
  const key = await startWithForm(
    h,
    PROCESS,
    'enrolment-application',
    application(vars.studentId),
    vars,
  );
  return { key, vars };
}

/** Eligibility, insurance and service time pass. */
async function passChecks(h: EngineHarness, key: string) {
  await completeJob(h, key, 'check-eligibility', { eligible: true });
  await completeJob(h, key, 'check-insurance', { insured: true });
  await completeJob(h, key, 'check-service-time', { timeWarnings: [] });
}

async function path(h: EngineHarness, key: string) {
  return (await visits(h, key)).map((v) => v.elementId);
}

describe('after-school-enrolment', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployTemplates(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('should run from application through class review, approval, arrangement and fee to the end of the term', async () => {
    // given an application whose term has just ended when the child is enrolled
    const { key, vars } = await apply(h, { termEndsAt: '2026-01-01T00:00:00+08:00' });

    // when
    await passChecks(h, key);
    const review = await completeTask(h, key, 'ClassReview', { decision: 'approve' });
    const approval = await completeTask(h, key, 'SchoolApproval', { decision: 'approve' });
    const arrange = await completeJob(h, key, 'arrange-places', { placed: true, waitingRank: null });
    await completeJob(h, key, 'assess-fee', { feeAssessed: true, monthlyFen: 8000 });
    const notify = await completeJob(h, key, 'notify', { notified: 1 });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(review.candidateGroups).toEqual([`class:${vars.classId}:teacher`]);
    expect(approval.candidateGroups).toEqual([`school:${vars.schoolId}:admin`]);
    expect(arrange.variables).toMatchObject({ applicationId: vars.applicationId });
    expect(notify.elementId).toBe('NotifyEnrolled');
    expect(notify.customHeaders).toEqual({ template: 'enrolment-enrolled' });
    expect(notify.variables).toMatchObject({
      notifyUsers: [vars.applicantUserId],
      notifyGroups: [`class:${vars.classId}:teacher`],
    });
    expect(await path(h, key)).toEqual([
      PROCESS,
      'ApplicationSubmitted',
      'CheckEligibility',
      'CheckInsurance',
      'CheckServiceTime',
      'ClassReview',
      'ClassReviewDecided',
      'CoReviewRequired',
      'SchoolApprovalMerge',
      'SchoolApproval',
      'SchoolApprovalDecided',
      'ArrangeMerge',
      'ArrangePlaces',
      'PlaceFound',
      'AssessFee',
      'NotifyEnrolled',
      'InService',
      'ServiceCompleted',
    ]);
    expect(await rootVariables(h, key)).toMatchObject({
      weekdays: [1, 2, 3, 4, 5],
      pickup: { name: '王大伟', relation: '父亲', phone: '13900000021' },
      consent: true,
      classReviewDecision: 'approve',
      schoolApprovalDecision: 'approve',
      refusal: null,
      placed: true,
      feeAssessed: true,
      monthlyFen: 8000,
    });
  });

  it('should end as refused with the rule cited when eligibility throws ELIG_RULE_VIOLATION', async () => {
    // given
    const { key, vars } = await apply(h);
    const violations = [{ rule: 'ELIG-ENROLLED', clause: '三(一)', message: '该学生不是本校在读学生' }];

    // when
    await refuseJob(h, key, 'check-eligibility', 'ELIG_RULE_VIOLATION', {
      violations,
      refusalMessage: 'ELIG-ENROLLED',
    });
    const notify = await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(notify.elementId).toBe('NotifyRefused');
    expect(notify.customHeaders).toEqual({ template: 'enrolment-refused' });
    expect(notify.variables).toMatchObject({
      notifyUsers: [vars.applicantUserId],
      refusal: { step: 'CheckEligibility', violations },
    });
    expect(await path(h, key)).toEqual([
      PROCESS,
      'ApplicationSubmitted',
      'CheckEligibility',
      'EligibilityRefused',
      'RefusedMerge',
      'NotifyRefused',
      'Refused',
    ]);
    const variables = await rootVariables(h, key);
    expect(variables.refusal).toEqual({ step: 'CheckEligibility', violations });
    expect(variables).not.toHaveProperty('refusalMessage');
  });

  it('should refuse when the school has no filed plan (PLAN_RULE_VIOLATION from the time check)', async () => {
    // given
    const { key } = await apply(h);
    await completeJob(h, key, 'check-eligibility', { eligible: true });
    await completeJob(h, key, 'check-insurance', { insured: true });
    const violations = [{ rule: 'PLAN-ONE-SCHOOL', clause: '三(五)', message: '学校方案未备案' }];

    // when
    await refuseJob(h, key, 'check-service-time', 'PLAN_RULE_VIOLATION', { violations });
    await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await path(h, key)).toContain('PlanNotFiled');
    expect((await rootVariables(h, key)).refusal).toEqual({ step: 'CheckServiceTime', violations });
  });

  it('should end as rejected with the class teacher reason recorded', async () => {
    // given
    const { key } = await apply(h);
    await passChecks(h, key);

    // when a rejection without a reason is refused by the form, then given with one
    await expect(completeTask(h, key, 'ClassReview', { decision: 'reject' })).rejects.toThrow(
      /reason/,
    );
    await completeTask(h, key, 'ClassReview', { decision: 'reject', reason: '孩子已报名校外托管' });
    const notify = await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(notify.elementId).toBe('NotifyRejected');
    expect(await rootVariables(h, key)).toMatchObject({
      classReviewDecision: 'reject',
      classReviewReason: '孩子已报名校外托管',
      refusal: { step: 'ClassReview', reason: '孩子已报名校外托管' },
    });
    expect(await path(h, key)).not.toContain('SchoolApproval');
  });

  it('should close the committee co-review once N of M members approve and cancel the rest', async () => {
    // given a school variant with committee co-review, two of three must approve
    const { key } = await apply(h, {
      committeeCoReview: true,
      coReviewers: ['committee-a', 'committee-b', 'committee-c'],
      requiredApprovals: 2,
    });
    await passChecks(h, key);
    await completeTask(h, key, 'ClassReview', { decision: 'approve' });

    // when two of the three approve
    const tasks = await openTasks(h, key, 'CommitteeCoReview', 3);
    const byMember = new Map(tasks.map((t) => [t.assignee, t]));
    await completeOpenTask(h, byMember.get('committee-b')!, { coReviewDecision: 'approve' });
    await completeOpenTask(h, byMember.get('committee-c')!, { coReviewDecision: 'approve' });

    // then
    expect([...byMember.keys()].sort()).toEqual(['committee-a', 'committee-b', 'committee-c']);
    await openTask(h, key, 'SchoolApproval');
    expect((await h.engine.userTask(byMember.get('committee-a')!._id)).state).toBe('CANCELED');
    const variables = await rootVariables(h, key);
    expect(variables.coReviews).toEqual([
      null,
      { member: 'committee-b', decision: 'approve', reason: null },
      { member: 'committee-c', decision: 'approve', reason: null },
    ]);
    expect(variables).not.toHaveProperty('coReviewDecision');
    await h.engine.cancelInstance(key);
  });

  it('should reject when so many committee members reject that N approvals cannot be reached', async () => {
    // given
    const { key } = await apply(h, {
      committeeCoReview: true,
      coReviewers: ['committee-a', 'committee-b', 'committee-c'],
      requiredApprovals: 2,
    });
    await passChecks(h, key);
    await completeTask(h, key, 'ClassReview', { decision: 'approve' });

    // when two of the three reject, so two approvals can no longer be reached
    const tasks = await openTasks(h, key, 'CommitteeCoReview', 3);
    const byMember = new Map(tasks.map((t) => [t.assignee, t]));
    for (const member of ['committee-a', 'committee-b'])
      await completeOpenTask(h, byMember.get(member)!, {
        coReviewDecision: 'reject',
        coReviewReason: '不符合',
      });
    const notify = await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(notify.elementId).toBe('NotifyRejected');
    expect(await path(h, key)).toEqual(
      expect.arrayContaining(['CoReviewDecided', 'RecordCoReviewRefusal', 'Rejected']),
    );
    expect((await rootVariables(h, key)).refusal).toEqual({
      step: 'CommitteeCoReview',
      reviews: [
        { member: 'committee-a', decision: 'reject', reason: '不符合' },
        { member: 'committee-b', decision: 'reject', reason: '不符合' },
      ],
    });
  });

  it('should end cleanly without a refund when the guardian withdraws during class review', async () => {
    // given
    const { key, vars } = await apply(h);
    await passChecks(h, key);
    const review = await openTask(h, key, 'ClassReview');

    // when
    await h.engine.publishMessage({
      name: 'enrolment-withdrawn',
      correlationKey: vars.applicationId,
      variables: { withdrawnAt: '2026-09-10T08:00:00+08:00' },
    } as never);
    const notify = await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(notify.elementId).toBe('NotifyWithdrawn');
    expect((await h.engine.userTask(review._id)).state).toBe('CANCELED');
    const taken = await path(h, key);
    expect(taken).toEqual(expect.arrayContaining(['Withdrawal', 'WithdrawalReceived', 'Withdrawn']));
    expect(taken).not.toContain('RefundFee');
  });

  it('should refund pro rata when the guardian withdraws during the term after the fee was assessed', async () => {
    // given an enrolled child in service
    const { key, vars } = await apply(h);
    await passChecks(h, key);
    await completeTask(h, key, 'ClassReview', { decision: 'approve' });
    await completeTask(h, key, 'SchoolApproval', { decision: 'approve' });
    await completeJob(h, key, 'arrange-places', { placed: true });
    await completeJob(h, key, 'assess-fee', { feeAssessed: true, monthlyFen: 8000 });
    await completeJob(h, key, 'notify');

    // when
    await h.engine.publishMessage({
      name: 'enrolment-withdrawn',
      correlationKey: vars.applicationId,
      variables: { withdrawnAt: '2026-09-10T08:00:00+08:00' },
    } as never);
    const refund = await takeJob(h, key, 'refund-fee');
    await h.engine.completeJob(refund.jobKey, { refundFen: 5600 });
    await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(refund.variables).toMatchObject({
      applicationId: vars.applicationId,
      withdrawnAt: '2026-09-10T08:00:00+08:00',
    });
    const taken = await path(h, key);
    expect(taken).toEqual(
      expect.arrayContaining(['InService', 'WithdrawalReceived', 'RefundFee', 'Withdrawn']),
    );
    expect(taken).not.toContain('ServiceCompleted');
    expect((await rootVariables(h, key)).refundFen).toBe(5600);
  });

  it('should put a child on the waiting list and arrange again when a place becomes free', async () => {
    // given
    const { key, vars } = await apply(h);
    await passChecks(h, key);
    await completeTask(h, key, 'ClassReview', { decision: 'approve' });
    await completeTask(h, key, 'SchoolApproval', { decision: 'approve' });
    await completeJob(h, key, 'arrange-places', { placed: false, waitingRank: 2 });
    const waitlisted = await completeJob(h, key, 'notify');

    // when
    await h.engine.publishMessage({
      name: 'enrolment-place-available',
      correlationKey: vars.applicationId,
    } as never);
    await completeJob(h, key, 'arrange-places', { placed: true, waitingRank: null });

    // then
    expect(waitlisted.customHeaders).toEqual({ template: 'enrolment-waitlisted' });
    await takeJob(h, key, 'assess-fee');
    expect((await path(h, key)).filter((id) => id === 'ArrangePlaces')).toHaveLength(2);
    await h.engine.cancelInstance(key);
  });
});
