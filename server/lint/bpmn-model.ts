import { BpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json';

/**
 * A BPMN file read for comparison: every element of every process with its type, name, the
 * template markers (`kehou:mandatory`, `kehou:locked`), its job type and a flat map of its
 * attributes (extension elements included), plus the flow graph the ordering rule walks. The
 * policy lint rules and the catalog's element-level diff both read this model.
 */

/** A moddle element as parsed: typed loosely, read through the helpers below. */
export interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  $attrs?: Record<string, unknown>;
  $descriptor?: { properties: ModdleProperty[] };
  $instanceOf?: (type: string) => boolean;
  [key: string]: unknown;
}

interface ModdleProperty {
  name: string;
  type: string;
  isMany?: boolean;
  isReference?: boolean;
}

/** The template marker naming the RULES.md id a mandatory step enforces. */
export const MANDATORY_PROPERTY = 'kehou:mandatory';

/** The template marker of an element a variant may not change. */
export const LOCKED_PROPERTY = 'kehou:locked';

/** One element of a BPMN file as the policy lint and the diff see it. */
export interface ElementInfo {
  id: string;
  /** The moddle type, e.g. `bpmn:UserTask`. */
  type: string;
  name?: string;
  /** The process the element belongs to. */
  processId: string;
  /** The RULES.md id of `kehou:mandatory`, when the element is a mandatory step. */
  mandatory?: string;
  /** True when `kehou:locked` is `true`. */
  locked: boolean;
  /** `zeebe:taskDefinition type` (service, send, script, business rule tasks, events). */
  jobType?: string;
  /** For user tasks: a Camunda user task (`zeebe:userTask`) or a job-worker user task. */
  userTaskKind?: 'zeebe' | 'job';
  /** For call activities: `zeebe:calledElement processId`. */
  calledProcessId?: string;
  /** Every attribute as `path → value`, e.g. `zeebe:TaskDefinition.type → check-eligibility`. */
  attributes: Record<string, string>;
}

/** A parsed file: its processes, its elements by id and its flow graph. */
export interface BpmnModel {
  processIds: string[];
  elements: Map<string, ElementInfo>;
  /** Directed edges between graph nodes (element ids, `<id>#exit`, `#root:<processId>`). */
  edges: Map<string, string[]>;
}

/** The BPMN could not be read. */
export class BpmnParseError extends Error {}

const moddle = new BpmnModdle({ zeebe: zeebeSchema });

/** What moddle could not make sense of while reading a file, e.g. an unresolved reference. */
export interface ParseWarning {
  elementId: string;
  message: string;
}

/** Parses BPMN 2.0 XML (Camunda 8 dialect) into its moddle tree. */
export async function parseBpmn(xml: string): Promise<ModdleElement> {
  return (await parseBpmnWithWarnings(xml)).root;
}

/** Parses BPMN 2.0 XML and returns moddle's warnings (unresolved references, unknown elements). */
export async function parseBpmnWithWarnings(
  xml: string,
): Promise<{ root: ModdleElement; warnings: ParseWarning[] }> {
  let parsed: { rootElement: unknown; warnings: unknown[] };
  try {
    parsed = await moddle.fromXML(xml);
  } catch (err) {
    throw new BpmnParseError((err as Error).message);
  }
  const root = parsed.rootElement as ModdleElement;
  if (root?.$type !== 'bpmn:Definitions')
    throw new BpmnParseError('the root element is not bpmn:definitions');
  const warnings = (parsed.warnings as { message?: string; element?: ModdleElement }[]).map(
    (w) => ({ elementId: w.element?.id ?? '(file)', message: String(w.message ?? w) }),
  );
  return { root, warnings };
}

/** Builds the comparison model of a parsed file. */
export function modelOf(root: ModdleElement): BpmnModel {
  const cached = models.get(root);
  if (cached) return cached;
  const model: BpmnModel = { processIds: [], elements: new Map(), edges: new Map() };
  for (const re of list(root.rootElements)) {
    if (re.$type !== 'bpmn:Process' || !re.id) continue;
    model.processIds.push(re.id);
    model.elements.set(re.id, infoOf(re, re.id));
    walkScope(model, re, re.id, rootNode(re.id), undefined);
  }
  models.set(root, model);
  return model;
}

