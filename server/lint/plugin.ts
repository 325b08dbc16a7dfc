import type { Config, RuleFactory } from 'bpmnlint';
import lockedElements from './rules/locked-elements';
import mandatoryElements from './rules/mandatory-elements';
import mandatoryOrder from './rules/mandatory-order';

/**
 * The local bpmnlint plugin `bpmnlint-plugin-kehou` (rules named `kehou/<rule>`): the policy
 * rules a school's or county's variant must pass against its templates. It is resolved by the
 * policy lint's own resolver, not installed as a package.
 */

/** The plugin's package name, as bpmnlint spells a rule `kehou/<name>`. */
export const PLUGIN_PACKAGE = 'bpmnlint-plugin-kehou';

/** The plugin's rules by name. */
export const rules: Record<string, RuleFactory> = {
  'mandatory-elements': mandatoryElements,
  'locked-elements': lockedElements,
  'mandatory-order': mandatoryOrder,
};

/** The plugin's configurations: `plugin:kehou/policy` turns every rule on as an error. */
export const configs: Record<string, Config> = {
  policy: {
    rules: Object.fromEntries(Object.keys(rules).map((name) => [`kehou/${name}`, 'error'])),
  },
};
