import { z } from 'zod';
import { complete, defineWorker } from './runtime';

/**
 * SAFE-ATTEND: attaches the attendance and hand-over records of the incident's session (the
 * session named, else the one running when it happened) and flags present children not handed
 * over. No business error: a missing hand-over is a finding for the reviewers, not a refusal.
 * Idempotent: attaching again finds the same records.
 */
export default defineWorker({
  type: 'attach-attendance',
  input: z.object({
    incidentId: z.string().min(1),
    schoolId: z.string().min(1),
    sessionId: z.string().min(1).nullable().optional(),
    occurredAt: z.string().min(1),
  }),
  async handle({ incidentId, sessionId, occurredAt }, ctx) {
    const r = await ctx.api.post<{ attendanceRecordIds: string[]; handoverMissing: boolean }>(
      `/api/safety/incidents/${encodeURIComponent(incidentId)}/attendance`,
      { key: ctx.elementInstanceKey, occurredAt, ...(sessionId ? { sessionId } : {}) },
    );
    return complete({
      attendanceRecordIds: r.attendanceRecordIds,
      handoverMissing: r.handoverMissing,
    });
  },
});
