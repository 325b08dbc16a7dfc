import { type Engine, parseState } from '../../engine/engine';
import type { EnrolmentEnginePort } from './enrolment.service';

/**
 * The enrolment slice's port onto the embedded engine. `resolve` picks the definition a school
 * runs (its variant, its county's, or the city's template); without it the latest deployed
 * version of the process id starts.
 */
export function enrolmentEnginePort(
  engine: Engine,
  resolve?: (bpmnProcessId: string, schoolId: string) => Promise<string | undefined>,
): EnrolmentEnginePort {
  return {
    async startProcess(bpmnProcessId, schoolId, variables) {
      const processDefinitionKey = resolve ? await resolve(bpmnProcessId, schoolId) : undefined;
      const doc = await engine.createInstance({
        ...(processDefinitionKey ? { processDefinitionKey } : { bpmnProcessId }),
        variables,
        by: 'api:enrolment',
      });
      return doc._id;
    },
    async publishMessage({ instanceKey, ...msg }) {
      const instance = instanceKey ? await engine.loadInstance(instanceKey) : undefined;
      await engine.publishMessage({ ...msg, ...(instance ? { tenantId: instance.tenantId } : {}) });
    },
    async currentSteps(instanceKey) {
      const doc = await engine.loadInstance(instanceKey);
      if (!doc || doc.state !== 'ACTIVE') return [];
      const { proc } = await engine.definition(doc.processDefinitionKey);
      const els = Object.values(parseState(doc).els).filter((e) => e.k !== 0);
      const parents = new Set(els.map((e) => e.p));
      const ids = [...new Set(els.filter((e) => !parents.has(e.k)).map((e) => e.id))];
      return ids.map((id) => {
        const name = (proc.elements[id] as { name?: string } | undefined)?.name;
        return name ? { id, name } : { id };
      });
    },
  };
}
