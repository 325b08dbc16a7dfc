import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice, for `Database.ensureCollections`. */
export const CLAIM_COLLECTIONS = {
  claims: 'claim_claims',
  events: 'claim_events',
} as const;

/** A settlement as recorded (integer fen). */
export interface ClaimSettlementRecord {
  totalFen: number;
  insurerFen: number;
  schoolFen: number;
  othersFen: number;
  guardianFen: number;
  otherParties: { partyName: string; fen: number }[];
  note?: string;
  settledAt: Date;
}

/**
 * An accident-insurance claim (意外伤害保险理赔) and its `insurance-claim` process: requested by
 * the school, or called by an incident's process (`claim-<incidentId>`, recorded when its
 * settlement is). Carries the child's place and guardians for CASL.
 */
export interface ClaimDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  classId?: string;
  incidentId?: string;
  studentId: string;
  studentName: string;
  guardians: { userId: string }[];
  origin: 'school' | 'incident';
  claimantName?: string;
  claimantPhone?: string;
  claimantUserId?: string;
  injuryDescription?: string;
  medicalCostFen?: number;
  insurer?: string;
  policyNo?: string;
  requestedBy?: string;
  instanceKey?: string;
  settlement?: ClaimSettlementRecord;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Something that happened to a claim (requested, a settlement refused under SAFE-CLAIM,
 * settled). Append-only; `_id` is `<claimId>:<key>`, so a job delivered twice records once.
 */
export interface ClaimEventDoc {
  _id: string;
  claimId: string;
  step: string;
  at: Date;
  by: string;
  /** JSON details (rules cited, amounts). */
  data?: string;
}

/** This slice's models. */
export interface ClaimModels {
  claims: Model<ClaimDoc>;
  events: Model<ClaimEventDoc>;
}

const opts = { versionKey: false } as const;

const settlementSchema = new Schema<ClaimSettlementRecord>(
  {
    totalFen: Number,
    insurerFen: Number,
    schoolFen: Number,
    othersFen: Number,
    guardianFen: Number,
    otherParties: [{ _id: false, partyName: String, fen: Number }],
    note: String,
    settledAt: Date,
  },
  { _id: false },
);

const claimSchema = new Schema<ClaimDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    classId: String,
    incidentId: String,
    studentId: { type: String, required: true },
    studentName: { type: String, required: true },
    guardians: [{ _id: false, userId: String }],
    origin: { type: String, required: true },
    claimantName: String,
    claimantPhone: String,
    claimantUserId: String,
    injuryDescription: String,
    medicalCostFen: Number,
    insurer: String,
    policyNo: String,
    requestedBy: String,
    instanceKey: String,
    settlement: { type: settlementSchema, required: false },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  opts,
);

const eventSchema = new Schema<ClaimEventDoc>(
  {
    _id: String,
    claimId: { type: String, required: true },
    step: { type: String, required: true },
    at: { type: Date, required: true },
    by: { type: String, required: true },
    data: String,
  },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function claimModels(connection: Connection): ClaimModels {
  return {
    claims: registerModel(connection, 'InsuranceClaim', claimSchema, CLAIM_COLLECTIONS.claims),
    events: registerModel(connection, 'InsuranceClaimEvent', eventSchema, CLAIM_COLLECTIONS.events),
  };
}
