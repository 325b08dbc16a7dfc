/**
 * Calendar dates and times of day as plain strings ('YYYY-MM-DD', 'HH:mm'), meant in
 * Asia/Shanghai. Arithmetic runs on whole days counted from 1970-01-01 through `Date.UTC`,
 * so neither the process time zone nor daylight saving can shift a date.
 */
import { z } from 'zod';
import { t } from '../lib/i18n';

/** A calendar date in Asia/Shanghai, 'YYYY-MM-DD'. */
export type IsoDate = string;
/** A month, 'YYYY-MM'. */
export type IsoMonth = string;
/** A time of day, 'HH:mm' (24 h). */
export type TimeOfDay = string;
/** A day of the year without the year, 'MM-DD'. */
export type MonthDay = string;
/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Monday to Friday, the ordinary school week. */
export const SCHOOL_WEEK: readonly Weekday[] = [1, 2, 3, 4, 5];

const MS_PER_DAY = 86_400_000;
/** China has kept UTC+8 all year since 1991, so a fixed offset is exact. */
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** A real calendar date 'YYYY-MM-DD' (2026-02-30 is refused). */
export const isoDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: () => t('form.type_date') })
  .refine(isRealDate, { error: () => t('form.type_date') });

/** A month 'YYYY-MM'. */
export const isoMonthSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: () => t('form.type_month') });

/** A time of day 'HH:mm', 00:00–23:59. */
export const timeOfDaySchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: () => t('form.type_time') });

/** A day of the year 'MM-DD' (02-29 allowed). */
export const monthDaySchema = z
  .string()
  .regex(/^\d{2}-\d{2}$/, { error: () => t('form.type_month_day') })
  .refine((s) => isRealDate(`2024-${s}`), { error: () => t('form.type_month_day') });

/** An ISO weekday 1 (Monday) … 7 (Sunday). */
export const weekdaySchema = z
  .number()
  .int()
  .min(1)
  .max(7)
  .transform((n) => n as Weekday);

/**
 * A date given as 'YYYY-MM-DD', as an instant (ISO date-time string, e.g. a JSON-serialised
 * `Date`) or as a `Date`; instants become their calendar date in Asia/Shanghai.
 */
export const dateInputSchema = z.union([
  isoDateSchema,
  z.iso.datetime({ offset: true }).transform((s) => shanghaiDate(new Date(s))),
  z.date().transform(shanghaiDate),
]);

/** Whether `s` is 'YYYY-MM-DD' naming a day that exists. */
export function isRealDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && fromDayNumber(toDayNumber(s)) === s;
}

/** Days since 1970-01-01 of a date string. */
export function toDayNumber(date: IsoDate): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / MS_PER_DAY);
}

/** The date string of a day number (inverse of {@link toDayNumber}). */
export function fromDayNumber(day: number): IsoDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The date `n` days after (negative: before) `date`. */
export function addDays(date: IsoDate, n: number): IsoDate {
  return fromDayNumber(toDayNumber(date) + n);
}

/** The ISO weekday of a date, 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: IsoDate): Weekday {
  const sundayZero = new Date(toDayNumber(date) * MS_PER_DAY).getUTCDay();
  return (sundayZero === 0 ? 7 : sundayZero) as Weekday;
}

/** Every date from `from` to `to`, both included; empty when `to` is before `from`. */
export function eachDate(from: IsoDate, to: IsoDate): IsoDate[] {
  const out: IsoDate[] = [];
  for (let d = toDayNumber(from), last = toDayNumber(to); d <= last; d++)
    out.push(fromDayNumber(d));
  return out;
}

/** The first and last date of a month 'YYYY-MM'. */
export function monthBounds(month: IsoMonth): { first: IsoDate; last: IsoDate } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const first = `${month}-01`;
  const last = fromDayNumber(Math.round(Date.UTC(y, m, 0) / MS_PER_DAY));
  return { first, last };
}

/** The later of two dates. */
export function laterDate(a: IsoDate, b: IsoDate): IsoDate {
  return a > b ? a : b;
}

/** The earlier of two dates. */
export function earlierDate(a: IsoDate, b: IsoDate): IsoDate {
  return a < b ? a : b;
}

/** The calendar date of an instant in Asia/Shanghai. */
export function shanghaiDate(instant: Date): IsoDate {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes since midnight of 'HH:mm'. */
export function minutesOfDay(time: TimeOfDay): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
