import { z } from 'zod';
import { ApiRefusal } from './api-client';
import { complete, defineWorker, refuse } from './runtime';

/**
 * Records a registration the school confirmed as service staff (课后服务人员). SAFE-STAFF: the
 * server looks at the bad-record list again, so someone listed while the school was confirming
 * is refused (SAFE_RULE_VIOLATION) instead. Idempotent: the staff id derives from the
 * registration's, so a job delivered twice registers once.
 */
export default defineWorker({
  type: 'register-staff',
  input: z.object({ registrationId: z.string().min(1) }),
  async handle({ registrationId }, ctx) {
    try {
      const r = await ctx.api.post<{ staffId: string }>('/api/staff/members', { registrationId });
      return complete({ staffId: r.staffId });
    } catch (err) {
      if (err instanceof ApiRefusal && err.status === 422 && err.rules.length)
        return refuse(err.rules);
      throw err;
    }
  },
});
