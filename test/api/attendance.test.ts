import { enrolmentModels } from '../../server/modules/enrolment/enrolment.model';
import type { PlanDoc } from '../../server/modules/enrolment/enrolment.model';
import type { StudentDoc } from '../../server/modules/org/org.model';
import { createSafety, type ProcessPort } from '../../server/modules/safety';
import { createStaff } from '../../server/modules/staff';
import {
  buildStudent,
  classScope,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import { buildFiledPlan } from '../fixtures/plan';

/**
 * Attendance and hand-over through HTTP on the real database (SAFE-ATTEND): teachers check a
 * session's children in and hand each over to a named guardian at a time, a missing hand-over
 * is flagged, parents read their own child's lines, and the sessions a teacher ran are their
 * service hours. No process runs here (the incident's attachment is in test/workers/safety).
 */

/** Attendance starts no process; a port that refuses to is enough. */
const noEngine: ProcessPort = {
  startProcess: () => Promise.reject(new Error('no engine in this test')),
  snapshot: () => Promise.resolve(undefined),
};

const DATE = '2026-10-12';

describe('attendance and hand-over', () => {
  let h: IdentityHarness;
  let tree: OrgTree;
  let other: OrgTree;
  let kids: StudentDoc[];
  let parentId: string;
  let parent: SignedInClient;
  let teacher: SignedInClient;
  let teacherId: string;
  let classTeacher: SignedInClient;
  let admin: SignedInClient;
  let principal: SignedInClient;
  let outsider: SignedInClient;

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, _logger, auth) => {
      const safety = await createSafety({
        db,
        engine: noEngine,
        requireSession: auth.requireSession,
      });
      const staff = await createStaff({
        db,
        engine: noEngine,
        attendance: safety.attendance,
        requireSession: auth.requireSession,
      });
      return [
        { path: '/api/safety', router: safety.router },
        { path: '/api/staff', router: staff.router },
      ];
    });
    tree = await h.createOrgTree();
    other = await h.createOrgTree();
    await enrolmentModels(h.db.connection).plans.create(plan(tree));
    await enrolmentModels(h.db.connection).plans.create(plan(other));
    const p = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(tree) }],
    });
    parentId = p._id;
    kids = [
      buildStudent(tree, {
        name: '张小一',
        guardians: [{ userId: parentId, relation: 'mother', name: '李梅', phone: p.phone! }],
      }),
      buildStudent(tree, { name: '王小二' }),
      buildStudent(tree, { name: '赵小三' }),
    ];
    await h.createStudents(kids);
    const t = await h.createUser({
      displayName: '王老师',
      memberships: [{ role: 'teacher', scope: schoolScope(tree) }],
    });
    teacherId = t._id;
    const ct = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(other) }],
    });
    const a = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    const pr = await h.createUser({
      memberships: [{ role: 'principal', scope: schoolScope(tree) }],
    });
    const o = await h.createUser({
      memberships: [{ role: 'teacher', scope: schoolScope(other) }],
    });
    parent = await signIn(h.app, { phone: p.phone!, password: p.password });
    teacher = await signIn(h.app, { phone: t.phone!, password: t.password });
    classTeacher = await signIn(h.app, { phone: ct.phone!, password: ct.password });
    admin = await signIn(h.app, { phone: a.phone!, password: a.password });
    principal = await signIn(h.app, { phone: pr.phone!, password: pr.password });
    outsider = await signIn(h.app, { phone: o.phone!, password: o.password });
  });

  afterAll(async () => {
    await h.close();
  });

  const checkIn = (client: SignedInClient, date = DATE, students = kids) =>
    client.post('/api/safety/attendance/check-ins', {
      sessionId: 'S1',
      date,
      dutyStaffId: 'duty-1',
      students: students.map((s) => ({ studentId: s._id, present: true })),
    });

  const handOver = (client: SignedInClient, student: StudentDoc, date = DATE) =>
    client.post('/api/safety/attendance/hand-overs', {
      sessionId: 'S1',
      date,
      studentId: student._id,
      guardianName: '李梅',
      relation: '母亲',
      at: '18:35',
    });

  it('should flag the present child a teacher has not handed over (SAFE-ATTEND)', async () => {
    // given a teacher checks the session's three children in
    const sheet = await checkIn(teacher);
    expect(sheet.status).toBe(200);
    expect(sheet.body).toMatchObject({
      sessionId: 'S1',
      sessionName: '作业辅导与阅读',
      date: DATE,
      start: '16:40',
      end: '18:30',
      teacherUserId: teacherId,
      teacherName: '王老师',
    });
    expect(sheet.body.records).toHaveLength(3);

    // when two are handed over to a named guardian at a time
    const first = await handOver(teacher, kids[0]!);
    await handOver(teacher, kids[1]!);

    // then the third is flagged, naming the rule
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      studentId: kids[0]!._id,
      present: true,
      handOver: { guardianName: '李梅', relation: '母亲', at: '18:35' },
      handOverMissing: false,
    });
    const open = await admin.agent.get(`/api/safety/attendance/open-hand-overs?date=${DATE}`);
    expect(open.status).toBe(200);
    expect(open.body.items).toEqual([
      {
        sessionId: 'S1',
        sessionName: '作业辅导与阅读',
        date: DATE,
        students: [{ studentId: kids[2]!._id, studentName: '赵小三', classId: tree.class._id }],
      },
    ]);
    expect(open.body.rules).toEqual([
      expect.objectContaining({ rule: 'SAFE-ATTEND', message: expect.stringContaining('赵小三') }),
    ]);
  });

  it("should show a parent only their own child's lines, and the school's staff all of them", async () => {
    // when
    const mine = await parent.agent.get(`/api/safety/attendance?date=${DATE}`);
    const school = await principal.agent.get(`/api/safety/attendance?date=${DATE}`);
    const elsewhere = await outsider.agent.get(`/api/safety/attendance?date=${DATE}`);

    // then
    expect(mine.body.items.map((r: { studentId: string }) => r.studentId)).toEqual([kids[0]!._id]);
    expect(school.body.total).toBe(3);
    expect(elsewhere.body.total).toBe(0);
  });

  it('should let neither a parent nor a teacher of another school record attendance', async () => {
    // when
    const byParent = await checkIn(parent, '2026-10-13', [kids[0]!]);
    const byOtherTeacher = await outsider.post('/api/safety/attendance/check-ins', {
      schoolId: tree.school._id,
      sessionId: 'S1',
      date: '2026-10-13',
      students: [{ studentId: kids[0]!._id }],
    });
    const byOtherClassTeacher = await classTeacher.post('/api/safety/attendance/hand-overs', {
      schoolId: tree.school._id,
      sessionId: 'S1',
      date: DATE,
      studentId: kids[2]!._id,
      guardianName: '赵父',
      at: '18:40',
    });

    // then
    expect(byParent.status).toBe(403);
    // a school out of the teacher's reach is not confirmed
    expect(byOtherTeacher.status).toBe(404);
    expect(byOtherClassTeacher.status).toBe(404);
    const open = await admin.agent.get(`/api/safety/attendance/open-hand-overs?date=${DATE}`);
    expect(open.body.items[0].students).toHaveLength(1);
  });

  it('should refuse a hand-over of a child not checked in, and a session not in the filed plan', async () => {
    // when
    const notCheckedIn = await handOver(teacher, kids[0]!, '2026-10-14');
    const unknownSession = await teacher.post('/api/safety/attendance/check-ins', {
      sessionId: 'S9',
      date: DATE,
      students: [{ studentId: kids[0]!._id }],
    });
    const absent = await teacher.post('/api/safety/attendance/check-ins', {
      sessionId: 'S1',
      date: '2026-10-15',
      students: [{ studentId: kids[1]!._id, present: false }],
    });
    const absentHandOver = await handOver(teacher, kids[1]!, '2026-10-15');

    // then
    expect(notCheckedIn.status).toBe(409);
    expect(notCheckedIn.body).toMatchObject({
      code: 'NOT_CHECKED_IN',
      title: '该学生本次课后服务尚未签到',
    });
    expect(unknownSession.status).toBe(400);
    expect(unknownSession.body.code).toBe('UNKNOWN_SESSION');
    expect(absent.status).toBe(200);
    expect(absentHandOver.status).toBe(409);
    expect(absentHandOver.body.code).toBe('ABSENT');
  });

  it('should count the sessions a teacher ran as their service hours of the month', async () => {
    // given a second day run by the same teacher (the 15th was opened by them too)
    await checkIn(teacher, '2026-10-16');

    // when
    const hours = await admin.agent.get('/api/staff/service-hours?month=2026-10');
    const county = await outsider.agent.get(
      `/api/staff/service-hours?month=2026-10&schoolId=${tree.school._id}`,
    );

    // then 3 sessions of 16:40–18:30 (110 minutes)
    expect(hours.status).toBe(200);
    expect(hours.body).toEqual({
      schoolId: tree.school._id,
      month: '2026-10',
      items: [
        {
          teacherUserId: teacherId,
          teacherName: '王老师',
          sessions: 3,
          minutes: 330,
          hours: 5.5,
        },
      ],
      totalMinutes: 330,
    });
    expect(county.status).toBe(404);
  });
});

// helpers //////////

/** The school's filed plan, without a midday service. */
function plan(tree: OrgTree): PlanDoc {
  return buildFiledPlan(tree, { middayMinutes: 0, middayFeeConsent: false });
}
