import {
  FeelDateTime,
  FeelDuration,
  SyntaxError as FeelSyntaxError,
  evaluate as feelinEvaluate,
  parseExpression,
} from 'feelin';
import {
  type FeelJsFunction,
  FeelAssertionError,
  createFunctions,
  feelinBuiltin,
} from './builtins';
import { feelTypeOf, toJson } from './convert';
import { type IsoDuration, parseIsoDateTime, parseIsoDuration } from './iso';
import { parseZone } from './zone';
import type { FeelOptions, FeelResult, JsonValue, Result } from './types';

/**
 * FEEL evaluation with Zeebe's semantics on top of feelin: a missing variable is `null`, a
 * syntax error or a failed `assert` is an error naming the problem, results are JSON. Nothing
 * here throws; every failure is a `{ ok: false, error }` the engine turns into an incident
 * "failed to evaluate expression '<expr>': <error>".
 *
 * Two kinds of input are accepted, as in Zeebe's BPMN attributes:
 * - an *expression* (conditions, input collections, completion conditions): always FEEL, given
 *   with or without the leading `=`;
 * - an *attribute* (job type, candidate groups, timers, …): FEEL if it starts with `=`, else a
 *   static value.
 */

/** Zeebe's rule: an attribute starting with `=` (after leading blanks) is a FEEL expression. */
export function isExpression(value: string): boolean {
  return /^\s*=/.test(value);
}

/**
 * Evaluates a FEEL expression (without the leading `=`; one is tolerated) against JSON
 * variables and returns the result as JSON. Never throws.
 */
export function evaluate(
  expression: string,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): FeelResult {
  const run = runFeel(expression, variables, options);
  if (!run.ok) return run;
  return jsonResult(run.value.value, run.value.warnings);
}

/**
 * Checks that a FEEL expression (with or without the leading `=`) parses, without evaluating
 * it: Zeebe refuses a deployment whose expressions do not parse.
 */
export function checkSyntax(expression: string): Result<true> {
  const source = strip(expression);
  if (!source.trim()) return { ok: false, error: 'the expression is empty' };
  let error: string | undefined;
  // function names with blanks (`get or else`) parse only when the parser knows them
  const zone = parseZone(undefined);
  const functions = zone.ok ? createFunctions(zone.value, {}) : {};
  parseExpression(source, { ...functions }, 'camunda').iterate({
    enter(node) {
      if (error !== undefined) return false;
      if (!node.type.isError) return undefined;
      const near = source.slice(node.from, Math.max(node.to, node.from + 1)).trim();
      error = `syntax error at position ${node.from}${near ? ` near '${near}'` : ''}`;
      return false;
    },
  });
  return error === undefined ? { ok: true, value: true } : { ok: false, error };
}

/** Evaluates an attribute: FEEL after `=`, else the static string; `undefined` gives `null`. */
export function evaluateStatic(
  attr: string | undefined,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): FeelResult {
  if (attr === undefined) return { ok: true, value: null };
  if (!isExpression(attr)) return { ok: true, value: attr };
  return evaluate(attr, variables, options);
}

/** Evaluates a condition (sequence flow, completion condition); the result must be a boolean. */
export function evaluateBoolean(
  expression: string,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): Result<boolean> {
  return typed(expression, variables, options, 'BOOLEAN', (value) =>
    typeof value === 'boolean' ? value : undefined,
  );
}

/** Evaluates an input collection (multi-instance); the result must be a list. */
export function evaluateList(
  expression: string,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): Result<JsonValue[]> {
  return typed(expression, variables, options, 'ARRAY', (value) =>
    Array.isArray(value) ? value : undefined,
  ) as Result<JsonValue[]>;
}

/** Evaluates a string attribute (job type, message name, correlation key): static or a string. */
export function evaluateString(
  attr: string,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): Result<string> {
  if (!isExpression(attr)) return { ok: true, value: attr };
  return typed(attr, variables, options, 'STRING', (value) =>
    typeof value === 'string' ? value : undefined,
  );
}

/** Evaluates a number attribute (job retries): a static number or a FEEL number. */
export function evaluateNumber(
  attr: string,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): Result<number> {
  if (!isExpression(attr)) {
    const value = Number(attr.trim());
    return attr.trim() !== '' && Number.isFinite(value)
      ? { ok: true, value }
      : { ok: false, error: `Expected a number but found '${attr}'` };
  }
  return typed(attr, variables, options, 'NUMBER', (value) =>
    typeof value === 'number' && Number.isFinite(value) ? value : undefined,
  );
}

/**
 * Evaluates candidate groups or users: a static comma-separated list (`a, b`) or a FEEL list
 * of strings. An absent or blank attribute gives an empty list.
 */
export function evaluateStringList(
  attr: string | undefined,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): Result<string[]> {
  if (attr === undefined || attr.trim() === '') return { ok: true, value: [] };
  if (!isExpression(attr)) {
    const items = attr.split(',').map((item) => item.trim());
    return { ok: true, value: items.filter((item) => item !== '') };
  }
  const list = typed(attr, variables, options, 'ARRAY', (value) =>
    Array.isArray(value) ? value : undefined,
  );
  if (!list.ok) return list;
  if (list.value.some((item) => typeof item !== 'string')) {
    return {
      ok: false,
      error: `Expected result of the expression '${strip(attr)}' to be 'ARRAY' containing 'STRING' items, but was 'ARRAY' containing at least one non-'STRING' item`,
    };
  }
  return { ok: true, value: list.value as string[] };
}

