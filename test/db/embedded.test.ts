import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase } from '../../server/db/connection';
import { spawnSync } from 'node:child_process';
import { startFerretdb } from '../../server/db/ferretdb';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded FerretDB lifecycle', () => {
  it('should keep data across a stop and a start and leave no process behind', async () => {
    // given
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-embedded-'));
    try {
      const first = await startFerretdb({ dataDir });
      const db1 = await connectDatabase(`${first.uri}lifecycle`);
      await db1.connection.collection('notes').insertOne({ key: 'kept', text: '课后服务' });
      await db1.close();

      // when
      await first.stop();

      // then
      expect(isAlive(first.pid)).toBe(false);

      // when started again on the same directory
      const second = await startFerretdb({ dataDir });
      const db2 = await connectDatabase(`${second.uri}lifecycle`);
      const found = await db2.connection.collection('notes').findOne({ key: 'kept' });
      await db2.close();
      await second.stop();

      // then
      expect(found?.text).toBe('课后服务');
      expect(isAlive(second.pid)).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('should refuse a second start on a data directory in use, and free it on stop', async () => {
    // given
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-embedded-'));
    try {
      const first = await startFerretdb({ dataDir });
      try {
        // when / then
        await expect(startFerretdb({ dataDir })).rejects.toThrow(
          `the embedded database in ${dataDir} is in use by another process (pid ${process.pid})`,
        );
        expect(isAlive(first.pid)).toBe(true);
      } finally {
        await first.stop();
      }

      // when the first one stopped
      const again = await startFerretdb({ dataDir });
      await again.stop();

      // then it started
      expect(again.pid).not.toBe(first.pid);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('should take over the lock of a server that was killed', async () => {
    // given a lock left by processes that are gone (a server and its FerretDB killed with -9)
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-embedded-'));
    const gone = [spawnSync('true').pid, spawnSync('true').pid];
    fs.writeFileSync(path.join(dataDir, 'kehou.lock'), `${gone.join(' ')}\n`);
    try {
      // when
      const db = await startFerretdb({ dataDir });
      const lock = fs.readFileSync(path.join(dataDir, 'kehou.lock'), 'utf8');
      await db.stop();

      // then
      expect(lock.trim()).toBe(`${process.pid} ${db.pid}`);
      expect(fs.existsSync(path.join(dataDir, 'kehou.lock'))).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
