import {
  FeelDate,
  FeelDateTime,
  FeelDuration,
  FeelTime,
  evaluate as feelinEvaluate,
  isFunction,
  isRange,
} from 'feelin';
import type { JsonValue, Result } from './types';

/**
 * Conversion of FEEL values to what Zeebe stores as variables, and the type names Zeebe uses
 * in its incident messages (`BOOLEAN`, `STRING`, `ARRAY`, …).
 */

/** Zeebe's name for the type of a FEEL value, as printed in "Expected … but was '…'". */
export type FeelTypeName =
  | 'NULL'
  | 'BOOLEAN'
  | 'NUMBER'
  | 'STRING'
  | 'ARRAY'
  | 'OBJECT'
  | 'DATE'
  | 'TIME'
  | 'DATE_TIME'
  | 'DURATION'
  | 'PERIOD'
  | 'RANGE'
  | 'FUNCTION'
  | 'UNKNOWN';

/** The Zeebe type name of a FEEL value (`PERIOD` is a years-and-months duration). */
export function feelTypeOf(value: unknown): FeelTypeName {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number') return 'NUMBER';
  if (typeof value === 'string') return 'STRING';
  if (Array.isArray(value)) return 'ARRAY';
  if (value instanceof FeelDateTime) return 'DATE_TIME';
  if (value instanceof FeelDate) return 'DATE';
  if (value instanceof FeelTime) return 'TIME';
  if (value instanceof FeelDuration) return value.yearsMonths ? 'PERIOD' : 'DURATION';
  if (isRange(value)) return 'RANGE';
  if (typeof value === 'function' || isFunction(value)) return 'FUNCTION';
  if (isPlainObject(value)) return 'OBJECT';
  return 'UNKNOWN';
}

/**
 * Converts a FEEL value to JSON as Zeebe does when it stores a variable: dates, times and
 * date-times become ISO strings (a zone id is kept in FEEL's form, `…T08:00:00@Asia/Shanghai`,
 * which `date and time()` reads back), durations ISO 8601 durations, contexts objects. Numbers
 * that are not integers are rounded to 15 significant digits, so that binary floating point
 * does not leak into stored values (`0.1 + 0.2` is stored as `0.3`, as Zeebe's decimals would).
 * Functions and ranges have no JSON form and are refused.
 */
export function toJson(value: unknown, path = 'result'): Result<JsonValue> {
  switch (feelTypeOf(value)) {
    case 'NULL':
      return { ok: true, value: null };
    case 'BOOLEAN':
    case 'STRING':
      return { ok: true, value: value as boolean | string };
    case 'NUMBER':
      return { ok: true, value: normalizeNumber(value as number) };
    case 'DATE':
    case 'TIME':
    case 'DATE_TIME':
      return { ok: true, value: (value as FeelDate | FeelTime | FeelDateTime).iso };
    case 'DURATION':
      return { ok: true, value: zeroAs((value as FeelDuration).iso, 'P0D') };
    case 'PERIOD':
      return { ok: true, value: zeroAs((value as FeelDuration).iso, 'P0Y') };
    case 'ARRAY':
      return toJsonArray(value as unknown[], path);
    case 'OBJECT':
      return toJsonObject(value as Record<string, unknown>, path);
    default:
      return {
        ok: false,
        error: `the ${path} is a FEEL ${feelTypeOf(value).toLowerCase()}, which cannot be stored as a variable`,
      };
  }
}

/**
 * FEEL equality (`a = b`) of two values: structural for lists and contexts, by instant for
 * zoned date-times. feelin's own `list contains` and `index of` compare by reference, which
 * misses equal dates and contexts.
 */
export function feelEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  return feelinEvaluate('a = b', { a, b }).value === true;
}

/** Whether a value is a FEEL context (a plain object). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return true;
  // an object of another realm (structuredClone inside a vm context, as under jest) has that
  // realm's Object.prototype, whose own prototype is null
  return (
    Object.prototype.toString.call(value) === '[object Object]' &&
    Object.getPrototypeOf(prototype) === null
  );
}

// helpers //////////

function normalizeNumber(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  if (Number.isInteger(value)) return value === 0 ? 0 : value;
  return Number(value.toPrecision(15));
}

function zeroAs(iso: string, zero: string): string {
  return /^-?P(?:0[YMDWHS]|T0S)$/.test(iso) ? zero : iso;
}

function toJsonArray(items: unknown[], path: string): Result<JsonValue> {
  const result: JsonValue[] = [];
  for (const [index, item] of items.entries()) {
    const converted = toJson(item, `${path}[${index + 1}]`);
    if (!converted.ok) return converted;
    result.push(converted.value);
  }
  return { ok: true, value: result };
}

function toJsonObject(context: Record<string, unknown>, path: string): Result<JsonValue> {
  const result: { [key: string]: JsonValue } = {};
  for (const [key, entry] of Object.entries(context)) {
    const converted = toJson(entry, `${path}.${key}`);
    if (!converted.ok) return converted;
    Object.defineProperty(result, key, {
      value: converted.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { ok: true, value: result };
}
