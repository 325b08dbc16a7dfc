import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  checkSchoolDay,
  dateInputSchema,
  hasHolidaySchedule,
  isSchoolDay,
  isoDateSchema,
  isoWeekday,
  monthBounds,
  officialDay,
  schoolCalendarSchema,
  serviceDaysInMonth,
  shanghaiDate,
} from '../../../server/rules';
import { buildCalendar } from './builders';

describe('the national calendar (chinese-days)', () => {
  it('should know the 2026 National Day week and its make-up working days', () => {
    // given: 国庆节 10-01 (Thu) … 10-07 off, work on Sunday 09-20 and Saturday 10-10

    // when
    const days = [
      '2026-09-20',
      '2026-10-01',
      '2026-10-07',
      '2026-10-08',
      '2026-10-10',
      '2026-10-11',
    ];

    // then
    expect(days.map((d) => officialDay(d).kind)).toEqual([
      'make-up-workday',
      'holiday',
      'holiday',
      'workday',
      'make-up-workday',
      'weekend',
    ]);
    expect(officialDay('2026-10-01').holiday).toBe('国庆节');
    expect(officialDay('2026-09-25').kind).toBe('holiday'); // 中秋节 (Friday)
  });

  it('should tell whether a year has a published holiday schedule', () => {
    expect(hasHolidaySchedule(2026)).toBe(true);
    expect(hasHolidaySchedule(2027)).toBe(false);
  });

  it('should give the same days in any process time zone', () => {
    // given: chinese-days reads dates back in the process zone; west of UTC that shifts them
    const script = [
      "const r = require('./server/rules');",
      "const cal = { terms: [{ id: 't', name: 't', from: '2026-09-01', to: '2027-01-22' }] };",
      "process.stdout.write(JSON.stringify([r.serviceDaysInMonth('2026-10', cal), r.isoWeekday('2026-10-10')]));",
    ].join('\n');
    const run = (tz: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: path.resolve(__dirname, '../../..'),
        env: { ...process.env, TZ: tz },
        encoding: 'utf8',
      });

    // when
    const west = run('America/Los_Angeles');
    const east = run('Asia/Shanghai');

    // then
    expect(west).toBe(east);
    expect(JSON.parse(west)[0]).toHaveLength(18);
  });
});

describe('school days (TIME-SCHOOLDAY)', () => {
  const calendar = buildCalendar({ closedDays: ['2026-11-20'] });

  it('should count a make-up Saturday and skip the holiday week', () => {
    // given / when / then
    expect(isSchoolDay('2026-10-10', calendar)).toBe(true);
    expect(isSchoolDay('2026-10-05', calendar)).toBe(false);
    expect(isSchoolDay('2026-10-11', calendar)).toBe(false);
    expect(isSchoolDay('2026-10-12', calendar)).toBe(true);
  });

  it('should serve only inside a term and not on the school’s own closed days', () => {
    expect(isSchoolDay('2026-08-31', calendar)).toBe(false);
    expect(isSchoolDay('2026-09-01', calendar)).toBe(true);
    expect(isSchoolDay('2027-01-22', calendar)).toBe(true);
    expect(isSchoolDay('2027-01-25', calendar)).toBe(false);
    expect(isSchoolDay('2026-11-20', calendar)).toBe(false);
  });

  it('should refuse a session on a holiday with TIME-SCHOOLDAY', () => {
    // given / when
    const decision = checkSchoolDay('2026-10-01', calendar);

    // then
    expect(decision.ok).toBe(false);
    expect(decision.violations).toEqual([
      {
        rule: 'TIME-SCHOOLDAY',
        clause: '三(二)',
        message: '2026-10-01 不是上学日，不能安排课后服务',
      },
    ]);
    expect(checkSchoolDay('2026-10-10', calendar).ok).toBe(true);
  });
});

describe('service days per month', () => {
  const calendar = buildCalendar();

  it('should count 18 days in October 2026 (holiday week, make-up Saturday)', () => {
    // given / when
    const days = serviceDaysInMonth('2026-10', calendar);

    // then
    expect(days).toHaveLength(18);
    expect(days.slice(0, 3)).toEqual(['2026-10-08', '2026-10-09', '2026-10-10']);
  });

  it('should count 22 days in September 2026 (Mid-Autumn Friday off, Sunday 09-20 worked)', () => {
    expect(serviceDaysInMonth('2026-09', calendar)).toHaveLength(22);
  });

  it('should count nothing in a month outside every term', () => {
    expect(serviceDaysInMonth('2026-08', calendar)).toEqual([]);
  });

  it('should restrict to chosen weekdays, a make-up day only for every-weekday students', () => {
    // given
    const mondayWednesdayFriday = [1, 3, 5] as const;

    // when
    const chosen = serviceDaysInMonth('2026-10', calendar, { weekdays: mondayWednesdayFriday });
    const everyDay = serviceDaysInMonth('2026-10', calendar, { weekdays: [1, 2, 3, 4, 5] });

    // then
    expect(chosen).toHaveLength(10);
    expect(chosen).not.toContain('2026-10-10');
    expect(everyDay).toHaveLength(18);
  });

  it('should count a make-up day for the weekday whose timetable the school gave it', () => {
    // given: Saturday 10-10 runs Wednesday's timetable
    const withTimetable = buildCalendar({ makeUpTimetable: { '2026-10-10': 3 } });

    // when
    const wednesdays = serviceDaysInMonth('2026-10', withTimetable, { weekdays: [3] });

    // then
    expect(wednesdays).toEqual(['2026-10-10', '2026-10-14', '2026-10-21', '2026-10-28']);
  });

  it('should count from joining to leaving within the month', () => {
    // given / when
    const days = serviceDaysInMonth('2026-11', calendar, { from: '2026-11-09', to: '2026-11-13' });

    // then
    expect(days).toEqual(['2026-11-09', '2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13']);
  });
});

describe('dates', () => {
  it('should accept real dates only', () => {
    expect(isoDateSchema.safeParse('2028-02-29').success).toBe(true);
    expect(isoDateSchema.safeParse('2026-02-29').success).toBe(false);
    expect(isoDateSchema.safeParse('2026-2-1').success).toBe(false);
    expect(isoDateSchema.safeParse('not a date').success).toBe(false);
  });

  it('should read an instant as its date in Asia/Shanghai', () => {
    // given: 2026-08-31 20:00 UTC is 2026-09-01 04:00 in Shanghai
    const instant = '2026-08-31T20:00:00.000Z';

    // when / then
    expect(shanghaiDate(new Date(instant))).toBe('2026-09-01');
    expect(dateInputSchema.parse(instant)).toBe('2026-09-01');
    expect(dateInputSchema.parse(new Date(instant))).toBe('2026-09-01');
    expect(dateInputSchema.parse('2026-08-31')).toBe('2026-08-31');
  });

  it('should know weekdays and month ends', () => {
    expect(isoWeekday('2026-10-01')).toBe(4);
    expect(isoWeekday('2026-10-11')).toBe(7);
    expect(monthBounds('2028-02')).toEqual({ first: '2028-02-01', last: '2028-02-29' });
    expect(monthBounds('2026-12')).toEqual({ first: '2026-12-01', last: '2026-12-31' });
  });

  it('should refuse a calendar whose term ends before it starts', () => {
    // given
    const bad = { terms: [{ id: 't', name: 't', from: '2027-01-22', to: '2026-09-01' }] };

    // when / then
    expect(schoolCalendarSchema.safeParse(bad).success).toBe(false);
    expect(schoolCalendarSchema.safeParse(buildCalendar()).success).toBe(true);
  });
});
