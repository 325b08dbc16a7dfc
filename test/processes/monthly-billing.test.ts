import { eventually, startEngineHarness, type EngineHarness } from '../fixtures/engine';
import { instancesOf, visits, waitForInstance } from '../fixtures/engine-queries';
import { completeJob, deployTemplates, ofSchool, refuseJob } from './templates';

/**
 * The monthly billing template run through the engine with the jobs completed by hand: a run
 * requested by message bills two schools in parallel — one collects after a reminder and ends
 * with overdue bills, the other has nothing to collect and its ledger breaks FEE-EARMARK.
 */

const PROCESS = 'monthly-billing';

describe('monthly-billing', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployTemplates(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('should bill each school, remind, mark overdue and close the earmarked ledger', async () => {
    // given a run requested by message with short reminder intervals
    await h.engine.publishMessage({
      name: 'billing-run-requested',
      variables: { billingMonth: '2026-12', reminderInterval: 'PT0.2S', maxReminders: 1 },
    } as never);
    const key = await eventually(async () => {
      const found = await instancesOf(h, PROCESS);
      return found[0] ? String(found[0].processInstanceKey) : undefined;
    });
    const yh1 = ofSchool('school-yh1');
    const yc1 = ofSchool('school-yc1');

    // when
    const list = await completeJob(h, key, 'list-schools', {
      billingMonth: '2026-12',
      schools: [
        { schoolId: 'school-yh1', countyId: 'county-411102', cityId: 'city-411100' },
        { schoolId: 'school-yc1', countyId: 'county-411103', cityId: 'city-411100' },
      ],
    });
    const bills = await completeJob(
      h,
      key,
      'create-bills',
      { billCount: 3, openBillCount: 2, waivedBillCount: 1, billTotalFen: 16000 },
      yh1,
    );
    await completeJob(
      h,
      key,
      'create-bills',
      { billCount: 1, openBillCount: 0, waivedBillCount: 1, billTotalFen: 0 },
      yc1,
    );
    await completeJob(h, key, 'create-payment-order', { paymentOrderCount: 2 }, yh1);
    const firstRound = await completeJob(
      h,
      key,
      'record-ledger',
      { paidFen: 8000, unpaidBillCount: 1, unpaidStudentIds: ['stu-2'] },
      (job) => yh1(job) && job.customHeaders.entryKind === 'payments',
    );
    const reminder = await completeJob(h, key, 'notify', {}, yh1);
    const secondRound = await completeJob(
      h,
      key,
      'record-ledger',
      { paidFen: 8000, unpaidBillCount: 1, unpaidStudentIds: ['stu-2'] },
      (job) => yh1(job) && job.customHeaders.entryKind === 'payments',
    );
    await completeJob(h, key, 'mark-bills-overdue', { overdueBillCount: 1 }, yh1);
    const overdue = await completeJob(h, key, 'notify', {}, yh1);
    const close = await completeJob(
      h,
      key,
      'record-ledger',
      { ledgerBalanceFen: 8000 },
      (job) => yh1(job) && job.customHeaders.entryKind === 'month-close',
    );
    const violations = [{ rule: 'FEE-EARMARK', clause: '四(二)', message: '支出类别不在专款专用范围' }];
    await refuseJob(h, key, 'record-ledger', 'FEE_RULE_VIOLATION', { violations }, yc1);
    const breach = await completeJob(h, key, 'notify', {}, yc1);

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(list.elementId).toBe('ListSchools');
    expect(bills.variables).toMatchObject({
      schoolId: 'school-yh1',
      countyId: 'county-411102',
      billingMonth: '2026-12',
      billingRunKey: 'school-yh1:2026-12',
    });
    expect(firstRound.variables).toMatchObject({ reminderRound: 0 });
    expect(reminder.customHeaders).toEqual({ template: 'bill-reminder' });
    expect(reminder.variables).toMatchObject({ notifyStudents: ['stu-2'] });
    expect(secondRound.variables).toMatchObject({ reminderRound: 1, paidFen: 8000 });
    expect(overdue.customHeaders).toEqual({ template: 'bill-overdue' });
    expect(close.variables).toMatchObject({ unpaidBillCount: 1, overdueBillCount: 1 });
    expect(breach.customHeaders).toEqual({ template: 'ledger-earmark-breach' });
    expect(breach.variables).toMatchObject({
      notifyGroups: ['county:county-411103:bureau', 'school:school-yc1:principal'],
      refusal: { step: 'CloseLedgerMonth', violations },
    });
    const ends = (await visits(h, key))
      .filter((v) => ['SchoolBilled', 'EarmarkBreach', 'MonthBilled'].includes(v.elementId))
      .map((v) => v.elementId)
      .sort();
    expect(ends).toEqual(['EarmarkBreach', 'MonthBilled', 'SchoolBilled']);
  });
});
