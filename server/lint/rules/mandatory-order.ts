import { t } from '../../lib/i18n';
import { labelOf, reachable } from '../bpmn-model';
import { compareRule } from './base';

/**
 * `kehou/mandatory-order`: a variant may add steps and paths, but it may not open a way around
 * a mandatory step. Where every path of the template to mandatory step B passes mandatory step
 * A (class review before school approval, FLOW-CHAIN), the same must hold in the variant, and a
 * mandatory step the template reaches must stay reachable.
 */
export default compareRule((variant, base, report) => {
  const all = reachable(variant);
  const baseAll = reachable(base.model);
  for (const step of base.model.elements.values()) {
    if (!step.mandatory || !baseAll.has(step.id) || !variant.elements.has(step.id)) continue;
    if (!all.has(step.id))
      report(step.id, t('lint.mandatory_unreachable', { name: labelOf(step), id: step.id }), {
        policyRule: step.mandatory,
        problem: 'unreachable',
        base: base.label,
      });
  }
  const avoiding = new Map<string, Set<string>>();
  for (const [a, b] of base.order) {
    const stepA = base.model.elements.get(a)!;
    const stepB = base.model.elements.get(b)!;
    if (!variant.elements.has(a) || !all.has(a) || !all.has(b)) continue;
    let without = avoiding.get(a);
    if (!without) avoiding.set(a, (without = reachable(variant, a)));
    if (without.has(b))
      report(
        a,
        t('lint.mandatory_bypassed', {
          name: labelOf(stepA),
          id: a,
          target: labelOf(stepB),
          targetId: b,
        }),
        { policyRule: stepA.mandatory!, problem: `bypass:${b}`, base: base.label },
      );
  }
});