/** Reads and models a BPMN file. */
export async function readModel(xml: string): Promise<BpmnModel> {
  return modelOf(await parseBpmn(xml));
}

/** The graph node every process starts from. */
export function rootNode(processId: string): string {
  return `#root:${processId}`;
}

/** The graph nodes reachable from the process roots without passing `avoid`. */
export function reachable(model: BpmnModel, avoid?: string): Set<string> {
  const seen = new Set<string>();
  const queue = model.processIds.map(rootNode);
  while (queue.length) {
    const node = queue.pop()!;
    if (seen.has(node) || node === avoid) continue;
    seen.add(node);
    for (const next of model.edges.get(node) ?? []) if (!seen.has(next)) queue.push(next);
  }
  return seen;
}

/**
 * Pairs of mandatory steps `[a, b]` where every path from the start to `b` passes `a` (the
 * template's order of the chain, e.g. class review before school approval).
 */
export function mandatoryOrder(model: BpmnModel): [string, string][] {
  const mandatory = [...model.elements.values()].filter((e) => e.mandatory).map((e) => e.id);
  const all = reachable(model);
  const pairs: [string, string][] = [];
  for (const a of mandatory) {
    if (!all.has(a)) continue;
    const without = reachable(model, a);
    for (const b of mandatory) if (b !== a && all.has(b) && !without.has(b)) pairs.push([a, b]);
  }
  return pairs;
}

/** A readable name of an element for messages: its name, else its id. */
export function labelOf(e: Pick<ElementInfo, 'id' | 'name'>): string {
  return e.name ?? e.id;
}

// helpers //////////

const models = new WeakMap<ModdleElement, BpmnModel>();

/** Properties that are structure (children, flows) rather than the element's own settings. */
const STRUCTURE = new Set([
  'id',
  'incoming',
  'outgoing',
  'flowElements',
  'artifacts',
  'laneSets',
  'lanes',
  'extensionElements',
  'categoryValueRef',
  'di',
]);

const SIMPLE = new Set(['String', 'Boolean', 'Integer', 'Real', 'Element']);

function list(value: unknown): ModdleElement[] {
  return Array.isArray(value) ? (value as ModdleElement[]) : [];
}

function extensions(el: ModdleElement): ModdleElement[] {
  return list((el.extensionElements as ModdleElement | undefined)?.values);
}

function extension(el: ModdleElement, type: string): ModdleElement | undefined {
  return extensions(el).find((v) => v.$type === type);
}

function property(el: ModdleElement, name: string): string | undefined {
  for (const props of extensions(el).filter((v) => v.$type === 'zeebe:Properties'))
    for (const p of list(props.properties))
      if (p.name === name && typeof p.value === 'string') return p.value;
  return undefined;
}

function infoOf(el: ModdleElement, processId: string): ElementInfo {
  const info: ElementInfo = {
    id: el.id!,
    type: el.$type,
    processId,
    locked: property(el, LOCKED_PROPERTY) === 'true',
    attributes: attributesOf(el),
  };
  if (typeof el.name === 'string' && el.name) info.name = el.name;
  const mandatory = property(el, MANDATORY_PROPERTY);
  if (mandatory) info.mandatory = mandatory;
  const job = extension(el, 'zeebe:TaskDefinition');
  if (typeof job?.type === 'string') info.jobType = job.type;
  if (el.$type === 'bpmn:UserTask')
    info.userTaskKind = extension(el, 'zeebe:UserTask') ? 'zeebe' : 'job';
  const called = extension(el, 'zeebe:CalledElement');
  if (typeof called?.processId === 'string') info.calledProcessId = called.processId;
  return info;
}

/** Flattens an element's settings into `path → value` (children and layout left out). */
function attributesOf(el: ModdleElement): Record<string, string> {
  const out: Record<string, string> = {};
  flatten(el, '', out);
  const seen = new Map<string, number>();
  for (const ext of extensions(el)) {
    const n = seen.get(ext.$type) ?? 0;
    seen.set(ext.$type, n + 1);
    flatten(ext, n ? `${ext.$type}[${n}].` : `${ext.$type}.`, out);
  }
  return out;
}

