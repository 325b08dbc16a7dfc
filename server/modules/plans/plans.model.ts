import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/**
 * The collections of this slice. Plans keep the collection enrolment has always read
 * (`enrol_plans`), so the demo seed and filed plans stay where they are.
 */
export const PLAN_COLLECTIONS = {
  plans: 'enrol_plans',
  events: 'plan_events',
} as const;

/**
 * Where a plan stands. `draft` and `withdrawn` plans are edited and submitted; a `submitted`
 * one runs the `school-service-plan` process (the API shows it as `returned` while the process
 * waits for the school's revision); `published` is filed with the county (平台备案) and shown to
 * parents. `filed` is a plan filed before this module (the demo seed's). Enrolment accepts
 * `filed` and `published` plans only.
 */
export type PlanStatus = 'draft' | 'submitted' | 'filed' | 'published' | 'withdrawn';

/** One activity of a session (the rule book's `Activity`: CONTENT-*). */
export interface PlanActivity {
  title: string;
  description?: string;
  /** homework, reading, sports, arts, science, club, labour, film, individual-help, practice. */
  category: string;
  provider?: { kind: 'school' | 'external-professional' | 'agency'; name?: string };
  assignsHomework?: boolean;
}

/** A person serving in the plan's sessions (the rule book's `StaffMember`: SAFE-STAFF). */
export interface PlanStaffMember {
  staffId: string;
  name: string;
  employment: 'in-service' | 'external';
  recordCheck: 'clear' | 'bad' | 'pending';
  agreement?: { reference: string };
}

/** One after-school session a school offers (from its plan, 一校一案). */
export interface PlanSession {
  id: string;
  name: string;
  /** ISO weekdays the session runs on (1 = Monday … 5 = Friday). */
  weekdays: number[];
  /** Normal dismissal (放学) and the session's start and end, 'HH:MM'. */
  dismissal: string;
  start: string;
  end: string;
  venue: string;
  /** The name of the person in charge (VENUE-RECORDS). */
  personInCharge: string;
  /** Content category (CONTENT-ALLOWED) of its first activity, e.g. homework, reading, sports. */
  content: string;
  capacity: number;
  /** The school's approved written reason for ending beyond TIME-2H, if it does. */
  approvedReason?: { text: string; approvedBy: string; approvedAt?: string };
  /** The person in charge as one of the plan's staff. */
  personInChargeId?: string;
  /** Further staff of the session, from the plan's staff. */
  staffIds?: string[];
  activities?: PlanActivity[];
}

/** What the process recorded when the plan was filed and published. */
export interface PlanFiling {
  /** 备案编号 given by the county bureau. */
  filingNo: string;
  filedBy?: string;
  filedAt?: string;
  /** Who gave the parent committee's consent (FLOW-COMMITTEE), and when. */
  committeeConsentBy?: string;
  committeeConsentAt?: string;
  /** The principal's sign-off (RESP-PRINCIPAL). */
  principalSignOffBy?: string;
  principalSignOffAt?: string;
  publishedAt: string;
}

/**
 * A school's service plan for one term (一校一案, PLAN-ONE-SCHOOL): one per school and term
 * (`_id` = `plan-<schoolId>-<term>`). Enrolment accepts applications only for a plan whose
 * status is `filed` or `published`.
 */
export interface PlanDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  term: string;
  termStart: string;
  termEnd: string;
  status: PlanStatus;
  sessions: PlanSession[];
  /** The school's monthly standard in fen (≤ the county's cap, FEE-CAP). */
  feeStandardFen: number;
  /** A midday service is offered, and its minutes per day. */
  middayMinutes: number;
  /** The parent committee's consent to charge for the midday service (FEE-PRORATE). */
  middayFeeConsent: boolean;
  safetyMeasures: string;
  emergencyPlan: string;
  /** 服务方式: how the service is organised and what parents are told. */
  method?: string;
  /** 行政值班安排 (VENUE-RECORDS). */
  dutySchedule?: string;
  staff?: PlanStaffMember[];
  instanceKey?: string;
  /** How many times the plan was submitted (each submission starts one process). */
  submissions?: number;
  createdBy?: string;
  submittedBy?: string;
  submittedAt?: Date;
  /** JSON of the last automatic check: `{ at, ok, violations, warnings }`. */
  lastCheck?: string;
  filing?: PlanFiling;
  updatedAt?: Date;
}

