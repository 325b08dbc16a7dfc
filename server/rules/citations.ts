/**
 * The rule ids of `RULES.md` (the digest of 漯教〔2021〕64号) with the clause each cites, its
 * kind, and its zh-CN wording. Every refusal or warning the product issues is built here, so
 * it always names the rule and the clause: `FEE-CAP (漯教〔2021〕64号 四(二))`.
 */
import type { RuleCitation } from '../lib/errors';
import { t, type MessageKey } from '../lib/i18n';

/** The policy every rule id comes from. */
export const POLICY_DOCUMENT = '漯教〔2021〕64号';

/**
 * How a rule binds, as RULES.md says: `hard` refuses, `soft` warns (and may need an approval),
 * `configurable` is a county parameter, `info` informs, `integration` and `forms` are built
 * outside the rule book.
 */
export type RuleKind = 'hard' | 'soft' | 'configurable' | 'info' | 'integration' | 'forms';

/** One row of the rule table. */
export interface RuleEntry {
  /** The clause of the policy, e.g. '四(二)'; '附件' for the annexes. */
  clause: string;
  kind: RuleKind;
  /** A county may change the rule's figures (RULES.md: *configurable*). */
  configurable: boolean;
}

/** Every rule id of RULES.md: clause, kind, and whether a county may configure it. */
export const RULES = {
  'ELIG-ENROLLED': { clause: '三(一)', kind: 'hard', configurable: false },
  'ELIG-PRIORITY': { clause: '三(一)', kind: 'hard', configurable: false },
  'ELIG-VOLUNTARY': { clause: '二(三)', kind: 'hard', configurable: false },
  'TIME-SCHOOLDAY': { clause: '三(二)', kind: 'hard', configurable: false },
  'TIME-END-SUMMER': { clause: '三(二)', kind: 'hard', configurable: true },
  'TIME-END-WINTER': { clause: '三(二)', kind: 'hard', configurable: true },
  'TIME-2H': { clause: '三(二)', kind: 'soft', configurable: false },
  'TIME-SEASON': { clause: '三(二)', kind: 'configurable', configurable: true },
  'CONTENT-ALLOWED': { clause: '三(三)', kind: 'hard', configurable: false },
  'CONTENT-NO-TEACHING': { clause: '三(三)', kind: 'hard', configurable: false },
  'CONTENT-NO-AGENCY': { clause: '四(四)', kind: 'hard', configurable: false },
  'CONTENT-NO-BURDEN': { clause: '四(四)', kind: 'soft', configurable: false },
  'PLAN-ONE-SCHOOL': { clause: '三(五)', kind: 'hard', configurable: false },
  'FLOW-CHAIN': { clause: '三(五)', kind: 'hard', configurable: false },
  'FLOW-COMMITTEE': { clause: '三(五)', kind: 'hard', configurable: false },
  'VENUE-RECORDS': { clause: '三(四)', kind: 'hard', configurable: false },
  'RESP-PRINCIPAL': { clause: '四(一)', kind: 'hard', configurable: false },
  'FEE-CAP': { clause: '四(二)', kind: 'hard', configurable: true },
  'FEE-FREE-POOR': { clause: '四(二)', kind: 'hard', configurable: false },
  'FEE-PRORATE': { clause: '四(二)', kind: 'hard', configurable: false },
  'FEE-EXTERNAL': { clause: '四(二)', kind: 'info', configurable: false },
  'FEE-EARMARK': { clause: '四(二)', kind: 'hard', configurable: false },
  'FEE-NO-ABUSE': { clause: '四(二)', kind: 'hard', configurable: false },
  'SAFE-ATTEND': { clause: '四(三)', kind: 'hard', configurable: false },
  'SAFE-STAFF': { clause: '四(三)', kind: 'hard', configurable: false },
  'SAFE-INSURE': { clause: '四(三)', kind: 'hard', configurable: false },
  'SAFE-CLAIM': { clause: '四(三)', kind: 'hard', configurable: false },
  'SAFE-COMMUTE': { clause: '四(三)', kind: 'info', configurable: false },
  'PLATFORM-WECOM': { clause: '四(四)', kind: 'integration', configurable: false },
  'PLATFORM-ADMIN': { clause: '附件', kind: 'forms', configurable: false },
} as const satisfies Record<string, RuleEntry>;

/** A rule id of RULES.md, e.g. 'FEE-CAP'. */
export type RuleId = keyof typeof RULES;

/** The ids of every rule, in RULES.md order. */
export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** The zh-CN message keys of one rule: `rule.<ID>` (its statement) and `rule.<ID>.<case>`. */
export type RuleMessageKey<R extends RuleId> = Extract<
  MessageKey,
  `rule.${R}` | `rule.${R}.${string}`
>;

/** Whether a string is a rule id of RULES.md. */
export function isRuleId(id: string): id is RuleId {
  return Object.hasOwn(RULES, id);
}

/** How RULES.md asks a rule to be named: `FEE-CAP (漯教〔2021〕64号 四(二))`. */
export function ruleReference(rule: RuleId): string {
  return `${rule} (${POLICY_DOCUMENT} ${RULES[rule].clause})`;
}

/**
 * The rule's own statement in zh-CN (key `rule.<ID>`). A rule id without one in the message
 * table fails to compile here.
 */
export function ruleStatement(rule: RuleId): string {
  return t(`rule.${rule}` as const);
}

/**
 * A citation of `rule` with the zh-CN message under `key` (default: the rule's statement),
 * its `{placeholders}` filled from `params`.
 */
export function cite<R extends RuleId>(
  rule: R,
  key?: RuleMessageKey<R>,
  params: Record<string, string | number> = {},
): RuleCitation {
  return {
    rule,
    clause: RULES[rule].clause,
    message: key ? t(key, params) : ruleStatement(rule),
  };
}

/** The rule family of an id (`FEE-CAP` → `FEE`), which names the BPMN error code. */
export function ruleFamily(rule: string): string {
  return rule.split('-')[0] ?? rule;
}
