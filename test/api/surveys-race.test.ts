import type { Membership } from '../../server/auth/roles';
import type { ApplicationStatus } from '../../server/modules/enrolment/enrolment.model';
import { createSurveys } from '../../server/modules/surveys';
import {
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import { parentWithApplication } from '../fixtures/survey-parents';

/**
 * Survey answers at the same instant (FLOW-COMMITTEE): several parents answering at once all
 * count, and one parent answering twice at once (a double press, two devices) counts once, the
 * other told in zh-CN. Each answer is an insert (the ballot's `_id` arbitrates, the anonymous
 * response is a document of its own), never an update of the survey.
 */
describe('feedback surveys: answers at the same instant', () => {
  let h: IdentityHarness;
  let a: OrgTree;
  let committee: SignedInClient;
  const parents: SignedInClient[] = [];

  const user = async (memberships: Membership[], kind: 'staff' | 'parent' = 'staff') => {
    const u = await h.createUser({ kind, memberships });
    return signIn(h.app, { username: u.username!, password: u.password });
  };

  const parentWith = (status: ApplicationStatus) => parentWithApplication(h, a, status);

  const openSurvey = async () => {
    const created = await committee.post('/api/surveys', {
      schoolId: a.school._id,
      title: '课后服务满意度调查',
      questions: [{ kind: 'rating', text: '总体满意度' }],
    });
    expect(created.status).toBe(201);
    expect((await committee.post(`/api/surveys/${created.body.id}/open`)).status).toBe(200);
    return created.body.id as string;
  };

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, _logger, auth) => {
      const surveys = await createSurveys({ db, requireSession: auth.requireSession });
      return [{ path: '/api/surveys', router: surveys.router }];
    });
    a = await h.createOrgTree();
    committee = await user([{ role: 'committee', scope: schoolScope(a) }], 'parent');
    for (let i = 0; i < 6; i++) parents.push(await parentWith('enrolled'));
  });

  afterAll(async () => {
    await h.close();
  });

  it('should count every parent answering at once, and a parent answering twice at once once', async () => {
    for (let round = 0; round < 3; round++) {
      // given an open survey
      const id = await openSurvey();

      // when six parents answer at once, the first of them three times at once
      const answer = (p: SignedInClient, rating: number) =>
        p.post(`/api/surveys/${id}/responses`, { answers: [{ questionId: 'q1', rating }] });
      const [first, ...others] = parents;
      const answers = await Promise.all([
        ...[5, 1, 1].map((rating) => answer(first!, rating)),
        ...others.map((p) => answer(p, 4)),
      ]);

      // then each parent counts once: six responses; the first parent's extra answers refused
      const mine = answers.slice(0, 3);
      expect(mine.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of mine.filter((x) => x.status !== 201))
        expect(r.body).toMatchObject({
          status: 409,
          code: 'SURVEY_ANSWERED',
          detail: expect.stringContaining('只能填写一次'),
        });
      for (const r of answers.slice(3)) expect(r.status).toBe(201);
      const results = await committee.agent.get(`/api/surveys/${id}/results`);
      expect(results.body.responses).toBe(6);
      expect(
        (results.body.questions[0] as { distribution: number[] }).distribution.reduce(
          (s, n) => s + n,
          0,
        ),
      ).toBe(6);
    }
  });
});
