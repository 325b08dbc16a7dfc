/**
 * Section 1: the deterministic executor alone, without database or HTTP. Each instance is
 * created with the `create` command; every job effect is answered at once with a
 * `jobComplete` command, as a worker would, until the instance completes.
 */
import { performance } from 'node:perf_hooks';
import type { Command, JobDoc } from '../../server/engine/runtime/commands';
import { newInstanceState, runCommand, type RunResult } from '../../server/engine/runtime/executor';
import { feelPort } from '../../server/engine/runtime/feel-port';
import type { InstanceState } from '../../server/engine/runtime/state';
import { KeyGenerator } from '../../server/engine/keys';
import { compileBpmn } from '../../server/engine/model/compile';
import type { CProcess } from '../../server/engine/model/types';

/** What one executor run measured. */
export interface ExecutorResult {
  instances: number;
  commands: number;
  seconds: number;
  instancesPerSecond: number;
  commandsPerSecond: number;
}

/** Compiles one process of a BPMN file, failing loudly on deploy problems. */
export async function compileOne(xml: string): Promise<CProcess> {
  const { processes, problems } = await compileBpmn(xml);
  if (problems.length || processes.length !== 1)
    throw new Error(`benchmark process does not compile: ${JSON.stringify(problems)}`);
  return processes[0]!;
}

/**
 * Runs instances of `proc` to completion, `maxInstances` or until `maxSeconds` pass.
 * With `serialize`, each command also pays what `Engine.execute` does around the executor
 * besides I/O: parse the stored state, stringify the new state, effects, events and command.
 */
export function runExecutor(
  proc: CProcess,
  opts: { maxInstances: number; maxSeconds: number; serialize: boolean },
): ExecutorResult {
  const keys = new KeyGenerator(1);
  const def = {
    processDefinitionKey: '1',
    bpmnProcessId: proc.id,
    version: 1,
    tenantId: '<default>',
  };
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1_000;
  let instances = 0;
  let commands = 0;
  let sink = 0;
  const step = (state: InstanceState, cmd: Command): RunResult => {
    const now = Date.now();
    const input = opts.serialize ? (JSON.parse(JSON.stringify(state)) as InstanceState) : state;
    const r = runCommand(proc, input, cmd, {
      now,
      feel: feelPort(now),
      allocKey: () => keys.next(),
    });
    commands++;
    if (opts.serialize) {
      sink +=
        JSON.stringify(r.state).length +
        JSON.stringify(r.effects).length +
        JSON.stringify(r.events).length +
        JSON.stringify(cmd).length;
    }
    return r;
  };
  while (instances < opts.maxInstances && (instances % 256 !== 0 || performance.now() < deadline)) {
    const key = keys.next();
    let r = step(newInstanceState(key, def, Date.now()), { t: 'create', vars: { n: instances } });
    for (let guard = 0; r.state.state === 'ACTIVE'; guard++) {
      const job = r.effects.find((e) => e.op === 'put' && e.coll === 'jobs');
      if (!job || job.op !== 'put' || guard > 1_000)
        throw new Error(`instance ${key} is stuck without a job`);
      r = step(r.state, { t: 'jobComplete', job: (job.doc as unknown as JobDoc)._id, vars: {} });
    }
    if (r.state.state !== 'COMPLETED') throw new Error(`instance ${key} ended ${r.state.state}`);
    instances++;
  }
  const seconds = (performance.now() - started) / 1_000;
  if (sink < 0) throw new Error('unreachable'); // keeps the serialisation from being optimised away
  return {
    instances,
    commands,
    seconds,
    instancesPerSecond: instances / seconds,
    commandsPerSecond: commands / seconds,
  };
}
