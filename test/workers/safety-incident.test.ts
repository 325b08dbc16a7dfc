import { completeTask as complete, taskOf, type InboxTask } from '../fixtures/inbox-tasks';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import {
  buildStudent,
  classScope,
  schoolScope,
  signIn,
  type SignedInClient,
} from '../fixtures/identity';
import {
  notifiedAbout,
  readWhen,
  safetyWorld,
  type SentNotification,
} from '../fixtures/safety-world';
import { orgModels } from '../../server/modules/org/org.model';
import { shanghaiDate } from '../../server/rules/dates';

/**
 * Safety incidents end to end (SAFE-ATTEND, RESP-PRINCIPAL): a teacher reports an incident
 * through /api/safety/incidents, the real attach-attendance worker attaches that session's
 * attendance and flags a missing hand-over, the notify worker tells the guardians, the duty
 * teacher, the safety officer and the principal act in their inboxes; serious incidents reach
 * the county bureau at once; a step left past its deadline escalates to the county (timer).
 * Parents read only their own child's part; another school's staff read nothing.
 */

/** A school with its staff, a county bureau, two parents and a stranger school. */
async function world(h: DomainHarness) {
  const {
    families: [a, b],
    as,
    ...school
  } = await safetyWorld(h, [
    { name: '张小一', guardian: { relation: 'mother', name: '李梅', phone: '13900000101' } },
    { name: '王小二', guardian: { relation: 'father', name: '王强', phone: '13900000102' } },
  ]);
  return {
    ...school,
    kidA: a.kid,
    kidB: b.kid,
    parentA: a.parent,
    parentB: b.parent,
    strangerTeacher: await as('teacher', schoolScope(school.other)),
    strangerPrincipal: await as('principal', schoolScope(school.other)),
    strangerParent: await as('parent', classScope(school.other), 'parent'),
  };
}

type World = Awaited<ReturnType<typeof world>>;

/** An hour ago, in the session of today's plan. */
function occurredAt(): string {
  return new Date(Date.now() - 3_600_000).toISOString();
}

function notified(client: SignedInClient, template: string, incidentId: string) {
  return notifiedAbout(client, template, 'incidentId', incidentId);
}

function incidentWhere(
  client: SignedInClient,
  id: string,
  what: string,
  ok: (body: Record<string, unknown>) => boolean,
) {
  return readWhen(client, `/api/safety/incidents/${id}`, `incident ${what}`, ok);
}

function report(w: World, overrides: Record<string, unknown> = {}) {
  return w.teacher.client.post('/api/safety/incidents', {
    occurredAt: occurredAt(),
    location: '操场东侧',
    sessionId: 'S1',
    involvedStudentIds: [w.kidA._id, w.kidB._id],
    description: '两名学生在跳绳活动中相撞摔倒',
    injured: true,
    injuries: '张小一左膝擦伤',
    severity: 'minor',
    firstAid: '校医现场消毒包扎',
    reporterPhone: '13800000125',
    ...overrides,
  });
}

