/**
 * Engine benchmark: how fast Kehou Flow runs processes, alone and end to end, what it writes
 * to the database, what a waiting instance costs, and how that changes as data grows.
 *
 *   npm run bench:engine          (node --expose-gc --import tsx scripts/bench-engine.ts)
 *
 * Sections, all in one run:
 *   1. the executor alone (no database, no HTTP) on start → 8 service tasks → end;
 *   2. the same process on the `bpmn-engine` npm package in memory, and the ratio;
 *   3. end to end: a throwaway embedded FerretDB, the engine and /v2 API in a child process,
 *      the official Camunda client creating instances of start → service task → end while its
 *      `createJobWorker` completes the jobs, at several concurrency levels;
 *   4. database commands per instance (command monitoring in the engine process);
 *   5. heap and stored bytes per instance waiting at a user task;
 *   6. section 3 again after the database holds more instances (and parked jobs);
 *   3a/3b. the database's own ceiling, and section 3 on a FerretDB with another SQLite setting.
 *
 * Everything listens on and talks to 127.0.0.1 only. Every loop is bounded by a count and a
 * time limit, and a watchdog ends the run if it takes far longer than expected.
 *
 * Environment (defaults in brackets):
 *   BENCH_EXECUTOR_SECONDS [5]       time per executor measurement
 *   BENCH_BPMN_ENGINE_SECONDS [5]    time per bpmn-engine measurement
 *   BENCH_BPMN_ENGINE_IN_FLIGHT [1,16]
 *   BENCH_E2E_INSTANCES [1000]       instances per end-to-end run
 *   BENCH_E2E_INSTANCES_C1 [300]     instances of the run with one caller (it is slow)
 *   BENCH_CONCURRENCY [1,8,32,64]    concurrency levels of the end-to-end curve
 *   BENCH_PROFILE_INSTANCES [600]    instances of the profiled run (0 = no profile)
 *   BENCH_WAITING_INSTANCES [2000]   instances parked at a user task (section 5)
 *   BENCH_GROWTH [10000,50000]       total instances in the database for the growth runs
 *   BENCH_GROWTH_WAITING_PERCENT [20] share of seeded instances waiting at a user task
 *   BENCH_PARKED_JOBS [5000]         open jobs of a type no worker polls, added last (0 = skip)
 *   BENCH_FLOOR_SECONDS [2]          time per FerretDB-alone cell (section 3a)
 *   BENCH_SQLITE_PARAMS              run everything with these extra SQLite URI parameters
 *   BENCH_WHATIF_SQLITE_PARAMS [_pragma=synchronous(NORMAL)]
 *                                    section 3b repeats section 3 on a FerretDB with these
 *                                    parameters ('' = skip)
 *   BENCH_MAX_MINUTES [20]           watchdog
 *   BENCH_OUT                        also write the results as JSON to this file
 *   BENCH_KEEP_PROFILE               keep the .cpuprofile in this folder
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { FERRETDB_VERSION, type EmbeddedDatabase } from '../server/db/ferretdb';
import { COLLECTIONS } from '../server/engine/store/collections';
import {
  bpmnEngineVersion,
  runBpmnEngine,
  sourceContextOf,
  type BpmnEngineResult,
} from './bench/bpmn-engine-bench';
import { startBenchFerretdb } from './bench/ferret';
import { measureFloor, type FloorCell } from './bench/floor';
import { compileOne, runExecutor, type ExecutorResult } from './bench/executor-bench';
import { benchClient, perInstance, runLoad, type BenchClient, type LoadResult } from './bench/load';
import {
  PARKED_JOB_TYPE,
  PROCESS_IDS,
  BENCH_JOB_TYPE,
  plainServiceChain,
  zeebeServiceChain,
  zeebeUserTask,
} from './bench/processes';
import { printSummary, readProfile, summariseProfile, type ProfileSummary } from './bench/profile';
import { startEngineServer, type EngineServer } from './bench/protocol';
import { bsonBytes, instanceDocs, seedCopies, type InstanceDocs } from './bench/seed';
import { bytes, CpuMeter, envInt, envInts, num, pause } from './bench/stats';

const USER = 'bench-worker';
const PASSWORD = 'bench-worker-secret';
const DB_NAME = 'bench_engine';

const config = {
  executorSeconds: envInt('BENCH_EXECUTOR_SECONDS', 5),
  bpmnEngineSeconds: envInt('BENCH_BPMN_ENGINE_SECONDS', 5),
  bpmnEngineInFlight: envInts('BENCH_BPMN_ENGINE_IN_FLIGHT', [1, 16]),
  e2eInstances: envInt('BENCH_E2E_INSTANCES', 1_000),
  e2eInstancesSerial: envInt('BENCH_E2E_INSTANCES_C1', 300),
  concurrency: envInts('BENCH_CONCURRENCY', [1, 8, 32, 64]),
  profileInstances: envInt('BENCH_PROFILE_INSTANCES', 600),
  waitingInstances: envInt('BENCH_WAITING_INSTANCES', 2_000),
  growth: envInts('BENCH_GROWTH', [10_000, 50_000]),
  growthWaitingPercent: envInt('BENCH_GROWTH_WAITING_PERCENT', 20),
  parkedJobs: envInt('BENCH_PARKED_JOBS', 5_000),
  floorSeconds: envInt('BENCH_FLOOR_SECONDS', 2),
  whatIfParams: process.env.BENCH_WHATIF_SQLITE_PARAMS ?? '_pragma=synchronous(NORMAL)',
  maxMinutes: envInt('BENCH_MAX_MINUTES', 20),
};

/** Everything the run measured (BENCH_OUT). */
interface Results {
  machine: Record<string, string | number>;
  config: typeof config;
  executor?: { plain: ExecutorResult; withJson: ExecutorResult; cpu: Record<string, number> };
  bpmnEngine?: BpmnEngineResult[];
  ratio?: number;
  e2e: LoadResult[];
  best?: LoadResult;
  profile?: ProfileSummary & { cpu: Record<string, number> };
  waiting?: Record<string, number | Record<string, number>>;
  growth: (LoadResult & { instancesInDb: number; parkedJobs: number; engineStartMs: number })[];
  floor?: FloorCell[];
  whatIf?: { params: string; floor: FloorCell[]; runs: LoadResult[] };
}

