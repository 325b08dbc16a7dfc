import { Writable } from 'node:stream';
import request from 'supertest';
import type { Express } from 'express';
import { ServiceAccounts } from '../../server/engine/api/accounts';
import { createV2Router } from '../../server/engine/api/v2.router';
import { Engine } from '../../server/engine/engine';
import { createLogger } from '../../server/lib/logger';
import { buildTestApp } from '../fixtures/app';

/**
 * The request log an operator reads: job workers' long polls and the probes, which succeed
 * many times a minute, stay out of the info log (debug), while what people and integrations
 * do is logged at info and failures at warn.
 */
describe('the request log', () => {
  let app: Express;
  let engine: Engine;
  let close: () => Promise<void>;
  const lines: {
    level: number;
    msg: string;
    req?: { url: string };
    res?: { statusCode: number };
  }[] = [];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as (typeof lines)[number]);
        cb();
      },
    });
    ({ app, close } = await buildTestApp({
      logger: createLogger('info', stream),
      mounts: async (db, logger) => {
        engine = new Engine(db, { logger });
        await engine.start();
        const accounts = new ServiceAccounts(engine.collections);
        await accounts.ensure('worker', 'worker-password');
        return [{ path: '/v2', router: createV2Router({ engine, accounts }) }];
      },
    }));
  });

  afterAll(async () => {
    await engine.stop();
    await close();
  });

  const completed = (url: string) =>
    lines.filter((l) => l.msg === 'request completed' && l.req?.url === url);

  it("should keep job workers' long polls and the probes out of the info log", async () => {
    // when a worker polls for a job type with nothing to do, and a probe asks for health
    const poll = await request(app)
      .post('/v2/jobs/activation')
      .auth('worker', 'worker-password')
      .send({ type: 'nothing-here', maxJobsToActivate: 1, timeout: 1000, requestTimeout: 100 });
    const health = await request(app).get('/health');
    const topology = await request(app).get('/v2/topology').auth('worker', 'worker-password');

    // then both answered, neither is logged at info, and an ordinary call is
    expect(poll.status).toBe(200);
    expect(health.status).toBe(200);
    expect(topology.status).toBe(200);
    expect(completed('/v2/jobs/activation')).toEqual([]);
    expect(completed('/health')).toEqual([]);
    expect(completed('/v2/topology')).toEqual([expect.objectContaining({ level: 30 })]);
  });

  it('should log a refused long poll at warn', async () => {
    // when
    const res = await request(app)
      .post('/v2/jobs/activation')
      .auth('worker', 'wrong-password')
      .send({ type: 'x', maxJobsToActivate: 1, timeout: 1000 });

    // then
    expect(res.status).toBe(401);
    expect(completed('/v2/jobs/activation')).toEqual([
      expect.objectContaining({ level: 40, res: { statusCode: 401 } }),
    ]);
  });
});