describe('safety incident end to end (engine, workers, inbox, real database)', () => {
  let h: DomainHarness;
  let w: World;

  beforeAll(async () => {
    h = await startDomainHarness();
    w = await world(h);
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  it('should attach the attendance, flag the missing hand-over, tell the guardians and take the incident through duty teacher, safety officer and principal', async () => {
    // given the session's two children checked in and only one handed over
    const date = shanghaiDate(new Date(occurredAt()));
    const sheet = await w.teacher.client.post('/api/safety/attendance/check-ins', {
      sessionId: 'S1',
      date,
      dutyStaffId: 'duty-1',
      students: [
        { studentId: w.kidA._id, present: true },
        { studentId: w.kidB._id, present: true },
      ],
    });
    expect(sheet.status).toBe(200);
    const handed = await w.teacher.client.post('/api/safety/attendance/hand-overs', {
      sessionId: 'S1',
      date,
      studentId: w.kidA._id,
      guardianName: '李梅',
      relation: '母亲',
      at: '18:35',
    });
    expect(handed.status).toBe(200);

    // when the teacher reports an incident of that session
    const reported = await report(w);
    expect(reported.status).toBe(201);
    expect(reported.body).toMatchObject({ status: 'open', severity: 'minor' });
    const id = reported.body.id as string;
    const instanceKey = reported.body.instanceKey as string;

    // then the attendance is attached with the missing hand-over flagged (SAFE-ATTEND)
    const attached = await incidentWhere(w.teacher.client, id, 'with attendance', (b) =>
      Boolean(b.attendance),
    );
    const attendance = attached.attendance as {
      recordIds: string[];
      handoverMissing: boolean;
      missing: { studentId: string; name: string }[];
      rules: { rule: string; clause: string; message: string }[];
    };
    expect(attendance.recordIds).toHaveLength(2);
    expect(attendance.handoverMissing).toBe(true);
    expect(attendance.missing.map((m) => m.studentId)).toEqual([w.kidB._id]);
    expect(attendance.rules.map((r) => r.rule)).toEqual(['SAFE-ATTEND']);
    expect(attendance.rules[0]!.clause).toBe('四(三)');
    expect(attendance.rules[0]!.message).toContain(w.kidB.name);

    // and both guardians are told, in zh-CN
    const toA = await notified(w.parentA.client, 'incident-reported', id);
    expect(toA.title).toBe('课后服务安全事故告知');
    expect(toA.body).toContain('操场东侧');
    await notified(w.parentB.client, 'incident-reported', id);

    // when the duty teacher, the safety officer and the principal act in their inboxes
    await complete(w.teacher.client, instanceKey, 'DutyTeacherReview', {
      dutyTeacherAccount: '活动中两人相撞',
      measuresTaken: '送校医处理，电话联系家长',
      guardiansContacted: true,
      severity: 'minor',
    });
    await complete(w.admin.client, instanceKey, 'SafetyOfficerReview', {
      safetyFindings: '跳绳区间距不足',
      hazardsFixed: '已划分跳绳区域',
      severity: 'minor',
    });
    await complete(w.principal.client, instanceKey, 'PrincipalReview', {
      principalConclusion: '轻微事故，已妥善处置',
      responsibility: '意外，无责任方',
      severity: 'minor',
      claimRequired: false,
    });

    // then the incident is closed with the reviews, and the guardians hear of it
    const closed = await incidentWhere(w.admin.client, id, 'closed', (b) => b.status === 'closed');
    expect(closed.reviews).toMatchObject({
      dutyTeacherAccount: '活动中两人相撞',
      safetyFindings: '跳绳区间距不足',
      principalConclusion: '轻微事故，已妥善处置',
    });
    expect(closed.escalated).toBeUndefined();
    const done = await notified(w.parentA.client, 'incident-closed', id);
    expect(done.title).toBe('安全事故处理完毕');

    // and a minor incident never went to the county bureau
    const county = await w.county.client.agent.get('/api/notifications?limit=100');
    expect(
      (county.body.items as SentNotification[]).filter((n) => n.data?.incidentId === id),
    ).toEqual([]);
  }, 120_000);

  it("should show a parent only their own child's part of the incident", async () => {
    // given an incident involving two families' children
    const reported = await report(w);
    const id = reported.body.id as string;
    await incidentWhere(w.teacher.client, id, 'with attendance', (b) => Boolean(b.attendance));

    // when each parent reads it
    const a = await w.parentA.client.agent.get(`/api/safety/incidents/${id}`);
    const b = await w.parentB.client.agent.get(`/api/safety/incidents/${id}`);

    // then each sees only their own child, and none of the staff's records
    expect(a.status).toBe(200);
    expect(a.body.involvedStudents).toEqual([
      expect.objectContaining({ studentId: w.kidA._id, name: '张小一' }),
    ]);
    expect(b.body.involvedStudents).toEqual([
      expect.objectContaining({ studentId: w.kidB._id, name: '王小二' }),
    ]);
    // and the injuries, written about both children together, are the staff's only
    expect(JSON.stringify(b.body)).not.toContain('张小一左膝擦伤');
    for (const view of [a.body, b.body]) {
      expect(view.injuries).toBeUndefined();
      expect(view.attendance).toBeUndefined();
      expect(view.reporterPhone).toBeUndefined();
      expect(JSON.stringify(view)).not.toContain(view === a.body ? w.kidB._id : w.kidA._id);
    }
    // and the staff see both children and the reporter's phone
    const staff = await w.principal.client.agent.get(`/api/safety/incidents/${id}`);
    expect(staff.body.involvedStudents).toHaveLength(2);
    expect(staff.body.reporterPhone).toBe('13800000125');
    expect(staff.body.injuries).toBe('张小一左膝擦伤');
    // and a parent whose child alone was involved reads the injuries too
    const alone = await report(w, { involvedStudentIds: [w.kidA._id] });
    const own = await w.parentA.client.agent.get(`/api/safety/incidents/${alone.body.id}`);
    expect(own.body).toMatchObject({ injuries: '张小一左膝擦伤', firstAid: '校医现场消毒包扎' });
    // and a parent's list holds only incidents of their own child
    const list = await w.parentA.client.agent.get('/api/safety/incidents');
    expect(list.body.items.length).toBeGreaterThan(0);
    for (const item of list.body.items as { involvedStudents: { studentId: string }[] }[])
      expect(item.involvedStudents.map((s) => s.studentId)).toEqual([w.kidA._id]);
  }, 60_000);

  it("should show each class teacher an incident of children of two classes, their own class's children only", async () => {
    // given a second class with a child, and the class teachers of both classes
    const org = orgModels(h.db.connection);
    const class2 = {
      ...w.tree.class,
      _id: `${w.tree.grade._id}-c2`,
      number: 2,
      name: '三年级（2）班',
    };
    await org.classes.create(class2);
    const kidC = buildStudent(w.tree, { name: '赵小三', classId: class2._id });
    await org.students.create(kidC);
    const as = async (classId: string) => {
      const u = await h.createUser({
        memberships: [{ role: 'classTeacher', scope: { ...classScope(w.tree), classId } }],
      });
      return signIn(h.app, { phone: u.phone!, password: u.password });
    };
    const teacher1 = await as(w.tree.class._id);
    const teacher2 = await as(class2._id);

    // when the school's teacher reports an incident involving a child of each class
    const reported = await report(w, {
      involvedStudentIds: [w.kidA._id, kidC._id],
      injuries: '张小一左膝擦伤，赵小三手肘擦伤',
    });
    expect(reported.status).toBe(201);
    const id = reported.body.id as string;

    // then each class teacher lists it and reads their own class's child only
    for (const [client, kid, other] of [
      [teacher1, w.kidA, kidC],
      [teacher2, kidC, w.kidA],
    ] as const) {
      const list = await client.agent.get('/api/safety/incidents');
      expect((list.body.items as { id: string }[]).map((i) => i.id)).toContain(id);
      const res = await client.agent.get(`/api/safety/incidents/${id}`);
      expect(res.status).toBe(200);
      expect(res.body.involvedStudents).toEqual([
        expect.objectContaining({ studentId: kid._id, name: kid.name }),
      ]);
      expect(JSON.stringify(res.body)).not.toContain(other.name);
      // the injuries, written about both children together, only for the school's staff
      expect(res.body.injuries).toBeUndefined();
      expect(res.body.reporterPhone).toBe('13800000125');
    }
    // and the principal reads both children and the injuries
    const whole = await w.principal.client.agent.get(`/api/safety/incidents/${id}`);
    expect(whole.body.involvedStudents).toHaveLength(2);
    expect(whole.body.injuries).toBe('张小一左膝擦伤，赵小三手肘擦伤');
    // and a class teacher reads the whole of an incident of their own class's children
    const alone = await report(w, { involvedStudentIds: [kidC._id], injuries: '赵小三手肘擦伤' });
    const own = await teacher2.agent.get(`/api/safety/incidents/${alone.body.id}`);
    expect(own.body).toMatchObject({ injuries: '赵小三手肘擦伤' });
    expect((await teacher1.agent.get(`/api/safety/incidents/${alone.body.id}`)).status).toBe(404);
  }, 60_000);

  it("should show another school's staff and parents nothing of the incident", async () => {
    // given
    const reported = await report(w);
    const id = reported.body.id as string;

    // when / then
    for (const stranger of [w.strangerTeacher, w.strangerPrincipal, w.strangerParent]) {
      expect((await stranger.client.agent.get(`/api/safety/incidents/${id}`)).status).toBe(404);
      const list = await stranger.client.agent.get('/api/safety/incidents');
      expect((list.body.items as { id: string }[]).map((i) => i.id)).not.toContain(id);
    }
    // and no stranger is given the school's incident tasks
    await taskOf(w.teacher.client, reported.body.instanceKey as string, 'DutyTeacherReview');
    const inbox = await w.strangerTeacher.client.agent.get('/api/tasks?view=groups&size=100');
    expect(
      (inbox.body.items as InboxTask[]).filter(
        (t) => t.processInstanceKey === reported.body.instanceKey,
      ),
    ).toEqual([]);
  }, 60_000);

  it("should refuse a report from another school's teacher and of a child not of the school", async () => {
    // when another school's teacher reports at this school
    const foreign = await w.strangerTeacher.client.post('/api/safety/incidents', {
      schoolId: w.tree.school._id,
      occurredAt: occurredAt(),
      location: '操场',
      involvedStudentIds: [w.kidA._id],
      description: '冒名报告',
      severity: 'minor',
      reporterPhone: '13800000126',
    });
    // and this school's teacher names a child of another school
    const strangerChild = buildStudent(w.other);
    await orgModels(h.db.connection).students.create(strangerChild);
    const wrongChild = await report(w, { involvedStudentIds: [strangerChild._id] });

    // then
    expect([403, 404]).toContain(foreign.status);
    expect(wrongChild.status).toBe(404);
  });

  it('should report a serious incident to the county bureau at once and have the county review it after the principal', async () => {
    // when
    const reported = await report(w, { severity: 'serious', involvedStudentIds: [w.kidA._id] });
    const id = reported.body.id as string;
    const instanceKey = reported.body.instanceKey as string;

    // then the county bureau and the principal are told before anyone acts
    const toCounty = await notified(w.county.client, 'incident-severe', id);
    expect(toCounty.title).toBe('课后服务较重安全事故报告');
    expect(toCounty.body).toContain(id);
    await notified(w.principal.client, 'incident-severe', id);
    const open = await w.teacher.client.agent.get(`/api/safety/incidents/${id}`);
    expect(open.body.currentSteps.map((s: { id: string }) => s.id)).toEqual(['DutyTeacherReview']);
    // and the county bureau can read it
    expect((await w.county.client.agent.get(`/api/safety/incidents/${id}`)).status).toBe(200);

    // when the school acts
    await complete(w.teacher.client, instanceKey, 'DutyTeacherReview', {
      dutyTeacherAccount: '从攀爬架跌落',
      measuresTaken: '送医',
      severity: 'serious',
    });
    await complete(w.admin.client, instanceKey, 'SafetyOfficerReview', {
      safetyFindings: '攀爬架下缺软垫',
      severity: 'serious',
    });
    await complete(w.principal.client, instanceKey, 'PrincipalReview', {
      principalConclusion: '较重事故，学校承担看护责任',
      severity: 'serious',
      claimRequired: false,
    });

    // then the county bureau reviews it before it closes
    await complete(w.county.client, instanceKey, 'CountyBureauReview', {
      countyOpinion: '限期补装软垫',
      followUpRequired: true,
      followUpActions: '一周内补装并报告',
    });
    const closed = await incidentWhere(w.county.client, id, 'closed', (b) => b.status === 'closed');
    expect(closed.reviews).toMatchObject({ countyOpinion: '限期补装软垫' });
    // and the county was told once, though the school kept the grade serious at every step
    const all = await w.county.client.agent.get('/api/notifications?limit=100');
    expect(
      (all.body.items as SentNotification[]).filter(
        (n) => n.template === 'incident-severe' && n.data?.incidentId === id,
      ),
    ).toHaveLength(1);
  }, 120_000);

  it('should tell the county bureau at once when the duty teacher re-grades an incident as critical', async () => {
    // given a moderate incident
    const reported = await report(w, { severity: 'moderate', involvedStudentIds: [w.kidB._id] });
    const id = reported.body.id as string;
    const instanceKey = reported.body.instanceKey as string;

    // when the duty teacher finds it critical
    await complete(w.teacher.client, instanceKey, 'DutyTeacherReview', {
      dutyTeacherAccount: '学生昏迷，已送医院',
      measuresTaken: '拨打120，通知家长',
      severity: 'critical',
    });

    // then the county bureau is told before the next step is done
    const toCounty = await notified(w.county.client, 'incident-severe', id);
    expect(toCounty.title).toBe('课后服务重大安全事故报告');
    const view = await w.teacher.client.agent.get(`/api/safety/incidents/${id}`);
    expect(view.body).toMatchObject({ severity: 'critical', reportedSeverity: 'moderate' });
  }, 60_000);
});

describe('safety incident step deadline (timer escalation)', () => {
  let h: DomainHarness;
  let w: World;

  beforeAll(async () => {
    h = await startDomainHarness({ incidentStepDeadline: 'PT1S' });
    w = await world(h);
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  it('should escalate to the county bureau when the duty teacher waits past the deadline, and have the county review it', async () => {
    // given a minor incident nobody acts on
    const reported = await report(w, { involvedStudentIds: [w.kidA._id] });
    const id = reported.body.id as string;
    const instanceKey = reported.body.instanceKey as string;

    // then, past the deadline, the county bureau and the safety officer are told
    const toCounty = await notified(w.county.client, 'incident-step-overdue', id);
    expect(toCounty.title).toBe('安全事故处置超时');
    await notified(w.admin.client, 'incident-step-overdue', id);
    const late = await incidentWhere(
      w.teacher.client,
      id,
      'escalated',
      (b) => b.escalated === true,
    );
    // and the duty teacher's task stays open
    expect((late.currentSteps as { id: string }[]).map((s) => s.id)).toContain('DutyTeacherReview');

    // when the school then acts
    await complete(w.teacher.client, instanceKey, 'DutyTeacherReview', {
      dutyTeacherAccount: '值班教师迟报',
      measuresTaken: '已处理',
      severity: 'minor',
    });
    await complete(w.admin.client, instanceKey, 'SafetyOfficerReview', {
      safetyFindings: '值班安排疏漏',
      severity: 'minor',
    });
    await complete(w.principal.client, instanceKey, 'PrincipalReview', {
      principalConclusion: '加强值班',
      severity: 'minor',
      claimRequired: false,
    });

    // then even a minor incident that was escalated goes to the county bureau's review
    await complete(w.county.client, instanceKey, 'CountyBureauReview', {
      countyOpinion: '通报批评，整改值班',
    });
    await incidentWhere(w.county.client, id, 'closed', (b) => b.status === 'closed');
  }, 120_000);
});
