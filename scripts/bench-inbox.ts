/**
 * Inbox benchmark: how long the task inbox takes to answer as open user tasks pile up.
 *
 *   npm run bench:inbox          (node --import tsx scripts/bench-inbox.ts)
 *
 * Starts a throwaway embedded FerretDB, the real app (sign-in and /api/tasks over the engine's
 * collections) on a loopback port, and seeds open user tasks straight into the collections the
 * inbox reads: the tasks (`engine_tasks`, documents shaped as the engine writes them, inserted
 * in batches) and the inbox's index of open tasks (`task_inbox_index`, written by the product's
 * own `InboxIndex`, one new version per list and step). The tasks spread across schools and
 * classes: 4 in 5 are class reviews for the class teacher (`class:<id>:teacher`), 1 in 5
 * school approvals for the school admins (`school:<id>:admin`). At each size it measures, one
 * request at a time:
 *   - `GET /api/tasks?view=groups` (a page of 20 and the counts of all views, as the inbox asks
 *     for them) signed in as a class teacher and as a school admin;
 *   - the counts alone: reading the caller's lists from the index (what `counts` costs);
 *   - up to BENCH_INBOX_SCAN_MAX open tasks, the counts as the inbox queried them before the
 *     index (`countDocuments` on `candidateGroups`, `assignee` and the completion events): a
 *     full scan on FerretDB 1.24.
 * Sizes grow to BENCH_INBOX_SIZES; when seeding would pass BENCH_INBOX_SEED_MINUTES (seeding
 * time only) the run measures at the largest size reached and says so.
 *
 * Environment (defaults in brackets):
 *   BENCH_INBOX_SIZES [100000,1000000]  open tasks at which to measure
 *   BENCH_INBOX_SCHOOLS [200]           schools (each with BENCH_INBOX_CLASSES classes)
 *   BENCH_INBOX_CLASSES [24]            classes per school
 *   BENCH_INBOX_BATCH [1000]            task documents per bulk insert
 *   BENCH_INBOX_SAMPLES [30]            requests per measurement (fewer when they are slow)
 *   BENCH_INBOX_CELL_SECONDS [60]       time limit per measurement (at least 3 requests)
 *   BENCH_INBOX_SEED_MINUTES [10]       time budget for seeding
 *   BENCH_INBOX_SCAN_MAX [100000]       largest size at which to time the scanning queries
 *   BENCH_INBOX_SCAN_SAMPLES [3]        samples of the scanning queries (each takes seconds)
 *   BENCH_MAX_MINUTES [40]              watchdog
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnyBulkWriteOperation } from 'mongodb';
import { createApp } from '../server/app';
import { connectDatabase, type Database } from '../server/db/connection';
import { FERRETDB_VERSION } from '../server/db/ferretdb';
import { Engine } from '../server/engine/engine';
import type { UserTaskDoc } from '../server/engine/runtime/commands';
import { createLogger } from '../server/lib/logger';
import { createAuth, CSRF_HEADER } from '../server/modules/auth';
import { createTasks } from '../server/modules/tasks';
import {
  assignedList,
  candidateList,
  completedList,
  entryOf,
  groupList,
  type InboxIndex,
} from '../server/modules/tasks/inbox-index';
import { TASK_COLLECTIONS } from '../server/modules/tasks/tasks.model';
import { classIdOf } from '../server/modules/tasks/tasks.service';
import { startBenchFerretdb } from './bench/ferret';
import { CpuMeter, envInt, envInts, num, Samples } from './bench/stats';

const config = {
  sizes: envInts('BENCH_INBOX_SIZES', [100_000, 1_000_000]),
  schools: envInt('BENCH_INBOX_SCHOOLS', 200),
  classes: envInt('BENCH_INBOX_CLASSES', 24),
  batch: envInt('BENCH_INBOX_BATCH', 1_000),
  samples: envInt('BENCH_INBOX_SAMPLES', 30),
  cellSeconds: envInt('BENCH_INBOX_CELL_SECONDS', 60),
  seedMinutes: envInt('BENCH_INBOX_SEED_MINUTES', 10),
  scanMax: envInt('BENCH_INBOX_SCAN_MAX', 100_000),
  scanSamples: envInt('BENCH_INBOX_SCAN_SAMPLES', 3),
  maxMinutes: envInt('BENCH_MAX_MINUTES', 40),
};

const CITY = 'city-bench';
const PASSWORD = 'Bench-inbox-1';

/** Where one measurement stands. */
interface Cell {
  size: number;
  what: string;
  who: string;
  samples: Samples;
  /** FerretDB CPU, in cores, while measuring. */
  ferretdbCores: number;
  others: number;
}

