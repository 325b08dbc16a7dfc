import { z } from 'zod';
import { complete, defineWorker } from './runtime';

/**
 * Records a claim as open as its process starts (`OpenClaim`), so the school, the bureaus and
 * the child's guardians find it in /api/claims from the start: a claim an incident's process
 * called (`claim-<incidentId>`) is recorded from the incident and the child the principal
 * named; one the school requested is recorded already. Idempotent: the claim's id is the
 * process's `claimId`, so a job delivered twice records once.
 */
export default defineWorker({
  type: 'open-claim',
  input: z.object({
    claimId: z.string().min(1),
    incidentId: z.string().nullable().optional(),
    studentId: z.string().min(1),
    schoolId: z.string().optional(),
  }),
  async handle({ claimId, ...v }, ctx) {
    await ctx.api.post<{ claimId: string }>(`/api/claims/${encodeURIComponent(claimId)}/open`, {
      instanceKey: ctx.processInstanceKey,
      ...v,
    });
    return complete({});
  },
});
