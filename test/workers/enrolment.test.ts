import fs from 'node:fs';
import path from 'node:path';
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

  it('should refuse an application for a child who is not on the school roll, naming ELIG-ENROLLED', async () => {
    // given a child of the parent who has left the school (学籍不在本校)
    const s = await child({ enrolled: false });

    // when
    const res = await parent.post('/api/enrolment/applications', application(s._id));

    // then nothing starts and the rule is named with its clause
    expect(res.status).toBe(422);
    expect(res.body.rules.map((r: { rule: string }) => r.rule)).toEqual(['ELIG-ENROLLED']);
    expect(res.body.detail).toContain('ELIG-ENROLLED (漯教〔2021〕64号 三(一))');
    const mine = await parent.agent.get('/api/enrolment/applications');
    expect(JSON.stringify(mine.body.items)).not.toContain(s._id);
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
    // and with a policy that covers the term the parent may apply again (it stayed claimed)
    expect((await parent.post('/api/enrolment/applications', application(s._id))).status).toBe(201);
  }, 60_000);

  it("should record the class teacher's rejection as rejected, tell the parent why, and let them apply again", async () => {
    // given
    const s = await child();
    const submitted = await parent.post('/api/enrolment/applications', application(s._id));
    const id = submitted.body.id as string;
    const review = await taskOf(teacher, id, 'ClassReview');

    // when
    const rejected = await teacher.post(`/api/tasks/${review.key}/complete`, {
      variables: { decision: 'reject', reason: '接送人信息与学籍登记不符' },
    });

    // then the application no longer reads as submitted (regression: it stayed submitted)
    expect(rejected.status).toBe(204);
    const done = await statusOf(id, 'rejected');
    expect((done.timeline as { step: string }[]).map((e) => e.step)).toContain('rejected');
    const told = await eventually(async () => {
      const list = await parent.agent.get('/api/notifications');
      return list.body.items.find(
        (n: { template: string; body: string }) =>
          n.template === 'enrolment-rejected' && n.body.includes('接送人信息与学籍登记不符'),
      );
    });
    expect(told).toBeDefined();
    // and a rejected application does not block a new one for the term
    expect((await parent.post('/api/enrolment/applications', application(s._id))).status).toBe(201);
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

  it('should put a priority-group child first on the waiting list of a full session and give them the freed place (ELIG-PRIORITY)', async () => {
    // given a school whose one session has a single place, taken
    const small = await h.createOrgTree();
    await h.createPlan(small, {
      sessions: [
        {
          id: 'S1',
          name: '阅读',
          weekdays: [1, 2, 3, 4, 5],
          dismissal: '16:30',
          start: '16:40',
          end: '18:30',
          venue: '图书室',
          personInCharge: '刘老师',
          content: 'reading',
          capacity: 1,
        },
      ],
    });
    const p2 = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(small) }],
    });
    const t2 = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(small) }],
    });
    const a2 = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(small) }],
    });
    const guardian = await signIn(h.app, { phone: p2.phone!, password: p2.password });
    const classTeacher = await signIn(h.app, { phone: t2.phone!, password: t2.password });
    const schoolAdmin = await signIn(h.app, { phone: a2.phone!, password: a2.password });
    const kid = async (disabled: boolean) => {
      const s = buildStudent(small, {
        guardians: [{ userId: p2._id, relation: 'mother', name: '赵敏', phone: '13900000003' }],
        priorityGroups: {
          disabled,
          leftBehind: false,
          migrantWorkerChild: false,
          financialDifficulty: false,
        },
      });
      await orgModels(h.db.connection).students.create(s);
      return s;
    };
    const applyAndApprove = async (studentId: string) => {
      const res = await guardian.post('/api/enrolment/applications', application(studentId));
      const id = res.body.id as string;
      const instanceKey = res.body.instanceKey as string;
      for (const [client, elementId] of [
        [classTeacher, 'ClassReview'],
        [schoolAdmin, 'SchoolApproval'],
      ] as const) {
        const task = await eventually(async () => {
          const list = await client.agent.get('/api/tasks?view=groups&size=100');
          return (
            list.body.items as { key: string; elementId: string; processInstanceKey: string }[]
          ).find((t) => t.elementId === elementId && t.processInstanceKey === instanceKey);
        });
        await client.post(`/api/tasks/${task.key}/complete`, {
          variables: { decision: 'approve' },
        });
      }
      return id;
    };
    const readAs = async (id: string, status: string) =>
      eventually(
        async () => {
          const res = await guardian.agent.get(`/api/enrolment/applications/${id}`);
          return res.body.status === status
            ? (res.body as { placement?: { rank?: number } })
            : undefined;
        },
        30_000,
        `${id} ${status}`,
      );
    const first = await applyAndApprove((await kid(false))._id);
    await readAs(first, 'enrolled');
    const ordinary = await applyAndApprove((await kid(false))._id);
    await readAs(ordinary, 'waiting');

    // when a disabled child applies after the ordinary one, and the first child withdraws
    const disabled = await applyAndApprove((await kid(true))._id);
    const waiting = await readAs(disabled, 'waiting');
    await guardian.post(`/api/enrolment/applications/${first}/withdraw`);

    // then the disabled child was first on the waiting list and gets the place
    expect(waiting.placement?.rank).toBe(1);
    await readAs(disabled, 'enrolled');
    expect((await guardian.agent.get(`/api/enrolment/applications/${ordinary}`)).body.status).toBe(
      'waiting',
    );
  }, 120_000);

  it("should reach an application running on the school's own process version when the guardian withdraws", async () => {
    // given a school running its own version of the enrolment process (its own engine tenant)
    const own = await h.createOrgTree();
    await h.createPlan(own);
    const xml = fs.readFileSync(
      path.join(__dirname, '..', '..', 'processes', 'after-school-enrolment.bpmn'),
      'utf8',
    );
    await h.deploySchoolVariant(own.school._id, 'after-school-enrolment.bpmn', xml);
    const p3 = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(own) }],
    });
    const t3 = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(own) }],
    });
    const guardian = await signIn(h.app, { phone: p3.phone!, password: p3.password });
    const classTeacher = await signIn(h.app, { phone: t3.phone!, password: t3.password });
    const s = buildStudent(own, {
      guardians: [{ userId: p3._id, relation: 'father', name: '钱伟', phone: '13900000004' }],
    });
    await orgModels(h.db.connection).students.create(s);
    const submitted = await guardian.post('/api/enrolment/applications', application(s._id));
    const instanceKey = submitted.body.instanceKey as string;
    await eventually(
      async () => {
        const list = await classTeacher.agent.get('/api/tasks?view=groups&size=100');
        return JSON.stringify(list.body.items).includes(instanceKey) ? true : undefined;
      },
      30_000,
      'class review on the variant',
    );

    // when
    await guardian.post(`/api/enrolment/applications/${submitted.body.id as string}/withdraw`);

    // then the variant's instance hears it and ends at its withdrawal end event
    await eventually(
      async () => {
        const doc = await h.engine.loadInstance(instanceKey);
        return doc?.state === 'COMPLETED' ? true : undefined;
      },
      30_000,
      'variant instance completed',
    );
    expect((await h.engine.loadInstance(instanceKey))?.tenantId).toBe(`school.${own.school._id}`);
  }, 60_000);

  it("should let a class teacher approve several applications' class reviews in one bulk action", async () => {
    // given two applications waiting for class review
    const ids: string[] = [];
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await child();
      const res = await parent.post('/api/enrolment/applications', application(s._id));
      ids.push(res.body.id as string);
      keys.push((await taskOf(teacher, res.body.id as string, 'ClassReview')).key);
    }

    // when
    const bulk = await teacher.post('/api/tasks/bulk', { keys, decision: 'approve', reason: '' });

    // then each review is completed through its form and the school approval follows
    expect(bulk.status).toBe(200);
    expect(bulk.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true]);
    for (const id of ids) await taskOf(admin, id, 'SchoolApproval');
  }, 60_000);
});
