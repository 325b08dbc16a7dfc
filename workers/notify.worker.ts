import { z } from 'zod';
import { formatRule } from '../server/lib/errors';
import { complete, defineWorker } from './runtime';

/**
 * Notifications (in-app now; WeCom comes with the integration): to the users and candidate
 * groups the diagram names, with the template from the task header. Idempotent: the element
 * instance key is the notification key, so a job delivered twice notifies once.
 */
export default defineWorker({
  type: 'notify',
  input: z.object({
    notifyUsers: z.array(z.string()).optional(),
    notifyGroups: z.array(z.string()).optional(),
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
    const r = await ctx.api.post<{ delivered: number }>('/api/notifications', {
      key: `${ctx.processInstanceKey}:${ctx.elementInstanceKey}`,
      template,
      users: v.notifyUsers ?? [],
      groups: v.notifyGroups ?? [],
      processInstanceKey: ctx.processInstanceKey,
      data: {
        ...(v.applicationId ? { applicationId: v.applicationId } : {}),
        studentName: v.studentName ?? '',
        ...(v.monthlyYuan ? { monthlyYuan: v.monthlyYuan } : {}),
        ...(v.waitingRank ? { rank: v.waitingRank } : {}),
        ...(reason ? { reason } : {}),
      },
    });
    return complete({ notified: r.delivered });
  },
});
