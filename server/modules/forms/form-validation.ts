import { evaluate, evaluateStatic } from '../../engine/feel';
import type { FieldProblem } from '../../lib/errors';
import { t, type MessageKey } from '../../lib/i18n';

/**
 * Server-side validation of a form-js submission. The browser's form-js viewer validates too,
 * but a request can skip the browser, so completion is checked again here against the same
 * schema: the same rules (`validate.*`), the same conditions (`conditional.hide`, FEEL) and the
 * options of choice fields. Hidden, read-only and disabled fields and keys the form does not
 * declare are left out of the result, so a submission cannot set variables the form does not
 * offer.
 */

/** One form-js component, as far as validation reads it. */
export interface FormComponent {
  type: string;
  key?: string;
  path?: string;
  label?: string;
  subtype?: string;
  readonly?: boolean | string;
  disabled?: boolean;
  validate?: {
    required?: boolean;
    min?: number | string;
    max?: number | string;
    minLength?: number | string;
    maxLength?: number | string;
    pattern?: string;
    validationType?: 'email' | 'phone' | string;
  };
  conditional?: { hide?: string };
  values?: { label?: string; value: unknown }[];
  valuesKey?: string;
  valuesExpression?: string;
  components?: FormComponent[];
}

/** A form-js schema (the JSON a `.form` file holds). */
export interface FormSchema {
  id?: string;
  components: FormComponent[];
}

/** What {@link validateSubmission} found: the problems, and the values to store when none. */
export interface SubmissionResult {
  errors: FieldProblem[];
  /** The submitted values of visible, editable fields, in the form's shape. */
  data: Record<string, unknown>;
}

/** Validates `values` against `schema`; `variables` are the task's variables (for conditions). */
export function validateSubmission(
  schema: FormSchema,
  values: Record<string, unknown>,
  variables: Record<string, unknown> = {},
): SubmissionResult {
  const errors: FieldProblem[] = [];
  const data: Record<string, unknown> = {};
  validateComponents(schema.components ?? [], values, { ...variables, ...values }, '', data, errors);
  return { errors, data };
}

