import {
  awaitState,
  elementsIn,
  pathOf,
  rootVariables,
  start,
  variablesOf,
  worker,
} from '../fixtures/conformance';
import {
  brand,
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';

describe('variable scopes and mappings', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
    await deployFixtures(h, 'sub-process-variables.bpmn', 'io-mapping.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  describe('embedded sub-process', () => {
    it('should keep input-mapped variables local to the sub-process', async () => {
      // given
      const key = await start(h, 'sub-process-variables', { order: { id: 'A-1' } });

      // when
      await eventually(async () =>
        (await elementsIn(h, key, 'ACTIVE')).includes('Inner') ? true : undefined,
      );

      // then
      const sub = (await pathOf(h, key)).find((e) => e.elementId === 'Sub')!;
      const vars = await variablesOf(h, key);
      expect(vars.filter((v) => v.name === 'orderId')).toEqual([
        { name: 'orderId', value: 'A-1', scopeKey: sub.elementInstanceKey },
      ]);
      expect(await rootVariables(h, key)).toEqual({ order: { id: 'A-1' } });
      await h.client.cancelProcessInstance({ processInstanceKey: brand(key) });
    });

    it('should propagate job variables to the nearest scope that has them, else to the root, and apply output mappings', async () => {
      // given
      const seenAfter: Record<string, unknown>[] = [];
      const key = await start(h, 'sub-process-variables', { order: { id: 'B-2' } });
      worker(h, 'sub-after', (job) => {
        seenAfter.push({ ...job.variables });
        return job.complete();
      });

      // when
      worker(h, 'sub-inner', (job) => job.complete({ orderId: 'B-2-changed', fresh: 1 }));

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(seenAfter).toEqual([
        { order: { id: 'B-2' }, fresh: 1, checkedOrder: 'B-2-changed-checked' },
      ]);
      expect(await rootVariables(h, key)).toEqual({
        order: { id: 'B-2' },
        fresh: 1,
        checkedOrder: 'B-2-changed-checked',
      });
    });
  });

  describe('service task io mapping', () => {
    it('should give the job the mapped inputs and let only the outputs reach the process', async () => {
      // given
      const seen: Record<string, unknown>[] = [];
      const key = await start(h, 'io-mapping', {
        customer: { name: 'Li Hua', city: 'Luohe' },
      });
      await eventually(async () =>
        (await elementsIn(h, key, 'ACTIVE')).includes('Lookup') ? true : undefined,
      );
      const task = (await pathOf(h, key)).find((e) => e.elementId === 'Lookup')!;
      const local = (await variablesOf(h, key)).filter((v) => v.scopeKey !== key);
      expect(local).toEqual(
        expect.arrayContaining([
          { name: 'name', value: 'Li Hua', scopeKey: task.elementInstanceKey },
          { name: 'answer', value: 42, scopeKey: task.elementInstanceKey },
          { name: 'address', value: { city: 'Luohe' }, scopeKey: task.elementInstanceKey },
        ]),
      );

      // when
      worker(h, 'io-lookup', (job) => {
        seen.push({ ...job.variables });
        return job.complete({ result: 21, junk: 'x' });
      });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(seen).toEqual([
        {
          customer: { name: 'Li Hua', city: 'Luohe' },
          name: 'Li Hua',
          answer: 42,
          address: { city: 'Luohe' },
        },
      ]);
      expect(await rootVariables(h, key)).toEqual({
        customer: { name: 'Li Hua', city: 'Luohe' },
        doubled: 42,
        customerName: 'Li Hua',
      });
    });
  });
});
