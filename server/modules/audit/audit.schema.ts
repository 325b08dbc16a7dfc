import { z } from 'zod';

const place = z.string().regex(/^(city|county\.[\w.-]{1,64}|school\.[\w.-]{1,64})$/);

/** `GET /api/audit` query. */
export const listAuditQuery = z.strictObject({
  action: z.string().min(1).max(64).optional(),
  place: place.optional(),
  targetId: z.string().min(1).max(100).optional(),
  by: z.string().min(1).max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  page: z.coerce.number().int().min(1).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListAuditQuery = z.infer<typeof listAuditQuery>;

/** One entry as `GET /api/audit` returns it. */
export const auditEntry = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  by: z.string(),
  byName: z.string(),
  action: z.string(),
  level: z.enum(['city', 'county', 'school']),
  cityId: z.string().optional(),
  countyId: z.string().optional(),
  schoolId: z.string().optional(),
  place: z.string(),
  target: z.object({
    type: z.string(),
    id: z.string(),
    version: z.number().int().optional(),
  }),
  summary: z.string(),
  details: z.unknown().optional(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

/** `GET /api/audit` response. */
export const auditPage = z.object({
  items: z.array(auditEntry),
  page: z.number().int(),
  size: z.number().int(),
  total: z.number().int(),
});
