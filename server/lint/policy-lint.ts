import { Linter, type Config, type Report, type Resolver } from 'bpmnlint';
import NodeResolver from 'bpmnlint/lib/resolver/node-resolver';
import { compileBpmn } from '../engine/model/compile';
import { t, type MessageKey } from '../lib/i18n';
import {
  BpmnParseError,
  mandatoryOrder,
  modelOf,
  type ModdleElement,
  parseBpmn,
  parseBpmnWithWarnings,
} from './bpmn-model';
import { configs, PLUGIN_PACKAGE, rules } from './plugin';
import type { KehouRuleConfig, LintBaseModel } from './rules/base';

/**
 * The policy lint of a process (DESIGN.md decision 6): bpmnlint's recommended rules, the kehou
 * plugin's policy rules against the templates a variant derives from, and the engine's own
 * compile (what the engine cannot run). Errors refuse the deployment; warnings are reported.
 */

/** One problem: where, which rule, what (zh-CN). */
export interface LintProblem {
  /** The element id, or `(file)` for the file as a whole. */
  elementId: string;
  /**
   * The rule to cite: the RULES.md id a policy rule enforces (`FLOW-CHAIN`), `TEMPLATE-LOCKED`,
   * or the lint rule's own name (`label-required`, `engine/compile`).
   */
  rule: string;
  /** The lint rule that found it: `kehou/mandatory-elements`, `no-disconnected`, `engine/compile`, … */
  lintRule: string;
  severity: 'error' | 'warn';
  /** zh-CN. */
  message: string;
  /** The tool's own (English) wording, where it differs from the message. */
  detail?: string;
}

/** What the lint found. */
export interface LintReport {
  errors: LintProblem[];
  warnings: LintProblem[];
}

/** A template a variant derives from. */
export interface LintBase {
  /** Shown with its problems, e.g. `city v3`. */
  label: string;
  xml: string;
}

/** How to lint. */
export interface LintOptions {
  /** The templates the file derives from (none for a template itself). */
  bases?: LintBase[];
  /** Run bpmnlint's recommended rules (default true). */
  recommended?: boolean;
}

/** Lints a BPMN file; never throws for a bad file (an unreadable file is one error). */
export async function lintProcess(xml: string, opts: LintOptions = {}): Promise<LintReport> {
  const report: LintReport = { errors: [], warnings: [] };
  let root: ModdleElement;
  try {
    const parsed = await parseBpmnWithWarnings(xml);
    root = parsed.root;
    // a dangling reference or an unknown element: the engine would misread the file
    for (const w of parsed.warnings)
      report.errors.push({
        elementId: w.elementId,
        rule: 'bpmn/xml',
        lintRule: 'bpmn/xml',
        severity: 'error',
        message: t('lint.xml', { detail: w.message }),
        detail: w.message,
      });
  } catch (err) {
    if (!(err instanceof BpmnParseError)) throw err;
    report.errors.push({
      elementId: '(file)',
      rule: 'bpmn/xml',
      lintRule: 'bpmn/xml',
      severity: 'error',
      message: t('lint.xml', { detail: err.message }),
      detail: err.message,
    });
    return report;
  }

  const bases: LintBaseModel[] = [];
  const inherited = new Set<string>();
  for (const base of opts.bases ?? []) {
    const baseRoot = await parseBpmn(base.xml);
    const model = modelOf(baseRoot);
    bases.push({ label: base.label, model, order: mandatoryOrder(model) });
    if (opts.recommended !== false)
      for (const p of await runLinter(baseRoot, { extends: 'bpmnlint:recommended' }))
        inherited.add(`${p.lintRule}\n${p.elementId}`);
  }

  const config: Config = {
    extends: [
      ...(opts.recommended !== false ? ['bpmnlint:recommended'] : []),
      ...(bases.length ? [`plugin:kehou/policy`] : []),
    ],
    rules: bases.length
      ? Object.fromEntries(
          Object.keys(rules).map((name) => [
            `kehou/${name}`,
            ['error', { bases } satisfies KehouRuleConfig],
          ]),
        )
      : {},
  };
  for (const p of await runLinter(root, config)) {
    // what the template already does wrong is not the variant's fault: reported, not refused
    if (p.severity === 'error' && inherited.has(`${p.lintRule}\n${p.elementId}`))
      report.warnings.push({
        ...p,
        severity: 'warn',
        message: `${p.message}${t('lint.inherited')}`,
      });
    else (p.severity === 'error' ? report.errors : report.warnings).push(p);
  }

  for (const p of await compileProblems(xml))
    report.errors.push({
      elementId: p.elementId,
      rule: 'engine/compile',
      lintRule: 'engine/compile',
      severity: 'error',
      message: t('lint.engine', { detail: p.message }),
      detail: p.message,
    });
  return report;
}

