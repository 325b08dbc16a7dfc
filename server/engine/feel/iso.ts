import { type WallTime, type Zone, daysInMonth, fromWall, parseZone, toWall, utcMs } from './zone';
import type { Result } from './types';

/**
 * ISO 8601 durations and date-times as Zeebe reads them in timer definitions. Durations keep
 * calendar parts (years, months, days) apart from exact time, as Java's `Period` + `Duration`:
 * `P1M` from 31 January is the last day of February, `P1D` keeps the wall-clock time.
 */

/** A parsed ISO 8601 duration; `negative` applies to every part. Weeks are folded into days. */
export interface IsoDuration {
  negative: boolean;
  years: number;
  months: number;
  days: number;
  hours: number;
  minutes: number;
  /** May carry a fraction (`PT1.5S`). */
  seconds: number;
}

const DURATION_PATTERN =
  /^([+-])?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,9})?)S)?)?$/i;

const DATE_TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?(?:\[([^\]]+)\]|@(.+))?$/i;

/** Parses `P1Y2M3W4DT5H6M7.5S`, `PT15M`, `-P1D`. */
export function parseIsoDuration(text: string): Result<IsoDuration> {
  const trimmed = text.trim();
  const match = DURATION_PATTERN.exec(trimmed);
  const [, sign, y, mo, w, d, h, mi, s] = match ?? [];
  const hasTime = h !== undefined || mi !== undefined || s !== undefined;
  const hasAny =
    hasTime || y !== undefined || mo !== undefined || w !== undefined || d !== undefined;
  if (!match || !hasAny || (trimmed.toUpperCase().includes('T') && !hasTime)) {
    return {
      ok: false,
      error: `invalid ISO 8601 duration '${text}' (expected e.g. 'PT15M', 'P1D', 'P1DT2H', 'P1M')`,
    };
  }
  return {
    ok: true,
    value: {
      negative: sign === '-',
      years: Number(y ?? 0),
      months: Number(mo ?? 0),
      days: Number(w ?? 0) * 7 + Number(d ?? 0),
      hours: Number(h ?? 0),
      minutes: Number(mi ?? 0),
      seconds: Number((s ?? '0').replace(',', '.')),
    },
  };
}

/** Formats a duration back to ISO 8601 (`P0D` when empty), as Zeebe prints one. */
export function formatIsoDuration(duration: IsoDuration): string {
  const { years, months, days, hours, minutes, seconds } = duration;
  const date = `${years ? `${years}Y` : ''}${months ? `${months}M` : ''}${days ? `${days}D` : ''}`;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!date && !time) {
    return 'P0D';
  }
  return `${duration.negative ? '-' : ''}P${date}${time ? `T${time}` : ''}`;
}

/** Whether a duration is zero in every part. */
export function isZeroDuration(duration: IsoDuration): boolean {
  const { years, months, days, hours, minutes, seconds } = duration;
  return years === 0 && months === 0 && days === 0 && hours === 0 && minutes === 0 && seconds === 0;
}

/**
 * Adds `times` × a duration to an instant: calendar parts on the wall clock of `zone` (a month
 * end is clamped, a day keeps the local time across DST), then the exact time. Multiplying
 * before adding keeps a cycle anchored: 31 Jan + 2 × P1M is 31 March, not 28 March.
 */
export function addIsoDuration(from: Date, duration: IsoDuration, zone: Zone, times = 1): Date {
  const sign = (duration.negative ? -1 : 1) * times;
  const exactMs = ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1000 * sign;
  if (duration.years === 0 && duration.months === 0 && duration.days === 0) {
    return new Date(from.getTime() + Math.round(exactMs));
  }
  const wall = toWall(zone, from.getTime());
  const totalMonths =
    wall.year * 12 + (wall.month - 1) + (duration.years * 12 + duration.months) * sign;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12 + 1;
  const clamped: WallTime = {
    ...wall,
    year,
    month,
    day: Math.min(wall.day, daysInMonth(year, month)),
  };
  const shifted = new Date(utcMs(clamped) + duration.days * sign * 86_400_000);
  const local: WallTime = {
    ...clamped,
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
  };
  return new Date(fromWall(zone, local) + Math.round(exactMs));
}

/**
 * Parses an ISO 8601 date-time with `Z`, an offset, a zone id in brackets
 * (`2026-10-01T08:00:00[Asia/Shanghai]`, `…+08:00[Asia/Shanghai]`) or FEEL's `@Asia/Shanghai`.
 * A date-time without any zone is read in `defaultZone` when one is given, else refused.
 */
export function parseIsoDateTime(text: string, defaultZone?: Zone): Result<Date> {
  const trimmed = text.trim();
  const match = DATE_TIME_PATTERN.exec(trimmed);
  if (!match) {
    return {
      ok: false,
      error: `invalid ISO 8601 date-time '${text}' (expected e.g. '2026-10-01T08:00:00+08:00' or '2026-10-01T08:00:00[Asia/Shanghai]')`,
    };
  }
  const [, y, mo, d, h, mi, s, fraction, offset, bracketZone, atZone] = match;
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s ?? 0),
    millisecond: Math.floor(Number(`0.${fraction ?? '0'}`) * 1000),
  };
  const valid =
    wall.month >= 1 &&
    wall.month <= 12 &&
    wall.day >= 1 &&
    wall.day <= daysInMonth(wall.year, wall.month) &&
    wall.hour <= 23 &&
    wall.minute <= 59 &&
    wall.second <= 59;
  if (!valid) {
    return { ok: false, error: `invalid date-time '${text}': no such calendar date or time` };
  }
  if (offset) {
    const zone = parseZone(offset.toUpperCase() === 'Z' ? 'Z' : offset);
    if (!zone.ok) {
      return zone;
    }
    return { ok: true, value: new Date(fromWall(zone.value, wall)) };
  }
  const zoneId = bracketZone ?? atZone;
  if (zoneId !== undefined) {
    const zone = parseZone(zoneId);
    if (!zone.ok) {
      return { ok: false, error: `invalid date-time '${text}': ${zone.error}` };
    }
    return { ok: true, value: new Date(fromWall(zone.value, wall)) };
  }
  if (defaultZone) {
    return { ok: true, value: new Date(fromWall(defaultZone, wall)) };
  }
  return {
    ok: false,
    error: `date-time '${text}' has no zone; add 'Z', an offset like '+08:00' or a zone id like '[Asia/Shanghai]'`,
  };
}