/** A China mainland mobile number, optionally with +86. */
const PHONE = /^(?:\+?86)?1[3-9]\d{9}$/;
/** form-js's own e-mail rule. */
const EMAIL = /^[\w.+-]+@([\w-]+\.)+[\w-]{2,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** Component types that hold a value under their key. */
const VALUE_TYPES = new Set([
  'textfield',
  'textarea',
  'number',
  'select',
  'radio',
  'checkbox',
  'checklist',
  'taglist',
  'datetime',
]);

// helpers //////////

function validateComponents(
  components: FormComponent[],
  values: Record<string, unknown>,
  context: Record<string, unknown>,
  prefix: string,
  out: Record<string, unknown>,
  errors: FieldProblem[],
): void {
  for (const c of components) {
    if (isHidden(c, context)) continue;
    if (c.type === 'group') {
      nested(c, values, context, prefix, out, errors);
    } else if (c.type === 'dynamiclist') {
      list(c, values, context, prefix, out, errors);
    } else if (c.key && VALUE_TYPES.has(c.type)) {
      if (c.disabled || c.readonly === true) continue;
      const path = prefix + c.key;
      const value = values[c.key];
      const problem = checkValue(c, value, context);
      if (problem) errors.push({ path, message: problem });
      else if (value !== undefined) out[c.key] = value;
    }
  }
}

function nested(
  c: FormComponent,
  values: Record<string, unknown>,
  context: Record<string, unknown>,
  prefix: string,
  out: Record<string, unknown>,
  errors: FieldProblem[],
): void {
  if (!c.path) {
    validateComponents(c.components ?? [], values, context, prefix, out, errors);
    return;
  }
  const inner = values[c.path];
  if (inner !== undefined && !isRecord(inner)) {
    errors.push({ path: prefix + c.path, message: t('form.type_object') });
    return;
  }
  const sub: Record<string, unknown> = {};
  validateComponents(c.components ?? [], inner ?? {}, context, `${prefix}${c.path}.`, sub, errors);
  if (Object.keys(sub).length) out[c.path] = sub;
}

function list(
  c: FormComponent,
  values: Record<string, unknown>,
  context: Record<string, unknown>,
  prefix: string,
  out: Record<string, unknown>,
  errors: FieldProblem[],
): void {
  if (!c.path) return;
  const items = values[c.path];
  if (items === undefined || items === null) return;
  if (!Array.isArray(items)) {
    errors.push({ path: prefix + c.path, message: t('form.type_list') });
    return;
  }
  out[c.path] = items.map((item, i) => {
    const path = `${prefix}${c.path}.${i}`;
    if (!isRecord(item)) {
      errors.push({ path, message: t('form.type_object') });
      return {};
    }
    const sub: Record<string, unknown> = {};
    validateComponents(c.components ?? [], item, { ...context, ...item }, `${path}.`, sub, errors);
    return sub;
  });
}

/** `conditional.hide` is FEEL; a condition that fails to evaluate does not hide the field. */
function isHidden(c: FormComponent, context: Record<string, unknown>): boolean {
  if (!c.conditional?.hide) return false;
  const r = evaluate(c.conditional.hide, context);
  return r.ok && r.value === true;
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** The first problem of one value, or undefined. */
function checkValue(
  c: FormComponent,
  value: unknown,
  context: Record<string, unknown>,
): string | undefined {
  const v = c.validate ?? {};
  if (isEmpty(value)) return v.required ? t('form.required') : undefined;
  const typeProblem = checkType(c, value);
  if (typeProblem) return t(typeProblem);
  if (c.type === 'number') {
    const n = Number(value);
    const min = numberOf(v.min, context);
    const max = numberOf(v.max, context);
    if (min !== undefined && n < min) return t('form.min', { min });
    if (max !== undefined && n > max) return t('form.max', { max });
  }
  if (typeof value === 'string') {
    const minLength = numberOf(v.minLength, context);
    const maxLength = numberOf(v.maxLength, context);
    const length = [...value].length;
    if (minLength !== undefined && length < minLength)
      return t('form.min_length', { min: minLength });
    if (maxLength !== undefined && length > maxLength)
      return t('form.max_length', { max: maxLength });
    if (v.pattern && !safeRegExp(v.pattern)?.test(value)) return t('form.pattern');
    if (v.validationType === 'email' && !EMAIL.test(value)) return t('form.email');
    if (v.validationType === 'phone' && !PHONE.test(value.replace(/[\s-]/g, '')))
      return t('form.phone');
  }
  const options = optionsOf(c, context);
  if (options) {
    const chosen = Array.isArray(value) ? value : [value];
    if (c.type !== 'taglist' || c.values) {
      if (!chosen.every((x) => options.some((o) => o === x))) return t('form.option');
    }
  }
  return undefined;
}

function checkType(c: FormComponent, value: unknown): MessageKey | undefined {
  switch (c.type) {
    case 'textfield':
    case 'textarea':
      return typeof value === 'string' ? undefined : 'form.type_string';
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        ? undefined
        : 'form.type_number';
    case 'checkbox':
      return typeof value === 'boolean' ? undefined : 'form.type_boolean';
    case 'checklist':
    case 'taglist':
      return Array.isArray(value) ? undefined : 'form.type_list';
    case 'datetime':
      if (typeof value !== 'string') return 'form.type_datetime';
      if (c.subtype === 'date') return DATE.test(value) ? undefined : 'form.type_date';
      if (c.subtype === 'time') return TIME.test(value) ? undefined : 'form.type_time';
      return Number.isNaN(Date.parse(value)) ? 'form.type_datetime' : undefined;
    default:
      return undefined;
  }
}

/** A limit: a number, or FEEL after `=` evaluated against the context. */
function numberOf(limit: unknown, context: Record<string, unknown>): number | undefined {
  if (typeof limit === 'number') return limit;
  if (typeof limit !== 'string' || limit === '') return undefined;
  const r = evaluateStatic(limit, context);
  const n = r.ok ? Number(r.value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The allowed values of a choice field: static `values`, or a list from `valuesKey`. */
function optionsOf(c: FormComponent, context: Record<string, unknown>): unknown[] | undefined {
  if (!['select', 'radio', 'checklist', 'taglist'].includes(c.type)) return undefined;
  let options: unknown = c.values;
  if (!options && c.valuesKey) options = context[c.valuesKey];
  if (!options && c.valuesExpression) {
    const r = evaluate(c.valuesExpression, context);
    options = r.ok ? r.value : undefined;
  }
  if (!Array.isArray(options)) return undefined;
  return options.map((o) => (isRecord(o) && 'value' in o ? o.value : o));
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
