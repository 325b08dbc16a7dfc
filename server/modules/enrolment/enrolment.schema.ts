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

/** `/api/enrolment/applications/:id…` path. */
export const applicationParams = z.strictObject({ id });

// responses //////////

const citation = z.object({ rule: z.string(), clause: z.string(), message: z.string() });

/** An application as the API shows it; personal fields only for those who need them. */
export const applicationView = z.object({
  id: z.string(),
  studentId: z.string(),
  studentName: z.string(),
  schoolId: z.string(),
  classId: z.string(),
  term: z.string(),
  sessionId: z.string(),
  weekdays: z.array(z.number().int()),
  midday: z.boolean(),
  status: z.enum([
    'submitted',
    'placed',
    'waiting',
    'enrolled',
    'refused',
    'rejected',
    'withdrawn',
    'failed',
  ]),
  instanceKey: z.string().optional(),
  currentSteps: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  placement: z
    .object({ status: z.enum(['placed', 'waiting']), rank: z.number().int().optional() })
    .optional(),
  fee: z
    .object({
      monthlyFen: z.number().int(),
      free: z.boolean(),
      middayFen: z.number().int(),
      citations: z.string(),
    })
    .optional(),
  refusal: z.array(citation).optional(),
  pickup: z.object({ name: z.string(), relation: z.string(), phone: z.string() }).optional(),
  insurance: z
    .object({ insurer: z.string(), policyNo: z.string(), validUntil: z.string() })
    .optional(),
  submittedAt: z.string(),
  timeline: z
    .array(
      z.object({
        step: z.string(),
        status: z.string().optional(),
        at: z.string(),
        by: z.string(),
        data: z.unknown().optional(),
      }),
    )
    .optional(),
});

/** `GET /api/enrolment/applications`. */
export const applicationList = z.object({
  items: z.array(applicationView),
  total: z.number().int(),
});

/** The facts a job worker checks one application against (application, student, plan, session). */
export const applicationFacts = z.looseObject({
  application: z.looseObject({ id: z.string(), status: z.string() }),
  student: z.looseObject({ id: z.string(), schoolId: z.string() }),
  plan: z.looseObject({ id: z.string() }),
  session: z.looseObject({ id: z.string() }),
  otherApplications: z.array(z.object({ termId: z.string(), state: z.string() })),
});

/** The outcome of arranging a place (统筹安排). */
export const arrangeResponse = z.object({
  status: z.enum(['placed', 'waiting']),
  rank: z.number().int().optional(),
  rules: z.array(citation),
});
