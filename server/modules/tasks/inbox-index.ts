import type { Collection } from 'mongodb';
import type { Effect, UserTaskDoc } from '../../engine/runtime/commands';
import { isDuplicateKey } from '../../engine/store/collections';

/**
 * The inbox's index of open user tasks, served by `_id` lookups only.
 *
 * FerretDB 1.24 on SQLite uses an index only for an exact `{ _id }` filter (ADR 0003): a
 * filter on `candidateGroups` reads every task, about 0.3 s per 1,000 tasks on this machine.
 * So each inbox list (the open tasks of a candidate group, of a candidate user, assigned to a
 * user, and the tasks a user completed) is kept as a small document per list, found by `_id`:
 *
 * - `<list>@<v>`: version `v` of the list, immutable, with its entries as JSON (each entry is
 *   what the inbox filters and sorts by: key, process, class, due, priority, name, created);
 * - `<list>`: a pointer to a recent version (a hint; readers look for newer versions).
 *
 * A change writes version `v + 1` by inserting it: inserting a unique `_id` is the one atomic
 * compare-and-swap FerretDB offers (ADR 0004), so of two concurrent changes one wins and the
 * other re-reads and tries again; nothing is lost. `KEEP` versions later a version's entries
 * are dropped, leaving a small tombstone: a version id is never free again, so a writer that
 * stalled between reading version `v` and inserting `v + 1` can never slip in behind newer
 * versions (as it could if old versions were deleted). The engine reports every commit's effects before writing them
 * (`Engine.observeEffects`): a task is added to its lists before it is stored and removed
 * before it is completed or cancelled, so the index never lacks an open task while the
 * engine runs. Both are idempotent, as effects may be applied again by recovery.
 *
 * Residual: effects re-applied by a node's start-up recovery after the task moved on may
 * re-add it; such entries are dropped when a list shows them (the list reads every task it
 * shows by `_id` and checks it). A list above `MAX_ENTRIES` is marked overflowed and the inbox
 * reads it with a query instead.
 */

/** What the inbox filters and sorts a task by: one entry of a list. */
export interface IndexEntry {
  key: string;
  processId: string;
  classId: string | null;
  /** ms since epoch, or null. */
  due: number | null;
  priority: number;
  name: string;
  elementId: string;
  /** ms since epoch. */
  created: number;
}

/** A version of a list, or the pointer to one. */
export interface InboxIndexDoc {
  _id: string;
  /** Pointer: the version it points at. Version: its own number. */
  v: number;
  /** Versions: the entries as JSON (`IndexEntryTuple[]`). */
  entries?: string;
  /** Versions: the list grew beyond `MAX_ENTRIES` and is no longer kept. */
  overflow?: boolean;
  /** A version `KEEP` versions behind the latest: its entries were dropped. */
  gone?: boolean;
}

/** A list as read: its entries by task key, or overflowed. */
export interface IndexList {
  entries: Map<string, IndexEntry>;
  overflow: boolean;
}

type IndexEntryTuple = [
  string,
  string,
  string | null,
  number | null,
  number,
  string,
  string,
  number,
];

/** Versions kept whole behind the latest, for readers that started at one of them. */
const KEEP = 16;
/** Beyond this many entries a list is not kept (a list document stays well under 16 MB). */
export const MAX_ENTRIES = 20_000;
const MAX_ATTEMPTS = 200;

/** The lists a task belongs to while open. */
export function openListsOf(
  task: Pick<UserTaskDoc, 'candidateGroups' | 'candidateUsers' | 'assignee'>,
): string[] {
  return [
    ...task.candidateGroups.map(groupList),
    ...task.candidateUsers.map(candidateList),
    ...(task.assignee ? [assignedList(task.assignee)] : []),
  ];
}

/** The list of a candidate group's open tasks. */
export function groupList(group: string): string {
  return `g|${group}`;
}

/** The list of open tasks naming a user as a candidate. */
export function candidateList(userId: string): string {
  return `cu|${userId}`;
}

/** The list of open tasks assigned to a user. */
export function assignedList(userId: string): string {
  return `a|${userId}`;
}

/** The list of tasks a user completed through the inbox. */
export function completedList(userId: string): string {
  return `done|${userId}`;
}

/** The entry of a task, from its document. */
export function entryOf(task: UserTaskDoc, classId: string | null): IndexEntry {
  return {
    key: task._id,
    processId: task.bpmnProcessId,
    classId,
    due: task.dueDate ? Date.parse(task.dueDate) : null,
    priority: task.priority,
    name: task.elementName ?? task.elementId,
    elementId: task.elementId,
    created: Date.parse(task.creationDate),
  };
}

/** The index's lists, on one collection. */
export class InboxIndex {
  /** The latest version this node has seen of each list: where a read starts looking. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly c: Collection<InboxIndexDoc>,
    private readonly classOf: (task: UserTaskDoc) => string | null,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** Keeps the index in step with the engine (`Engine.observeEffects`). */
  readonly observe = async (
    effects: readonly Effect[],
    taskOf: (key: string) => Promise<UserTaskDoc | null>,
  ): Promise<void> => {
    for (const e of effects) {
      if (e.op === 'put' && e.coll === 'tasks') {
        const task = e.doc as unknown as UserTaskDoc;
        if (task.state === 'CREATED') await this.addOpen(task);
      } else if (e.op === 'set' && e.coll === 'tasks') {
        const task = await taskOf(e.id);
        if (!task) continue;
        if ('state' in e.fields && e.fields.state !== 'CREATED') await this.removeOpen(task);
        else if ('assignee' in e.fields && task.state === 'CREATED') {
          const next = e.fields.assignee as string | null;
          if (task.assignee === next) continue;
          await Promise.all([
            task.assignee ? this.remove(assignedList(task.assignee), task._id) : undefined,
            next ? this.add(assignedList(next), entryOf(task, this.classOf(task))) : undefined,
          ]);
        }
      }
    }
  };

