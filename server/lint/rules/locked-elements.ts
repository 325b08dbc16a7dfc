import { t } from '../../lib/i18n';
import { labelOf } from '../bpmn-model';
import { compareRule } from './base';

/** The rule id reported for a locked element that enforces no RULES.md rule of its own. */
export const TEMPLATE_LOCKED = 'TEMPLATE-LOCKED';

/**
 * `kehou/locked-elements`: an element the template marks `kehou:locked` keeps every attribute,
 * its task definition, io mappings, headers, assignment and form (everything but its layout
 * and the flows around it), under the same id and type.
 */
export default compareRule((variant, base, report) => {
  for (const el of base.model.elements.values()) {
    if (!el.locked) continue;
    const ctx = { policyRule: el.mandatory ?? TEMPLATE_LOCKED, base: base.label };
    const name = labelOf(el);
    const own = variant.elements.get(el.id);
    if (!own) {
      report(el.id, t('lint.locked_missing', { name, id: el.id }), { ...ctx, problem: 'missing' });
      continue;
    }
    const changed = changedAttributes(el.attributes, own.attributes);
    if (own.type !== el.type) changed.unshift('$type');
    if (changed.length)
      report(el.id, t('lint.locked_changed', { name, id: el.id, attributes: changed.join('、') }), {
        ...ctx,
        problem: 'changed',
        attributes: changed,
      });
  }
});

/** The attribute paths whose values differ between two flat attribute maps. */
export function changedAttributes(
  before: Record<string, string>,
  after: Record<string, string>,
): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}
