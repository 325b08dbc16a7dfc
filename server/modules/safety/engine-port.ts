import { type Engine, parseState } from '../../engine/engine';
import type { Vars } from '../../engine/runtime/state';

/** Where a process instance stands, as a domain view shows it. */
export interface InstanceSnapshot {
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  /** The innermost active steps (element ids and names). */
  steps: { id: string; name?: string }[];
  /** The instance's root variables. */
  variables: Vars;
}

/**
 * What the safety, claims and staff slices need of the engine: start a school's process (its
 * variant, its county's or the city's template) and read where an instance stands.
 */
export interface ProcessPort {
  startProcess(bpmnProcessId: string, schoolId: string, variables: Vars): Promise<string>;
  /** The instance's state, active steps and root variables; undefined when it is unknown. */
  snapshot(instanceKey: string): Promise<InstanceSnapshot | undefined>;
}

/**
 * The port onto the embedded engine. `resolve` picks the definition a school runs; without it
 * (or when it finds none) the latest deployed version of the process id starts.
 */
export function processPort(
  engine: Engine,
  resolve?: (bpmnProcessId: string, schoolId: string) => Promise<string | undefined>,
  by = 'api:safety',
): ProcessPort {
  return {
    async startProcess(bpmnProcessId, schoolId, variables) {
      const processDefinitionKey = resolve ? await resolve(bpmnProcessId, schoolId) : undefined;
      const doc = await engine.createInstance({
        ...(processDefinitionKey ? { processDefinitionKey } : { bpmnProcessId }),
        variables,
        by,
      });
      return doc._id;
    },
    async snapshot(instanceKey) {
      const doc = await engine.loadInstance(instanceKey);
      if (!doc) return undefined;
      const state = parseState(doc);
      const variables = state.vars['0'] ?? {};
      if (doc.state !== 'ACTIVE') return { state: doc.state, steps: [], variables };
      const { proc } = await engine.definition(doc.processDefinitionKey);
      const els = Object.values(state.els).filter((e) => e.k !== 0);
      const parents = new Set(els.map((e) => e.p));
      const ids = [...new Set(els.filter((e) => !parents.has(e.k)).map((e) => e.id))];
      const steps = ids.map((id) => {
        const name = (proc.elements[id] as { name?: string } | undefined)?.name;
        return name ? { id, name } : { id };
      });
      return { state: doc.state, steps, variables };
    },
  };
}
