import {
  brand,
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';
import {
  elementsIn,
  incidentsOf,
  jobsOf,
  rootVariables,
  startInstance,
  visits,
  waitForElement,
  waitForIncident,
  waitForInstance,
} from '../fixtures/engine-queries';

const NOW = { consistency: { waitUpToMs: 0 } } as const;

describe('incidents', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'incident-events.bpmn');
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });
  afterAll(async () => {
    await h.close();
  });

  it('should raise JOB_NO_RETRIES when a job fails without retries, and run it again once retries are given back', async () => {
    // given
    const attempts: string[] = [];
    h.client.createJobWorker({
      jobType: 'flaky-service',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => {
        attempts.push(String(job.jobKey));
        return attempts.length === 1
          ? job.fail({ errorMessage: 'service down', retries: 0 })
          : job.complete({ called: true });
      },
    });
    const key = await startInstance(h, 'incident-job-retries');

    // when
    const incident = await waitForIncident(h, key);

    // then
    expect(incident).toMatchObject({
      errorType: 'JOB_NO_RETRIES',
      errorMessage: 'service down',
      elementId: 'CallFlakyService',
      jobKey: attempts[0],
      state: 'ACTIVE',
    });
    const everywhere = await h.client.searchIncidents(
      { filter: { errorType: 'JOB_NO_RETRIES', state: 'ACTIVE' } },
      NOW,
    );
    expect((everywhere.items ?? []).map((i) => String(i.incidentKey))).toContain(
      String(incident.incidentKey),
    );
    const [failed] = await jobsOf(h, key);
    expect(failed).toMatchObject({ state: 'FAILED', retries: 0, errorMessage: 'service down' });
    const task = (await visits(h, key)).find((v) => v.elementId === 'CallFlakyService');
    expect(task?.state).toBe('ACTIVE');

    // when
    await h.client.updateJob({ jobKey: brand(attempts[0]!), changeset: { retries: 1 } });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(attempts).toHaveLength(2);
    expect(await rootVariables(h, key)).toEqual({ called: true });
    const [resolved] = await incidentsOf(h, key);
    expect(resolved).toMatchObject({ state: 'RESOLVED' });
    const instance = await h.client.getProcessInstance({ processInstanceKey: brand(key) }, NOW);
    expect(instance.hasIncident).toBe(false);
  });

  it('should delete the failed job and resolve its incident when the instance is cancelled', async () => {
    // given
    h.client.createJobWorker({
      jobType: 'flaky-service',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => job.fail({ errorMessage: 'still down', retries: 0 }),
    });
    const key = await startInstance(h, 'incident-job-retries');
    await waitForIncident(h, key);

    // when
    await h.client.cancelProcessInstance({ processInstanceKey: brand(key) });

    // then
    await waitForInstance(h, key, 'TERMINATED');
    expect(await jobsOf(h, key)).toEqual([]);
    expect((await incidentsOf(h, key)).map((i) => i.state)).toEqual(['RESOLVED']);
  });

  it('should raise EXTRACT_VALUE_ERROR for a failing output mapping and continue once the variable is set', async () => {
    // given
    h.client.createJobWorker({
      jobType: 'compute-total',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => job.complete(),
    });
    const key = await startInstance(h, 'incident-output-mapping');

    // when
    const incident = await waitForIncident(h, key);

    // then
    expect(incident).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: 'ComputeTotal' });
    expect(incident.errorMessage).toContain('assert(amount, amount != null) + 1');
    const task = (await visits(h, key)).find((v) => v.elementId === 'ComputeTotal');
    expect(task?.state).toBe('ACTIVE');

    // when
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { amount: 41 },
    });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toEqual({ amount: 41, total: 42 });
  });

  it('should evaluate input mappings again when an input mapping incident is resolved', async () => {
    // given
    const greeted: unknown[] = [];
    h.client.createJobWorker({
      jobType: 'greet-customer',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => {
        greeted.push(job.variables.name);
        return job.complete();
      },
    });
    const key = await startInstance(h, 'incident-input-mapping');
    const incident = await waitForIncident(h, key);
    expect(incident).toMatchObject({
      errorType: 'EXTRACT_VALUE_ERROR',
      elementId: 'GreetCustomer',
    });
    expect(incident.errorMessage).toContain('assert(customerName, customerName != null)');

    // when
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { customerName: 'Wang Fang' },
    });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(greeted).toEqual(['Wang Fang']);
  });

  it('should open the boundary events of an element once its input mapping incident is resolved', async () => {
    // given
    const key = await startInstance(h, 'incident-input-mapping');
    const incident = await waitForIncident(h, key);
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { customerName: 'Zhao Lei' },
    });

    // when
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    const correlated = await h.client.correlateMessage({
      name: 'customer-left',
      correlationKey: 'Zhao Lei',
    });
    expect(String(correlated.processInstanceKey)).toBe(key);
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual(
      expect.arrayContaining(['CustomerLeft', 'NobodyToGreet']),
    );
  });

  it('should not start a task whose boundary timer cannot be evaluated until the incident is resolved', async () => {
    // given
    const key = await startInstance(h, 'incident-boundary-timer', { requestId: 'Q-1' });

    // when
    const incident = await waitForIncident(h, key);

    // then
    expect(incident).toMatchObject({
      errorType: 'EXTRACT_VALUE_ERROR',
      elementId: 'AnswerRequest',
    });
    expect(incident.errorMessage).toContain('AgreedTimePassed');
    expect(await jobsOf(h, key)).toEqual([]);

    // when
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { agreedTime: 'PT1H' },
    });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then one job, and one subscription per boundary event
    const jobs = await eventually(async () => {
      const found = await jobsOf(h, key);
      return found.length ? found : undefined;
    });
    expect(jobs.map((j) => j.elementId)).toEqual(['AnswerRequest']);
    await h.client.publishMessage({ name: 'request-withdrawn', correlationKey: 'Q-1' });
    await waitForInstance(h, key, 'COMPLETED');
    expect((await visits(h, key)).map((v) => [v.elementId, v.state])).toEqual([
      ['incident-boundary-timer', 'COMPLETED'],
      ['TStart', 'COMPLETED'],
      ['AnswerRequest', 'TERMINATED'],
      ['RequestWithdrawn', 'COMPLETED'],
      ['Withdrawn', 'COMPLETED'],
    ]);
    expect(await jobsOf(h, key)).toEqual([]);
  });

  it('should hold the process at an event sub-process whose correlation key is missing until the incident is resolved', async () => {
    // given
    const key = await startInstance(h, 'incident-event-subprocess-key');

    // when
    const incident = await waitForIncident(h, key);

    // then
    expect(incident).toMatchObject({
      errorType: 'EXTRACT_VALUE_ERROR',
      elementId: 'incident-event-subprocess-key',
    });
    expect(incident.errorMessage).toContain('caseId');
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['incident-event-subprocess-key']);

    // when
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { caseId: 'K-1' },
    });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    await waitForElement(h, key, 'WorkOnCase');
    await h.client.correlateMessage({ name: 'case-closed', correlationKey: 'K-1' });
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['WorkOnCase']);
  });

  it('should raise EXTRACT_VALUE_ERROR for a correlation key that is null and subscribe once it is set', async () => {
    // given
    const key = await startInstance(h, 'incident-correlation-key');

    // when
    const incident = await waitForIncident(h, key);

    // then
    expect(incident).toMatchObject({
      errorType: 'EXTRACT_VALUE_ERROR',
      elementId: 'ReplyReceived',
    });
    expect(incident.errorMessage).toContain('ticketId');

    // when
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { ticketId: 'T-9' },
    });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });
    const correlated = await h.client.correlateMessage({
      name: 'ticket-reply',
      correlationKey: 'T-9',
      variables: { reply: 'fixed' },
    });

    // then
    expect(String(correlated.processInstanceKey)).toBe(key);
    await waitForInstance(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toEqual({ ticketId: 'T-9', reply: 'fixed' });
  });
});
