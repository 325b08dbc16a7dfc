import { checkSyntax } from '../../engine/feel';
import type { FieldProblem } from '../../lib/errors';
import { t } from '../../lib/i18n';

/**
 * Checks a form-js schema before it is deployed: the structure form-js's JSON schema
 * prescribes (the form's `type`, `components`, the known component types and which properties
 * each type may and must carry; `@bpmn-io/form-json-schema` is not published to the npm
 * registry, so its rules are re-stated here), and ours on top: an `id`, keys unique per data
 * path, component ids unique, FEEL expressions that parse. Each problem names its JSON path
 * (`components.2.key`) and says what is wrong in zh-CN.
 */

/** Input fields: they bind a `key` to a variable. */
const INPUTS = new Set([
  'textfield',
  'textarea',
  'number',
  'datetime',
  'checkbox',
  'radio',
  'select',
  'checklist',
  'taglist',
  'expression',
  'filepicker',
]);

/** Inputs with options (`values`, `valuesKey` or `valuesExpression`). */
const MULTI_INPUTS = new Set(['radio', 'select', 'checklist', 'taglist']);

/** Components holding components. */
const CONTAINERS = new Set(['group', 'dynamiclist']);

/** Components that show data from a source. */
const PRESENTATION = new Set(['table']);

/** Everything else form-js knows. */
const OTHERS = new Set([
  'text',
  'html',
  'image',
  'button',
  'spacer',
  'separator',
  'iframe',
  'documentPreview',
]);

/** Properties only some component types may carry: property → the types that may. */
const ONLY_ON: Record<string, ReadonlySet<string>> = {
  text: new Set(['text']),
  content: new Set(['html']),
  action: new Set(['button']),
  source: new Set(['image']),
  alt: new Set(['image']),
  subtype: new Set(['datetime']),
  dateLabel: new Set(['datetime']),
  timeLabel: new Set(['datetime']),
  use24h: new Set(['datetime']),
  timeSerializingFormat: new Set(['datetime']),
  timeInterval: new Set(['datetime']),
  disallowPassedDates: new Set(['datetime']),
  increment: new Set(['number']),
  decimalDigits: new Set(['number']),
  serializeToString: new Set(['number']),
  searchable: new Set(['select']),
  values: MULTI_INPUTS,
  valuesKey: MULTI_INPUTS,
  valuesExpression: MULTI_INPUTS,
  key: INPUTS,
  description: INPUTS,
  disabled: INPUTS,
  readonly: INPUTS,
  validate: INPUTS,
  height: new Set(['spacer', 'iframe']),
  path: CONTAINERS,
  showOutline: CONTAINERS,
  verticalAlignment: CONTAINERS,
  components: CONTAINERS,
  isRepeating: new Set(['dynamiclist']),
  defaultRepetitions: new Set(['dynamiclist']),
  allowAddRemove: new Set(['dynamiclist']),
  disableCollapse: new Set(['dynamiclist']),
  nonCollapsedItems: new Set(['dynamiclist']),
  columns: PRESENTATION,
  columnsExpression: PRESENTATION,
  rowCount: PRESENTATION,
  dataSource: PRESENTATION,
  accept: new Set(['filepicker']),
  multiple: new Set(['filepicker']),
};

/** `validate.*` rules only some types may carry. */
const VALIDATE_ONLY_ON: Record<string, ReadonlySet<string>> = {
  min: new Set(['number']),
  max: new Set(['number']),
  pattern: new Set(['textfield']),
  validationType: new Set(['textfield']),
  minLength: new Set(['textfield', 'textarea']),
  maxLength: new Set(['textfield', 'textarea']),
};

/** A key or path: names separated by dots (`guardian.phone`). */
const KEY = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** The form-js schema versions this server reads. */
const MAX_SCHEMA_VERSION = 20;

