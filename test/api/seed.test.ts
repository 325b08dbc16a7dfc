import request from 'supertest';
import { loadConfig } from '../../server/config';
import { type RunningServer, startServer } from '../../server/main';
import { currentMonth } from '../../server/modules/billing/billing.service';
import { DEMO_LIFE_SCHOOL } from '../../server/modules/demo/demo.plans';
import { seedDemo, seedDemoIfEmpty } from '../../server/modules/demo/demo.service';
import { DEMO_PASSWORD } from '../../server/modules/demo/demo.data';
import { orgModels } from '../../server/modules/org/org.model';
import { userModels } from '../../server/modules/users/users.model';
import { ROLES } from '../../server/auth/roles';
import { createLogger } from '../../server/lib/logger';
import { type IdentityHarness, signIn, startIdentityHarness } from '../fixtures/identity';
import { testServerUri, testSqliteDir, uniqueDbName } from '../setup/db';

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

describe('demo seed in motion (npm start on an empty development database)', () => {
  let server: RunningServer;
  let dbUri: string;

  const start = async () =>
    startServer(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        MONGODB_URI: dbUri,
        NODE_ENV: 'development',
        LOG_LEVEL: 'silent',
        SESSION_SECRET: 'seed-test-secret-seed-test-secret-0123456789',
        KEHOU_WORKERS: 'in-process',
        ...(testSqliteDir() ? { FERRETDB_SQLITE_DIR: testSqliteDir() } : {}),
      }),
      createLogger('silent'),
    );

  beforeAll(async () => {
    const uri = new URL(testServerUri());
    uri.pathname = `/${uniqueDbName()}`;
    dbUri = uri.toString();
    server = await start();
  }, 120_000);

  afterAll(async () => {
    await server.db.connection.dropDatabase().catch(() => undefined);
    await server.stop();
  });

  it('should show a school with applications in every state, bills, an incident and an open survey', async () => {
    // when the demo school's life has been driven through the services and workers
    const report = await server.demoLife!;
    const admin = await signIn(server.app, { username: 'yh2.admin', password: DEMO_PASSWORD });
    const apps = await admin.agent.get(
      `/api/enrolment/applications?schoolId=${DEMO_LIFE_SCHOOL}&limit=200`,
    );

    // then every state of an application is there
    expect(report.steps.length).toBeGreaterThan(9);
    const items = apps.body.items as {
      id: string;
      status: string;
      currentSteps?: { id: string }[];
      fee?: { monthlyFen: number; free: boolean };
      placement?: { status: string };
    }[];
    const byStatus = (status: string) => items.filter((a) => a.status === status);
    expect(byStatus('enrolled')).toHaveLength(3);
    expect(byStatus('enrolled').some((a) => a.fee?.free)).toBe(true);
    expect(byStatus('enrolled').some((a) => (a.fee?.monthlyFen ?? 0) > 0)).toBe(true);
    expect(byStatus('waiting')).toHaveLength(1);
    expect(byStatus('refused')).toHaveLength(1);
    expect(byStatus('rejected')).toHaveLength(1);
    expect(byStatus('withdrawn')).toHaveLength(1);
    expect(byStatus('submitted')).toHaveLength(2);
    const refused = await admin.agent.get(
      `/api/enrolment/applications/${byStatus('refused')[0]!.id}`,
    );
    expect(JSON.stringify(refused.body.refusal)).toContain('SAFE-INSURE');

    // and the class review and the school approval wait in the inboxes
    const adminTasks = await admin.agent.get('/api/tasks?view=groups&size=100');
    expect(
      adminTasks.body.items.filter((t: { elementId: string }) => t.elementId === 'SchoolApproval'),
    ).toHaveLength(1);
    const pending = await Promise.all(
      byStatus('submitted').map((a) => admin.agent.get(`/api/enrolment/applications/${a.id}`)),
    );
    expect(
      pending.map((r) => (r.body.currentSteps as { id: string }[]).map((s) => s.id)).sort(),
    ).toEqual([['ClassReview'], ['SchoolApproval']]);

    // and this month's bills: one paid, one open, one waived
    const bills = await admin.agent.get(
      `/api/billing/bills?schoolId=${DEMO_LIFE_SCHOOL}&month=${currentMonth()}`,
    );
    expect(bills.body.items.map((b: { status: string }) => b.status).sort()).toEqual([
      'open',
      'paid',
      'waived',
    ]);

    // and an incident and the committee's open survey, with answers
    const incidents = await admin.agent.get(`/api/safety/incidents?schoolId=${DEMO_LIFE_SCHOOL}`);
    expect(incidents.body.total).toBe(1);
    const surveys = await admin.agent.get(`/api/surveys?schoolId=${DEMO_LIFE_SCHOOL}`);
    expect(surveys.body.items).toEqual([expect.objectContaining({ status: 'open', responses: 3 })]);
    const committee = await signIn(server.app, {
      username: 'yh2.committee',
      password: DEMO_PASSWORD,
    });
    const results = await committee.agent.get(`/api/surveys/${surveys.body.items[0].id}/results`);
    expect(results.body.responses).toBe(3);
    expect(results.body.withheld).toBeUndefined();
    expect(results.body.questions[1].answered).toBe(3);

    // and service staff registered through the process: a teacher and an outside coach serving
    // (FEE-EXTERNAL: by agreement, with remuneration), one whose registration the school ended
    const serving = await admin.agent.get(`/api/staff/members?schoolId=${DEMO_LIFE_SCHOOL}`);
    expect(serving.body.items).toHaveLength(2);
    expect(serving.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: '孟晓燕', employment: 'in-service', status: 'active' }),
        expect.objectContaining({
          name: '高建军',
          employment: 'external',
          agreementNo: 'YH2-XY-2026-003',
          remunerationFen: 120_000,
          status: 'active',
        }),
      ]),
    );
    const ended = await admin.agent.get(
      `/api/staff/members?schoolId=${DEMO_LIFE_SCHOOL}&status=ended`,
    );
    expect(ended.body.items).toEqual([
      expect.objectContaining({
        name: '邓丽萍',
        status: 'ended',
        ending: expect.objectContaining({ reason: '调往其他学校任教' }),
      }),
    ]);
  }, 300_000);

  it('should add nothing on a second start', async () => {
    // given the database of the previous test
    const counts = async () =>
      Object.fromEntries(
        await Promise.all(
          [
            'enrol_applications',
            'billing_bills',
            'safety_incidents',
            'surveys',
            'staff_registrations',
            'staff_endings',
          ].map(
            async (c) => [c, await server.db.connection.collection(c).countDocuments()] as const,
          ),
        ),
      );
    const before = await counts();
    await server.stop();

    // when
    server = await start();
    const report = await server.demoLife!;

    // then
    expect(report.steps).toEqual([]);
    expect(await counts()).toEqual(before);
  }, 300_000);
});
