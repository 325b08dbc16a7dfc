import { createHash, randomBytes } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { isDuplicateKey } from '../../db/models';
import {
  ConflictError,
  type FieldProblem,
  NotFoundError,
  UserError,
  ValidationError,
} from '../../lib/errors';
import { t } from '../../lib/i18n';
import type {
  ApplicationDoc,
  ApplicationStatus,
  EnrolmentModels,
} from '../enrolment/enrolment.model';
import type { OrgModels, SchoolDoc } from '../org/org.model';
import type {
  SurveyAnswer,
  SurveyDoc,
  SurveyModels,
  SurveyQuestion,
  SurveyResponseDoc,
  SurveyStatus,
} from './surveys.model';
import type {
  CreateSurveyBody,
  ListSurveysQuery,
  QuestionResult,
  RespondBody,
  SummaryQuery,
  SurveyResults,
  SurveySummary,
  SurveyView,
} from './surveys.schema';

/** Application states in which a child is served, so its guardians may answer (FLOW-COMMITTEE). */
export const SERVED_STATUSES: readonly ApplicationStatus[] = ['placed', 'enrolled'];

/**
 * Parent-feedback surveys of the parent committee (家长委员会, FLOW-COMMITTEE: it collects
 * parents' opinions regularly and supervises the service). A committee member drafts a survey
 * for their school, opens it and closes it; a guardian of a child the school's service serves
 * answers it once; the committee, the school's admin and principal read the results (free text
 * included), the county bureau the aggregates of its schools. Answers are anonymous: the
 * ballot that lets a parent answer once and the response that holds the answers share nothing
 * but the survey.
 */
