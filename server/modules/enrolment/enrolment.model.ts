import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice, for `Database.ensureCollections`. */
export const ENROLMENT_COLLECTIONS = {
  plans: 'enrol_plans',
  applications: 'enrol_applications',
  claims: 'enrol_claims',
  events: 'enrol_events',
} as const;

/** One after-school session a school offers (from its filed plan, 一校一案). */
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
  personInCharge: string;
  /** Content category (CONTENT-ALLOWED), e.g. homework, reading, sports. */
  content: string;
  capacity: number;
  /** The school's approved written reason for ending beyond TIME-2H, if it does. */
  approvedReason?: { text: string; approvedBy: string };
}

/**
 * A school's service plan for one term (一校一案, PLAN-ONE-SCHOOL). Enrolment accepts
 * applications only for a plan whose status is `filed` or `published` (filed with the bureau).
 */
export interface PlanDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  term: string;
  termStart: string;
  termEnd: string;
  status: 'draft' | 'checking' | 'filed' | 'published' | 'returned';
  sessions: PlanSession[];
  /** The school's approved monthly standard in fen (≤ the county's cap, FEE-CAP). */
  feeStandardFen: number;
  /** A midday service is offered, and its minutes per day. */
  middayMinutes: number;
  /** The parent committee's consent to charge for the midday service (FEE-PRORATE). */
  middayFeeConsent: boolean;
  safetyMeasures: string;
  emergencyPlan: string;
  instanceKey?: string;
  updatedAt?: Date;
}

/** Where an application stands; intermediate review steps are read from its process. */
export type ApplicationStatus =
  'submitted' | 'placed' | 'waiting' | 'enrolled' | 'refused' | 'rejected' | 'withdrawn' | 'failed';

/**
 * A parent's voluntary application (ELIG-VOLUNTARY) for one child and one term. Carries the
 * ids of its place (city … class) for authorization, and the applying guardian.
 */
export interface ApplicationDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  gradeId: string;
  classId: string;
  studentId: string;
  studentName: string;
  /** The applicant and every guardian of the child (who may read and withdraw it). */
  applicantUserId: string;
  guardians: { userId: string }[];
  planId: string;
  term: string;
  sessionId: string;
  weekdays: number[];
  midday: boolean;
  /** Who picks the child up (SAFE-ATTEND): name, relation, phone (personal data). */
  pickup: { name: string; relation: string; phone: string };
  insurance: { insurer: string; policyNo: string; validUntil: string };
  status: ApplicationStatus;
  instanceKey?: string;
  placement?: { status: 'placed' | 'waiting'; rank?: number };
  fee?: { monthlyFen: number; free: boolean; middayFen: number; citations: string };
  /** The rules that refused it (JSON of RuleCitation[]). */
  refusal?: string;
  submittedAt: Date;
  updatedAt: Date;
}

/**
 * Something that happened to an application (a step of a worker, a withdrawal). Append-only,
 * one document per event; `_id` is the idempotency key (`<applicationId>:<key>`), so a job
 * delivered twice records its step once.
 */
export interface ApplicationEventDoc {
  _id: string;
  applicationId: string;
  step: string;
  status?: ApplicationStatus;
  at: Date;
  by: string;
  /** JSON details (rules cited, amounts). */
  data?: string;
}

/** A claim by insert (`_id` unique): one application per child and term; one seat per number. */
export interface EnrolmentClaimDoc {
  _id: string;
  by: string;
  at: Date;
}

/** This slice's models. */
export interface EnrolmentModels {
  plans: Model<PlanDoc>;
  applications: Model<ApplicationDoc>;
  events: Model<ApplicationEventDoc>;
  claims: Model<EnrolmentClaimDoc>;
}

const opts = { versionKey: false } as const;

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
    sessions: [
      {
        _id: false,
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
        approvedReason: { type: { text: String, approvedBy: String }, required: false },
      },
    ],
    feeStandardFen: { type: Number, required: true },
    middayMinutes: { type: Number, default: 0 },
    middayFeeConsent: { type: Boolean, default: false },
    safetyMeasures: String,
    emergencyPlan: String,
    instanceKey: String,
  },
  { ...opts, timestamps: true },
);

const applicationSchema = new Schema<ApplicationDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    gradeId: { type: String, required: true },
    classId: { type: String, required: true },
    studentId: { type: String, required: true },
    studentName: { type: String, required: true },
    applicantUserId: { type: String, required: true },
    guardians: [{ _id: false, userId: String }],
    planId: { type: String, required: true },
    term: { type: String, required: true },
    sessionId: { type: String, required: true },
    weekdays: [Number],
    midday: Boolean,
    pickup: { name: String, relation: String, phone: String },
    insurance: { insurer: String, policyNo: String, validUntil: String },
    status: { type: String, required: true },
    instanceKey: String,
    placement: { status: String, rank: Number },
    fee: { monthlyFen: Number, free: Boolean, middayFen: Number, citations: String },
    refusal: String,
    submittedAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  opts,
);

const eventSchema = new Schema<ApplicationEventDoc>(
  {
    _id: String,
    applicationId: { type: String, required: true },
    step: { type: String, required: true },
    status: String,
    at: { type: Date, required: true },
    by: { type: String, required: true },
    data: String,
  },
  opts,
);

const claimSchema = new Schema<EnrolmentClaimDoc>(
  { _id: String, by: { type: String, required: true }, at: { type: Date, required: true } },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function enrolmentModels(connection: Connection): EnrolmentModels {
  return {
    plans: registerModel(connection, 'Plan', planSchema, ENROLMENT_COLLECTIONS.plans),
    applications: registerModel(
      connection,
      'Application',
      applicationSchema,
      ENROLMENT_COLLECTIONS.applications,
    ),
    events: registerModel(
      connection,
      'ApplicationEvent',
      eventSchema,
      ENROLMENT_COLLECTIONS.events,
    ),
    claims: registerModel(connection, 'EnrolmentClaim', claimSchema, ENROLMENT_COLLECTIONS.claims),
  };
}