function flatten(el: ModdleElement, prefix: string, out: Record<string, string>): void {
  for (const p of el.$descriptor?.properties ?? []) {
    if (STRUCTURE.has(p.name)) continue;
    const value = el[p.name];
    if (value === undefined || value === null) continue;
    const key = prefix + p.name;
    if (p.isReference) {
      const refs = (p.isMany ? list(value) : [value as ModdleElement]).filter(Boolean);
      if (refs.every((r) => r.$instanceOf?.('bpmn:FlowElement')))
        out[key] = refs.map((r) => r.id ?? '').join(',');
      // messages, errors, signals: what they say, not their generated ids
      else refs.forEach((r, i) => flatten(r, p.isMany ? `${key}[${i}].` : `${key}.`, out));
    } else if (SIMPLE.has(p.type) || typeof value !== 'object') {
      if (!(Array.isArray(value) && value.length === 0)) out[key] = String(value);
    } else if (p.isMany) {
      const children = list(value);
      children.forEach((c, i) => flatten(c, `${key}[${childKey(c, i, children)}].`, out));
    } else flatten(value as ModdleElement, `${key}.`, out);
  }
  for (const [name, value] of Object.entries(el.$attrs ?? {}))
    if (!name.startsWith('xmlns') && name !== 'xsi:type') out[`${prefix}@${name}`] = String(value);
}

/** A stable key of a child in a list: its target, key, name or type, else its position. */
function childKey(child: ModdleElement, index: number, siblings: ModdleElement[]): string {
  for (const k of ['target', 'key', 'name'] as const) {
    const v = child[k];
    if (typeof v === 'string' && v && siblings.filter((s) => s[k] === v).length === 1) return v;
  }
  if (siblings.filter((s) => s.$type === child.$type).length === 1) return child.$type;
  return String(index);
}

function edge(model: BpmnModel, from: string, to: string): void {
  const out = model.edges.get(from);
  if (out) out.push(to);
  else model.edges.set(from, [to]);
}

/**
 * Adds a scope's elements and edges: `entry` reaches the scope's start events, end events
 * reach `exit` (the scope's completion), a sub-process's outgoing flows leave from its exit.
 */
function walkScope(
  model: BpmnModel,
  scope: ModdleElement,
  processId: string,
  entry: string,
  exit: string | undefined,
): void {
  const links = new Map<string, { throws: string[]; catches: string[] }>();
  for (const el of list(scope.flowElements)) {
    if (!el.id) continue;
    model.elements.set(el.id, infoOf(el, processId));
    switch (el.$type) {
      case 'bpmn:SequenceFlow': {
        const source = el.sourceRef as ModdleElement | undefined;
        const target = el.targetRef as ModdleElement | undefined;
        if (!source?.id || !target?.id) break;
        const from = source.$type === 'bpmn:SubProcess' ? `${source.id}#exit` : source.id;
        edge(model, from, el.id);
        edge(model, el.id, target.id);
        break;
      }
      case 'bpmn:BoundaryEvent': {
        const host = (el.attachedToRef as ModdleElement | undefined)?.id;
        if (host) edge(model, host, el.id);
        break;
      }
      case 'bpmn:StartEvent':
        edge(model, entry, el.id);
        break;
      case 'bpmn:EndEvent':
        if (exit) edge(model, el.id, exit);
        break;
      case 'bpmn:SubProcess':
        if (el.triggeredByEvent) walkScope(model, el, processId, entry, exit);
        else walkScope(model, el, processId, el.id, `${el.id}#exit`);
        break;
      case 'bpmn:IntermediateThrowEvent':
      case 'bpmn:IntermediateCatchEvent': {
        const link = list(el.eventDefinitions).find((d) => d.$type === 'bpmn:LinkEventDefinition');
        if (!link || typeof link.name !== 'string') break;
        const entryOf = links.get(link.name) ?? { throws: [], catches: [] };
        (el.$type === 'bpmn:IntermediateThrowEvent' ? entryOf.throws : entryOf.catches).push(el.id);
        links.set(link.name, entryOf);
        break;
      }
    }
  }
  for (const { throws, catches } of links.values())
    for (const t of throws) for (const c of catches) edge(model, t, c);
}
