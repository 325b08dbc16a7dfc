import { eventually, startEngineHarness, type EngineHarness } from '../fixtures/engine';
import { instancesOf, rootVariables, visits, waitForInstance } from '../fixtures/engine-queries';
import { completeJob, completeTask, deployTemplates, refuseJob, startWithForm } from './templates';

/**
 * The safety incident and insurance claim templates run through the engine with the jobs
 * completed by hand: a serious incident reported to the county at once, the school's three
 * reviews, the county's review and a claim as a called process with a settlement refused once
 * under SAFE-CLAIM, then accepted.
 */

const REPORT = {
  occurredAt: '2026-10-12T17:20:00+08:00',
  location: '操场',
  involvedStudentIds: ['stu-7'],
  description: '课后体育活动中摔倒',
  injured: true,
  injuries: '右手腕骨折',
  severity: 'serious',
  reporterPhone: '13800000026',
};

describe('safety-incident and insurance-claim', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployTemplates(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('should escalate a serious incident to the county and settle its claim among the parties', async () => {
    // given
    const key = await startWithForm(h, 'safety-incident', 'incident-report', REPORT, {
      incidentId: 'inc-1',
      cityId: 'city-411100',
      countyId: 'county-411102',
      schoolId: 'school-yh1',
      reportedBy: 'yh1.teacher2',
    });

    // when the school handles it
    const attach = await completeJob(h, key, 'attach-attendance', {
      attendanceRecordIds: ['att-1'],
      handoverMissing: false,
    });
    const parents = await completeJob(h, key, 'notify');
    const county = await completeJob(h, key, 'notify');
    const duty = await completeTask(h, key, 'DutyTeacherReview', {
      dutyTeacherAccount: '学生跑步时摔倒',
      measuresTaken: '校医处置后送医',
      guardiansContacted: true,
      severity: 'serious',
    });
    const officer = await completeTask(h, key, 'SafetyOfficerReview', {
      safetyFindings: '场地平整，无设施隐患',
      severity: 'serious',
    });
    await completeTask(h, key, 'PrincipalReview', {
      principalConclusion: '意外事故，启动保险理赔',
      severity: 'serious',
      claimRequired: true,
      studentId: 'stu-7',
    });
    const review = await completeTask(h, key, 'CountyBureauReview', { countyOpinion: '督促理赔' });

    // and the claim is settled in the called process
    const claim = await eventually(async () => {
      const found = await instancesOf(h, 'insurance-claim');
      return found[0] ? String(found[0].processInstanceKey) : undefined;
    });
    await completeJob(h, claim, 'open-claim');
    await completeTask(h, claim, 'CollectDocuments', {
      claimantName: '王大伟',
      claimantPhone: '13900000021',
      medicalCostYuan: 1200,
      documents: [{ docType: 'invoice', docRef: '医疗费用发票 0012' }],
      documentsSubmitted: true,
    });
    await completeTask(h, claim, 'InsurerDecision', {
      insurerDecision: 'partial',
      insurerPaysYuan: 800,
      insurerNote: '自付部分不予赔付',
    });
    const settlement = {
      schoolShareYuan: 100,
      otherParties: [],
      guardianShareYuan: 0,
      settlementNote: '学校承担部分费用',
    };
    await completeTask(h, claim, 'ProposeSettlement', settlement);
    const violations = [{ rule: 'SAFE-CLAIM', clause: '四(三)', message: '分担合计不足损失金额' }];
    await refuseJob(h, claim, 'settle-claim', 'SAFE_RULE_VIOLATION', { violations });
    await completeTask(h, claim, 'ProposeSettlement', { ...settlement, schoolShareYuan: 400 });
    await completeJob(h, claim, 'settle-claim', {
      settlement: { totalFen: 120000, insurerFen: 80000, schoolFen: 40000, othersFen: 0, guardianFen: 0 },
    });
    await completeJob(h, claim, 'notify');
    await completeTask(h, claim, 'ClaimantResponse', { claimantResponse: 'accept' });
    const closed = await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, claim, 'COMPLETED');
    await waitForInstance(h, key, 'COMPLETED');
    expect(attach.variables).toMatchObject({ incidentId: 'inc-1', occurredAt: REPORT.occurredAt });
    expect(parents.elementId).toBe('NotifyParents');
    expect(parents.variables).toMatchObject({ notifyStudents: ['stu-7'] });
    expect(county.elementId).toBe('ReportToCounty');
    expect(duty.candidateGroups).toEqual(['school:school-yh1:teacher']);
    expect(officer.candidateGroups).toEqual(['school:school-yh1:admin']);
    expect(review.candidateGroups).toEqual(['county:county-411102:bureau']);
    expect(closed.elementId).toBe('NotifyIncidentClosed');
    expect((await visits(h, claim)).map((v) => v.elementId)).toEqual(
      expect.arrayContaining(['SettlementRefused', 'ClaimantResponse', 'ClaimClosed']),
    );
    expect(await rootVariables(h, key)).toMatchObject({
      claimOutcome: {
        settlement: { totalFen: 120000, schoolFen: 40000, insurerFen: 80000 },
        response: 'accept',
        appealDecision: null,
      },
    });
    const childVars = await rootVariables(h, claim);
    expect(childVars).toMatchObject({ claimId: 'claim-inc-1', studentId: 'stu-7' });
  });

  it('should take a minor incident through the school only and close it without a claim', async () => {
    // given
    const key = await startWithForm(
      h,
      'safety-incident',
      'incident-report',
      { ...REPORT, severity: 'minor', injured: false, injuries: undefined },
      { incidentId: 'inc-2', cityId: 'c', countyId: 'y', schoolId: 's', reportedBy: 'u' },
    );

    // when
    await completeJob(h, key, 'attach-attendance', { attendanceRecordIds: [] });
    await completeJob(h, key, 'notify');
    await completeTask(h, key, 'DutyTeacherReview', {
      dutyTeacherAccount: '轻微擦伤',
      measuresTaken: '消毒处理',
      severity: 'minor',
    });
    await completeTask(h, key, 'SafetyOfficerReview', { safetyFindings: '无', severity: 'minor' });
    await completeTask(h, key, 'PrincipalReview', { principalConclusion: '结案', severity: 'minor' });
    await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    const taken = (await visits(h, key)).map((v) => v.elementId);
    expect(taken).not.toContain('ReportToCounty');
    expect(taken).not.toContain('CountyBureauReview');
    expect(taken).not.toContain('InsuranceClaim');
  });
});
