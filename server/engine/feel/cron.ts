import { type Zone, daysInMonth, fromWall, toWall, utcMs, utcWall } from './zone';
import type { Result } from './types';

/**
 * Spring-style cron expressions, the form Zeebe accepts in a `timeCycle`: six fields
 * `second minute hour day-of-month month day-of-week`, each `*`, `?` (days only), a value, a
 * range `a-b`, a step `*\/n` `a/n` `a-b/n`, or a comma list of those; months `JAN`–`DEC`,
 * weekdays `SUN`–`SAT` (0 and 7 are Sunday); `L` and `L-n` for the last days of a month, `dL`
 * for the last weekday d and `d#n` for the n-th weekday d of a month; the macros `@yearly`,
 * `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`. As in Spring, a day
 * must match both the day-of-month and the day-of-week field.
 */

/** A parsed cron expression that yields fire times in a zone. */
export interface CronSchedule {
  /** The six-field form (macros expanded). */
  expression: string;
  /** The first fire time strictly after `from`, or `undefined` if none within 29 years. */
  next(from: Date): Date | undefined;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIELD_NAMES = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
const DAY_MS = 86_400_000;
const MAX_DAYS = 366 * 29;

/** Whether a timer text is a cron expression rather than an ISO 8601 repeating interval. */
export function isCronExpression(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.startsWith('@') || trimmed.split(/\s+/).length >= 5;
}

/** Parses a cron expression; fire times are computed on the wall clock of `zone`. */
export function parseCron(text: string, zone: Zone): Result<CronSchedule> {
  const trimmed = text.trim();
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed;
  const fields = expanded.split(/\s+/);
  if (fields.length !== 6) {
    return {
      ok: false,
      error: `invalid cron expression '${text}': expected 6 fields (second minute hour day-of-month month day-of-week), found ${fields.length}`,
    };
  }
  const [
    secondText = '',
    minuteText = '',
    hourText = '',
    domText = '',
    monthText = '',
    dowText = '',
  ] = fields;
  try {
    const seconds = parseNumbers(secondText, 0, 59, 0);
    const minutes = parseNumbers(minuteText, 0, 59, 1);
    const hours = parseNumbers(hourText, 0, 23, 2);
    const months = new Set(parseNumbers(replaceNames(monthText, MONTHS, 1), 1, 12, 4));
    const dayMatches = parseDays(domText, replaceNames(dowText, WEEKDAYS, 0));
    const schedule: CronSchedule = {
      expression: expanded,
      next: (from) => nextFireTime(from, zone, { seconds, minutes, hours, months, dayMatches }),
    };
    if (!schedule.next(new Date(Date.UTC(2000, 0, 1)))) {
      return { ok: false, error: `invalid cron expression '${text}': it never fires` };
    }
    return { ok: true, value: schedule };
  } catch (error) {
    return { ok: false, error: `invalid cron expression '${text}': ${(error as Error).message}` };
  }
}

// helpers //////////

type DayMatcher = (year: number, month: number, day: number) => boolean;

interface Fields {
  seconds: number[];
  minutes: number[];
  hours: number[];
  months: Set<number>;
  dayMatches: DayMatcher;
}

function nextFireTime(from: Date, zone: Zone, fields: Fields): Date | undefined {
  const fromMs = from.getTime();
  const start = toWall(zone, Math.floor(fromMs / 1000) * 1000 + 1000);
  let dayMs = utcMs({ ...start, hour: 0, minute: 0, second: 0, millisecond: 0 });
  for (let i = 0; i < MAX_DAYS; i++, dayMs += DAY_MS) {
    const day = utcWall(dayMs);
    if (!fields.months.has(day.month) || !fields.dayMatches(day.year, day.month, day.day)) {
      continue;
    }
    const first = i === 0;
    for (const hour of fields.hours) {
      if (first && hour < start.hour) continue;
      const firstHour = first && hour === start.hour;
      for (const minute of fields.minutes) {
        if (firstHour && minute < start.minute) continue;
        const firstMinute = firstHour && minute === start.minute;
        for (const second of fields.seconds) {
          if (firstMinute && second < start.second) continue;
          const due = fromWall(zone, { ...day, hour, minute, second, millisecond: 0 });
          if (due > fromMs) {
            return new Date(due);
          }
        }
      }
    }
  }
  return undefined;
}

function parseDays(domText: string, dowText: string): DayMatcher {
  const dom = parseDayOfMonth(domText);
  const dow = parseDayOfWeek(dowText);
  return (year, month, day) => {
    const last = daysInMonth(year, month);
    const weekday = new Date(
      utcMs({ year, month, day, hour: 0, minute: 0, second: 0, millisecond: 0 }),
    ).getUTCDay();
    return dom(day, last) && dow(weekday, day, last);
  };
}

function parseDayOfMonth(text: string): (day: number, last: number) => boolean {
  if (text === '?' || text === '*') {
    return () => true;
  }
  const days = new Set<number>();
  const fromEnd: number[] = [];
  for (const part of text.split(',')) {
    const last = /^L(?:-(\d+))?$/i.exec(part);
    if (last) {
      fromEnd.push(Number(last[1] ?? 0));
    } else if (/W/i.test(part)) {
      throw new Error(`'W' (nearest weekday) in the day-of-month field is not supported`);
    } else {
      parseNumbers(part, 1, 31, 3).forEach((day) => days.add(day));
    }
  }
  return (day, last) => days.has(day) || fromEnd.includes(last - day);
}

function parseDayOfWeek(text: string): (weekday: number, day: number, last: number) => boolean {
  if (text === '?' || text === '*') {
    return () => true;
  }
  const weekdays = new Set<number>();
  const lastOf = new Set<number>();
  const nth: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const last = /^([0-7])L$/i.exec(part);
    const hash = /^([0-7])#([1-5])$/.exec(part);
    if (last) {
      lastOf.add(Number(last[1]) % 7);
    } else if (hash) {
      nth.push([Number(hash[1]) % 7, Number(hash[2])]);
    } else {
      parseNumbers(part, 0, 7, 5).forEach((weekday) => weekdays.add(weekday % 7));
    }
  }
  return (weekday, day, last) =>
    weekdays.has(weekday) ||
    (lastOf.has(weekday) && day + 7 > last) ||
    nth.some(([wd, n]) => wd === weekday && Math.ceil(day / 7) === n);
}

function parseNumbers(text: string, min: number, max: number, index: number): number[] {
  const field = FIELD_NAMES[index] ?? 'field';
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|\?|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match || (match[1] === '?' && index !== 3 && index !== 5)) {
      throw new Error(`cannot read '${part}' in the ${field} field`);
    }
    const [, range, low, high, stepText] = match;
    const isAll = range === '*' || range === '?';
    const from = isAll ? min : Number(low);
    let to = isAll || (high === undefined && stepText !== undefined) ? max : Number(high ?? low);
    if (index === 5 && high !== undefined && to === 0) {
      to = 7; // SAT-SUN: Sunday closes a weekday range as 7
    }
    const step = Number(stepText ?? 1);
    if (from < min || to > max || from > to || step < 1) {
      throw new Error(`'${part}' is out of range ${min}-${max} in the ${field} field`);
    }
    for (let value = from; value <= to; value += step) {
      values.add(value);
    }
  }
  return [...values].sort((a, b) => a - b);
}

function replaceNames(text: string, names: string[], first: number): string {
  return text.replace(/[A-Z]{3}/gi, (name) => {
    const index = names.indexOf(name.toUpperCase());
    return index < 0 ? name : String(index + first);
  });
}
