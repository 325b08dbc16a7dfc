import { randomUUID } from 'node:crypto';
import { parseGroup } from '../../auth/groups';
import { STUDENT_SENSITIVE_FIELDS } from '../../auth/authorization-table';
import type { Principal } from '../../auth/principal';
import type { Engine } from '../../engine/engine';
import type { UserTaskDoc } from '../../engine/runtime/commands';
import type { Vars } from '../../engine/runtime/state';
import { ConflictError, NotFoundError, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { type FormSchema, validateSubmission } from '../forms/form-validation';
import {
  assignedList,
  candidateList,
  completedList,
  entryOf,
  groupList,
  type IndexEntry,
  type IndexList,
  type InboxIndex,
  openListsOf,
} from './inbox-index';
import type { TaskEventDoc, TaskEventType, TaskModels } from './tasks.model';
import type { BulkBody, ListTasksQuery } from './tasks.schema';

/** The inbox views. */
export type TaskView = 'assigned' | 'groups' | 'completed';

/** A task as lists show it. */
export interface TaskSummary {
  key: string;
  name: string;
  processId: string;
  processInstanceKey: string;
  elementId: string;
  state: UserTaskDoc['state'];
  assignee: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate: string | null;
  priority: number;
  creationDate: string;
  completionDate: string | null;
  classId: string | null;
  schoolId: string | null;
}

/** One page of a view, with the size of every view under the same filters. */
export interface TaskPage {
  items: TaskSummary[];
  page: number;
  size: number;
  total: number;
  counts: Record<TaskView, number>;
}

/** One entry of a task's timeline. */
export interface TimelineEntry {
  id: string;
  type: TaskEventType;
  by: string;
  byName: string;
  at: string;
  text?: string;
}

/** A task with what the task page needs. */
export interface TaskDetail extends TaskSummary {
  /** The form-js schema, or null when the task has no (deployed) form. */
  form: FormSchema | null;
  /** The variables the task was created with. */
  variables: Record<string, unknown>;
  /** The caller's saved draft values, or null. */
  draft: { values: Record<string, unknown>; savedAt: string } | null;
  /** What the caller may do now. */
  actions: { claim: boolean; unclaim: boolean; complete: boolean };
  /** Inbox actions on this task, oldest first. */
  timeline: TimelineEntry[];
  /** The engine commits of the task's instance: what happened when, and by whom. */
  history: { at: string; by: string; command: string }[];
}

/** One item of a bulk decision: applied, or the error that refused it. */
export interface BulkOutcome {
  key: string;
  ok: boolean;
  error?: unknown;
}

/** How the caller stands to one task. */
interface Access {
  isAssignee: boolean;
  isCandidate: boolean;
  isSchoolAdmin: boolean;
}

/**
 * The task inbox over the engine's user tasks. Candidate groups restrict access: a user sees a
 * task only as its assignee, a candidate (group from their memberships, or candidate user), an
 * administrator of the task's school, or the one who completed it. A task the caller may not
 * see is reported as not found; an action they may not take on a task they see is forbidden.
 */
export class TaskService {
  constructor(
    private readonly engine: Engine,
    private readonly m: TaskModels,
    private readonly now: () => Date = () => new Date(),
    /** The index of open tasks by list; without it, lists query the tasks (scans on FerretDB). */
    private readonly index?: InboxIndex,
  ) {}

  /**
   * One page of a view, filtered and sorted, with the counts of all views. With the index the
   * views come from the caller's lists (a few `_id` reads) and only the page's tasks are read;
   * an overflowed list falls back to querying the tasks.
   */
  async list(p: Principal, q: ListTasksQuery): Promise<TaskPage> {
    if (!this.index) return this.listByQuery(p, q);
    for (let attempt = 0; ; attempt++) {
      const lists = await this.listsOf(p, this.index);
      if (!lists) return this.listByQuery(p, q);
      const views: Record<TaskView, IndexEntry[]> = {
        assigned: lists.assigned.filter((e) => entryMatches(e, q)),
        groups: lists.groups.filter((e) => entryMatches(e, q)),
        completed: lists.completed.filter((e) => entryMatches(e, q)),
      };
      const rows = views[q.view].sort(entryComparator(q.sort));
      const start = (q.page - 1) * q.size;
      const page = rows.slice(start, start + q.size);
      const docs = await Promise.all(
        page.map((e) => this.engine.collections.tasks.findOne({ _id: e.key })),
      );
      const stale = await this.dropStale(p, q.view, page, docs, this.index);
      if (stale && attempt === 0) continue; // the lists changed: count again
      return {
        items: docs
          .filter((d): d is UserTaskDoc => d !== null && isCurrent(d, q.view, p))
          .map(summary),
        page: q.page,
        size: q.size,
        total: rows.length,
        counts: {
          assigned: views.assigned.length,
          groups: views.groups.length,
          completed: views.completed.length,
        },
      };
    }
  }

  /** The caller's lists: assigned to them, of their groups (and as candidate), completed by them. */
  private async listsOf(
    p: Principal,
    index: InboxIndex,
  ): Promise<Record<TaskView, IndexEntry[]> | undefined> {
    const [groups, candidate, assigned, completed] = await Promise.all([
      Promise.all(p.groups.map((g) => index.read(groupList(g)))),
      index.read(candidateList(p.userId)),
      index.read(assignedList(p.userId)),
      index.read(completedList(p.userId)),
    ]);
    const all: IndexList[] = [...groups, candidate, assigned, completed];
    if (all.some((l) => l.overflow)) return undefined;
    const mine = new Map<string, IndexEntry>();
    for (const l of [...groups, candidate]) for (const [k, e] of l.entries) mine.set(k, e);
    return {
      assigned: [...assigned.entries.values()],
      groups: [...mine.values()],
      completed: [...completed.entries.values()],
    };
  }

  /**
   * Takes entries whose task is no longer what the list says out of the lists: a finished task
   * in an open list (left behind by effects re-applied after it finished), or a task missing
   * for a while. A task created a moment ago may not be stored yet, and a reassigned one may
   * still name its old assignee: those are only left off this page. True when any was removed.
   */
  private async dropStale(
    p: Principal,
    view: TaskView,
    page: IndexEntry[],
    docs: (UserTaskDoc | null)[],
    index: InboxIndex,
  ): Promise<boolean> {
    const removals: Promise<void>[] = [];
    page.forEach((entry, i) => {
      const doc = docs[i];
      if (view === 'completed') {
        if (!doc && this.now().getTime() - entry.created > STALE_AFTER_MS)
          removals.push(index.remove(completedList(p.userId), entry.key));
        return;
      }
      if (doc && doc.state !== 'CREATED') {
        const lists = new Set([...openListsOf(doc), ...this.openListsHolding(p, view)]);
        for (const list of lists) removals.push(index.remove(list, entry.key));
      } else if (!doc && this.now().getTime() - entry.created > STALE_AFTER_MS) {
        for (const list of this.openListsHolding(p, view))
          removals.push(index.remove(list, entry.key));
      }
    });
    await Promise.all(removals);
    return removals.length > 0;
  }

  /** The caller's lists a view's entries come from. */
  private openListsHolding(p: Principal, view: TaskView): string[] {
    return view === 'assigned'
      ? [assignedList(p.userId)]
      : [...p.groups.map(groupList), candidateList(p.userId)];
  }

  /** `list` by querying the tasks (no index, or an overflowed list). */
  private async listByQuery(p: Principal, q: ListTasksQuery): Promise<TaskPage> {
    const tasks = this.engine.collections.tasks;
    const [assigned, groups, completed] = await Promise.all([
      tasks.find({ state: 'CREATED', assignee: p.userId }).toArray(),
      p.groups.length
        ? tasks
            .find({
              state: 'CREATED',
              $or: [{ candidateGroups: { $in: p.groups } }, { candidateUsers: p.userId }],
            })
            .toArray()
        : tasks.find({ state: 'CREATED', candidateUsers: p.userId }).toArray(),
      this.completedBy(p.userId),
    ]);
    const views: Record<TaskView, UserTaskDoc[]> = {
      assigned: assigned.filter((task) => matches(task, q)),
      groups: groups.filter((task) => matches(task, q)),
      completed: completed.filter((task) => matches(task, q)),
    };
    const rows = views[q.view].sort(comparator(q.sort));
    const start = (q.page - 1) * q.size;
    return {
      items: rows.slice(start, start + q.size).map(summary),
      page: q.page,
      size: q.size,
      total: rows.length,
      counts: {
        assigned: views.assigned.length,
        groups: views.groups.length,
        completed: views.completed.length,
      },
    };
  }

  /** A task with its form, variables, the caller's draft, timeline and history. */
  async get(p: Principal, key: string): Promise<TaskDetail> {
    const { task, access } = await this.visible(p, key);
    const isOpen = task.state === 'CREATED';
    const [form, draft, timeline, history] = await Promise.all([
      this.formOf(task),
      this.m.drafts.findById(draftId(key, p.userId)).lean(),
      this.timeline(key),
      this.history(task.processInstanceKey),
    ]);
    return {
      ...summary(task),
      form,
      variables: mayReadPersonalData(task, p)
        ? variablesOf(task)
        : withoutPersonalData(variablesOf(task)),
      draft: draft
        ? {
            values: JSON.parse(draft.values) as Record<string, unknown>,
            savedAt: iso(draft.savedAt),
          }
        : null,
      actions: {
        claim: isOpen && access.isCandidate && !task.assignee,
        unclaim: isOpen && Boolean(task.assignee) && (access.isAssignee || access.isSchoolAdmin),
        complete: isOpen && mayComplete(task, access),
      },
      timeline,
      history,
    };
  }

  /** Assigns an open task to the caller, who must be a candidate; another's claim is a 409. */
  async claim(p: Principal, key: string): Promise<void> {
    const { task, access } = await this.open(p, key);
    if (!access.isCandidate && !access.isAssignee) throw forbidden();
    if (access.isAssignee) return;
    if (task.assignee) throw new ConflictError(t('task.claimed_by_other'), 'TASK_CLAIMED_BY_OTHER');
    await this.engine.assignUserTask(key, p.userId, false, p.userId);
    await this.record(p, task, 'claim');
  }

  /** Releases an open task; only its assignee or an administrator of its school may. */
  async unclaim(p: Principal, key: string): Promise<void> {
    const { task, access } = await this.open(p, key);
    if (!access.isAssignee && !access.isSchoolAdmin) throw forbidden();
    if (!task.assignee) return;
    await this.engine.assignUserTask(key, null, true, p.userId);
    await this.record(p, task, 'unclaim');
  }

  /**
   * Completes an open task with form values validated against its form: a refusal (400 with
   * each field path) changes nothing; hidden and undeclared fields are not stored.
   */
  async complete(
    p: Principal,
    key: string,
    values: Record<string, unknown>,
    note?: string,
  ): Promise<void> {
    const { task, access } = await this.open(p, key);
    if (!mayComplete(task, access)) throw forbidden();
    const form = await this.formOf(task);
    // a declared form that cannot be found must not turn into "anything goes"
    if (!form && (task.formKey || task.formId))
      throw new UserError(409, 'TASK_FORM_MISSING', 'task.form_missing');
    let variables = values;
    if (form) {
      const result = validateSubmission(form, values, variablesOf(task));
      if (result.errors.length)
        throw new UserError(
          400,
          'FORM_INVALID',
          'task.form_invalid',
          result.errors.map((e) => `${e.path}：${e.message}`).join('；'),
          { fields: result.errors },
        );
      variables = result.data;
    }
    try {
      // request bodies are parsed JSON, so the values are JSON values
      await this.engine.completeUserTask(key, variables as Vars, undefined, p.userId);
    } catch (err) {
      // completed by someone else since it was read (the engine's commit let one of them win):
      // the same answer as for a task found done
      if ((err as { status?: unknown }).status === 404)
        throw new ConflictError(t('task.not_open'), 'TASK_NOT_OPEN');
      throw err;
    }
    await this.record(p, task, 'complete', note);
    await this.m.drafts.deleteOne({ _id: draftId(key, p.userId) });
  }

  /** Saves the caller's draft of an open task's form values (replacing an older one). */
  async saveDraft(p: Principal, key: string, values: Record<string, unknown>): Promise<void> {
    const { task } = await this.open(p, key);
    const savedAt = this.now();
    await this.m.drafts.updateOne(
      { _id: draftId(key, p.userId) },
      { $set: { taskKey: key, userId: p.userId, values: JSON.stringify(values), savedAt } },
      { upsert: true },
    );
    await this.record(p, task, 'draft');
  }

  /** Adds a comment to a task the caller may see (open or not). */
  async comment(p: Principal, key: string, text: string): Promise<TimelineEntry> {
    const { task } = await this.visible(p, key);
    return entry(await this.record(p, task, 'comment', text));
  }

  /**
   * A class teacher's decision on many tasks: each key is completed on its own, and refusals
   * are reported per key. The decision is offered in both review-form conventions, the
   * templates' `{ decision, reason }` and the older `{ approved, reviewComment }`; each task's
   * form keeps only its own fields.
   */
  async bulk(p: Principal, body: BulkBody): Promise<BulkOutcome[]> {
    if (!p.roles.includes('classTeacher'))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', t('task.bulk_role'));
    const variables = {
      decision: body.decision,
      ...(body.reason ? { reason: body.reason } : {}),
      approved: body.decision === 'approve',
      reviewComment: body.reason,
    };
    const outcomes: BulkOutcome[] = [];
    for (const key of [...new Set(body.keys)]) {
      try {
        await this.complete(p, key, variables, body.reason || undefined);
        outcomes.push({ key, ok: true });
      } catch (error) {
        outcomes.push({ key, ok: false, error });
      }
    }
    return outcomes;
  }

  // helpers //////////

  private async visible(p: Principal, key: string): Promise<{ task: UserTaskDoc; access: Access }> {
    const task = await this.engine.collections.tasks.findOne({ _id: key });
    if (!task) throw notFound(key);
    const access = accessOf(task, p);
    if (access.isAssignee || access.isCandidate || access.isSchoolAdmin) return { task, access };
    const completedByMe = await this.m.events
      .findOne({ taskKey: key, type: 'complete', by: p.userId })
      .lean();
    if (!completedByMe) throw notFound(key);
    return { task, access };
  }

  private async open(p: Principal, key: string): Promise<{ task: UserTaskDoc; access: Access }> {
    const seen = await this.visible(p, key);
    if (seen.task.state !== 'CREATED') throw new ConflictError(t('task.not_open'), 'TASK_NOT_OPEN');
    return seen;
  }

  private async completedBy(userId: string): Promise<UserTaskDoc[]> {
    const events = await this.m.events.find({ type: 'complete', by: userId }).lean();
    const keys = [...new Set(events.map((e) => e.taskKey))];
    if (!keys.length) return [];
    return this.engine.collections.tasks.find({ _id: { $in: keys } }).toArray();
  }

  private async formOf(task: UserTaskDoc): Promise<FormSchema | null> {
    const ref = task.formKey ?? task.formId;
    if (!ref) return null;
    const form = await this.engine.form(ref, task.tenantId);
    return form ? (JSON.parse(form.schema) as FormSchema) : null;
  }

  private async timeline(key: string): Promise<TimelineEntry[]> {
    const events = await this.m.events.find({ taskKey: key }).lean();
    return events
      .sort((a, b) => a.at.getTime() - b.at.getTime() || a._id.localeCompare(b._id))
      .map(entry);
  }

  private async history(instanceKey: string): Promise<TaskDetail['history']> {
    try {
      const commits = await this.engine.history(instanceKey);
      return commits.map((c) => ({
        at: new Date(c.at).toISOString(),
        by: c.by,
        command: (JSON.parse(c.cmd) as { t?: string } | null)?.t ?? 'create',
      }));
    } catch {
      return [];
    }
  }

  private async record(
    p: Principal,
    task: UserTaskDoc,
    type: TaskEventType,
    text?: string,
  ): Promise<TaskEventDoc> {
    const at = this.now();
    const doc: TaskEventDoc = {
      _id: `${task._id}:${String(at.getTime()).padStart(15, '0')}:${randomUUID()}`,
      taskKey: task._id,
      processInstanceKey: task.processInstanceKey,
      type,
      by: p.userId,
      byName: p.displayName,
      at,
      ...(text ? { text } : {}),
    };
    await this.m.events.create(doc);
    if (type === 'complete')
      await this.index?.add(completedList(p.userId), entryOf(task, classIdOf(task)));
    return doc;
  }
}

/** How old an entry must be before a missing task counts as gone rather than not yet stored. */
const STALE_AFTER_MS = 5 * 60_000;

/** Does the task (read for a page) still belong to the view its entry came from? */
function isCurrent(task: UserTaskDoc, view: TaskView, p: Principal): boolean {
  if (view === 'completed') return true;
  if (task.state !== 'CREATED') return false;
  return view !== 'assigned' || task.assignee === p.userId;
}

/** `matches` over an index entry. */
function entryMatches(e: IndexEntry, q: ListTasksQuery): boolean {
  if (q.process && e.processId !== q.process) return false;
  if (q.classId && e.classId !== q.classId) return false;
  if (q.dueBefore && (e.due === null || e.due >= Date.parse(q.dueBefore))) return false;
  if (q.priority !== undefined && e.priority < q.priority) return false;
  if (q.q) {
    const needle = q.q.toLowerCase();
    if (!`${e.name} ${e.elementId}`.toLowerCase().includes(needle)) return false;
  }
  return true;
}

/** `comparator` over index entries. */
function entryComparator(sort: ListTasksQuery['sort']): (a: IndexEntry, b: IndexEntry) => number {
  const desc = sort.startsWith('-');
  const field = desc ? sort.slice(1) : sort;
  const value = (e: IndexEntry): string | number => {
    switch (field) {
      case 'due':
        return e.due ?? Number.MAX_SAFE_INTEGER;
      case 'priority':
        return e.priority;
      case 'name':
        return e.name;
      default:
        return e.created;
    }
  };
  return (a, b) => {
    const x = value(a);
    const y = value(b);
    const c = typeof x === 'string' ? x.localeCompare(String(y), 'zh-CN') : x - (y as number);
    return (desc ? -c : c) || a.key.localeCompare(b.key);
  };
}

function draftId(key: string, userId: string): string {
  return `${key}|${userId}`;
}

function notFound(key: string): NotFoundError {
  return new NotFoundError(`任务 ${key} 不存在`, 'TASK_NOT_FOUND');
}

function forbidden(): UserError {
  return new UserError(403, 'TASK_FORBIDDEN', 'task.forbidden');
}

function accessOf(task: UserTaskDoc, p: Principal): Access {
  const groups = new Set(p.groups);
  const schoolId = schoolOf(task);
  return {
    isAssignee: Boolean(task.assignee) && task.assignee === p.userId,
    isCandidate:
      task.candidateUsers.includes(p.userId) || task.candidateGroups.some((g) => groups.has(g)),
    isSchoolAdmin:
      schoolId !== null &&
      p.memberships.some((m) => m.role === 'schoolAdmin' && m.scope.schoolId === schoolId),
  };
}

/** The assignee completes; an unassigned task may be completed by a candidate directly. */
function mayComplete(task: UserTaskDoc, access: Access): boolean {
  return task.assignee ? access.isAssignee : access.isCandidate;
}

/**
 * Students' personal fields (docs/authorization.md) are for the class teacher of the task's
 * class and the administrators and principal of its school; other candidates (a committee,
 * subject teachers) see the task's variables without them.
 */
function mayReadPersonalData(task: UserTaskDoc, p: Principal): boolean {
  const classId = scopeOf(task, 'class');
  const schoolId = schoolOf(task);
  return p.memberships.some(
    (m) =>
      (m.role === 'classTeacher' && classId !== null && m.scope.classId === classId) ||
      ((m.role === 'schoolAdmin' || m.role === 'principal') &&
        schoolId !== null &&
        m.scope.schoolId === schoolId &&
        !m.scope.classId),
  );
}

const PERSONAL = new Set<string>(STUDENT_SENSITIVE_FIELDS);

/** A copy of `value` without personal fields, at any depth. */
function withoutPersonalData<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutPersonalData) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!PERSONAL.has(k)) out[k] = withoutPersonalData(v);
  return out as T;
}

