import type { Database } from '../../db/connection';
import { accessibleQuery, type AppAbility, permittedFields, subject } from '../../auth/abilities';
import { NotFoundError } from '../../lib/errors';
import type { ListClassesQuery, ListSchoolsQuery, ListStudentsQuery } from './org.schema';
import { type OrgModels, orgModels, type StudentDoc } from './org.model';

/** One page of a list. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A county in a list. */
export interface CountyItem {
  id: string;
  cityId: string;
  name: string;
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
 * disability: those are for the few who need them, one student at a time
 * ({@link OrgService.getStudent}).
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

/**
 * A student shown alone (`GET /api/org/students/:id`): the list fields plus, for those the
 * abilities allow (server/auth/authorization-table.ts), the personal ones.
 */
export interface StudentDetail extends StudentItem {
  cityId: string;
  countyId: string;
  idNumber?: string;
  guardians?: { relation: string; name: string; phone: string }[];
  povertyRegistered?: boolean;
  priorityGroups?: StudentDoc['priorityGroups'];
}

/** The fields a list row may carry; personal fields never appear in a list. */
const STUDENT_LIST_FIELDS: readonly string[] = [
  'id',
  'schoolId',
  'gradeId',
  'classId',
  'name',
  'gender',
  'studentNo',
  'enrolled',
  'isInsured',
];

/**
 * Schools, classes and students as the caller's ability allows: every list filters with the
 * ability's query ({@link accessibleQuery}), every single read checks the document, and
 * students show only their permitted fields.
 */
export class OrgService {
  private readonly m: OrgModels;

  constructor(db: Database) {
    this.m = orgModels(db.connection);
  }

  /**
   * The counties of the schools `ability` may read (a school's people see their own county, a
   * county bureau its county, the city bureau every county with a school), by name.
   */
  async listCounties(ability: AppAbility): Promise<{ items: CountyItem[] }> {
    const allowed = accessibleQuery(ability, 'read', 'School');
    if (!allowed) return { items: [] };
    const schools = await this.m.schools.find(allowed).select({ countyId: 1 }).lean();
    const ids = [...new Set(schools.map((s) => s.countyId))].sort();
    // exact `_id` lookups: the only ones FerretDB 1.24 answers from an index
    const counties = await Promise.all(ids.map((id) => this.m.counties.findById(id).lean()));
    return {
      items: counties
        .filter((c) => c !== null)
        .map((c) => ({ id: c._id, cityId: c.cityId, name: c.name })),
    };
  }

  /** The schools `ability` may read. */
  async listSchools(ability: AppAbility, q: ListSchoolsQuery): Promise<Page<SchoolItem>> {
    const allowed = accessibleQuery(ability, 'read', 'School');
    if (!allowed) return empty(q);
    const filter = { $and: [allowed, ...(q.countyId ? [{ countyId: q.countyId }] : [])] };
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

  /** The classes `ability` may read. */
  async listClasses(ability: AppAbility, q: ListClassesQuery): Promise<Page<ClassItem>> {
    const allowed = accessibleQuery(ability, 'read', 'Class');
    if (!allowed) return empty(q);
    const filter = {
      $and: [
        allowed,
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

  /** The students `ability` may read, without personal fields. */
  async listStudents(
    ability: AppAbility,
    q: ListStudentsQuery,
    now = new Date(),
  ): Promise<Page<StudentItem>> {
    const allowed = accessibleQuery(ability, 'read', 'Student');
    if (!allowed) return empty(q);
    const filter = {
      $and: [
        allowed,
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.gradeId ? [{ gradeId: q.gradeId }] : []),
        ...(q.classId ? [{ classId: q.classId }] : []),
      ],
    };
    const [rows, total] = await Promise.all([
      this.m.students
        .find(filter)
        .sort({ classId: 1, studentNo: 1 })
        .skip(q.offset)
        .limit(q.limit)
        .lean<StudentDoc[]>(),
      this.m.students.countDocuments(filter),
    ]);
    return {
      items: rows.map((s) => {
        const fields = permittedFields(ability, 'read', 'Student', s).filter((f) =>
          STUDENT_LIST_FIELDS.includes(f),
        );
        return pick(studentView(s, now), fields) as unknown as StudentItem;
      }),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /**
   * One student with the fields `ability` permits. 404 both when it does not exist and when
   * the caller may not read it, so ids of other schools' children reveal nothing.
   */
  async getStudent(ability: AppAbility, id: string, now = new Date()): Promise<StudentDetail> {
    const doc = await this.m.students.findById(id).lean<StudentDoc>();
    if (!doc || !ability.can('read', subject('Student', doc))) throw new NotFoundError();
    return pick(
      studentView(doc, now),
      permittedFields(ability, 'read', 'Student', doc),
    ) as unknown as StudentDetail;
  }
}

// helpers //////////

/** Every field of a student as the API shows it; callers pick the permitted ones. */
function studentView(s: StudentDoc, now: Date): Record<string, unknown> {
  return {
    id: s._id,
    cityId: s.cityId,
    countyId: s.countyId,
    schoolId: s.schoolId,
    gradeId: s.gradeId,
    classId: s.classId,
    name: s.name,
    gender: s.gender,
    studentNo: s.studentNo,
    enrolled: s.enrolled,
    isInsured: Boolean(s.insurance && new Date(s.insurance.validUntil) > now),
    idNumber: s.idNumber,
    guardians: (s.guardians ?? []).map((g) => ({
      relation: g.relation,
      name: g.name,
      phone: g.phone,
    })),
    povertyRegistered: s.povertyRegistered,
    priorityGroups: {
      disabled: s.priorityGroups?.disabled ?? false,
      leftBehind: s.priorityGroups?.leftBehind ?? false,
      migrantWorkerChild: s.priorityGroups?.migrantWorkerChild ?? false,
      financialDifficulty: s.priorityGroups?.financialDifficulty ?? false,
    },
  };
}

function pick(view: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in view) out[f] = view[f];
  return out;
}

function empty<T>(q: { limit: number; offset: number }): Page<T> {
  return { items: [], total: 0, limit: q.limit, offset: q.offset };
}
