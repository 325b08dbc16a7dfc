import { z } from 'zod';
import type { RuleCitation } from '../../lib/errors';
import { cite } from '../../rules/citations';
import { combine, decide, type RuleDecision } from '../../rules/decision';
import { checkClaimSettlement } from '../../rules/safety';

const yuan = z.number().min(0).max(100_000_000);

/**
 * The proposed shares of a claim as the settlement form (`claim-settlement`) and the insurer's
 * decision (`claim-insurer-decision`) leave them in the process, in yuan. A share a form hid
 * (the insurer's payment when it declined) is absent or null and counts as nothing.
 */
export const settlementInputSchema = z.object({
  medicalCostYuan: yuan,
  insurerDecision: z.enum(['accepted', 'partial', 'declined']),
  insurerPaysYuan: yuan.nullable().optional(),
  schoolShareYuan: yuan,
  otherParties: z
    .array(z.object({ partyName: z.string().trim().min(1).max(60), partyShareYuan: yuan }))
    .max(20)
    .nullable()
    .optional(),
  guardianShareYuan: yuan.nullable().optional(),
});

/** The proposed shares (validated with {@link settlementInputSchema}). */
export type SettlementInput = z.infer<typeof settlementInputSchema>;

/** A shared settlement in integer fen (the `settlement` variable of `insurance-claim`). */
export interface Settlement {
  totalFen: number;
  insurerFen: number;
  schoolFen: number;
  othersFen: number;
  guardianFen: number;
  otherParties: { partyName: string; fen: number }[];
}

/** Yuan (as forms give them, up to two decimals) to integer fen. */
export function toFen(yuanAmount: number): number {
  return Math.round(yuanAmount * 100);
}

/**
 * SAFE-CLAIM (损害赔偿的多方承担共担机制): the parties' shares cover the loss exactly (the rule
 * book's {@link checkClaimSettlement}), and the loss is shared: the insurer or the school bears
 * part of it, so a loss is never left to the family alone. An insurer that declined pays nothing,
 * whatever the form says.
 */
export function settleClaim(input: SettlementInput): {
  decision: RuleDecision;
  settlement: Settlement;
} {
  const insurerFen = input.insurerDecision === 'declined' ? 0 : toFen(input.insurerPaysYuan ?? 0);
  const otherParties = (input.otherParties ?? []).map((o) => ({
    partyName: o.partyName,
    fen: toFen(o.partyShareYuan),
  }));
  const settlement: Settlement = {
    totalFen: toFen(input.medicalCostYuan),
    insurerFen,
    schoolFen: toFen(input.schoolShareYuan),
    othersFen: otherParties.reduce((sum, o) => sum + o.fen, 0),
    guardianFen: toFen(input.guardianShareYuan ?? 0),
    otherParties,
  };
  const balanced = checkClaimSettlement({
    amountFen: settlement.totalFen,
    shares: [
      { party: 'insurer', fen: settlement.insurerFen },
      { party: 'school', fen: settlement.schoolFen },
      ...otherParties.map((o) => ({ party: 'third-party' as const, fen: o.fen })),
      { party: 'family', fen: settlement.guardianFen },
    ],
  });
  const unshared: RuleCitation[] =
    settlement.totalFen > 0 && settlement.insurerFen + settlement.schoolFen === 0
      ? [cite('SAFE-CLAIM', 'rule.SAFE-CLAIM.unshared')]
      : [];
  return { decision: combine(balanced, decide(unshared)), settlement };
}
