import { z } from 'zod';
import { complete, defineWorker } from './runtime';

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);

/**
 * The schools a billing run bills (PLAN-ONE-SCHOOL: a filed plan whose term overlaps the
 * month), for the month the run names or, from the monthly timer, the current month in
 * Asia/Shanghai. An empty list ends the run.
 */
export default defineWorker({
  type: 'list-schools',
  input: z.object({
    billingMonth: month.nullable().optional(),
    schoolIds: z.array(z.string().min(1)).nullable().optional(),
    cityId: z.string().min(1).nullable().optional(),
  }),
  async handle({ billingMonth, schoolIds, cityId }, ctx) {
    const query = new URLSearchParams();
    if (billingMonth) query.set('month', billingMonth);
    if (schoolIds?.length) query.set('schoolIds', schoolIds.join(','));
    if (cityId) query.set('cityId', cityId);
    const found = await ctx.api.get<{
      billingMonth: string;
      schools: { schoolId: string; countyId: string; cityId: string }[];
    }>(`/api/billing/schools?${query.toString()}`);
    ctx.log.info({ month: found.billingMonth, schools: found.schools.length }, 'schools to bill');
    return complete({ billingMonth: found.billingMonth, schools: found.schools });
  },
});