const cleanups: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`\nwatchdog: ran longer than ${config.maxMinutes} minutes; stopping`);
    void cleanup().finally(() => process.exit(2));
  }, config.maxMinutes * 60_000);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));

  printHeader();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-bench-inbox-'));
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const ferret = await startBenchFerretdb(dataDir);
  cleanups.push(() => ferret.stop());
  const db = await connectDatabase(ferret.uri, {
    dbName: 'bench_inbox',
    sqliteDir: ferret.dataDir,
  });
  cleanups.push(() => db.close());
  const app = await startApp(db);
  cleanups.push(() => app.close());

  const teacher = await app.signIn('classTeacher', 0, 0);
  const admin = await app.signIn('schoolAdmin', 0, 0);
  const users = [
    { who: 'class teacher', client: teacher },
    { who: 'school admin', client: admin },
  ];

  const cells: Cell[] = [];
  const seeder = new Seeder(app.engine, app.index, config);
  const budgetSeconds = config.seedMinutes * 60;
  let budgetHit = false;
  for (const target of config.sizes) {
    const deadline = performance.now() + (budgetSeconds - seeder.seconds) * 1_000;
    const reached = await seeder.seedTo(target, deadline);
    console.log(
      `\nseeded ${num(reached)} open tasks, seeding ${num(seeder.seconds, 1)} s in all ` +
        `(${num(seeder.rate)} tasks/s with their index entries; ` +
        `${num(seeder.perTeacherList, 1)} per class teacher list, ${num(seeder.perAdminList, 1)} per school admin list)`,
    );
    if (reached < target) {
      budgetHit = true;
      console.log(
        `  stopped at ${num(reached)} of ${num(target)}: seeding the rest would take about ` +
          `${num((target - reached) / seeder.rate / 60, 1)} more minutes ` +
          `(budget BENCH_INBOX_SEED_MINUTES=${config.seedMinutes})`,
      );
    }
    for (const { who, client } of users) {
      cells.push(
        await measure(reached, 'groups view (page + counts)', who, ferret.pid, () =>
          client.get('/api/tasks?view=groups&size=20'),
        ),
      );
      cells.push(
        await measure(reached, 'counts (index lists)', who, ferret.pid, () =>
          countsFromIndex(app.index, client.principal),
        ),
      );
    }
    if (reached <= config.scanMax)
      cells.push(
        await measure(
          reached,
          'counts by query (scan)',
          'class teacher',
          ferret.pid,
          () => countsByQuery(app.engine, db, teacher.principal),
          { samples: config.scanSamples, warmUp: false },
        ),
      );
    if (budgetHit) break;
  }
  printSummary(cells, budgetHit);
  await cleanup();
}

// the app //////////

interface SignedIn {
  principal: { userId: string; groups: string[] };
  get(path: string): Promise<void>;
}

async function startApp(db: Database) {
  const logger = createLogger('silent');
  const engine = new Engine(db, { logger, timerIntervalMs: 60_000 });
  await engine.start();
  const auth = await createAuth({
    db,
    logger,
    settings: {
      secret: 'bench-secret-bench-secret-bench-secret',
      throttle: {
        perIp: { max: 1e6, windowMs: 60_000 },
        perAccount: { max: 1e6, windowMs: 60_000 },
      },
    },
  });
  const tasks = await createTasks({ db, engine, requireSession: auth.requireSession });
  const index = tasks.index;
  const app = createApp({
    db,
    logger,
    mounts: [
      { path: '/api/auth', router: auth.router },
      { path: '/api/tasks', router: tasks.router },
    ],
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  let n = 0;
  return {
    engine,
    index,
    async signIn(
      role: 'classTeacher' | 'schoolAdmin',
      school: number,
      cls: number,
    ): Promise<SignedIn> {
      n++;
      const scope =
        role === 'classTeacher'
          ? { ...classScope(school, cls), gradeId: `${schoolId(school)}-g1` }
          : schoolScope(school);
      const user = await auth.service.users.create({
        kind: 'staff',
        username: `bench${n}`,
        phone: `1370099${String(n).padStart(4, '0')}`,
        displayName: `压测用户${n}`,
        password: PASSWORD,
        memberships: [{ role, scope }],
      } as never);
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `bench${n}`, password: PASSWORD }),
      });
      if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
      const cookie = (res.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
      const body = (await res.json()) as { csrfToken: string; groups: string[] };
      return {
        principal: { userId: user._id, groups: body.groups },
        async get(p: string) {
          const r = await fetch(`${base}${p}`, {
            headers: { cookie, [CSRF_HEADER]: body.csrfToken },
          });
          if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
          await r.arrayBuffer();
        },
      };
    },
    async close() {
      server.close();
      server.closeAllConnections();
      await engine.stop();
    },
  };
}

