import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../server/db/ferretdb';
import { brand, eventually } from '../fixtures/engine';
import { clientFor, startServerProcess, type ServerProcess } from '../fixtures/server-process';
import { testServerUri, uniqueDbName } from '../setup/db';

const xml = fs.readFileSync(
  path.join(__dirname, '..', 'fixtures', 'bpmn', 'three-steps.bpmn'),
  'utf8',
);
const consistency = { consistency: { waitUpToMs: 0 } };

describe('durability: kill -9 of the server under load', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop().catch(() => undefined);
  });

  it('should complete every started instance exactly once per step after a crash and restart', async () => {
    // given a server under load: instances flowing through three service tasks, some waiting on timers
    const port = await freePort();
    const mongodbUri = `${testServerUri()}${uniqueDbName()}`;
    server = await startServerProcess({ mongodbUri, port });
    const client = clientFor(server.url);
    await client.createDeployment({
      resources: [new File([xml], 'three-steps.bpmn', { type: 'application/xml' })],
    } as never);
    let completions = 0;
    client.createJobWorker({
      jobType: 'step',
      jobTimeoutMs: 2_000,
      maxParallelJobs: 8,
      pollIntervalMs: 20,
      jobHandler: async (job) => {
        completions++;
        return job.complete({ [job.elementId]: true });
      },
    });
    const started: string[] = [];
    const create = async (delay: string) => {
      try {
        const r = await client.createProcessInstance({
          processDefinitionId: 'three-steps',
          variables: { delay },
        });
        started.push(r.processInstanceKey);
      } catch {
        // a create that hits the crash never returned a key: nothing was promised to the caller
      }
    };
    const timersDueAt = Date.now() + 3_000;
    await Promise.all(Array.from({ length: 10 }, () => create('PT3S')));
    const load = Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 15)).then(() => create('PT0S')),
      ),
    );

    // when the server dies by SIGKILL in the middle of it
    await eventually(
      async () => (completions >= 40 ? true : undefined),
      60_000,
      '40 job completions',
    );
    await server.kill9();
    await load;
    await eventually(
      async () => (Date.now() > timersDueAt ? true : undefined),
      10_000,
      'timers due while down',
    );
    server = await startServerProcess({ mongodbUri, port });

    // then every instance that was started completes, each step exactly once
    expect(started.length).toBeGreaterThanOrEqual(10);
    await eventually(
      async () => {
        const res = await client.searchProcessInstances(
          { filter: { state: 'COMPLETED' }, page: { limit: 1000 } },
          consistency,
        );
        const done = new Set(res.items.map((i) => String(i.processInstanceKey)));
        const missing = started.filter((k) => !done.has(k));
        if (missing.length === 0) return true;
        // name what the first unfinished instance waits on, should this time out
        const waiting = await client.searchElementInstances(
          {
            filter: { processInstanceKey: brand(missing[0]!), state: 'ACTIVE' },
            page: { limit: 10 },
          },
          consistency,
        );
        throw new Error(
          `${missing.length} unfinished, e.g. ${missing[0]} at ${(waiting.items ?? []).map((e) => e.elementId).join(', ')}`,
        );
      },
      180_000,
      'all started instances completed',
    );
    for (const key of started) {
      const elements = await client.searchElementInstances(
        { filter: { processInstanceKey: brand(key) }, page: { limit: 100 } },
        consistency,
      );
      const byElement = (id: string) => (elements.items ?? []).filter((e) => e.elementId === id);
      for (const id of ['Wait', 'Step1', 'Step2', 'Step3', 'End']) {
        expect({ key, id, states: byElement(id).map((e) => e.state) }).toEqual({
          key,
          id,
          states: ['COMPLETED'],
        });
      }
    }
    client.stopAllWorkers();
  }, 300_000);
});