/**
 * Something that happened to a plan (drafted, submitted, checked, resubmitted, withdrawn,
 * published). Append-only; `_id` is `<planId>:<key>`, so a job delivered twice records its
 * step once and a submission cannot be made twice (the insert is the compare-and-swap).
 */
export interface PlanEventDoc {
  _id: string;
  planId: string;
  step: string;
  at: Date;
  by: string;
  /** JSON details (rules cited, filing number). */
  data?: string;
}

/** This slice's models. */
export interface PlanModels {
  plans: Model<PlanDoc>;
  events: Model<PlanEventDoc>;
}

const opts = { versionKey: false } as const;

const activitySchema = new Schema<PlanActivity>(
  {
    title: String,
    description: String,
    category: String,
    provider: { type: { kind: String, name: String }, required: false },
    assignsHomework: Boolean,
  },
  { _id: false },
);

const staffSchema = new Schema<PlanStaffMember>(
  {
    staffId: String,
    name: String,
    employment: String,
    recordCheck: String,
    agreement: { type: { reference: String }, required: false },
  },
  { _id: false },
);

const sessionSchema = new Schema<PlanSession>(
  {
    id: String,
    name: String,
    weekdays: [Number],
    dismissal: String,
    start: String,
    end: String,
    venue: String,
    personInCharge: String,
    content: String,
    capacity: Number,
    approvedReason: {
      type: { text: String, approvedBy: String, approvedAt: String },
      required: false,
    },
    personInChargeId: String,
    staffIds: { type: [String], default: undefined },
    activities: { type: [activitySchema], default: undefined },
  },
  { _id: false },
);

const planSchema = new Schema<PlanDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    term: { type: String, required: true },
    termStart: { type: String, required: true },
    termEnd: { type: String, required: true },
    status: { type: String, required: true },
    sessions: [sessionSchema],
    feeStandardFen: { type: Number, required: true },
    middayMinutes: { type: Number, default: 0 },
    middayFeeConsent: { type: Boolean, default: false },
    safetyMeasures: String,
    emergencyPlan: String,
    method: String,
    dutySchedule: String,
    staff: { type: [staffSchema], default: undefined },
    instanceKey: String,
    submissions: Number,
    createdBy: String,
    submittedBy: String,
    submittedAt: Date,
    lastCheck: String,
    filing: {
      type: {
        filingNo: String,
        filedBy: String,
        filedAt: String,
        committeeConsentBy: String,
        committeeConsentAt: String,
        principalSignOffBy: String,
        principalSignOffAt: String,
        publishedAt: String,
      },
      required: false,
    },
  },
  { ...opts, timestamps: true },
);

const eventSchema = new Schema<PlanEventDoc>(
  {
    _id: String,
    planId: { type: String, required: true },
    step: { type: String, required: true },
    at: { type: Date, required: true },
    by: { type: String, required: true },
    data: String,
  },
  opts,
);

/** The plans' model alone (enrolment reads plans too). */
export function planModel(connection: Connection): Model<PlanDoc> {
  return registerModel(connection, 'Plan', planSchema, PLAN_COLLECTIONS.plans);
}

/** Registers (once) and returns this slice's models on `connection`. */
export function planModels(connection: Connection): PlanModels {
  return {
    plans: planModel(connection),
    events: registerModel(connection, 'PlanEvent', eventSchema, PLAN_COLLECTIONS.events),
  };
}