/** Checks a parsed form-js schema; `expectedId` is the id the form must have. */
export function checkFormDefinition(schema: unknown, expectedId?: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path: path || '(form)', message });
  if (!isRecord(schema)) {
    add('', t('form.def.not_object'));
    return problems;
  }
  if (typeof schema.id !== 'string' || !schema.id) add('id', t('form.def.id_required'));
  else if (expectedId !== undefined && schema.id !== expectedId)
    add('id', t('form.def.id_mismatch', { id: expectedId }));
  if (schema.type !== 'default') add('type', t('form.def.type_default'));
  if (
    schema.schemaVersion !== undefined &&
    !(
      Number.isInteger(schema.schemaVersion) &&
      (schema.schemaVersion as number) >= 1 &&
      (schema.schemaVersion as number) <= MAX_SCHEMA_VERSION
    )
  )
    add('schemaVersion', t('form.def.schema_version', { max: MAX_SCHEMA_VERSION }));
  for (const prop of ['executionPlatform', 'executionPlatformVersion', 'versionTag'])
    if (schema[prop] !== undefined && typeof schema[prop] !== 'string')
      add(prop, t('form.type_string'));
  if (!Array.isArray(schema.components)) {
    add('components', t('form.def.components_required'));
    return problems;
  }
  const state: WalkState = { keys: new Map(), ids: new Map(), add };
  walk(schema.components, 'components', '', state);
  return problems;
}

/** The ids of the components of a form-js schema with their data paths, for diffs. */
export function componentsOf(
  schema: unknown,
): Map<string, { id: string; type: string; name?: string; attributes: Record<string, string> }> {
  const out = new Map<
    string,
    { id: string; type: string; name?: string; attributes: Record<string, string> }
  >();
  const visit = (list: unknown, prefix: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((c, i) => {
      if (!isRecord(c)) return;
      const type = typeof c.type === 'string' ? c.type : '?';
      const id =
        typeof c.key === 'string'
          ? `${prefix}${c.key}`
          : typeof c.id === 'string'
            ? `#${c.id}`
            : `${prefix}${type}[${i}]`;
      const attributes: Record<string, string> = {};
      for (const [k, v] of Object.entries(c))
        if (k !== 'components') flatten(v, k, attributes);
      const name = typeof c.label === 'string' ? c.label : undefined;
      out.set(id, { id, type, ...(name ? { name } : {}), attributes });
      const path = typeof c.path === 'string' ? `${prefix}${c.path}${type === 'dynamiclist' ? '[]' : ''}.` : prefix;
      visit(c.components, path);
    });
  };
  if (isRecord(schema)) {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(schema)) if (k !== 'components') flatten(v, k, attributes);
    out.set('(form)', { id: '(form)', type: 'form', attributes });
    visit(schema.components, '');
  }
  return out;
}

// helpers //////////

interface WalkState {
  /** Data path of each key → the JSON path that first bound it. */
  keys: Map<string, string>;
  ids: Map<string, string>;
  add(path: string, message: string): void;
}

function walk(components: unknown[], at: string, scope: string, s: WalkState): void {
  components.forEach((raw, i) => {
    const path = `${at}.${i}`;
    if (!isRecord(raw)) {
      s.add(path, t('form.type_object'));
      return;
    }
    const type = raw.type;
    if (typeof type !== 'string' || !isKnownType(type)) {
      s.add(`${path}.type`, t('form.def.type_unknown', { type: String(type) }));
      return;
    }
    if (raw.id !== undefined) {
      if (typeof raw.id !== 'string' || !raw.id) s.add(`${path}.id`, t('form.type_string'));
      else if (s.ids.has(raw.id)) s.add(`${path}.id`, t('form.def.id_duplicate', { id: raw.id }));
      else s.ids.set(raw.id, path);
    }
    for (const [prop, types] of Object.entries(ONLY_ON))
      if (raw[prop] !== undefined && !types.has(type))
        s.add(`${path}.${prop}`, t('form.def.property_not_allowed', { prop, type }));
    if (INPUTS.has(type)) checkInput(raw, type, path, scope, s);
    if (type === 'datetime' && !['date', 'time', 'datetime'].includes(String(raw.subtype)))
      s.add(`${path}.subtype`, t('form.def.subtype'));
    if (type === 'table') {
      if (raw.dataSource === undefined) s.add(`${path}.dataSource`, t('form.required'));
      if ((raw.columns === undefined) === (raw.columnsExpression === undefined))
        s.add(`${path}.columns`, t('form.def.columns_exclusive'));
    }
    if (raw.conditional !== undefined) {
      if (!isRecord(raw.conditional) || (raw.conditional.hide !== undefined && typeof raw.conditional.hide !== 'string'))
        s.add(`${path}.conditional`, t('form.def.conditional'));
      else checkFeel(raw.conditional.hide, `${path}.conditional.hide`, s);
    }
    if (CONTAINERS.has(type)) {
      let inner = scope;
      if (raw.path !== undefined) {
        if (typeof raw.path !== 'string' || !KEY.test(raw.path))
          s.add(`${path}.path`, t('form.def.key_invalid'));
        else inner = `${scope}${raw.path}${type === 'dynamiclist' ? '[]' : ''}.`;
      } else if (type === 'dynamiclist') s.add(`${path}.path`, t('form.def.path_required'));
      if (type === 'dynamiclist' && typeof raw.path === 'string') bind(raw.path, scope, path, s);
      if (raw.components !== undefined && !Array.isArray(raw.components))
        s.add(`${path}.components`, t('form.type_list'));
      else walk((raw.components as unknown[] | undefined) ?? [], `${path}.components`, inner, s);
    }
  });
}

