import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';
import { planModel, type PlanDoc } from '../plans/plans.model';

// the plan model moved to the plans slice; enrolment reads it
export type { PlanDoc, PlanSession } from '../plans/plans.model';

/** The collections of this slice, for `Database.ensureCollections`. */
export const ENROLMENT_COLLECTIONS = {
  plans: 'enrol_plans',
  applications: 'enrol_applications',
  claims: 'enrol_claims',
  events: 'enrol_events',
} as const;

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
    plans: planModel(connection),
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
