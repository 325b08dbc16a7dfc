import { z } from 'zod';
import { isoDateSchema, timeOfDaySchema } from '../../rules/dates';

const id = z.string().min(1).max(64);
const mobile = z.string().regex(/^1[3-9]\d{9}$/, '请输入 11 位手机号码');
const citation = z.object({ rule: z.string(), clause: z.string(), message: z.string() });

// attendance //////////

/**
 * POST /api/safety/attendance/check-ins: a teacher checks students in (or marks them absent)
 * for one session of one day; the first check-in opens the day's sheet with the caller as the
 * teacher who ran it.
 */
export const checkInBody = z.strictObject({
  /** Needed only when the caller serves more than one school. */
  schoolId: id.optional(),
  sessionId: id,
  date: isoDateSchema,
  /** The administrative duty person that day (VENUE-RECORDS). */
  dutyStaffId: id.optional(),
  students: z
    .array(z.strictObject({ studentId: id, present: z.boolean().default(true) }))
    .min(1)
    .max(200),
});

/**
 * POST /api/safety/attendance/hand-overs: a present child handed over to a named guardian at a
 * time (SAFE-ATTEND).
 */
export const handOverBody = z.strictObject({
  schoolId: id.optional(),
  sessionId: id,
  date: isoDateSchema,
  studentId: id,
  guardianName: z.string().trim().min(1).max(50),
  relation: z.string().trim().min(1).max(20).optional(),
  at: timeOfDaySchema,
});

/** GET /api/safety/attendance. */
export const listAttendanceQuery = z.strictObject({
  schoolId: id.optional(),
  sessionId: id.optional(),
  date: isoDateSchema.optional(),
  studentId: id.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

/** GET /api/safety/attendance/open-hand-overs. */
export const openHandOversQuery = z.strictObject({
  schoolId: id.optional(),
  sessionId: id.optional(),
  date: isoDateSchema,
});

export type CheckInBody = z.infer<typeof checkInBody>;
export type HandOverBody = z.infer<typeof handOverBody>;
export type ListAttendanceQuery = z.infer<typeof listAttendanceQuery>;
export type OpenHandOversQuery = z.infer<typeof openHandOversQuery>;

/** One student's attendance line as the API shows it. */
export const attendanceRecordView = z.object({
  id: z.string(),
  schoolId: z.string(),
  classId: z.string(),
  sessionId: z.string(),
  sessionName: z.string(),
  date: z.string(),
  studentId: z.string(),
  studentName: z.string(),
  present: z.boolean(),
  checkedInAt: z.string(),
  checkedInBy: z.string(),
  handOver: z
    .object({
      guardianName: z.string(),
      relation: z.string().optional(),
      at: z.string(),
      byUserId: z.string(),
    })
    .optional(),
  /** Present and not handed over yet (SAFE-ATTEND). */
  handOverMissing: z.boolean(),
});

/** A list of attendance lines. */
export const attendanceList = z.object({
  items: z.array(attendanceRecordView),
  total: z.number().int(),
});

/** A day's sheet of one session with its lines. */
export const attendanceSheetView = z.object({
  id: z.string(),
  schoolId: z.string(),
  sessionId: z.string(),
  sessionName: z.string(),
  date: z.string(),
  start: z.string(),
  end: z.string(),
  teacherUserId: z.string(),
  teacherName: z.string(),
  dutyStaffId: z.string().optional(),
  records: z.array(attendanceRecordView),
});

/** The present children not handed over yet, per sheet, with the rules the sheets break. */
export const openHandOversView = z.object({
  items: z.array(
    z.object({
      sessionId: z.string(),
      sessionName: z.string(),
      date: z.string(),
      students: z.array(
        z.object({ studentId: z.string(), studentName: z.string(), classId: z.string() }),
      ),
    }),
  ),
  rules: z.array(citation),
});

// incidents //////////

const SEVERITIES = ['minor', 'moderate', 'serious', 'critical'] as const;

/**
 * POST /api/safety/incidents: the start form `incident-report` (who, when, where, what,
 * injuries); `schoolId` only when the reporter serves more than one school.
 */
export const reportIncidentBody = z
  .strictObject({
    schoolId: id.optional(),
    occurredAt: z.iso.datetime({ offset: true }),
    location: z.string().trim().min(1).max(60),
    sessionId: id.optional(),
    involvedStudentIds: z.array(id).max(50).default([]),
    description: z.string().trim().min(1).max(2000),
    injured: z.boolean().default(false),
    injuries: z.string().trim().max(1000).optional(),
    severity: z.enum(SEVERITIES),
    firstAid: z.string().trim().max(1000).optional(),
    reporterPhone: mobile,
  })
  .superRefine((v, ctx) => {
    if (v.injured && !v.injuries)
      ctx.addIssue({ code: 'custom', path: ['injuries'], message: '有人受伤时请填写伤情' });
  });

/** GET /api/safety/incidents. */
export const listIncidentsQuery = z.strictObject({
  schoolId: id.optional(),
  severity: z.enum(SEVERITIES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** POST /api/safety/incidents/:id/attendance: the `attach-attendance` job (workers). */
export const attachAttendanceBody = z.strictObject({
  key: z.string().min(1).max(80),
  sessionId: id.nullable().optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});

/** POST /api/safety/guardians: the guardians with an account of some students (workers). */
export const guardiansBody = z.strictObject({ studentIds: z.array(id).max(500) });

export type ReportIncidentBody = z.infer<typeof reportIncidentBody>;
export type ListIncidentsQuery = z.infer<typeof listIncidentsQuery>;
export type AttachAttendanceBody = z.infer<typeof attachAttendanceBody>;

/** `/api/safety/incidents/:id…` path. */
export const incidentParams = z.strictObject({ id });

/** An incident as the API shows it; parents see only their own children and no staff data. */
export const incidentView = z.object({
  id: z.string(),
  schoolId: z.string(),
  classId: z.string().optional(),
  occurredAt: z.string(),
  location: z.string(),
  sessionId: z.string().optional(),
  involvedStudents: z.array(
    z.object({ studentId: z.string(), name: z.string(), classId: z.string() }),
  ),
  description: z.string(),
  injured: z.boolean(),
  injuries: z.string().optional(),
  /** As reported, or as a reviewer re-graded it. */
  severity: z.enum(SEVERITIES),
  reportedSeverity: z.enum(SEVERITIES),
  firstAid: z.string().optional(),
  reporterPhone: z.string().optional(),
  reportedBy: z.string(),
  reportedAt: z.string(),
  status: z.enum(['open', 'closed', 'cancelled']),
  instanceKey: z.string().optional(),
  currentSteps: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  escalated: z.boolean().optional(),
  reviews: z.record(z.string(), z.unknown()).optional(),
  attendance: z
    .object({
      recordIds: z.array(z.string()),
      handoverMissing: z.boolean(),
      missing: z.array(
        z.object({ studentId: z.string(), name: z.string(), sessionId: z.string() }),
      ),
      rules: z.array(citation),
      attachedAt: z.string(),
    })
    .optional(),
});

/** A page of incidents. */
export const incidentList = z.object({ items: z.array(incidentView), total: z.number().int() });

/** The `attach-attendance` job's result. */
export const attachAttendanceResponse = z.object({
  attendanceRecordIds: z.array(z.string()),
  handoverMissing: z.boolean(),
  missing: z.array(z.object({ studentId: z.string(), name: z.string(), sessionId: z.string() })),
  rules: z.array(citation),
});

/** `POST /api/safety/guardians`. */
export const guardiansResponse = z.object({ userIds: z.array(z.string()) });
