import { randomUUID } from 'node:crypto';
import { accessibleQuery, type AppAbility } from '../../auth/abilities';
import type { AuditEntryDoc, AuditLevel, AuditModels } from './audit.model';
import type { AuditEntry, ListAuditQuery } from './audit.schema';

/** Who did an administrative action. */
export interface AuditActor {
  userId: string;
  displayName: string;
}

/** What {@link AuditLog.record} takes. */
export interface AuditRecord {
  actor: AuditActor;
  /** e.g. `process.deploy`, `process.rollback`, `form.deploy`, `membership.add`. */
  action: string;
  /** The place (tenant) it happened at. */
  place: {
    level: AuditLevel;
    key: string;
    cityId?: string;
    countyId?: string;
    schoolId?: string;
  };
  target: { type: string; id: string; version?: number };
  /** One line in zh-CN. */
  summary: string;
  details?: unknown;
}

/**
 * The audit log of administrative actions (deploys, rollbacks, form changes, role changes):
 * append-only. Other modules call {@link record}; admins read it through `GET /api/audit`,
 * filtered by their CASL ability (a school admin their school, a county bureau its county, the
 * city bureau everything).
 */
export class AuditLog {
  constructor(
    private readonly m: AuditModels,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Appends one entry; returns it as the API shows it. */
  async record(r: AuditRecord): Promise<AuditEntry> {
    const at = this.now();
    const doc: AuditEntryDoc = {
      _id: `${String(at.getTime()).padStart(15, '0')}:${randomUUID()}`,
      at,
      by: r.actor.userId,
      byName: r.actor.displayName,
      action: r.action,
      level: r.place.level,
      ...(r.place.cityId ? { cityId: r.place.cityId } : {}),
      ...(r.place.countyId ? { countyId: r.place.countyId } : {}),
      ...(r.place.schoolId ? { schoolId: r.place.schoolId } : {}),
      place: r.place.key,
      targetType: r.target.type,
      targetId: r.target.id,
      ...(r.target.version !== undefined ? { targetVersion: r.target.version } : {}),
      summary: r.summary,
      ...(r.details !== undefined ? { details: JSON.stringify(r.details) } : {}),
    };
    await this.m.entries.create(doc);
    return view(doc);
  }

  /** One page of the entries `ability` may read, newest first. */
  async list(
    ability: AppAbility,
    q: ListAuditQuery,
  ): Promise<{ items: AuditEntry[]; page: number; size: number; total: number }> {
    const allowed = accessibleQuery(ability, 'read', 'AuditEntry');
    if (!allowed) return { items: [], page: q.page, size: q.size, total: 0 };
    const filters: Record<string, unknown>[] = [allowed];
    if (q.action) filters.push({ action: q.action });
    if (q.place) filters.push({ place: q.place });
    if (q.targetId) filters.push({ targetId: q.targetId });
    if (q.by) filters.push({ by: q.by });
    // `_id` starts with the time: range filters on it stay on the index
    if (q.from) filters.push({ _id: { $gte: String(Date.parse(q.from)).padStart(15, '0') } });
    if (q.to) filters.push({ _id: { $lt: String(Date.parse(q.to) + 1).padStart(15, '0') } });
    const filter = { $and: filters };
    const [rows, total] = await Promise.all([
      this.m.entries
        .find(filter)
        .sort({ _id: -1 })
        .skip((q.page - 1) * q.size)
        .limit(q.size)
        .lean(),
      this.m.entries.countDocuments(filter),
    ]);
    return { items: rows.map(view), page: q.page, size: q.size, total };
  }
}

// helpers //////////

function view(doc: AuditEntryDoc): AuditEntry {
  return {
    id: doc._id,
    at: doc.at.toISOString(),
    by: doc.by,
    byName: doc.byName,
    action: doc.action,
    level: doc.level,
    ...(doc.cityId ? { cityId: doc.cityId } : {}),
    ...(doc.countyId ? { countyId: doc.countyId } : {}),
    ...(doc.schoolId ? { schoolId: doc.schoolId } : {}),
    place: doc.place,
    target: {
      type: doc.targetType,
      id: doc.targetId,
      ...(doc.targetVersion !== undefined ? { version: doc.targetVersion } : {}),
    },
    summary: doc.summary,
    ...(doc.details !== undefined ? { details: JSON.parse(doc.details) as unknown } : {}),
  };
}
