import {
  awaitIncident,
  awaitState,
  elementsIn,
  incidentsOf,
  rootVariables,
  start,
  worker,
  NOW,
} from '../fixtures/conformance';
import {
  brand,
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';

describe('call activity', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(
      h,
      'call-parent.bpmn',
      'call-child.bpmn',
      'call-waiting-child.bpmn',
      'call-output.bpmn',
      'call-no-propagate.bpmn',
      'call-dynamic.bpmn',
      'call-inputs.bpmn',
    );
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  /** The child worker: fails with a BPMN error when asked to, else reports a result. */
  function childWorker(seen: Record<string, unknown>[] = []) {
    return worker(h, 'child-work', (job) => {
      seen.push({ ...job.variables });
      if (job.variables.fail)
        return job.error({
          errorCode: job.variables.fail === true ? 'CHILD_FAILED' : String(job.variables.fail),
          errorMessage: 'the child gave up',
        });
      return job.complete({
        childResult: `${String(job.variables.applicant)} checked`,
        childOnly: 1,
      });
    });
  }

  async function childOf(parentKey: string) {
    return eventually(async () => {
      const res = await h.client.searchProcessInstances(
        { filter: { parentProcessInstanceKey: brand(parentKey) } },
        NOW,
      );
      return res.items?.[0];
    });
  }

  it('should pass the parent variables to the child and propagate all child variables back', async () => {
    // given
    const seen: Record<string, unknown>[] = [];
    childWorker(seen);

    // when
    const key = await start(h, 'call-parent', { applicant: 'Li' });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(seen).toEqual([{ applicant: 'Li' }]);
    expect(await rootVariables(h, key)).toEqual({
      applicant: 'Li',
      childResult: 'Li checked',
      childOnly: 1,
    });
    const child = await childOf(key);
    expect(child).toMatchObject({ processDefinitionId: 'call-child', state: 'COMPLETED' });
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual(['call-parent', 'Start', 'Call', 'End']);
  });

  it('should pass only the input mappings when propagateAllParentVariables is false', async () => {
    // given
    const seen: Record<string, unknown>[] = [];
    childWorker(seen);

    // when
    const key = await start(h, 'call-inputs', { person: { name: 'Feng' }, secret: 'x' });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(seen).toEqual([{ applicant: 'Feng' }]);
    expect(await rootVariables(h, key)).toEqual({
      person: { name: 'Feng' },
      secret: 'x',
      childResult: 'Feng checked',
      childOnly: 1,
    });
  });

  it('should propagate only the output mappings when propagateAllChildVariables is false', async () => {
    // given
    childWorker();

    // when
    const key = await start(h, 'call-output', { applicant: 'Wang' });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toEqual({ applicant: 'Wang', verdict: 'Wang checked' });
  });

  it('should propagate nothing back when propagateAllChildVariables is false and there is no output mapping', async () => {
    // given
    childWorker();

    // when
    const key = await start(h, 'call-no-propagate', { applicant: 'Zhao' });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toEqual({ applicant: 'Zhao' });
  });

  it('should cancel the child when the parent is cancelled', async () => {
    // given
    const key = await start(h, 'call-dynamic', { target: 'call-waiting-child' });
    const child = await childOf(key);
    const task = await eventually(async () => {
      const res = await h.client.searchUserTasks(
        { filter: { processInstanceKey: brand(String(child.processInstanceKey)) } },
        NOW,
      );
      return res.items?.[0];
    });

    // when
    await h.client.cancelProcessInstance({ processInstanceKey: brand(key) });

    // then
    await awaitState(h, key, 'TERMINATED');
    await awaitState(h, String(child.processInstanceKey), 'TERMINATED');
    const after = await h.client.getUserTask({ userTaskKey: task.userTaskKey }, NOW);
    expect(after.state).toBe('CANCELED');
    expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['call-dynamic', 'Call']);
  });

  it('should call the process a FEEL expression names', async () => {
    // given
    childWorker();

    // when
    const key = await start(h, 'call-dynamic', { target: 'call-child', applicant: 'Sun' });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect((await childOf(key)).processDefinitionId).toBe('call-child');
    expect(await rootVariables(h, key)).toMatchObject({ childResult: 'Sun checked' });
  });

  it('should raise a CALLED_ELEMENT_ERROR incident when the called process is not deployed, and call it once resolved', async () => {
    // given
    const key = await start(h, 'call-dynamic', { target: 'no-such-process', applicant: 'Qian' });
    const incident = await awaitIncident(h, key);
    expect(incident).toMatchObject({ errorType: 'CALLED_ELEMENT_ERROR', elementId: 'Call' });
    expect(incident.errorMessage).toContain('no-such-process');
    childWorker();

    // when
    await h.client.createElementInstanceVariables({
      elementInstanceKey: brand(key),
      variables: { target: 'call-child' },
    });
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(await rootVariables(h, key)).toMatchObject({ childResult: 'Qian checked' });
  });

  it('should catch an error thrown in the child with an error boundary event on the call activity', async () => {
    // given
    childWorker();

    // when
    const key = await start(h, 'call-parent', { applicant: 'Zhou', fail: true });

    // then
    await awaitState(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['Call']);
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'call-parent',
      'Start',
      'ChildFailed',
      'Handled',
      'HandledEnd',
    ]);
    const child = await childOf(key);
    await awaitState(h, String(child.processInstanceKey), 'TERMINATED');
    const incidents = await h.client.searchIncidents(
      { filter: { processInstanceKey: brand(String(child.processInstanceKey)), state: 'ACTIVE' } },
      NOW,
    );
    expect(incidents.items).toEqual([]);
  });

  it('should raise the incident of an error caught nowhere only in the child, where it was thrown', async () => {
    // given
    childWorker();

    // when
    const key = await start(h, 'call-parent', { applicant: 'Wu', fail: 'NOBODY_CATCHES' });

    // then
    const child = await childOf(key);
    const incident = await awaitIncident(h, String(child.processInstanceKey));
    expect(incident).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'ChildWork' });
    expect(await incidentsOf(h, key)).toEqual([]);
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['call-parent', 'Call']);
    await h.client.cancelProcessInstance({ processInstanceKey: brand(key) });
    await awaitState(h, String(child.processInstanceKey), 'TERMINATED');
  });
});