export class SurveyService {
  constructor(
    private readonly m: SurveyModels,
    private readonly org: Pick<OrgModels, 'schools'>,
    private readonly enrolment: Pick<EnrolmentModels, 'applications'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A committee member drafts a survey for their school. */
  async create(p: Principal, body: CreateSurveyBody): Promise<SurveyView> {
    const school = await this.org.schools.findById(body.schoolId).lean<SchoolDoc>();
    const ability = abilityFor(p);
    if (!school || !ability.can('read', subject('School', school))) throw new NotFoundError();
    const ids = { cityId: school.cityId, countyId: school.countyId, schoolId: school._id };
    if (p.kind === 'service' || !ability.can('create', subject('Survey', ids)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
    const doc: SurveyDoc = {
      _id: `survey-${randomBytes(6).toString('hex')}`,
      ...ids,
      title: body.title,
      ...(body.description ? { description: body.description } : {}),
      questions: numbered(body.questions),
      status: 'draft',
      createdBy: p.userId,
      createdAt: this.now(),
    };
    await this.m.surveys.create(doc);
    return this.view(p, doc);
  }

  /** The surveys the caller may read (committee, school, county bureau), newest first. */
  async list(p: Principal, q: ListSurveysQuery): Promise<{ items: SurveyView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Survey');
    if (!allowed) return { items: [], total: 0 };
    const filter = {
      $and: [
        allowed,
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.countyId ? [{ countyId: q.countyId }] : []),
        ...(q.status ? [{ status: q.status }] : []),
      ],
    };
    const rows = await this.m.surveys.find(filter).lean<SurveyDoc[]>();
    rows.sort(newestFirst);
    const page = rows.slice(q.offset, q.offset + q.limit);
    return { items: await Promise.all(page.map((d) => this.view(p, d))), total: rows.length };
  }

  /** The open surveys a parent may answer: their served children's schools', with `answered`. */
  async answerable(p: Principal): Promise<{ items: SurveyView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'create', 'SurveyResponse');
    if (!allowed) return { items: [], total: 0 };
    const rows = await this.m.surveys.find({ $and: [allowed, { status: 'open' }] }).lean();
    const served = await this.servedSchools(p.userId);
    const items = rows.filter((s) => served.has(s.schoolId)).sort(newestFirst);
    return {
      items: await Promise.all(items.map((d) => this.questionnaire(p, d))),
      total: items.length,
    };
  }

  /** One survey: the full view for its readers, the questionnaire for a parent who may answer. */
  async get(p: Principal, id: string): Promise<SurveyView> {
    const doc = await this.m.surveys.findById(id).lean<SurveyDoc>();
    if (!doc) throw new NotFoundError();
    const ability = abilityFor(p);
    if (ability.can('read', subject('Survey', { ...doc }))) return this.view(p, doc);
    if (ability.can('create', subject('SurveyResponse', { ...doc })))
      return this.questionnaire(p, doc);
    throw new NotFoundError();
  }

  /** Opens a draft for answers. */
  async open(p: Principal, id: string): Promise<SurveyView> {
    return this.move(p, id, 'draft', 'open', 'survey.not_draft');
  }

  /** Closes an open survey; no answer is taken after. */
  async close(p: Principal, id: string): Promise<SurveyView> {
    return this.move(p, id, 'open', 'closed', 'survey.not_open');
  }

  /**
   * A parent answers an open survey of a school that serves their child, once. The ballot is
   * written first (its `_id` is the compare-and-swap), then the anonymous response; if the
   * response cannot be written the ballot is taken back so the parent may try again.
   */
  async respond(p: Principal, id: string, body: RespondBody): Promise<void> {
    const doc = await this.m.surveys.findById(id).lean<SurveyDoc>();
    const ability = abilityFor(p);
    const reachable =
      doc &&
      (ability.can('read', subject('Survey', { ...doc })) ||
        ability.can('create', subject('SurveyResponse', { ...doc, status: 'open' })));
    if (!doc || !reachable) throw new NotFoundError();
    if (doc.status !== 'open') throw new ConflictError(t('survey.not_open'), 'SURVEY_NOT_OPEN');
    if (!ability.can('create', subject('SurveyResponse', { ...doc })))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', t('survey.parents_only'));
    if (!(await this.servedSchools(p.userId)).has(doc.schoolId))
      throw new UserError(403, 'SURVEY_NOT_ELIGIBLE', 'error.forbidden', t('survey.not_eligible'));
    const answers = checkedAnswers(doc.questions, body.answers);
    const ballotId = ballotIdOf(doc._id, p.userId);
    try {
      await this.m.ballots.create({ _id: ballotId, surveyId: doc._id });
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError(t('survey.answered'), 'SURVEY_ANSWERED');
      throw err;
    }
    const response: SurveyResponseDoc = {
      _id: `resp-${randomBytes(8).toString('hex')}`,
      surveyId: doc._id,
      cityId: doc.cityId,
      countyId: doc.countyId,
      schoolId: doc.schoolId,
      answers,
    };
    try {
      await this.m.responses.create(response);
    } catch (err) {
      await this.m.ballots.deleteOne({ _id: ballotId });
      throw err;
    }
  }

  /**
   * The results: counts per option, the mean and distribution of ratings, and (for the school
   * and its committee, not for the bureau) the free-text answers sorted by text, so their order
   * tells nothing about who answered when.
   */
  async results(p: Principal, id: string): Promise<SurveyResults> {
    const doc = await this.readable(p, id);
    const withTexts = abilityFor(p).can('read', subject('Survey', { ...doc }), 'comments');
    const responses = await this.m.responses.find({ surveyId: doc._id }).lean();
    // below the minimum, a breakdown could tell what a known respondent answered
    const withheld = responses.length < MIN_RESPONSES_FOR_RESULTS;
    return {
      surveyId: doc._id,
      schoolId: doc.schoolId,
      title: doc.title,
      status: doc.status,
      responses: responses.length,
      ...(withheld ? { withheld: true, minimumResponses: MIN_RESPONSES_FOR_RESULTS } : {}),
      questions: doc.questions.map((q) =>
        withheld
          ? { id: q.id, kind: q.kind, text: q.text, answered: 0 }
          : aggregate(q, responses, withTexts),
      ),
    };
  }

  /** Per school of the caller's reach: surveys, open ones, responses and the mean rating. */
  async summary(p: Principal, q: SummaryQuery): Promise<SurveySummary> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Survey');
    if (!allowed) return { items: [] };
    const surveys = await this.m.surveys
      .find({ $and: [allowed, ...(q.countyId ? [{ countyId: q.countyId }] : [])] })
      .lean<SurveyDoc[]>();
    const responses = surveys.length
      ? await this.m.responses.find({ surveyId: { $in: surveys.map((s) => s._id) } }).lean()
      : [];
    const bySchool = new Map<string, SurveySummary['items'][number] & { ratings: number[] }>();
    const ratingIds = new Map<string, Set<string>>();
    for (const s of surveys) {
      const row = bySchool.get(s.schoolId) ?? {
        schoolId: s.schoolId,
        countyId: s.countyId,
        surveys: 0,
        open: 0,
        responses: 0,
        averageRating: null,
        ratings: [],
      };
      row.surveys += 1;
      if (s.status === 'open') row.open += 1;
      bySchool.set(s.schoolId, row);
      ratingIds.set(
        s._id,
        new Set(s.questions.filter((x) => x.kind === 'rating').map((x) => x.id)),
      );
    }
    for (const r of responses) {
      const row = bySchool.get(r.schoolId);
      if (!row) continue;
      row.responses += 1;
      const ids = ratingIds.get(r.surveyId);
      for (const a of r.answers) if (a.rating && ids?.has(a.questionId)) row.ratings.push(a.rating);
    }
    const items = [...bySchool.values()]
      .map(({ ratings, ...row }) => ({
        ...row,
        averageRating: row.responses >= MIN_RESPONSES_FOR_RESULTS ? mean(ratings) : null,
      }))
      .sort((a, b) => a.schoolId.localeCompare(b.schoolId));
    return { items };
  }