function checkInput(
  raw: Record<string, unknown>,
  type: string,
  path: string,
  scope: string,
  s: WalkState,
): void {
  if (typeof raw.key !== 'string' || !raw.key) s.add(`${path}.key`, t('form.def.key_required', { type }));
  else if (!KEY.test(raw.key)) s.add(`${path}.key`, t('form.def.key_invalid'));
  else bind(raw.key, scope, path, s);
  if (MULTI_INPUTS.has(type)) {
    const sources = ['values', 'valuesKey', 'valuesExpression'].filter((p) => raw[p] !== undefined);
    if (sources.length !== 1) s.add(`${path}.values`, t('form.def.values_exclusive'));
    if (raw.values !== undefined) {
      if (!Array.isArray(raw.values)) s.add(`${path}.values`, t('form.type_list'));
      else
        raw.values.forEach((v, j) => {
          if (!isRecord(v) || v.value === undefined)
            s.add(`${path}.values.${j}`, t('form.def.option'));
        });
    }
    checkFeel(raw.valuesExpression, `${path}.valuesExpression`, s);
  }
  if (raw.validate !== undefined) {
    if (!isRecord(raw.validate)) s.add(`${path}.validate`, t('form.type_object'));
    else
      for (const [rule, types] of Object.entries(VALIDATE_ONLY_ON))
        if (raw.validate[rule] !== undefined && !types.has(type))
          s.add(`${path}.validate.${rule}`, t('form.def.property_not_allowed', { prop: `validate.${rule}`, type }));
  }
  for (const prop of ['readonly', 'disabled'])
    if (raw[prop] !== undefined && typeof raw[prop] !== 'boolean' && typeof raw[prop] !== 'string')
      s.add(`${path}.${prop}`, t('form.type_boolean'));
  if (typeof raw.readonly === 'string') checkFeel(raw.readonly, `${path}.readonly`, s);
  if (type === 'expression') checkFeel(raw.expression, `${path}.expression`, s);
}

/** Records that `key` binds the data path `scope + key`; a second binding is a problem. */
function bind(key: string, scope: string, path: string, s: WalkState): void {
  const dataPath = `${scope}${key}`;
  const first = s.keys.get(dataPath);
  if (first) s.add(`${path}.key`, t('form.def.key_duplicate', { key: dataPath, other: first }));
  else s.keys.set(dataPath, path);
}

function checkFeel(value: unknown, path: string, s: WalkState): void {
  if (typeof value !== 'string' || !value.startsWith('=')) return;
  const r = checkSyntax(value);
  if (!r.ok) s.add(path, t('form.def.feel', { error: r.error }));
}

function isKnownType(type: string): boolean {
  return INPUTS.has(type) || CONTAINERS.has(type) || PRESENTATION.has(type) || OTHERS.has(type);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function flatten(value: unknown, path: string, out: Record<string, string>): void {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${path}.${i}`, out));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) flatten(v, `${path}.${k}`, out);
  else out[path] = JSON.stringify(value);
}

/**
 * A form's title as its author wrote it: the first Markdown heading (`## 班级初审`) of the
 * text view that opens the form, if it opens with one. Lists and headings show it instead of
 * the form's id.
 */
export function formTitle(schema: unknown): string | undefined {
  const components = (schema as { components?: unknown } | null)?.components;
  const first = Array.isArray(components) ? (components[0] as { type?: unknown; text?: unknown }) : undefined;
  if (first?.type !== 'text' || typeof first.text !== 'string') return undefined;
  const m = /^\s*#{1,6}\s+(.+?)\s*#*\s*$/m.exec(first.text.split('\n').find((l) => l.trim()) ?? '');
  return m?.[1] || undefined;
}
