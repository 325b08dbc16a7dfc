import { isDuplicateKey } from '../../db/models';
import { EngineError } from '../../engine/errors';
import type { Engine } from '../../engine/engine';
import type { Vars } from '../../engine/runtime/state';
import { hasMessage, t } from '../../lib/i18n';
import { formatYuan } from '../../rules/fees';
import type { DiscrepancyDoc, PaymentModels } from './payments.model';

/** The city template a discrepancy is handled in (processes/payment-discrepancy.bpmn). */
export const DISCREPANCY_PROCESS_ID = 'payment-discrepancy';
/** Its user task: the school's admin (the county bureau without a school) checks the difference. */
export const REVIEW_ELEMENT_ID = 'ReviewDiscrepancy';

/** Who completed a discrepancy's review task and what they entered. */
export interface DiscrepancyOutcome {
  by: string;
  resolution: string;
}

/**
 * What the payments slice needs of the engine for a discrepancy: one `payment-discrepancy`
 * instance per discrepancy, who resolved it there (read from the engine's own commit of the
 * task's completion, never from a caller), and closing its task when it is resolved through
 * the API instead.
 */
export interface DiscrepancyProcess {
  /** Starts the discrepancy's instance unless one was started already (a claim by its id). */
  start(d: DiscrepancyDoc): Promise<void>;
  /** The completion of the discrepancy's review task, if it was completed. */
  outcome(discrepancyId: string): Promise<DiscrepancyOutcome | undefined>;
  /** Completes the discrepancy's open review task as `by` with the resolution, if there is one. */
  closeReview(discrepancyId: string, by: string, resolution: string): Promise<void>;
}

/**
 * The port onto the embedded engine. `resolve` picks the definition the discrepancy's school
 * runs (its variant, its county's or the city's template); without a school, or when it finds
 * none, the city template's latest version starts.
 */
export function discrepancyProcess(
  engine: Engine,
  m: Pick<PaymentModels, 'discrepancyProcesses'>,
  resolve?: (bpmnProcessId: string, schoolId: string) => Promise<string | undefined>,
): DiscrepancyProcess {
  const instanceOf = async (discrepancyId: string) =>
    (await m.discrepancyProcesses.findById(discrepancyId).lean())?.instanceKey;

  return {
    async start(d) {
      try {
        await m.discrepancyProcesses.create({ _id: d._id, at: new Date() });
      } catch (err) {
        if (isDuplicateKey(err)) return;
        throw err;
      }
      try {
        const key =
          d.schoolId && resolve ? await resolve(DISCREPANCY_PROCESS_ID, d.schoolId) : undefined;
        const instance = await engine.createInstance({
          ...(key ? { processDefinitionKey: key } : { bpmnProcessId: DISCREPANCY_PROCESS_ID }),
          variables: variablesOf(d),
          by: 'api:payments',
        });
        await m.discrepancyProcesses.updateOne(
          { _id: d._id },
          { $set: { instanceKey: instance._id } },
        );
      } catch (err) {
        // a later raise of the same discrepancy may try again
        await m.discrepancyProcesses.deleteOne({ _id: d._id, instanceKey: { $exists: false } });
        throw err;
      }
    },

    async outcome(discrepancyId) {
      const instanceKey = await instanceOf(discrepancyId);
      if (!instanceKey) return undefined;
      const commits = await engine.history(instanceKey);
      for (const c of [...commits].reverse()) {
        const cmd = JSON.parse(c.cmd) as { t?: string; task?: string; vars?: Vars } | null;
        if (cmd?.t !== 'taskComplete' || !cmd.task) continue;
        const task = await engine.userTask(cmd.task);
        if (task.elementId !== REVIEW_ELEMENT_ID) continue;
        const resolution = cmd.vars?.resolution;
        if (typeof resolution !== 'string' || !resolution.trim()) return undefined;
        // the inbox completes as the user's id, the /v2 API as `<kind>:<id>`
        return { by: c.by.replace(/^user:/, ''), resolution: resolution.trim().slice(0, 500) };
      }
      return undefined;
    },

    async closeReview(discrepancyId, by, resolution) {
      const instanceKey = await instanceOf(discrepancyId);
      if (!instanceKey) return;
      const open = await engine.collections.tasks
        .find({ processInstanceKey: instanceKey, elementId: REVIEW_ELEMENT_ID, state: 'CREATED' })
        .toArray();
      for (const task of open) {
        try {
          await engine.completeUserTask(task._id, { resolution }, undefined, by);
        } catch (err) {
          // completed by its assignee meanwhile: their completion stands
          if (!(err instanceof EngineError) || err.status !== 409) throw err;
        }
      }
    },
  };
}

// helpers //////////

/** The instance's variables: what the form shows and the scope its groups are built from. */
function variablesOf(d: DiscrepancyDoc): Vars {
  const key = `payments.discrepancy.${d.kind}`;
  return {
    discrepancyId: d._id,
    kind: hasMessage(key) ? t(key) : d.kind,
    date: d.date,
    outTradeNo: d.outTradeNo ?? null,
    outRefundNo: d.outRefundNo ?? null,
    ourYuan: d.ourFen === undefined ? null : formatYuan(d.ourFen),
    billYuan: d.billFen === undefined ? null : formatYuan(d.billFen),
    cityId: d.cityId ?? null,
    countyId: d.countyId ?? null,
    schoolId: d.schoolId ?? null,
  };
}
