/**
 * Section 2: the same 10-element process on the `bpmn-engine` npm package, in memory. Its
 * service tasks call a service function that completes at once.
 *
 * The XML is parsed and serialised once (`sourceContext`, the documented way to reuse a
 * parsed definition), as Kehou Flow compiles a process once per deployment; each instance
 * is then one `new Engine({ sourceContext, services })` and one `execute()`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine } from 'bpmn-engine';

/** What one bpmn-engine run measured. */
export interface BpmnEngineResult {
  instances: number;
  seconds: number;
  instancesPerSecond: number;
  inFlight: number;
}

type ServiceFn = (executionContext: unknown, callback: (err?: Error | null) => void) => void;
type SourceContext = NonNullable<ConstructorParameters<typeof Engine>[0]>['sourceContext'];

/** The installed bpmn-engine version (its package.json is not among its exports). */
export function bpmnEngineVersion(): string {
  let dir = path.dirname(require.resolve('bpmn-engine'));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'bpmn-engine') return pkg.version ?? 'unknown';
    }
  }
  return 'unknown';
}

/** Parses and serialises the XML once with bpmn-engine's own parser and serialiser. */
export async function sourceContextOf(xml: string): Promise<SourceContext> {
  // resolved from bpmn-engine's own location: these are its dependencies, in its versions
  const fromEngine = createRequire(require.resolve('bpmn-engine'));
  const BpmnModdle = fromEngine('bpmn-moddle') as new () => {
    fromXML(xml: string): Promise<unknown>;
  };
  const elements = fromEngine('bpmn-elements') as Record<string, unknown>;
  const serializer = fromEngine('moddle-context-serializer') as {
    default: (ctx: unknown, resolver: unknown) => SourceContext;
    TypeResolver: (types: Record<string, unknown>) => unknown;
  };
  const moddleContext = await new BpmnModdle().fromXML(xml);
  return serializer.default(moddleContext, serializer.TypeResolver(elements));
}

/** Runs one instance to its end and resolves then; rejects on an engine error. */
function runOne(sourceContext: SourceContext, work: ServiceFn, n: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const engine = new Engine({
      name: `bench-${n}`,
      sourceContext,
      services: { work },
      variables: { n },
    });
    engine.once('end', () => resolve());
    engine.once('error', (err: Error) => reject(err));
    engine.execute().catch(reject);
  });
}

/**
 * Runs instances with `inFlight` of them executing at a time, `maxInstances` or until
 * `maxSeconds` pass. `serviceCalls` counts the service task invocations (8 per instance).
 */
export async function runBpmnEngine(
  sourceContext: SourceContext,
  opts: { maxInstances: number; maxSeconds: number; inFlight: number; tasksPerInstance: number },
): Promise<BpmnEngineResult> {
  let serviceCalls = 0;
  const work: ServiceFn = (_ctx, callback) => {
    serviceCalls++;
    callback(null);
  };
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1_000;
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < opts.maxInstances && performance.now() < deadline) {
      await runOne(sourceContext, work, next++);
      done++;
    }
  };
  await Promise.all(Array.from({ length: opts.inFlight }, lane));
  const seconds = (performance.now() - started) / 1_000;
  if (serviceCalls !== done * opts.tasksPerInstance)
    throw new Error(
      `bpmn-engine ran ${serviceCalls} service calls for ${done} instances; expected ${opts.tasksPerInstance} each`,
    );
  return { instances: done, seconds, instancesPerSecond: done / seconds, inFlight: opts.inFlight };
}
