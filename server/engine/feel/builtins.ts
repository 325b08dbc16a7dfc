import { randomUUID } from 'node:crypto';
import {
  FeelDate,
  FeelDateTime,
  dateAndTime,
  duration as feelinDuration,
  evaluate as feelinEvaluate,
  parseDate,
} from 'feelin';
import { feelEquals, isPlainObject, toJson } from './convert';
import { type Zone, daysInMonth, formatOffset, formatWall, toWall } from './zone';
import type { FeelOptions } from './types';

/**
 * The Camunda 8 built-in functions feelin 8.2 lacks, and replacements where feelin's version
 * differs from Zeebe's. They are handed to feelin as entries of the evaluation context, which
 * is feelin's mechanism for custom functions; `$args` names the parameters for named calls.
 */

/** A JavaScript function feelin can invoke, with its FEEL parameter names. */
export type FeelJsFunction = ((...args: unknown[]) => unknown) & { $args: string[] };

/** Raised by `assert(value, condition)`; fails the whole evaluation, as in Zeebe. */
export class FeelAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeelAssertionError';
  }
}

/** Names of the functions below, i.e. what this layer adds to or replaces in feelin. */
export const ADDED_FUNCTIONS = [
  'now',
  'today',
  'last day of month',
  'years and months duration',
  'is defined',
  'get or else',
  'assert',
  'trim',
  'extract',
  'uuid',
  'to base64',
  'is blank',
  'string join',
  'is empty',
  'partition',
  'duplicate values',
  'list contains',
  'index of',
  'get value',
  'random number',
  'from json',
  'to json',
] as const;

/**
 * Builds the added functions for one evaluation. `now()` and `today()` read `options.now` (one
 * instant for the whole evaluation) on the wall clock of `zone`.
 */
export function createFunctions(zone: Zone, options: FeelOptions): Record<string, FeelJsFunction> {
  const instant = options.now ?? new Date();
  const functions: Record<(typeof ADDED_FUNCTIONS)[number], FeelJsFunction> = {
    // temporal
    now: fn([], () => nowAsFeel(instant, zone)),
    today: fn([], () => {
      const wall = toWall(zone, instant.getTime());
      return parseDate(formatWall(wall).slice(0, 10));
    }),
    'last day of month': fn(['date'], (date) => {
      if (!(date instanceof FeelDate) && !(date instanceof FeelDateTime)) return null;
      const day = daysInMonth(date.year, date.month);
      return parseDate(`${pad(date.year, 4)}-${pad(date.month)}-${pad(day)}`);
    }),
    'years and months duration': fn(['from', 'to'], (from, to) => {
      if (!isDateLike(from) || !isDateLike(to)) return null;
      let months = (to.year - from.year) * 12 + (to.month - from.month);
      if (months > 0 && to.day < from.day) months -= 1;
      if (months < 0 && to.day > from.day) months += 1;
      return feelinDuration(`${months < 0 ? '-' : ''}P${Math.abs(months)}M`);
    }),
    // boolean and miscellaneous
    'is defined': fn(['value'], (value) => value !== null && value !== undefined),
    'get or else': fn(['value', 'default'], (value, fallback) => value ?? fallback ?? null),
    assert: fn(['value', 'condition', 'cause'], (value, condition, cause) => {
      if (condition !== true) {
        throw new FeelAssertionError(
          typeof cause === 'string' ? cause : 'The condition is not fulfilled',
        );
      }
      return value;
    }),
    // string
    trim: fn(['string'], (string) => (typeof string === 'string' ? string.trim() : null)),
    extract: fn(['string', 'pattern'], (string, pattern) => {
      if (typeof string !== 'string' || typeof pattern !== 'string') return null;
      const regexp = toRegExp(pattern);
      return regexp ? [...string.matchAll(regexp)].map((match) => match[0]) : null;
    }),
    uuid: fn([], () => (options.uuid ?? randomUUID)()),
    'to base64': fn(['value'], (value) =>
      typeof value === 'string' ? Buffer.from(value, 'utf8').toString('base64') : null,
    ),
    'is blank': fn(['string'], (string) =>
      typeof string === 'string' ? string.trim() === '' : null,
    ),
    'string join': fn(
      ['list', 'delimiter', 'prefix', 'suffix'],
      (list, delimiter, prefix, suffix) => {
        const affixes = [delimiter, prefix, suffix];
        if (!Array.isArray(list) || affixes.some((a) => a != null && typeof a !== 'string')) {
          return null;
        }
        const items = list.filter((item) => item !== null && item !== undefined);
        if (items.some((item) => typeof item !== 'string')) return null;
        const [joiner, start, end] = affixes.map((a) => (typeof a === 'string' ? a : ''));
        return `${start}${items.join(joiner)}${end}`;
      },
    ),
    // list
    'is empty': fn(['list'], (list) => (Array.isArray(list) ? list.length === 0 : null)),
    partition: fn(['list', 'size'], (list, size) => {
      if (!Array.isArray(list) || !Number.isInteger(size) || (size as number) < 1) return null;
      const chunks: unknown[][] = [];
      for (let index = 0; index < list.length; index += size as number) {
        chunks.push(list.slice(index, index + (size as number)));
      }
      return chunks;
    }),
    'duplicate values': fn(['list'], (list) => {
      if (!Array.isArray(list)) return null;
      const duplicates: unknown[] = [];
      list.forEach((item, index) => {
        const repeated = list.some((other, at) => at > index && feelEquals(item, other));
        if (repeated && !duplicates.some((seen) => feelEquals(seen, item))) {
          duplicates.push(item);
        }
      });
      return duplicates;
    }),
    'list contains': fn(['list', 'element'], (list, element) =>
      Array.isArray(list) ? list.some((item) => feelEquals(item, element)) : null,
    ),
    'index of': fn(['list', 'match'], (list, match) => {
      if (!Array.isArray(list)) return null;
      return list.flatMap((item, index) => (feelEquals(item, match) ? [index + 1] : []));
    }),
    // context
    'get value': fn(['context', 'key'], (context, key) => {
      const path = Array.isArray(key) ? key : [key];
      if (path.length === 0 || path.some((segment) => typeof segment !== 'string')) return null;
      let current: unknown = context;
      for (const segment of path as string[]) {
        if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return null;
        current = current[segment];
      }
      return current ?? null;
    }),
    // number
    'random number': fn([], () => (options.random ?? Math.random)()),
    // conversion
    'from json': fn(['value'], (value) => {
      if (typeof value !== 'string') return null;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return null;
      }
    }),
    'to json': fn(['value'], (value) => {
      const json = toJson(value);
      return json.ok ? JSON.stringify(json.value) : null;
    }),
  };
  return functions;
}

