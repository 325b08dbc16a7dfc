import type { Result } from './types';

/**
 * Time-zone arithmetic on plain `Date`s with `Intl`, so that timers and `now()` can work in a
 * school's zone without a temporal library. Java's rules for ambiguous local times are kept:
 * a time in a gap moves later by the gap, a time in an overlap takes the earlier offset.
 */

/** A time zone: a fixed offset or an IANA region. */
export type Zone =
  { kind: 'offset'; id: string; offsetMs: number } | { kind: 'region'; id: string };

/** A wall-clock reading (month 1–12). */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** The zone every evaluation uses unless told otherwise. */
export const UTC: Zone = { kind: 'offset', id: 'Z', offsetMs: 0 };

const DAY_MS = 86_400_000;
const OFFSET_PATTERN = /^([+-])(\d{2})(?::?(\d{2}))?$/;

/**
 * Parses `Z`, `UTC`, an offset (`+08:00`, `+0800`) or an IANA id (`Asia/Shanghai`).
 * An unknown id is refused rather than silently read as UTC.
 */
export function parseZone(id: string | undefined): Result<Zone> {
  if (id === undefined || id === 'Z' || id === 'UTC') {
    return { ok: true, value: UTC };
  }
  const offset = OFFSET_PATTERN.exec(id);
  if (offset) {
    const [, sign, hours, minutes] = offset;
    const ms = (Number(hours) * 60 + Number(minutes ?? 0)) * 60_000;
    if (Number(hours) > 18 || Number(minutes ?? 0) > 59) {
      return { ok: false, error: `invalid zone offset '${id}'` };
    }
    const offsetMs = sign === '-' ? -ms : ms;
    return { ok: true, value: { kind: 'offset', id: formatOffset(offsetMs), offsetMs } };
  }
  const formatter = formatterFor(id);
  if (!formatter) {
    return { ok: false, error: `unknown time zone '${id}'` };
  }
  return { ok: true, value: { kind: 'region', id: formatter.resolvedOptions().timeZone } };
}

/** The zone's offset from UTC at an instant, in milliseconds. */
export function offsetAt(zone: Zone, epochMs: number): number {
  if (zone.kind === 'offset') {
    return zone.offsetMs;
  }
  const wall = regionWall(zone.id, epochMs);
  return utcMs(wall) - epochMs;
}

/** The wall-clock reading of an instant in a zone. */
export function toWall(zone: Zone, epochMs: number): WallTime {
  if (zone.kind === 'offset') {
    return utcWall(epochMs + zone.offsetMs);
  }
  return regionWall(zone.id, epochMs);
}

/** The instant a wall-clock reading denotes in a zone (gap: later by the gap; overlap: earlier). */
export function fromWall(zone: Zone, wall: WallTime): number {
  const asUtc = utcMs(wall);
  if (zone.kind === 'offset') {
    return asUtc - zone.offsetMs;
  }
  const before = offsetAt(zone, asUtc - DAY_MS);
  const after = offsetAt(zone, asUtc + DAY_MS);
  const valid = [asUtc - before, asUtc - after].filter((t) => offsetAt(zone, t) === asUtc - t);
  return valid.length > 0 ? Math.min(...valid) : asUtc - before;
}

/** Milliseconds since the epoch of a wall-clock reading taken as UTC (years 0–99 kept as is). */
export function utcMs(wall: WallTime): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date.getTime();
}

/** The UTC wall-clock reading of an instant. */
export function utcWall(epochMs: number): WallTime {
  const date = new Date(epochMs);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    millisecond: date.getUTCMilliseconds(),
  };
}

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

/** Formats a wall-clock reading as ISO 8601 without zone (`2026-01-31T08:00:00`, `.250` if set). */
export function formatWall(wall: WallTime): string {
  const date = `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
  const time = `${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}`;
  return wall.millisecond ? `${date}T${time}.${pad(wall.millisecond, 3)}` : `${date}T${time}`;
}

/** Formats an offset as `+08:00` (`Z` for zero). */
export function formatOffset(offsetMs: number): string {
  if (offsetMs === 0) {
    return 'Z';
  }
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  return `${offsetMs < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

// helpers //////////

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(id: string): Intl.DateTimeFormat | null {
  if (!formatters.has(id)) {
    let formatter: Intl.DateTimeFormat | null;
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: id,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      formatter = null;
    }
    formatters.set(id, formatter);
  }
  return formatters.get(id) ?? null;
}

function regionWall(id: string, epochMs: number): WallTime {
  const formatter = formatterFor(id);
  if (!formatter) {
    return utcWall(epochMs);
  }
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(new Date(epochMs))) {
    parts[part.type] = part.value;
  }
  const year = Number(parts.year);
  return {
    year: parts.era === 'BC' ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: ((epochMs % 1000) + 1000) % 1000,
  };
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}
