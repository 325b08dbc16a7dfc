import {
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';
import {
  elementsIn,
  instancesOf,
  rootVariables,
  startInstance,
  waitForElement,
  waitForInstance,
} from '../fixtures/engine-queries';

describe('signal events', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'signal-events.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });

  it('should trigger signal catch events and signal start events with one broadcast', async () => {
    // given
    const first = await startInstance(h, 'signal-catch');
    const second = await startInstance(h, 'signal-catch');
    expect(await instancesOf(h, 'signal-start')).toEqual([]);

    // when
    const broadcast = await h.client.broadcastSignal({
      signalName: 'line-stopped',
      variables: { reason: 'jam' },
    });

    // then
    expect(broadcast.signalKey).toBeTruthy();
    for (const key of [first, second]) {
      await waitForInstance(h, key, 'COMPLETED');
      expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
        'signal-catch',
        'Start',
        'LineStopped',
        'End',
      ]);
      expect(await rootVariables(h, key)).toEqual({ reason: 'jam' });
    }
    const [started] = await eventually(async () => {
      const found = await instancesOf(h, 'signal-start');
      return found.length ? found : undefined;
    });
    const key = String(started!.processInstanceKey);
    expect(await rootVariables(h, key)).toEqual({ reason: 'jam' });
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['signal-start', 'Investigate']);
  });

  it('should not keep a signal for instances that start waiting later', async () => {
    // given
    await h.client.broadcastSignal({ signalName: 'line-stopped', variables: { early: true } });

    // when
    const key = await startInstance(h, 'signal-catch');
    await h.client.broadcastSignal({ signalName: 'line-stopped', variables: { late: true } });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toEqual({ late: true });
  });

  it('should run a non-interrupting signal boundary for each broadcast while the task goes on', async () => {
    // given
    const key = await startInstance(h, 'signal-boundary');

    // when
    await h.client.broadcastSignal({ signalName: 'shift-change' });
    await waitForElement(h, key, 'HandedOver', 'COMPLETED');
    await h.client.broadcastSignal({ signalName: 'shift-change' });

    // then
    await waitForElement(h, key, 'HandedOver', 'COMPLETED', 2);
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['signal-boundary', 'RunMachine']);
  });
});
