import {
  checkServiceTime,
  resolveParameters,
  sessionTimesSchema,
  type SessionTimes,
} from '../../../server/rules';
import { buildCalendar } from './builders';

const city = resolveParameters(undefined);
/** A county whose summer timetable ends on 09-15. */
const earlyWinterCounty = resolveParameters({ season: { summerFrom: '05-15', summerTo: '09-15' } });

describe('service times', () => {
  it('should accept a summer session ending at 18:30 within two hours of dismissal', () => {
    // given
    const session: SessionTimes = {
      date: '2026-09-15',
      dismissalTime: '16:40',
      startTime: '16:50',
      endTime: '18:30',
    };

    // when
    const d = checkServiceTime(session, city, buildCalendar());

    // then
    expect(d).toEqual({ ok: true, violations: [], warnings: [] });
  });

  it('should refuse a summer session ending before 18:30 (TIME-END-SUMMER)', () => {
    // given
    const session = {
      date: '2026-09-15',
      dismissalTime: '16:20',
      startTime: '16:30',
      endTime: '18:10',
    };

    // when
    const d = checkServiceTime(session, city);

    // then
    expect(d.violations).toEqual([
      { rule: 'TIME-END-SUMMER', clause: '三(二)', message: '夏季结束时间 18:10 早于 18:30' },
    ]);
  });

  it('should refuse a winter session ending before 18:00 (TIME-END-WINTER)', () => {
    // given
    const session = {
      date: '2026-11-16',
      dismissalTime: '16:00',
      startTime: '16:10',
      endTime: '17:50',
    };

    // when
    const d = checkServiceTime(session, city);

    // then
    expect(d.violations.map((v) => v.rule)).toEqual(['TIME-END-WINTER']);
  });

  it('should judge the end time by the county season: winter already on 09-16 there', () => {
    // given: ends 18:10 on Wednesday 2026-09-16
    const session = {
      date: '2026-09-16',
      dismissalTime: '16:20',
      startTime: '16:30',
      endTime: '18:10',
    };

    // when
    const inCity = checkServiceTime(session, city);
    const inCounty = checkServiceTime(session, earlyWinterCounty);

    // then
    expect(inCity.violations.map((v) => v.rule)).toEqual(['TIME-END-SUMMER']);
    expect(inCounty.ok).toBe(true);
  });

  it('should honour a county that moved its minimum end time', () => {
    // given
    const county = resolveParameters({ endNoEarlierThan: { winter: '17:45' } });
    const session = {
      season: 'winter' as const,
      dismissalTime: '16:00',
      startTime: '16:10',
      endTime: '17:50',
    };

    // when / then
    expect(checkServiceTime(session, county).ok).toBe(true);
    expect(checkServiceTime(session, city).ok).toBe(false);
  });

  it('should refuse a session declared summer on a winter date (TIME-SEASON)', () => {
    // given
    const session = {
      date: '2026-10-15',
      season: 'summer' as const,
      dismissalTime: '16:40',
      startTime: '16:50',
      endTime: '18:30',
    };

    // when
    const d = checkServiceTime(session, city);

    // then
    expect(d.violations).toEqual([
      { rule: 'TIME-SEASON', clause: '三(二)', message: '2026-10-15 属于本县区的冬季作息时间' },
    ]);
  });

  it('should refuse a start before normal dismissal (TIME-SCHOOLDAY)', () => {
    // given
    const session = {
      season: 'winter' as const,
      dismissalTime: '16:30',
      startTime: '16:00',
      endTime: '18:00',
    };

    // when
    const d = checkServiceTime(session, city);

    // then
    expect(d.violations).toEqual([
      {
        rule: 'TIME-SCHOOLDAY',
        clause: '三(二)',
        message: '开始时间 16:00 早于正常放学时间 16:30',
      },
    ]);
  });

  it('should refuse a session on a public holiday (TIME-SCHOOLDAY)', () => {
    // given
    const session = {
      date: '2026-10-01',
      dismissalTime: '16:00',
      startTime: '16:10',
      endTime: '18:00',
    };

    // when
    const d = checkServiceTime(session, city, buildCalendar());

    // then
    expect(d.violations.map((v) => v.rule)).toEqual(['TIME-SCHOOLDAY']);
  });

  describe('TIME-2H', () => {
    const long = {
      season: 'summer' as const,
      dismissalTime: '16:00',
      startTime: '16:10',
      endTime: '18:30',
    };

    it('should refuse more than two hours after dismissal without an approved reason', () => {
      // given / when
      const d = checkServiceTime(long, city);

      // then
      expect(d.ok).toBe(false);
      expect(d.violations).toEqual([
        {
          rule: 'TIME-2H',
          clause: '三(二)',
          message: '放学后持续 150 分钟，超过 120 分钟，须有书面说明并经学校批准',
        },
      ]);
    });

    it('should pass with a warning once the school approved a written reason', () => {
      // given
      const approved = {
        ...long,
        approvedReason: {
          text: '多数家长 18:30 后下班，经家委会征求意见',
          approvedBy: 'yh1.principal',
        },
      };

      // when
      const d = checkServiceTime(approved, city);

      // then
      expect(d.ok).toBe(true);
      expect(d.violations).toEqual([]);
      expect(d.warnings).toEqual([
        {
          rule: 'TIME-2H',
          clause: '三(二)',
          message:
            '放学后持续 150 分钟，超过 120 分钟，已经学校批准：多数家长 18:30 后下班，经家委会征求意见',
        },
      ]);
    });

    it('should accept exactly two hours', () => {
      expect(
        checkServiceTime({ ...long, dismissalTime: '16:30', startTime: '16:40' }, city).ok,
      ).toBe(true);
    });
  });

  it('should hold midday care only to school days, not to end times', () => {
    // given
    const midday = {
      kind: 'midday' as const,
      date: '2026-10-12',
      dismissalTime: '11:50',
      startTime: '12:00',
      endTime: '13:30',
    };

    // when
    const onSchoolDay = checkServiceTime(midday, city, buildCalendar());
    const onHoliday = checkServiceTime({ ...midday, date: '2026-10-02' }, city, buildCalendar());

    // then
    expect(onSchoolDay.ok).toBe(true);
    expect(onHoliday.violations.map((v) => v.rule)).toEqual(['TIME-SCHOOLDAY']);
  });

  it('should refuse at validation a session ending before it starts or without date and season', () => {
    const base = { dismissalTime: '16:00', startTime: '16:10', endTime: '18:00' };
    expect(sessionTimesSchema.safeParse({ ...base, season: 'winter' }).success).toBe(true);
    expect(sessionTimesSchema.safeParse(base).success).toBe(false);
    expect(
      sessionTimesSchema.safeParse({ ...base, season: 'winter', endTime: '16:05' }).success,
    ).toBe(false);
    expect(sessionTimesSchema.safeParse({ ...base, date: '2026-13-01' }).success).toBe(false);
  });
});
