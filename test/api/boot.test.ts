import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start`'s command with the given environment until it exits. */
function boot(env: Record<string, string>, timeoutMs = 45_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A server started on the embedded database in `dataDir` (any port), and its output so far. */
interface RunningServer {
  child: ChildProcessWithoutNullStreams;
  output(): string;
}

/** Starts `npm start`'s command on the embedded database in `dataDir`, logging at info. */
function startServer(dataDir: string): RunningServer {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

/** Waits until `server` listens and returns the pid of the FerretDB it started. */
function ferretdbPidOf(server: RunningServer): Promise<number> {
  return waitFor(() => {
    const out = server.output();
    const m = /FerretDB v[\d.]+ \(pid (\d+)\)/.exec(out);
    return m && out.includes('listening on http') ? Number(m[1]) : undefined;
  }, 60_000);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('booting the server', () => {
  it('should stop with one line per bad configuration key', async () => {
    // when
    const res = await boot({ PORT: 'abc', LOG_LEVEL: 'loud' });

    // then
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^config error: PORT: /),
      expect.stringMatching(/^config error: LOG_LEVEL: /),
    ]);
  });

  it('should refuse to start in production without secrets', async () => {
    // when
    const res = await boot({ NODE_ENV: 'production', MONGODB_URI: 'mongodb://127.0.0.1:1/x' });

    // then
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('config error: SESSION_SECRET: is required in production');
    expect(res.stderr).toContain('config error: DATA_ENCRYPTION_KEY: is required in production');
  });

  it('should exit non-zero with one clear line when MONGODB_URI cannot be reached', async () => {
    // when
    const res = await boot({ MONGODB_URI: 'mongodb://127.0.0.1:1/x' });

    // then
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^cannot start: cannot reach the database at mongodb:\/\/127\.0\.0\.1:1\/x/,
      ),
    ]);
  });

  it('should say in one sentence to install Go or set MONGODB_URI when it cannot build the database', async () => {
    // given a machine with neither a built FerretDB nor Go on the PATH
    const toolsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-no-tools-'));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-boot-'));
    try {
      // when
      const res = await boot({
        PATH: '/nonexistent',
        KEHOU_TOOLS_DIR: toolsDir,
        DATA_DIR: dataDir,
      });

      // then
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toEqual([
        'cannot start: The embedded database needs Go ≥ 1.22 to build FerretDB: install Go (https://go.dev/dl/) or set MONGODB_URI to a MongoDB or FerretDB server.',
      ]);
      expect(fs.readdirSync(toolsDir)).toEqual([]);
    } finally {
      fs.rmSync(toolsDir, { recursive: true, force: true });
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('should say in one line that the port is taken, before starting anything', async () => {
    // given a port somebody else listens on
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as net.AddressInfo).port;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-boot-'));
    try {
      // when
      const res = await boot({ PORT: String(port), DATA_DIR: dataDir });

      // then
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toEqual([
        `cannot start: port ${port} on 127.0.0.1 is already in use (is Kehou Flow already running?): stop that process or set PORT to another port`,
      ]);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      other.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('should refuse a second server on the same data directory in one line', async () => {
    // given a server running on the embedded database
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-boot-'));
    const server = startServer(dataDir);
    const first = server.child;
    try {
      await waitFor(
        () => (server.output().includes('listening on http') ? true : undefined),
        60_000,
      );

      // when a second one starts on the same DATA_DIR
      const res = await boot({ PORT: '0', DATA_DIR: dataDir });

      // then
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^cannot start: the embedded database in ${dataDir}/ferretdb is in use by another process \\(pid ${first.pid}\\): stop it or set DATA_DIR to another folder`,
          ),
        ),
      ]);
    } finally {
      if (first.exitCode === null && first.signalCode === null) {
        first.kill('SIGKILL');
        await new Promise((r) => first.once('exit', r));
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('should leave no FerretDB behind when the server is killed with SIGKILL', async () => {
    // given a server on the embedded database
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-boot-'));
    const server = startServer(dataDir);
    const child = server.child;
    try {
      const ferretPid = await ferretdbPidOf(server);
      expect(isAlive(ferretPid)).toBe(true);

      // when
      child.kill('SIGKILL');

      // then
      await waitFor(() => (isAlive(ferretPid) ? undefined : true), 15_000);
      expect(isAlive(ferretPid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'should stop the embedded FerretDB on %s and exit 0',
    async (signal) => {
      // given
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-boot-'));
      const server = startServer(dataDir);
      const child = server.child;
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      try {
        const ferretPid = await ferretdbPidOf(server);

        // when
        child.kill(signal);

        // then
        expect(await exited).toBe(0);
        expect(isAlive(ferretPid)).toBe(false);
      } finally {
        child.kill('SIGKILL');
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
