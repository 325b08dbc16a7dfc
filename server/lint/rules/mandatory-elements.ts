import { t } from '../../lib/i18n';
import { labelOf } from '../bpmn-model';
import { compareRule } from './base';

/**
 * `kehou/mandatory-elements`: every step the template marks `kehou:mandatory` stays in the
 * variant under the same id, with the same element type, the same job type (service tasks and
 * other job-based elements), the same kind of user task and the same called process.
 */
export default compareRule((variant, base, report) => {
  for (const step of base.model.elements.values()) {
    if (!step.mandatory) continue;
    const ctx = { policyRule: step.mandatory, base: base.label };
    const name = labelOf(step);
    const own = variant.elements.get(step.id);
    if (!own) {
      report(step.id, t('lint.mandatory_missing', { name, id: step.id }), {
        ...ctx,
        problem: 'missing',
      });
      continue;
    }
    const changes: [string, string | undefined, string | undefined][] = [
      ['type', step.type, own.type],
      ['jobType', step.jobType, own.jobType],
      ['userTaskKind', step.userTaskKind, own.userTaskKind],
      ['calledProcessId', step.calledProcessId, own.calledProcessId],
    ];
    for (const [what, expected, actual] of changes) {
      if (expected === actual || (what !== 'type' && expected === undefined)) continue;
      report(
        step.id,
        t('lint.mandatory_changed', {
          name,
          id: step.id,
          what: t(`lint.what.${what}` as 'lint.what.type'),
          expected: expected ?? '—',
          actual: actual ?? '—',
        }),
        { ...ctx, problem: `changed:${what}` },
      );
    }
  }
});