/**
 * Evaluates a date-time attribute (`timeDate`): static ISO text or a FEEL date-time or string.
 * A local date-time is read in `options.timeZone` if one is given, else refused.
 */
export function evaluateDateTime(
  attr: string,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): Result<Date> {
  const zone = parseZone(options.timeZone);
  if (!zone.ok) return zone;
  const defaultZone = options.timeZone === undefined ? undefined : zone.value;
  if (!isExpression(attr)) return parseIsoDateTime(attr, defaultZone);
  const run = runFeel(attr, variables, options);
  if (!run.ok) return run;
  const { value, warnings } = run.value;
  if (value instanceof FeelDateTime || typeof value === 'string') {
    return parseIsoDateTime(typeof value === 'string' ? value : value.iso, defaultZone);
  }
  return { ok: false, error: expected(attr, 'DATE_TIME', value, warnings) };
}

/** Evaluates a duration attribute (`timeDuration`): static ISO text or a FEEL duration or string. */
export function evaluateDuration(
  attr: string,
  variables: Record<string, unknown>,
  options: FeelOptions = {},
): Result<IsoDuration> {
  if (!isExpression(attr)) return parseIsoDuration(attr);
  const run = runFeel(attr, variables, options);
  if (!run.ok) return run;
  const { value, warnings } = run.value;
  if (value instanceof FeelDuration || typeof value === 'string') {
    return parseIsoDuration(typeof value === 'string' ? value : value.iso);
  }
  return { ok: false, error: expected(attr, 'DURATION', value, warnings) };
}

// helpers //////////

interface Evaluation {
  value: unknown;
  warnings: string[];
}

function runFeel(
  expression: string,
  variables: Record<string, unknown>,
  options: FeelOptions,
): Result<Evaluation> {
  try {
    const zone = parseZone(options.timeZone);
    if (!zone.ok) return zone;
    const functions = createFunctions(zone.value, options);
    const context: Record<string, unknown> = { ...functions, ...variables };
    const source = unshadowFunctions(strip(expression), variables, functions, context);
    const { value, warnings } = feelinEvaluate(source, context, 'camunda');
    return {
      ok: true,
      value: { value, warnings: warnings.map((w) => `[${w.type}] ${w.message}`) },
    };
  } catch (error) {
    return { ok: false, error: describeFailure(error) };
  }
}

function typed<T>(
  expression: string,
  variables: Record<string, unknown>,
  options: FeelOptions,
  type: string,
  accept: (value: unknown) => T | undefined,
): Result<T> {
  const run = runFeel(expression, variables, options);
  if (!run.ok) return run;
  const { value, warnings } = run.value;
  const accepted = accept(value);
  if (accepted === undefined) {
    return { ok: false, error: expected(expression, type, value, warnings) };
  }
  const json = toJson(accepted);
  return json.ok ? { ok: true, value: json.value as T } : json;
}

function jsonResult(value: unknown, warnings: string[]): FeelResult {
  const json = toJson(value);
  if (!json.ok) return json;
  return warnings.length > 0
    ? { ok: true, value: json.value, warnings }
    : { ok: true, value: json.value };
}

/** Zeebe's type-mismatch message; for a `null` result it lists why, as Zeebe 8.3+ does. */
function expected(expression: string, type: string, value: unknown, warnings: string[]): string {
  const actual = feelTypeOf(value);
  const message = `Expected result of the expression '${strip(expression)}' to be '${type}', but was '${actual}'`;
  if (actual !== 'NULL' || warnings.length === 0) return message;
  return `${message}. The evaluation reported the following warnings:\n${warnings.join('\n')}`;
}

function describeFailure(error: unknown): string {
  if (error instanceof FeelSyntaxError) {
    const near = error.input ? ` near '${error.input}'` : '';
    return `syntax error at position ${error.position.from}${near}: ${error.message}`;
  }
  if (error instanceof FeelAssertionError) {
    return `assertion failed: ${error.message}`;
  }
  return `evaluation failed: ${error instanceof Error ? error.message : String(error)}`;
}

function strip(expression: string): string {
  return expression.replace(/^\s*=/, '');
}

/**
 * feelin keeps variables and functions in one namespace, so a variable `count` or `date` would
 * hide the function in `count(list)`. Zeebe keeps them apart; to match, calls of a shadowed
 * name are rewritten to a private alias bound to the function.
 */
function unshadowFunctions(
  source: string,
  variables: Record<string, unknown>,
  functions: Record<string, FeelJsFunction>,
  context: Record<string, unknown>,
): string {
  const lookup = (name: string): FeelJsFunction | undefined =>
    Object.hasOwn(functions, name) ? functions[name] : feelinBuiltin(name);
  const shadowed = new Set(
    Object.keys(variables).filter(
      (name) => typeof variables[name] !== 'function' && lookup(name) !== undefined,
    ),
  );
  if (shadowed.size === 0) return source;
  const edits: Array<{ from: number; to: number; alias: string }> = [];
  parseExpression(source, context, 'camunda').iterate({
    enter(node) {
      const callee = node.name === 'FunctionInvocation' ? node.node.firstChild : null;
      if (callee?.name !== 'VariableName') return;
      const name = source.slice(callee.from, callee.to).replace(/\s+/g, ' ');
      const target = shadowed.has(name) ? lookup(name) : undefined;
      if (target) {
        const alias = `kehouFunction__${edits.length}`;
        context[alias] = target;
        edits.push({ from: callee.from, to: callee.to, alias });
      }
    },
  });
  return edits.reduceRight(
    (text, edit) => `${text.slice(0, edit.from)}${edit.alias}${text.slice(edit.to)}`,
    source,
  );
}