const results: Results = { machine: {}, config, e2e: [], growth: [] };

// cleanup //////////

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping`);
    void cleanup().then(() => process.exit(130));
  });
}

// output //////////

function heading(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(3, 86 - title.length))}`);
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(value < 10 ? 1 : 0)} ms` : 'n/a';
}

function cores(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .map(([name, c]) => `${name} ${c.toFixed(2)}`)
    .join(', ');
}

/** CPU milliseconds each process spent per completed instance. */
function cpuMsPerInstance(r: LoadResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of Object.entries(r.cpu))
    if (name !== 'others') out[name] = (c * r.seconds * 1_000) / Math.max(1, r.completed);
  return out;
}

function cpuLine(r: LoadResult): string {
  return `         CPU per instance: ${Object.entries(cpuMsPerInstance(r))
    .map(([name, v]) => `${name} ${v.toFixed(1)} ms`)
    .join(', ')}`;
}

function loadLine(r: LoadResult): string {
  const status = r.timedOut
    ? ` TIMED OUT (${r.created} created, ${r.completed} completed of ${r.instances})`
    : '';
  const errors = r.errors ? ` ERRORS ${r.errors}` : '';
  return (
    `  C=${String(r.concurrency).padStart(3)}  ${num(r.instancesPerSecond, 0).padStart(6)} instances/s` +
    `  (${r.completed} in ${r.seconds.toFixed(1)} s)  create p50 ${ms(r.createP50)} p99 ${ms(r.createP99)}` +
    `  complete p50 ${ms(r.completeP50)} p99 ${ms(r.completeP99)}  CPU cores: ${cores(r.cpu)}${status}${errors}`
  );
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    ferretdb: `${FERRETDB_VERSION} (SQLite backend)`,
  };
}

// sections //////////

async function sectionExecutor(): Promise<void> {
  heading('1. Executor alone: start → 8 service tasks → end (10 elements), no database');
  const proc = await compileOne(zeebeServiceChain(PROCESS_IDS.tenTasks, 8));
  runExecutor(proc, { maxInstances: 5_000, maxSeconds: 1, serialize: true }); // JIT warm-up
  const cpu = new CpuMeter({ bench: process.pid });
  const plain = runExecutor(proc, {
    maxInstances: 10_000_000,
    maxSeconds: config.executorSeconds,
    serialize: false,
  });
  const withJson = runExecutor(proc, {
    maxInstances: 10_000_000,
    maxSeconds: config.executorSeconds,
    serialize: true,
  });
  results.executor = { plain, withJson, cpu: cpu.read() };
  console.log(
    `  runCommand only:             ${num(plain.instancesPerSecond).padStart(7)} instances/s` +
      `  (${num(plain.commandsPerSecond)} commands/s, ${plain.instances} instances in ${plain.seconds.toFixed(1)} s)`,
  );
  console.log(
    `  + JSON state round trip:     ${num(withJson.instancesPerSecond).padStart(7)} instances/s` +
      `  (${num(withJson.commandsPerSecond)} commands/s: what Engine.execute adds besides I/O)`,
  );
  console.log(`  CPU cores: ${cores(results.executor.cpu)}`);
}

async function sectionBpmnEngine(): Promise<void> {
  heading('2. bpmn-engine (npm) in memory: the same 10-element process');
  const version = bpmnEngineVersion();
  const sourceContext = await sourceContextOf(plainServiceChain(PROCESS_IDS.tenTasks, 8));
  await runBpmnEngine(sourceContext, {
    maxInstances: 200,
    maxSeconds: 2,
    inFlight: 4,
    tasksPerInstance: 8,
  }); // JIT warm-up
  const runs: BpmnEngineResult[] = [];
  const cpu = new CpuMeter({ bench: process.pid });
  for (const inFlight of config.bpmnEngineInFlight) {
    const r = await runBpmnEngine(sourceContext, {
      maxInstances: 10_000_000,
      maxSeconds: config.bpmnEngineSeconds,
      inFlight,
      tasksPerInstance: 8,
    });
    runs.push(r);
    console.log(
      `  bpmn-engine ${version}, ${String(inFlight).padStart(2)} in flight: ${num(r.instancesPerSecond, 1).padStart(7)} instances/s` +
        `  (${r.instances} instances in ${r.seconds.toFixed(1)} s)`,
    );
  }
  results.bpmnEngine = runs;
  console.log(`  CPU cores: ${cores(cpu.read())}`);
  const best = Math.max(...runs.map((r) => r.instancesPerSecond));
  results.ratio = results.executor!.plain.instancesPerSecond / best;
  console.log(
    `  ratio executor / bpmn-engine (best of each): ${num(results.ratio, 0)}×  (target ≥ 30×: ${results.ratio >= 30 ? 'met' : 'MISSED'})`,
  );
}

async function deploy(client: BenchClient): Promise<void> {
  const files = [
    ['bench-one-task.bpmn', zeebeServiceChain(PROCESS_IDS.oneTask, 1)],
    ['bench-user-task.bpmn', zeebeUserTask(PROCESS_IDS.userTask)],
    ['bench-parked.bpmn', zeebeServiceChain(PROCESS_IDS.parked, 1, PARKED_JOB_TYPE)],
  ] as const;
  // Node's File and the DOM File the client is typed with are the same at run time.
  const resources = files.map(([name, xml]) => new File([xml], name, { type: 'application/xml' }));
  await client.createDeployment({ resources } as unknown as Parameters<
    BenchClient['createDeployment']
  >[0]);
}

interface Bench {
  ferret: EmbeddedDatabase;
  server: EngineServer;
  client: BenchClient;
  db: Db;
  pids: Record<string, number>;
}

async function sectionEndToEnd(b: Bench): Promise<void> {
  heading('3. End to end: official client + createJobWorker → /v2 → engine → FerretDB');
  console.log(
    `  start → 1 service task → end; ${config.e2eInstances} instances per level (C=1: ${Math.min(config.e2eInstancesSerial, config.e2eInstances)}), created by C callers,` +
      ` one worker with maxParallelJobs = C`,
  );
  const warm = await runLoad({
    label: 'warm-up',
    client: b.client,
    server: b.server,
    pids: b.pids,
    processId: PROCESS_IDS.oneTask,
    jobType: BENCH_JOB_TYPE,
    instances: Math.min(300, config.e2eInstances),
    concurrency: 8,
    maxSeconds: 60,
  });
  console.log(`  warm-up: ${warm.completed} instances at ${num(warm.instancesPerSecond)} /s`);
  for (const c of config.concurrency) {
    const r = await runLoad({
      label: `C=${c}`,
      client: b.client,
      server: b.server,
      pids: b.pids,
      processId: PROCESS_IDS.oneTask,
      jobType: BENCH_JOB_TYPE,
      instances:
        c === 1 ? Math.min(config.e2eInstancesSerial, config.e2eInstances) : config.e2eInstances,
      concurrency: c,
      maxSeconds: Math.max(60, config.e2eInstances / 10),
    });
    results.e2e.push(r);
    console.log(loadLine(r));
    console.log(cpuLine(r));
  }
  const best = results.e2e.reduce((a, r) => (r.instancesPerSecond > a.instancesPerSecond ? r : a));
  results.best = best;
  console.log(
    `  best: ${num(best.instancesPerSecond)} instances/s at C=${best.concurrency}  (target ≥ 300: ${best.instancesPerSecond >= 300 ? 'met' : 'MISSED'})`,
  );

  if (config.profileInstances > 0) {
    const dir =
      process.env.BENCH_KEEP_PROFILE || fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-prof-'));
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `engine-server-C${best.concurrency}.cpuprofile`);
    await b.server.profileStart();
    const r = await runLoad({
      label: 'profiled',
      client: b.client,
      server: b.server,
      pids: b.pids,
      processId: PROCESS_IDS.oneTask,
      jobType: BENCH_JOB_TYPE,
      instances: config.profileInstances,
      concurrency: best.concurrency,
      maxSeconds: Math.max(60, config.profileInstances / 10),
    });
    await b.server.profileStop(file);
    const summary = summariseProfile(readProfile(file), 15);
    results.profile = { ...summary, cpu: r.cpu };
    console.log(
      `\n  CPU profile of the engine server (${r.completed} instances at C=${r.concurrency}, ${num(r.instancesPerSecond)} /s while profiling):`,
    );
    printSummary(summary, '    ');
    console.log(`    CPU cores during the profiled run: ${cores(r.cpu)}`);
    if (process.env.BENCH_KEEP_PROFILE) console.log(`    profile kept: ${file}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sectionCommands(): void {
  heading('4. Database commands per instance (engine process, command monitoring)');
  for (const r of results.e2e) {
    const p = perInstance(r.counts, r.completed);
    console.log(
      `  C=${String(r.concurrency).padStart(3)}: ${p.writes.toFixed(2)} writes, ${p.reads.toFixed(2)} reads per instance`,
    );
  }
  const best = results.best!;
  const p = perInstance(best.counts, best.completed);
  console.log(
    `  breakdown at C=${best.concurrency}: commands per completed instance, mean time per command as the driver sees it`,
  );
  for (const row of p.rows)
    console.log(
      `    ${row.perInstance.toFixed(3).padStart(7)}  ${row.key.padEnd(28)} ${row.meanMs.toFixed(2).padStart(7)} ms`,
    );
}

