import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';

/** The FerretDB release the product embeds (DESIGN.md decision 4). */
export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

/** Minimal logging surface so scripts and the server can share the launcher. */
export interface LaunchLog {
  info(msg: string): void;
  warn(msg: string): void;
}

const silentLog: LaunchLog = { info: () => undefined, warn: () => undefined };

/** The embedded database cannot be prepared; the message says what to install or set. */
export class DatabaseSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseSetupError';
  }
}

/** Folder for built tools (git-ignored); `KEHOU_TOOLS_DIR` overrides. */
export function toolsDir(): string {
  return path.resolve(process.env.KEHOU_TOOLS_DIR ?? path.join(__dirname, '..', '..', '.tools'));
}

/** Path of the FerretDB binary inside the tools folder. */
export function ferretdbBinary(): string {
  return path.join(toolsDir(), 'bin', 'ferretdb');
}

function installedVersion(bin: string): string | undefined {
  if (!fs.existsSync(bin)) return undefined;
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return /version:\s*(\S+)/.exec(out.stdout ?? '')?.[1];
}

function run(cmd: string, args: string[], cwd: string): string {
  const out = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.error) throw out.error;
  if (out.status !== 0) {
    throw new DatabaseSetupError(
      `${cmd} ${args.join(' ')} failed (${out.status}): ${out.stderr.trim().slice(-2000)}`,
    );
  }
  return out.stdout;
}

async function withLock<T>(lockDir: string, fn: () => T): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - fs.statSync(lockDir, { throwIfNoEntry: false })!.mtimeMs;
      if (age > 15 * 60_000) fs.rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new DatabaseSetupError(`timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Builds FerretDB from the Go module proxy into the tools folder unless the right version is
 * already there. Idempotent and safe to call from several processes at once.
 *
 * `go install …@v1.24.2` alone yields a binary that panics at start (the module ships without
 * build/version/version.txt), so the module source is downloaded from the proxy, the version
 * file written, and the command built from that copy.
 */
export async function ensureFerretdb(log: LaunchLog = silentLog): Promise<string> {
  const bin = ferretdbBinary();
  if (installedVersion(bin) === FERRETDB_VERSION) return bin;
  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (goVersion.error || goVersion.status !== 0) {
    throw new DatabaseSetupError(
      'The embedded database needs Go ≥ 1.22 to build FerretDB: install Go (https://go.dev/dl/) or set MONGODB_URI to a MongoDB or FerretDB server.',
    );
  }
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  return withLock(path.join(toolsDir(), '.ferretdb-build.lock'), () => {
    if (installedVersion(bin) === FERRETDB_VERSION) return bin;
    const started = Date.now();
    log.info(`building FerretDB ${FERRETDB_VERSION} from the Go module proxy (first run only)…`);
    const info = JSON.parse(
      run(
        'go',
        ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`],
        os.tmpdir(),
      ),
    ) as {
      Dir?: string;
      Error?: string;
    };
    if (!info.Dir)
      throw new DatabaseSetupError(
        `go mod download failed: ${info.Error ?? 'no module directory'}`,
      );
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'ferretdb-src-'));
    try {
      fs.cpSync(info.Dir, src, { recursive: true });
      spawnSync('chmod', ['-R', 'u+w', src]);
      fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
      fs.writeFileSync(path.join(src, 'build', 'version', 'package.txt'), 'kehou-flow\n');
      const tmpBin = `${bin}.tmp-${process.pid}`;
      run('go', ['build', '-trimpath', '-o', tmpBin, './cmd/ferretdb'], src);
      fs.renameSync(tmpBin, bin);
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
    log.info(`FerretDB built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return bin;
  });
}

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A running embedded FerretDB. */
export interface EmbeddedDatabase {
  uri: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Pings a MongoDB-compatible server until it answers or the deadline passes. */
export async function waitForPing(
  uri: string,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && isAlive()) {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  throw new DatabaseSetupError(
    `FerretDB did not answer a ping at ${uri}: ${String(lastError ?? 'process exited')}`,
  );
}

/**
 * Starts FerretDB (SQLite backend) on a free loopback port with its data in `dataDir`, and
 * waits until it answers a ping. The child gets SIGTERM if this process dies, even by
 * `kill -9` (setpriv's parent-death signal), so no FerretDB outlives the server.
 */
export async function startFerretdb(opts: {
  dataDir: string;
  port?: number;
  log?: LaunchLog;
}): Promise<EmbeddedDatabase> {
  const log = opts.log ?? silentLog;
  const bin = await ensureFerretdb(log);
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${dataDir}/`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${dataDir}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
    '--log-format=json',
  ];
  const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
  const child: ChildProcess = hasSetpriv
    ? spawn('setpriv', ['--pdeathsig', 'TERM', '--', bin, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
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
    throw new DatabaseSetupError(
      `${(err as Error).message}${stderr ? `\nFerretDB said: ${stderr.trim()}` : ''}`,
    );
  }
  log.info(
    `embedded FerretDB ${FERRETDB_VERSION} (pid ${child.pid}) listening on 127.0.0.1:${port}, data in ${dataDir}`,
  );
  return {
    uri,
    port,
    pid: child.pid ?? -1,
    dataDir,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
