import {
  checkAttendance,
  checkClaimSettlement,
  checkInsurance,
  checkSessionVenue,
  checkStaffMember,
  checkStaffing,
  insuranceSchema,
  resolveParameters,
  type AttendanceRecord,
} from '../../../server/rules';
import { buildStaff } from './builders';

const city = resolveParameters(undefined);

describe('SAFE-STAFF', () => {
  it('should bar anyone with a bad record', () => {
    // given / when
    const d = checkStaffMember(buildStaff({ name: '赵某', recordCheck: 'bad' }));

    // then
    expect(d.violations).toEqual([
      { rule: 'SAFE-STAFF', clause: '四(三)', message: '赵某有不良记录，不得参与课后服务' },
    ]);
  });

  it('should bar anyone whose record check is not done yet', () => {
    expect(checkStaffMember(buildStaff({ recordCheck: 'pending' })).violations[0]?.message).toBe(
      '王老师尚未完成不良记录核查',
    );
  });

  it('should warn when outside staff outnumber the county share', () => {
    // given: two of three are outside professionals, both with agreements
    const agreement = { reference: '劳务协议 2026-01' };
    const staff = [
      buildStaff(),
      buildStaff({ staffId: 'x1', name: '张教练', employment: 'external', agreement }),
      buildStaff({ staffId: 'x2', name: '刘老师', employment: 'external', agreement }),
    ];

    // when
    const d = checkStaffing(staff, city);
    const lenient = checkStaffing(staff, resolveParameters({ maxExternalStaffShare: 0.7 }));

    // then
    expect(d.ok).toBe(true);
    expect(d.warnings).toEqual([
      {
        rule: 'SAFE-STAFF',
        clause: '四(三)',
        message: '外聘人员占 67%，超过 50%，工作人员应以本校在职教职工为主',
      },
    ]);
    expect(lenient.warnings).toEqual([]);
  });
});

describe('FEE-EXTERNAL', () => {
  it('should note an outside professional without an agreement on record', () => {
    // given / when
    const d = checkStaffMember(buildStaff({ name: '张教练', employment: 'external' }));

    // then
    expect(d.ok).toBe(true);
    expect(d.warnings).toEqual([
      { rule: 'FEE-EXTERNAL', clause: '四(二)', message: '外聘人员张教练没有备案的劳务协议' },
    ]);
  });
});

describe('SAFE-INSURE', () => {
  const term = { from: '2026-09-01', to: '2027-01-22' };

  it('should refuse a student without accident insurance', () => {
    expect(checkInsurance(undefined, term).violations).toEqual([
      { rule: 'SAFE-INSURE', clause: '四(三)', message: '学生没有意外伤害保险' },
    ]);
  });

  it('should refuse insurance that ends before the service period does', () => {
    // given: a student record's Date, as JSON
    const insurance = insuranceSchema.parse({
      insurer: '中国人寿',
      policyNo: 'DEMO-2026-00001',
      validUntil: '2026-08-31T00:00:00.000Z',
    });

    // when
    const d = checkInsurance(insurance, term);

    // then
    expect(d.violations.map((v) => v.message)).toEqual([
      '意外伤害保险 2026-08-31 到期，早于服务结束日 2027-01-22',
    ]);
  });

  it('should refuse insurance that starts after the service does', () => {
    // given
    const insurance = {
      insurer: '人保',
      policyNo: 'P1',
      validFrom: '2026-10-01',
      validUntil: '2027-08-31',
    };

    // when / then
    expect(checkInsurance(insurance, term).violations.map((v) => v.rule)).toEqual(['SAFE-INSURE']);
  });

  it('should accept insurance covering the whole period', () => {
    // given
    const insurance = insuranceSchema.parse({
      insurer: '人保',
      policyNo: 'P1',
      validUntil: new Date(Date.UTC(2027, 7, 31)),
    });

    // when / then
    expect(insurance.validUntil).toBe('2027-08-31');
    expect(checkInsurance(insurance, term).ok).toBe(true);
  });
});

describe('VENUE-RECORDS', () => {
  it('should need a venue and a named person in charge for each session', () => {
    // given / when
    const complete = checkSessionVenue({ name: '三年级', venue: '图书馆', personInChargeId: 't1' });
    const bare = checkSessionVenue({ name: '三年级', venue: '  ' });

    // then
    expect(complete.ok).toBe(true);
    expect(bare.violations.map((v) => v.message)).toEqual([
      '“三年级”没有安排场地',
      '“三年级”没有指定负责人',
    ]);
  });
});

describe('SAFE-ATTEND', () => {
  const record = (students: AttendanceRecord['students']): AttendanceRecord => ({
    sessionName: '三年级课后服务',
    date: '2026-10-12',
    dutyStaffId: 'p1',
    students,
  });
  const present = { present: true, name: '小明', studentId: 's1' };
  const at = { at: '18:05', byStaffId: 't1' };

  it('should accept every present child handed over to a named guardian at a time', () => {
    // given
    const r = record([
      { ...present, handOver: { to: 'guardian', guardianName: '小明妈妈', ...at } },
      { studentId: 's2', name: '小红', present: false },
    ]);

    // when / then
    expect(checkAttendance(r)).toEqual({ ok: true, violations: [], warnings: [] });
  });

  it('should flag a missing hand-over and an unnamed guardian', () => {
    // given
    const r = record([
      present,
      { studentId: 's3', name: '小刚', present: true, handOver: { to: 'guardian', ...at } },
    ]);

    // when
    const d = checkAttendance(r);

    // then
    expect(d.violations.map((v) => [v.rule, v.message])).toEqual([
      ['SAFE-ATTEND', '小明没有交接记录（交给哪位监护人、几点）'],
      ['SAFE-ATTEND', '小刚没有交接记录（交给哪位监护人、几点）'],
    ]);
  });

  it('should let a child leave alone only where the parent arranged it', () => {
    // given
    const alone = { ...present, handOver: { to: 'self' as const, ...at } };

    // when
    const allowed = checkAttendance(record([{ ...alone, selfDismissalAllowed: true }]));
    const notAllowed = checkAttendance(record([alone]));

    // then
    expect(allowed.ok).toBe(true);
    expect(notAllowed.ok).toBe(false);
  });

  it('should need an administrative duty person (VENUE-RECORDS)', () => {
    // given
    const r = { ...record([]), dutyStaffId: undefined };

    // when / then
    expect(checkAttendance(r).violations).toEqual([
      {
        rule: 'VENUE-RECORDS',
        clause: '三(四)',
        message: '2026-10-12“三年级课后服务”没有安排行政值班',
      },
    ]);
  });
});

describe('SAFE-CLAIM', () => {
  it('should accept shares that add up to the amount settled', () => {
    // given
    const settlement = {
      amountFen: 300000,
      shares: [
        { party: 'insurer' as const, fen: 240000 },
        { party: 'school' as const, fen: 60000 },
      ],
    };

    // when / then
    expect(checkClaimSettlement(settlement).ok).toBe(true);
  });

  it('should refuse shares that do not', () => {
    // given
    const settlement = { amountFen: 300000, shares: [{ party: 'insurer' as const, fen: 200000 }] };

    // when / then
    expect(checkClaimSettlement(settlement).violations).toEqual([
      {
        rule: 'SAFE-CLAIM',
        clause: '四(三)',
        message: '各方分担合计 2000.00 元，与赔偿金额 3000.00 元不符',
      },
    ]);
  });
});
