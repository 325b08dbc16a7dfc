/**
 * `npm run seed`: writes the demo organisation, accounts and students (README, "Demo
 * accounts") into the configured database: MONGODB_URI, or the embedded FerretDB in DATA_DIR.
 * Idempotent: a second run inserts nothing. Stop the server first when it uses the embedded
 * database (both would open the same files).
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../server/config';
import { connectDatabase, redactUri } from '../server/db/connection';
import { startFerretdb } from '../server/db/ferretdb';
import { seedDemo } from '../server/modules/demo/demo.service';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = { info: (m: string) => console.log(m), warn: (m: string) => console.warn(m) };
  const embedded = config.MONGODB_URI
    ? undefined
    : await startFerretdb({ dataDir: path.join(config.dataDir, 'ferretdb'), log });
  const uri = config.MONGODB_URI ?? `${embedded!.uri}kehou`;
  try {
    const db = await connectDatabase(uri, {
      sqliteDir: embedded?.dataDir ?? config.FERRETDB_SQLITE_DIR,
    });
    try {
      const report = await seedDemo(db);
      console.log(`seeded ${redactUri(uri)}: ${JSON.stringify(report)}`);
    } finally {
      await db.close();
    }
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError)
    for (const line of err.lines) console.error(`config error: ${line}`);
  else console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
