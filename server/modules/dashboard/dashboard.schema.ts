import { z } from 'zod';
import { idSchema } from '../users/users.schema';

/** The tables of the dashboard, each exported as one worksheet. */
export const TABLE_KEYS = [
  'applications',
  'participation',
  'fees',
  'spending',
  'incidents',
  'plans',
] as const;
export type TableKey = (typeof TABLE_KEYS)[number];

/** `GET /api/dashboard` and its exports: which place and term. */
export const dashboardQuery = z.strictObject({
  /** Only this county's schools (within the caller's reach). */
  countyId: idSchema.optional(),
  /** Only this school (within the caller's reach). */
  schoolId: idSchema.optional(),
  /** The term of applications and plans, e.g. `2026-autumn`; default the latest one seen. */
  term: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,40}$/)
    .optional(),
});
export type DashboardQuery = z.infer<typeof dashboardQuery>;

/** `GET /api/dashboard/export/:table`: one table, or `all` of them as one workbook. */
export const exportParams = z.strictObject({ table: z.enum([...TABLE_KEYS, 'all']) });

/** `GET /api/dashboard/annex/:annex`: the register of Annex 1 or Annex 2. */
export const annexParams = z.strictObject({ annex: z.enum(['1', '2']) });

// responses //////////

const fen = z.number().int();
const count = z.number().int();

/** The figures of one school, or summed over a county or the city. */
export const figures = z.object({
  /** Applications by state (submitted, placed, waiting, enrolled, refused, …). */
  applications: z.record(z.string(), count),
  applicationsTotal: count,
  /** Students enrolled at the school (ELIG-ENROLLED). */
  students: count,
  /** Distinct children placed or enrolled this term. */
  participants: count,
  /** participants ÷ students; null without students. */
  participationRate: z.number().nullable(),
  /** Applications of children in a priority group (ELIG-PRIORITY), and how many were placed. */
  priorityApplied: count,
  priorityPlaced: count,
  priorityShare: z.number().nullable(),
  billCount: count,
  billedFen: fen,
  paidCount: count,
  paidFen: fen,
  waivedCount: count,
  outstandingFen: fen,
  refundFen: fen,
  /** Ledger spending by category (FEE-EARMARK), fen. */
  spending: z.record(z.string(), fen),
  spendingFen: fen,
  /** Incidents by severity (minor, moderate, serious, critical). */
  incidents: z.record(z.string(), count),
  incidentsTotal: count,
  /** Schools with a filed plan for the term, and those without one (一校一案). */
  plansFiled: count,
  plansMissing: count,
});

/** One row of the dashboard: a school, a county's total, or the city's. */
export const dashboardRow = figures.extend({
  level: z.enum(['school', 'county', 'city']),
  countyId: z.string().nullable(),
  countyName: z.string(),
  schoolId: z.string().nullable(),
  schoolName: z.string(),
  /** The school's plan for the term (schools only): filed, submitted, draft or missing. */
  plan: z
    .object({
      status: z.enum(['filed', 'submitted', 'draft', 'missing']),
      filingNo: z.string().nullable(),
    })
    .nullable(),
});

/** A table as shown and exported: zh-CN headers, one row per school and per total. */
export const dashboardTable = z.object({
  key: z.enum(TABLE_KEYS),
  title: z.string(),
  columns: z.array(
    z.object({
      key: z.string(),
      label: z.string(),
      kind: z.enum(['text', 'int', 'yuan', 'percent']),
    }),
  ),
  rows: z.array(
    z.object({
      level: z.enum(['school', 'county', 'city']),
      /** Cells in column order: text, counts, yuan (fen ÷ 100) or a share 0…1 (null: none). */
      cells: z.array(z.union([z.string(), z.number(), z.null()])),
    }),
  ),
});

/** `GET /api/dashboard`. */
export const dashboardView = z.object({
  term: z.string().nullable(),
  generatedAt: z.string(),
  rows: z.array(dashboardRow),
  tables: z.array(dashboardTable),
});

export type Figures = z.infer<typeof figures>;
export type DashboardRow = z.infer<typeof dashboardRow>;
export type DashboardTable = z.infer<typeof dashboardTable>;
export type DashboardView = z.infer<typeof dashboardView>;
