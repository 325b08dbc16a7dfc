/**
 * Safety records (四(三), 三(四)): attendance and hand-over of every present student to a named
 * guardian at a time (SAFE-ATTEND), an administrative duty person per session
 * (VENUE-RECORDS), and claim settlements shared among the parties that add up (SAFE-CLAIM).
 */
import { z } from 'zod';
import type { RuleCitation } from '../lib/errors';
import { cite } from './citations';
import { isoDateSchema, timeOfDaySchema } from './dates';
import { decide, type RuleDecision } from './decision';
import { formatYuan } from './fees';

const idSchema = z.string().min(1).max(64);

/** One student's line of a session's attendance record. */
export const attendanceLineSchema = z.strictObject({
  studentId: idSchema,
  name: z.string().min(1).max(50),
  present: z.boolean(),
  /** The parent's pick-up arrangement lets the child leave alone (自行离校). */
  selfDismissalAllowed: z.boolean().optional(),
  handOver: z
    .strictObject({
      to: z.enum(['guardian', 'self']),
      /** The guardian (or the person the guardian named) who took the child. */
      guardianName: z.string().trim().max(50).optional(),
      at: timeOfDaySchema,
      byStaffId: idSchema,
    })
    .optional(),
});

/** The attendance record of one session on one day (考勤、交接班). */
export const attendanceRecordSchema = z.strictObject({
  sessionName: z.string().min(1).max(100),
  date: isoDateSchema,
  /** The administrative duty person that day (行政值班). */
  dutyStaffId: idSchema.optional(),
  students: z.array(attendanceLineSchema),
});

/** An attendance record (validated with {@link attendanceRecordSchema}). */
export type AttendanceRecord = z.infer<typeof attendanceRecordSchema>;

/** The parties of a shared settlement (损害赔偿的多方承担共担机制). */
export const CLAIM_PARTIES = ['insurer', 'school', 'family', 'third-party', 'other'] as const;

/** How a claim's amount is shared. */
export const claimSettlementSchema = z.strictObject({
  amountFen: z.number().int().min(0),
  shares: z.array(z.strictObject({ party: z.enum(CLAIM_PARTIES), fen: z.number().int().min(0) })),
});

/** A claim settlement (validated with {@link claimSettlementSchema}). */
export type ClaimSettlement = z.infer<typeof claimSettlementSchema>;

/**
 * SAFE-ATTEND: every present student was handed over at a time by a staff member, to a named
 * guardian, or alone only where the parent's arrangement allows it; VENUE-RECORDS: a duty
 * person is named. Absent students need no hand-over.
 */
export function checkAttendance(record: AttendanceRecord): RuleDecision {
  const violations: RuleCitation[] = [];
  if (!record.dutyStaffId) {
    violations.push(
      cite('VENUE-RECORDS', 'rule.VENUE-RECORDS.no-duty', {
        session: record.sessionName,
        date: record.date,
      }),
    );
  }
  for (const line of record.students.filter((s) => s.present)) {
    const h = line.handOver;
    const handedOver =
      h !== undefined &&
      (h.to === 'guardian' ? Boolean(h.guardianName) : line.selfDismissalAllowed === true);
    if (!handedOver) {
      violations.push(cite('SAFE-ATTEND', 'rule.SAFE-ATTEND.no-hand-over', { name: line.name }));
    }
  }
  return decide(violations);
}

/** SAFE-CLAIM: the parties' shares add up to the amount settled. */
export function checkClaimSettlement(settlement: ClaimSettlement): RuleDecision {
  const sum = settlement.shares.reduce((total, s) => total + s.fen, 0);
  if (sum === settlement.amountFen) return decide();
  return decide([
    cite('SAFE-CLAIM', 'rule.SAFE-CLAIM.unbalanced', {
      sum: formatYuan(sum),
      amount: formatYuan(settlement.amountFen),
    }),
  ]);
}
