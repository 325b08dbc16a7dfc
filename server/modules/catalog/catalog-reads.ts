import { accessibleQuery, type AppAbility } from '../../auth/abilities';
import { NotFoundError } from '../../lib/errors';
import type { LintProblem } from '../../lint/policy-lint';
import { assertRead, subjectOf } from './catalog.abilities';
import type { CatalogCore } from './catalog-core';
import type { CatalogHeadDoc, CatalogVersionDoc, ResourceKind } from './catalog.model';
import type { HeadItem, ListQuery, VersionSummary } from './catalog.schema';
import type { Place } from './places';
import type { VersionMeta } from './version-store';

/**
 * The read side both processes and forms share: the current versions a caller may see, a
 * place's version list, one version, and resolving `3` / `city@3` to a version.
 */

/** The current version at every place `ability` may read, filtered by the query. */
export async function listHeads(
  core: CatalogCore,
  ability: AppAbility,
  kind: ResourceKind,
  q: ListQuery,
): Promise<{ items: HeadItem[] }> {
  const allowed = accessibleQuery(ability, 'read', subjectOf(kind));
  if (!allowed) return { items: [] };
  const filters: Record<string, unknown>[] = [allowed];
  if (q.id) filters.push({ resourceId: q.id });
  if (q.place) filters.push({ place: q.place });
  if (q.level) filters.push({ level: q.level });
  const heads = await core.store.heads(kind, { $and: filters });
  return { items: heads.map(headItemOf) };
}

/** Every version of `resourceId` at `place`, newest first; 404 when none or not readable. */
export async function listVersions(
  core: CatalogCore,
  ability: AppAbility,
  kind: ResourceKind,
  place: Place,
  resourceId: string,
): Promise<{ items: VersionSummary[] }> {
  assertRead(ability, kind, place);
  const rows = await core.store.list(kind, place.key, resourceId);
  if (rows.length === 0)
    throw new NotFoundError(`${kind} ${resourceId} at ${place.key}`, 'CATALOG_NOT_FOUND');
  return { items: rows.map(summaryOf) };
}

/** One version with its content; 404 when it does not exist or is not readable. */
export async function getVersion(
  core: CatalogCore,
  ability: AppAbility,
  kind: ResourceKind,
  place: Place,
  resourceId: string,
  version: number,
): Promise<CatalogVersionDoc> {
  assertRead(ability, kind, place);
  const doc = await core.store.get(kind, place.key, resourceId, version);
  if (!doc)
    throw new NotFoundError(
      `${kind} ${resourceId} v${version} at ${place.key}`,
      'VERSION_NOT_FOUND',
    );
  return doc;
}

/** Reads `3` (at `place`) or `city@3` (elsewhere) as a version the caller may read. */
export async function versionByRef(
  core: CatalogCore,
  ability: AppAbility,
  kind: ResourceKind,
  place: Place,
  resourceId: string,
  ref: string,
): Promise<CatalogVersionDoc> {
  const at = ref.lastIndexOf('@');
  const where = at < 0 ? place : await core.places.byKey(ref.slice(0, at));
  return getVersion(core, ability, kind, where, resourceId, Number(ref.slice(at + 1)));
}

/** A version as the API shows it. */
export function summaryOf(v: VersionMeta): VersionSummary {
  return {
    id: v.resourceId,
    place: v.place,
    level: v.level,
    version: v.version,
    ...(v.name ? { name: v.name } : {}),
    tenantId: v.tenantId,
    engineKey: v.engineKey,
    engineVersion: v.engineVersion,
    comment: v.comment,
    action: v.action,
    ...(v.rollbackOf !== undefined ? { rollbackOf: v.rollbackOf } : {}),
    basedOn: v.basedOn ?? [],
    warnings: JSON.parse(v.warnings || '[]') as LintProblem[],
    by: v.by,
    byName: v.byName,
    at: new Date(v.at).toISOString(),
  };
}

/** A head as the API shows it. */
export function headItemOf(h: CatalogHeadDoc): HeadItem {
  return {
    id: h.resourceId,
    place: h.place,
    level: h.level,
    version: h.version,
    ...(h.name ? { name: h.name } : {}),
    tenantId: h.tenantId,
    engineKey: h.engineKey,
    engineVersion: h.engineVersion,
    by: h.by,
    byName: h.byName,
    at: new Date(h.at).toISOString(),
  };
}
