import { z } from 'zod';
import { complete, defineWorker } from './runtime';

/**
 * Records a registration the school confirmed as service staff (课后服务人员). Idempotent: the
 * staff id derives from the registration's, so a job delivered twice registers once.
 */
export default defineWorker({
  type: 'register-staff',
  input: z.object({ registrationId: z.string().min(1) }),
  async handle({ registrationId }, ctx) {
    const r = await ctx.api.post<{ staffId: string }>('/api/staff/members', { registrationId });
    return complete({ staffId: r.staffId });
  },
});
