/**
 * Measures lookups by `_id` on the embedded FerretDB (SQLite) with and without the `_id`
 * expression index of docs/adr/0003-ferretdb-sqlite-id-index.md.
 *
 *   node --import tsx scripts/bench-ferretdb.ts [--sizes=1000,20000,100000] [--seconds=3]
 *
 * For each size it loads that many documents into a fresh database of a throwaway FerretDB,
 * then runs insertOne, findOne, updateOne and deleteOne by `_id` with 4 concurrent callers,
 * first on the table as FerretDB creates it and again after `ensureCollections` added the
 * index. Lookups use late keys (the last documents inserted): a table scan pays most for them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Collection } from 'mongodb';
import { connectDatabase } from '../server/db/connection';
import { startFerretdb } from '../server/db/ferretdb';

const CONCURRENCY = 4;
const MAX_OPS = 5_000;

interface Thing {
  _id: string;
  kind: string;
  version: number;
  payload: { note: string; n: number; tags: string[] };
}

interface Result {
  ops: number;
  seconds: number;
  perSecond: number;
}

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

function key(n: number): string {
  return `thing-${String(n).padStart(7, '0')}`;
}

function buildThing(id: string, n: number): Thing {
  return {
    _id: id,
    kind: n % 2 === 0 ? 'even' : 'odd',
    version: 0,
    payload: { note: '课后服务 application record for the benchmark', n, tags: ['a', 'b', 'c'] },
  };
}

/** Runs `op` with CONCURRENCY callers until `seconds` pass or `maxOps` operations ran. */
async function measure(
  seconds: number,
  maxOps: number,
  op: (i: number) => Promise<unknown>,
): Promise<Result> {
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  let next = 0;
  const caller = async () => {
    while (next < maxOps && performance.now() < deadline) await op(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  const elapsed = (performance.now() - started) / 1_000;
  return { ops: next, seconds: elapsed, perSecond: next / elapsed };
}

async function load(things: Collection<Thing>, count: number): Promise<Result> {
  const started = performance.now();
  for (let start = 0; start < count; start += 1_000) {
    const docs = Array.from({ length: Math.min(1_000, count - start) }, (_, i) =>
      buildThing(key(start + i), start + i),
    );
    await things.insertMany(docs, { ordered: false });
  }
  const elapsed = (performance.now() - started) / 1_000;
  return { ops: count, seconds: elapsed, perSecond: count / elapsed };
}

/**
 * One round of the four operations. Deletes take `deleteKeys` (each once); finds and updates
 * cycle over `lookupKeys`, kept apart from the deleted ones.
 */
async function round(
  things: Collection<Thing>,
  seconds: number,
  label: string,
  lookupKeys: string[],
  deleteKeys: string[],
): Promise<Record<string, Result>> {
  const pick = (i: number) => lookupKeys[i % lookupKeys.length]!;
  const insert = await measure(seconds, MAX_OPS, (i) =>
    things.insertOne({ ...buildThing(`${label}-${i}`, i), kind: 'inserted' }),
  );
  // Back to n documents, so both rounds look up in a table of the same size.
  await things.deleteMany({ kind: 'inserted' });
  const find = await measure(seconds, MAX_OPS, async (i) => {
    if (!(await things.findOne({ _id: pick(i) }))) throw new Error(`missing ${pick(i)}`);
  });
  const update = await measure(seconds, MAX_OPS, async (i) => {
    const res = await things.updateOne({ _id: pick(i) }, { $inc: { version: 1 } });
    if (res.matchedCount !== 1) throw new Error(`missing ${pick(i)}`);
  });
  const remove = await measure(seconds, deleteKeys.length, async (i) => {
    const res = await things.deleteOne({ _id: deleteKeys[i]! });
    if (res.deletedCount !== 1) throw new Error(`missing ${deleteKeys[i]}`);
  });
  return { insertOne: insert, findOne: find, updateOne: update, deleteOne: remove };
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => key(from + i));
}

async function main(): Promise<void> {
  const sizes = option('sizes', '1000,20000,100000').split(',').map(Number);
  const seconds = Number(option('seconds', '3'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-bench-db-'));
  const ferret = await startFerretdb({ dataDir, log: { info: console.log, warn: console.warn } });
  const fmt = (r: Result) => r.perSecond.toFixed(r.perSecond < 100 ? 1 : 0).padStart(8);
  try {
    console.log(
      `\nops/s by _id, late keys, concurrency ${CONCURRENCY}, ${seconds} s or ${MAX_OPS} ops per cell`,
    );
    console.log(
      '| docs | bulk load docs/s | index build s | variant | insertOne | findOne | updateOne | deleteOne |',
    );
    console.log('|---:|---:|---:|---|---:|---:|---:|---:|');
    for (const n of sizes) {
      const db = await connectDatabase(ferret.uri, { dbName: `bench_${n}`, sqliteDir: dataDir });
      try {
        // Created the plain way first: the table FerretDB makes, without our index.
        await db.connection.createCollection('things');
        const things = db.connection.db!.collection<Thing>('things');
        const loaded = await load(things, n);
        const d = Math.max(1, Math.min(1_000, Math.floor(n / 10)));
        const lookups = range(n - 3 * d, n - 2 * d);
        const without = await round(things, seconds, 'plain', lookups, range(n - d, n).reverse());
        const indexStarted = performance.now();
        await db.ensureCollections(['things']);
        const indexSeconds = (performance.now() - indexStarted) / 1_000;
        const withIndex = await round(
          things,
          seconds,
          'indexed',
          lookups,
          range(n - 2 * d, n - d).reverse(),
        );
        for (const [variant, r] of [
          ['without fix', without],
          ['with fix', withIndex],
        ] as const) {
          console.log(
            `| ${n} | ${variant === 'without fix' ? loaded.perSecond.toFixed(0) : ''} | ${variant === 'with fix' ? indexSeconds.toFixed(2) : ''} | ${variant} | ${fmt(r.insertOne!)} | ${fmt(r.findOne!)} | ${fmt(r.updateOne!)} | ${fmt(r.deleteOne!)} |`,
          );
        }
        await db.connection.dropDatabase();
      } finally {
        await db.close();
      }
    }
  } finally {
    await ferret.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
