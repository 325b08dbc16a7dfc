import { createTwoFilesPatch } from 'diff';
import { readModel } from '../../lint/bpmn-model';

/**
 * Diffs between two versions: element by element (what a reviewer reads: which steps were
 * added, removed or changed, and which of their attributes), and a unified text diff of the
 * files for the rest (layout, comments, order).
 */

/** An element as a diff compares it. */
export interface DiffElement {
  id: string;
  type: string;
  name?: string;
  attributes: Record<string, string>;
}

/** One element that changed, with each changed attribute. */
export interface ChangedElement {
  id: string;
  type: string;
  name?: string;
  /** The type before, when it changed. */
  typeBefore?: string;
  attributes: { name: string; before: string | null; after: string | null }[];
}

/** The element-level part of a diff. */
export interface ElementDiff {
  added: { id: string; type: string; name?: string }[];
  removed: { id: string; type: string; name?: string }[];
  changed: ChangedElement[];
}

/** Compares two sets of elements by id. */
export function diffElements(
  before: Map<string, DiffElement>,
  after: Map<string, DiffElement>,
): ElementDiff {
  const brief = (e: DiffElement) => ({
    id: e.id,
    type: e.type,
    ...(e.name ? { name: e.name } : {}),
  });
  const result: ElementDiff = { added: [], removed: [], changed: [] };
  for (const [id, e] of after) if (!before.has(id)) result.added.push(brief(e));
  for (const [id, e] of before) if (!after.has(id)) result.removed.push(brief(e));
  for (const [id, b] of before) {
    const a = after.get(id);
    if (!a) continue;
    const names = [...new Set([...Object.keys(b.attributes), ...Object.keys(a.attributes)])].sort();
    const attributes = names
      .filter((n) => b.attributes[n] !== a.attributes[n])
      .map((n) => ({ name: n, before: b.attributes[n] ?? null, after: a.attributes[n] ?? null }));
    if (attributes.length || a.type !== b.type)
      result.changed.push({
        ...brief(a),
        ...(a.type !== b.type ? { typeBefore: b.type } : {}),
        attributes,
      });
  }
  const byId = (x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id);
  result.added.sort(byId);
  result.removed.sort(byId);
  result.changed.sort(byId);
  return result;
}

/** The element-level diff of two BPMN files (layout left out). */
export async function diffBpmn(fromXml: string, toXml: string): Promise<ElementDiff> {
  const [from, to] = await Promise.all([readModel(fromXml), readModel(toXml)]);
  return diffElements(from.elements, to.elements);
}

/** A unified diff of two texts, with the given file labels. */
export function unifiedDiff(fromLabel: string, toLabel: string, from: string, to: string): string {
  return createTwoFilesPatch(fromLabel, toLabel, from, to, undefined, undefined, { context: 3 });
}
