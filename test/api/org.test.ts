import request from 'supertest';
import {
  buildStudent,
  classScope,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';

describe('organisation lists', () => {
  let h: IdentityHarness;
  let a: OrgTree;
  let b: OrgTree;

  beforeAll(async () => {
    h = await startIdentityHarness();
    a = await h.createOrgTree();
    b = await h.createOrgTree();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should need a session', async () => {
    for (const path of [
      '/api/org/counties',
      '/api/org/schools',
      '/api/org/classes',
      '/api/org/students',
    ]) {
      const res = await request(h.app).get(path);
      expect(res.status).toBe(401);
    }
  });

  it("should list a class teacher's school, class and students, without sensitive fields", async () => {
    // given
    const parent = await h.createUser({ kind: 'parent' });
    await h.createStudents([
      buildStudent(a, {
        name: '张小一',
        guardians: [{ userId: parent._id, relation: 'mother', name: '李梅', phone: parent.phone! }],
        priorityGroups: {
          disabled: true,
          leftBehind: false,
          migrantWorkerChild: false,
          financialDifficulty: true,
        },
        povertyRegistered: true,
        insurance: { insurer: '测试保险', policyNo: 'T-1', validUntil: new Date('2099-08-31') },
      }),
      buildStudent(a, { name: '张小二' }),
      buildStudent(b, { name: '王小三' }),
    ]);
    const teacher = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(a) }],
    });
    const client = await signIn(h.app, { phone: teacher.phone!, password: teacher.password });

    // when
    const schools = await client.agent.get('/api/org/schools');
    const classes = await client.agent.get('/api/org/classes');
    const students = await client.agent.get('/api/org/students');

    // then
    expect(schools.body).toMatchObject({
      total: 1,
      items: [{ id: a.school._id, name: a.school.name }],
    });
    expect(classes.body).toMatchObject({
      total: 1,
      items: [{ id: a.class._id, name: '三年级（1）班' }],
    });
    expect(students.status).toBe(200);
    expect(students.body.total).toBe(2);
    expect(students.body.items.map((s: { name: string }) => s.name).sort()).toEqual([
      '张小一',
      '张小二',
    ]);
    const first = students.body.items.find((s: { name: string }) => s.name === '张小一');
    expect(first).toMatchObject({ classId: a.class._id, isInsured: true, enrolled: true });
    expect(Object.keys(first).sort()).toEqual(
      [
        'classId',
        'enrolled',
        'gender',
        'gradeId',
        'id',
        'isInsured',
        'name',
        'schoolId',
        'studentNo',
      ].sort(),
    );
    expect(JSON.stringify(students.body)).not.toMatch(/idNumber|phone|poverty|disabled|guardians/);
  });

  it("should list a parent's own children only", async () => {
    // given
    const parent = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(b) }],
    });
    await h.createStudents([
      buildStudent(b, {
        name: '赵小四',
        guardians: [{ userId: parent._id, relation: 'father', name: '赵强', phone: parent.phone! }],
      }),
      buildStudent(b, { name: '钱小五' }),
    ]);
    const client = await signIn(h.app, { phone: parent.phone!, password: parent.password });

    // when
    const res = await client.agent.get('/api/org/students');

    // then
    expect(res.body.items.map((s: { name: string }) => s.name)).toEqual(['赵小四']);
  });

  it("should list all of a county's schools for its bureau, and filter and page", async () => {
    // given
    const bureau = await h.createUser({
      memberships: [{ role: 'countyBureau', scope: { cityId: a.cityId, countyId: a.county._id } }],
    });
    const client = await signIn(h.app, { username: bureau.username!, password: bureau.password });

    // when
    const schools = await client.agent.get('/api/org/schools');
    const page = await client.agent.get(
      `/api/org/students?classId=${a.class._id}&limit=1&offset=1`,
    );
    const bad = await client.agent.get('/api/org/students?limit=1000&classId=a:b');

    // then
    expect(schools.body.items.map((s: { id: string }) => s.id)).toEqual([a.school._id]);
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.body.items).toHaveLength(1);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'classId',
      'limit',
    ]);
  });

  it('should show a school committee member the school and its classes but no other children', async () => {
    // given
    const member = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'committee', scope: schoolScope(a) }],
    });
    const client = await signIn(h.app, { phone: member.phone!, password: member.password });

    // when
    const classes = await client.agent.get('/api/org/classes');
    const students = await client.agent.get('/api/org/students');

    // then
    expect(classes.body.items.map((c: { id: string }) => c.id)).toEqual([a.class._id]);
    expect(students.body).toMatchObject({ total: 0, items: [] });
  });

  it("should name the counties of the schools a person may read: a school admin's own, every county's for the city bureau", async () => {
    // given a school admin of a's school and the city bureau
    const admin = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(a) }],
    });
    const city = await h.createUser({
      memberships: [{ role: 'cityBureau', scope: { cityId: a.cityId } }],
    });
    const parent = await h.createUser({ kind: 'parent' });
    const adminClient = await signIn(h.app, { phone: admin.phone!, password: admin.password });
    const cityClient = await signIn(h.app, { username: city.username!, password: city.password });
    const parentClient = await signIn(h.app, { phone: parent.phone!, password: parent.password });

    // when they list the counties
    const mine = await adminClient.agent.get('/api/org/counties');
    const all = await cityClient.agent.get('/api/org/counties');
    const none = await parentClient.agent.get('/api/org/counties');

    // then the admin sees its county's name only, the city bureau both, a parent without children none
    expect(mine.status).toBe(200);
    expect(mine.body.items).toEqual([{ id: a.county._id, cityId: a.cityId, name: a.county.name }]);
    const ids = all.body.items.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining([a.county._id, b.county._id]));
    expect(all.body.items.find((c: { id: string }) => c.id === b.county._id).name).toBe(
      b.county.name,
    );
    expect(none.body.items).toEqual([]);
  });
});
