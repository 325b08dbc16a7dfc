import {
  brand,
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';
import {
  elementsIn,
  instancesOf,
  jobsOf,
  startInstance,
  visits,
  waitForElement,
  waitForInstance,
} from '../fixtures/engine-queries';

describe('timer events', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(
      h,
      'timer-catch-duration.bpmn',
      'timer-catch-date.bpmn',
      'timer-boundary.bpmn',
      'timer-event-subprocess.bpmn',
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it('should wait at intermediate timer catch events for their durations', async () => {
    // given
    const key = await startInstance(h, 'timer-catch-duration');

    // when
    await waitForInstance(h, key, 'COMPLETED');

    // then
    const path = await visits(h, key);
    expect(path.map((v) => [v.elementId, v.state])).toEqual([
      ['timer-catch-duration', 'COMPLETED'],
      ['Start', 'COMPLETED'],
      ['WaitOneSecond', 'COMPLETED'],
      ['WaitHalfASecond', 'COMPLETED'],
      ['End', 'COMPLETED'],
    ]);
    // a timer never fires before it is due
    const found = await h.client.searchElementInstances(
      { filter: { processInstanceKey: brand(key), type: 'INTERMEDIATE_CATCH_EVENT' } },
      { consistency: { waitUpToMs: 0 } },
    );
    const waited = Object.fromEntries(
      (found.items ?? []).map((e) => [
        e.elementId,
        Date.parse(e.endDate ?? '') - Date.parse(e.startDate ?? ''),
      ]),
    );
    expect(waited.WaitOneSecond).toBeGreaterThanOrEqual(1000);
    expect(waited.WaitHalfASecond).toBeGreaterThanOrEqual(500);
  });

  it('should wait until a date computed by a FEEL expression', async () => {
    // given
    const key = await startInstance(h, 'timer-catch-feel-date');

    // when
    await waitForInstance(h, key, 'COMPLETED');

    // then
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'timer-catch-feel-date',
      'Start',
      'WaitUntilDue',
      'End',
    ]);
  });

  it('should fire a timer whose date lies in the past', async () => {
    // given
    const key = await startInstance(h, 'timer-catch-past-date');

    // when
    await waitForInstance(h, key, 'COMPLETED');

    // then
    expect(await elementsIn(h, key, 'COMPLETED')).toContain('WaitUntilPast');
  });

  it('should leave a task nobody completes through an interrupting boundary timer', async () => {
    // given
    const key = await startInstance(h, 'timer-boundary-interrupting');
    expect((await jobsOf(h, key)).map((j) => j.elementId)).toEqual(['CallSupplier']);

    // when
    await waitForInstance(h, key, 'COMPLETED');

    // then
    const path = await visits(h, key);
    expect(path.map((v) => [v.elementId, v.state])).toEqual([
      ['timer-boundary-interrupting', 'COMPLETED'],
      ['Start', 'COMPLETED'],
      ['CallSupplier', 'TERMINATED'],
      ['SupplierTimeout', 'COMPLETED'],
      ['GaveUp', 'COMPLETED'],
    ]);
    expect(await jobsOf(h, key)).toEqual([]);
  });

  it('should take a non-interrupting boundary timer cycle twice while the task goes on', async () => {
    // given
    const key = await startInstance(h, 'timer-boundary-cycle');

    // when
    await waitForElement(h, key, 'Reminded', 'COMPLETED', 2);

    // then
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['timer-boundary-cycle', 'PackParcel']);
    h.client.createJobWorker({
      jobType: 'pack-parcel',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => job.complete({ packed: true }),
    });
    await waitForInstance(h, key, 'COMPLETED');
    const completed = await elementsIn(h, key, 'COMPLETED');
    expect(completed.filter((id) => id === 'Reminder')).toHaveLength(2);
    expect(completed.filter((id) => id === 'Reminded')).toHaveLength(2);
    expect(completed).toEqual(expect.arrayContaining(['PackParcel', 'Packed']));
  });

  it('should interrupt the process with a timer event sub-process', async () => {
    // given
    const key = await startInstance(h, 'timer-event-subprocess');

    // when
    await waitForInstance(h, key, 'COMPLETED');

    // then
    const path = await visits(h, key);
    expect(path.map((v) => [v.elementId, v.type, v.state])).toEqual([
      ['timer-event-subprocess', 'PROCESS', 'COMPLETED'],
      ['Start', 'START_EVENT', 'COMPLETED'],
      ['ShipOrder', 'SERVICE_TASK', 'TERMINATED'],
      ['OrderStuck', 'EVENT_SUB_PROCESS', 'COMPLETED'],
      ['StuckTooLong', 'START_EVENT', 'COMPLETED'],
      ['Escalated', 'END_EVENT', 'COMPLETED'],
    ]);
    expect(await jobsOf(h, key)).toEqual([]);
  });

  it('should start a non-interrupting timer event sub-process once per cycle repetition', async () => {
    // given
    const key = await startInstance(h, 'timer-event-subprocess-cycle');

    // when
    await waitForElement(h, key, 'ProgressReported', 'COMPLETED', 2);

    // then
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual([
      'timer-event-subprocess-cycle',
      'ShipSlowly',
    ]);
    h.client.createJobWorker({
      jobType: 'ship-slowly',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => job.complete(),
    });
    await waitForInstance(h, key, 'COMPLETED');
    const completed = await elementsIn(h, key, 'COMPLETED');
    expect(completed.filter((id) => id === 'ProgressReport')).toHaveLength(2);
  });
});

describe('timer start event', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('should start one instance per repetition of an R2 cycle', async () => {
    // given
    await deployFixtures(h, 'timer-start-cycle.bpmn');

    // when
    const instances = await eventually(
      async () => {
        const found = await instancesOf(h, 'timer-start-cycle');
        return found.length >= 2 && found.every((i) => i.state === 'COMPLETED') ? found : undefined;
      },
      15_000,
      'two timer-started instances',
    );

    // then
    expect(instances).toHaveLength(2);
  });
});

describe('timer definitions at deployment', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('should refuse a cycle on an intermediate catch event and on an interrupting boundary event', async () => {
    // when
    const refused = await deployFixtures(h, 'timer-cycle-invalid.bpmn').then(
      () => undefined,
      (err: { status?: number; detail?: string }) => err,
    );

    // then
    expect(refused?.status).toBe(400);
    expect(refused?.detail).toContain("'WaitRepeatedly'");
    expect(refused?.detail).toContain("'InterruptRepeatedly'");
  });
});
