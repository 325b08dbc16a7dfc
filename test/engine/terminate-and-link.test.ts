import { deployFixtures, startEngineHarness, type EngineHarness } from '../fixtures/engine';
import {
  elementsIn,
  jobsOf,
  startInstance,
  visits,
  waitForInstance,
} from '../fixtures/engine-queries';

describe('terminate end event and link events', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'terminate-and-link.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });

  it('should terminate the other parallel branch and complete the instance', async () => {
    // when
    const key = await startInstance(h, 'terminate-parallel');

    // then
    const instance = await waitForInstance(h, key, 'COMPLETED');
    expect(instance.endDate).toBeTruthy();
    expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['AskSlowExpert']);
    const path = await visits(h, key);
    expect(path.find((v) => v.elementId === 'AnswerFound')?.state).toBe('COMPLETED');
    expect(path.map((v) => v.elementId)).not.toContain('SlowAnswer');
    expect(await jobsOf(h, key)).toEqual([]);
  });

  it('should continue at the link catch event named by the link throw event', async () => {
    // when
    const key = await startInstance(h, 'link-events');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect((await visits(h, key)).map((v) => [v.elementId, v.type, v.state])).toEqual([
      ['link-events', 'PROCESS', 'COMPLETED'],
      ['LinkStart', 'START_EVENT', 'COMPLETED'],
      ['GoToPageTwo', 'INTERMEDIATE_THROW_EVENT', 'COMPLETED'],
      ['PageTwo', 'INTERMEDIATE_CATCH_EVENT', 'COMPLETED'],
      ['ReadPageTwo', 'TASK', 'COMPLETED'],
      ['LinkEnd', 'END_EVENT', 'COMPLETED'],
    ]);
  });

  it('should complete a sub-process reaching a terminate end event and continue after it', async () => {
    // when
    const key = await startInstance(h, 'terminate-in-subprocess');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    const path = await visits(h, key);
    expect(path.find((v) => v.elementId === 'Review')?.state).toBe('COMPLETED');
    expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['ReadEverything']);
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual(
      expect.arrayContaining(['ObviousFlawFound', 'ReportFlaw', 'SEnd']),
    );
    expect(await jobsOf(h, key)).toEqual([]);
  });
});
