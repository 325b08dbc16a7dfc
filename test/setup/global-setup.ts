import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFerretdb, type EmbeddedDatabase } from '../../server/db/ferretdb';

declare global {
  var __KEHOU_TEST_DB__: EmbeddedDatabase | undefined;
}

/**
 * Starts one throwaway FerretDB on a temporary directory for the whole run, unless
 * MONGODB_URI points at a real server. Test files each use their own database on it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) {
    process.env.KEHOU_TEST_MONGODB_URI = process.env.MONGODB_URI;
    delete process.env.KEHOU_TEST_FERRETDB_DIR;
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-test-db-'));
  const db = await startFerretdb({
    dataDir,
    log: { info: (m) => console.log(`\n[test db] ${m}`), warn: console.warn },
  });
  globalThis.__KEHOU_TEST_DB__ = db;
  process.env.KEHOU_TEST_MONGODB_URI = db.uri;
  // Test files pass it to connectDatabase as sqliteDir, as server/main.ts does.
  process.env.KEHOU_TEST_FERRETDB_DIR = db.dataDir;
}
