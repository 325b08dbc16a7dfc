import { z } from 'zod';
import { EngineError } from '../errors';

/** Camunda search request: filter, sort and page (offset or cursor). */
export const searchRequest = z.strictObject({
  filter: z.record(z.string(), z.unknown()).optional(),
  sort: z
    .array(
      z.strictObject({
        field: z.string(),
        order: z.enum(['ASC', 'DESC', 'asc', 'desc']).optional(),
      }),
    )
    .optional(),
  page: z
    .strictObject({
      from: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(10_000).optional(),
      after: z.string().optional(),
      before: z.string().optional(),
    })
    .optional(),
});

/** A parsed search request. */
export type SearchRequest = z.infer<typeof searchRequest>;

type Row = Record<string, unknown>;

function like(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  // keys are numeric strings of varying length: compare as numbers when both are digits
  if (/^\d+$/.test(sa) && /^\d+$/.test(sb) && sa.length !== sb.length) return sa.length - sb.length;
  return sa < sb ? -1 : 1;
}

/** Does a value satisfy a Camunda filter property (plain value or operator object)? */
export function matchProperty(value: unknown, prop: unknown): boolean {
  if (prop === null || typeof prop !== 'object' || Array.isArray(prop)) {
    if (Array.isArray(value)) return value.some((v) => String(v) === String(prop));
    return value !== undefined && String(value) === String(prop);
  }
  const ops = prop as Record<string, unknown>;
  for (const [op, arg] of Object.entries(ops)) {
    const ok = (() => {
      switch (op) {
        case '$eq':
          return matchProperty(value, arg);
        case '$neq':
          return !matchProperty(value, arg);
        case '$exists':
          return (value !== undefined && value !== null) === Boolean(arg);
        case '$in':
          return Array.isArray(arg) && arg.some((a) => matchProperty(value, a));
        case '$notIn':
          return Array.isArray(arg) && !arg.some((a) => matchProperty(value, a));
        case '$like':
          return value !== undefined && like(String(arg)).test(String(value));
        case '$gt':
          return value !== undefined && compare(value, arg) > 0;
        case '$gte':
          return value !== undefined && compare(value, arg) >= 0;
        case '$lt':
          return value !== undefined && compare(value, arg) < 0;
        case '$lte':
          return value !== undefined && compare(value, arg) <= 0;
        default:
          throw new EngineError(400, 'INVALID_ARGUMENT', `unknown filter operator '${op}'`);
      }
    })();
    if (!ok) return false;
  }
  return true;
}

/**
 * Filters, sorts and pages rows in memory. `fields` maps each filter/sort field the endpoint
 * supports to how it is read from a row; any other field is refused with a 400.
 */
export function search<T extends Row>(
  rows: T[],
  req: SearchRequest,
  fields: Record<string, (row: T) => unknown>,
): { items: T[]; page: { totalItems: number; startCursor?: string; endCursor?: string } } {
  const filter = req.filter ?? {};
  for (const key of Object.keys(filter)) {
    if (!fields[key])
      throw new EngineError(
        400,
        'INVALID_ARGUMENT',
        `unsupported filter field '${key}'; supported: ${Object.keys(fields).join(', ')}`,
      );
  }
  let out = rows.filter((row) =>
    Object.entries(filter).every(
      ([k, prop]) => prop === undefined || matchProperty(fields[k]!(row), prop),
    ),
  );
  for (const s of [...(req.sort ?? [])].reverse()) {
    const get = fields[s.field];
    if (!get) throw new EngineError(400, 'INVALID_ARGUMENT', `unsupported sort field '${s.field}'`);
    const dir = s.order?.toUpperCase() === 'DESC' ? -1 : 1;
    out = [...out].sort((a, b) => dir * compare(get(a), get(b)));
  }
  const total = out.length;
  const limit = req.page?.limit ?? 100;
  let from = req.page?.from ?? 0;
  if (req.page?.after) from = decodeCursor(req.page.after) + 1;
  if (req.page?.before) from = Math.max(0, decodeCursor(req.page.before) - limit);
  const items = out.slice(from, from + limit);
  return {
    items,
    page: {
      totalItems: total,
      ...(items.length
        ? { startCursor: encodeCursor(from), endCursor: encodeCursor(from + items.length - 1) }
        : {}),
    },
  };
}

function encodeCursor(n: number): string {
  return Buffer.from(`o:${n}`).toString('base64');
}

function decodeCursor(c: string): number {
  const m = /^o:(\d+)$/.exec(Buffer.from(c, 'base64').toString());
  if (!m) throw new EngineError(400, 'INVALID_ARGUMENT', `invalid page cursor '${c}'`);
  return Number(m[1]);
}
