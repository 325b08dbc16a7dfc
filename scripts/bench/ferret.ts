/**
 * The benchmark's throwaway FerretDB. Normally the product's own launcher
 * (`startFerretdb`); with SQLite URI parameters (BENCH_SQLITE_PARAMS, e.g.
 * `_pragma=synchronous(NORMAL)`) the same binary and flags, plus those parameters, to measure
 * what a storage setting would change. FerretDB passes the URI's `_pragma` values to SQLite on
 * every connection.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ensureFerretdb,
  freePort,
  startFerretdb,
  waitForPing,
  type EmbeddedDatabase,
} from '../../server/db/ferretdb';

/** Starts FerretDB (SQLite backend) on a loopback port with its data in `dataDir`. */
export async function startBenchFerretdb(
  dataDir: string,
  sqliteParams?: string,
): Promise<EmbeddedDatabase> {
  if (!sqliteParams) return startFerretdb({ dataDir });
  const bin = await ensureFerretdb();
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/?${sqliteParams}`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${dir}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
    '--log-format=json',
  ];
  // as the product's launcher: FerretDB gets SIGTERM when this process dies, however it dies
  const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
  const child = hasSetpriv
    ? spawn('setpriv', ['--pdeathsig', 'TERM', '--', bin, ...args], { stdio: 'ignore' })
    : spawn(bin, args, { stdio: 'ignore' });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    await waitForPing(uri, 30_000, () => !exited);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    uri,
    port,
    pid: child.pid ?? -1,
    dataDir: dir,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
