import type { Collection, Filter, Sort } from 'mongodb';
import { accessibleQuery, type AppAbility, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { type Engine, parseState } from '../../engine/engine';
import type { CProcess } from '../../engine/model/types';
import type { Command, HistoryEvent, IncidentDoc } from '../../engine/runtime/commands';
import type { InstanceDoc } from '../../engine/store/collections';
import { ConflictError, NotFoundError, UserError } from '../../lib/errors';
import { type MessageKey, t } from '../../lib/i18n';
import type { UserService } from '../users/users.service';
import type {
  CurrentStep,
  DefinitionStatistics,
  DefinitionView,
  Incident,
  InstanceDetail,
  InstancePage,
  InstanceSummary,
  ListInstancesQuery,
  StatisticsQuery,
  Timeline,
  TimelineEntry,
} from './monitor.schema';

/** An instance document with the scope ids the engine copies onto it (its `scopeVariables`). */
type ScopedInstanceDoc = InstanceDoc & {
  cityId?: string;
  countyId?: string;
  schoolId?: string;
  classId?: string;
};

/**
 * The instance monitor over the engine's instances: lists, one instance with where it stands,
 * its timeline (the engine's commits) and incidents, and retrying an incident. Who sees what is
 * the CASL `Instance` subject, with conditions on the scope ids the engine copies onto every
 * instance document (`EngineOptions.scopeVariables`); an instance the caller may not read is
 * reported as not found.
 */
export class MonitorService {
  constructor(
    private readonly engine: Engine,
    private readonly users: Pick<UserService, 'findById'>,
  ) {}

  /** One page of the instances the caller may read, filtered and sorted. */
  async list(ability: AppAbility, q: ListInstancesQuery): Promise<InstancePage> {
    const access = accessibleQuery(ability, 'read', 'Instance');
    const empty = { items: [], page: q.page, size: q.size, total: 0 };
    if (!access) return empty;
    const query = { $and: [access, filterOf(q)] } as Filter<ScopedInstanceDoc>;
    const desc = q.sort.startsWith('-') ? -1 : 1;
    const sort: Sort = q.sort.endsWith('process')
      ? { bpmnProcessId: desc, startDate: -1, _id: -1 }
      : { startDate: desc, _id: desc };
    const [docs, total] = await Promise.all([
      this.instances
        .find(query, { projection: { fx: 0 } })
        .sort(sort)
        .skip((q.page - 1) * q.size)
        .limit(q.size)
        .toArray(),
      this.instances.countDocuments(query),
    ]);
    return {
      items: await Promise.all(docs.map((d) => this.summary(d))),
      page: q.page,
      size: q.size,
      total,
    };
  }

  /** One instance with where it stands and what the caller may do with it. */
  async get(ability: AppAbility, key: string): Promise<InstanceDetail> {
    const doc = await this.readable(ability, key);
    return {
      ...(await this.summary(doc)),
      actions: { retry: ability.can('update', subject('Instance', doc)) },
    };
  }

  /**
   * A process's instances the caller may read, per deployed version (newest first): how many
   * are active, completed, terminated or have an incident, and per element how many active
   * instances stand on it and how many of those are stuck on an incident (the monitor's
   * diagram overlays).
   */
  async statistics(
    ability: AppAbility,
    q: StatisticsQuery,
  ): Promise<{ items: DefinitionStatistics[] }> {
    const access = accessibleQuery(ability, 'read', 'Instance');
    if (!access) return { items: [] };
    const docs = await this.instances
      .find(
        {
          $and: [
            access,
            { bpmnProcessId: q.process },
            ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
          ],
        } as Filter<ScopedInstanceDoc>,
        { projection: { fx: 0 } },
      )
      .toArray();
    const byKey = new Map<string, DefinitionStatistics>();
    const elements = new Map<string, Map<string, { active: number; incidents: number }>>();
    for (const doc of docs) {
      let stats = byKey.get(doc.processDefinitionKey);
      const { def, proc } = await this.engine.definition(doc.processDefinitionKey);
      if (!stats) {
        stats = {
          processDefinitionKey: doc.processDefinitionKey,
          processId: doc.bpmnProcessId,
          processName: def.name ?? proc.name ?? doc.bpmnProcessId,
          processVersion: doc.processVersion,
          tenantId: def.tenantId,
          instances: { active: 0, completed: 0, terminated: 0, withIncident: 0 },
          elements: [],
        };
        byKey.set(doc.processDefinitionKey, stats);
        elements.set(doc.processDefinitionKey, new Map());
      }
      const state =
        doc.state === 'ACTIVE' ? 'active' : doc.state === 'COMPLETED' ? 'completed' : 'terminated';
      stats.instances[state]++;
      if (doc.hasIncident) stats.instances.withIncident++;
      if (doc.state !== 'ACTIVE' || !doc.s) continue;
      const counts = elements.get(doc.processDefinitionKey)!;
      for (const step of currentSteps(doc, proc)) {
        const c = counts.get(step.elementId) ?? { active: 0, incidents: 0 };
        c.active += step.count;
        counts.set(step.elementId, c);
      }
      for (const e of Object.values(parseState(doc).els)) {
        if (!e.inc) continue;
        const c = counts.get(e.id) ?? { active: 0, incidents: 0 };
        c.incidents++;
        counts.set(e.id, c);
      }
    }
    const items = [...byKey.values()].sort((a, b) => b.processVersion - a.processVersion);
    for (const item of items) {
      const { proc } = await this.engine.definition(item.processDefinitionKey);
      item.elements = [...elements.get(item.processDefinitionKey)!.entries()]
        .map(([elementId, c]) => ({ elementId, elementName: elementName(proc, elementId), ...c }))
        .sort((a, b) => a.elementId.localeCompare(b.elementId));
    }
    return { items };
  }

  /**
   * A deployed version with its XML, for the diagram: only for those who may read at least one
   * instance of it (another school's variant is not found, as if it did not exist).
   */
  async definition(ability: AppAbility, key: string): Promise<DefinitionView> {
    const access = accessibleQuery(ability, 'read', 'Instance');
    const found = access
      ? await this.instances.findOne(
          { $and: [access, { processDefinitionKey: key }] } as Filter<ScopedInstanceDoc>,
          { projection: { _id: 1 } },
        )
      : null;
    const def = found ? await this.engine.definition(key).catch(() => undefined) : undefined;
    if (!def) throw new NotFoundError(`流程版本 ${key} 不存在`, 'DEFINITION_NOT_FOUND');
    return {
      key,
      processId: def.def.bpmnProcessId,
      processName: def.def.name ?? def.proc.name ?? def.def.bpmnProcessId,
      processVersion: def.def.version,
      tenantId: def.def.tenantId,
      xml: def.def.xml,
    };
  }

  /** The instance's commits as a readable timeline, oldest first. */
  async timeline(ability: AppAbility, key: string): Promise<Timeline> {
    const doc = await this.readable(ability, key);
    const { proc } = await this.engine.definition(doc.processDefinitionKey);
    const commits = await this.engine.history(key);
    const names = await this.actorNames(commits.map((c) => c.by));
    const entries = commits.map((c, i): TimelineEntry => {
      const command = (JSON.parse(c.cmd) as Command | null)?.t ?? 'create';
      const events = (JSON.parse(c.ev) as HistoryEvent[]).map(([, id, transition, , type]) => ({
        elementId: id,
        elementName: elementName(proc, id),
        elementType: type,
        transition: TRANSITIONS[transition],
        transitionName: t(TRANSITION_NAMES[transition]),
      }));
      const byName = names.get(c.by) ?? c.by;
      const commandName = COMMAND_NAMES[command] ? t(COMMAND_NAMES[command]) : command;
      const moved = events.map((e) => `${e.elementName}${e.transitionName}`).join('、');
      return {
        version: Number(c._id.slice(c._id.lastIndexOf(':') + 1)) || i + 1,
        at: new Date(c.at).toISOString(),
        by: c.by,
        byName,
        command,
        commandName,
        events,
        text: moved
          ? t('monitor.timeline_moved', { by: byName, command: commandName, moved })
          : t('monitor.timeline', { by: byName, command: commandName }),
      };
    });
    return { key, entries };
  }

  /** The instance's incidents (open and resolved), newest first. */
  async incidents(ability: AppAbility, key: string): Promise<{ items: Incident[] }> {
    const doc = await this.readable(ability, key);
    const { proc } = await this.engine.definition(doc.processDefinitionKey);
    const docs = await this.engine.collections.incidents
      .find({ processInstanceKey: key })
      .toArray();
    const items = await Promise.all(docs.map((inc) => this.incident(inc, proc)));
    return {
      items: items.sort(
        (a, b) => b.creationTime.localeCompare(a.creationTime) || b.key.localeCompare(a.key),
      ),
    };
  }

  /**
   * Retries an open incident, as Camunda Operate does: a job that ran out of retries gets
   * `retries` back first, then the incident is resolved and the step runs again. Only those who
   * may update the instance (administrators) may.
   */
  async retry(ability: AppAbility, p: Principal, key: string, retries: number): Promise<void> {
    const inc = await this.engine.collections.incidents.findOne({ _id: key });
    if (!inc) throw incidentNotFound(key);
    const doc = await this.engine.loadInstance(inc.processInstanceKey);
    if (!doc || !ability.can('read', subject('Instance', doc))) throw incidentNotFound(key);
    if (!ability.can('update', subject('Instance', doc)))
      throw new UserError(403, 'MONITOR_FORBIDDEN', 'monitor.retry_forbidden');
    if (inc.state !== 'ACTIVE')
      throw new ConflictError(t('monitor.incident_resolved'), 'INCIDENT_NOT_ACTIVE');
    if (inc.jobKey) {
      const job = await this.engine.collections.jobs.findOne({ _id: inc.jobKey });
      if (job && job.retries < 1) await this.engine.updateJob(inc.jobKey, { retries });
    }
    await this.engine.resolveIncident(key, p.userId);
  }

  // helpers //////////

  private get instances(): Collection<ScopedInstanceDoc> {
    return this.engine.collections.instances as Collection<ScopedInstanceDoc>;
  }

  /** The instance if the caller may read it; otherwise not found, as if it did not exist. */
  private async readable(ability: AppAbility, key: string): Promise<ScopedInstanceDoc> {
    const doc = (await this.engine.loadInstance(key)) as ScopedInstanceDoc | undefined;
    if (!doc || !ability.can('read', subject('Instance', doc)))
      throw new NotFoundError(`流程实例 ${key} 不存在`, 'INSTANCE_NOT_FOUND');
    return doc;
  }

  private async summary(doc: ScopedInstanceDoc): Promise<InstanceSummary> {
    const { def, proc } = await this.engine.definition(doc.processDefinitionKey);
    return {
      key: doc._id,
      processId: doc.bpmnProcessId,
      processName: def.name ?? proc.name ?? doc.bpmnProcessId,
      processVersion: doc.processVersion,
      processDefinitionKey: doc.processDefinitionKey,
      state: doc.state,
      hasIncident: doc.hasIncident,
      startDate: doc.startDate,
      endDate: doc.endDate ?? null,
      parentKey: doc.parentProcessInstanceKey ?? null,
      cityId: doc.cityId ?? null,
      countyId: doc.countyId ?? null,
      schoolId: doc.schoolId ?? null,
      classId: doc.classId ?? null,
      currentSteps: doc.state === 'ACTIVE' && doc.s ? currentSteps(doc, proc) : [],
    };
  }

  private async incident(inc: IncidentDoc, proc: CProcess): Promise<Incident> {
    const job =
      inc.jobKey && inc.state === 'ACTIVE'
        ? await this.engine.collections.jobs.findOne({ _id: inc.jobKey })
        : null;
    return {
      key: inc._id,
      processInstanceKey: inc.processInstanceKey,
      elementId: inc.elementId,
      elementName: elementName(proc, inc.elementId),
      elementInstanceKey: inc.elementInstanceKey,
      errorType: inc.errorType,
      errorMessage: inc.errorMessage,
      state: inc.state,
      creationTime: inc.creationTime,
      jobKey: inc.jobKey ?? null,
      jobRetries: job ? job.retries : null,
    };
  }

  /** Readable names of the actors of commits: people by their display name, the rest by kind. */
  private async actorNames(actors: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const by of new Set(actors)) {
      const [kind, ...rest] = by.split(':');
      const tail = rest.join(':');
      const label = ACTOR_KINDS[kind!];
      if (label && (tail || kind === 'engine' || kind === 'api' || kind === 'worker')) {
        names.set(by, tail && kind !== 'engine' ? `${t(label)} ${tail}` : t(label));
        continue;
      }
      const userId = kind === 'user' ? tail : by;
      const user = await this.users.findById(userId).catch(() => null);
      names.set(by, user?.displayName ?? by);
    }
    return names;
  }
}

