import { z } from 'zod';
import { settlementInputSchema } from './settlement';

const id = z.string().min(1).max(64);
const mobile = z.string().regex(/^1[3-9]\d{9}$/, '请输入 11 位手机号码');
const citation = z.object({ rule: z.string(), clause: z.string(), message: z.string() });

/** POST /api/claims: a school admin requests a claim (the start form `claim-request`). */
export const requestClaimBody = z.strictObject({
  incidentId: z.string().trim().min(1).max(60).optional(),
  studentId: id,
  claimantName: z.string().trim().min(1).max(20),
  claimantPhone: mobile,
  injuryDescription: z.string().trim().min(1).max(2000),
  medicalCostYuan: z.number().min(0).max(100_000_000),
  insurer: z.string().trim().min(1).max(50),
  policyNo: z.string().regex(/^[A-Za-z0-9-]{6,40}$/),
});

/** GET /api/claims. */
export const listClaimsQuery = z.strictObject({
  schoolId: id.optional(),
  incidentId: id.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * POST /api/claims/:id/settlement: the `settle-claim` job (workers), with the process's
 * variables: the proposed shares, the claim's child and scope (for a claim an incident's
 * process called, recorded on its first settlement).
 */
export const settlementBody = settlementInputSchema.extend({
  key: z.string().min(1).max(80),
  instanceKey: z.string().max(32).optional(),
  incidentId: id.nullable().optional(),
  studentId: id,
  cityId: id.optional(),
  countyId: id.optional(),
  schoolId: id.optional(),
  settlementNote: z.string().max(2000).nullable().optional(),
  /** The claimant as the documents form left them (the guardian who is told and may appeal). */
  claimantName: z.string().trim().max(20).nullable().optional(),
  claimantPhone: z.string().max(20).nullable().optional(),
});

/**
 * POST /api/claims/:id/open: the `open-claim` job (workers) as the claim's process starts,
 * with the process's variables: the claim's child and, for a claim an incident's process
 * called, the incident.
 */
export const openClaimBody = z.strictObject({
  instanceKey: z.string().max(32).optional(),
  incidentId: id.nullable().optional(),
  studentId: id,
  schoolId: id.optional(),
});

/** The `open-claim` job's result. */
export const openClaimResponse = z.object({ claimId: z.string() });

export type RequestClaimBody = z.infer<typeof requestClaimBody>;
export type OpenClaimBody = z.infer<typeof openClaimBody>;
export type ListClaimsQuery = z.infer<typeof listClaimsQuery>;
export type SettlementBody = z.infer<typeof settlementBody>;

/** `/api/claims/:id…` path. */
export const claimParams = z.strictObject({ id });

const settlementView = z.object({
  totalFen: z.number().int(),
  insurerFen: z.number().int(),
  schoolFen: z.number().int(),
  othersFen: z.number().int(),
  guardianFen: z.number().int(),
  otherParties: z.array(z.object({ partyName: z.string(), fen: z.number().int() })),
});

/** A claim as the API shows it. */
export const claimView = z.object({
  id: z.string(),
  schoolId: z.string(),
  classId: z.string().optional(),
  incidentId: z.string().optional(),
  studentId: z.string(),
  studentName: z.string(),
  origin: z.enum(['school', 'incident']),
  claimantName: z.string().optional(),
  claimantPhone: z.string().optional(),
  injuryDescription: z.string().optional(),
  medicalCostFen: z.number().int().optional(),
  insurer: z.string().optional(),
  policyNo: z.string().optional(),
  status: z.enum(['open', 'settled', 'closed', 'cancelled']),
  instanceKey: z.string().optional(),
  currentSteps: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  settlement: settlementView
    .extend({ note: z.string().optional(), settledAt: z.string() })
    .optional(),
  /** The rules the last refused settlement broke (SAFE-CLAIM). */
  refusal: z.array(citation).optional(),
  outcome: z.unknown().optional(),
  createdAt: z.string(),
  timeline: z
    .array(
      z.object({ step: z.string(), at: z.string(), by: z.string(), data: z.unknown().optional() }),
    )
    .optional(),
});

/** A page of claims. */
export const claimList = z.object({ items: z.array(claimView), total: z.number().int() });

/** The `settle-claim` job's result. */
export const settlementResponse = z.object({
  settlement: settlementView,
  /** The claimant's user id when the claimant is a guardian of the child with an account. */
  claimantUserId: z.string().optional(),
});
