import { z } from 'zod';
import { formatRule } from '../server/lib/errors';
import { hasMessage, t } from '../server/lib/i18n';
import { formatYuan } from '../server/rules/fees';
import { recordStep } from './facts';
import { complete, defineWorker } from './runtime';

/**
 * The enrolment's notice of a reviewer's rejection (class review, committee co-review, school
 * approval): the process ends after it, so it records the application as rejected first.
 */
const REJECTED_TEMPLATE = 'enrolment-rejected';

/**
 * Notifications (in-app now; WeCom comes with the integration): to the users and candidate
 * groups the diagram names and to the guardians (with an account) of the students it names,
 * with the template from the task header. Idempotent: the element instance key is the
 * notification key, so a job delivered twice notifies once. Nobody to tell is not an error.
 * The rejection notice also records the application's status (REJECTED_TEMPLATE).
 */
export default defineWorker({
  type: 'notify',
  input: z.object({
    notifyUsers: z.array(z.string()).nullable().optional(),
    notifyGroups: z.array(z.string()).nullable().optional(),
    /** Students whose guardians are told (incidents, claims, bills). */
    notifyStudents: z.array(z.string()).nullable().optional(),
    studentName: z.string().optional(),
    applicationId: z.string().optional(),
    monthlyYuan: z.string().optional(),
    waitingRank: z.number().nullable().optional(),
    refusalMessage: z.string().optional(),
    /** What the diagram recorded when a rule or a reviewer refused. */
    refusal: z
      .object({
        violations: z
          .array(z.object({ rule: z.string(), clause: z.string(), message: z.string() }))
          .nullable()
          .optional(),
        reason: z.string().nullable().optional(),
      })
      .nullable()
      .optional(),
    classReviewReason: z.string().nullable().optional(),
    schoolApprovalReason: z.string().nullable().optional(),
    incidentId: z.string().optional(),
    location: z.string().optional(),
    severity: z.string().optional(),
    claimId: z.string().optional(),
    settlement: z
      .object({ totalFen: z.number(), insurerFen: z.number(), schoolFen: z.number() })
      .nullable()
      .optional(),
    staffName: z.string().optional(),
    /** The month a bill reminder, overdue notice or ledger breach is about ('YYYY-MM'). */
    billingMonth: z.string().nullable().optional(),
  }),
  async handle(v, ctx) {
    const template = ctx.headers.template ?? 'generic';
    const reason =
      v.refusal?.violations?.map(formatRule).join('；') ||
      v.refusal?.reason ||
      v.refusalMessage ||
      v.schoolApprovalReason ||
      v.classReviewReason ||
      '';
    if (template === REJECTED_TEMPLATE && v.applicationId)
      await recordStep(ctx, v.applicationId, {
        step: 'rejected',
        status: 'rejected',
        ...(reason ? { note: reason.slice(0, 500) } : {}),
      });
    const guardians = v.notifyStudents?.length
      ? (
          await ctx.api.post<{ userIds: string[] }>('/api/safety/guardians', {
            studentIds: v.notifyStudents,
          })
        ).userIds
      : [];
    const users = [...new Set([...(v.notifyUsers ?? []), ...guardians])];
    const groups = v.notifyGroups ?? [];
    if (users.length === 0 && groups.length === 0) return complete({ notified: 0 });
    const severityKey = `safety.severity.${v.severity ?? ''}`;
    const r = await ctx.api.post<{ delivered: number }>('/api/notifications', {
      key: `${ctx.processInstanceKey}:${ctx.elementInstanceKey}`,
      template,
      users,
      groups,
      processInstanceKey: ctx.processInstanceKey,
      data: {
        ...(v.applicationId ? { applicationId: v.applicationId } : {}),
        studentName: v.studentName ?? '',
        ...(v.monthlyYuan ? { monthlyYuan: v.monthlyYuan } : {}),
        ...(v.waitingRank ? { rank: v.waitingRank } : {}),
        ...(reason ? { reason } : {}),
        ...(v.incidentId ? { incidentId: v.incidentId } : {}),
        ...(v.location ? { location: v.location } : {}),
        ...(hasMessage(severityKey) ? { severityLabel: t(severityKey) } : {}),
        ...(v.claimId ? { claimId: v.claimId } : {}),
        ...(v.settlement
          ? {
              totalYuan: formatYuan(v.settlement.totalFen),
              insurerYuan: formatYuan(v.settlement.insurerFen),
              schoolYuan: formatYuan(v.settlement.schoolFen),
            }
          : {}),
        ...(v.staffName ? { staffName: v.staffName } : {}),
        ...(v.billingMonth ? { billingMonth: v.billingMonth } : {}),
      },
    });
    return complete({ notified: r.delivered });
  },
});