  /** Adds an open task to every list it belongs to. */
  async addOpen(task: UserTaskDoc): Promise<void> {
    const entry = entryOf(task, this.classOf(task));
    await Promise.all(openListsOf(task).map((list) => this.add(list, entry)));
  }

  /** Removes a task from every open list it belongs to. */
  async removeOpen(task: UserTaskDoc): Promise<void> {
    await Promise.all(openListsOf(task).map((list) => this.remove(list, task._id)));
  }

  /** Adds entries to a list (no change for those already there). */
  async add(list: string, ...added: IndexEntry[]): Promise<void> {
    await this.change(list, (entries) => {
      let changed = false;
      for (const entry of added) {
        if (entries.has(entry.key)) continue;
        entries.set(entry.key, entry);
        changed = true;
      }
      return changed;
    });
  }

  /** Removes a task from a list (no change when it is not there). */
  async remove(list: string, key: string): Promise<void> {
    await this.change(list, (entries) => entries.delete(key));
  }

  /** The latest version of a list. */
  async read(list: string): Promise<IndexList> {
    return toList(await this.latest(list));
  }

  // helpers //////////

  /** Applies `edit` to the latest version and writes it as the next; retries when another change won. */
  private async change(
    list: string,
    edit: (entries: Map<string, IndexEntry>) => boolean,
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.latest(list);
      const { entries, overflow } = toList(current);
      if (overflow || !edit(entries)) return;
      const v = (current?.v ?? 0) + 1;
      const next: InboxIndexDoc =
        entries.size > this.maxEntries
          ? { _id: versionId(list, v), v, overflow: true }
          : {
              _id: versionId(list, v),
              v,
              entries: JSON.stringify([...entries.values()].map(toTuple)),
            };
      try {
        await this.c.insertOne(next);
      } catch (err) {
        if (isDuplicateKey(err)) continue; // another change won: re-read and apply again
        throw err;
      }
      // the pointer and the clean-up are hints: a reader finds newer versions by looking
      await this.c.replaceOne({ _id: list }, { v }, { upsert: true }).catch(ignoreDuplicate);
      if (v > KEEP)
        await this.c.replaceOne({ _id: versionId(list, v - KEEP) }, { v: v - KEEP, gone: true });
      return;
    }
    throw new Error(`inbox index: too many concurrent changes of ${list}`);
  }

  /**
   * The latest version document of a list, or undefined when it was never written. Starts at
   * the version this node saw last (one round trip when nothing changed), else at the pointer.
   */
  private async latest(list: string): Promise<InboxIndexDoc | undefined> {
    const known = this.seen.get(list);
    if (known !== undefined) {
      const found = await this.latestFrom(list, known, 'stop');
      if (found !== 'behind') return this.remember(list, found);
    }
    const pointer = await this.c.findOne({ _id: list });
    const found = await this.latestFrom(list, pointer?.v ?? 0, 'walk');
    return this.remember(list, found === 'behind' ? undefined : found);
  }

  private remember(list: string, doc: InboxIndexDoc | undefined): InboxIndexDoc | undefined {
    if (this.seen.size >= 50_000) this.seen.clear(); // bounded memory; reads fall back to the pointer
    this.seen.set(list, doc?.v ?? 0);
    return doc;
  }

  /**
   * Follows versions from `start` to the latest. Meeting tombstones means the start lags far
   * behind: with `'stop'` it answers `'behind'` (the caller starts again at the pointer), with
   * `'walk'` it walks on (a pointer that lagged far behind; rare).
   */
  private async latestFrom(
    list: string,
    start: number,
    whenBehind: 'stop' | 'walk',
  ): Promise<InboxIndexDoc | undefined | 'behind'> {
    let v = start;
    /** The document of version v, once read. */
    let current: InboxIndexDoc | undefined;
    for (let step = 0; step < 1_000_000; step++) {
      const [doc, next] = await Promise.all([
        current || v === 0 ? current : this.c.findOne({ _id: versionId(list, v) }),
        this.c.findOne({ _id: versionId(list, v + 1) }),
      ]);
      if ((doc?.gone || next?.gone || (v > 0 && !doc)) && whenBehind === 'stop') return 'behind';
      if (next) {
        current = next;
        v++;
        continue;
      }
      if (v === 0) return undefined; // never written
      if (doc && !doc.gone) return doc;
      throw new Error(`inbox index: version ${v} of ${list} is the latest but has no entries`);
    }
    throw new Error(`inbox index: no version of ${list} found`);
  }
}

function ignoreDuplicate(err: unknown): void {
  if (!isDuplicateKey(err)) throw err;
}

function versionId(list: string, v: number): string {
  return `${list}@${v}`;
}

function toList(doc: InboxIndexDoc | undefined): IndexList {
  if (doc?.overflow) return { entries: new Map(), overflow: true };
  const tuples = doc?.entries ? (JSON.parse(doc.entries) as IndexEntryTuple[]) : [];
  return { entries: new Map(tuples.map((t) => [t[0], fromTuple(t)])), overflow: false };
}

function toTuple(e: IndexEntry): IndexEntryTuple {
  return [e.key, e.processId, e.classId, e.due, e.priority, e.name, e.elementId, e.created];
}

function fromTuple(t: IndexEntryTuple): IndexEntry {
  return {
    key: t[0],
    processId: t[1],
    classId: t[2],
    due: t[3],
    priority: t[4],
    name: t[5],
    elementId: t[6],
    created: t[7],
  };
}
