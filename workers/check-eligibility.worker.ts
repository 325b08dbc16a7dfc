import { z } from 'zod';
import { combine } from '../server/rules/decision';
import { checkEnrolment, checkVoluntary } from '../server/rules/eligibility';
import { applicationFacts, recordStep } from './facts';
import { complete, defineWorker, refuse } from './runtime';

/**
 * ELIG-ENROLLED and ELIG-VOLUNTARY: the child is on the school's roll in grades 1–9, the
 * applicant is the child's own guardian, and it is the child's only live application this term.
 */
export default defineWorker({
  type: 'check-eligibility',
  input: z.object({ applicationId: z.string().min(1) }),
  async handle({ applicationId }, ctx) {
    const facts = await applicationFacts(ctx, applicationId);
    const decision = combine(
      checkEnrolment({
        schoolId: facts.plan.schoolId,
        student: {
          schoolId: facts.student.schoolId,
          gradeLevel: facts.student.gradeLevel,
          enrolled: facts.student.enrolled,
        },
      }),
      checkVoluntary({
        applicantUserId: facts.application.applicantUserId,
        guardianUserIds: facts.student.guardianUserIds,
        consent: true,
        termId: facts.application.term,
        otherApplications: facts.otherApplications,
      }),
    );
    if (!decision.ok) {
      await recordStep(ctx, applicationId, {
        step: 'check-eligibility',
        status: 'refused',
        rules: decision.violations,
      });
      return refuse(decision.violations);
    }
    await recordStep(ctx, applicationId, { step: 'check-eligibility' });
    return complete({ eligible: true });
  },
});
