import {
  arrangePlaces,
  checkEnrolment,
  checkVoluntary,
  enrolmentInputSchema,
  type PlacementApplicant,
  type VoluntaryInput,
} from '../../../server/rules';

describe('ELIG-ENROLLED', () => {
  const enrolled = { schoolId: 'yh1', gradeLevel: 3, enrolled: true };

  it('should admit a student on the roll of the school, grades 1–9', () => {
    // given / when
    const decisions = [1, 9].map((gradeLevel) =>
      checkEnrolment({ schoolId: 'yh1', student: { ...enrolled, gradeLevel } }),
    );

    // then
    expect(decisions.map((d) => d.ok)).toEqual([true, true]);
  });

  it('should refuse a student of another school or off the roll', () => {
    // given / when
    const otherSchool = checkEnrolment({ schoolId: 'yh2', student: enrolled });
    const left = checkEnrolment({ schoolId: 'yh1', student: { ...enrolled, enrolled: false } });

    // then
    for (const d of [otherSchool, left]) {
      expect(d.ok).toBe(false);
      expect(d.violations[0]).toMatchObject({ rule: 'ELIG-ENROLLED', clause: '三(一)' });
    }
  });

  it('should admit senior high grades only where the school opted in', () => {
    // given
    const student = { ...enrolled, gradeLevel: 10 };

    // when
    const without = checkEnrolment({ schoolId: 'yh1', student });
    const withOptIn = checkEnrolment({ schoolId: 'yh1', student, seniorHighOptIn: true });

    // then
    expect(without.violations).toEqual([
      {
        rule: 'ELIG-ENROLLED',
        clause: '三(一)',
        message: '10 年级不属于义务教育阶段，且学校未开通高中课后服务',
      },
    ]);
    expect(withOptIn.ok).toBe(true);
  });

  it('should refuse a grade outside 1–12 at validation', () => {
    expect(
      enrolmentInputSchema.safeParse({ schoolId: 'yh1', student: { ...enrolled, gradeLevel: 0 } })
        .success,
    ).toBe(false);
  });
});

describe('ELIG-VOLUNTARY', () => {
  const application: VoluntaryInput = {
    applicantUserId: 'mother',
    guardianUserIds: ['mother', 'father'],
    consent: true,
    termId: '2026-autumn',
  };

  it("should accept the child's own guardian applying with consent", () => {
    expect(checkVoluntary(application).ok).toBe(true);
  });

  it('should refuse someone who is not a guardian of the child', () => {
    // given / when
    const d = checkVoluntary({ ...application, applicantUserId: 'neighbour' });

    // then
    expect(d.violations.map((v) => v.message)).toEqual(['只有学生本人的监护人可以申请']);
  });

  it('should refuse bulk enrolment by a school user', () => {
    // given / when
    const d = checkVoluntary({
      ...application,
      applicantUserId: 'yh1.admin',
      submittedVia: 'school',
    });

    // then
    expect(d.ok).toBe(false);
    expect(d.violations.map((v) => v.message)).toContain('学校不得代替家长批量报名');
    expect(d.violations.every((v) => v.rule === 'ELIG-VOLUNTARY' && v.clause === '二(三)')).toBe(
      true,
    );
  });

  it('should refuse an application without consent', () => {
    expect(checkVoluntary({ ...application, consent: false }).ok).toBe(false);
  });

  it('should allow one live application per child per term', () => {
    // given
    const pending = { termId: '2026-autumn', state: 'pending' as const };
    const withdrawn = { termId: '2026-autumn', state: 'withdrawn' as const };
    const lastTerm = { termId: '2026-spring', state: 'placed' as const };

    // when
    const second = checkVoluntary({ ...application, otherApplications: [pending] });
    const afterWithdrawal = checkVoluntary({
      ...application,
      otherApplications: [withdrawn, lastTerm],
    });

    // then
    expect(second.violations.map((v) => v.message)).toEqual(['该学生本学期已有一份有效申请']);
    expect(afterWithdrawal.ok).toBe(true);
  });
});

describe('ELIG-PRIORITY', () => {
  const applicant = (
    applicationId: string,
    appliedAt: string,
    priorityGroups: PlacementApplicant['priorityGroups'] = {},
  ): PlacementApplicant => ({ applicationId, appliedAt, priorityGroups });

  it('should place priority groups first, then by application time, when the session is full', () => {
    // given: three places, five applicants
    const applicants = [
      applicant('a-plain-early', '2026-08-20T08:00:00+08:00'),
      applicant('b-left-behind', '2026-08-25T09:00:00+08:00', { leftBehind: true }),
      applicant('c-disabled-late', '2026-08-28T10:00:00+08:00', { disabled: true }),
      applicant('d-poor', '2026-08-22T10:00:00+08:00', { financialDifficulty: true }),
      applicant('e-plain-earliest', '2026-08-19T08:00:00+08:00'),
    ];

    // when
    const { placed, waiting } = arrangePlaces(applicants, 3);

    // then
    expect(placed.map((p) => p.applicationId)).toEqual([
      'c-disabled-late',
      'b-left-behind',
      'd-poor',
    ]);
    expect(placed.map((p) => p.reason.message)).toEqual([
      '残疾儿童，优先安排',
      '留守儿童，优先安排',
      '家庭经济困难子女，优先安排',
    ]);
    expect(waiting.map((w) => [w.applicationId, w.waitingPosition])).toEqual([
      ['e-plain-earliest', 1],
      ['a-plain-early', 2],
    ]);
    expect(waiting[0]!.reason).toEqual({
      rule: 'ELIG-PRIORITY',
      clause: '三(一)',
      message: '名额（3 个）已满，排在候补第 1 位',
    });
  });

  it('should rank a child in several groups by the first the policy names', () => {
    // given
    const applicants = [
      applicant('migrant', '2026-08-20T08:00:00+08:00', { migrantWorkerChild: true }),
      applicant('migrant-and-left-behind', '2026-08-21T08:00:00+08:00', {
        migrantWorkerChild: true,
        leftBehind: true,
      }),
    ];

    // when
    const { placed } = arrangePlaces(applicants, 1);

    // then
    expect(placed).toEqual([
      expect.objectContaining({
        applicationId: 'migrant-and-left-behind',
        priorityGroup: 'leftBehind',
      }),
    ]);
  });

  it('should order equal times by application id, the same every run', () => {
    // given
    const at = '2026-08-20T08:00:00+08:00';
    const applicants = [applicant('z', at), applicant('m', at), applicant('a', at)];

    // when
    const { placed, waiting } = arrangePlaces(applicants, 2);

    // then
    expect(placed.map((p) => p.applicationId)).toEqual(['a', 'm']);
    expect(placed[0]!.reason.message).toBe('按申请时间先后安排');
    expect(waiting.map((w) => w.applicationId)).toEqual(['z']);
  });

  it('should compare instants, not strings, across time-zone offsets', () => {
    // given: 08:30 in Shanghai is 00:30 UTC, earlier than 01:00 UTC
    const applicants = [
      applicant('utc', '2026-08-20T01:00:00Z'),
      applicant('shanghai', '2026-08-20T08:30:00+08:00'),
    ];

    // when
    const { placed } = arrangePlaces(applicants, 1);

    // then
    expect(placed[0]!.applicationId).toBe('shanghai');
  });

  it('should put everyone on the waiting list without places', () => {
    // given / when
    const { placed, waiting } = arrangePlaces([applicant('x', '2026-08-20T08:00:00Z')], 0);

    // then
    expect(placed).toEqual([]);
    expect(waiting).toHaveLength(1);
  });
});
