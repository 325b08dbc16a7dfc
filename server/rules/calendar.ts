/**
 * School days (上学日, TIME-SCHOOLDAY) from a school's calendar (its terms and own closed
 * days) and the State Council's public holidays and make-up working days (调休上班), which
 * come from the `chinese-days` package. Nothing here is guessed from the weekday alone.
 */
import { getDayDetail } from 'chinese-days';
import { z } from 'zod';
import { cite } from './citations';
import {
  SCHOOL_WEEK,
  eachDate,
  earlierDate,
  isoDateSchema,
  isoWeekday,
  laterDate,
  monthBounds,
  weekdaySchema,
  type IsoDate,
  type IsoMonth,
  type Weekday,
} from './dates';
import { decide, type RuleDecision } from './decision';

/** A term (学期) of a school: service runs only between its first and last day. */
export const termSchema = z
  .strictObject({
    id: z.string().min(1).max(64),
    name: z.string().min(1).max(100),
    from: isoDateSchema,
    to: isoDateSchema,
  })
  .refine((term) => term.from <= term.to, { path: ['to'] });

/** A school's calendar. */
export const schoolCalendarSchema = z.strictObject({
  schoolId: z.string().min(1).max(64).optional(),
  terms: z.array(termSchema).min(1),
  /** The school's own days without service inside a term (运动会, 考试周后放假 …). */
  closedDays: z.array(isoDateSchema).optional(),
  /**
   * Which weekday's timetable a make-up working day follows (调休上班 on a Saturday that runs
   * Wednesday's timetable: `{ '2026-10-10': 3 }`).
   */
  makeUpTimetable: z.record(isoDateSchema, weekdaySchema).optional(),
});

/** A term of a school calendar. */
export type Term = z.infer<typeof termSchema>;
/** A school calendar (validated with {@link schoolCalendarSchema}). */
export type SchoolCalendar = z.infer<typeof schoolCalendarSchema>;

/** What kind of day a date is nationally. */
export type OfficialDayKind = 'workday' | 'weekend' | 'holiday' | 'make-up-workday';

/** A date as the national calendar sees it. */
export interface OfficialDay {
  date: IsoDate;
  kind: OfficialDayKind;
  /** The holiday's Chinese name (国庆节) for holidays and make-up working days. */
  holiday?: string;
}

/** Which students a service day is for: those who chose some weekdays, or everyone. */
export interface ServiceDayOptions {
  /** The student's chosen weekdays; all school days when left out. */
  weekdays?: readonly Weekday[];
  /** First day to count (joining mid-month). */
  from?: IsoDate;
  /** Last day to count, included (leaving mid-month). */
  to?: IsoDate;
}

/**
 * How a date stands nationally: workday, weekend, public holiday or make-up working day.
 * Years the State Council has not yet published count as ordinary weeks; check with
 * {@link hasHolidaySchedule}.
 */
export function officialDay(date: IsoDate): OfficialDay {
  // chinese-days parses 'YYYY-MM-DD' as UTC but reads weekday and date back in the process
  // time zone, so west of UTC its answer names the day before. Its holiday table is built the
  // same way, so whether a date is listed stays right in any zone; the weekday we compute.
  const detail = getDayDetail(date);
  const listed = !WEEKDAY_NAMES.has(detail.name);
  const weekend = isoWeekday(date) >= 6;
  if (listed && detail.work) return { date, kind: 'make-up-workday', holiday: holidayName(detail) };
  if (listed) return { date, kind: 'holiday', holiday: holidayName(detail) };
  return { date, kind: weekend ? 'weekend' : 'workday' };
}

/** Whether the national working-day schedule of a year is known (published and packaged). */
export function hasHolidaySchedule(year: number): boolean {
  return officialDay(`${year}-01-01`).kind === 'holiday';
}

/** Whether a date is a national working day (an ordinary weekday or a make-up day). */
export function isWorkingDay(date: IsoDate): boolean {
  const { kind } = officialDay(date);
  return kind === 'workday' || kind === 'make-up-workday';
}

/** The term a date falls in, if any. */
export function termOf(date: IsoDate, calendar: SchoolCalendar): Term | undefined {
  return calendar.terms.find((term) => term.from <= date && date <= term.to);
}

/**
 * Whether the school holds classes, and so may run the service, on a date: inside a term,
 * a national working day, and not one of the school's own closed days (TIME-SCHOOLDAY).
 */
export function isSchoolDay(date: IsoDate, calendar: SchoolCalendar): boolean {
  return (
    termOf(date, calendar) !== undefined &&
    !(calendar.closedDays ?? []).includes(date) &&
    isWorkingDay(date)
  );
}

/** TIME-SCHOOLDAY as a decision: a violation when the date is not a school day. */
export function checkSchoolDay(date: IsoDate, calendar: SchoolCalendar): RuleDecision {
  if (isSchoolDay(date, calendar)) return decide();
  return decide([cite('TIME-SCHOOLDAY', 'rule.TIME-SCHOOLDAY.not-school-day', { date })]);
}

/** The school days from `from` to `to`, both included. */
export function schoolDays(from: IsoDate, to: IsoDate, calendar: SchoolCalendar): IsoDate[] {
  return eachDate(from, to).filter((date) => isSchoolDay(date, calendar));
}

/**
 * The weekday whose timetable a school day follows: its own, or for a make-up working day the
 * one the school named. Undefined for a make-up day the school has not assigned.
 */
export function timetableWeekday(date: IsoDate, calendar: SchoolCalendar): Weekday | undefined {
  if (officialDay(date).kind !== 'make-up-workday') return isoWeekday(date);
  return calendar.makeUpTimetable?.[date];
}

/**
 * The days a student is served from `from` to `to`: school days on the chosen weekdays. A
 * make-up working day counts for the weekday whose timetable it follows; when the school has
 * named none, only for students who come every weekday (nobody is charged for a day they
 * did not choose).
 */
export function serviceDays(
  from: IsoDate,
  to: IsoDate,
  calendar: SchoolCalendar,
  weekdays?: readonly Weekday[],
): IsoDate[] {
  const days = schoolDays(from, to, calendar);
  if (!weekdays) return days;
  const everyWeekday = SCHOOL_WEEK.every((d) => weekdays.includes(d));
  return days.filter((date) => {
    const weekday = timetableWeekday(date, calendar);
    return weekday === undefined ? everyWeekday : weekdays.includes(weekday);
  });
}

/**
 * The service days of a month 'YYYY-MM' (see {@link serviceDays}), optionally for a student
 * who chose some weekdays or joins or leaves within the month.
 */
export function serviceDaysInMonth(
  month: IsoMonth,
  calendar: SchoolCalendar,
  options: ServiceDayOptions = {},
): IsoDate[] {
  const bounds = monthBounds(month);
  const from = options.from ? laterDate(bounds.first, options.from) : bounds.first;
  const to = options.to ? earlierDate(bounds.last, options.to) : bounds.last;
  return serviceDays(from, to, calendar, options.weekdays);
}

// helpers //////////

const WEEKDAY_NAMES = new Set([
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
]);

/** 'National Day,国庆节,3' → '国庆节'. */
function holidayName(detail: { name: string }): string {
  return detail.name.split(',')[1] ?? detail.name;
}