/** What the inbox counts cost with the index: reading the caller's lists. */
async function countsFromIndex(
  index: InboxIndex,
  p: { userId: string; groups: string[] },
): Promise<void> {
  await Promise.all(
    [
      ...p.groups.map(groupList),
      candidateList(p.userId),
      assignedList(p.userId),
      completedList(p.userId),
    ].map((list) => index.read(list)),
  );
}

/** The three queries behind the inbox counts before the index (full scans on FerretDB). */
async function countsByQuery(
  engine: Engine,
  db: Database,
  p: { userId: string; groups: string[] },
): Promise<void> {
  const tasks = engine.collections.tasks;
  const events = db.connection.db!.collection(TASK_COLLECTIONS.events);
  await Promise.all([
    tasks.countDocuments({ state: 'CREATED', assignee: p.userId }),
    tasks.countDocuments({
      state: 'CREATED',
      $or: [{ candidateGroups: { $in: p.groups } }, { candidateUsers: p.userId }],
    }),
    events.countDocuments({ type: 'complete', by: p.userId }),
  ]);
}

// seeding //////////

function schoolId(s: number): string {
  return `school-b${s}`;
}

function countyId(s: number): string {
  return `county-b${s % 10}`;
}

function classId(s: number, c: number): string {
  return `${schoolId(s)}-g${(c % 6) + 1}-c${Math.floor(c / 6) + 1}`;
}

function schoolScope(s: number) {
  return { cityId: CITY, countyId: countyId(s), schoolId: schoolId(s) };
}

function classScope(s: number, c: number) {
  return { ...schoolScope(s), classId: classId(s, c) };
}

/**
 * Writes open user tasks as the engine writes them, list by list (a school's class lists, then
 * its admins' list), inserting the task documents in batches and adding each list's new
 * entries to the index as one new version (the engine's effects add them one task at a time).
 */
class Seeder {
  private count = 0;
  private teacherTasks = 0;
  private adminTasks = 0;
  /** Seconds spent seeding, tasks and index. */
  seconds = 0;
  private readonly buffer: UserTaskDoc[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly index: InboxIndex,
    private readonly cfg: typeof config,
  ) {}

  /** Tasks per second so far. */
  get rate(): number {
    return this.seconds ? this.count / this.seconds : 0;
  }

  /** Open tasks per class teacher list, on average. */
  get perTeacherList(): number {
    return this.teacherTasks / (this.cfg.schools * this.cfg.classes);
  }

  /** Open tasks per school admin list, on average. */
  get perAdminList(): number {
    return this.adminTasks / this.cfg.schools;
  }

  /** Seeds until `target` open tasks exist or `deadline` (performance.now()) passes. */
  async seedTo(target: number, deadline: number): Promise<number> {
    const started = performance.now();
    const adding = target - this.count;
    const reviews = Math.round(adding * 0.8);
    const classLists = this.cfg.schools * this.cfg.classes;
    for (let s = 0; s < this.cfg.schools && performance.now() < deadline; s++) {
      for (let c = 0; c <= this.cfg.classes; c++) {
        const isApproval = c === this.cfg.classes;
        const n = isApproval
          ? share(adding - reviews, this.cfg.schools, s)
          : share(reviews, classLists, s * this.cfg.classes + c);
        if (n === 0) continue;
        const tasks = Array.from({ length: n }, () => this.task(s, c, isApproval));
        this.buffer.push(...tasks);
        if (this.buffer.length >= this.cfg.batch) await this.flush();
        await this.index.add(
          groupList(tasks[0]!.candidateGroups[0]!),
          ...tasks.map((t) => entryOf(t, classIdOf(t))),
        );
        if (isApproval) this.adminTasks += n;
        else this.teacherTasks += n;
      }
    }
    await this.flush();
    this.seconds += (performance.now() - started) / 1_000;
    return this.count;
  }

  private async flush(): Promise<void> {
    const docs = this.buffer.splice(0);
    if (!docs.length) return;
    const ops: AnyBulkWriteOperation<UserTaskDoc>[] = docs.map((document) => ({
      insertOne: { document },
    }));
    await this.engine.collections.tasks.bulkWrite(ops, { ordered: false });
  }

