import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase } from '../../server/db/connection';
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
});