// helpers //////////

function filterOf(q: ListInstancesQuery): Filter<ScopedInstanceDoc> {
  const f: Filter<ScopedInstanceDoc> = {};
  if (q.process) f.bpmnProcessId = q.process;
  if (q.state) f.state = q.state;
  if (q.hasIncident) f.hasIncident = q.hasIncident === 'true';
  if (q.schoolId) f.schoolId = q.schoolId;
  if (q.classId) f.classId = q.classId;
  const range: { $gte?: string; $lt?: string } = {};
  if (q.startedFrom) range.$gte = startOf(q.startedFrom);
  if (q.startedTo) range.$lt = endOf(q.startedTo);
  if (range.$gte || range.$lt) f.startDate = range;
  return f;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The first instant of a date-time or of a day in China (UTC+8), as the stored ISO text. */
function startOf(value: string): string {
  return new Date(DAY.test(value) ? `${value}T00:00:00+08:00` : value).toISOString();
}

/** The instant after a date-time, or after the end of a day in China (UTC+8). */
function endOf(value: string): string {
  if (!DAY.test(value)) return new Date(value).toISOString();
  return new Date(Date.parse(`${value}T00:00:00+08:00`) + 86_400_000).toISOString();
}

function elementName(proc: CProcess, id: string): string {
  if (id === proc.id) return proc.name ?? id;
  return proc.elements[id]?.name ?? id;
}

/**
 * Where an active instance stands: its innermost active element instances (a sub-process's
 * task rather than the sub-process), one entry per element with how many are active.
 */
function currentSteps(doc: InstanceDoc, proc: CProcess): CurrentStep[] {
  const els = Object.values(parseState(doc).els).filter((e) => e.k !== 0);
  const parents = new Set(els.map((e) => e.p));
  const steps = new Map<string, CurrentStep>();
  for (const e of els) {
    if (parents.has(e.k)) continue;
    const since = new Date(e.at).toISOString();
    const step = steps.get(e.id);
    if (step) {
      step.count++;
      if (since < step.since) step.since = since;
      step.hasIncident ||= Boolean(e.inc);
      continue;
    }
    steps.set(e.id, {
      elementId: e.id,
      elementName: elementName(proc, e.id),
      elementType: e.mi === 'body' ? 'multiInstanceBody' : (proc.elements[e.id]?.type ?? 'unknown'),
      count: 1,
      since,
      hasIncident: Boolean(e.inc),
    });
  }
  return [...steps.values()].sort((a, b) => a.since.localeCompare(b.since));
}

function incidentNotFound(key: string): NotFoundError {
  return new NotFoundError(`故障 ${key} 不存在`, 'INCIDENT_NOT_FOUND');
}

const TRANSITIONS = { A: 'ACTIVATED', C: 'COMPLETED', T: 'TERMINATED' } as const;

const TRANSITION_NAMES: Record<HistoryEvent[2], MessageKey> = {
  A: 'monitor.transition.activated',
  C: 'monitor.transition.completed',
  T: 'monitor.transition.terminated',
};

const COMMAND_NAMES: Partial<Record<string, MessageKey>> = {
  create: 'monitor.command.create',
  jobComplete: 'monitor.command.jobComplete',
  jobFail: 'monitor.command.jobFail',
  jobError: 'monitor.command.jobError',
  jobTimeout: 'monitor.command.jobTimeout',
  taskComplete: 'monitor.command.taskComplete',
  taskAssign: 'monitor.command.taskAssign',
  trigger: 'monitor.command.trigger',
  cancel: 'monitor.command.cancel',
  resolve: 'monitor.command.resolve',
  childDone: 'monitor.command.childDone',
  childError: 'monitor.command.childError',
  childMissing: 'monitor.command.childMissing',
  setVars: 'monitor.command.setVars',
};

/** Actors that are not people, by the prefix the engine and the APIs record. */
const ACTOR_KINDS: Partial<Record<string, MessageKey>> = {
  engine: 'monitor.actor.engine',
  api: 'monitor.actor.api',
  worker: 'monitor.actor.worker',
  service: 'monitor.actor.service',
  timer: 'monitor.actor.timer',
  message: 'monitor.actor.message',
  signal: 'monitor.actor.signal',
  instance: 'monitor.actor.instance',
};
