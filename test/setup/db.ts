import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { connectDatabase, type Database } from '../../server/db/connection';

/** The URI of the run's database server (set by the global setup). */
export function testServerUri(): string {
  const uri = process.env.KEHOU_TEST_MONGODB_URI;
  if (!uri)
    throw new Error('KEHOU_TEST_MONGODB_URI is not set: run tests through jest (global setup)');
  return uri;
}

/**
 * The data folder of the run's embedded FerretDB (set by the global setup), or undefined when
 * the tests run against MONGODB_URI.
 */
export function testSqliteDir(): string | undefined {
  return process.env.KEHOU_TEST_FERRETDB_DIR || undefined;
}

/** A database name of its own for one test file. */
export function uniqueDbName(hint = expect.getState().testPath ?? 'test'): string {
  const stem = path
    .basename(hint)
    .replace(/\.test\.ts$/, '')
    .replace(/[^\w]/g, '_')
    .slice(0, 30);
  return `t_${stem}_${randomBytes(4).toString('hex')}`;
}

/** Opens this test file's own database; `drop()` removes it again. */
export async function openTestDatabase(): Promise<
  Database & { drop(): Promise<void>; dbName: string }
> {
  const dbName = uniqueDbName();
  const db = await connectDatabase(testServerUri(), { dbName, sqliteDir: testSqliteDir() });
  return Object.assign(db, {
    dbName,
    async drop() {
      await db.connection.dropDatabase().catch(() => undefined);
      await db.close();
    },
  });
}
