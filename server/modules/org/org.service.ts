import type { Database } from '../../db/connection';
import type { Principal } from '../../auth/principal';
import type { Membership, Role } from '../../auth/roles';
import { scopeLevel } from '../../auth/roles';
import type { ListClassesQuery, ListSchoolsQuery, ListStudentsQuery } from './org.schema';
import { type OrgModels, orgModels, type StudentDoc } from './org.model';

/** One page of a list. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A school in a list. */
export interface SchoolItem {
  id: string;
  cityId: string;
  countyId: string;
  name: string;
  stage: string;
}

/** A class in a list. */
export interface ClassItem {
  id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  gradeId: string;
  level: number;
  number: number;
  name: string;
}

/**
 * A student in a list. Lists never carry ID numbers, guardians' phones, poverty registration or
 * disability: those are for the few who need them, one student at a time (issue 4, field
 * rules; added with the CASL abilities).
 */
export interface StudentItem {
  id: string;
  schoolId: string;
  gradeId: string;
  classId: string;
  name: string;
  gender: 'male' | 'female';
  studentNo: string;
  enrolled: boolean;
  isInsured: boolean;
}

/** The places a principal's memberships reach, per level. */
interface Reach {
  cityIds: string[];
  countyIds: string[];
  schoolIds: string[];
  classIds: string[];
}

/** Roles that see every class and student of the place they hold them in. */
const STAFF_ROLES: readonly Role[] = [
  'classTeacher',
  'teacher',
  'schoolAdmin',
  'principal',
  'countyBureau',
  'cityBureau',
  'worker',
];

/**
 * Read-only lists of "my" schools, classes and students, derived from memberships: a bureau
 * sees its city's or county's, school staff their school's, a class teacher their class's, a
 * parent their own children. A stop-gap until the CASL abilities (`accessibleBy`) replace
 * these filters; the rows carry no field that needs field-level rules.
 */
export class OrgService {
  private readonly m: OrgModels;

  constructor(db: Database) {
    this.m = orgModels(db.connection);
  }

  /** Schools where the principal holds any membership, or that their bureau oversees. */
  async listSchools(p: Principal, q: ListSchoolsQuery): Promise<Page<SchoolItem>> {
    const reach = reachOf(p.memberships, () => true);
    const schoolIds = [...reach.schoolIds, ...p.memberships.flatMap((m) => m.scope.schoolId ?? [])];
    const or = [
      ...inFilter('cityId', reach.cityIds),
      ...inFilter('countyId', reach.countyIds),
      ...inFilter('_id', [...new Set(schoolIds)]),
    ];
    const filter = { $and: [{ $or: or }, ...(q.countyId ? [{ countyId: q.countyId }] : [])] };
    if (or.length === 0) return empty(q);
    const [rows, total] = await Promise.all([
      this.m.schools.find(filter).sort({ _id: 1 }).skip(q.offset).limit(q.limit).lean(),
      this.m.schools.countDocuments(filter),
    ]);
    return {
      items: rows.map((s) => ({
        id: s._id,
        cityId: s.cityId,
        countyId: s.countyId,
        name: s.name,
        stage: s.stage,
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /** Classes of the places the principal works in, and their children's classes. */
  async listClasses(p: Principal, q: ListClassesQuery): Promise<Page<ClassItem>> {
    const reach = reachOf(p.memberships, () => true);
    const or = [
      ...inFilter('cityId', reach.cityIds),
      ...inFilter('countyId', reach.countyIds),
      ...inFilter('schoolId', reach.schoolIds),
      ...inFilter('_id', reach.classIds),
    ];
    if (or.length === 0) return empty(q);
    const filter = {
      $and: [
        { $or: or },
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.gradeId ? [{ gradeId: q.gradeId }] : []),
      ],
    };
    const [rows, total] = await Promise.all([
      this.m.classes
        .find(filter)
        .sort({ schoolId: 1, level: 1, number: 1 })
        .skip(q.offset)
        .limit(q.limit)
        .lean(),
      this.m.classes.countDocuments(filter),
    ]);
    return {
      items: rows.map((c) => ({
        id: c._id,
        cityId: c.cityId,
        countyId: c.countyId,
        schoolId: c.schoolId,
        gradeId: c.gradeId,
        level: c.level,
        number: c.number,
        name: c.name,
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /** Students of the places where the principal is staff, and their own children. */
  async listStudents(
    p: Principal,
    q: ListStudentsQuery,
    now = new Date(),
  ): Promise<Page<StudentItem>> {
    const reach = reachOf(p.memberships, (m) => STAFF_ROLES.includes(m.role));
    const isParent = p.memberships.some((m) => m.role === 'parent');
    const or: object[] = [
      ...inFilter('cityId', reach.cityIds),
      ...inFilter('countyId', reach.countyIds),
      ...inFilter('schoolId', reach.schoolIds),
      ...inFilter('classId', reach.classIds),
      ...(isParent ? [{ 'guardians.userId': p.userId }] : []),
    ];
    if (or.length === 0) return empty(q);
    const filter = {
      $and: [
        { $or: or },
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.gradeId ? [{ gradeId: q.gradeId }] : []),
        ...(q.classId ? [{ classId: q.classId }] : []),
      ],
    };
    const [rows, total] = await Promise.all([
      this.m.students
        .find(filter, {
          name: 1,
          gender: 1,
          studentNo: 1,
          schoolId: 1,
          gradeId: 1,
          classId: 1,
          enrolled: 1,
          insurance: 1,
        })
        .sort({ classId: 1, studentNo: 1 })
        .skip(q.offset)
        .limit(q.limit)
        .lean<StudentDoc[]>(),
      this.m.students.countDocuments(filter),
    ]);
    return {
      items: rows.map((s) => ({
        id: s._id,
        schoolId: s.schoolId,
        gradeId: s.gradeId,
        classId: s.classId,
        name: s.name,
        gender: s.gender,
        studentNo: s.studentNo,
        enrolled: s.enrolled,
        isInsured: Boolean(s.insurance && s.insurance.validUntil > now),
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }
}

// helpers //////////

function reachOf(memberships: readonly Membership[], include: (m: Membership) => boolean): Reach {
  const reach: Reach = { cityIds: [], countyIds: [], schoolIds: [], classIds: [] };
  for (const m of memberships) {
    if (!include(m)) continue;
    const s = m.scope;
    switch (scopeLevel(s)) {
      case 'city':
        reach.cityIds.push(s.cityId);
        break;
      case 'county':
        reach.countyIds.push(s.countyId!);
        break;
      case 'school':
        reach.schoolIds.push(s.schoolId!);
        break;
      case 'class':
        reach.classIds.push(s.classId!);
        break;
    }
  }
  return reach;
}

function inFilter(field: string, ids: string[]): object[] {
  const unique = [...new Set(ids)];
  return unique.length ? [{ [field]: { $in: unique } }] : [];
}

function empty<T>(q: { limit: number; offset: number }): Page<T> {
  return { items: [], total: 0, limit: q.limit, offset: q.offset };
}
