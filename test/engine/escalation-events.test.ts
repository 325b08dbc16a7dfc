import { deployFixtures, startEngineHarness, type EngineHarness } from '../fixtures/engine';
import {
  elementsIn,
  incidentsOf,
  startInstance,
  visits,
  waitForInstance,
} from '../fixtures/engine-queries';

describe('escalation events', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'escalation-events.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });

  it('should continue both the sub-process and the non-interrupting boundary path', async () => {
    // when
    const key = await startInstance(h, 'escalation-non-interrupting');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    const path = await visits(h, key);
    expect(path.every((v) => v.state === 'COMPLETED')).toBe(true);
    expect(path.map((v) => v.elementId)).toEqual(
      expect.arrayContaining([
        'Deliver',
        'ReportLate',
        'DriveOn',
        'Delivered',
        'Done',
        'LateReported',
        'InformManager',
        'ManagerInformed',
      ]),
    );
    expect(path).toHaveLength(11);
  });

  it('should leave the sub-process through an interrupting escalation boundary', async () => {
    // when
    const key = await startInstance(h, 'escalation-interrupting');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect((await visits(h, key)).map((v) => [v.elementId, v.state])).toEqual([
      ['escalation-interrupting', 'COMPLETED'],
      ['IStart', 'COMPLETED'],
      ['IDeliver', 'TERMINATED'],
      ['IDeliverStart', 'COMPLETED'],
      ['IReportLate', 'TERMINATED'],
      ['ILateReported', 'COMPLETED'],
      ['HandOver', 'COMPLETED'],
    ]);
  });

  it('should run a non-interrupting escalation event sub-process beside the thrower', async () => {
    // when
    const key = await startInstance(h, 'escalation-event-subprocess');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    const path = await visits(h, key);
    expect(path.every((v) => v.state === 'COMPLETED')).toBe(true);
    expect(path.map((v) => v.elementId)).toEqual(
      expect.arrayContaining([
        'SoundAlarm',
        'KeepWorking',
        'EEnd',
        'AlarmHandling',
        'AlarmSounded',
        'AlarmHandled',
      ]),
    );
  });

  it('should just continue after an escalation nobody catches', async () => {
    // when
    const key = await startInstance(h, 'escalation-uncaught');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'escalation-uncaught',
      'UStart',
      'Shout',
      'CarryOn',
      'UEnd',
    ]);
    expect(await incidentsOf(h, key)).toEqual([]);
  });
});
