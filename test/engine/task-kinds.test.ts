import {
  awaitIncident,
  awaitState,
  pathOf,
  rawDeploy,
  rootVariables,
  start,
  worker,
} from '../fixtures/conformance';
import { deployFixtures, startEngineHarness, type EngineHarness } from '../fixtures/engine';

describe('kinds of tasks', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(h, 'task-kinds.bpmn', 'task-script-failure.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  it('should run script, manual and undefined tasks by themselves and send and business rule tasks as jobs', async () => {
    // given
    const seen: [string, unknown][] = [];
    worker(h, 'send-notice', (job) => {
      seen.push(['send-notice', job.variables.total]);
      return job.complete({ noticeSent: true });
    });
    worker(h, 'apply-fee-rule', (job) => {
      seen.push(['apply-fee-rule', job.variables.total]);
      return job.complete({ fee: Number(job.variables.total) / 10 });
    });

    // when
    const key = await start(h, 'task-kinds', { price: 120, count: 3 });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(seen).toEqual([
      ['send-notice', 360],
      ['apply-fee-rule', 360],
    ]);
    expect(await rootVariables(h, key)).toEqual({
      price: 120,
      count: 3,
      total: 360,
      noticeSent: true,
      fee: 36,
    });
    expect((await pathOf(h, key)).map((e) => [e.elementId, e.type, e.state])).toEqual([
      ['task-kinds', 'PROCESS', 'COMPLETED'],
      ['Start', 'START_EVENT', 'COMPLETED'],
      ['Compute', 'SCRIPT_TASK', 'COMPLETED'],
      ['Hand', 'MANUAL_TASK', 'COMPLETED'],
      ['Plain', 'TASK', 'COMPLETED'],
      ['Notify', 'SEND_TASK', 'COMPLETED'],
      ['Rule', 'BUSINESS_RULE_TASK', 'COMPLETED'],
      ['End', 'END_EVENT', 'COMPLETED'],
    ]);
  });

  it('should raise an incident when a script cannot be evaluated', async () => {
    // given
    const variables = { price: 1, count: 2 };

    // when
    const key = await start(h, 'task-script-failure', variables);

    // then
    const incident = await awaitIncident(h, key);
    expect(incident).toMatchObject({ elementId: 'Compute', errorType: 'EXTRACT_VALUE_ERROR' });
    expect(incident.errorMessage).toContain('the price is too low');
  });

  it('should refuse a business rule task that calls a DMN decision at deployment', async () => {
    // given
    const resources = ['task-dmn.bpmn'];

    // when
    const res = await rawDeploy(h, resources);

    // then
    expect(res.status).toBe(400);
    expect(String(res.body.detail)).toContain("'DecideFee'");
    expect(String(res.body.detail)).toContain('zeebe:calledDecision');
  });
});
