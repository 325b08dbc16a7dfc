/**
 * The client side of the end-to-end benchmark: the official Camunda client
 * (`@camunda8/orchestration-cluster-api`, BASIC auth) creates instances with a fixed number
 * of callers in flight while one `createJobWorker` worker completes their jobs. Latencies
 * are measured around the client calls, so they include the client's own work.
 */
import { performance } from 'node:perf_hooks';
import { createCamundaClientLoose } from '@camunda8/orchestration-cluster-api';
import type { Counts, EngineServer } from './protocol';
import { CpuMeter, Samples } from './stats';

/** The client type the benchmark uses. */
export type BenchClient = ReturnType<typeof createCamundaClientLoose>;

/** A client for the engine server at `url`, as test/fixtures/engine.ts configures it. */
export function benchClient(url: string, user: string, password: string): BenchClient {
  return createCamundaClientLoose({
    config: {
      CAMUNDA_REST_ADDRESS: url,
      CAMUNDA_AUTH_STRATEGY: 'BASIC',
      CAMUNDA_BASIC_AUTH_USERNAME: user,
      CAMUNDA_BASIC_AUTH_PASSWORD: password,
      CAMUNDA_SDK_LOG_LEVEL: 'silent',
    },
    env: {},
  });
}

/** What one load run measured. */
export interface LoadResult {
  label: string;
  instances: number;
  concurrency: number;
  created: number;
  completed: number;
  errors: number;
  timedOut: boolean;
  seconds: number;
  instancesPerSecond: number;
  createP50: number;
  createP99: number;
  completeP50: number;
  completeP99: number;
  /** Database commands the engine server sent during the run. */
  counts: Counts;
  /** CPU in cores over the run: engine server, FerretDB, this (client) process. */
  cpu: Record<string, number>;
}

/**
 * Creates `instances` instances of `processId` with `concurrency` callers while a worker
 * with `maxParallelJobs = concurrency` completes each job. With `jobType` unset the process
 * has no jobs (user task): the run ends once every instance is created.
 */
export async function runLoad(opts: {
  label: string;
  client: BenchClient;
  server: EngineServer;
  pids: Record<string, number>;
  processId: string;
  jobType?: string;
  instances: number;
  concurrency: number;
  /** Give up (and report what finished) after this long. */
  maxSeconds: number;
  onCreated?: (processInstanceKey: string) => void;
}): Promise<LoadResult> {
  const { client, server } = opts;
  await server.counters(true);
  const create = new Samples();
  const complete = new Samples();
  let created = 0;
  let completed = 0;
  let errors = 0;
  let next = 0;
  let lastDone = 0;
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1_000;
  const cpu = new CpuMeter(opts.pids);
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const markDone = () => {
    lastDone = performance.now();
    if (completed + errors >= opts.instances) allDone();
  };

  const worker = opts.jobType
    ? client.createJobWorker({
        jobType: opts.jobType,
        jobTimeoutMs: 120_000,
        maxParallelJobs: opts.concurrency,
        workerName: 'bench-worker',
        jobHandler: async (job) => {
          const t0 = performance.now();
          try {
            const receipt = await job.complete({});
            complete.add(performance.now() - t0);
            completed++;
            return receipt;
          } catch (err) {
            errors++;
            throw err;
          } finally {
            markDone();
          }
        },
      })
    : undefined;

  const caller = async () => {
    while (next < opts.instances && performance.now() < deadline) {
      next++;
      const t0 = performance.now();
      try {
        const r = await client.createProcessInstance({
          processDefinitionId: opts.processId,
          variables: { n: next, applicant: '课后服务 benchmark' },
        });
        create.add(performance.now() - t0);
        created++;
        opts.onCreated?.(String(r.processInstanceKey));
        if (!worker) {
          completed++;
          markDone();
        }
      } catch (err) {
        errors++;
        markDone();
        if (errors === 1) console.warn(`  first create error: ${String(err)}`);
      }
    }
  };
  const callers = Promise.all(Array.from({ length: opts.concurrency }, caller));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), opts.maxSeconds * 1_000);
  });
  const timedOut = await Promise.race([finished.then(() => false), timeout]);
  clearTimeout(timer);
  const cores = cpu.read();
  worker?.stop();
  await callers;
  const seconds = ((lastDone || performance.now()) - started) / 1_000;
  return {
    label: opts.label,
    instances: opts.instances,
    concurrency: opts.concurrency,
    created,
    completed,
    errors,
    timedOut,
    seconds,
    instancesPerSecond: completed / seconds,
    createP50: create.percentile(50),
    createP99: create.percentile(99),
    completeP50: complete.percentile(50),
    completeP99: complete.percentile(99),
    counts: await server.counters(true),
    cpu: cores,
  };
}

/** One command (on one collection) per instance, and its mean time in ms. */
export interface CommandRow {
  key: string;
  perInstance: number;
  meanMs: number;
}

/** Sums counts per kind (`write`, `read`) and per command and collection, per instance. */
export function perInstance(
  counts: Counts,
  instances: number,
): { writes: number; reads: number; dbMsPerInstance: number; rows: CommandRow[] } {
  let writes = 0;
  let reads = 0;
  let totalMs = 0;
  const rows: CommandRow[] = [];
  for (const [key, n] of Object.entries(counts)) {
    if (key.startsWith('ms|')) continue;
    const [kind, command, coll] = key.split('|') as [string, string, string];
    if (['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'saslStart'].includes(command))
      continue;
    if (kind === 'write') writes += n;
    else reads += n;
    const ms = counts[`ms|${key}`] ?? 0;
    totalMs += ms;
    rows.push({
      key: `${kind} ${command}${coll ? ` ${coll}` : ''}`,
      perInstance: n / instances,
      meanMs: ms / n,
    });
  }
  rows.sort((a, b) => b.perInstance - a.perInstance);
  const per = Math.max(1, instances);
  return { writes: writes / per, reads: reads / per, dbMsPerInstance: totalMs / per, rows };
}
