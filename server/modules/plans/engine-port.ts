import { type Engine, parseState } from '../../engine/engine';
import type { Vars } from '../../engine/runtime/state';

/** Where a plan's process instance stands. */
export interface PlanProgress {
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED' | 'MISSING';
  /** The active steps (element ids and names). */
  steps: { id: string; name?: string }[];
  /** The instance's `refusal` variable: why the plan came back for revision. */
  refusal?: unknown;
}

/** A user task of the instance someone completed. */
export interface PlanDecision {
  elementId: string;
  /** The user who completed it. */
  by: string;
  at: string;
}

/** What the plans slice needs of the engine. */
export interface PlansEnginePort {
  /** Starts a school's process (its variant, else its county's, else the city's template). */
  startProcess(bpmnProcessId: string, schoolId: string, variables: Vars): Promise<string>;
  progress(instanceKey: string): Promise<PlanProgress>;
  /** The key of the open user task at `elementId`, if the instance waits there. */
  openTask(instanceKey: string, elementId: string): Promise<string | undefined>;
  completeTask(taskKey: string, variables: Vars, by: string): Promise<void>;
  /** The user tasks completed so far, oldest first. */
  decisions(instanceKey: string): Promise<PlanDecision[]>;
}

/**
 * The plans slice's port onto the embedded engine. `resolve` picks the definition a school
 * runs; without it the latest deployed version of the process id starts.
 */
export function plansEnginePort(
  engine: Engine,
  resolve?: (bpmnProcessId: string, schoolId: string) => Promise<string>,
): PlansEnginePort {
  return {
    async startProcess(bpmnProcessId, schoolId, variables) {
      const processDefinitionKey = resolve ? await resolve(bpmnProcessId, schoolId) : undefined;
      const doc = await engine.createInstance({
        ...(processDefinitionKey ? { processDefinitionKey } : { bpmnProcessId }),
        variables,
        by: 'api:plans',
      });
      return doc._id;
    },
    async progress(instanceKey) {
      const doc = await engine.loadInstance(instanceKey);
      if (!doc) return { state: 'MISSING', steps: [] };
      const state = parseState(doc);
      const refusal = state.vars['0']?.refusal;
      if (doc.state !== 'ACTIVE') return { state: doc.state, steps: [] };
      const { proc } = await engine.definition(doc.processDefinitionKey);
      const els = Object.values(state.els).filter((e) => e.k !== 0);
      const parents = new Set(els.map((e) => e.p));
      const ids = [...new Set(els.filter((e) => !parents.has(e.k)).map((e) => e.id))];
      const steps = ids.map((id) => {
        const name = (proc.elements[id] as { name?: string } | undefined)?.name;
        return name ? { id, name } : { id };
      });
      return { state: 'ACTIVE', steps, ...(refusal ? { refusal } : {}) };
    },
    async openTask(instanceKey, elementId) {
      const doc = await engine.loadInstance(instanceKey);
      if (!doc || doc.state !== 'ACTIVE') return undefined;
      const waits = Object.entries(parseState(doc).waits);
      return waits.find(([, w]) => w.k === 'task' && w.e === elementId)?.[0];
    },
    async completeTask(taskKey, variables, by) {
      await engine.completeUserTask(taskKey, variables, undefined, by);
    },
    async decisions(instanceKey) {
      const out: PlanDecision[] = [];
      for (const commit of await engine.history(instanceKey)) {
        const cmd = JSON.parse(commit.cmd) as { t?: string; task?: string } | null;
        if (cmd?.t !== 'taskComplete' || !cmd.task) continue;
        const task = await engine.userTask(cmd.task);
        out.push({
          elementId: task.elementId,
          by: commit.by,
          at: new Date(commit.at).toISOString(),
        });
      }
      return out;
    },
  };
}
