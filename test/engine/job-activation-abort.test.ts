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
