import {
  assessMonthlyFee,
  checkFeeItems,
  checkFeeStandard,
  checkLedgerEntry,
  monthlyFeeInputSchema,
  prorateFen,
  refundOnWithdrawal,
  resolveParameters,
  roundHalfUp,
  serviceDaysInMonth,
  type MonthlyFeeInput,
} from '../../../server/rules';
import { buildCalendar } from './builders';

const city = resolveParameters(undefined);
const calendar = buildCalendar();
const consent = { reference: '家委会 2026-09 会议纪要', recordedAt: '2026-09-05T10:00:00+08:00' };

/** A full month of the standard service for a student who is not poverty-registered. */
function feeInput(overrides: Partial<MonthlyFeeInput> = {}): MonthlyFeeInput {
  return { month: '2026-10', standardFen: 8000, povertyRegistered: false, ...overrides };
}

describe('rounding', () => {
  it('should round half up to the fen', () => {
    expect(roundHalfUp(5, 2)).toBe(3);
    expect(roundHalfUp(7, 3)).toBe(2);
    expect(prorateFen(8000, 10, 18)).toBe(4444); // 4444.44
    expect(prorateFen(8000, 8, 18)).toBe(3556); // 3555.56
    expect(prorateFen(8000, 0, 0)).toBe(0);
  });
});

describe('FEE-CAP', () => {
  it('should accept a standard up to the city cap of 80 yuan', () => {
    expect(checkFeeStandard(8000, city).ok).toBe(true);
    expect(checkFeeStandard(8001, city).violations).toEqual([
      {
        rule: 'FEE-CAP',
        clause: '四(二)',
        message: '收费标准每生每月 80.01 元，超过上限 80.00 元',
      },
    ]);
  });

  it("should hold a school to its county's own standard once the city approved it", () => {
    // given: the county's own standard is 60 yuan; the school charges 70
    const approved = resolveParameters({
      feeStandard: { monthlyFen: 6000, status: 'city-approved' },
    });
    const proposed = resolveParameters({ feeStandard: { monthlyFen: 6000, status: 'proposed' } });

    // when
    const underApproved = assessMonthlyFee(feeInput({ standardFen: 7000 }), approved, calendar);
    const underProposed = assessMonthlyFee(feeInput({ standardFen: 7000 }), proposed, calendar);

    // then: above the approved county cap is refused and never charged above it
    expect(underApproved.ok).toBe(false);
    expect(underApproved.violations.map((v) => v.rule)).toEqual(['FEE-CAP']);
    expect(underApproved.totalFen).toBe(6000);
    // a standard only proposed does not apply yet: the city cap of 80 yuan does
    expect(underProposed.ok).toBe(true);
    expect(underProposed.totalFen).toBe(7000);
  });
});

describe('monthly fee', () => {
  it('should charge the full standard for every school day of a holiday month', () => {
    // given: October 2026 has 18 school days (National Day week off, Saturday 10-10 worked)

    // when
    const fee = assessMonthlyFee(feeInput(), city, calendar);

    // then
    expect(fee.ok).toBe(true);
    expect(fee.totalFen).toBe(8000);
    expect(fee.schoolDaysInMonth).toBe(18);
    expect(fee.serviceDays).toHaveLength(18);
    expect(fee.lines).toEqual([{ item: 'after-school', fen: 8000, days: 18 }]);
    expect(fee.applied).toEqual([]);
  });

  it('should prorate by service days for chosen weekdays', () => {
    // given: Monday, Wednesday and Friday: 10 of the 18 days

    // when
    const fee = assessMonthlyFee(feeInput({ weekdays: [1, 3, 5] }), city, calendar);

    // then
    expect(fee.totalFen).toBe(4444);
    expect(fee.applied.map((c) => c.message)).toEqual([
      '本月服务 10 天（全月 18 个上学日），按天数折算',
    ]);
  });

  it('should prorate a student joining mid-month', () => {
    // given: from Wednesday 2026-10-21: 8 of 18 days

    // when
    const fee = assessMonthlyFee(feeInput({ from: '2026-10-21' }), city, calendar);

    // then
    expect(fee.serviceDays).toHaveLength(8);
    expect(fee.totalFen).toBe(3556);
  });

  it('should charge nothing in a month without school days', () => {
    expect(assessMonthlyFee(feeInput({ month: '2026-08' }), city, calendar).totalFen).toBe(0);
  });

  it('should serve a poverty-registered student free (FEE-FREE-POOR)', () => {
    // given
    const input = feeInput({
      povertyRegistered: true,
      extras: [{ kind: 'midday', minutesPerDay: 60, committeeConsent: consent }],
    });

    // when
    const fee = assessMonthlyFee(input, city, calendar);

    // then
    expect(fee.ok).toBe(true);
    expect(fee.totalFen).toBe(0);
    expect(fee.lines.map((l) => l.fen)).toEqual([0, 0]);
    expect(fee.applied).toEqual([
      { rule: 'FEE-FREE-POOR', clause: '四(二)', message: '建档立卡贫困家庭学生，免收课后服务费' },
    ]);
  });

  describe('midday option (FEE-PRORATE)', () => {
    it('should charge an hour of midday care pro rata with the committee’s consent', () => {
      // given: 60 minutes a day against the standard's 120
      const input = feeInput({
        extras: [{ kind: 'midday', minutesPerDay: 60, committeeConsent: consent }],
      });

      // when
      const fee = assessMonthlyFee(input, city, calendar);

      // then
      expect(fee.ok).toBe(true);
      expect(fee.lines).toEqual([
        { item: 'after-school', fen: 8000, days: 18 },
        { item: 'midday', fen: 4000, days: 18, minutesPerDay: 60 },
      ]);
      expect(fee.totalFen).toBe(12000);
      expect(fee.applied.map((c) => c.rule)).toEqual(['FEE-PRORATE']);
    });

    it('should prorate the midday charge by days too', () => {
      // given: 45 minutes, Monday/Wednesday/Friday: 8000 × 45/120 × 10/18 = 1666.67
      const input = feeInput({
        weekdays: [1, 3, 5],
        extras: [{ kind: 'midday', minutesPerDay: 45, committeeConsent: consent }],
      });

      // when
      const fee = assessMonthlyFee(input, city, calendar);

      // then
      expect(fee.lines[1]!.fen).toBe(1667);
    });

    it('should refuse and not charge midday care without the committee’s consent', () => {
      // given
      const input = feeInput({ extras: [{ kind: 'midday', minutesPerDay: 60 }] });

      // when
      const fee = assessMonthlyFee(input, city, calendar);

      // then
      expect(fee.ok).toBe(false);
      expect(fee.violations).toEqual([
        {
          rule: 'FEE-PRORATE',
          clause: '四(二)',
          message: '午间服务收费未征得家长委员会同意，不得收取',
        },
      ]);
      expect(fee.lines[1]!.fen).toBe(0);
      expect(fee.totalFen).toBe(8000);
    });
  });

  it('should refuse malformed input at validation', () => {
    expect(monthlyFeeInputSchema.safeParse(feeInput()).success).toBe(true);
    expect(monthlyFeeInputSchema.safeParse(feeInput({ standardFen: 80.5 })).success).toBe(false);
    expect(monthlyFeeInputSchema.safeParse(feeInput({ month: '2026-13' })).success).toBe(false);
  });
});