// helpers //////////

/** The engine's compile problems; a compile that throws is reported, not passed on. */
async function compileProblems(xml: string): Promise<{ elementId: string; message: string }[]> {
  try {
    return (await compileBpmn(xml)).problems;
  } catch (err) {
    return [{ elementId: '(file)', message: (err as Error).message }];
  }
}

const nodeResolver = new NodeResolver();

/** Resolves the kehou plugin locally and everything else (bpmnlint's own rules) from node_modules. */
const resolver: Resolver = {
  resolveRule(pkg, ruleName) {
    if (pkg === PLUGIN_PACKAGE) {
      const rule = rules[ruleName];
      if (!rule) throw new Error(`unknown rule <kehou/${ruleName}>`);
      return rule;
    }
    return nodeResolver.resolveRule(pkg, ruleName);
  },
  resolveConfig(pkg, configName) {
    if (pkg === PLUGIN_PACKAGE) {
      const config = configs[configName];
      if (!config) throw new Error(`unknown config <plugin:kehou/${configName}>`);
      return config;
    }
    return nodeResolver.resolveConfig(pkg, configName);
  },
};

async function runLinter(root: ModdleElement, config: Config): Promise<LintProblem[]> {
  // a linter caches rules with their configuration: one per run, since bases differ per run
  const results = await new Linter({ config, resolver }).lint(root as never);
  const problems: LintProblem[] = [];
  for (const [lintRule, reports] of Object.entries(results))
    for (const r of reports) problems.push(problemOf(lintRule, r));
  return problems;
}

function problemOf(lintRule: string, r: Report): LintProblem {
  const elementId = r.id ?? '(file)';
  if (lintRule.startsWith('kehou/'))
    return {
      elementId,
      rule: String(r.policyRule ?? lintRule),
      lintRule,
      severity: r.category === 'error' ? 'error' : 'warn',
      message: r.message,
    };
  const key = `lint.rule.${lintRule}` as MessageKey;
  const known = key in RULE_MESSAGE_KEYS;
  return {
    elementId,
    rule: lintRule,
    lintRule,
    // a rule that crashed must not block a deployment: it is reported and looked into
    severity: r.category === 'error' ? 'error' : 'warn',
    message: known ? t(key) : t('lint.rule.other', { rule: lintRule }),
    detail: r.message,
  };
}

/** bpmnlint's recommended rules with a zh-CN message in the i18n table. */
const RULE_MESSAGE_KEYS: Record<string, true> = Object.fromEntries(
  [
    'ad-hoc-sub-process',
    'conditional-flows',
    'end-event-required',
    'event-based-gateway',
    'event-sub-process-typed-start-event',
    'fake-join',
    'global',
    'label-required',
    'link-event',
    'no-bpmndi',
    'no-complex-gateway',
    'no-disconnected',
    'no-duplicate-sequence-flows',
    'no-gateway-join-fork',
    'no-implicit-split',
    'no-implicit-end',
    'no-implicit-start',
    'no-inclusive-gateway',
    'no-overlapping-elements',
    'single-blank-start-event',
    'single-event-definition',
    'start-event-required',
    'sub-process-blank-start-event',
    'superfluous-gateway',
    'superfluous-label',
    'superfluous-termination',
  ].map((name) => [`lint.rule.${name}`, true]),
);
