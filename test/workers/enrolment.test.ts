import { eventually } from '../fixtures/engine';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import {
  classScope,
  schoolScope,
  signIn,
  type OrgTree,
  type SignedInClient,
} from '../fixtures/identity';
import { buildStudent } from '../fixtures/identity';
import { orgModels } from '../../server/modules/org/org.model';

describe('after-school enrolment end to end (engine, workers, inbox, real database)', () => {
  let h: DomainHarness;
  let tree: OrgTree;
  let parent: SignedInClient;
  let parentId: string;
  let teacher: SignedInClient;
  let admin: SignedInClient;

  beforeAll(async () => {
    h = await startDomainHarness();
    tree = await h.createOrgTree();
    await h.createPlan(tree);
    const p = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(tree) }],
    });
    parentId = p._id;
    const t = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(tree) }],
    });
    const a = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    parent = await signIn(h.app, { phone: p.phone!, password: p.password });
    teacher = await signIn(h.app, { phone: t.phone!, password: t.password });
    admin = await signIn(h.app, { phone: a.phone!, password: a.password });
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  async function child(overrides: Parameters<typeof buildStudent>[1] = {}) {
    const s = buildStudent(tree, {
      guardians: [{ userId: parentId, relation: 'mother', name: '张丽', phone: '13900000001' }],
      ...overrides,
    });
    await orgModels(h.db.connection).students.create(s);
    return s;
  }

  const application = (studentId: string, overrides: Record<string, unknown> = {}) => ({
    studentId,
    sessionId: 'S1',
    weekdays: [1, 2, 3, 4, 5],
    midday: false,
    pickup: { name: '张丽', relation: '母亲', phone: '13900000001' },
    insurance: { insurer: '中国人寿', policyNo: 'P-2026-001', validUntil: '2027-06-30' },
    consent: true,
    ...overrides,
  });

  async function taskOf(client: SignedInClient, applicationId: string, elementId: string) {
    const app = await parent.agent.get(`/api/enrolment/applications/${applicationId}`);
    const instanceKey = app.body.instanceKey as string;
    return eventually(
      async () => {
        const res = await client.agent.get('/api/tasks?view=groups&size=100');
        return (
          res.body.items as { key: string; elementId: string; processInstanceKey: string }[]
        ).find((t) => t.elementId === elementId && t.processInstanceKey === instanceKey);
      },
      30_000,
      `${elementId} task of ${applicationId}`,
    );
  }

  async function statusOf(applicationId: string, status: string) {
    return eventually(
      async () => {
        const res = await parent.agent.get(`/api/enrolment/applications/${applicationId}`);
        return res.body.status === status ? (res.body as Record<string, unknown>) : undefined;
      },
      30_000,
      `application ${applicationId} ${status}`,
    );
  }

  it("should take a guardian's application through review, approval, arrangement and fee to enrolled", async () => {
    // given
    const s = await child();

    // when the parent applies, the class teacher and the school approve
    const submitted = await parent.post('/api/enrolment/applications', application(s._id));
    expect(submitted.status).toBe(201);
    const id = submitted.body.id as string;
    const review = await taskOf(teacher, id, 'ClassReview');
    expect(
      (
        await teacher.post(`/api/tasks/${review.key}/complete`, {
          variables: { decision: 'approve' },
        })
      ).status,
    ).toBe(204);
    const approval = await taskOf(admin, id, 'SchoolApproval');
    expect(
      (
        await admin.post(`/api/tasks/${approval.key}/complete`, {
          variables: { decision: 'approve' },
        })
      ).status,
    ).toBe(204);

    // then the child is placed and the monthly fee assessed (80 yuan standard, September 2026)
    const enrolled = await statusOf(id, 'enrolled');
    expect(enrolled.placement).toEqual({ status: 'placed' });
    expect(enrolled.fee).toMatchObject({ free: false, middayFen: 0 });
    expect((enrolled.fee as { monthlyFen: number }).monthlyFen).toBeGreaterThan(0);
    expect((enrolled.fee as { monthlyFen: number }).monthlyFen).toBeLessThanOrEqual(8000);
    const steps = (enrolled.timeline as { step: string }[]).map((e) => e.step);
    expect(steps).toEqual(
      expect.arrayContaining([
        'submitted',
        'check-eligibility',
        'check-insurance',
        'check-service-time',
        'assess-fee',
      ]),
    );
    // and the parent is told, in zh-CN
    const inbox = await eventually(async () => {
      const res = await parent.agent.get('/api/notifications');
      return res.body.items.find((n: { template: string }) => n.template === 'enrolment-enrolled');
    });
    expect(inbox.title).toBe('课后服务报名已录取');
  }, 120_000);

  it("should refuse the application itself when the applicant is not the child's guardian (ELIG-VOLUNTARY)", async () => {
    // given a child of someone else
    const s = await child({
      guardians: [{ relation: 'father', name: '李强', phone: '13900000002' }],
    });

    // when
    const res = await parent.post('/api/enrolment/applications', application(s._id));

    // then the child is not revealed
    expect(res.status).toBe(404);
  });

  it('should refuse a second live application for the same child and term, naming ELIG-VOLUNTARY', async () => {
    // given
    const s = await child();
    expect((await parent.post('/api/enrolment/applications', application(s._id))).status).toBe(201);

    // when
    const again = await parent.post('/api/enrolment/applications', application(s._id));

    // then
    expect(again.status).toBe(422);
    expect(again.body.rules.map((r: { rule: string }) => r.rule)).toEqual(['ELIG-VOLUNTARY']);
    expect(again.body.detail).toContain('ELIG-VOLUNTARY (漯教〔2021〕64号');
  });

  it('should refuse in the process when the accident insurance ends before the term (SAFE-INSURE) and tell the parent why', async () => {
    // given
    const s = await child();

    // when
    const res = await parent.post(
      '/api/enrolment/applications',
      application(s._id, {
        insurance: { insurer: '中国人寿', policyNo: 'P-2026-002', validUntil: '2026-12-31' },
      }),
    );

    // then
    const refused = await statusOf(res.body.id as string, 'refused');
    expect((refused.refusal as { rule: string }[]).map((r) => r.rule)).toEqual(['SAFE-INSURE']);
    const told = await eventually(async () => {
      const list = await parent.agent.get('/api/notifications');
      return list.body.items.find(
        (n: { template: string; body: string }) =>
          n.template === 'enrolment-refused' && n.body.includes('SAFE-INSURE'),
      );
    });
    expect(told.body).toContain('漯教〔2021〕64号');
  }, 60_000);

  it('should end the process cleanly when the guardian withdraws during class review', async () => {
    // given
    const s = await child();
    const submitted = await parent.post('/api/enrolment/applications', application(s._id));
    const id = submitted.body.id as string;
    await taskOf(teacher, id, 'ClassReview');

    // when
    const res = await parent.post(`/api/enrolment/applications/${id}/withdraw`);

    // then
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('withdrawn');
    await eventually(
      async () => {
        const list = await teacher.agent.get('/api/tasks?view=groups&size=100');
        return JSON.stringify(list.body.items).includes(id) ? undefined : true;
      },
      30_000,
      'review task gone',
    );
    // and a new application for the term is possible again
    expect((await parent.post('/api/enrolment/applications', application(s._id))).status).toBe(201);
  }, 60_000);
});
