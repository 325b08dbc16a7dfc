import type { ModdleElement, Reporter, RuleDefinition } from 'bpmnlint';
import { type BpmnModel, modelOf, type ModdleElement as ParsedElement } from '../bpmn-model';

/**
 * What the kehou rules compare a variant with: the templates it derives from (the city's, and
 * a county's variant for a school), already modelled.
 */
export interface LintBaseModel {
  /** Where the base comes from, e.g. `city v3`, shown in messages. */
  label: string;
  model: BpmnModel;
  /** `[a, b]`: every path to mandatory step `b` passes mandatory step `a`. */
  order: [string, string][];
}

/** The configuration the kehou rules get from the linter. */
export interface KehouRuleConfig {
  bases: LintBaseModel[];
}

/**
 * What a kehou rule reports besides the message: the RULES.md id it enforces, and which problem
 * it is (`missing`, `changed:jobType`, `bypass:<id>`, …), so that a problem a county variant
 * repeats from the city template is reported once.
 */
export interface KehouReportContext {
  policyRule: string;
  problem: string;
  [key: string]: unknown;
}

/**
 * Builds a bpmnlint rule that runs once on the `bpmn:Definitions` root, comparing the variant's
 * model with each base.
 */
export function compareRule(
  compare: (
    variant: BpmnModel,
    base: LintBaseModel,
    report: (id: string, message: string, ctx: KehouReportContext) => void,
  ) => void,
): (config?: unknown) => RuleDefinition {
  return (config) => {
    const bases = (config as KehouRuleConfig | undefined)?.bases ?? [];
    return {
      check(node: ModdleElement, reporter: Reporter) {
        if (node.$type !== 'bpmn:Definitions') return;
        const variant = modelOf(node as ParsedElement);
        const seen = new Set<string>();
        for (const base of bases)
          compare(variant, base, (id, message, ctx) => {
            // a county variant repeats the city's markers: report each problem once
            const key = `${id}\n${ctx.problem}`;
            if (seen.has(key)) return;
            seen.add(key);
            reporter.report(id, message, ctx);
          });
      },
    };
  };
}
