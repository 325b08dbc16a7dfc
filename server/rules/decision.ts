/**
 * The answer of every rule check: allowed or not, with the rules that refused (violations)
 * and the rules that only warn. A soft rule that has been satisfied by an approval stays a
 * warning, so the record still shows it was an exception.
 */
import { RuleViolationError, type RuleCitation } from '../lib/errors';
import { ruleFamily } from './citations';

/** What a rule check decided; `ok` is true exactly when there is no violation. */
export interface RuleDecision {
  ok: boolean;
  violations: RuleCitation[];
  warnings: RuleCitation[];
}

/** A decision from its violations and warnings. */
export function decide(
  violations: RuleCitation[] = [],
  warnings: RuleCitation[] = [],
): RuleDecision {
  return { ok: violations.length === 0, violations, warnings };
}

/** All of several decisions at once: violations and warnings of each, in order. */
export function combine(...decisions: RuleDecision[]): RuleDecision {
  return decide(
    decisions.flatMap((d) => d.violations),
    decisions.flatMap((d) => d.warnings),
  );
}

/** The distinct rule ids a decision cites, violations first. */
export function citedRules(decision: RuleDecision): string[] {
  return [...new Set([...decision.violations, ...decision.warnings].map((c) => c.rule))];
}

/**
 * The BPMN error code a worker throws for a refused decision, named after the family of its
 * first violation (`FEE-CAP` → `FEE_RULE_VIOLATION`); undefined when the decision is ok.
 */
export function bpmnErrorCode(decision: RuleDecision): string | undefined {
  const first = decision.violations[0];
  return first ? `${ruleFamily(first.rule)}_RULE_VIOLATION` : undefined;
}

/** Throws a {@link RuleViolationError} (422, with the citations) unless the decision is ok. */
export function assertAllowed(decision: RuleDecision): void {
  if (!decision.ok) throw new RuleViolationError(decision.violations);
}