  // helpers //////////

  private async move(
    p: Principal,
    id: string,
    from: SurveyStatus,
    to: SurveyStatus,
    refusal: 'survey.not_draft' | 'survey.not_open',
  ): Promise<SurveyView> {
    const doc = await this.readable(p, id);
    if (p.kind === 'service' || !abilityFor(p).can('update', subject('Survey', { ...doc })))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
    const at = this.now();
    const set = to === 'open' ? { status: to, openedAt: at } : { status: to, closedAt: at };
    const res = await this.m.surveys.updateOne({ _id: doc._id, status: from }, { $set: set });
    if (res.modifiedCount !== 1)
      throw new ConflictError(t(refusal), to === 'open' ? 'SURVEY_NOT_DRAFT' : 'SURVEY_NOT_OPEN');
    return this.view(p, { ...doc, ...set });
  }

  private async readable(p: Principal, id: string): Promise<SurveyDoc> {
    const doc = await this.m.surveys.findById(id).lean<SurveyDoc>();
    if (!doc || !abilityFor(p).can('read', subject('Survey', { ...doc })))
      throw new NotFoundError();
    return doc;
  }

  /** The schools where a child of this guardian is served (placed or enrolled). */
  private async servedSchools(userId: string): Promise<Set<string>> {
    const apps = await this.enrolment.applications
      .find({ 'guardians.userId': userId, status: { $in: [...SERVED_STATUSES] } }, { schoolId: 1 })
      .lean<Pick<ApplicationDoc, 'schoolId'>[]>();
    return new Set(apps.map((a) => a.schoolId));
  }

  private async view(p: Principal, doc: SurveyDoc): Promise<SurveyView> {
    const full = abilityFor(p).can('read', subject('Survey', { ...doc }), 'createdBy');
    return {
      ...base(doc),
      ...(full ? { createdBy: doc.createdBy, createdAt: doc.createdAt.toISOString() } : {}),
      responses: await this.m.responses.countDocuments({ surveyId: doc._id }),
    };
  }

  private async questionnaire(p: Principal, doc: SurveyDoc): Promise<SurveyView> {
    const answered = await this.m.ballots.exists({ _id: ballotIdOf(doc._id, p.userId) });
    return { ...base(doc), answered: Boolean(answered) };
  }
}

/** The ballot of a parent for a survey: a hash, so the collection does not list user ids. */
export function ballotIdOf(surveyId: string, userId: string): string {
  return `${surveyId}:${createHash('sha256').update(`${surveyId}\n${userId}`).digest('hex')}`;
}

function base(doc: SurveyDoc): SurveyView {
  return {
    id: doc._id,
    cityId: doc.cityId,
    countyId: doc.countyId,
    schoolId: doc.schoolId,
    title: doc.title,
    ...(doc.description ? { description: doc.description } : {}),
    questions: doc.questions.map((q) => ({
      id: q.id,
      kind: q.kind,
      text: q.text,
      ...(q.options ? { options: q.options } : {}),
      required: q.required,
    })),
    status: doc.status,
    ...(doc.openedAt ? { openedAt: new Date(doc.openedAt).toISOString() } : {}),
    ...(doc.closedAt ? { closedAt: new Date(doc.closedAt).toISOString() } : {}),
  };
}

