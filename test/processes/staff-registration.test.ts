import { startEngineHarness, type EngineHarness } from '../fixtures/engine';
import { rootVariables, visits, waitForInstance } from '../fixtures/engine-queries';
import { completeJob, completeTask, deployTemplates, refuseJob, startWithForm } from './templates';

/**
 * The staff registration template (附件2) run through the engine with the jobs completed by
 * hand: an outside professional confirmed with a verified agreement, and a refusal under
 * SAFE-STAFF.
 */

const SERVER = {
  registrationId: 'reg-1',
  cityId: 'city-411100',
  countyId: 'county-411102',
  schoolId: 'school-yh1',
  submittedBy: 'yh1.admin',
};

const TEACHER = {
  schoolFullName: '漯河市源汇区演示第一小学',
  staffName: '赵老师',
  gender: 'female',
  department: '教导处',
  mobile: '13800000030',
  idNumber: '41110219900101002X',
};

describe('staff-registration', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployTemplates(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('should register an outside professional once the school verified the agreement', async () => {
    // given
    const key = await startWithForm(
      h,
      'staff-registration',
      'staff-registration',
      { ...TEACHER, isExternal: true, agreementNo: 'WP-2026-003', agreementFileRef: 'file-91' },
      SERVER,
    );

    // when
    const check = await completeJob(h, key, 'check-staff-record', { recordChecked: true });
    await expect(
      completeTask(h, key, 'SchoolConfirmation', { decision: 'approve' }),
    ).rejects.toThrow(/agreementVerified/);
    await completeTask(h, key, 'SchoolConfirmation', {
      decision: 'approve',
      agreementVerified: true,
    });
    await completeJob(h, key, 'register-staff', { staffId: 'staff-9' });
    const notify = await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(check.variables).toMatchObject({ ...TEACHER, isExternal: true });
    expect(notify.customHeaders).toEqual({ template: 'staff-registered' });
    expect(notify.variables).toMatchObject({ notifyUsers: ['yh1.admin'] });
    expect(await rootVariables(h, key)).toMatchObject({
      confirmationDecision: 'approve',
      agreementVerified: true,
      staffId: 'staff-9',
    });
  });

  it('should refuse anyone with a bad record, citing SAFE-STAFF', async () => {
    // given
    const key = await startWithForm(h, 'staff-registration', 'staff-registration', TEACHER, {
      ...SERVER,
      registrationId: 'reg-2',
    });
    const violations = [{ rule: 'SAFE-STAFF', clause: '四(三)', message: '有不良记录，不得参与课后服务' }];

    // when
    await refuseJob(h, key, 'check-staff-record', 'SAFE_RULE_VIOLATION', { violations });
    const notify = await completeJob(h, key, 'notify');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(notify.customHeaders).toEqual({ template: 'staff-refused' });
    expect(notify.variables).toMatchObject({ refusal: { step: 'CheckStaffRecord', violations } });
    expect((await visits(h, key)).map((v) => v.elementId)).toEqual([
      'staff-registration',
      'RegistrationSubmitted',
      'CheckStaffRecord',
      'RecordRefused',
      'RefusedMerge',
      'NotifyRegistrationRefused',
      'RegistrationRefused',
    ]);
  });
});
