import {
  awaitState,
  deployContent,
  problemOf,
  raw,
  start,
  stateOf,
  NOW,
} from '../fixtures/conformance';
import {
  brand,
  deployFixtures,
  eventually,
  fixture,
  SERVICE,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';

describe('/v2 API contract', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(h, 'api-simple.bpmn', 'api-cancel.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  async function activate(type: string, timeout: number) {
    const res = await h.client.activateJobs({
      type,
      maxJobsToActivate: 1,
      timeout,
      worker: `conformance-${timeout}`,
      requestTimeout: -1,
    });
    return res.jobs[0];
  }

  describe('authentication', () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/topology'],
      ['GET', '/status'],
      ['POST', '/deployments', {}],
      ['POST', '/process-instances', { processDefinitionId: 'api-simple' }],
      ['POST', '/process-instances/search', {}],
      ['GET', '/process-instances/1'],
      ['POST', '/process-instances/1/cancellation', {}],
      ['POST', '/process-definitions/search', {}],
      ['GET', '/process-definitions/1/xml'],
      ['POST', '/element-instances/search', {}],
      ['POST', '/jobs/activation', { type: 'api-work', timeout: 1000, maxJobsToActivate: 1 }],
      ['POST', '/jobs/1/completion', {}],
      ['POST', '/jobs/1/failure', {}],
      ['POST', '/user-tasks/search', {}],
      ['POST', '/user-tasks/1/assignment', { assignee: 'x' }],
      ['DELETE', '/user-tasks/1/assignee'],
      ['POST', '/user-tasks/1/completion', {}],
      ['POST', '/messages/publication', { name: 'm' }],
      ['POST', '/signals/broadcast', { signalName: 's' }],
      ['POST', '/incidents/search', {}],
      ['POST', '/incidents/1/resolution', {}],
      ['POST', '/variables/search', {}],
      ['PUT', '/element-instances/1/variables', { variables: {} }],
      ['GET', '/no-such-route'],
    ];

    it.each([
      ['no credentials', null],
      ['a wrong password', { user: SERVICE.user, password: 'wrong' }],
      ['an unknown user', { user: 'nobody', password: SERVICE.password }],
    ])('should answer 401 on every route with %s', async (_what, auth) => {
      // given
      const calls = routes;

      // when
      const answers = await Promise.all(
        calls.map(async ([method, path, body]) => {
          const res = await raw(h, method, path, body, auth);
          return [method, path, res.status, res.body.title];
        }),
      );

      // then
      expect(answers).toEqual(
        calls.map(([method, path]) => [method, path, 401, 'UNAUTHENTICATED']),
      );
    });
  });

  describe('bad input', () => {
    it.each([
      ['/process-instances', { processDefinitionId: 'api-simple', processDefinitonVersion: 1 }],
      ['/process-instances/search', { filter: {}, pageSize: 10 }],
      ['/jobs/activation', { type: 'api-work', timeout: 1000, maxJobsToActivate: 1, max: 2 }],
      ['/messages/publication', { name: 'm', correlationkey: 'k' }],
      ['/user-tasks/search', { filter: {}, sorting: [] }],
    ])('should refuse an unknown key in the body of %s, naming it', async (path, body) => {
      // given
      const unknown = Object.keys(body).at(-1)!;

      // when
      const res = await raw(h, 'POST', path, body);

      // then
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400 });
      expect(String(res.body.detail)).toContain(unknown);
    });

    it.each([
      ['/process-instances', { processDefinitionId: 42 }, 'processDefinitionId'],
      ['/process-instances', { processDefinitionId: 'api-simple', variables: [1] }, 'variables'],
      [
        '/jobs/activation',
        { type: 'api-work', timeout: 1000, maxJobsToActivate: 'many' },
        'maxJobsToActivate',
      ],
      ['/jobs/activation', { type: 'api-work', timeout: -5, maxJobsToActivate: 1 }, 'timeout'],
      ['/process-instances/search', { page: { limit: 'ten' } }, 'page.limit'],
      ['/messages/publication', { name: 'm', timeToLive: 'soon' }, 'timeToLive'],
    ])('should refuse a wrongly typed field on %s (%j)', async (path, body, field) => {
      // given
      const request = body;

      // when
      const res = await raw(h, 'POST', path, request);

      // then
      expect(res.status).toBe(400);
      expect(String(res.body.detail)).toContain(field);
    });

    it('should refuse a message publication without a name', async () => {
      // given
      const body = { correlationKey: 'k', variables: {} };

      // when
      const res = await raw(h, 'POST', '/messages/publication', body);

      // then
      expect(res.status).toBe(400);
      expect(String(res.body.detail)).toContain('name');
    });

    it('should answer 404 when asked to start a process that is not deployed', async () => {
      // given
      const processDefinitionId = brand<never>('never-deployed');

      // when
      const problem = await problemOf(h.client.createProcessInstance({ processDefinitionId }));

      // then
      expect(problem).toMatchObject({ status: 404, title: 'NOT_FOUND' });
    });

    it('should answer 404 for an instance that does not exist', async () => {
      // given
      const key = '2251799813685249';

      // when
      const problem = await problemOf(
        h.client.getProcessInstance({ processInstanceKey: brand(key) }, NOW),
      );

      // then
      expect(problem).toMatchObject({ status: 404, title: 'NOT_FOUND' });
    });
  });

  describe('jobs', () => {
    it('should refuse the completion of a job whose lease passed to another worker, and accept the new holder once', async () => {
      // given
      const key = await start(h, 'api-simple', { n: 1 });
      const first = await eventually(() => activate('api-work', 200));
      const second = await eventually(() => activate('api-work', 60_000));
      expect(String(second.jobKey)).not.toBe(String(first.jobKey));
      expect(String(second.processInstanceKey)).toBe(key);

      // when
      const stale = await problemOf(
        h.client.completeJob({ jobKey: first.jobKey, variables: { by: 'first' } }),
      );
      await h.client.completeJob({ jobKey: second.jobKey, variables: { by: 'second' } });
      const again = await problemOf(
        h.client.completeJob({ jobKey: second.jobKey, variables: { by: 'again' } }),
      );

      // then
      expect(stale.status).toBe(404);
      expect(again.status).toBe(404);
      await awaitState(h, key, 'COMPLETED');
      const vars = await h.client.searchVariables(
        { filter: { processInstanceKey: brand(key), name: 'by' } },
        NOW,
      );
      expect((vars.items ?? []).map((v) => v.value)).toEqual(['"second"']);
    });

    it('should refuse the completion of a job that was already completed', async () => {
      // given
      const key = await start(h, 'api-simple');
      const job = await eventually(() => activate('api-work', 60_000));
      await h.client.completeJob({ jobKey: job.jobKey });
      await awaitState(h, key, 'COMPLETED');

      // when
      const problem = await problemOf(h.client.completeJob({ jobKey: job.jobKey }));

      // then
      expect(problem).toMatchObject({ status: 404, title: 'NOT_FOUND' });
    });
  });

  describe('cancellation', () => {
    it('should terminate the instance and take its jobs and user tasks with it', async () => {
      // given
      const key = await start(h, 'api-cancel');
      const task = await eventually(async () => {
        const res = await h.client.searchUserTasks(
          { filter: { processInstanceKey: brand(key) } },
          NOW,
        );
        return res.items?.[0];
      });
      const job = await eventually(() => activate('api-cancel-work', 60_000));

      // when
      await h.client.cancelProcessInstance({ processInstanceKey: brand(key) });

      // then
      expect(await stateOf(h, key)).toBe('TERMINATED');
      const jobs = await h.client.searchJobs({ filter: { processInstanceKey: brand(key) } }, NOW);
      expect((jobs.items ?? []).filter((j) => j.state !== 'CANCELED')).toEqual([]);
      expect((await problemOf(h.client.completeJob({ jobKey: job.jobKey }))).status).toBe(404);
      const after = await h.client.getUserTask({ userTaskKey: task.userTaskKey }, NOW);
      expect(after.state).toBe('CANCELED');
      const completion = await problemOf(
        h.client.completeUserTask({ userTaskKey: task.userTaskKey }),
      );
      expect([404, 409]).toContain(completion.status);
      const again = await problemOf(
        h.client.cancelProcessInstance({ processInstanceKey: brand(key) }),
      );
      expect(again.status).toBe(404);
    });
  });

  describe('process definitions', () => {
    it('should return the deployed XML as a string', async () => {
      // given
      const deployment = await deployFixtures(h, 'api-simple.bpmn');
      const processDefinitionKey = deployment.processes[0]!.processDefinitionKey;

      // when
      const xml = await h.client.getProcessDefinitionXml({ processDefinitionKey }, NOW);

      // then
      expect(typeof xml).toBe('string');
      expect(xml).toBe(fixture('api-simple.bpmn'));
    });

    it('should search definitions with a filter, a sort and cursor pages', async () => {
      // given
      const ids = ['api-page-a', 'api-page-b', 'api-page-c', 'api-page-d', 'api-page-e'];
      await deployContent(
        h,
        ...ids.map((id) => ({
          name: `${id}.bpmn`,
          content: fixture('api-simple.bpmn').replace(/api-simple/g, id),
        })),
      );
      const query = {
        filter: { processDefinitionId: { $like: 'api-page-*' } },
        sort: [{ field: 'processDefinitionId' as const, order: 'DESC' as const }],
      };

      // when
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const res = await h.client.searchProcessDefinitions(
          { ...query, page: after ? { after, limit: 2 } : { limit: 2 } },
          NOW,
        );
        const items = res.items ?? [];
        if (items.length === 0) break;
        pages++;
        expect(res.page.totalItems).toBe(5);
        seen.push(...items.map((d) => String(d.processDefinitionId)));
        after = res.page.endCursor ? String(res.page.endCursor) : undefined;
        if (!after) break;
      }

      // then
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
      const last = await h.client.searchProcessDefinitions(
        { ...query, page: { from: 4, limit: 2 } },
        NOW,
      );
      const back = await h.client.searchProcessDefinitions(
        { ...query, page: { before: String(last.page.startCursor), limit: 2 } },
        NOW,
      );
      expect((back.items ?? []).map((d) => d.processDefinitionId)).toEqual([
        'api-page-c',
        'api-page-b',
      ]);
    });
  });

  describe('process instances', () => {
    it('should search instances with a filter, a sort and cursor pages', async () => {
      // given
      const keys: string[] = [];
      for (let i = 0; i < 5; i++) keys.push(await start(h, 'api-cancel', { i }));
      await h.client.cancelProcessInstance({ processInstanceKey: brand(keys[2]!) });
      const active = keys.filter((_, i) => i !== 2);

      // when
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const res = await h.client.searchProcessInstances(
          {
            filter: { processDefinitionId: 'api-cancel', state: 'ACTIVE' },
            sort: [{ field: 'processInstanceKey', order: 'ASC' }],
            page: after ? { after, limit: 3 } : { limit: 3 },
          },
          NOW,
        );
        const items = res.items ?? [];
        seen.push(...items.map((i) => String(i.processInstanceKey)));
        after = res.page.endCursor ? String(res.page.endCursor) : undefined;
        if (items.length < 3 || !after) break;
      }

      // then
      const all = await h.client.searchProcessInstances(
        { filter: { processDefinitionId: 'api-cancel', state: 'ACTIVE' } },
        NOW,
      );
      const expected = (all.items ?? []).map((i) => String(i.processInstanceKey));
      expect(seen).toEqual([...expected].sort(compareKeys));
      expect(seen).toEqual(expect.arrayContaining(active));
      expect(seen).not.toContain(keys[2]);
      const terminated = await h.client.searchProcessInstances(
        { filter: { processInstanceKey: brand(keys[2]!) } },
        NOW,
      );
      expect(terminated.items?.[0]?.state).toBe('TERMINATED');
    });
  });
});

// helpers //////////

function compareKeys(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
