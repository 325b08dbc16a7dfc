import { isCronExpression, parseCron } from './cron';
import { evaluateDateTime, evaluateDuration, isExpression, evaluateString } from './evaluate';
import {
  type IsoDuration,
  addIsoDuration,
  isZeroDuration,
  parseIsoDateTime,
  parseIsoDuration,
} from './iso';
import { type Zone, parseZone } from './zone';
import type { FeelOptions, Result } from './types';

/**
 * Zeebe timer definitions, read after FEEL evaluation: `timeDate` (an instant), `timeDuration`
 * (a delay from when the timer is created) and `timeCycle` (an ISO 8601 repeating interval or
 * a cron expression). Calendar parts (days, months, cron fields) are counted on the wall clock
 * of `timeZone` (UTC unless given), as a Zeebe broker counts on its system zone.
 */

/** Which timer definition an event carries (the model's `TimerDef.kind`). */
export type TimerKind = 'date' | 'duration' | 'cycle';

/** Options of the timer parsers. */
export interface TimerOptions {
  /** IANA zone id or offset for calendar arithmetic and zone-less date-times; UTC if absent. */
  timeZone?: string;
}

/** A repeating timer. */
export interface TimerCycle {
  /** How many times the timer fires in all (`R5` → 5, `R` and cron → `'infinite'`). */
  repetitions: number | 'infinite';
  /**
   * The due date following `from` (strictly after it), or `undefined` when the cycle is over.
   * Without a start (`R5/PT10S`) it is `from` + interval and the engine counts repetitions;
   * with a start (`R3/2026-01-01T00:00:00Z/PT1H`) due dates stay on the grid
   * start + k × interval for k < repetitions, whenever the engine asks.
   */
  next(from: Date): Date | undefined;
}

/** A timer ready to schedule: its first due date and, for cycles, how it repeats. */
export interface TimerSchedule extends TimerCycle {
  dueDate: Date;
}

/**
 * Parses a `timeDate`: ISO 8601 with `Z`, an offset or a zone id (`…T08:00:00[Asia/Shanghai]`).
 * A zone-less date-time is read in `options.timeZone` if one is given, else refused.
 */
export function parseTimeDate(text: string, options: TimerOptions = {}): Result<Date> {
  const zone = parseZone(options.timeZone);
  if (!zone.ok) return zone;
  return parseIsoDateTime(text, options.timeZone === undefined ? undefined : zone.value);
}

/** Parses a `timeDuration` (`PT15M`, `P1DT2H`, `P1M`) and returns the due date after `from`. */
export function parseTimeDuration(
  text: string,
  from: Date,
  options: TimerOptions = {},
): Result<Date> {
  const zone = parseZone(options.timeZone);
  if (!zone.ok) return zone;
  const duration = parseIsoDuration(text);
  if (!duration.ok) return duration;
  return dueAfter(duration.value, from, zone.value, text);
}

/**
 * Parses a `timeCycle`: `R5/PT10S`, `R/P1D` (infinite), `R3/2026-01-01T00:00:00Z/PT1H` (with
 * a start) or a Spring-style cron expression (`0 0 9 * * MON-FRI`, infinite).
 */
export function parseTimeCycle(text: string, options: TimerOptions = {}): Result<TimerCycle> {
  const zone = parseZone(options.timeZone);
  if (!zone.ok) return zone;
  const trimmed = text.trim();
  if (/^R\d*\//i.test(trimmed)) {
    return parseRepeatingInterval(trimmed, zone.value, options);
  }
  if (isCronExpression(trimmed)) {
    const cron = parseCron(trimmed, zone.value);
    if (!cron.ok) return cron;
    return { ok: true, value: { repetitions: 'infinite', next: (from) => cron.value.next(from) } };
  }
  return {
    ok: false,
    error: `invalid timer cycle '${text}' (expected an ISO 8601 repeating interval like 'R5/PT10S' or a cron expression like '0 0 9 * * MON-FRI')`,
  };
}

/**
 * Evaluates a timer definition attribute (FEEL after `=`, else static) and schedules it from
 * `from` (when the timer is created). A date or duration fires once; a cycle repeats.
 */