describe('refund on withdrawal', () => {
  it('should refund the remaining days of a student who withdraws on the 10th', () => {
    // given: November 2026 paid in full, 21 school days; the 2nd–6th and 9th served
    const bill = assessMonthlyFee(feeInput({ month: '2026-11' }), city, calendar);

    // when
    const refund = refundOnWithdrawal({
      paidFen: bill.totalFen,
      billedDays: bill.serviceDays,
      withdrawnOn: '2026-11-10',
    });

    // then: keeps 8000 × 6/21 = 2285.71 → 2286
    expect(bill.serviceDays).toHaveLength(21);
    expect(refund).toEqual({
      refundFen: 5714,
      keptFen: 2286,
      servedDays: 6,
      remainingDays: 15,
      reason: {
        rule: 'ELIG-VOLUNTARY',
        clause: '二(三)',
        message: '退出后剩余 15 个服务日，按比例退费 57.14 元',
      },
    });
  });

  it('should refund a holiday month by its school days, not calendar days', () => {
    // given: October 2026, withdrawn on Saturday 10-10 (a make-up day): only 10-08 and 10-09 served
    const days = serviceDaysInMonth('2026-10', calendar);

    // when
    const refund = refundOnWithdrawal({
      paidFen: 8000,
      billedDays: days,
      withdrawnOn: '2026-10-10',
    });

    // then: keeps 8000 × 2/18 = 888.89 → 889
    expect(refund.keptFen).toBe(889);
    expect(refund.refundFen).toBe(7111);
  });

  it('should always split the payment exactly into kept and refunded', () => {
    // given
    const days = serviceDaysInMonth('2026-10', calendar);

    // when
    const splits = days.map((d) =>
      refundOnWithdrawal({ paidFen: 7777, billedDays: days, withdrawnOn: d }),
    );

    // then
    for (const s of splits) expect(s.keptFen + s.refundFen).toBe(7777);
    expect(splits[0]!.refundFen).toBe(7777);
    expect(splits.map((s) => s.refundFen)).toEqual(
      [...splits.map((s) => s.refundFen)].sort((a, b) => b - a),
    );
  });
});

describe('FEE-NO-ABUSE', () => {
  it('should allow only the service’s own fee items', () => {
    // given
    const items = [
      { name: '课后服务费', kind: 'after-school' },
      { name: '午间服务费', kind: 'midday' },
      { name: '资料费', kind: 'after-school' },
      { name: '校服', kind: 'uniform' },
    ];

    // when
    const d = checkFeeItems(items);

    // then
    expect(d.violations.map((v) => v.message)).toEqual([
      '“资料费”不是课后服务收费项目，不得以课后服务名义收取',
      '“校服”不是课后服务收费项目，不得以课后服务名义收取',
    ]);
    expect(d.violations.every((v) => v.rule === 'FEE-NO-ABUSE')).toBe(true);
  });
});

describe('FEE-EARMARK', () => {
  it.each([
    ['in', 'fee-payment'],
    ['out', 'staff-allowance'],
    ['out', 'consumables'],
    ['out', 'venue-upkeep'],
    ['out', 'bought-in-services'],
    ['out', 'fee-refund'],
  ] as const)('should accept %s entries of %s', (direction, category) => {
    expect(checkLedgerEntry({ direction, category, amountFen: 100 }).ok).toBe(true);
  });

  it.each([
    ['out', 'office-party'],
    ['out', 'teacher-bonus'],
    ['in', 'staff-allowance'],
  ] as const)('should refuse %s entries of %s', (direction, category) => {
    // given / when
    const d = checkLedgerEntry({ direction, category, amountFen: 100 });

    // then
    expect(d.violations).toEqual([
      {
        rule: 'FEE-EARMARK',
        clause: '四(二)',
        message: `“${category}”不是课后服务经费允许的收支类别`,
      },
    ]);
  });
});
