import { createHash } from 'node:crypto';
import { isDuplicateKey } from '../../db/models';
import { EngineError } from '../../engine/errors';
import type { Engine } from '../../engine/engine';
import type { Vars } from '../../engine/runtime/state';
import { hasMessage, t } from '../../lib/i18n';
import { formatYuan } from '../../rules/fees';
import type { DiscrepancyDoc, DiscrepancyProcessDoc, PaymentModels } from './payments.model';

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
  /**
   * Starts the discrepancy's instance unless it was started already: exactly one instance
   * however often and however many at once ask. A start that fails leaves the process recorded
   * as not yet started (see {@link started}), for the next reconciliation run to start.
   */
  start(d: DiscrepancyDoc): Promise<void>;
  /**
   * The discrepancies of `ids` whose process was started (or was claimed under the earlier
   * scheme, which is not restarted); the others' processes are not yet started.
   */
  started(ids: string[]): Promise<Set<string>>;
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
      // recorded before the first try, so that a failed start is known as not yet started
      const fresh: DiscrepancyProcessDoc = {
        _id: d._id,
        key: instanceKeyOf(d._id),
        at: new Date(),
      };
      let doc: DiscrepancyProcessDoc | null = fresh;
      try {
        await m.discrepancyProcesses.create(fresh);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        doc = await m.discrepancyProcesses.findById(d._id).lean<DiscrepancyProcessDoc>();
      }
      // started; or a start of the earlier scheme (no key) that is not ours to repeat
      if (!doc || doc.instanceKey || !doc.key) return;
      const definition =
        d.schoolId && resolve ? await resolve(DISCREPANCY_PROCESS_ID, d.schoolId) : undefined;
      // under its one key: of concurrent starts the engine's first commit insert wins, and a
      // start after one that succeeded (but did not record it) finds the instance
      await engine.createInstance({
        ...(definition
          ? { processDefinitionKey: definition }
          : { bpmnProcessId: DISCREPANCY_PROCESS_ID }),
        key: doc.key,
        variables: variablesOf(d),
        by: 'api:payments',
      });
      // every starter writes the same field with the same value
      await m.discrepancyProcesses.updateOne({ _id: d._id }, { $set: { instanceKey: doc.key } });
    },

    async started(ids) {
      if (ids.length === 0) return new Set();
      const docs = await m.discrepancyProcesses
        .find({ _id: { $in: ids } })
        .lean<DiscrepancyProcessDoc[]>();
      return new Set(docs.filter((x) => x.instanceKey || !x.key).map((x) => x._id));
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

/**
 * The one instance key of a discrepancy's process: digits as the engine's keys, derived from
 * the discrepancy's id. 18 digits starting with 9, so it never meets a key the engine makes
 * (16 digits until the 2050s; the keys inside an instance append six digits to it).
 */
export function instanceKeyOf(discrepancyId: string): string {
  const hash = BigInt(`0x${createHash('sha256').update(discrepancyId).digest('hex')}`);
  return `9${(hash % 10n ** 17n).toString().padStart(17, '0')}`;
}

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