export function evaluateTimer(
  kind: TimerKind,
  attr: string,
  variables: Record<string, unknown>,
  from: Date,
  options: FeelOptions = {},
): Result<TimerSchedule> {
  if (Number.isNaN(from.getTime())) return { ok: false, error: 'invalid start time for the timer' };
  const once = (dueDate: Date): Result<TimerSchedule> => ({
    ok: true,
    value: { dueDate, repetitions: 1, next: () => undefined },
  });
  if (kind === 'date') {
    const date = evaluateDateTime(attr, variables, options);
    return date.ok ? once(date.value) : date;
  }
  const zone = parseZone(options.timeZone);
  if (!zone.ok) return zone;
  if (kind === 'duration') {
    const duration = evaluateDuration(attr, variables, options);
    if (!duration.ok) return duration;
    const due = dueAfter(duration.value, from, zone.value, attr);
    return due.ok ? once(due.value) : due;
  }
  const text = isExpression(attr)
    ? evaluateString(attr, variables, options)
    : { ok: true as const, value: attr };
  if (!text.ok) return text;
  const cycle = parseTimeCycle(text.value, options);
  if (!cycle.ok) return cycle;
  const dueDate = cycle.value.next(from);
  if (!dueDate)
    return {
      ok: false,
      error: `timer cycle '${text.value}' has no due date after ${from.toISOString()}`,
    };
  return { ok: true, value: { ...cycle.value, dueDate } };
}

// helpers //////////

function dueAfter(duration: IsoDuration, from: Date, zone: Zone, text: string): Result<Date> {
  if (Number.isNaN(from.getTime())) return { ok: false, error: 'invalid start time for the timer' };
  if (duration.negative) {
    return {
      ok: false,
      error: `invalid timer duration '${text}': negative durations are not allowed`,
    };
  }
  return { ok: true, value: addIsoDuration(from, duration, zone) };
}

function parseRepeatingInterval(
  text: string,
  zone: Zone,
  options: TimerOptions,
): Result<TimerCycle> {
  const parts = text.split('/');
  const repetitionsText = (parts[0] ?? '').slice(1);
  const repetitions = repetitionsText === '' ? 'infinite' : Number(repetitionsText);
  if (parts.length < 2 || parts.length > 3) {
    return {
      ok: false,
      error: `invalid repeating interval '${text}' (expected 'R5/PT10S' or 'R5/<start>/PT10S')`,
    };
  }
  const interval = parseIsoDuration(parts[parts.length - 1] ?? '');
  if (!interval.ok) {
    return { ok: false, error: `invalid repeating interval '${text}': ${interval.error}` };
  }
  if (interval.value.negative || isZeroDuration(interval.value)) {
    return {
      ok: false,
      error: `invalid repeating interval '${text}': the interval must be positive`,
    };
  }
  const step = interval.value;
  const left = (k: number): boolean => repetitions === 'infinite' || k < repetitions;
  if (parts.length === 2) {
    return {
      ok: true,
      value: {
        repetitions,
        next: (from) => (left(0) ? addIsoDuration(from, step, zone) : undefined),
      },
    };
  }
  const start = parseTimeDate(parts[1] ?? '', options);
  if (!start.ok) {
    return { ok: false, error: `invalid repeating interval '${text}': ${start.error}` };
  }
  const startMs = start.value.getTime();
  const approxMs = approximateMs(step);
  const at = (k: number): number => addIsoDuration(start.value, step, zone, k).getTime();
  return {
    ok: true,
    value: {
      repetitions,
      next: (from) => {
        const fromMs = from.getTime();
        let k = Math.max(0, Math.floor((fromMs - startMs) / approxMs));
        while (k > 0 && at(k) > fromMs) k -= 1;
        while (at(k) <= fromMs) k += 1;
        return left(k) ? new Date(at(k)) : undefined;
      },
    },
  };
}

function approximateMs(duration: IsoDuration): number {
  const days = duration.years * 365.2425 + duration.months * 30.436875 + duration.days;
  return (
    days * 86_400_000 + ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1000
  );
}
