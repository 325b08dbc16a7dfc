import { z } from 'zod';

const id = z.string().min(1).max(64);
const mobile = z.string().regex(/^1[3-9]\d{9}$/, '请输入 11 位手机号码');

/** POST /api/enrolment/applications: a guardian's application for one child (the start form). */
export const submitApplicationBody = z.strictObject({
  studentId: id,
  sessionId: id,
  /** ISO weekdays chosen (1 = Monday … 5 = Friday). */
  weekdays: z.array(z.number().int().min(1).max(5)).min(1).max(5),
  midday: z.boolean().default(false),
  pickup: z.strictObject({
    name: z.string().min(1).max(40),
    relation: z.string().min(1).max(20),
    phone: mobile,
  }),
  insurance: z.strictObject({
    insurer: z.string().min(1).max(80),
    policyNo: z.string().min(1).max(60),
    validUntil: z.iso.date(),
  }),
  /** The guardian's own consent (ELIG-VOLUNTARY). */
  consent: z.boolean(),
});

/** GET /api/enrolment/applications. */
export const listApplicationsQuery = z.strictObject({
  schoolId: id.optional(),
  classId: id.optional(),
  status: z.string().max(20).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** POST /api/enrolment/applications/:id/events: a worker records a step (idempotent by key). */
export const recordStepBody = z.strictObject({
  /** Idempotency key, e.g. the job's element instance key. */
  key: z.string().min(1).max(80),
  step: z.string().min(1).max(60),
  status: z.enum(['placed', 'waiting', 'enrolled', 'refused', 'rejected']).optional(),
  fee: z
    .strictObject({
      monthlyFen: z.number().int().min(0),
      free: z.boolean(),
      middayFen: z.number().int().min(0),
      citations: z.string().max(2000),
    })
    .optional(),
  rules: z
    .array(z.strictObject({ rule: z.string(), clause: z.string(), message: z.string() }))
    .max(20)
    .optional(),
  note: z.string().max(500).optional(),
});

/** Types of the bodies. */
export type SubmitApplicationBody = z.infer<typeof submitApplicationBody>;
export type ListApplicationsQuery = z.infer<typeof listApplicationsQuery>;
export type RecordStepBody = z.infer<typeof recordStepBody>;
