import { z } from 'zod';
import { t } from '../../lib/i18n';

const id = z.string().min(1).max(64);
const questionId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { error: () => t('validation.id') });
const text = z.string().trim().min(1).max(500);

/** A single-choice question: 2–10 distinct options. */
const singleQuestion = z.strictObject({
  id: questionId.optional(),
  kind: z.literal('single'),
  text,
  options: z
    .array(z.string().trim().min(1).max(100))
    .min(2)
    .max(10)
    .refine((o) => new Set(o).size === o.length, { error: () => t('survey.options_unique') }),
  required: z.boolean().default(true),
});

/** A rating from 1 (poor) to 5 (very good). */
const ratingQuestion = z.strictObject({
  id: questionId.optional(),
  kind: z.literal('rating'),
  text,
  required: z.boolean().default(true),
});

/** Free text; optional unless said otherwise. */
const textQuestion = z.strictObject({
  id: questionId.optional(),
  kind: z.literal('text'),
  text,
  required: z.boolean().default(false),
});

/** One question of a new survey; an id (q1, q2, …) is given when left out. */
export const questionBody = z.discriminatedUnion('kind', [
  singleQuestion,
  ratingQuestion,
  textQuestion,
]);

/** POST /api/surveys: a committee member drafts a survey for their school. */
export const createSurveyBody = z.strictObject({
  schoolId: id,
  title: z.string().trim().min(1).max(100),
  description: z.string().trim().max(2000).optional(),
  questions: z
    .array(questionBody)
    .min(1)
    .max(30)
    .refine(
      (qs) => {
        const ids = qs.flatMap((q) => (q.id ? [q.id] : []));
        return new Set(ids).size === ids.length;
      },
      { error: () => t('survey.question_id_taken') },
    ),
});

/** GET /api/surveys. */
export const listSurveysQuery = z.strictObject({
  schoolId: id.optional(),
  countyId: id.optional(),
  status: z.enum(['draft', 'open', 'closed']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** GET /api/surveys/summary. */
export const summaryQuery = z.strictObject({ countyId: id.optional() });

/** `/:id`. */
export const surveyParams = z.strictObject({ id });

/** One answer: `choice` (index of the option), `rating` (1–5) or `text`, by question kind. */
export const answerBody = z.strictObject({
  questionId: z.string().min(1).max(32),
  choice: z.number().int().min(0).max(9).optional(),
  rating: z.number().int().min(1).max(5).optional(),
  text: z.string().trim().max(1000).optional(),
});

/** POST /api/surveys/:id/responses: a parent's answers (anonymous to the school). */
export const respondBody = z.strictObject({ answers: z.array(answerBody).max(30) });

const questionView = z.object({
  id: z.string(),
  kind: z.enum(['single', 'rating', 'text']),
  text: z.string(),
  options: z.array(z.string()).optional(),
  required: z.boolean(),
});

/** A survey as the API shows it. */
export const surveyView = z.object({
  id: z.string(),
  cityId: z.string(),
  countyId: z.string(),
  schoolId: z.string(),
  title: z.string(),
  description: z.string().optional(),
  questions: z.array(questionView),
  status: z.enum(['draft', 'open', 'closed']),
  openedAt: z.string().optional(),
  closedAt: z.string().optional(),
  /** For the committee, the school and the bureau: who drafted it and how many answered. */
  createdBy: z.string().optional(),
  createdAt: z.string().optional(),
  responses: z.number().int().optional(),
  /** For a parent: whether they have answered it. */
  answered: z.boolean().optional(),
});

/** `GET /api/surveys`, `GET /api/surveys/answerable`. */
export const surveyList = z.object({ items: z.array(surveyView), total: z.number().int() });

/** The aggregate of one question; never who answered. */
export const questionResult = z.object({
  id: z.string(),
  kind: z.enum(['single', 'rating', 'text']),
  text: z.string(),
  /** How many responses answered it. */
  answered: z.number().int(),
  /** single: each option with its count. */
  options: z.array(z.object({ label: z.string(), count: z.number().int() })).optional(),
  /** rating: the mean (two decimals) and the count of each rating 1…5. */
  average: z.number().nullable().optional(),
  distribution: z.array(z.number().int()).optional(),
  /** text: the answers, in no order that follows their arrival (school only, not the bureau). */
  texts: z.array(z.string()).optional(),
});

/** `GET /api/surveys/:id/results`. */
export const surveyResults = z.object({
  surveyId: z.string(),
  schoolId: z.string(),
  title: z.string(),
  status: z.enum(['draft', 'open', 'closed']),
  responses: z.number().int(),
  /** Fewer than `minimumResponses` answered: no breakdown is shown yet, only the count. */
  withheld: z.literal(true).optional(),
  minimumResponses: z.number().int().optional(),
  questions: z.array(questionResult),
});

/** `GET /api/surveys/summary`: per school of the caller's reach. */
export const surveySummary = z.object({
  items: z.array(
    z.object({
      schoolId: z.string(),
      countyId: z.string(),
      surveys: z.number().int(),
      open: z.number().int(),
      responses: z.number().int(),
      /** The mean of every rating given in the school's surveys; null without ratings or below
       * the minimum number of responses. */
      averageRating: z.number().nullable(),
    }),
  ),
});

/** `{ ok: true }`-free acknowledgement of an answer. */
export const respondResponse = z.object({ surveyId: z.string(), answered: z.literal(true) });

/** Types of the bodies. */
export type CreateSurveyBody = z.infer<typeof createSurveyBody>;
export type ListSurveysQuery = z.infer<typeof listSurveysQuery>;
export type SummaryQuery = z.infer<typeof summaryQuery>;
export type RespondBody = z.infer<typeof respondBody>;
export type SurveyView = z.infer<typeof surveyView>;
export type SurveyResults = z.infer<typeof surveyResults>;
export type QuestionResult = z.infer<typeof questionResult>;
export type SurveySummary = z.infer<typeof surveySummary>;
