import { z } from 'zod';
import { FEE_STANDARD_STATUSES, countyParametersSchema } from '../../rules/parameters';

const id = z.string().min(1).max(64);

/** `/api/parameters/counties/:countyId…` path. */
export const countyParams = z.strictObject({ countyId: id });

/**
 * PUT /api/parameters/counties/:countyId: the county's own season dates (TIME-SEASON), minimum
 * end times (TIME-END-SUMMER, TIME-END-WINTER), minutes after dismissal (TIME-2H) and share of
 * outside staff (SAFE-STAFF). Whatever is left out falls back to the city default. The fee
 * standard has its own approval (`…/fee-standard`).
 */
export const setParametersBody = countyParametersSchema.omit({ countyId: true, feeStandard: true });

/** POST …/fee-standard: the county bureau proposes its own monthly standard (FEE-CAP). */
export const proposeFeeStandardBody = z.strictObject({
  /** Per student per month, in fen (分). */
  monthlyFen: z.number().int().positive().max(100_000),
  /** The county government's approving document, when it already has one. */
  document: z.string().trim().min(1).max(200).optional(),
});

/** POST …/fee-standard/approve: the next approval step (county records, city accepts). */
export const approveFeeStandardBody = z.strictObject({
  /** The county government's approving document (needed to reach `county-approved`). */
  document: z.string().trim().min(1).max(200).optional(),
});

/** POST …/fee-standard/reject: the city bureau refuses the proposal. */
export const rejectFeeStandardBody = z.strictObject({
  reason: z.string().trim().min(1).max(500),
});

/** Types of the bodies. */
export type SetParametersBody = z.infer<typeof setParametersBody>;
export type ProposeFeeStandardBody = z.infer<typeof proposeFeeStandardBody>;
export type ApproveFeeStandardBody = z.infer<typeof approveFeeStandardBody>;
export type RejectFeeStandardBody = z.infer<typeof rejectFeeStandardBody>;

// responses //////////

/** The parameters in force (the rule book's `ServiceParameters`). */
export const effectiveParameters = z.object({
  feeCapFen: z.number().int(),
  feeCapSource: z.enum(['city', 'county']),
  feeBasisMinutesPerDay: z.number().int(),
  season: z.object({ summerFrom: z.string(), summerTo: z.string() }),
  endNoEarlierThan: z.object({ summer: z.string(), winter: z.string() }),
  maxMinutesAfterDismissal: z.number().int(),
  maxExternalStaffShare: z.number(),
});

const feeStandardRecord = z.object({
  monthlyFen: z.number().int(),
  status: z.enum(FEE_STANDARD_STATUSES),
  document: z.string().optional(),
  proposedBy: z.string(),
  proposedAt: z.string(),
  countyApprovedBy: z.string().optional(),
  countyApprovedAt: z.string().optional(),
  cityApprovedBy: z.string().optional(),
  cityApprovedAt: z.string().optional(),
});

/** A county's parameters: what it set, where its fee standard stands, and what is in force. */
export const countyParametersView = z.object({
  cityId: z.string(),
  countyId: z.string(),
  /** What the county set (each left-out value is the city default). */
  own: setParametersBody,
  feeStandard: feeStandardRecord.optional(),
  feeProposal: feeStandardRecord.optional(),
  feeRejection: z
    .object({ monthlyFen: z.number().int(), reason: z.string(), by: z.string(), at: z.string() })
    .optional(),
  effective: effectiveParameters,
  version: z.number().int(),
  updatedBy: z.string().optional(),
  updatedAt: z.string().optional(),
});

/** `GET /api/parameters/counties`. */
export const countyParametersList = z.object({ items: z.array(countyParametersView) });
