import {
  evaluateBoolean,
  evaluateList,
  evaluateStatic,
  evaluateStringList,
  evaluateTimer,
  parseTimeCycle,
} from '../feel';
import type { FeelPort } from './executor';

/**
 * The executor's FEEL and timer port over the FEEL layer, pinned to one instant so a command
 * re-executed during recovery evaluates `now()` and timers exactly as the first time.
 */
export function feelPort(now: number, timeZone?: string): FeelPort {
  const options = { now: new Date(now), timeZone };
  return {
    value: (attr, vars) => evaluateStatic(attr, vars, options),
    bool: (expr, vars) => evaluateBoolean(expr, vars, options),
    list: (attr, vars) => evaluateList(attr.startsWith('=') ? attr.slice(1) : attr, vars, options),
    strings: (attr, vars) => evaluateStringList(attr, vars, options),
    timer(kind, attr, vars, from) {
      const r = evaluateTimer(kind, attr, vars, new Date(from), options);
      if (!r.ok) return r;
      const due = r.value.dueDate.getTime();
      if (kind !== 'cycle') return { ok: true, value: { due } };
      const reps = r.value.repetitions;
      let text = attr;
      if (attr.startsWith('=')) {
        const t = evaluateStatic(attr, vars, options);
        if (!t.ok) return t;
        text = String(t.value);
      }
      return {
        ok: true,
        value: { due, rep: reps === 'infinite' ? -1 : Math.max(0, reps - 1), cyc: text },
      };
    },
    nextCycle(cyc, from) {
      const c = parseTimeCycle(cyc, { timeZone });
      if (!c.ok) return c;
      return { ok: true, value: c.value.next(new Date(from))?.getTime() };
    },
  };
}
