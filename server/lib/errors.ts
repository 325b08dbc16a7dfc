import { t, type MessageKey } from './i18n';

/** One bad field of a refused input: where it is and what is wrong, in zh-CN. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A rule of RULES.md that refused something, e.g. `FEE-CAP (漯教〔2021〕64号 四(二))`. */
export interface RuleCitation {
  rule: string;
  clause: string;
  message: string;
}

/** Optional details of an {@link AppError}. */
export interface ErrorExtra {
  fields?: FieldProblem[];
  rules?: RuleCitation[];
  retryAfterSeconds?: number;
}

/**
 * The root of every error the product raises on purpose. Anything else reaching the error
 * middleware is a bug (500, logged with the request id).
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  readonly code: string;
  readonly titleKey: MessageKey;
  readonly fields?: FieldProblem[];
  readonly rules?: RuleCitation[];
  /** When to try again (429, 423, 503); sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;

  constructor(code: string, titleKey: MessageKey, detail?: string, extra: ErrorExtra = {}) {
    super(detail ?? t(titleKey));
    this.name = new.target.name;
    this.code = code;
    this.titleKey = titleKey;
    this.fields = extra.fields;
    this.rules = extra.rules;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

/** The caller asked for something wrong (4xx). Names the rule id where a rule refused. */
export class UserError extends AppError {
  readonly status: number;
  constructor(
    status: number,
    code: string,
    titleKey: MessageKey,
    detail?: string,
    extra: ErrorExtra = {},
  ) {
    super(code, titleKey, detail, extra);
    this.status = status;
  }
}

/** Input failed validation; lists each bad field path. */
export class ValidationError extends UserError {
  constructor(fields: FieldProblem[], detail?: string) {
    super(400, 'VALIDATION_FAILED', 'error.validation', detail, { fields });
  }
}

/** The thing asked for does not exist (or the caller may not know it exists). */
export class NotFoundError extends UserError {
  constructor(detail?: string, code = 'NOT_FOUND') {
    super(404, code, 'error.not_found', detail);
  }
}

/** A concurrent change won; the caller may retry after re-reading. */
export class ConflictError extends UserError {
  constructor(detail?: string, code = 'CONFLICT') {
    super(409, code, 'error.conflict', detail);
  }
}

/** A policy rule refused the request; carries the rule ids and clauses. */
export class RuleViolationError extends UserError {
  constructor(rules: RuleCitation[], detail?: string) {
    super(
      422,
      'RULE_VIOLATION',
      'error.rule_violation',
      detail ?? rules.map(formatRule).join('；'),
      {
        rules,
      },
    );
  }
}

/** Something outside us failed and a retry may succeed (503). */
export class TransientError extends AppError {
  readonly status = 503;
  constructor(code: string, titleKey: MessageKey = 'error.transient', detail?: string) {
    super(code, titleKey, detail);
  }
}

/** Formats a rule citation the way RULES.md asks: `FEE-CAP (漯教〔2021〕64号 四(二))：message`. */
export function formatRule(r: RuleCitation): string {
  return `${r.rule} (漯教〔2021〕64号 ${r.clause})：${r.message}`;
}
