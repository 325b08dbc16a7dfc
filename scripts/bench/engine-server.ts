/**
 * The engine side of the end-to-end benchmark, run as a child process of
 * scripts/bench-engine.ts so that its CPU, heap and profile are its own: the engine and the
 * /v2 router on the app, as test/fixtures/engine.ts builds them, listening on a loopback port.
 *
 * It counts every command its database connection sends (MongoDB command monitoring) and
 * answers the parent over IPC: counters, heap after GC, CPU profile start/stop, stop.
 * It exits when the parent goes away.
 *
 *   env: BENCH_MONGO_URI, BENCH_DB, BENCH_SQLITE_DIR (optional), BENCH_USER, BENCH_PASSWORD
 */
import fs from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import type {
  CommandFailedEvent,
  CommandStartedEvent,
  CommandSucceededEvent,
  MongoClient,
} from 'mongodb';
import { createApp } from '../../server/app';
import { connectDatabase } from '../../server/db/connection';
import { ServiceAccounts } from '../../server/engine/api/accounts';
import { createV2Router } from '../../server/engine/api/v2.router';
import { Engine } from '../../server/engine/engine';
import { createLogger } from '../../server/lib/logger';
import type { ServerReply, ServerRequest } from './protocol';

/** Commands that change data, as counted for "writes". */
const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);

/**
 * Whether a command's filter is `{ _id }` alone, the one filter FerretDB 1.24 on SQLite
 * answers with an index (ADR 0003): ` by _id`, else ` scan` (empty for other commands).
 */
function access(e: CommandStartedEvent): string {
  const c = e.command as Record<string, unknown>;
  const first = (list: unknown, field: string) =>
    Array.isArray(list) ? (list[0] as Record<string, unknown> | undefined)?.[field] : undefined;
  const filter =
    e.commandName === 'find' || e.commandName === 'findAndModify' || e.commandName === 'count'
      ? (c.filter ?? c.query)
      : e.commandName === 'update'
        ? first(c.updates, 'q')
        : e.commandName === 'delete'
          ? first(c.deletes, 'q')
          : undefined;
  if (filter === undefined) return '';
  const keys = Object.keys(filter as object);
  const byId =
    keys.length === 1 &&
    keys[0] === '_id' &&
    typeof (filter as Record<string, unknown>)._id !== 'object';
  return byId ? ' by _id' : ' scan';
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

async function main(): Promise<void> {
  const uri = env('BENCH_MONGO_URI');
  // command monitoring is a client option; the URI carries it through connectDatabase
  const monitored = `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
  const db = await connectDatabase(monitored, {
    dbName: env('BENCH_DB'),
    sqliteDir: process.env.BENCH_SQLITE_DIR || undefined,
  });
  const counts = new Map<string, number>();
  // time each command takes, as the driver sees it (queueing in FerretDB included)
  const started = new Map<number, string>();
  const client = db.connection.getClient() as unknown as MongoClient;
  client.on('commandStarted', (e: CommandStartedEvent) => {
    const target = e.command[e.commandName];
    const coll = typeof target === 'string' ? target.replace(/^engine_/, '') : '';
    const key = `${WRITES.has(e.commandName) ? 'write' : 'read'}|${e.commandName}${access(e)}|${coll}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    started.set(e.requestId, key);
  });
  const finished = (e: CommandSucceededEvent | CommandFailedEvent) => {
    const key = started.get(e.requestId);
    if (key === undefined) return;
    started.delete(e.requestId);
    counts.set(`ms|${key}`, (counts.get(`ms|${key}`) ?? 0) + e.duration);
  };
  client.on('commandSucceeded', finished);
  client.on('commandFailed', finished);

  const logger = createLogger('silent');
  const engine = new Engine(db, {
    logger,
    defaultRequestTimeoutMs: Number(process.env.BENCH_LONG_POLL_MS ?? 2_000),
  });
  const startedAt = performance.now();
  await engine.start();
  const startMs = performance.now() - startedAt;
  const accounts = new ServiceAccounts(engine.collections);
  await accounts.ensure(env('BENCH_USER'), env('BENCH_PASSWORD'));
  const app = createApp({
    db,
    logger,
    mounts: [{ path: '/v2', router: createV2Router({ engine, accounts }) }],
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const session = new Session();
  session.connect();
  let profiling = false;

  const stop = async () => {
    server.close();
    server.closeAllConnections();
    await engine.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', () => void stop());

  const send = (reply: ServerReply) => process.send?.(reply);
  process.on('message', (raw) => {
    const req = raw as ServerRequest;
    void (async (): Promise<ServerReply> => {
      switch (req.op) {
        case 'counters': {
          const snapshot = Object.fromEntries(counts);
          if (req.reset) counts.clear();
          return { id: req.id, op: 'counters', counts: snapshot };
        }
        case 'heap': {
          const gc = (globalThis as { gc?: () => void }).gc;
          if (!gc) throw new Error('run the server with --expose-gc');
          // two passes: the first may only schedule finalisation of what the second frees
          gc();
          await new Promise((r) => setImmediate(r));
          gc();
          const m = process.memoryUsage();
          return { id: req.id, op: 'heap', heapUsed: m.heapUsed, rss: m.rss };
        }
        case 'profile-start':
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 500 });
          await session.post('Profiler.start');
          profiling = true;
          return { id: req.id, op: 'ok' };
        case 'profile-stop': {
          if (!profiling) throw new Error('no profile running');
          const { profile } = await session.post('Profiler.stop');
          profiling = false;
          fs.writeFileSync(req.file, JSON.stringify(profile));
          return { id: req.id, op: 'ok' };
        }
        case 'stop':
          setImmediate(() => void stop());
          return { id: req.id, op: 'ok' };
      }
    })()
      .then(send)
      .catch((err: unknown) => send({ id: req.id, op: 'error', message: String(err) }));
  });
  send({ id: 0, op: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid, startMs });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
