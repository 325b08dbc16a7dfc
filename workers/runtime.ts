import type { createCamundaClientLoose } from '@camunda8/orchestration-cluster-api';
import { z } from 'zod';
import { formatRule, RuleViolationError, type RuleCitation } from '../server/lib/errors';
import type { Logger } from '../server/lib/logger';
import type { KehouApi } from './api-client';

/** Process variables a worker returns. */
export type Vars = Record<string, unknown>;

/** BPMN error codes a worker throws on a business refusal: one per rule family. */
export const RULE_ERROR_CODES = {
  ELIG: 'ELIG_RULE_VIOLATION',
  TIME: 'TIME_RULE_VIOLATION',
  FEE: 'FEE_RULE_VIOLATION',
  SAFE: 'SAFE_RULE_VIOLATION',
  CONTENT: 'CONTENT_RULE_VIOLATION',
  PLAN: 'PLAN_RULE_VIOLATION',
  VENUE: 'VENUE_RULE_VIOLATION',
  FLOW: 'FLOW_RULE_VIOLATION',
} as const;

/** The BPMN error code of the family of a rule id (`FEE-CAP` → `FEE_RULE_VIOLATION`). */
export function errorCodeOf(rule: string): string {
  const family = rule.split('-')[0] as keyof typeof RULE_ERROR_CODES;
  return RULE_ERROR_CODES[family] ?? 'RULE_VIOLATION';
}

/** What a handler decided: complete the job with variables, or refuse it under rules. */
export type Outcome =
  | { kind: 'complete'; variables: Vars }
  | { kind: 'refuse'; citations: RuleCitation[]; variables: Vars };

/** Completes the job with `variables`. */
export function complete(variables: Vars = {}): Outcome {
  return { kind: 'complete', variables };
}

/**
 * Refuses under the rules cited: the job throws a BPMN error named for the first rule's family,
 * which the diagram catches (boundary error event) to tell the person why, with the citations
 * as `violations` and their text as `refusalMessage` in the catching scope.
 */
export function refuse(citations: RuleCitation[], variables: Vars = {}): Outcome {
  return { kind: 'refuse', citations, variables };
}

/** What a handler gets besides its variables. */
export interface JobContext {
  /** The domain API with the worker's service account. */
  api: KehouApi;
  log: Logger;
  jobKey: string;
  /** Stable across retries and lease expiry of the same step: the idempotency key for side effects. */
  elementInstanceKey: string;
  processInstanceKey: string;
  elementId: string;
  retries: number;
  headers: Record<string, string>;
}

/** One job type: its input schema and its handler (one file per type in workers/). */
export interface JobWorkerDefinition<S extends z.ZodType = z.ZodType> {
  /** The job type, equal to the worker's file stem. */
  type: string;
  /** The variables the job needs; anything else is ignored. */
  input: S;
  /** How long a job may take before it is handed to another worker (default 30 s). */
  timeoutMs?: number;
  /** Parallel jobs per worker process (default 8). */
  maxParallelJobs?: number;
  handle(input: z.infer<S>, ctx: JobContext): Promise<Outcome>;
}

/** Declares a worker with its input type inferred. */
export function defineWorker<S extends z.ZodType>(
  def: JobWorkerDefinition<S>,
): JobWorkerDefinition {
  return def as unknown as JobWorkerDefinition;
}

/** Running workers. */
export interface RunningWorkers {
  stop(): Promise<void>;
}

/** Dependencies of {@link startWorkers}. */
export interface WorkerDeps {
  client: ReturnType<typeof createCamundaClientLoose>;
  api: KehouApi;
  log: Logger;
  /** Poll back-off between empty activations (default 100 ms; long polling does the rest). */
  pollIntervalMs?: number;
}

/**
 * Starts one official `createJobWorker` per definition. The handler's outcome is mapped onto
 * the job: complete; BPMN error on a refusal (business); fail with one retry less and a
 * growing back-off on a technical error; fail without retries (an incident an operator sees)
 * when the variables do not match the input schema, since retrying cannot fix them.
 */
export function startWorkers(
  defs: readonly JobWorkerDefinition[],
  deps: WorkerDeps,
): RunningWorkers {
  const workers = defs.map((def) =>
    deps.client.createJobWorker({
      jobType: def.type,
      workerName: `kehou-${def.type}`,
      jobTimeoutMs: def.timeoutMs ?? 30_000,
      maxParallelJobs: def.maxParallelJobs ?? 8,
      pollIntervalMs: deps.pollIntervalMs ?? 100,
      jobHandler: async (job) => {
        const log = deps.log.child({ jobType: def.type, jobKey: String(job.jobKey) });
        const parsed = def.input.safeParse(job.variables ?? {});
        if (!parsed.success) {
          const problems = parsed.error.issues
            .map((i) => `${i.path.join('.') || '(variables)'}: ${i.message}`)
            .join('; ');
          log.warn({ problems }, 'job variables invalid');
          return job.fail({ retries: 0, errorMessage: `invalid job variables: ${problems}` });
        }
        const ctx: JobContext = {
          api: deps.api,
          log,
          jobKey: String(job.jobKey),
          elementInstanceKey: String(job.elementInstanceKey),
          processInstanceKey: String(job.processInstanceKey),
          elementId: String(job.elementId),
          retries: job.retries ?? 0,
          headers: (job.customHeaders ?? {}) as Record<string, string>,
        };
        let outcome: Outcome;
        try {
          outcome = await def.handle(parsed.data, ctx);
        } catch (err) {
          if (err instanceof RuleViolationError && err.rules?.length) outcome = refuse(err.rules);
          else {
            const retries = Math.max(0, ctx.retries - 1);
            log.warn({ err, retries }, 'job failed');
            return job.fail({
              retries,
              errorMessage: (err as Error).message,
              retryBackOff: retries > 0 ? backOffMs(ctx.retries) : 0,
            });
          }
        }
        if (outcome.kind === 'complete') return job.complete(outcome.variables);
        const code = errorCodeOf(outcome.citations[0]?.rule ?? '');
        const message = outcome.citations.map(formatRule).join('；');
        log.info({ code, rules: outcome.citations.map((c) => c.rule) }, 'job refused by rule');
        return job.error({
          errorCode: code,
          errorMessage: message,
          variables: {
            ...outcome.variables,
            violations: outcome.citations,
            refusalMessage: message,
          },
        });
      },
    }),
  );
  return {
    async stop() {
      await Promise.all(workers.map((w) => w.stopGracefully({ waitUpToMs: 5_000 })));
    },
  };
}

// helpers //////////

/** 1 s after the first failure, doubling as retries run out (3 retries: 1 s, 2 s, 4 s). */
function backOffMs(retriesBefore: number): number {
  return 1_000 * 2 ** Math.max(0, 3 - Math.min(3, retriesBefore));
}
