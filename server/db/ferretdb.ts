import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
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

function run(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const out = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
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

function requireGo(what: string): void {
  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (goVersion.error || goVersion.status !== 0) {
    throw new DatabaseSetupError(
      `The embedded database needs Go ≥ 1.22 to build ${what}: install Go (https://go.dev/dl/) or set MONGODB_URI to a MongoDB or FerretDB server.`,
    );
  }
}

/**
 * Builds what the embedded database needs into the tools folder: FerretDB itself and our
 * SQLite `_id` index tool (see {@link ensureSqliteIndexTool}). Returns the FerretDB binary.
 * Idempotent and safe to call from several processes at once.
 */
export async function ensureFerretdb(log: LaunchLog = silentLog): Promise<string> {
  const bin = await ensureFerretdbBinary(log);
  await ensureSqliteIndexTool(log);
  return bin;
}

/**
 * Builds FerretDB from the Go module proxy unless the right version is already there.
 *
 * `go install …@v1.24.2` alone yields a binary that panics at start (the module ships without
 * build/version/version.txt), so the module source is downloaded from the proxy, the version
 * file written, and the command built from that copy.
 */
async function ensureFerretdbBinary(log: LaunchLog): Promise<string> {
  const bin = ferretdbBinary();
  if (installedVersion(bin) === FERRETDB_VERSION) return bin;
  requireGo('FerretDB');
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

/** Source folder of the `_id` index tool (a Go module of our own). */
const SQLITE_INDEX_SOURCE = path.join(__dirname, '..', '..', 'scripts', 'sqlite-index');

/** Path of the SQLite `_id` index tool inside the tools folder. */
export function sqliteIndexBinary(): string {
  return path.join(toolsDir(), 'bin', 'kehou-sqlite-index');
}

/** The file FerretDB's SQLite backend keeps database `dbName` in. */
export function sqliteDatabaseFile(sqliteDir: string, dbName: string): string {
  return path.join(sqliteDir, `${dbName}.sqlite`);
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function sqliteIndexSourceHash(): string {
  const hash = createHash('sha256');
  const files = fs
    .readdirSync(SQLITE_INDEX_SOURCE)
    .filter((f) => /\.go$|^go\.(mod|sum)$/.test(f))
    .sort();
  for (const f of files) {
    hash
      .update(`${f}\0`)
      .update(fs.readFileSync(path.join(SQLITE_INDEX_SOURCE, f)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Builds `scripts/sqlite-index` into the tools folder with `go build`, unless the binary there
 * was built from the same source (a hash of it is kept next to the binary). Idempotent and
 * safe to call from several processes at once.
 */
export async function ensureSqliteIndexTool(log: LaunchLog = silentLog): Promise<string> {
  const bin = sqliteIndexBinary();
  const stamp = `${bin}.sha256`;
  const hash = sqliteIndexSourceHash();
  const isCurrent = () => fs.existsSync(bin) && readIfExists(stamp)?.trim() === hash;
  if (isCurrent()) return bin;
  requireGo('the SQLite index tool');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  return withLock(path.join(toolsDir(), '.sqlite-index-build.lock'), () => {
    if (isCurrent()) return bin;
    const started = Date.now();
    log.info('building the SQLite _id index tool (scripts/sqlite-index)…');
    const tmpBin = `${bin}.tmp-${process.pid}`;
    // GOWORK=off: a go.work in a parent folder must not pull this module into another build.
    run('go', ['build', '-trimpath', '-o', tmpBin, '.'], SQLITE_INDEX_SOURCE, {
      ...process.env,
      GOWORK: 'off',
    });
    fs.renameSync(tmpBin, bin);
    fs.writeFileSync(stamp, `${hash}\n`);
    log.info(`SQLite _id index tool built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return bin;
  });
}

/**
 * Runs the SQLite `_id` index tool on one database file of a running embedded FerretDB:
 * creates the missing `_id` expression indexes of `collections` (all when empty), or with
 * `check` only reports the query plan of a lookup by `_id`. Resolves to the tool's output lines.
 */
export async function runSqliteIndexTool(
  dbFile: string,
  collections: readonly string[],
  opts: { check?: boolean } = {},
): Promise<string[]> {
  // `--` ends the flags, so neither the path nor a collection name is taken for one.
  const args = [...(opts.check ? ['--check'] : []), '--', dbFile, ...collections];
  return new Promise((resolve, reject) => {
    execFile(
      sqliteIndexBinary(),
      args,
      { encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new DatabaseSetupError(`kehou-sqlite-index failed: ${stderr.trim() || err.message}`),
          );
          return;
        }
        resolve(stdout.split('\n').filter((line) => line.length > 0));
      },
    );
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory for this process: a second server on the same directory would run
 * a second FerretDB on the same SQLite files. The lock file names this process and, once
 * started, its FerretDB; a lock whose processes are all gone (a server killed with `kill -9`)
 * is stale and taken over. Returns a function that sets the FerretDB pid and one that releases.
 */
function lockDataDir(dataDir: string): { setChild(pid: number): void; release(): void } {
  const file = path.join(dataDir, 'kehou.lock');
  const mine = () => readIfExists(file)?.split(/\s+/)[0] === String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw err;
      const holders = (readIfExists(file) ?? '')
        .split(/\s+/)
        .map(Number)
        .filter((pid) => Number.isInteger(pid) && pid > 0);
      const live = holders.find((pid) => pid === process.pid || isAlive(pid));
      if (live !== undefined) {
        throw new DatabaseSetupError(
          `the embedded database in ${dataDir} is in use by another process (pid ${live}): stop it or set DATA_DIR to another folder (if no such process runs, delete ${file})`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  return {
    setChild(pid) {
      if (mine()) fs.writeFileSync(file, `${process.pid} ${pid}\n`);
    },
    release() {
      if (mine()) fs.rmSync(file, { force: true });
    },
  };
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
  const lock = lockDataDir(dataDir);
  try {
    return await launch(bin, dataDir, opts.port ?? (await freePort()), log, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function launch(
  bin: string,
  dataDir: string,
  port: number,
  log: LaunchLog,
  lock: ReturnType<typeof lockDataDir>,
): Promise<EmbeddedDatabase> {
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
  if (child.pid) lock.setChild(child.pid);
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
    await exitPromise;
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
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
      lock.release();
    },
  };
}
