/**
 * IPC between the benchmark (parent) and its engine server child (scripts/bench/engine-server.ts),
 * and the parent's handle on the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** What the parent asks. Every request has an id its reply repeats. */
export type ServerRequest =
  | { id: number; op: 'counters'; reset: boolean }
  | { id: number; op: 'heap' }
  | { id: number; op: 'profile-start' }
  | { id: number; op: 'profile-stop'; file: string }
  | { id: number; op: 'stop' };

/** What the child answers (id 0: the unsolicited "ready"). */
export type ServerReply =
  | { id: number; op: 'ready'; url: string; pid: number; startMs: number }
  | { id: number; op: 'counters'; counts: Record<string, number> }
  | { id: number; op: 'heap'; heapUsed: number; rss: number }
  | { id: number; op: 'ok' }
  | { id: number; op: 'error'; message: string };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Database command counts: `write|insert|commits` → count. */
export type Counts = Record<string, number>;

/** A running engine server child. */
export interface EngineServer {
  url: string;
  pid: number;
  /** How long `engine.start()` took (ms): recovery scans the active instances. */
  startMs: number;
  counters(reset: boolean): Promise<Counts>;
  heap(): Promise<{ heapUsed: number; rss: number }>;
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the engine server child on `db` and waits until it listens. */
export async function startEngineServer(opts: {
  mongoUri: string;
  dbName: string;
  sqliteDir?: string;
  user: string;
  password: string;
  timeoutMs?: number;
}): Promise<EngineServer> {
  const child: ChildProcess = fork(path.join(__dirname, 'engine-server.ts'), [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_MONGO_URI: opts.mongoUri,
      BENCH_DB: opts.dbName,
      BENCH_SQLITE_DIR: opts.sqliteDir ?? '',
      BENCH_USER: opts.user,
      BENCH_PASSWORD: opts.password,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (reply: ServerReply) => void>();
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      for (const resolveReply of pending.values())
        resolveReply({ id: -1, op: 'error', message: 'engine server exited' });
      pending.clear();
      resolve();
    }),
  );
  const ready = new Promise<Extract<ServerReply, { op: 'ready' }>>((resolve, reject) => {
    // engine start recovers by scanning every instance: about 30 s at 56,000 instances
    const timer = setTimeout(
      () => reject(new Error('engine server did not start in time')),
      opts.timeoutMs ?? 300_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine server exited with ${code} before it was ready`));
    });
    child.on('message', (raw) => {
      const reply = raw as ServerReply;
      if (reply.op === 'ready') {
        clearTimeout(timer);
        resolve(reply);
        return;
      }
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    });
  });
  let ready0: Extract<ServerReply, { op: 'ready' }>;
  try {
    ready0 = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  let nextId = 1;
  const ask = <T extends ServerReply['op']>(
    req: WithoutId<ServerRequest>,
    want: T,
  ): Promise<Extract<ServerReply, { op: T }>> => {
    if (exited) return Promise.reject(new Error('engine server exited'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, (reply) => {
        if (reply.op === want) resolve(reply as Extract<ServerReply, { op: T }>);
        else reject(new Error(reply.op === 'error' ? reply.message : `unexpected ${reply.op}`));
      });
      child.send({ ...req, id });
    });
  };
  return {
    url: ready0.url,
    pid: ready0.pid,
    startMs: ready0.startMs,
    counters: async (reset) => (await ask({ op: 'counters', reset }, 'counters')).counts,
    heap: async () => {
      const r = await ask({ op: 'heap' }, 'heap');
      return { heapUsed: r.heapUsed, rss: r.rss };
    },
    profileStart: async () => void (await ask({ op: 'profile-start' }, 'ok')),
    profileStop: async (file) => void (await ask({ op: 'profile-stop', file }, 'ok')),
    async stop() {
      if (exited) return;
      await ask({ op: 'stop' }, 'ok').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
