import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of the audit log, for `Database.ensureCollections`. */
export const AUDIT_COLLECTIONS = { entries: 'audit_log' } as const;

/** Where an administrative action happened: the city (templates), a county or a school. */
export type AuditLevel = 'city' | 'county' | 'school';

/**
 * One administrative action: append-only, never updated or deleted. `_id` is
 * `<ms, zero-padded>:<uuid>`, so entries sort by time on the one index FerretDB 1.24 serves
 * (ADR 0003) and concurrent writers never touch one document.
 */
export interface AuditEntryDoc {
  _id: string;
  at: Date;
  /** Who: a user id, or `system` for what the server does by itself (templates at start). */
  by: string;
  byName: string;
  /** What, e.g. `process.deploy`, `process.rollback`, `form.deploy`, `membership.add`. */
  action: string;
  /** Where: the level and the ids of the place (the tenant). */
  level: AuditLevel;
  cityId?: string;
  countyId?: string;
  schoolId?: string;
  /** The place as the catalog names it: `city`, `county.<id>`, `school.<id>`. */
  place: string;
  /** What it was done to. */
  targetType: string;
  targetId: string;
  targetVersion?: number;
  /** One line in zh-CN. */
  summary: string;
  /** Details as JSON text (nested data stays out of the document, ADR 0004). */
  details?: string;
}

/** The audit log's models. */
export interface AuditModels {
  entries: Model<AuditEntryDoc>;
}

const entrySchema = new Schema<AuditEntryDoc>(
  {
    _id: String,
    at: { type: Date, required: true },
    by: { type: String, required: true },
    byName: { type: String, required: true },
    action: { type: String, required: true },
    level: { type: String, required: true },
    cityId: String,
    countyId: String,
    schoolId: String,
    place: { type: String, required: true },
    targetType: { type: String, required: true },
    targetId: { type: String, required: true },
    targetVersion: Number,
    summary: { type: String, required: true },
    details: String,
  },
  { versionKey: false },
);

/** Registers (once) and returns the audit log's models on `connection`. */
export function auditModels(connection: Connection): AuditModels {
  return {
    entries: registerModel(connection, 'AuditEntry', entrySchema, AUDIT_COLLECTIONS.entries),
  };
}