/**
 * feelin's own built-in function of a name, or `undefined` when it has none. Used when a
 * variable shadows a function name (`count`, `date`): the call still reaches the function.
 */
export function feelinBuiltin(name: string): FeelJsFunction | undefined {
  if (!builtins.has(name)) {
    if (builtins.size >= 10_000) builtins.clear(); // variable names are unbounded: cap the cache
    builtins.set(name, probeBuiltin(name));
  }
  return builtins.get(name);
}

// helpers //////////

const builtins = new Map<string, FeelJsFunction | undefined>();

function probeBuiltin(name: string): FeelJsFunction | undefined {
  // only plain words can name a built-in; anything else is never evaluated as FEEL
  if (!/^[a-z]+(?: [a-z]+)*$/i.test(name)) return undefined;
  try {
    const { value } = feelinEvaluate(name, {});
    if (typeof value === 'function') return value as FeelJsFunction;
  } catch {
    // `date and time` parses only as a call; reach it through one
  }
  if (name !== 'date and time') return undefined;
  return fn(['...args'], (...args) => {
    const names = args.map((_, index) => `a${index}`);
    const context = Object.fromEntries(args.map((arg, index) => [`a${index}`, arg]));
    return feelinEvaluate(`${name}(${names.join(', ')})`, context).value;
  });
}

function fn(parameters: string[], impl: (...args: unknown[]) => unknown): FeelJsFunction {
  return Object.assign(impl, { $args: parameters });
}

function nowAsFeel(instant: Date, zone: Zone): FeelDateTime | null {
  const wall = formatWall(toWall(zone, instant.getTime()));
  const suffix = zone.kind === 'region' ? `@${zone.id}` : formatOffset(zone.offsetMs);
  return dateAndTime(`${wall}${suffix}`);
}

function isDateLike(value: unknown): value is FeelDate | FeelDateTime {
  return value instanceof FeelDate || value instanceof FeelDateTime;
}

function toRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'gu');
  } catch {
    return null;
  }
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}
