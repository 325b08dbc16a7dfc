import express from 'express';
import request from 'supertest';
import { createLogger } from '../../server/lib/logger';
import { createPlugin } from '../../server/plugin';
import { openTestDatabase } from '../setup/db';

describe('plugin mounted in a host app', () => {
  it('should serve the same routes under /kehou and leave the host routes alone', async () => {
    // given
    const db = await openTestDatabase();
    const host = express();
    host.get('/', (_req, res) => {
      res.send('host home');
    });
    host.use('/kehou', createPlugin({ db, logger: createLogger('silent') }));
    try {
      // when
      const health = await request(host).get('/kehou/health');
      const ready = await request(host).get('/kehou/ready');
      const missing = await request(host).get('/kehou/nope');
      const home = await request(host).get('/');

      // then
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('UP');
      expect(ready.status).toBe(200);
      expect(missing.status).toBe(404);
      expect(missing.body.instance).toBe('/kehou/nope');
      expect(home.text).toBe('host home');
    } finally {
      await db.drop();
    }
  });
});