async function collectionSizes(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of ['instances', 'commits', 'tasks'] as const) {
    const s = (await db.command({ collStats: COLLECTIONS[name] })) as {
      size?: number;
      storageSize?: number;
    };
    out[name] = Number(s.storageSize ?? s.size ?? Number.NaN);
  }
  return out;
}

function sqliteBytes(dir: string): number {
  let total = 0;
  for (const f of fs.readdirSync(dir))
    if (f.startsWith(DB_NAME)) total += fs.statSync(path.join(dir, f)).size;
  return total;
}

async function sectionWaiting(b: Bench): Promise<void> {
  heading('5. Waiting instances: start → user task (parked)');
  const n = config.waitingInstances;
  if (n === 0) return console.log('  skipped (BENCH_WAITING_INSTANCES=0)');
  const heapBefore = await b.server.heap();
  const statsBefore = await collectionSizes(b.db).catch(() => undefined);
  const fileBefore = sqliteBytes(b.ferret.dataDir);
  const keys: string[] = [];
  const r = await runLoad({
    label: 'waiting',
    client: b.client,
    server: b.server,
    pids: b.pids,
    processId: PROCESS_IDS.userTask,
    instances: n,
    concurrency: 16,
    maxSeconds: Math.max(60, n / 10),
    onCreated: (k) => keys.push(k),
  });
  await pause(200);
  const heapAfter = await b.server.heap();
  const statsAfter = await collectionSizes(b.db).catch(() => undefined);
  const fileAfter = sqliteBytes(b.ferret.dataDir);
  const sums: Record<string, number> = {};
  // the instance document's two JSON fields: the state, and the effects kept for recovery
  const fieldSums = { s: 0, fx: 0 };
  for (const k of keys) {
    const docs = await instanceDocs(b.db, k);
    for (const [coll, size] of Object.entries(bsonBytes(docs)))
      sums[coll] = (sums[coll] ?? 0) + size;
    const inst = docs.instances![0]!;
    fieldSums.s += Buffer.byteLength(String(inst.s));
    fieldSums.fx += Buffer.byteLength(String(inst.fx));
  }
  const perColl = Object.fromEntries(
    Object.entries(sums)
      .filter(([, v]) => v > 0)
      .map(([c, v]) => [c, v / keys.length]),
  );
  const bson = Object.values(perColl).reduce((a, v) => a + v, 0);
  const heapPer = (heapAfter.heapUsed - heapBefore.heapUsed) / keys.length;
  const collStatsPer =
    statsBefore && statsAfter
      ? Object.keys(statsAfter).reduce((a, c) => a + (statsAfter[c]! - statsBefore[c]!), 0) /
        keys.length
      : Number.NaN;
  const filePer = (fileAfter - fileBefore) / keys.length;
  console.log(
    `  created ${keys.length} waiting instances at C=16: ${num(r.instancesPerSecond)} /s, create p50 ${ms(r.createP50)} p99 ${ms(r.createP99)}`,
  );
  console.log(
    `  heap per waiting instance (engine process, after GC): ${bytes(heapPer)}  (heap ${bytes(heapBefore.heapUsed)} → ${bytes(heapAfter.heapUsed)})`,
  );
  console.log(
    `  stored per waiting instance, BSON: ${bytes(bson)}  (${Object.entries(perColl)
      .map(([c, v]) => `${c} ${bytes(v)}`)
      .join(', ')})  (target ≤ 2 KB: ${bson <= 2048 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `  of the instance document: state JSON (s) ${bytes(fieldSums.s / keys.length)}, effects JSON kept for recovery (fx) ${bytes(fieldSums.fx / keys.length)}`,
  );
  console.log(
    `  collStats storageSize growth (instances+commits+tasks) per instance: ${bytes(collStatsPer)}; SQLite files: ${bytes(filePer)}`,
  );
  const p = perInstance(r.counts, keys.length);
  console.log(
    `  database commands per created instance: ${p.writes.toFixed(2)} writes, ${p.reads.toFixed(2)} reads`,
  );
  results.waiting = {
    instances: keys.length,
    instancesPerSecond: r.instancesPerSecond,
    heapPerInstance: heapPer,
    bsonPerInstance: bson,
    bsonByCollection: perColl,
    instanceStateJson: fieldSums.s / keys.length,
    instanceEffectsJson: fieldSums.fx / keys.length,
    collStatsPerInstance: collStatsPer,
    sqliteFilePerInstance: filePer,
  };
}

async function countInstances(db: Db): Promise<number> {
  return db.collection(COLLECTIONS.instances).estimatedDocumentCount();
}

async function templateOf(
  b: Bench,
  processId: string,
  jobType?: string,
): Promise<{ key: string; docs: InstanceDocs }> {
  let key = '';
  const r = await runLoad({
    label: 'template',
    client: b.client,
    server: b.server,
    pids: b.pids,
    processId,
    jobType,
    instances: 1,
    concurrency: 1,
    maxSeconds: 30,
    onCreated: (k) => {
      key = k;
    },
  });
  if (r.completed !== 1 || !key) throw new Error(`template instance of ${processId} did not run`);
  return { key, docs: await instanceDocs(b.db, key) };
}

async function restartServer(b: Bench): Promise<number> {
  await b.server.stop();
  b.server = await startEngineServer({
    mongoUri: b.ferret.uri,
    dbName: DB_NAME,
    sqliteDir: b.ferret.dataDir,
    user: USER,
    password: PASSWORD,
  });
  b.client.stopAllWorkers();
  b.client = benchClient(b.server.url, USER, PASSWORD);
  b.pids.engine = b.server.pid;
  return b.server.startMs;
}

async function sectionGrowth(b: Bench): Promise<void> {
  heading('6. Growth: section 3 at the best concurrency after the database holds more instances');
  const c = results.best!.concurrency;
  const pct = config.growthWaitingPercent;
  const completedT = await templateOf(b, PROCESS_IDS.oneTask, BENCH_JOB_TYPE);
  const waitingT = await templateOf(b, PROCESS_IDS.userTask);
  const parkedT = await templateOf(b, PROCESS_IDS.parked);
  console.log(
    `  seeded instances are copies of real ones: ${100 - pct} % completed (start → service task → end),` +
      ` ${pct} % waiting at a user task; N = ${config.e2eInstances} per run, C = ${c}`,
  );
  let offset = 0;
  let parked = 0;
  // a baseline at the size the earlier sections left, measured the same way (fresh engine
  // process, same warm-up), so each step compares with it rather than with section 3
  const steps: { target: number; parked: number }[] = [
    { target: 0, parked: 0 },
    ...config.growth.map((t) => ({ target: t, parked: 0 })),
  ];
  if (config.parkedJobs > 0 && steps.length)
    steps.push({ target: steps[steps.length - 1]!.target, parked: config.parkedJobs });
  for (const step of steps) {
    const existing = await countInstances(b.db);
    const seedCount = Math.max(0, step.target - existing);
    const started = performance.now();
    let inserted: Record<string, number> = {};
    if (seedCount > 0) {
      inserted = await seedCopies(
        b.db,
        [
          { ...completedT, weight: 100 - pct },
          { ...waitingT, weight: pct },
        ].filter((t) => t.weight > 0),
        seedCount,
        offset,
      );
      offset += seedCount;
    }
    if (step.parked > parked) {
      const add = step.parked - parked;
      const more = await seedCopies(b.db, [{ ...parkedT, weight: 1 }], add, offset);
      for (const [k, v] of Object.entries(more)) inserted[k] = (inserted[k] ?? 0) + v;
      offset += add;
      parked = step.parked;
    }
    const seedSeconds = (performance.now() - started) / 1_000;
    const inDb = await countInstances(b.db);
    const startMs = await restartServer(b);
    console.log(
      `  seeded ${
        Object.entries(inserted)
          .map(([k, v]) => `${num(v)} ${k}`)
          .join(', ') || 'nothing'
      } in ${seedSeconds.toFixed(1)} s; ${num(inDb)} instances in the database` +
        `${parked ? `, ${num(parked)} parked jobs of another type` : ''}; engine restart took ${num(startMs)} ms`,
    );
    // a short warm-up: a fresh engine process has cold JIT and connection pool
    await runLoad({
      label: 'warm-up',
      client: b.client,
      server: b.server,
      pids: b.pids,
      processId: PROCESS_IDS.oneTask,
      jobType: BENCH_JOB_TYPE,
      instances: 200,
      concurrency: c,
      maxSeconds: 60,
    });
    const r = await runLoad({
      label: `${inDb} instances`,
      client: b.client,
      server: b.server,
      pids: b.pids,
      processId: PROCESS_IDS.oneTask,
      jobType: BENCH_JOB_TYPE,
      instances: config.e2eInstances,
      concurrency: c,
      maxSeconds: Math.max(60, config.e2eInstances / 5),
    });
    const p = perInstance(r.counts, r.completed);
    results.growth.push({ ...r, instancesInDb: inDb, parkedJobs: parked, engineStartMs: startMs });
    console.log(
      `${loadLine(r)}  [${p.writes.toFixed(2)} writes, ${p.reads.toFixed(2)} reads /instance]`,
    );
    console.log(cpuLine(r));
  }
}

function summary(): void {
  heading('Summary (Markdown)');
  const rows: string[][] = [];
  const e = results.executor;
  if (e) {
    rows.push([
      '1. Executor alone, 10 elements',
      `${num(e.plain.instancesPerSecond)} instances/s`,
      '',
    ]);
    rows.push([
      '1b. Executor + JSON state round trip',
      `${num(e.withJson.instancesPerSecond)} instances/s`,
      '',
    ]);
  }
  if (results.bpmnEngine?.length) {
    const best = results.bpmnEngine.reduce((a, r) =>
      r.instancesPerSecond > a.instancesPerSecond ? r : a,
    );
    rows.push([
      '2. bpmn-engine, same process',
      `${num(best.instancesPerSecond, 1)} instances/s (${best.inFlight} in flight)`,
      '',
    ]);
    rows.push(['2. Ratio executor / bpmn-engine', `${num(results.ratio!, 0)}×`, '≥ 30×']);
  }
  for (const r of results.e2e)
    rows.push([
      `3. End to end, C=${r.concurrency}`,
      `${num(r.instancesPerSecond)} instances/s; create p50/p99 ${ms(r.createP50)}/${ms(r.createP99)}; complete p50/p99 ${ms(r.completeP50)}/${ms(r.completeP99)}`,
      r === results.best ? '≥ 300 instances/s (best)' : '',
    ]);
  if (results.best) {
    const p = perInstance(results.best.counts, results.best.completed);
    rows.push([
      `4. DB commands per instance (C=${results.best.concurrency})`,
      `${p.writes.toFixed(2)} writes, ${p.reads.toFixed(2)} reads`,
      '',
    ]);
  }
  const w = results.waiting;
  if (w) {
    rows.push(['5. Heap per waiting instance', bytes(w.heapPerInstance as number), '']);
    rows.push([
      '5. Stored per waiting instance (BSON)',
      bytes(w.bsonPerInstance as number),
      '≤ 2 KB',
    ]);
  }
  for (const g of results.growth)
    rows.push([
      `6. ${num(g.instancesInDb)} instances in DB${g.parkedJobs ? ` + ${num(g.parkedJobs)} parked jobs` : ''}, C=${g.concurrency}`,
      `${num(g.instancesPerSecond)} instances/s; create p50/p99 ${ms(g.createP50)}/${ms(g.createP99)}; complete p50/p99 ${ms(g.completeP50)}/${ms(g.completeP99)}; engine start ${num(g.engineStartMs)} ms`,
      '',
    ]);
  const floorRow = (cells: FloorCell[] | undefined, label: string) => {
    if (!cells?.length) return;
    const f = (op: FloorCell['op'], c: number) =>
      num(cells.find((x) => x.op === op && x.callers === c)?.perSecond ?? Number.NaN);
    rows.push([
      `3a. FerretDB alone, ${label}`,
      `insertOne ${f('insertOne', 1)}/s (1 caller), ${f('insertOne', 32)}/s (32); insertMany of 8 ${f('insertMany8', 1)}, ${f('insertMany8', 32)} docs/s; findOne ${f('findOne', 1)}/s, ${f('findOne', 32)}/s`,
      '',
    ]);
  };
  floorRow(results.floor, 'product default');
  if (results.whatIf) {
    floorRow(results.whatIf.floor, results.whatIf.params);
    for (const r of results.whatIf.runs)
      rows.push([
        `3b. End to end with ${results.whatIf.params}, C=${r.concurrency}`,
        `${num(r.instancesPerSecond)} instances/s; create p50/p99 ${ms(r.createP50)}/${ms(r.createP99)}; complete p50/p99 ${ms(r.completeP50)}/${ms(r.completeP99)}`,
        '',
      ]);
  }
  console.log('| figure | measured | target |');
  console.log('|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

// main //////////

/** Starts a throwaway FerretDB (with optional SQLite URI parameters) and the engine server on it. */
async function openBench(
  sqliteParams: string | undefined,
): Promise<Bench & { close(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-bench-engine-'));
  const closers: (() => Promise<void>)[] = [
    async () => fs.rmSync(dataDir, { recursive: true, force: true }),
  ];
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      for (const fn of closers.reverse()) await fn().catch(() => undefined);
    })());
  cleanups.push(close);
  try {
    const ferret = await startBenchFerretdb(dataDir, sqliteParams);
    closers.push(() => ferret.stop());
    const mongo = new MongoClient(ferret.uri, { serverSelectionTimeoutMS: 5_000 });
    await mongo.connect();
    closers.push(() => mongo.close());
    const server = await startEngineServer({
      mongoUri: ferret.uri,
      dbName: DB_NAME,
      sqliteDir: ferret.dataDir,
      user: USER,
      password: PASSWORD,
    });
    const b: Bench = {
      ferret,
      server,
      client: benchClient(server.url, USER, PASSWORD),
      db: mongo.db(DB_NAME),
      pids: { engine: server.pid, ferretdb: ferret.pid, client: process.pid },
    };
    closers.push(async () => {
      b.client.stopAllWorkers();
      await b.server.stop();
    });
    await deploy(b.client);
    return Object.assign(b, { close });
  } catch (err) {
    await close();
    throw err;
  }
}

async function sectionFloor(b: Bench, label: string): Promise<FloorCell[]> {
  const cells = await measureFloor({
    uri: b.ferret.uri,
    sqliteDir: b.ferret.dataDir,
    ferretdbPid: b.ferret.pid,
    seconds: config.floorSeconds,
    callers: [1, 32],
  });
  console.log(`  FerretDB alone (${label}), 1 KB documents by _id, ops/s (FerretDB CPU cores):`);
  for (const callers of [1, 32]) {
    const cell = (op: FloorCell['op']) => cells.find((c) => c.op === op && c.callers === callers)!;
    const show = (op: FloorCell['op']) =>
      `${num(cell(op).perSecond).padStart(6)} (${cell(op).ferretdbCores.toFixed(2)})`;
    console.log(
      `    ${String(callers).padStart(2)} callers: insertOne ${show('insertOne')}` +
        `   insertMany of 8 (docs/s) ${show('insertMany8')}   findOne ${show('findOne')}`,
    );
  }
  return cells;
}

async function sectionWhatIf(): Promise<void> {
  const params = config.whatIfParams;
  heading(`3b. What if: FerretDB with SQLite ${params} (not the product default)`);
  console.log(
    '  SQLite in WAL mode with synchronous=FULL (the default FerretDB keeps) syncs the WAL on every commit;' +
      ' NORMAL syncs at checkpoints only (a power cut may lose the last commits, a crash of the process does not).',
  );
  const b = await openBench(params);
  try {
    const floor = await sectionFloor(b, params);
    await runLoad({
      label: 'warm-up',
      client: b.client,
      server: b.server,
      pids: b.pids,
      processId: PROCESS_IDS.oneTask,
      jobType: BENCH_JOB_TYPE,
      instances: Math.min(300, config.e2eInstances),
      concurrency: 8,
      maxSeconds: 60,
    });
    const runs: LoadResult[] = [];
    for (const c of [
      ...new Set([results.best?.concurrency ?? 32, Math.max(...config.concurrency)]),
    ]) {
      const r = await runLoad({
        label: `what-if C=${c}`,
        client: b.client,
        server: b.server,
        pids: b.pids,
        processId: PROCESS_IDS.oneTask,
        jobType: BENCH_JOB_TYPE,
        instances: config.e2eInstances,
        concurrency: c,
        maxSeconds: Math.max(60, config.e2eInstances / 10),
      });
      runs.push(r);
      const p = perInstance(r.counts, r.completed);
      console.log(
        `${loadLine(r)}  [${p.writes.toFixed(2)} writes, ${p.reads.toFixed(2)} reads /instance]`,
      );
      console.log(cpuLine(r));
    }
    results.whatIf = { params, floor, runs };
  } finally {
    await b.close();
  }
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(
      `\nwatchdog: the benchmark ran longer than ${config.maxMinutes} minutes; stopping`,
    );
    void cleanup().then(() => process.exit(2));
  }, config.maxMinutes * 60_000);
  watchdog.unref();
  const began = performance.now();
  results.machine = machine();
  heading('Kehou Flow engine benchmark');
  for (const [k, v] of Object.entries(results.machine)) console.log(`  ${k}: ${v}`);
  const load = os.loadavg();
  console.log(`  load average at start: ${load.map((l) => l.toFixed(2)).join(' ')}`);
  if (load[0]! > 1)
    console.warn(
      '  WARNING: the machine is busy with other work; figures below will be lower than on a quiet machine' +
        ' ("others" in the CPU columns shows how much)',
    );
  if (!(globalThis as { gc?: unknown }).gc)
    console.warn('  (run with --expose-gc, as npm run bench:engine does, for steadier numbers)');

  await sectionExecutor();
  await sectionBpmnEngine();

  const sqliteParams = process.env.BENCH_SQLITE_PARAMS || undefined;
  const b = await openBench(sqliteParams);
  heading('3a. The database alone');
  if (sqliteParams)
    console.log(
      `  NOTE: FerretDB runs with SQLite URI parameters ${sqliteParams} (not the product default)`,
    );
  results.floor = await sectionFloor(b, sqliteParams ?? 'product default');
  await sectionEndToEnd(b);
  sectionCommands();
  await sectionWaiting(b);
  if (config.growth.length) await sectionGrowth(b);
  await b.close();
  if (config.whatIfParams && !sqliteParams) await sectionWhatIf();
  summary();
  console.log(
    `\nload average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`benchmark took ${((performance.now() - began) / 60_000).toFixed(1)} minutes`);
  if (process.env.BENCH_OUT) {
    fs.writeFileSync(process.env.BENCH_OUT, JSON.stringify(results, null, 2));
    console.log(`results written to ${process.env.BENCH_OUT}`);
  }
}

main()
  .catch((err: unknown) => {
    // driver errors carry whole batches; the first lines of the stack say enough
    console.error(
      err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 12).join('\n') : err,
    );
    process.exitCode = 1;
  })
  .finally(() => cleanup().then(() => process.exit()));
