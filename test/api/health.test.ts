import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../server/app';
import { connectDatabase } from '../../server/db/connection';
import { freePort, startFerretdb } from '../../server/db/ferretdb';
import { createLogger } from '../../server/lib/logger';
import { buildTestApp } from '../fixtures/app';

describe('health and readiness', () => {
  it('should answer /health and /ready with JSON when the database is up', async () => {
    // given
    const { app, close } = await buildTestApp();
    try {
      // when
      const health = await request(app).get('/health');
      const ready = await request(app).get('/ready');

      // then
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'UP' });
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'READY', database: { status: 'UP' } });
      expect(ready.headers['x-request-id']).toMatch(/^[\w-]+$/);
    } finally {
      await close();
    }
  });

  it('should report the database down with a 503 problem and recover when it returns', async () => {
    // given: a database of its own that this test stops and restarts on the same port
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-ready-'));
    const port = await freePort();
    let ferret = await startFerretdb({ dataDir, port });
    const db = await connectDatabase(`${ferret.uri}ready`, { serverSelectionTimeoutMS: 1_000 });
    const app = createApp({ db, logger: createLogger('silent') });
    try {
      expect((await request(app).get('/ready')).status).toBe(200);

      // when the database stops
      await ferret.stop();
      const down = await request(app).get('/ready');

      // then
      expect(down.status).toBe(503);
      expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(down.body).toMatchObject({
        status: 503,
        code: 'DATABASE_UNAVAILABLE',
        title: '数据库暂不可用',
      });
      expect((await request(app).get('/health')).status).toBe(200);

      // when it comes back
      ferret = await startFerretdb({ dataDir, port });
      const deadline = Date.now() + 30_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await request(app).get('/ready')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }

      // then
      expect(status).toBe(200);
    } finally {
      await db.close();
      await ferret.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