function numbered(questions: CreateSurveyBody['questions']): SurveyQuestion[] {
  const taken = new Set(questions.flatMap((q) => (q.id ? [q.id] : [])));
  let n = 0;
  const nextId = () => {
    do n += 1;
    while (taken.has(`q${n}`));
    return `q${n}`;
  };
  return questions.map((q) => ({
    id: q.id ?? nextId(),
    kind: q.kind,
    text: q.text,
    ...(q.kind === 'single' ? { options: q.options } : {}),
    required: q.required,
  }));
}

/** The answers in the survey's terms; every problem is a field of a 400. */
function checkedAnswers(
  questions: SurveyQuestion[],
  given: RespondBody['answers'],
): SurveyAnswer[] {
  const problems: FieldProblem[] = [];
  const byId = new Map(questions.map((q) => [q.id, q]));
  const seen = new Set<string>();
  const malformed = new Set<string>();
  const answers: SurveyAnswer[] = [];
  given.forEach((a, i) => {
    const path = `answers.${i}`;
    const q = byId.get(a.questionId);
    if (!q) return problems.push({ path, message: t('survey.question_unknown') });
    if (seen.has(q.id)) return problems.push({ path, message: t('survey.answer_twice') });
    seen.add(q.id);
    const value = answerValue(q, a);
    if (!value) {
      malformed.add(q.id);
      return problems.push({ path, message: t(`survey.answer_kind.${q.kind}`) });
    }
    if (value !== 'empty') answers.push({ questionId: q.id, ...value });
  });
  for (const q of questions)
    if (q.required && !malformed.has(q.id) && !answers.some((a) => a.questionId === q.id))
      problems.push({ path: 'answers', message: t('survey.answer_required', { text: q.text }) });
  if (problems.length) throw new ValidationError(problems);
  return answers;
}

/** The one value a question's kind takes; 'empty' for blank text; undefined when malformed. */
function answerValue(
  q: SurveyQuestion,
  a: RespondBody['answers'][number],
): Omit<SurveyAnswer, 'questionId'> | 'empty' | undefined {
  const fields = [a.choice, a.rating, a.text].filter((v) => v !== undefined).length;
  if (fields !== 1) return undefined;
  if (q.kind === 'single')
    return a.choice !== undefined && a.choice < (q.options?.length ?? 0)
      ? { choice: a.choice }
      : undefined;
  if (q.kind === 'rating') return a.rating !== undefined ? { rating: a.rating } : undefined;
  if (a.text === undefined) return undefined;
  return a.text === '' ? 'empty' : { text: a.text };
}

/**
 * Results are shown from this many responses on: with fewer, whoever knows who answered
 * could read their answers off the breakdown (the count alone is shown).
 */
export const MIN_RESPONSES_FOR_RESULTS = 3;

function aggregate(
  q: SurveyQuestion,
  responses: readonly SurveyResponseDoc[],
  withTexts: boolean,
): QuestionResult {
  const answers = responses.flatMap((r) => r.answers.filter((a) => a.questionId === q.id));
  const head = { id: q.id, kind: q.kind, text: q.text, answered: answers.length };
  if (q.kind === 'single')
    return {
      ...head,
      options: (q.options ?? []).map((label, i) => ({
        label,
        count: answers.filter((a) => a.choice === i).length,
      })),
    };
  if (q.kind === 'rating') {
    const ratings = answers.flatMap((a) => (a.rating ? [a.rating] : []));
    return {
      ...head,
      average: mean(ratings),
      distribution: [1, 2, 3, 4, 5].map((v) => ratings.filter((r) => r === v).length),
    };
  }
  if (!withTexts) return head;
  const texts = answers.flatMap((a) => (a.text ? [a.text] : []));
  return { ...head, texts: texts.sort((x, y) => x.localeCompare(y, 'zh-CN')) };
}

function mean(values: readonly number[]): number | null {
  if (!values.length) return null;
  return Math.round((values.reduce((s, v) => s + v, 0) / values.length) * 100) / 100;
}

function newestFirst(a: SurveyDoc, b: SurveyDoc): number {
  return (
    new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime() || a._id.localeCompare(b._id)
  );
}
