import {
  brand,
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';

describe('service task through the official Camunda client', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('should run start → service task → end with a createJobWorker worker', async () => {
    // given
    const deployment = await deployFixtures(h, 'one-task.bpmn');
    const seen: { a?: unknown; mood?: unknown }[] = [];
    h.client.createJobWorker({
      jobType: 'work',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 4,
      jobHandler: async (job) => {
        seen.push({ a: job.variables.a, mood: job.customHeaders.mood });
        return job.complete({ result: 'done' });
      },
    });

    // when
    const created = await h.client.createProcessInstance({
      processDefinitionId: 'one-task',
      variables: { a: 41 },
    });

    // then
    expect(deployment.processes[0]).toMatchObject({
      processDefinitionId: 'one-task',
      processDefinitionVersion: 1,
    });
    const instance = await eventually(async () => {
      const pi = await h.client.getProcessInstance(
        { processInstanceKey: created.processInstanceKey },
        { consistency: { waitUpToMs: 0 } },
      );
      return pi.state === 'COMPLETED' ? pi : undefined;
    });
    expect(instance.processDefinitionId).toBe('one-task');
    expect(seen).toEqual([{ a: 41, mood: 'calm' }]);
    const vars = await h.client.searchVariables(
      { filter: { processInstanceKey: brand(created.processInstanceKey) } },
      { consistency: { waitUpToMs: 0 } },
    );
    expect(Object.fromEntries(vars.items.map((v) => [v.name, JSON.parse(v.value)]))).toEqual({
      a: 41,
      result: 'done',
    });
  });
});
