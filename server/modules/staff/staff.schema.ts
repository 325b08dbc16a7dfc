import { z } from 'zod';
import { isoDateSchema, isoMonthSchema } from '../../rules/dates';

const id = z.string().min(1).max(64);
const mobile = z.string().regex(/^1[3-9]\d{9}$/, '请输入 11 位手机号码');
const idNumber = z.string().regex(/^\d{17}[\dXx]$/, '请输入 18 位身份证号码');
const citation = z.object({ rule: z.string(), clause: z.string(), message: z.string() });

/**
 * POST /api/staff/registrations: the form `staff-registration` (附件2: school full name, name,
 * gender, department, mobile; ID number for the record check; an outside professional's
 * agreement); `schoolId` only when the caller serves more than one school.
 */
export const registerBody = z.strictObject({
  schoolId: id.optional(),
  schoolFullName: z.string().trim().min(1).max(60),
  staffName: z.string().trim().min(1).max(20),
  gender: z.enum(['male', 'female']),
  department: z.string().trim().min(1).max(30),
  mobile,
  idNumber,
  isExternal: z.boolean().default(false),
  agreementNo: z.string().trim().min(1).max(60).optional(),
  agreementFileRef: z.string().trim().min(1).max(200).optional(),
  remunerationYuan: z.number().min(0).max(1_000_000).optional(),
});

/** GET /api/staff/registrations and /api/staff/members. */
export const listStaffQuery = z.strictObject({
  schoolId: id.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * GET /api/staff/members: the serving staff by default (those a school may assign and the
 * staffing rules count); `ended` or `all` shows the ended ones, kept for the record.
 */
export const listMembersQuery = listStaffQuery.extend({
  status: z.enum(['active', 'ended', 'all']).default('active'),
});

/** POST /api/staff/members/:id/end: the school ends a member's registration. */
export const endMemberBody = z.strictObject({
  reason: z.string().trim().min(1).max(200),
  /** The last day the person served. */
  endDate: isoDateSchema,
});

/** `/api/staff/members/:id…` path. */
export const memberParams = z.strictObject({ id });

/** POST /api/staff/registrations/:id/steps: a worker records a step (idempotent by key). */
export const staffStepBody = z.strictObject({
  key: z.string().min(1).max(80),
  step: z.string().min(1).max(60),
  status: z.enum(['refused']).optional(),
  rules: z.array(citation).max(20).optional(),
});

/** POST /api/staff/record-checks: the record check of one person (workers). */
export const recordCheckBody = z.strictObject({ idNumber });

/** POST /api/staff/bad-records: a bureau records the outcome of a record check. */
export const badRecordBody = z.strictObject({
  idNumber,
  name: z.string().trim().min(1).max(20),
  status: z.enum(['bad', 'pending', 'clear']),
  note: z.string().trim().max(500).optional(),
});

/** POST /api/staff/members: the `register-staff` job (workers). */
export const registerMemberBody = z.strictObject({
  registrationId: id,
});

/** GET /api/staff/service-hours. */
export const serviceHoursQuery = z.strictObject({
  schoolId: id.optional(),
  month: isoMonthSchema,
});

export type RegisterBody = z.infer<typeof registerBody>;
export type ListStaffQuery = z.infer<typeof listStaffQuery>;
export type ListMembersQuery = z.infer<typeof listMembersQuery>;
export type EndMemberBody = z.infer<typeof endMemberBody>;
export type StaffStepBody = z.infer<typeof staffStepBody>;
export type BadRecordBody = z.infer<typeof badRecordBody>;
export type ServiceHoursQuery = z.infer<typeof serviceHoursQuery>;

/** `/api/staff/registrations/:id…` path. */
export const registrationParams = z.strictObject({ id });

/** How a member's registration ended (the school removed them from its service staff). */
export const endingView = z.object({
  endDate: z.string(),
  reason: z.string(),
  endedBy: z.string(),
  endedAt: z.string(),
});

/** A registration as the API shows it (ID number masked). */
export const registrationView = z.object({
  id: z.string(),
  schoolId: z.string(),
  schoolFullName: z.string(),
  staffName: z.string(),
  gender: z.enum(['male', 'female']),
  department: z.string(),
  mobile: z.string(),
  idNumberMasked: z.string(),
  isExternal: z.boolean(),
  agreementNo: z.string().optional(),
  agreementFileRef: z.string().optional(),
  remunerationFen: z.number().int().optional(),
  status: z.enum(['submitted', 'refused', 'registered', 'rejected', 'ended']),
  refusal: z.array(citation).optional(),
  ending: endingView.optional(),
  rejectionReason: z.string().optional(),
  staffId: z.string().optional(),
  instanceKey: z.string().optional(),
  currentSteps: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  submittedBy: z.string(),
  submittedAt: z.string(),
  timeline: z
    .array(
      z.object({
        step: z.string(),
        status: z.string().optional(),
        at: z.string(),
        by: z.string(),
        data: z.unknown().optional(),
      }),
    )
    .optional(),
});

/** A page of registrations. */
export const registrationList = z.object({
  items: z.array(registrationView),
  total: z.number().int(),
});

/** A member of the service staff. */
export const memberView = z.object({
  id: z.string(),
  schoolId: z.string(),
  schoolFullName: z.string(),
  name: z.string(),
  gender: z.enum(['male', 'female']),
  department: z.string(),
  mobile: z.string(),
  employment: z.enum(['in-service', 'external']),
  agreementNo: z.string().optional(),
  remunerationFen: z.number().int().optional(),
  registrationId: z.string(),
  registeredAt: z.string(),
  /** `ended`: no longer serving, not assignable, not counted; kept for the record. */
  status: z.enum(['active', 'ended']),
  ending: endingView.optional(),
  /**
   * What the caller may do with the member: `end` (POST …/end) while serving, for those who may
   * register staff at the school; the browser shows the action only then.
   */
  actions: z.object({ end: z.boolean() }),
});

/** A page of staff members. */
export const memberList = z.object({ items: z.array(memberView), total: z.number().int() });

/** The outcome of a record check. */
export const recordCheckResponse = z.object({ recordCheck: z.enum(['clear', 'bad', 'pending']) });

/** A bad-record list entry (no ID number in clear). */
export const badRecordView = z.object({
  id: z.string(),
  name: z.string(),
  idNumberMasked: z.string(),
  status: z.enum(['bad', 'pending', 'clear']),
  note: z.string().optional(),
  recordedAt: z.string(),
});

/** The `register-staff` job's result. */
export const registerMemberResponse = z.object({ staffId: z.string() });

/** Teachers' service hours in a month (the basis of allowances, 绩效). */
export const serviceHoursView = z.object({
  schoolId: z.string(),
  month: z.string(),
  items: z.array(
    z.object({
      teacherUserId: z.string(),
      teacherName: z.string(),
      sessions: z.number().int(),
      minutes: z.number().int(),
      hours: z.number(),
    }),
  ),
  totalMinutes: z.number().int(),
});
