import { type AppAbility, subject } from '../../auth/abilities';
import type { CatalogSubjectName } from '../../auth/authorization-table';
import { NotFoundError } from '../../lib/errors';
import { CatalogForbiddenError } from './catalog.errors';
import type { ResourceKind } from './catalog.model';
import { type Place, placeFields } from './places';

/**
 * The catalog's checks against the caller's CASL ability (server/auth/authorization-table.ts):
 * reading a place's versions needs `read` on `Process`/`Form` there, deploying needs `create`.
 */

/** The CASL subject of a kind of catalog entry. */
export function subjectOf(kind: ResourceKind): CatalogSubjectName {
  return kind === 'process' ? 'Process' : 'Form';
}

/** True when `ability` may read `kind` versions at `place`. */
export function canRead(ability: AppAbility, kind: ResourceKind, place: Place): boolean {
  return ability.can('read', subject(subjectOf(kind), placeFields(place)));
}

/** Refuses (404, as if absent) unless `ability` may read `kind` versions at `place`. */
export function assertRead(ability: AppAbility, kind: ResourceKind, place: Place): void {
  if (!canRead(ability, kind, place)) throw new NotFoundError(`${kind} versions at ${place.key}`);
}

/** Refuses unless `ability` may deploy `kind` at `place`: 404 if it cannot even read there, else 403. */
export function assertDeploy(ability: AppAbility, kind: ResourceKind, place: Place): void {
  assertRead(ability, kind, place);
  if (!ability.can('create', subject(subjectOf(kind), placeFields(place))))
    throw new CatalogForbiddenError();
}
