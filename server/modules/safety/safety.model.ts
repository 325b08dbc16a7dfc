import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice, for `Database.ensureCollections`. */
export const SAFETY_COLLECTIONS = {
  sheets: 'safety_attendance_sheets',
  records: 'safety_attendance_records',
  incidents: 'safety_incidents',
} as const;

/**
 * One session of one day as it ran (考勤表): opened by the first check-in, by the teacher who
 * ran it. `_id` is `<schoolId>:<sessionId>:<date>`, so two teachers opening the same session at
 * once make one sheet. Start and end come from the school's filed plan; they are the basis of
 * the teacher's service hours (绩效).
 */
export interface AttendanceSheetDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  sessionId: string;
  sessionName: string;
  /** 'YYYY-MM-DD', Asia/Shanghai. */
  date: string;
  /** 'HH:MM'. */
  start: string;
  end: string;
  /** The teacher who ran the session (the first to check students in). */
  teacherUserId: string;
  teacherName: string;
  /** The administrative duty person that day (行政值班, VENUE-RECORDS). */
  dutyStaffId?: string;
  openedAt: Date;
}

/** Who took a child and when (交接): a named guardian at a time, recorded by a staff member. */
export interface HandOver {
  guardianName: string;
  relation?: string;
  /** 'HH:MM', Asia/Shanghai. */
  at: string;
  byUserId: string;
  recordedAt: Date;
}

/**
 * One student's line of a sheet (SAFE-ATTEND): present or absent, and the hand-over. Carries
 * the ids of the child's place and the guardians' user ids, so CASL conditions (class teacher,
 * school, the child's own guardians) need no join. `_id` is `<sheetId>:<studentId>`.
 */
export interface AttendanceRecordDoc {
  _id: string;
  sheetId: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  gradeId: string;
  classId: string;
  sessionId: string;
  sessionName: string;
  date: string;
  studentId: string;
  studentName: string;
  guardians: { userId: string }[];
  present: boolean;
  checkedInAt: Date;
  checkedInBy: string;
  handOver?: HandOver;
  updatedAt: Date;
}

/** An incident's severity (事故等级). */
export type Severity = 'minor' | 'moderate' | 'serious' | 'critical';

/**
 * A safety incident during the service and its `safety-incident` process. The guardians of the
 * involved children read it; `classIds` holds the classes of the involved children (so each
 * of those classes' teachers reads it), `classId` the one class when every involved child is of
 * one class. The attachment of the session's attendance is the `attach-attendance` job's
 * result.
 */
export interface IncidentDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  classId?: string;
  /** The classes of the involved children (incidents reported before it existed lack it). */
  classIds?: string[];
  guardians: { userId: string }[];
  involvedStudents: { studentId: string; name: string; classId: string }[];
  occurredAt: string;
  location: string;
  sessionId?: string;
  description: string;
  injured: boolean;
  injuries?: string;
  severity: Severity;
  firstAid?: string;
  reporterPhone: string;
  reportedBy: string;
  reportedAt: Date;
  instanceKey?: string;
  attendance?: {
    recordIds: string[];
    handoverMissing: boolean;
    missing: { studentId: string; name: string; sessionId: string }[];
    /** JSON of the RuleCitation[] the check found. */
    rules: string;
    attachedAt: Date;
  };
}

/** This slice's models. */
export interface SafetyModels {
  sheets: Model<AttendanceSheetDoc>;
  records: Model<AttendanceRecordDoc>;
  incidents: Model<IncidentDoc>;
}

const opts = { versionKey: false } as const;
const str = { type: String, required: true } as const;
const date = { type: Date, required: true } as const;
const bool = { type: Boolean, required: true } as const;

const sheetSchema = new Schema<AttendanceSheetDoc>(
  {
    _id: String,
    cityId: str,
    countyId: str,
    schoolId: str,
    sessionId: str,
    sessionName: str,
    date: str,
    start: str,
    end: str,
    teacherUserId: str,
    teacherName: str,
    dutyStaffId: String,
    openedAt: date,
  },
  opts,
);

const recordSchema = new Schema<AttendanceRecordDoc>(
  {
    _id: String,
    sheetId: str,
    cityId: str,
    countyId: str,
    schoolId: str,
    gradeId: str,
    classId: str,
    sessionId: str,
    sessionName: str,
    date: str,
    studentId: str,
    studentName: str,
    guardians: [{ _id: false, userId: String }],
    present: bool,
    checkedInAt: date,
    checkedInBy: str,
    handOver: {
      type: new Schema(
        { guardianName: String, relation: String, at: String, byUserId: String, recordedAt: Date },
        { _id: false },
      ),
      required: false,
    },
    updatedAt: date,
  },
  opts,
);

const incidentSchema = new Schema<IncidentDoc>(
  {
    _id: String,
    cityId: str,
    countyId: str,
    schoolId: str,
    classId: String,
    classIds: { type: [String], default: undefined },
    guardians: [{ _id: false, userId: String }],
    involvedStudents: [{ _id: false, studentId: String, name: String, classId: String }],
    occurredAt: str,
    location: str,
    sessionId: String,
    description: str,
    injured: bool,
    injuries: String,
    severity: str,
    firstAid: String,
    reporterPhone: str,
    reportedBy: str,
    reportedAt: date,
    instanceKey: String,
    attendance: {
      type: new Schema(
        {
          recordIds: [String],
          handoverMissing: Boolean,
          missing: [{ _id: false, studentId: String, name: String, sessionId: String }],
          rules: String,
          attachedAt: Date,
        },
        { _id: false },
      ),
      required: false,
    },
  },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function safetyModels(connection: Connection): SafetyModels {
  return {
    sheets: registerModel(connection, 'AttendanceSheet', sheetSchema, SAFETY_COLLECTIONS.sheets),
    records: registerModel(
      connection,
      'AttendanceRecord',
      recordSchema,
      SAFETY_COLLECTIONS.records,
    ),
    incidents: registerModel(
      connection,
      'SafetyIncident',
      incidentSchema,
      SAFETY_COLLECTIONS.incidents,
    ),
  };
}
