import type { Membership } from '../../server/auth/roles';
import type { ApplicationStatus } from '../../server/modules/enrolment/enrolment.model';
import { createSurveys } from '../../server/modules/surveys';
import { surveyModels } from '../../server/modules/surveys/surveys.model';
import {
  classScope,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import { parentWithApplication } from '../fixtures/survey-parents';

/**
 * Parent-feedback surveys (FLOW-COMMITTEE): the parent committee drafts, opens and closes a
 * survey of its school; parents of served children answer once, anonymously; the committee and
 * the school read the results, the county bureau the aggregates of its schools.
 */
describe('feedback surveys (/api/surveys)', () => {
  let h: IdentityHarness;
  let a: OrgTree;
  let b: OrgTree;
  let committee: SignedInClient;
  let classCommittee: SignedInClient;
  let admin: SignedInClient;
  let principal: SignedInClient;
  let teacher: SignedInClient;
  let bureauA: SignedInClient;
  let bureauB: SignedInClient;
  let committeeB: SignedInClient;
  const parents: SignedInClient[] = [];
  let waitingParent: SignedInClient;

  const user = async (memberships: Membership[], kind: 'staff' | 'parent' = 'staff') => {
    const u = await h.createUser({ kind, memberships });
    return signIn(h.app, { username: u.username!, password: u.password });
  };

  /** A parent of a child of school A whose application stands at `status`. */
  const parentWith = (status: ApplicationStatus) => parentWithApplication(h, a, status);

  const draft = (client: SignedInClient, schoolId = a.school._id) =>
    client.post('/api/surveys', {
      schoolId,
      title: '2026年秋季学期课后服务满意度调查',
      description: '家长委员会定期收集家长意见（匿名）',
      questions: [
        { kind: 'single', text: '孩子参加的主要活动', options: ['作业辅导', '阅读', '体育'] },
        { kind: 'rating', text: '总体满意度' },
        { kind: 'text', text: '意见和建议' },
      ],
    });

  const openSurvey = async () => {
    const created = await draft(committee);
    expect(created.status).toBe(201);
    const opened = await committee.post(`/api/surveys/${created.body.id}/open`);
    expect(opened.status).toBe(200);
    return created.body.id as string;
  };

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, _logger, auth) => {
      const surveys = await createSurveys({ db, requireSession: auth.requireSession });
      return [{ path: '/api/surveys', router: surveys.router }];
    });
    a = await h.createOrgTree();
    b = await h.createOrgTree();
    committee = await user([{ role: 'committee', scope: schoolScope(a) }], 'parent');
    classCommittee = await user([{ role: 'committee', scope: classScope(a) }], 'parent');
    admin = await user([{ role: 'schoolAdmin', scope: schoolScope(a) }]);
    principal = await user([{ role: 'principal', scope: schoolScope(a) }]);
    teacher = await user([{ role: 'teacher', scope: schoolScope(a) }]);
    bureauA = await user([
      { role: 'countyBureau', scope: { cityId: a.cityId, countyId: a.county._id } },
    ]);
    bureauB = await user([
      { role: 'countyBureau', scope: { cityId: b.cityId, countyId: b.county._id } },
    ]);
    committeeB = await user([{ role: 'committee', scope: schoolScope(b) }], 'parent');
    parents.push(await parentWith('enrolled'), await parentWith('enrolled'));
    parents.push(await parentWith('placed'));
    waitingParent = await parentWith('waiting');
  });

  afterAll(async () => {
    await h.close();
  });

  it('should let a committee member draft, open and close a survey of their school', async () => {
    // when
    const created = await draft(committee);
    const opened = await committee.post(`/api/surveys/${created.body.id}/open`);
    const openedAgain = await committee.post(`/api/surveys/${created.body.id}/open`);
    const closed = await committee.post(`/api/surveys/${created.body.id}/close`);
    const closedAgain = await committee.post(`/api/surveys/${created.body.id}/close`);

    // then
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ schoolId: a.school._id, status: 'draft', responses: 0 });
    expect(created.body.questions.map((q: { id: string }) => q.id)).toEqual(['q1', 'q2', 'q3']);
    expect(created.body.questions[2]).toMatchObject({ kind: 'text', required: false });
    expect(opened.body).toMatchObject({ status: 'open' });
    expect(opened.body.openedAt).toEqual(expect.any(String));
    expect(openedAgain.status).toBe(409);
    expect(openedAgain.body.code).toBe('SURVEY_NOT_DRAFT');
    expect(closed.body).toMatchObject({ status: 'closed' });
    expect(closedAgain.status).toBe(409);
    expect(closedAgain.body.code).toBe('SURVEY_NOT_OPEN');
    expect(closedAgain.body.detail).toBe('问卷不在收集中');
  });

  it("should refuse a survey for another school, from the school's staff, or malformed", async () => {
    // when
    const otherSchool = await draft(committee, b.school._id);
    const byAdmin = await draft(admin);
    const byTeacher = await draft(teacher);
    const byParent = await draft(parents[0]!);
    const sameOptions = await committee.post('/api/surveys', {
      schoolId: a.school._id,
      title: '重复选项',
      questions: [{ kind: 'single', text: '选择', options: ['是', '是'] }],
    });
    const noQuestions = await committee.post('/api/surveys', {
      schoolId: a.school._id,
      title: '空问卷',
      questions: [],
    });

    // then
    expect(otherSchool.status).toBe(404);
    expect(byAdmin.status).toBe(403);
    expect(byTeacher.status).toBe(403);
    expect(byParent.status).toBe(403);
    expect(sameOptions.status).toBe(400);
    expect(JSON.stringify(sameOptions.body.errors)).toContain('选项不能重复');
    expect(noQuestions.status).toBe(400);
  });

  it('should let a class committee member run a survey of their school too', async () => {
    // when
    const created = await draft(classCommittee);
    const opened = await classCommittee.post(`/api/surveys/${created.body.id}/open`);

    // then
    expect(created.status).toBe(201);
    expect(opened.body.status).toBe('open');
  });

  it('should show parents of served children the open surveys and take one answer each', async () => {
    // given
    const id = await openSurvey();

    // when
    const before = await parents[0]!.agent.get('/api/surveys/answerable');
    const answer = await parents[0]!.post(`/api/surveys/${id}/responses`, {
      answers: [
        { questionId: 'q1', choice: 0 },
        { questionId: 'q2', rating: 4 },
        { questionId: 'q3', text: '作业辅导很有帮助' },
      ],
    });
    const twice = await parents[0]!.post(`/api/surveys/${id}/responses`, {
      answers: [
        { questionId: 'q1', choice: 1 },
        { questionId: 'q2', rating: 1 },
      ],
    });
    const after = await parents[0]!.agent.get('/api/surveys/answerable');
    const questionnaire = await parents[0]!.agent.get(`/api/surveys/${id}`);

    // then
    expect(before.body.items.find((s: { id: string }) => s.id === id)).toMatchObject({
      status: 'open',
      answered: false,
    });
    expect(answer.status).toBe(201);
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'SURVEY_ANSWERED' });
    expect(twice.body.detail).toContain('只能填写一次');
    expect(after.body.items.find((s: { id: string }) => s.id === id).answered).toBe(true);
    expect(questionnaire.body).toMatchObject({ id, answered: true });
    expect(questionnaire.body.responses).toBeUndefined();
  });

  it('should refuse answers from a parent whose child is not served, and from staff', async () => {
    // given
    const id = await openSurvey();
    const answers = [
      { questionId: 'q1', choice: 0 },
      { questionId: 'q2', rating: 3 },
    ];

    // when
    const waiting = await waitingParent.post(`/api/surveys/${id}/responses`, { answers });
    const waitingList = await waitingParent.agent.get('/api/surveys/answerable');
    const byAdmin = await admin.post(`/api/surveys/${id}/responses`, { answers });
    const otherCounty = await committeeB.post(`/api/surveys/${id}/responses`, { answers });

    // then
    expect(waiting.status).toBe(403);
    expect(waiting.body).toMatchObject({ code: 'SURVEY_NOT_ELIGIBLE' });
    expect(waiting.body.detail).toContain('参加课后服务的家长');
    expect(waitingList.body.items).toEqual([]);
    expect(byAdmin.status).toBe(403);
    expect(otherCounty.status).toBe(404);
  });

  it('should refuse malformed answers naming the question, and answers to a closed survey', async () => {
    // given
    const id = await openSurvey();

    // when
    const missing = await parents[1]!.post(`/api/surveys/${id}/responses`, {
      answers: [{ questionId: 'q1', choice: 2 }],
    });
    const wrongKind = await parents[1]!.post(`/api/surveys/${id}/responses`, {
      answers: [
        { questionId: 'q1', choice: 7 },
        { questionId: 'q2', text: '好' },
        { questionId: 'q9', rating: 5 },
      ],
    });
    const outOfRange = await parents[1]!.post(`/api/surveys/${id}/responses`, {
      answers: [
        { questionId: 'q1', choice: 0 },
        { questionId: 'q2', rating: 6 },
      ],
    });
    await committee.post(`/api/surveys/${id}/close`);
    const late = await parents[1]!.post(`/api/surveys/${id}/responses`, {
      answers: [
        { questionId: 'q1', choice: 0 },
        { questionId: 'q2', rating: 5 },
      ],
    });
    const results = await committee.agent.get(`/api/surveys/${id}/results`);

    // then
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([
      { path: 'answers', message: '请回答必答题「总体满意度」' },
    ]);
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.errors).toEqual([
      { path: 'answers.0', message: '请选择一个选项' },
      { path: 'answers.1', message: '请打 1–5 分' },
      { path: 'answers.2', message: '问卷中没有此题目' },
    ]);
    expect(outOfRange.status).toBe(400);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('SURVEY_NOT_OPEN');
    expect(results.body.responses).toBe(0);
  });

  it('should show the school aggregated results, and the county bureau no free text', async () => {
    // given
    const id = await openSurvey();
    const given = [
      { choice: 0, rating: 5, text: '希望增加体育活动' },
      { choice: 0, rating: 4 },
      { choice: 2, rating: 2, text: '放学交接有些混乱' },
    ];
    for (const [i, g] of given.entries()) {
      const res = await parents[i]!.post(`/api/surveys/${id}/responses`, {
        answers: [
          { questionId: 'q1', choice: g.choice },
          { questionId: 'q2', rating: g.rating },
          ...(g.text ? [{ questionId: 'q3', text: g.text }] : []),
        ],
      });
      expect(res.status).toBe(201);
    }

    // when
    const forCommittee = await committee.agent.get(`/api/surveys/${id}/results`);
    const forAdmin = await admin.agent.get(`/api/surveys/${id}/results`);
    const forPrincipal = await principal.agent.get(`/api/surveys/${id}/results`);
    const forBureau = await bureauA.agent.get(`/api/surveys/${id}/results`);
    const forOtherBureau = await bureauB.agent.get(`/api/surveys/${id}/results`);
    const forParent = await parents[0]!.agent.get(`/api/surveys/${id}/results`);
    const forTeacher = await teacher.agent.get(`/api/surveys/${id}/results`);

    // then
    expect(forCommittee.status).toBe(200);
    expect(forCommittee.body).toMatchObject({ surveyId: id, status: 'open', responses: 3 });
    const [choice, rating, text] = forCommittee.body.questions;
    expect(choice.options).toEqual([
      { label: '作业辅导', count: 2 },
      { label: '阅读', count: 0 },
      { label: '体育', count: 1 },
    ]);
    expect(rating).toMatchObject({ answered: 3, average: 3.67, distribution: [0, 1, 0, 1, 1] });
    expect(text).toMatchObject({ answered: 2 });
    expect(text.texts).toEqual(expect.arrayContaining(['希望增加体育活动', '放学交接有些混乱']));
    expect(forAdmin.body).toEqual(forCommittee.body);
    expect(forPrincipal.body).toEqual(forCommittee.body);
    expect(forBureau.status).toBe(200);
    expect(forBureau.body.questions[1]).toEqual(rating);
    expect(forBureau.body.questions[2].texts).toBeUndefined();
    expect(forOtherBureau.status).toBe(404);
    expect(forParent.status).toBe(404);
    expect(forTeacher.status).toBe(404);
  });

  it('should show only the count until three parents have answered', async () => {
    // given two answers
    const id = await openSurvey();
    for (const p of parents.slice(0, 2))
      expect(
        (
          await p.post(`/api/surveys/${id}/responses`, {
            answers: [
              { questionId: 'q1', choice: 1 },
              { questionId: 'q2', rating: 2 },
            ],
          })
        ).status,
      ).toBe(201);

    // when
    const early = await committee.agent.get(`/api/surveys/${id}/results`);
    await parents[2]!.post(`/api/surveys/${id}/responses`, {
      answers: [
        { questionId: 'q1', choice: 0 },
        { questionId: 'q2', rating: 5 },
      ],
    });
    const later = await committee.agent.get(`/api/surveys/${id}/results`);

    // then the breakdown appears only with the third answer
    expect(early.body).toMatchObject({ responses: 2, withheld: true, minimumResponses: 3 });
    expect(early.body.questions[0].options).toBeUndefined();
    expect(early.body.questions[1].average).toBeUndefined();
    expect(later.body.withheld).toBeUndefined();
    expect(later.body.questions[1]).toMatchObject({ answered: 3, average: 3 });
  });

  it('should never tell who answered: no user in the stored answers or in any view', async () => {
    // given
    const id = await openSurvey();
    const me = ((await parents[2]!.agent.get('/api/auth/me')).body as { user: { id: string } })
      .user;
    expect(me.id).toEqual(expect.any(String));
    await parents[2]!.post(`/api/surveys/${id}/responses`, {
      answers: [
        { questionId: 'q1', choice: 1 },
        { questionId: 'q2', rating: 3 },
      ],
    });

    // when
    const stored = await surveyModels(h.db.connection).responses.find({ surveyId: id }).lean();
    const ballots = await surveyModels(h.db.connection).ballots.find({ surveyId: id }).lean();
    const views = [
      await committee.agent.get(`/api/surveys/${id}/results`),
      await committee.agent.get(`/api/surveys/${id}`),
      await admin.agent.get(`/api/surveys?schoolId=${a.school._id}`),
    ];

    // then
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(me.id);
    expect(Object.keys(stored[0]!).sort()).toEqual(
      ['_id', 'answers', 'cityId', 'countyId', 'schoolId', 'surveyId'].sort(),
    );
    expect(ballots).toHaveLength(1);
    expect(JSON.stringify(ballots)).not.toContain(me.id);
    for (const v of views) expect(JSON.stringify(v.body)).not.toContain(me.id);
  });

  it("should list surveys by reach, and sum up a county's schools for its bureau", async () => {
    // given the surveys and answers of the tests above, and a draft in county B
    const bSurvey = await draft(committeeB, b.school._id);

    // when
    const forAdmin = await admin.agent.get('/api/surveys');
    const forBureau = await bureauA.agent.get('/api/surveys');
    const forTeacher = await teacher.agent.get('/api/surveys');
    const summary = await bureauA.agent.get('/api/surveys/summary');
    const otherSummary = await bureauB.agent.get('/api/surveys/summary');

    // then
    const schoolsOf = (res: { body: { items: { schoolId: string }[] } }) => [
      ...new Set(res.body.items.map((s) => s.schoolId)),
    ];
    expect(schoolsOf(forAdmin)).toEqual([a.school._id]);
    expect(forAdmin.body.items[0].createdBy).toEqual(expect.any(String));
    expect(schoolsOf(forBureau)).toEqual([a.school._id]);
    expect(forBureau.body.items[0].createdBy).toBeUndefined();
    expect(forTeacher.body).toEqual({ items: [], total: 0 });
    expect(summary.body.items).toHaveLength(1);
    expect(summary.body.items[0]).toMatchObject({
      schoolId: a.school._id,
      countyId: a.county._id,
      surveys: forAdmin.body.total,
      // every answer the tests above gave in this school
      responses: 8,
      averageRating: 3.38,
    });
    expect(otherSummary.body.items).toEqual([
      {
        schoolId: b.school._id,
        countyId: b.county._id,
        surveys: 1,
        open: 0,
        responses: 0,
        averageRating: null,
      },
    ]);
    expect(bSurvey.status).toBe(201);
  });
});
