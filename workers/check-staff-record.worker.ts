import { z } from 'zod';
import type { RuleCitation } from '../server/lib/errors';
import { checkStaffMember } from '../server/rules/staffing';
import { complete, defineWorker, refuse, type JobContext } from './runtime';

/**
 * SAFE-STAFF: anyone with a bad record (不良记录) on the bureaus' list, or with a check still
 * pending, is refused; FEE-EXTERNAL: an outside professional is engaged only by agreement (the
 * rule book warns; the registration refuses without one). The refusal is recorded on the
 * registration; the BPMN error names the family of the first rule (`SAFE_…`, else `FEE_…`).
 */
export default defineWorker({
  type: 'check-staff-record',
  input: z.object({
    registrationId: z.string().min(1).optional(),
    schoolId: z.string().min(1),
    staffName: z.string().min(1),
    idNumber: z.string().min(1),
    mobile: z.string().optional(),
    isExternal: z.boolean().nullable().optional(),
    agreementNo: z.string().nullable().optional(),
  }),
  async handle(v, ctx) {
    const { recordCheck } = await ctx.api.post<{ recordCheck: 'clear' | 'bad' | 'pending' }>(
      '/api/staff/record-checks',
      { idNumber: v.idNumber },
    );
    const decision = checkStaffMember({
      staffId: v.registrationId ?? 'registration',
      name: v.staffName,
      employment: v.isExternal ? 'external' : 'in-service',
      recordCheck,
      ...(v.agreementNo ? { agreement: { reference: v.agreementNo } } : {}),
    });
    const refusals = [
      ...decision.violations,
      ...decision.warnings.filter((w) => w.rule === 'FEE-EXTERNAL'),
    ];
    if (refusals.length) {
      await recordStep(ctx, v.registrationId, refusals);
      return refuse(refusals);
    }
    await recordStep(ctx, v.registrationId);
    return complete({ recordChecked: true });
  },
});

// helpers //////////

async function recordStep(
  ctx: JobContext,
  registrationId: string | undefined,
  rules?: RuleCitation[],
): Promise<void> {
  if (!registrationId) return;
  await ctx.api.post(`/api/staff/registrations/${encodeURIComponent(registrationId)}/steps`, {
    key: ctx.elementInstanceKey,
    step: 'check-staff-record',
    ...(rules ? { status: 'refused', rules } : {}),
  });
}
