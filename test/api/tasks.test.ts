import request from 'supertest';
import { CSRF_HEADER } from '../../server/modules/auth';
import type { UserTaskDoc } from '../../server/engine/runtime/commands';
import { eventually } from '../fixtures/engine';
import {
  buildOrgTree,
  inboxFixture,
  REVIEW_PROCESS,
  startInboxHarness,
  type InboxHarness,
} from '../fixtures/inbox';
import {
  classScope,
  type OrgTree,
  schoolScope,
  signIn,
  type SignedInClient,
} from '../fixtures/identity';

describe('task inbox', () => {
  let h: InboxHarness;
  let a: OrgTree;
  let b: OrgTree;
  let teacherA: SignedInClient;
  let teacherA2: SignedInClient;
  let teacherB: SignedInClient;
  let adminA: SignedInClient;
  let teacherAId: string;

  beforeAll(async () => {
    h = await startInboxHarness();
    a = buildOrgTree();
    b = buildOrgTree();
    const ta = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(a) }],
    });
    const ta2 = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(a) }],
    });
    const tb = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(b) }],
    });
    const admin = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(a) }],
    });
    teacherAId = ta._id;
    teacherA = await signIn(h.app, { phone: ta.phone!, password: ta.password });
    teacherA2 = await signIn(h.app, { phone: ta2.phone!, password: ta2.password });
    teacherB = await signIn(h.app, { phone: tb.phone!, password: tb.password });
    adminA = await signIn(h.app, { phone: admin.phone!, password: admin.password });
  });

  afterAll(async () => {
    await h.close();
  });

  it('should need a session', async () => {
    // when
    const res = await request(h.app).get('/api/tasks');

    // then
    expect(res.status).toBe(401);
  });

  it("should show a class teacher their class's tasks, filtered, sorted and paged, with counts", async () => {
    // given
    const tree = buildOrgTree();
    const other = buildOrgTree();
    const t = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(tree) }],
    });
    const teacher = await signIn(h.app, { phone: t.phone!, password: t.password });
    const low = await reviewTask(await h.startReview(tree, { priority: 10 }));
    const high = await reviewTask(
      await h.startReview(tree, { priority: 90, dueDate: '2030-01-01T08:00:00+08:00' }),
    );
    const foreign = await reviewTask(await h.startReview(other));

    // when
    const all = await teacher.agent.get('/api/tasks?view=groups');
    const byPriority = await teacher.agent.get('/api/tasks?view=groups&sort=-priority&size=1');
    const page2 = await teacher.agent.get('/api/tasks?view=groups&sort=-priority&size=1&page=2');
    const urgent = await teacher.agent.get('/api/tasks?view=groups&priority=50');
    const dueSoon = await teacher.agent.get('/api/tasks?view=groups&dueBefore=2030-03-01');
    const byClass = await teacher.agent.get(`/api/tasks?view=groups&classId=${other.class._id}`);
    const byText = await teacher.agent.get('/api/tasks?view=groups&q=班级');
    const byProcess = await teacher.agent.get('/api/tasks?view=groups&process=nope');

    // then
    expect(all.status).toBe(200);
    expect(keys(all)).toEqual(expect.arrayContaining([low._id, high._id]));
    expect(keys(all)).not.toContain(foreign._id);
    expect(all.body.counts).toEqual({ assigned: 0, groups: 2, completed: 0 });
    expect(all.body.items[0]).toMatchObject({
      name: '班级审核',
      processId: REVIEW_PROCESS,
      classId: tree.class._id,
      schoolId: tree.school._id,
    });
    expect(keys(byPriority)).toEqual([high._id]);
    expect(byPriority.body.total).toBe(2);
    expect(keys(page2)).toEqual([low._id]);
    expect(keys(urgent)).toEqual([high._id]);
    expect(urgent.body.counts.groups).toBe(1);
    expect(keys(dueSoon)).toEqual([high._id]);
    expect(keys(byClass)).toEqual([]);
    expect(byText.body.total).toBe(2);
    expect(byProcess.body.total).toBe(0);
  });

  it('should hide a task from a teacher of another class and refuse every action (404)', async () => {
    // given
    const task = await reviewTask(await h.startReview(a));

    // when
    const list = await teacherB.agent.get('/api/tasks?view=groups');
    const get = await teacherB.agent.get(`/api/tasks/${task._id}`);
    const claim = await teacherB.post(`/api/tasks/${task._id}/claim`);
    const complete = await teacherB.post(`/api/tasks/${task._id}/complete`, {
      variables: { approved: true },
    });
    const comment = await teacherB.post(`/api/tasks/${task._id}/comments`, { text: '看看' });
    const draft = await teacherB.agent
      .put(`/api/tasks/${task._id}/draft`)
      .set(CSRF_HEADER, teacherB.csrfToken)
      .send({ values: { approved: true } });

    // then
    expect(keys(list)).not.toContain(task._id);
    for (const res of [get, claim, complete, comment, draft]) {
      expect(res.status).toBe(404);
      expect(res.type).toBe('application/problem+json');
    }
    expect((await h.engine.userTask(task._id)).state).toBe('CREATED');
  });

  it('should let a candidate claim, refuse others the claim (409) and unclaim (403), let an admin unclaim', async () => {
    // given
    const task = await reviewTask(await h.startReview(a));

    // when
    const claim = await teacherA.post(`/api/tasks/${task._id}/claim`);
    const assigned = await teacherA.agent.get('/api/tasks?view=assigned');
    const secondClaim = await teacherA2.post(`/api/tasks/${task._id}/claim`);
    const foreignUnclaim = await teacherA2.post(`/api/tasks/${task._id}/unclaim`);
    const foreignComplete = await teacherA2.post(`/api/tasks/${task._id}/complete`, {
      variables: { approved: true },
    });
    const adminClaim = await adminA.post(`/api/tasks/${task._id}/claim`);
    const adminUnclaim = await adminA.post(`/api/tasks/${task._id}/unclaim`);

    // then
    expect(claim.status).toBe(204);
    expect(keys(assigned)).toContain(task._id);
    expect(assigned.body.counts.assigned).toBeGreaterThanOrEqual(1);
    expect(secondClaim.status).toBe(409);
    expect(secondClaim.body.code).toBe('TASK_CLAIMED_BY_OTHER');
    expect(foreignUnclaim.status).toBe(403);
    expect(foreignComplete.status).toBe(403);
    expect(adminClaim.status).toBe(403);
    expect(adminUnclaim.status).toBe(204);
    expect((await h.engine.userTask(task._id)).assignee ?? null).toBeNull();

    // and the assignee may unclaim their own claim
    expect((await teacherA2.post(`/api/tasks/${task._id}/claim`)).status).toBe(204);
    expect((await teacherA2.post(`/api/tasks/${task._id}/unclaim`)).status).toBe(204);
    const timeline = (await teacherA.agent.get(`/api/tasks/${task._id}`)).body.timeline as {
      type: string;
      by: string;
    }[];
    expect(timeline.map((e) => e.type)).toEqual(['claim', 'unclaim', 'claim', 'unclaim']);
    expect(timeline[0]!.by).toBe(teacherAId);
  });

  it('should refuse an invalid completion with zh-CN field errors and change nothing', async () => {
    // given
    const task = await reviewTask(await h.startReview(a));
    await teacherA.post(`/api/tasks/${task._id}/claim`);

    // when
    const res = await teacherA.post(`/api/tasks/${task._id}/complete`, {
      variables: {
        approved: false,
        contactPhone: '12345',
        pickupCode: 'ab12',
        session: 'night',
        headcount: 0,
      },
    });

    // then
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code).toBe('FORM_INVALID');
    expect(res.body.errors).toEqual([
      { path: 'reviewComment', message: '此项为必填项' },
      { path: 'contactPhone', message: '请输入有效的手机号' },
      { path: 'pickupCode', message: '格式不正确' },
      { path: 'session', message: '所选值不在可选范围内' },
      { path: 'headcount', message: '不能小于 1' },
    ]);
    const after = await h.engine.userTask(task._id);
    expect(after.state).toBe('CREATED');
    expect(await openTasks(task.processInstanceKey, 'SchoolApproval')).toHaveLength(0);
  });

  it('should complete without a hidden field, store only visible form fields, and continue the process', async () => {
    // given
    const task = await reviewTask(await h.startReview(a));
    await teacherA.post(`/api/tasks/${task._id}/claim`);

    // when
    const res = await teacherA.post(`/api/tasks/${task._id}/complete`, {
      variables: {
        approved: true,
        reviewComment: '隐藏时不应保存',
        contactPhone: '13800138000',
        pickupCode: 'AB1234',
        session: 'late',
        headcount: 30,
        schoolId: 'forged-school',
      },
    });

    // then
    expect(res.status).toBe(204);
    const next = await eventually(async () => {
      const found = await openTasks(task.processInstanceKey, 'SchoolApproval');
      return found.length ? found[0] : undefined;
    });
    const vars = JSON.parse(next.variables) as Record<string, unknown>;
    expect(vars).toMatchObject({ approved: true, session: 'late', headcount: 30 });
    expect(vars).not.toHaveProperty('reviewComment');
    expect(vars.schoolId).toBe(a.school._id);
    const completed = await teacherA.agent.get('/api/tasks?view=completed');
    expect(keys(completed)).toContain(task._id);
    const again = await teacherA.post(`/api/tasks/${task._id}/complete`, {
      variables: { approved: true },
    });
    expect(again.status).toBe(409);
  });

  it('should keep a draft per user and show comments and actions in the timeline', async () => {
    // given
    const task = await reviewTask(await h.startReview(a));
    const values = { approved: false, reviewComment: '材料不全', headcount: 12 };

    // when
    const saved = await teacherA.agent
      .put(`/api/tasks/${task._id}/draft`)
      .set(CSRF_HEADER, teacherA.csrfToken)
      .send({ values });
    const comment = await teacherA.post(`/api/tasks/${task._id}/comments`, { text: '请补交材料' });
    const mine = await teacherA.agent.get(`/api/tasks/${task._id}`);
    const theirs = await teacherA2.agent.get(`/api/tasks/${task._id}`);

    // then
    expect(saved.status).toBe(204);
    expect(comment.status).toBe(201);
    expect(mine.status).toBe(200);
    expect(mine.body.draft.values).toEqual(values);
    expect(theirs.body.draft).toBeNull();
    expect(mine.body.form.id).toBe('inbox-class-review');
    expect(mine.body.variables).toMatchObject({ classId: a.class._id });
    expect(mine.body.actions).toEqual({ claim: true, unclaim: false, complete: true });
    expect(mine.body.timeline).toEqual([
      expect.objectContaining({ type: 'draft', by: teacherAId }),
      expect.objectContaining({ type: 'comment', by: teacherAId, text: '请补交材料' }),
    ]);
    expect(mine.body.history.length).toBeGreaterThan(0);
  });

  it('should apply a bulk approval item by item and report the one refused', async () => {
    // given
    const first = await reviewTask(await h.startReview(a));
    const second = await reviewTask(await h.startReview(a));
    const foreign = await reviewTask(await h.startReview(b));

    // when
    const res = await teacherA.post('/api/tasks/bulk', {
      keys: [first._id, foreign._id, second._id],
      decision: 'approve',
      reason: '同意',
    });

    // then
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { key: first._id, ok: true },
      { key: foreign._id, ok: false, problem: expect.objectContaining({ status: 404 }) },
      { key: second._id, ok: true },
    ]);
    for (const t of [first, second])
      await eventually(async () =>
        (await openTasks(t.processInstanceKey, 'SchoolApproval')).length ? true : undefined,
      );
    expect((await h.engine.userTask(foreign._id)).state).toBe('CREATED');
  });

  it('should report a bulk rejection without a reason as a form error of that item', async () => {
    // given
    const task = await reviewTask(await h.startReview(a));

    // when
    const res = await teacherA.post('/api/tasks/bulk', {
      keys: [task._id],
      decision: 'reject',
      reason: '',
    });

    // then
    expect(res.body.results[0]).toMatchObject({
      key: task._id,
      ok: false,
      problem: { status: 400, code: 'FORM_INVALID', errors: [{ path: 'reviewComment' }] },
    });
    expect((await h.engine.userTask(task._id)).state).toBe('CREATED');
  });

  it('should refuse bulk decisions to someone who is not a class teacher', async () => {
    // when
    const res = await adminA.post('/api/tasks/bulk', { keys: ['1'], decision: 'approve' });

    // then
    expect(res.status).toBe(403);
  });

  it("should let a school admin see the school's tasks and find the next step in their groups", async () => {
    // given
    const task = await reviewTask(await h.startReview(a));

    // when
    const seen = await adminA.agent.get(`/api/tasks/${task._id}`);
    const completed = await teacherA.post(`/api/tasks/${task._id}/complete`, {
      variables: { approved: true },
    });
    const next = await eventually(async () =>
      (await adminA.agent.get('/api/tasks?view=groups&q=学校审批')).body.items.find(
        (i: { processInstanceKey: string }) => i.processInstanceKey === task.processInstanceKey,
      ),
    );

    // then
    expect(seen.status).toBe(200);
    expect(seen.body.actions).toEqual({ claim: false, unclaim: false, complete: false });
    expect(completed.status).toBe(204);
    expect(next).toMatchObject({
      name: '学校审批',
      candidateGroups: [`school:${a.school._id}:admin`],
    });
    expect((await teacherB.agent.get(`/api/tasks/${next.key}`)).status).toBe(404);
  });

  it('should refuse to complete a task whose declared form is not deployed', async () => {
    // given
    await h.engine.deploy([
      { name: 'missing-form.bpmn', content: inboxFixture('missing-form.bpmn') },
    ]);
    const instance = await h.engine.createInstance({
      bpmnProcessId: 'inbox-missing-form',
      variables: { classId: a.class._id, schoolId: a.school._id, dueDate: null, priority: 50 },
    });
    const task = await reviewTask(instance._id);

    // when
    const res = await teacherA.post(`/api/tasks/${task._id}/complete`, {
      variables: { anything: 'goes' },
    });

    // then
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('TASK_FORM_MISSING');
    expect((await h.engine.userTask(task._id)).state).toBe('CREATED');
  });

  it("should show students' personal fields to the class teacher but not to the committee", async () => {
    // given
    const c = await h.createUser({ memberships: [{ role: 'committee', scope: schoolScope(a) }] });
    const committee = await signIn(h.app, { phone: c.phone!, password: c.password });
    await h.engine.deploy([
      { name: 'committee-review.bpmn', content: inboxFixture('committee-review.bpmn') },
    ]);
    const instance = await h.engine.createInstance({
      bpmnProcessId: 'inbox-committee-review',
      variables: {
        classId: a.class._id,
        schoolId: a.school._id,
        student: { name: '张小一', idNumber: '41110220170101701X', povertyRegistered: true },
      },
    });
    const task = await reviewTask(instance._id);

    // when
    const asTeacher = await teacherA.agent.get(`/api/tasks/${task._id}`);
    const asCommittee = await committee.agent.get(`/api/tasks/${task._id}`);

    // then
    expect(asTeacher.body.variables.student).toEqual({
      name: '张小一',
      idNumber: '41110220170101701X',
      povertyRegistered: true,
    });
    expect(asCommittee.status).toBe(200);
    expect(asCommittee.body.variables.student).toEqual({ name: '张小一' });
  });

  // helpers //////////

  function keys(res: request.Response): string[] {
    return (res.body.items as { key: string }[]).map((i) => i.key);
  }

  async function openTasks(instanceKey: string, elementId: string): Promise<UserTaskDoc[]> {
    return h.engine.collections.tasks
      .find({ processInstanceKey: instanceKey, elementId, state: 'CREATED' })
      .toArray();
  }

  async function reviewTask(instanceKey: string): Promise<UserTaskDoc> {
    return eventually(async () => (await openTasks(instanceKey, 'ClassReview'))[0]);
  }
});
