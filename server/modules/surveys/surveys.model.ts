import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice, for `Database.ensureCollections`. */
export const SURVEY_COLLECTIONS = {
  surveys: 'surveys',
  ballots: 'survey_ballots',
  responses: 'survey_responses',
} as const;

/** A survey is drafted, opened for answers, then closed (FLOW-COMMITTEE). */
export type SurveyStatus = 'draft' | 'open' | 'closed';

/** single: one of `options`; rating: 1–5; text: free text. */
export type QuestionKind = 'single' | 'rating' | 'text';

/** One question of a survey. */
export interface SurveyQuestion {
  id: string;
  kind: QuestionKind;
  text: string;
  /** The choices of a `single` question. */
  options?: string[];
  required: boolean;
}

/**
 * A parent-feedback survey the school's parent committee runs (FLOW-COMMITTEE: the committee
 * collects parents' opinions regularly). Carries the ids of its school for authorization.
 */
export interface SurveyDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  title: string;
  description?: string;
  questions: SurveyQuestion[];
  status: SurveyStatus;
  createdBy: string;
  createdAt: Date;
  openedAt?: Date;
  closedAt?: Date;
}

/**
 * That a parent has answered a survey, and nothing else: `_id` is
 * `<surveyId>:<sha256(surveyId, userId)>`, so the insert is the compare-and-swap that lets a
 * parent answer once, while the answers themselves ({@link SurveyResponseDoc}) carry no link
 * back to the parent.
 */
export interface SurveyBallotDoc {
  _id: string;
  surveyId: string;
}

/** One answer of a response. */
export interface SurveyAnswer {
  questionId: string;
  /** Index into a `single` question's options. */
  choice?: number;
  /** 1–5 for a `rating` question. */
  rating?: number;
  text?: string;
}

/**
 * One anonymous response: a random `_id`, the survey and its school, the answers; no user, no
 * time (an arrival time could be matched with a ballot or a sign-in).
 */
export interface SurveyResponseDoc {
  _id: string;
  surveyId: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  answers: SurveyAnswer[];
}

/** This slice's models. */
export interface SurveyModels {
  surveys: Model<SurveyDoc>;
  ballots: Model<SurveyBallotDoc>;
  responses: Model<SurveyResponseDoc>;
}

const opts = { versionKey: false } as const;

const questionSchema = new Schema<SurveyQuestion>(
  {
    id: String,
    kind: String,
    text: String,
    options: { type: [String], default: undefined },
    required: Boolean,
  },
  { _id: false },
);

const surveySchema = new Schema<SurveyDoc>(
  {
    _id: String,
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    title: { type: String, required: true },
    description: String,
    questions: [questionSchema],
    status: { type: String, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    openedAt: Date,
    closedAt: Date,
  },
  opts,
);

const ballotSchema = new Schema<SurveyBallotDoc>(
  { _id: String, surveyId: { type: String, required: true } },
  opts,
);

const responseSchema = new Schema<SurveyResponseDoc>(
  {
    _id: String,
    surveyId: { type: String, required: true },
    cityId: { type: String, required: true },
    countyId: { type: String, required: true },
    schoolId: { type: String, required: true },
    answers: [{ _id: false, questionId: String, choice: Number, rating: Number, text: String }],
  },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function surveyModels(connection: Connection): SurveyModels {
  return {
    surveys: registerModel(connection, 'Survey', surveySchema, SURVEY_COLLECTIONS.surveys),
    ballots: registerModel(connection, 'SurveyBallot', ballotSchema, SURVEY_COLLECTIONS.ballots),
    responses: registerModel(
      connection,
      'SurveyResponse',
      responseSchema,
      SURVEY_COLLECTIONS.responses,
    ),
  };
}
