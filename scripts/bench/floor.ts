/**
 * The database's own ceiling, measured in the same run as the engine: single-document
 * `insertOne` and `findOne` by `_id` (1 KB documents) on a scratch database of the same
 * FerretDB, with 1 and 32 callers. The engine cannot do more commands per second than this.
 * `insertMany8` inserts 8 documents per command (one SQLite transaction in FerretDB): what
 * batching concurrent inserts would gain. Its rate counts documents.
 */
import { performance } from 'node:perf_hooks';
import { connectDatabase } from '../../server/db/connection';
import { CpuMeter } from './stats';

/** Operations per second and FerretDB CPU (cores) of one cell. */
export interface FloorCell {
  op: 'insertOne' | 'insertMany8' | 'findOne';
  callers: number;
  perSecond: number;
  ferretdbCores: number;
}

/** Runs each operation for `seconds` (at most 20,000 operations) per number of callers. */
export async function measureFloor(opts: {
  uri: string;
  sqliteDir: string;
  ferretdbPid: number;
  seconds: number;
  callers: number[];
}): Promise<FloorCell[]> {
  const db = await connectDatabase(opts.uri, { dbName: 'bench_floor', sqliteDir: opts.sqliteDir });
  const cells: FloorCell[] = [];
  try {
    await db.ensureCollections(['things']);
    const things = db.connection.db!.collection<{ _id: string; pad: string }>('things');
    const pad = '课后服务 '.repeat(100).slice(0, 1_000);
    let inserted = 0;
    for (const callers of opts.callers) {
      for (const op of ['insertOne', 'insertMany8', 'findOne'] as const) {
        const cpu = new CpuMeter({ ferretdb: opts.ferretdbPid });
        const started = performance.now();
        const until = started + opts.seconds * 1_000;
        let ops = 0;
        await Promise.all(
          Array.from({ length: callers }, async () => {
            while (ops < 20_000 && performance.now() < until) {
              if (op === 'insertOne') {
                ops++;
                await things.insertOne({ _id: `t${inserted++}`, pad });
              } else if (op === 'insertMany8') {
                ops += 8;
                const docs = Array.from({ length: 8 }, () => ({ _id: `t${inserted++}`, pad }));
                await things.insertMany(docs, { ordered: false });
              } else {
                ops++;
                await things.findOne({ _id: `t${Math.floor(Math.random() * inserted)}` });
              }
            }
          }),
        );
        const seconds = (performance.now() - started) / 1_000;
        cells.push({ op, callers, perSecond: ops / seconds, ferretdbCores: cpu.read().ferretdb! });
      }
    }
  } finally {
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }
  return cells;
}
