import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/**
 * The organisation: city → county (县区) → school → grade → class, and the students. Every
 * document carries the ids of everything it belongs to (cityId, countyId, schoolId, gradeId,
 * classId), so an authorization condition or a list filter never needs a join
 * (DESIGN.md decision 5). Ids are strings without `:` (they appear inside group names).
 */

/** The collections of the organisation, for `Database.ensureCollections`. */
export const ORG_COLLECTIONS = {
  cities: 'cities',
  counties: 'counties',
  schools: 'schools',
  grades: 'grades',
  classes: 'classes',
  students: 'students',
} as const;

/** A city (地市) and its education bureau. */
export interface CityDoc {
  _id: string;
  name: string;
  /** Administrative division code (行政区划代码), e.g. 411100. */
  code: string;
}

/** A county or district (县区) of a city. */
export interface CountyDoc {
  _id: string;
  cityId: string;
  name: string;
  code: string;
}

/** School stages: 小学 (grades 1–6), 初中 (7–9), 九年一贯制 (1–9). */
export type SchoolStage = 'primary' | 'junior' | 'nineYear';

/** A school. */
export interface SchoolDoc {
  _id: string;
  cityId: string;
  countyId: string;
  name: string;
  stage: SchoolStage;
}

/** A grade (年级) of a school, 1–9. */
export interface GradeDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  level: number;
  name: string;
}

/** A class (班级). */
export interface ClassDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  gradeId: string;
  /** The grade's level, copied so class lists sort without a lookup. */
  level: number;
  /** The class number within its grade (三年级 2 班 → 2). */
  number: number;
  name: string;
}

/** How a guardian is related to the student. */
export type GuardianRelation = 'father' | 'mother' | 'grandfather' | 'grandmother' | 'other';

/** A guardian (监护人) of a student; `userId` links the parent's account when there is one. */
export interface Guardian {
  userId?: string;
  relation: GuardianRelation;
  name: string;
  phone: string;
}

/** The groups placed first when places are short (ELIG-PRIORITY). */
export interface PriorityGroups {
  /** 残疾儿童 */
  disabled: boolean;
  /** 留守儿童 */
  leftBehind: boolean;
  /** 进城务工人员随迁子女 */
  migrantWorkerChild: boolean;
  /** 家庭经济困难子女 */
  financialDifficulty: boolean;
}

/** Accident insurance (意外伤害保险, SAFE-INSURE). */
export interface Insurance {
  insurer: string;
  policyNo: string;
  validUntil: Date;
}

/** A student. Personal data: name, idNumber, guardians' phones, poverty and disability. */
export interface StudentDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  gradeId: string;
  classId: string;
  name: string;
  gender: 'male' | 'female';
  /** School roll number (学籍号), unique within the school. */
  studentNo: string;
  /** Resident ID number (身份证号). */
  idNumber: string;
  guardians: Guardian[];
  priorityGroups: PriorityGroups;
  /** Registered poor household (建档立卡贫困家庭): served free (FEE-FREE-POOR). */
  povertyRegistered: boolean;
  insurance?: Insurance;
  /** Enrolled at the school now (ELIG-ENROLLED). */
  enrolled: boolean;
}

/** The organisation's models, registered on one connection. */
export interface OrgModels {
  cities: Model<CityDoc>;
  counties: Model<CountyDoc>;
  schools: Model<SchoolDoc>;
  grades: Model<GradeDoc>;
  classes: Model<ClassDoc>;
  students: Model<StudentDoc>;
}

const options = { versionKey: false, timestamps: true } as const;

const citySchema = new Schema<CityDoc>(
  { _id: String, name: { type: String, required: true }, code: { type: String, required: true } },
  options,
);

const countySchema = new Schema<CountyDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    name: { type: String, required: true },
    code: { type: String, required: true },
  },
  options,
);

const schoolSchema = new Schema<SchoolDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    name: { type: String, required: true },
    stage: { type: String, enum: ['primary', 'junior', 'nineYear'], required: true },
  },
  options,
);

const gradeSchema = new Schema<GradeDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    level: { type: Number, required: true, min: 1, max: 12 },
    name: { type: String, required: true },
  },
  options,
);

const classSchema = new Schema<ClassDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    gradeId: { type: String, required: true },
    level: { type: Number, required: true },
    number: { type: Number, required: true },
    name: { type: String, required: true },
  },
  options,
);

const guardianSchema = new Schema<Guardian>(
  {
    userId: String,
    relation: {
      type: String,
      enum: ['father', 'mother', 'grandfather', 'grandmother', 'other'],
      required: true,
    },
    name: { type: String, required: true },
    phone: { type: String, required: true },
  },
  { _id: false },
);

const studentSchema = new Schema<StudentDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    gradeId: { type: String, required: true },
    classId: { type: String, required: true },
    name: { type: String, required: true },
    gender: { type: String, enum: ['male', 'female'], required: true },
    studentNo: { type: String, required: true },
    idNumber: { type: String, required: true },
    guardians: { type: [guardianSchema], default: [] },
    priorityGroups: {
      disabled: { type: Boolean, default: false },
      leftBehind: { type: Boolean, default: false },
      migrantWorkerChild: { type: Boolean, default: false },
      financialDifficulty: { type: Boolean, default: false },
    },
    povertyRegistered: { type: Boolean, default: false },
    insurance: {
      type: new Schema<Insurance>(
        {
          insurer: { type: String, required: true },
          policyNo: { type: String, required: true },
          validUntil: { type: Date, required: true },
        },
        { _id: false },
      ),
      required: false,
    },
    enrolled: { type: Boolean, default: true },
  },
  options,
);
// Serve class lists and a parent's children on MongoDB; FerretDB 1.24 scans these collections
// anyway (ADR 0003), which is fine at a school's size.
studentSchema.index({ classId: 1 });
studentSchema.index({ 'guardians.userId': 1 });

/** Registers (once) and returns the organisation's models on `connection`. */
export function orgModels(connection: Connection): OrgModels {
  return {
    cities: registerModel(connection, 'City', citySchema, ORG_COLLECTIONS.cities),
    counties: registerModel(connection, 'County', countySchema, ORG_COLLECTIONS.counties),
    schools: registerModel(connection, 'School', schoolSchema, ORG_COLLECTIONS.schools),
    grades: registerModel(connection, 'Grade', gradeSchema, ORG_COLLECTIONS.grades),
    classes: registerModel(connection, 'Class', classSchema, ORG_COLLECTIONS.classes),
    students: registerModel(connection, 'Student', studentSchema, ORG_COLLECTIONS.students),
  };
}