function variablesOf(task: UserTaskDoc): Record<string, unknown> {
  try {
    const v = JSON.parse(task.variables || '{}') as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The class of a task: its `classId` variable, else a `class:<id>:…` candidate group. */
export function classIdOf(task: UserTaskDoc): string | null {
  return scopeOf(task, 'class');
}

/** The scope id of a level: the task's `<level>Id` variable, else its candidate groups. */
function scopeOf(task: UserTaskDoc, level: 'class' | 'school'): string | null {
  const v = variablesOf(task)[`${level}Id`];
  if (typeof v === 'string' && v) return v;
  for (const g of task.candidateGroups) {
    const ref = parseGroup(g);
    if (ref?.level === level) return ref.id;
  }
  return null;
}

function schoolOf(task: UserTaskDoc): string | null {
  return scopeOf(task, 'school');
}

function matches(task: UserTaskDoc, q: ListTasksQuery): boolean {
  if (q.process && task.bpmnProcessId !== q.process) return false;
  if (q.classId && scopeOf(task, 'class') !== q.classId) return false;
  if (q.dueBefore) {
    if (!task.dueDate || Date.parse(task.dueDate) >= Date.parse(q.dueBefore)) return false;
  }
  if (q.priority !== undefined && task.priority < q.priority) return false;
  if (q.q) {
    const needle = q.q.toLowerCase();
    const hay = `${task.elementName ?? ''} ${task.elementId}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

function comparator(sort: ListTasksQuery['sort']): (a: UserTaskDoc, b: UserTaskDoc) => number {
  const desc = sort.startsWith('-');
  const field = desc ? sort.slice(1) : sort;
  const value = (task: UserTaskDoc): string | number => {
    switch (field) {
      case 'due':
        return task.dueDate ? Date.parse(task.dueDate) : Number.MAX_SAFE_INTEGER;
      case 'priority':
        return task.priority;
      case 'name':
        return task.elementName ?? task.elementId;
      default:
        return Date.parse(task.creationDate);
    }
  };
  return (a, b) => {
    const x = value(a);
    const y = value(b);
    const c = typeof x === 'string' ? x.localeCompare(String(y), 'zh-CN') : x - (y as number);
    return (desc ? -c : c) || a._id.localeCompare(b._id);
  };
}

function summary(task: UserTaskDoc): TaskSummary {
  return {
    key: task._id,
    name: task.elementName ?? task.elementId,
    processId: task.bpmnProcessId,
    processInstanceKey: task.processInstanceKey,
    elementId: task.elementId,
    state: task.state,
    assignee: task.assignee ?? null,
    candidateGroups: task.candidateGroups,
    candidateUsers: task.candidateUsers,
    dueDate: task.dueDate ?? null,
    priority: task.priority,
    creationDate: task.creationDate,
    completionDate: task.completionDate ?? null,
    classId: scopeOf(task, 'class'),
    schoolId: schoolOf(task),
  };
}

function entry(e: TaskEventDoc): TimelineEntry {
  return {
    id: e._id,
    type: e.type,
    by: e.by,
    byName: e.byName,
    at: iso(e.at),
    ...(e.text ? { text: e.text } : {}),
  };
}

function iso(d: Date | string): string {
  return new Date(d).toISOString();
}
