import request from 'supertest';
import type { Role } from '../../server/auth/roles';
import { eventually } from '../fixtures/engine';
import {
  buildOrgTree,
  classScope,
  type OrgTree,
  schoolScope,
  signIn,
  type SignedInClient,
} from '../fixtures/identity';
import { MONITOR_PROCESS, startMonitorHarness, type MonitorHarness } from '../fixtures/monitor';

describe('instance monitor', () => {
  let h: MonitorHarness;
  const stamp = Date.now().toString(36);
  const cityA = `city-a-${stamp}`;
  let a1: OrgTree; // city A, county 1, school 1, class 1
  let a2: OrgTree; // city A, another county and school
  let b: OrgTree; // another city
  let inA1: string;
  let inA1b: string; // same school as a1, another class
  let inA2: string;
  let inB: string;
  const clients = new Map<string, SignedInClient>();

  /** Signs in a new user holding one membership. */
  async function as(name: string, role: Role, scope: OrgTree['class'] | object) {
    const user = await h.createUser({
      kind: role === 'parent' ? 'parent' : 'staff',
      memberships: [{ role, scope: scope as never }],
    });
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });
    clients.set(name, client);
    return client;
  }
  const client = (name: string) => clients.get(name)!;

  beforeAll(async () => {
    h = await startMonitorHarness();
    a1 = buildOrgTree({ cityId: cityA });
    a2 = buildOrgTree({ cityId: cityA });
    b = buildOrgTree({ cityId: `city-b-${stamp}` });
    const a1b: OrgTree = { ...a1, class: { ...a1.class, _id: `${a1.grade._id}-c2` } };
    inA1 = await h.start(a1);
    inA1b = await h.start(a1b);
    inA2 = await h.start(a2);
    inB = await h.start(b);
    await as('city', 'cityBureau', { cityId: cityA });
    await as('county', 'countyBureau', { cityId: cityA, countyId: a1.county._id });
    await as('admin', 'schoolAdmin', schoolScope(a1));
    await as('principal', 'principal', schoolScope(a1));
    await as('teacher', 'classTeacher', classScope(a1));
    await as('parent', 'parent', classScope(a1));
    await as('committee', 'committee', schoolScope(a1));
    await as('adminB', 'schoolAdmin', schoolScope(b));
  });

  afterAll(async () => {
    await h.close();
  });

  it('should need a session', async () => {
    // when
    const list = await request(h.app).get('/api/monitor/instances');
    const retry = await request(h.app).post('/api/monitor/incidents/1/retry').send({});

    // then
    expect([list.status, retry.status]).toEqual([401, 401]);
  });

  it.each([
    ['city', () => [inA1, inA1b, inA2]],
    ['county', () => [inA1, inA1b]],
    ['admin', () => [inA1, inA1b]],
    ['principal', () => [inA1, inA1b]],
    ['teacher', () => [inA1]],
    ['parent', () => []],
    ['committee', () => []],
    ['adminB', () => [inB]],
  ])('should list to %s exactly the instances of their place', async (who, expected) => {
    // when
    const res = await client(who).agent.get(`/api/monitor/instances?process=${MONITOR_PROCESS}`);

    // then
    expect(res.status).toBe(200);
    expect(keys(res).sort()).toEqual(expected().sort());
    expect(res.body.total).toBe(expected().length);
  });

  it('should show an active instance with its state, scope and current step', async () => {
    // when
    const res = await client('teacher').agent.get(`/api/monitor/instances/${inA1}`);

    // then
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      key: inA1,
      processId: MONITOR_PROCESS,
      processName: '报名审核（监控测试）',
      processVersion: 1,
      state: 'ACTIVE',
      hasIncident: false,
      endDate: null,
      parentKey: null,
      cityId: cityA,
      countyId: a1.county._id,
      schoolId: a1.school._id,
      classId: a1.class._id,
      currentSteps: [
        {
          elementId: 'CheckEligibility',
          elementName: '资格检查',
          elementType: 'serviceTask',
          count: 1,
          hasIncident: false,
        },
      ],
      actions: { retry: false },
    });
  });

  it('should answer 404 for an instance of another tenant, and for the timeline and incidents', async () => {
    // when
    const responses = await Promise.all(
      [
        `/api/monitor/instances/${inB}`,
        `/api/monitor/instances/${inB}/timeline`,
        `/api/monitor/instances/${inB}/incidents`,
        `/api/monitor/instances/${inA1b}`, // the teacher's school, another class
      ].map((path) => client('teacher').agent.get(path)),
    );
    const adminOwn = await client('admin').agent.get(`/api/monitor/instances/${inA1}`);
    const countyOther = await client('county').agent.get(`/api/monitor/instances/${inA2}`);

    // then
    expect(responses.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    expect(responses[0]!.body).toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    expect(JSON.stringify(responses.map((r) => r.body))).not.toContain(b.school._id);
    expect(adminOwn.body.actions).toEqual({ retry: true });
    expect(countyOther.status).toBe(404);
  });

  it('should filter by state, incident, school, class and start time, and sort and page', async () => {
    // given a finished instance of its own class
    const tree = buildOrgTree({ cityId: cityA });
    const done = await h.start(tree);
    await h.passCheck(done);
    const task = await eventually(async () =>
      h.engine.collections.tasks.findOne({ processInstanceKey: done }).then((x) => x ?? undefined),
    );
    await h.engine.completeUserTask(task._id, {});
    const city = client('city').agent;
    const base = `/api/monitor/instances?process=${MONITOR_PROCESS}`;

    // when
    const completed = await city.get(`${base}&state=COMPLETED`);
    const bySchool = await city.get(`${base}&schoolId=${a1.school._id}`);
    const byClass = await city.get(`${base}&classId=${a1.class._id}`);
    const noIncident = await city.get(`${base}&hasIncident=false&schoolId=${tree.school._id}`);
    const future = await city.get(`${base}&startedFrom=2999-01-01`);
    const today = await city.get(
      `${base}&startedFrom=2000-01-01&startedTo=${new Date().toISOString()}`,
    );
    const page1 = await city.get(`${base}&sort=startDate&size=2`);
    const page2 = await city.get(`${base}&sort=startDate&size=2&page=2`);
    const bad = await city.get(`${base}&state=DONE&size=1000`);

    // then
    expect(keys(completed)).toEqual([done]);
    expect(completed.body.items[0]).toMatchObject({ state: 'COMPLETED', currentSteps: [] });
    expect(completed.body.items[0].endDate).toEqual(expect.any(String));
    expect(keys(bySchool).sort()).toEqual([inA1, inA1b].sort());
    expect(keys(byClass)).toEqual([inA1]);
    expect(keys(noIncident)).toEqual([done]);
    expect(future.body).toMatchObject({ total: 0, items: [] });
    expect(today.body.total).toBeGreaterThanOrEqual(4);
    expect(page1.body.total).toBe(page2.body.total);
    expect(keys(page1)).toEqual([inA1, inA1b]);
    expect(keys(page2)[0]).toBe(inA2);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['size', 'state']);
  });

  it('should show an instance timeline with element names, who and when', async () => {
    // given an instance whose check passed and whose review a person completed
    const tree = buildOrgTree({ cityId: cityA });
    const key = await h.start(tree);
    await h.passCheck(key);
    const reviewer = await h.createUser({
      displayName: '王老师',
      memberships: [{ role: 'classTeacher', scope: classScope(tree) }],
    });
    const task = await eventually(async () =>
      h.engine.collections.tasks.findOne({ processInstanceKey: key }).then((x) => x ?? undefined),
    );
    await h.engine.completeUserTask(task._id, { approved: true }, undefined, reviewer._id);

    // when
    const res = await client('city').agent.get(`/api/monitor/instances/${key}/timeline`);

    // then
    expect(res.status).toBe(200);
    const entries = res.body.entries as {
      version: number;
      by: string;
      byName: string;
      command: string;
      text: string;
      at: string;
      events: { elementId: string; elementName: string; transition: string }[];
    }[];
    expect(entries.map((e) => e.command)).toEqual(['create', 'jobComplete', 'taskComplete']);
    expect(entries.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(entries[0]!.events.map((e) => [e.elementId, e.transition])).toEqual([
      [MONITOR_PROCESS, 'ACTIVATED'],
      ['Start', 'ACTIVATED'],
      ['Start', 'COMPLETED'],
      ['CheckEligibility', 'ACTIVATED'],
    ]);
    expect(entries[1]!.byName).toBe('任务处理程序');
    expect(entries[2]).toMatchObject({ by: reviewer._id, byName: '王老师' });
    expect(entries[2]!.text).toBe(
      '王老师：办理人工任务（班级审核完成、审核结束开始、审核结束完成、报名审核（监控测试）完成）',
    );
    expect(entries[0]!.text).toContain('启动流程（报名审核（监控测试）开始、提交申请开始');
    for (const e of entries) expect(Date.parse(e.at)).not.toBeNaN();
  });

  it('should list an incident and let a school admin retry it, giving the job its retries back', async () => {
    // given an instance whose check job failed without retries left
    const key = await h.start(a1);
    const jobKey = await h.failCheck(key, '学籍系统暂时无法访问');
    const incidents = await client('teacher').agent.get(`/api/monitor/instances/${key}/incidents`);
    const incidentKey = incidents.body.items[0].key as string;

    // when
    const listed = await client('admin').agent.get(
      `/api/monitor/instances?process=${MONITOR_PROCESS}&hasIncident=true`,
    );
    const byTeacher = await client('teacher').post(`/api/monitor/incidents/${incidentKey}/retry`);
    const byPrincipal = await client('principal').post(
      `/api/monitor/incidents/${incidentKey}/retry`,
    );
    const byOtherSchool = await client('adminB').post(
      `/api/monitor/incidents/${incidentKey}/retry`,
    );
    const withoutCsrf = await client('admin').agent.post(
      `/api/monitor/incidents/${incidentKey}/retry`,
    );
    const byAdmin = await client('admin').post(`/api/monitor/incidents/${incidentKey}/retry`);
    const again = await client('admin').post(`/api/monitor/incidents/${incidentKey}/retry`);

    // then the incident was shown to those who read the instance
    expect(incidents.status).toBe(200);
    expect(incidents.body.items).toEqual([
      expect.objectContaining({
        processInstanceKey: key,
        elementId: 'CheckEligibility',
        elementName: '资格检查',
        errorType: 'JOB_NO_RETRIES',
        errorMessage: '学籍系统暂时无法访问',
        state: 'ACTIVE',
        jobKey,
        jobRetries: 0,
      }),
    ]);
    expect(keys(listed)).toEqual([key]);
    expect(listed.body.items[0].currentSteps[0]).toMatchObject({
      elementId: 'CheckEligibility',
      hasIncident: true,
    });
    // only the school's admin could retry it
    expect(byTeacher.status).toBe(403);
    expect(byTeacher.body.code).toBe('MONITOR_FORBIDDEN');
    expect(byPrincipal.status).toBe(403);
    expect(byOtherSchool.status).toBe(404);
    expect(withoutCsrf.status).toBe(403);
    expect(byAdmin.status).toBe(204);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INCIDENT_NOT_ACTIVE');
    // the job is back with a retry, and passing it moves the instance on
    const after = await client('admin').agent.get(`/api/monitor/instances/${key}/incidents`);
    expect(after.body.items[0]).toMatchObject({ key: incidentKey, state: 'RESOLVED' });
    const job = await h.engine.collections.jobs.findOne({ processInstanceKey: key });
    expect(job).toMatchObject({ state: 'ACTIVATABLE', retries: 1 });
    await h.passCheck(key);
    const moved = await client('admin').agent.get(`/api/monitor/instances/${key}`);
    expect(moved.body).toMatchObject({
      hasIncident: false,
      currentSteps: [{ elementId: 'ClassReview', elementName: '班级审核' }],
    });
    const timeline = await client('admin').agent.get(`/api/monitor/instances/${key}/timeline`);
    expect(timeline.body.entries.map((e: { command: string }) => e.command)).toEqual([
      'create',
      'jobFail',
      'resolve',
      'jobComplete',
    ]);
  });

  it('should let the city bureau retry an incident anywhere in its city', async () => {
    // given
    const key = await h.start(a2);
    await h.failCheck(key);
    const incidents = await client('city').agent.get(`/api/monitor/instances/${key}/incidents`);

    // when
    const res = await client('city').post(
      `/api/monitor/incidents/${incidents.body.items[0].key}/retry`,
      { retries: 3 },
    );

    // then
    expect(res.status).toBe(204);
    const job = await h.engine.collections.jobs.findOne({ processInstanceKey: key });
    expect(job).toMatchObject({ retries: 3 });
  });

  it('should count active instances and incidents per element for the diagram, per reader', async () => {
    // given a school of its own with three instances: one checked, one failed, one waiting
    const tree = buildOrgTree({ cityId: cityA });
    const first = await h.start(tree);
    const second = await h.start(tree);
    await h.start(tree);
    await h.passCheck(first);
    await h.failCheck(second);
    const own = await as('statsAdmin', 'schoolAdmin', schoolScope(tree));

    // when
    const byAdmin = await own.agent.get(`/api/monitor/statistics?process=${MONITOR_PROCESS}`);
    const byCity = await client('city').agent.get(
      `/api/monitor/statistics?process=${MONITOR_PROCESS}&schoolId=${tree.school._id}`,
    );
    const byOtherSchool = await client('adminB').agent.get(
      `/api/monitor/statistics?process=${MONITOR_PROCESS}&schoolId=${tree.school._id}`,
    );
    const byParent = await client('parent').agent.get(
      `/api/monitor/statistics?process=${MONITOR_PROCESS}`,
    );

    // then
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.items).toEqual([
      expect.objectContaining({
        processId: MONITOR_PROCESS,
        processName: '报名审核（监控测试）',
        processVersion: 1,
        instances: { active: 3, completed: 0, terminated: 0, withIncident: 1 },
        elements: [
          { elementId: 'CheckEligibility', elementName: '资格检查', active: 2, incidents: 1 },
          { elementId: 'ClassReview', elementName: '班级审核', active: 1, incidents: 0 },
        ],
      }),
    ]);
    expect(byCity.body.items[0].elements).toEqual(byAdmin.body.items[0].elements);
    expect(byOtherSchool.body.items).toEqual([]);
    expect(byParent.body.items).toEqual([]);
  });

  it('should give the diagram of a version only to those who read an instance of it', async () => {
    // given
    const instance = await client('teacher').agent.get(`/api/monitor/instances/${inA1}`);
    const key = instance.body.processDefinitionKey as string;

    // when
    const byTeacher = await client('teacher').agent.get(`/api/monitor/definitions/${key}`);
    const byParent = await client('parent').agent.get(`/api/monitor/definitions/${key}`);
    const unknown = await client('admin').agent.get('/api/monitor/definitions/99999999');

    // then
    expect(byTeacher.status).toBe(200);
    expect(byTeacher.body).toMatchObject({
      key,
      processId: MONITOR_PROCESS,
      processName: '报名审核（监控测试）',
      processVersion: 1,
    });
    expect(byTeacher.body.xml).toContain('id="CheckEligibility"');
    expect([byParent.status, unknown.status]).toEqual([404, 404]);
    expect(byParent.body.code).toBe('DEFINITION_NOT_FOUND');
  });

  it('should answer 404 for an unknown incident', async () => {
    // when
    const res = await client('admin').post('/api/monitor/incidents/99999999/retry');

    // then
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('INCIDENT_NOT_FOUND');
  });
});

// helpers //////////

function keys(res: { body: { items?: { key: string }[] } }): string[] {
  return (res.body.items ?? []).map((i) => i.key);
}
