import {
  awaitIncident,
  awaitState,
  elementsIn,
  pathOf,
  rootVariables,
  start,
  timesEntered,
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

describe('gateways', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(
      h,
      'gw-exclusive.bpmn',
      'gw-exclusive-no-default.bpmn',
      'gw-parallel.bpmn',
      'gw-inclusive.bpmn',
      'gw-parallel-loop.bpmn',
    );
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  describe('exclusive gateway', () => {
    it.each([
      [500, 'Big'],
      [50, 'Medium'],
      [5, 'Small'],
    ])(
      'should take the first flow whose condition is true, else the default (amount %p → %s)',
      async (amount, expected) => {
        // given
        const variables = { amount };

        // when
        const key = await start(h, 'gw-exclusive', variables);

        // then
        await awaitState(h, key, 'COMPLETED');
        expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
          'gw-exclusive',
          'Start',
          'Decide',
          expected,
          'End',
        ]);
      },
    );

    it('should raise a CONDITION_ERROR incident when no condition matches and there is no default, and continue once resolved', async () => {
      // given
      const key = await start(h, 'gw-exclusive-no-default', { route: 'c' });
      const incident = await awaitIncident(h, key);
      expect(incident).toMatchObject({ errorType: 'CONDITION_ERROR', elementId: 'Decide' });
      const pi = await h.client.getProcessInstance({ processInstanceKey: brand(key) }, NOW);
      expect(pi).toMatchObject({ state: 'ACTIVE', hasIncident: true });

      // when
      await h.client.createElementInstanceVariables({
        elementInstanceKey: brand(key),
        variables: { route: 'b' },
      });
      await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
        'gw-exclusive-no-default',
        'Start',
        'Decide',
        'B',
        'End',
      ]);
      const after = await h.client.getIncident(
        { incidentKey: brand(String(incident.incidentKey)) },
        NOW,
      );
      expect(after.state).toBe('RESOLVED');
      const resolved = await h.client.getProcessInstance({ processInstanceKey: brand(key) }, NOW);
      expect(resolved.hasIncident).toBe(false);
    });
  });

  describe('parallel gateway', () => {
    it('should wait at the join for both branches and pass it once', async () => {
      // given
      const afterJobs: string[] = [];
      worker(h, 'par-a', (job) => job.complete({ a: true }));
      worker(h, 'par-after', (job) => {
        afterJobs.push(String(job.processInstanceKey));
        return job.complete();
      });
      const key = await start(h, 'gw-parallel');
      await eventually(async () =>
        (await elementsIn(h, key, 'COMPLETED')).includes('BranchA') ? true : undefined,
      );
      expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['gw-parallel', 'BranchB']);
      expect(await timesEntered(h, key, 'Join')).toBe(0);

      // when
      worker(h, 'par-b', (job) => job.complete({ b: true }));

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await timesEntered(h, key, 'Join')).toBe(1);
      expect(await timesEntered(h, key, 'After')).toBe(1);
      expect(await timesEntered(h, key, 'End')).toBe(1);
      expect(afterJobs).toEqual([key]);
      expect(await rootVariables(h, key)).toEqual({ a: true, b: true });
    });
  });

  describe('inclusive gateway', () => {
    it('should take every flow whose condition is true and join exactly those branches', async () => {
      // given
      worker(h, 'inc-a', (job) => job.complete({ a: 1 }));
      const key = await start(h, 'gw-inclusive', { wantA: true, wantB: true, wantC: false });
      await eventually(async () =>
        (await elementsIn(h, key, 'COMPLETED')).includes('BranchA') ? true : undefined,
      );
      expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['gw-inclusive', 'BranchB']);
      expect(await timesEntered(h, key, 'Join')).toBe(0);

      // when
      worker(h, 'inc-b', (job) => job.complete({ b: 2 }));

      // then
      await awaitState(h, key, 'COMPLETED');
      const path = await pathOf(h, key);
      expect(path.map((e) => e.elementId)).not.toContain('BranchC');
      expect(path.map((e) => e.elementId)).not.toContain('Nothing');
      expect(await timesEntered(h, key, 'Join')).toBe(1);
      expect(await timesEntered(h, key, 'After')).toBe(1);
    });

    it('should pass the join at once when only one condition is true', async () => {
      // given
      worker(h, 'inc-c', (job) => job.complete());

      // when
      const key = await start(h, 'gw-inclusive', { wantA: false, wantB: false, wantC: true });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
        'gw-inclusive',
        'Start',
        'Fork',
        'BranchC',
        'Join',
        'After',
        'End',
      ]);
    });

    it('should take the default flow when no condition is true', async () => {
      // given
      const variables = { wantA: false, wantB: false, wantC: false };

      // when
      const key = await start(h, 'gw-inclusive', variables);

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
        'gw-inclusive',
        'Start',
        'Fork',
        'Nothing',
        'Join',
        'After',
        'End',
      ]);
    });
  });

  describe('loops', () => {
    it('should run a parallel block inside an exclusive loop once per round', async () => {
      // given
      worker(h, 'loop-work', (job) => job.complete());

      // when
      const key = await start(h, 'gw-parallel-loop', { round: 0 });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await rootVariables(h, key)).toEqual({ round: 3 });
      for (const id of ['Merge', 'Fork', 'BranchA', 'BranchB', 'Join', 'Count', 'Again'])
        expect([id, await timesEntered(h, key, id)]).toEqual([id, 3]);
      expect(await timesEntered(h, key, 'End')).toBe(1);
    });
  });
});
