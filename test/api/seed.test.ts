import request from 'supertest';
import { seedDemo, seedDemoIfEmpty } from '../../server/modules/demo/demo.service';
import { DEMO_PASSWORD } from '../../server/modules/demo/demo.data';
import { orgModels } from '../../server/modules/org/org.model';
import { userModels } from '../../server/modules/users/users.model';
import { ROLES } from '../../server/auth/roles';
import { createLogger } from '../../server/lib/logger';
import { type IdentityHarness, signIn, startIdentityHarness } from '../fixtures/identity';

describe('demo seed', () => {
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await startIdentityHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should seed an empty database with the demo organisation, and do nothing the second time', async () => {
    // when
    const seeded = await seedDemoIfEmpty(h.db, createLogger('silent'));

    // then
    expect(seeded).toBe(true);
    const org = orgModels(h.db.connection);
    const { users } = userModels(h.db.connection);
    expect(await org.cities.countDocuments()).toBe(1);
    expect(await org.counties.countDocuments()).toBe(2);
    expect(await org.schools.countDocuments()).toBe(3);
    expect(await org.grades.countDocuments()).toBe(6 + 9 + 6);
    expect(await org.classes.countDocuments()).toBe(6 * 3 + 9 * 2 + 6 * 2);
    expect(await org.students.countDocuments()).toBe(200);
    for (const role of ROLES)
      expect(await users.countDocuments({ 'memberships.role': role })).toBeGreaterThan(0);
    for (const flag of ['disabled', 'leftBehind', 'migrantWorkerChild', 'financialDifficulty'])
      expect(
        await org.students.countDocuments({ [`priorityGroups.${flag}`]: true }),
      ).toBeGreaterThan(0);
    expect(await org.students.countDocuments({ povertyRegistered: true })).toBeGreaterThan(0);
    const insured = await org.students.countDocuments({ insurance: { $exists: true } });
    expect(insured).toBeGreaterThan(150);
    expect(insured).toBeLessThan(200);

    // when run again, directly and through the empty-database check
    const userCount = await users.countDocuments();
    const again = await seedDemo(h.db);
    const seededAgain = await seedDemoIfEmpty(h.db, createLogger('silent'));

    // then
    expect(again.inserted).toBe(0);
    expect(seededAgain).toBe(false);
    expect(await users.countDocuments()).toBe(userCount);
    expect(await org.students.countDocuments()).toBe(200);
  });

  it('should let the demo accounts in the README sign in and see their places', async () => {
    // given the seeded database of the previous test

    // when
    const teacher = await signIn(h.app, { username: 'yh1.g3c2', password: DEMO_PASSWORD });
    const me = await teacher.agent.get('/api/auth/me');
    const students = await teacher.agent.get('/api/org/students');

    // then
    expect(me.body.groups).toEqual(['class:school-yh1-g3-c2:teacher']);
    expect(students.body.total).toBeGreaterThanOrEqual(4);

    // when: the teacher of one school whose child attends another
    const both = await signIn(h.app, { username: 'yh2.teacher1', password: DEMO_PASSWORD });
    const bothMe = await both.agent.get('/api/auth/me');

    // then
    expect(bothMe.body.roles).toEqual(['teacher', 'parent']);
    expect(bothMe.body.groups).toEqual(['school:school-yh2:teacher']);

    // when: a parent by phone, the committee, the bureaus and the worker
    for (const login of [
      { phone: '13900000001' },
      { username: 'yh1.committee' },
      { username: 'yh1.principal' },
      { username: 'yh1.admin' },
      { username: 'yuanhui.bureau' },
      { username: 'yancheng.bureau' },
      { username: 'luohe.bureau' },
      { username: 'worker' },
    ]) {
      const res = await request(h.app)
        .post('/api/auth/login')
        .send({ ...login, password: DEMO_PASSWORD });
      expect([login, res.status]).toEqual([login, 200]);
    }
    const bureau = await signIn(h.app, { username: 'luohe.bureau', password: DEMO_PASSWORD });
    expect((await bureau.agent.get('/api/org/schools')).body.total).toBe(3);
    expect((await bureau.agent.get('/api/org/students')).body.total).toBe(200);
  });
});
