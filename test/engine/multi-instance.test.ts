import {
  awaitIncident,
  awaitState,
  elementsIn,
  pathOf,
  problemOf,
  rootVariables,
  start,
  worker,
  NOW,
} from '../fixtures/conformance';
import {
  brand,
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';

describe('multi-instance activities', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(
      h,
      'mi-parallel.bpmn',
      'mi-sequential.bpmn',
      'mi-n-of-m.bpmn',
      'mi-sub-process.bpmn',
      'mi-user-task.bpmn',
      'mi-veto.bpmn',
    );
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  /** Activates jobs of a type by hand until `count` are held (so the test decides the completion order). */
  async function holdJobs(type: string, count: number) {
    const held: Awaited<ReturnType<EngineHarness['client']['activateJobs']>>['jobs'] = [];
    await eventually(async () => {
      const res = await h.client.activateJobs({
        type,
        maxJobsToActivate: count - held.length,
        timeout: 60_000,
        worker: 'conformance',
        requestTimeout: -1,
      });
      held.push(...res.jobs);
      return held.length >= count ? true : undefined;
    });
    return held;
  }

  async function innerStates(key: string, elementId: string) {
    return (await pathOf(h, key))
      .filter((e) => e.elementId === elementId && e.type !== 'MULTI_INSTANCE_BODY')
      .map((e) => e.state);
  }

  it('should run a parallel multi-instance service task once per item and collect the outputs in item order', async () => {
    // given
    const key = await start(h, 'mi-parallel', { items: [1, 2, 3] });
    const jobs = await holdJobs('mi-double', 3);
    const seen = jobs
      .map((j) => ({ item: j.variables.item, loopCounter: j.variables.loopCounter }))
      .sort((a, b) => Number(a.item) - Number(b.item));
    expect(seen).toEqual([
      { item: 1, loopCounter: 1 },
      { item: 2, loopCounter: 2 },
      { item: 3, loopCounter: 3 },
    ]);

    // when
    for (const job of [...jobs].reverse())
      await h.client.completeJob({
        jobKey: job.jobKey,
        variables: { doubled: Number(job.variables.item) * 2 },
      });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toEqual({ items: [1, 2, 3], results: [2, 4, 6] });
    const path = await pathOf(h, key);
    expect(path.filter((e) => e.type === 'MULTI_INSTANCE_BODY').map((e) => e.state)).toEqual([
      'COMPLETED',
    ]);
    expect(await innerStates(key, 'Each')).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('should run a sequential multi-instance service task one item after the other', async () => {
    // given
    const key = await start(h, 'mi-sequential', { items: ['a', 'b', 'c'] });
    const order: unknown[] = [];

    // when
    for (let i = 0; i < 3; i++) {
      const [job] = await holdJobs('mi-seq', 1);
      const more = await h.client.activateJobs({
        type: 'mi-seq',
        maxJobsToActivate: 10,
        timeout: 60_000,
        worker: 'conformance',
        requestTimeout: -1,
      });
      expect(more.jobs).toEqual([]);
      expect((await innerStates(key, 'Each')).filter((s) => s === 'ACTIVE')).toHaveLength(1);
      order.push([job!.variables.item, job!.variables.loopCounter]);
      await h.client.completeJob({
        jobKey: job!.jobKey,
        variables: { doubled: `${String(job!.variables.item)}${String(job!.variables.item)}` },
      });
    }

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(order).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(await rootVariables(h, key)).toEqual({
      items: ['a', 'b', 'c'],
      results: ['aa', 'bb', 'cc'],
    });
  });

  it('should complete when the completion condition holds and terminate the other instances (N of M)', async () => {
    // given
    const key = await start(h, 'mi-n-of-m', { items: [1, 2, 3, 4] });
    const jobs = await holdJobs('mi-race', 4);
    const byItem = new Map(jobs.map((j) => [Number(j.variables.item), j]));

    // when
    await h.client.completeJob({ jobKey: byItem.get(3)!.jobKey, variables: { doubled: 6 } });
    await h.client.completeJob({ jobKey: byItem.get(1)!.jobKey, variables: { doubled: 2 } });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect((await innerStates(key, 'Each')).sort()).toEqual([
      'COMPLETED',
      'COMPLETED',
      'TERMINATED',
      'TERMINATED',
    ]);
    expect(await rootVariables(h, key)).toEqual({
      items: [1, 2, 3, 4],
      results: [2, null, 6, null],
    });
    const late = await problemOf(
      h.client.completeJob({ jobKey: byItem.get(2)!.jobKey, variables: { doubled: 4 } }),
    );
    expect(late.status).toBe(404);
  });

  it('should complete at once on an empty input collection', async () => {
    // given
    const variables = { items: [] };

    // when
    const key = await start(h, 'mi-parallel', variables);

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(await innerStates(key, 'Each')).toEqual([]);
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual(['mi-parallel', 'Start', 'Each', 'End']);
    expect(await rootVariables(h, key)).toEqual({ items: [], results: [] });
  });

  it('should run an embedded sub-process once per item with its own input element', async () => {
    // given
    const seen: unknown[] = [];
    worker(h, 'mi-check-class', (job) => {
      seen.push(job.variables.className);
      return job.complete({ report: `${String(job.variables.className)} ok` });
    });

    // when
    const key = await start(h, 'mi-sub-process', { classes: ['1A', '1B', '2A'] });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect([...seen].sort()).toEqual(['1A', '1B', '2A']);
    expect(await rootVariables(h, key)).toEqual({
      classes: ['1A', '1B', '2A'],
      reports: ['1A ok', '1B ok', '2A ok'],
    });
    const path = await pathOf(h, key);
    expect(path.filter((e) => e.elementId === 'PerClass').map((e) => e.type)).toEqual([
      'MULTI_INSTANCE_BODY',
      'SUB_PROCESS',
      'SUB_PROCESS',
      'SUB_PROCESS',
    ]);
    expect(path.filter((e) => e.elementId === 'CheckClass')).toHaveLength(3);
  });

  it('should create one user task per reviewer and go on when two of three decided', async () => {
    // given
    const key = await start(h, 'mi-user-task', { reviewers: ['wang', 'li', 'zhao'] });
    const tasks = await eventually(async () => {
      const res = await h.client.searchUserTasks(
        { filter: { processInstanceKey: brand(key), elementId: brand('Review') } },
        NOW,
      );
      return (res.items ?? []).length === 3 ? (res.items ?? []) : undefined;
    });
    const byAssignee = new Map(tasks.map((t) => [String(t.assignee), t]));
    expect([...byAssignee.keys()].sort()).toEqual(['li', 'wang', 'zhao']);

    // when
    await h.client.completeUserTask({
      userTaskKey: byAssignee.get('wang')!.userTaskKey,
      variables: { decision: 'approve' },
    });
    await h.client.completeUserTask({
      userTaskKey: byAssignee.get('zhao')!.userTaskKey,
      variables: { decision: 'reject' },
    });

    // then
    const next = await eventually(async () => {
      const res = await h.client.searchUserTasks(
        { filter: { processInstanceKey: brand(key), elementId: brand('Decided') } },
        NOW,
      );
      return res.items?.[0];
    });
    expect(next.state).toBe('CREATED');
    const li = await h.client.getUserTask({ userTaskKey: byAssignee.get('li')!.userTaskKey }, NOW);
    expect(li.state).toBe('CANCELED');
    expect(await rootVariables(h, key)).toEqual({
      reviewers: ['wang', 'li', 'zhao'],
      decisions: ['approve', null, 'reject'],
    });
  });

  it('should evaluate the completion condition with the variables of the completing instance', async () => {
    // given
    const key = await start(h, 'mi-veto', { reviewers: ['wang', 'li', 'zhao'] });
    const tasks = await eventually(async () => {
      const res = await h.client.searchUserTasks(
        { filter: { processInstanceKey: brand(key), state: 'CREATED' } },
        NOW,
      );
      return (res.items ?? []).length === 3 ? (res.items ?? []) : undefined;
    });
    const byAssignee = new Map(tasks.map((t) => [String(t.assignee), t]));
    await h.client.completeUserTask({
      userTaskKey: byAssignee.get('wang')!.userTaskKey,
      variables: { decision: 'approve' },
    });

    // when
    await h.client.completeUserTask({
      userTaskKey: byAssignee.get('li')!.userTaskKey,
      variables: { decision: 'veto' },
    });

    // then
    await awaitState(h, key, 'COMPLETED');
    const zhao = await h.client.getUserTask(
      { userTaskKey: byAssignee.get('zhao')!.userTaskKey },
      NOW,
    );
    expect(zhao.state).toBe('CANCELED');
    expect(await rootVariables(h, key)).toEqual({
      reviewers: ['wang', 'li', 'zhao'],
      decisions: ['approve', 'veto', null],
    });
  });

  it('should raise an incident when the input collection is not a list and go on once it is', async () => {
    // given
    const key = await start(h, 'mi-parallel', { items: 'not a list' });
    const incident = await awaitIncident(h, key);
    expect(incident).toMatchObject({ elementId: 'Each', errorType: 'EXTRACT_VALUE_ERROR' });
    worker(h, 'mi-double', (job) => job.complete({ doubled: Number(job.variables.item) * 2 }));

    // when
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { items: [5] },
    });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toEqual({ items: [5], results: [10] });
    const bodies = (await pathOf(h, key)).filter((e) => e.type === 'MULTI_INSTANCE_BODY');
    expect(bodies.map((e) => e.state)).toEqual(['COMPLETED']);
  });
});
