import { type FieldProblem, type RuleCitation, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { clauseOf } from '../../lint/policy-clauses';
import type { LintProblem } from '../../lint/policy-lint';

/** A lint problem as a problem document lists it: a field problem (path = element id) with more. */
export type LintFieldProblem = FieldProblem & LintProblem;

/**
 * The policy lint refused a process (422 `POLICY_LINT_FAILED`): `errors` lists every problem
 * with the element id (also as `path`), the rule id (`FLOW-CHAIN`), the lint rule and a zh-CN
 * message; `rules` cites each RULES.md rule involved with its clause.
 */
export class PolicyLintError extends UserError {
  constructor(problems: LintProblem[]) {
    const fields: LintFieldProblem[] = problems.map((p) => ({ path: p.elementId, ...p }));
    const rules: RuleCitation[] = [];
    for (const p of problems) {
      const clause = clauseOf(p.rule);
      if (clause && !rules.some((r) => r.rule === p.rule))
        rules.push({ rule: p.rule, clause, message: p.message });
    }
    super(
      422,
      'POLICY_LINT_FAILED',
      'catalog.lint_failed',
      t('catalog.lint_failed_detail', {
        count: problems.length,
        problems: problems.map((p) => `${p.elementId}：[${p.rule}] ${p.message}`).join('；'),
      }),
      { fields, rules },
    );
  }
}

/** The caller may see this place's catalog but not deploy there (403 `CATALOG_FORBIDDEN`). */
export class CatalogForbiddenError extends UserError {
  constructor() {
    super(403, 'CATALOG_FORBIDDEN', 'catalog.forbidden');
  }
}
