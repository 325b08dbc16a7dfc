import { createHash } from 'node:crypto';
import type { Database } from '../../db/connection';
import { DEFAULT_TENANT } from '../../engine/engine';
import { NotFoundError, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { orgModels, type OrgModels } from '../org/org.model';

/**
 * Where a process or form version lives (ADR 0005): the city (its templates), a county (its
 * variant) or a school (its variant). Each place has its own engine tenant, so a variant's
 * versions, timers and forms stay apart from the template's; the city's templates are the
 * engine's default tenant, where workers and the /v2 API look first.
 */

/** The levels a version can live at. */
export type PlaceLevel = 'city' | 'county' | 'school';

/**
 * A place with the ids documents carry for authorization (DESIGN.md decision 5). City-level
 * documents carry no `cityId`: the templates belong to the deployment, which serves one city.
 */
export interface Place {
  level: PlaceLevel;
  /** `city`, `county.<countyId>` or `school.<schoolId>`, as URLs name it. */
  key: string;
  cityId?: string;
  countyId?: string;
  schoolId?: string;
  /** The engine tenant of the place. */
  tenantId: string;
  /** The county's or school's name (zh-CN), for messages. */
  name?: string;
}

/** The fields a place's documents carry (for CASL conditions and list filters). */
export type PlaceFields = Pick<Place, 'level' | 'cityId' | 'countyId' | 'schoolId'>;

/** The city: the templates. */
export const CITY: Place = { level: 'city', key: 'city', tenantId: DEFAULT_TENANT };

/** Camunda's tenant id pattern. */
const TENANT_ID = /^[\w.-]{1,31}$/;

/**
 * The engine tenant of a county or school: `county.<id>` / `school.<id>` when that fits
 * Camunda's tenant id pattern (`^[\w.-]{1,31}$`), else the level and a hash of the id.
 */
export function tenantIdOf(level: 'county' | 'school', id: string): string {
  const plain = `${level}.${id}`;
  if (TENANT_ID.test(plain)) return plain;
  return `${level}.h${createHash('sha256').update(id).digest('hex').slice(0, 22)}`;
}

/** The place's name in zh-CN: 市级模板, 县区 源汇区, 学校 源汇区演示第一小学. */
export function placeName(place: Place): string {
  if (place.level === 'city') return t('catalog.place.city');
  return t(`catalog.place.${place.level}`, { name: place.name ?? place.key });
}

/** The fields of a place, for documents stored at it. */
export function placeFields(place: Place): PlaceFields {
  return {
    level: place.level,
    ...(place.cityId ? { cityId: place.cityId } : {}),
    ...(place.countyId ? { countyId: place.countyId } : {}),
    ...(place.schoolId ? { schoolId: place.schoolId } : {}),
  };
}

/** Looks places up in the organisation. */
export class Places {
  private readonly org: OrgModels;

  constructor(db: Database) {
    this.org = orgModels(db.connection);
  }

  /** The place a URL names (`city`, `county.<id>`, `school.<id>`); 404 when it does not exist. */
  async byKey(key: string): Promise<Place> {
    if (key === 'city') return CITY;
    const dot = key.indexOf('.');
    const level = key.slice(0, dot);
    const id = key.slice(dot + 1);
    if (dot < 0 || !id) throw new UserError(400, 'PLACE_INVALID', 'catalog.place_invalid');
    if (level === 'school') return this.school(id);
    if (level === 'county') return this.county(id);
    throw new UserError(400, 'PLACE_INVALID', 'catalog.place_invalid');
  }

  /** A school's place (with its county and city). */
  async school(schoolId: string): Promise<Place> {
    const school = await this.org.schools.findById(schoolId).lean();
    if (!school) throw new NotFoundError(`school ${schoolId}`, 'SCHOOL_NOT_FOUND');
    return {
      level: 'school',
      key: `school.${school._id}`,
      cityId: school.cityId,
      countyId: school.countyId,
      schoolId: school._id,
      tenantId: tenantIdOf('school', school._id),
      name: school.name,
    };
  }

  /** A county's place (with its city). */
  async county(countyId: string): Promise<Place> {
    const county = await this.org.counties.findById(countyId).lean();
    if (!county) throw new NotFoundError(`county ${countyId}`, 'COUNTY_NOT_FOUND');
    return {
      level: 'county',
      key: `county.${county._id}`,
      cityId: county.cityId,
      countyId: county._id,
      tenantId: tenantIdOf('county', county._id),
      name: county.name,
    };
  }

  /** The places above `place`, nearest first: a school's county and the city; a county's city. */
  async ancestors(place: Place): Promise<Place[]> {
    if (place.level === 'school') return [await this.county(place.countyId!), CITY];
    if (place.level === 'county') return [CITY];
    return [];
  }
}
