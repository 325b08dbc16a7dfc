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

describe('two engine nodes on one database', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  });

  it('should fire each timer once and apply each job completion once', async () => {
    // given two server processes sharing one database, a worker on each
    const mongodbUri = `${testServerUri()}${uniqueDbName()}`;
    for (let i = 0; i < 2; i++)
      servers.push(await startServerProcess({ mongodbUri, port: await freePort() }));
    const clients = servers.map((s) => clientFor(s.url));
    await clients[0]!.createDeployment({
      resources: [new File([xml], 'three-steps.bpmn', { type: 'application/xml' })],
    } as never);
    const handled = new Map<string, number>();
    for (const client of clients) {
      client.createJobWorker({
        jobType: 'step',
        jobTimeoutMs: 30_000,
        maxParallelJobs: 4,
        pollIntervalMs: 20,
        jobHandler: async (job) => {
          handled.set(job.elementInstanceKey, (handled.get(job.elementInstanceKey) ?? 0) + 1);
          return job.complete({ [`by_${job.elementId}`]: job.worker });
        },
      });
    }

    // when instances with a one-second timer are started through both nodes
    const started: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await clients[i % 2]!.createProcessInstance({
        processDefinitionId: 'three-steps',
        variables: { delay: 'PT1S' },
      });
      started.push(r.processInstanceKey);
    }

    // then every instance completes; each timer fired once and each step completed once
    await eventually(
      async () => {
        const res = await clients[1]!.searchProcessInstances(
          { filter: { state: 'COMPLETED' }, page: { limit: 1000 } },
          consistency,
        );
        return res.page.totalItems === started.length ? true : undefined;
      },
      180_000,
      'all instances completed',
    );
    for (const key of started) {
      const elements = await clients[0]!.searchElementInstances(
        { filter: { processInstanceKey: brand(key) }, page: { limit: 100 } },
        consistency,
      );
      const items = elements.items ?? [];
      for (const id of ['Wait', 'Step1', 'Step2', 'Step3']) {
        expect({
          key,
          id,
          states: items.filter((e) => e.elementId === id).map((e) => e.state),
        }).toEqual({ key, id, states: ['COMPLETED'] });
      }
      for (const e of items.filter((x) => x.elementId.startsWith('Step')))
        expect(handled.get(e.elementInstanceKey)).toBe(1);
    }
    for (const c of clients) c.stopAllWorkers();
  }, 300_000);
});