  /** The next task: a class review of class `c` of school `s`, or the school's approval. */
  private task(s: number, c: number, isApproval: boolean): UserTaskDoc {
    const i = this.count++;
    const instanceKey = String(2_251_799_813_685_248 + i);
    const created = new Date(Date.UTC(2026, 8, 1) + i * 1_000).toISOString();
    const scope = classScope(s, isApproval ? i % this.cfg.classes : c);
    return {
      _id: `${instanceKey}000002`,
      processInstanceKey: instanceKey,
      processDefinitionKey: '2251799813685001',
      bpmnProcessId: 'after-school-enrolment',
      processVersion: 1,
      elementId: isApproval ? 'SchoolApproval' : 'ClassReview',
      elementName: isApproval ? '学校核准' : '班级初审',
      elementInstanceKey: `${instanceKey}000002`,
      tenantId: '<default>',
      state: 'CREATED',
      assignee: null,
      candidateGroups: [
        isApproval ? `school:${scope.schoolId}:admin` : `class:${scope.classId}:teacher`,
      ],
      candidateUsers: [],
      dueDate: new Date(Date.UTC(2026, 8, 15) + (i % 30) * 86_400_000).toISOString(),
      priority: 50,
      formId: isApproval ? 'school-approval' : 'class-review',
      customHeaders: {},
      creationDate: created,
      variables: JSON.stringify({
        ...scope,
        applicationId: `app-${i}`,
        studentId: `stu-${i}`,
        studentName: `学生${i}`,
        sessionId: 'autumn-2026-a',
        weekdays: [1, 2, 3, 4, 5],
        midday: i % 3 === 0,
        pickup: { name: `家长${i}`, relation: 'mother', phone: '13900000000' },
      }),
    };
  }
}

/** The i-th of `parts` shares of `total` (the first ones get the remainder). */
function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

// measuring //////////

async function measure(
  size: number,
  what: string,
  who: string,
  ferretdbPid: number,
  call: () => Promise<void>,
  opts: { samples?: number; warmUp?: boolean } = {},
): Promise<Cell> {
  if (opts.warmUp ?? true) await call(); // warm-up (caches, JIT)
  const samples = new Samples();
  const cpu = new CpuMeter({ ferretdb: ferretdbPid });
  const until = performance.now() + config.cellSeconds * 1_000;
  const wanted = opts.samples ?? config.samples;
  const least = Math.min(3, wanted);
  while (samples.count < wanted && (samples.count < least || performance.now() < until)) {
    const started = performance.now();
    await call();
    samples.add(performance.now() - started);
  }
  const load = cpu.read();
  const cell = { size, what, who, samples, ferretdbCores: load.ferretdb!, others: load.others! };
  console.log(
    `  ${num(size).padStart(9)}  ${who.padEnd(13)}  ${what.padEnd(28)}  ` +
      `p50 ${fmt(samples.percentile(50))}  p95 ${fmt(samples.percentile(95))}  ` +
      `(n=${samples.count}, FerretDB ${load.ferretdb!.toFixed(2)} cores, others ${load.others!.toFixed(2)})`,
  );
  return cell;
}

function fmt(ms: number): string {
  return `${num(ms, ms < 100 ? 1 : 0)} ms`.padStart(10);
}

function printHeader(): void {
  const cpus = os.cpus();
  console.log('Kehou Flow inbox benchmark');
  console.log(
    `  ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}, FerretDB ${FERRETDB_VERSION} (SQLite), load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `  ${config.schools} schools × ${config.classes} classes; sizes ${config.sizes.map((s) => num(s)).join(', ')}; ` +
      `batches of ${config.batch}; seeding budget ${config.seedMinutes} min`,
  );
}

function printSummary(cells: Cell[], budgetHit: boolean): void {
  console.log('\nsummary (target: p95 < 50 ms at 100,000 open tasks)');
  console.log('| open tasks | user | measured | p50 | p95 | n |');
  console.log('|---:|---|---|---:|---:|---:|');
  for (const c of cells)
    console.log(
      `| ${num(c.size)} | ${c.who} | ${c.what} | ${num(c.samples.percentile(50), 1)} ms | ${num(c.samples.percentile(95), 1)} ms | ${c.samples.count} |`,
    );
  if (budgetHit)
    console.log('\nthe largest size was not reached within the seeding budget (see above)');
}

async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
}

main().catch(async (err: unknown) => {
  console.error(err);
  await cleanup();
  process.exit(1);
});
