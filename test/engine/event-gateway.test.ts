import { deployFixtures, startEngineHarness, type EngineHarness } from '../fixtures/engine';
import {
  elementsIn,
  rootVariables,
  startInstance,
  visits,
  waitForInstance,
} from '../fixtures/engine-queries';

describe('event-based gateway', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'event-gateway.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });

  it('should follow the message when it arrives before the timer', async () => {
    // given
    const key = await startInstance(h, 'event-gateway', { requestId: 'R-1', timeout: 'PT1H' });

    // when
    const correlated = await h.client.correlateMessage({
      name: 'approval-given',
      correlationKey: 'R-1',
      variables: { approver: 'Zhang' },
    });

    // then
    expect(String(correlated.processInstanceKey)).toBe(key);
    await waitForInstance(h, key, 'COMPLETED');
    expect((await visits(h, key)).map((v) => [v.elementId, v.state])).toEqual([
      ['event-gateway', 'COMPLETED'],
      ['Start', 'COMPLETED'],
      ['WhatComesFirst', 'COMPLETED'],
      ['ApprovalGiven', 'COMPLETED'],
      ['Approved', 'COMPLETED'],
    ]);
    expect(await rootVariables(h, key)).toMatchObject({ approver: 'Zhang' });
  });

  it('should follow the timer when no message arrives in time, and close the message subscription', async () => {
    // given
    const key = await startInstance(h, 'event-gateway', { requestId: 'R-2', timeout: 'PT0.5S' });

    // when
    await waitForInstance(h, key, 'COMPLETED');

    // then
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'event-gateway',
      'Start',
      'WhatComesFirst',
      'ApprovalTimedOut',
      'TimedOut',
    ]);
    await expect(
      h.client.correlateMessage({ name: 'approval-given', correlationKey: 'R-2' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('should take the message path at once for a message buffered before the gateway is reached', async () => {
    // given
    await h.client.publishMessage({
      name: 'approval-given',
      correlationKey: 'R-3',
      timeToLive: 60_000,
      variables: { approver: 'Liu' },
    });

    // when
    const key = await startInstance(h, 'event-gateway', { requestId: 'R-3', timeout: 'PT1H' });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'COMPLETED')).toContain('ApprovalGiven');
    expect(await rootVariables(h, key)).toMatchObject({ approver: 'Liu' });
  });
});
