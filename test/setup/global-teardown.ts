import fs from 'node:fs';

/** Stops the run's FerretDB and removes its temporary directory. */
export default async function globalTeardown(): Promise<void> {
  const db = globalThis.__KEHOU_TEST_DB__;
  if (!db) return;
  await db.stop();
  fs.rmSync(db.dataDir, { recursive: true, force: true });
}
