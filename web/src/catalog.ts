import { api } from './api';
import type { Me } from './session';

/** A place as the catalog names it: `city`, `county.<id>`, `school.<id>`. */
export type Place = string;

/** The current version of a process or form at one place (`GET /api/catalog/…`). */
export interface HeadItem {
  id: string;
  place: Place;
  level: 'city' | 'county' | 'school';
  version: number;
  name?: string;
  by: string;
  byName: string;
  at: string;
}

/** One policy-lint problem. */
export interface LintProblem {
  elementId: string;
  rule: string;
  lintRule: string;
  severity: 'error' | 'warn';
  message: string;
  detail?: string;
}

/** A version as lists show it. */
export interface VersionSummary {
  id: string;
  place: Place;
  level: string;
  version: number;
  name?: string;
  comment: string;
  action: 'load' | 'deploy' | 'rollback';
  rollbackOf?: number;
  basedOn: string[];
  warnings: LintProblem[];
  by: string;
  byName: string;
  at: string;
}

/** `GET …/diff`. */
export interface DiffResponse {
  from: { place: Place; version: number };
  to: { place: Place; version: number };
  elements: {
    added: { id: string; type: string; name?: string }[];
    removed: { id: string; type: string; name?: string }[];
    changed: {
      id: string;
      type: string;
      name?: string;
      attributes: { name: string; before: string | null; after: string | null }[];
    }[];
  };
  unified: string;
}

/** The places where the signed-in person may deploy, most specific first. */
export function ownPlaces(me: Me): Place[] {
  const places: Place[] = [];
  for (const m of me.memberships) {
    if ((m.role === 'schoolAdmin' || m.role === 'principal') && m.scope.schoolId)
      places.push(`school.${m.scope.schoolId}`);
    if (m.role === 'countyBureau' && m.scope.countyId) places.push(`county.${m.scope.countyId}`);
    if (m.role === 'cityBureau') places.push('city');
  }
  return [...new Set(places)];
}

/** The places above `place` that a variant there starts from, nearest first. */
export function placesAbove(place: Place, me: Me): Place[] {
  if (place === 'city') return [];
  if (place.startsWith('county.')) return ['city'];
  const schoolId = place.slice('school.'.length);
  const countyId = me.memberships.find((m) => m.scope.schoolId === schoolId)?.scope.countyId;
  return countyId ? [`county.${countyId}`, 'city'] : ['city'];
}

const schoolNames = new Map<string, string>();
const countyNames = new Map<string, string>();
let namesLoaded = false;

/**
 * Learns the names of the schools and counties the person may see, so that {@link placeName}
 * shows them.
 */
export async function loadPlaceNames(): Promise<void> {
  if (namesLoaded) return;
  const [schools, counties] = await Promise.all([
    api<{ items: { id: string; name: string }[] }>('GET', '/api/org/schools?limit=200').catch(
      () => ({ items: [] }),
    ),
    api<{ items: { id: string; name: string }[] }>('GET', '/api/org/counties').catch(() => ({
      items: [],
    })),
  ]);
  for (const s of schools.items) schoolNames.set(s.id, s.name);
  for (const c of counties.items) countyNames.set(c.id, c.name);
  namesLoaded = schoolNames.size + countyNames.size > 0;
}

/** The zh-CN name of a place. */
export function placeName(place: Place): string {
  if (place === 'city') return '全市模板';
  if (place.startsWith('county.')) {
    const countyId = place.slice('county.'.length);
    return `县区版本（${countyNames.get(countyId) ?? countyId}）`;
  }
  const schoolId = place.slice('school.'.length);
  return `学校版本（${schoolNames.get(schoolId) ?? schoolId}）`;
}

/**
 * What an editor at `place` starts from: the place's current version, else the nearest
 * version above it (a new variant copies it; `baseVersion` 0 says there was none here).
 */
export async function startingPoint<T>(
  kind: 'processes' | 'forms',
  id: string,
  place: Place,
  me: Me,
): Promise<{ from: Place; version: number; detail: T; baseVersion: number } | undefined> {
  const base = `/api/catalog/${kind}/${encodeURIComponent(id)}`;
  for (const at of [place, ...placesAbove(place, me)]) {
    const versions = await api<{ items: VersionSummary[] }>('GET', `${base}/${at}/versions`).catch(
      () => ({ items: [] as VersionSummary[] }),
    );
    const head = versions.items[0];
    if (!head) continue;
    const detail = await api<T>('GET', `${base}/${at}/versions/${head.version}`);
    return {
      from: at,
      version: head.version,
      detail,
      baseVersion: at === place ? head.version : 0,
    };
  }
  return undefined;
}
