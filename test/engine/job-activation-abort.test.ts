import { deployFixtures, startEngineHarness, type EngineHarness } from '../fixtures/engine';

describe('job activation for a request whose client went away', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(h, 'one-task.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });

  it('should not activate jobs for an aborted activation request', async () => {
    // given
    const instance = await h.engine.createInstance({ bpmnProcessId: 'one-task' });
    const gone = new AbortController();
    gone.abort();

    // when
    const handedToNobody = await h.engine.activateJobs({
      type: 'work',
      worker: 'stopped-worker',
      timeoutMs: 60_000,
      max: 10,
      requestTimeoutMs: 1_000,
      signal: gone.signal,
    });

    // then
    expect(handedToNobody).toEqual([]);
    const next = await h.engine.activateJobs({
      type: 'work',
      worker: 'live-worker',
      timeoutMs: 60_000,
      max: 10,
      requestTimeoutMs: -1,
    });
    expect(next.map((j) => [j.processInstanceKey, j.worker])).toEqual([
      [instance._id, 'live-worker'],
    ]);
  });
});

describe('job activation interrupted between its claim and its job update', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(h, 'one-task.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });

  it('should hand the job to another worker once the dead claimer lease has passed', async () => {
    // given a job whose claim was written by a node that died before marking the job activated
    const instance = await h.engine.createInstance({ bpmnProcessId: 'one-task' });
    const [job] = await h.engine.collections.jobs
      .find({ processInstanceKey: instance._id })
      .toArray();
    const claimedAt = Date.now() - 120_000;
    await h.engine.collections.claims.insertOne({
      _id: `job:${job!._id}`,
      by: 'dead-worker',
      at: claimedAt,
      until: claimedAt + 60_000,
    });

    // when a live worker asks for work
    const handed = await h.engine.activateJobs({
      type: 'work',
      worker: 'live-worker',
      timeoutMs: 60_000,
      max: 10,
      requestTimeoutMs: 5_000,
    });

    // then it gets the job (under a new key, as after any lease that ran out)
    expect(handed.map((j) => [j.processInstanceKey, j.elementId, j.worker])).toEqual([
      [instance._id, 'Work', 'live-worker'],
    ]);
    expect(handed[0]!.jobKey).not.toBe(job!._id);
    expect(handed[0]!.retries).toBe(3);
  });

  it('should leave a live claim alone while its lease runs', async () => {
    // given a job claimed a moment ago by a node still between its two writes
    const instance = await h.engine.createInstance({ bpmnProcessId: 'one-task' });
    const [job] = await h.engine.collections.jobs
      .find({ processInstanceKey: instance._id })
      .toArray();
    await h.engine.collections.claims.insertOne({
      _id: `job:${job!._id}`,
      by: 'busy-worker',
      at: Date.now(),
      until: Date.now() + 60_000,
    });

    // when
    const handed = await h.engine.activateJobs({
      type: 'work',
      worker: 'live-worker',
      timeoutMs: 60_000,
      max: 10,
      requestTimeoutMs: -1,
    });

    // then
    expect(handed.map((j) => j.processInstanceKey)).not.toContain(instance._id);
  });
});
