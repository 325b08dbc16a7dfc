import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Database } from '../db/connection';
import { compileBpmn } from './model/compile';
import type { CProcess } from './model/types';
import type {
  Command,
  Effect,
  IncidentDoc,
  JobDoc,
  SubscriptionDoc,
  TimerDoc,
  UserTaskDoc,
} from './runtime/commands';
import {
  CommandRejection,
  fullKey,
  instanceKeyOf,
  localKey,
  newInstanceState,
  runCommand,
  visibleVariables,
  type RunResult,
} from './runtime/executor';
import { feelPort } from './runtime/feel-port';
import type { InstanceState, JsonValue, Vars } from './runtime/state';
import { KeyGenerator } from './keys';
import {
  type CommitDoc,
  type DefinitionDoc,
  type EngineCollections,
  type FormDoc,
  type InstanceDoc,
  isDuplicateKey,
  openCollections,
} from './store/collections';
import { DeploymentRejected, EngineError } from './errors';

/** Sees a commit's effects before they are written (`Engine.observeEffects`). */
export type EffectObserver = (effects: readonly Effect[]) => Promise<void>;

/** The default tenant, as Camunda names it. */
export const DEFAULT_TENANT = '<default>';

/** One file to deploy. */
export interface DeployResource {
  name: string;
  content: Buffer | string;
}

/** What a deployment created (Camunda's deployment response shape). */
export interface DeploymentResult {
  deploymentKey: string;
  tenantId: string;
  deployments: (
    | {
        processDefinition: {
          processDefinitionId: string;
          processDefinitionVersion: number;
          processDefinitionKey: string;
          resourceName: string;
          tenantId: string;
        };
      }
    | {
        form: {
          formId: string;
          version: number;
          formKey: string;
          resourceName: string;
          tenantId: string;
        };
      }
  )[];
}

/** Options of the engine. */
export interface EngineOptions {
  logger: Logger;
  /** Name of this node in claims and logs. */
  nodeName?: string;
  /** How often timers are looked for (ms). */
  timerIntervalMs?: number;
  /** Default long-poll time of job activation when the client asks for the server default (ms). */
  defaultRequestTimeoutMs?: number;
  /**
   * Top-level variables copied onto the instance document as plain fields when an instance is
   * created with them (a called instance inherits its caller's), so that lists can filter
   * instances by them. Default `DEFAULT_SCOPE_VARIABLES`; string and number values only.
   */
  scopeVariables?: readonly string[];
}

/** The scope variables by default: the tenancy ids every Kehou process carries. */
export const DEFAULT_SCOPE_VARIABLES: readonly string[] = [
  'cityId',
  'countyId',
  'schoolId',
  'classId',
];

/** A job as activation returns it. */
export interface ActivatedJob {
  jobKey: string;
  type: string;
  processInstanceKey: string;
  processDefinitionId: string;
  processDefinitionVersion: number;
  processDefinitionKey: string;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: Record<string, string>;
  worker: string;
  retries: number;
  deadline: number;
  variables: Vars;
  tenantId: string;
  kind: 'BPMN_ELEMENT';
  listenerEventType: 'UNSPECIFIED';
}

const CLAIM_LEASE_MS = 30_000;
const LATEST_CACHE_MS = 1_000;

/**
 * The embedded BPMN engine: deployments, instances and the commands on them, jobs, user tasks,
 * messages, timers and incidents, all durable in the database. Engine nodes are stateless:
 * several may share one database.
 */
export class Engine {
  private c!: EngineCollections;
  private keys!: KeyGenerator;
  private nodeId = -1;
  private readonly log: Logger;
  private readonly nodeName: string;
  private readonly procs = new Map<string, { def: DefinitionDoc; proc: CProcess }>();
  private readonly jobSignals = new EventEmitter();
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private readonly latestKeys = new Map<string, { key: string; at: number }>();
  private stopped = false;
  private timerRun?: Promise<void>;
  private readonly scopeVariables: readonly string[];
  private readonly effectObservers: EffectObserver[] = [];

  constructor(
    private readonly db: Database,
    private readonly opts: EngineOptions,
  ) {
    this.scopeVariables = opts.scopeVariables ?? DEFAULT_SCOPE_VARIABLES;
    const clash = this.scopeVariables.filter((name) => INSTANCE_DOC_FIELDS.has(name));
    if (clash.length)
      throw new Error(`scope variables may not be named like instance fields: ${clash.join(', ')}`);
    this.log = opts.logger.child({ component: 'engine' });
    this.nodeName = opts.nodeName ?? `node-${randomUUID().slice(0, 8)}`;
    this.jobSignals.setMaxListeners(0);
  }

  // lifecycle //////////

  /** Opens the collections, leases a node id, recovers interrupted commits and starts the timer loop. */
  async start(): Promise<void> {
    this.c = await openCollections(this.db);
    await this.leaseNodeId();
    this.keys = new KeyGenerator(this.nodeId);
    await this.recover();
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.timerRun = this.fireDueTimers()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn({ err }, 'timer run failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.timerIntervalMs ?? 500);
        });
    };
    tick();
  }

  /** Stops the timer loop and releases long-polling activations. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
    this.jobSignals.emit('stop');
    await this.timerRun;
    if (this.nodeId >= 0)
      await this.c.nodes.deleteOne({ _id: `node:${this.nodeId}` }).catch(() => undefined);
  }

  /** The collections (for the API layer's searches). */
  get collections(): EngineCollections {
    return this.c;
  }

  private async leaseNodeId(): Promise<void> {
    for (let attempt = 0; attempt < 500; attempt++) {
      const id = Math.floor(Math.random() * 100);
      const _id = `node:${id}`;
      try {
        await this.c.nodes.insertOne({ _id, at: Date.now(), name: this.nodeName });
        this.nodeId = id;
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const existing = await this.c.nodes.findOne({ _id });
        if (existing && Date.now() - existing.at > 60_000) await this.c.nodes.deleteOne({ _id });
      }
    }
    if (this.nodeId < 0) throw new Error('no free engine node id (0..99)');
    this.heartbeat = setInterval(() => {
      void this.c.nodes
        .updateOne({ _id: `node:${this.nodeId}` }, { $set: { at: Date.now() } })
        .catch(() => undefined);
    }, 10_000);
    this.heartbeat.unref();
    this.sweeper = setInterval(() => {
      void this.sweepClaims().catch((err: unknown) => this.log.warn({ err }, 'claim sweep failed'));
    }, 5 * 60_000);
    this.sweeper.unref();
  }

  /**
   * Deletes claims that guard nothing any more: those of jobs that no longer exist (a job key
   * is never reused) and timer claims past their lease. Off the hot path, so completing a job
   * costs no extra write. Returns how many were deleted.
   */
  async sweepClaims(olderThanMs = 10 * 60_000): Promise<number> {
    const before = Date.now() - olderThanMs;
    const claims = await this.c.claims.find({}).toArray();
    let deleted = 0;
    for (const claim of claims) {
      if (claim.at > before) continue;
      const jobKey = claim._id.startsWith('job:') ? claim._id.slice(4) : undefined;
      if (jobKey && (await this.c.jobs.findOne({ _id: jobKey }))) continue;
      if (!jobKey && !claim._id.startsWith('timer:')) continue;
      await this.c.claims.deleteOne({ _id: claim._id });
      deleted++;
    }
    return deleted;
  }

  /** Re-applies the effects of the last commit of recently changed active instances (idempotent). */
  private async recover(): Promise<void> {
    const since = Date.now() - 10 * 60_000;
    const docs = await this.c.instances
      .find({ state: 'ACTIVE' })
      .project<Omit<InstanceDoc, 's'>>({ s: 0 })
      .toArray();
    let repaired = 0;
    for (const d of docs) {
      const next = await this.c.commits.findOne({ _id: `${d._id}:${d.v + 1}` });
      if (next) {
        await this.execute(d._id, null, 'engine:recovery');
        repaired++;
      } else if (d.upd >= since && d.fx && d.fx !== '[]') {
        const full = await this.c.instances.findOne({ _id: d._id });
        if (!full) continue;
        const state = parseState(full);
        await this.applyEffects(
          (JSON.parse(full.fx) as Effect[]).map((e) => restoreEffect(e, state)),
        );
        repaired++;
      }
    }
    if (repaired) this.log.info({ repaired }, 'recovered interrupted commits');
  }

  // deployment //////////

  /** Deploys BPMN and form files; identical content keeps its version, changed content gets the next. */
  async deploy(
    resources: DeployResource[],
    tenantId = DEFAULT_TENANT,
    by?: string,
  ): Promise<DeploymentResult> {
    if (resources.length === 0)
      throw new EngineError(
        400,
        'INVALID_ARGUMENT',
        'Expected to deploy at least one resource, but none given',
      );
    const problems: { resource: string; elementId: string; message: string }[] = [];
    const bpmn: { name: string; xml: string; procs: CProcess[] }[] = [];
    const forms: { name: string; id: string; schema: string }[] = [];
    for (const r of resources) {
      const text = typeof r.content === 'string' ? r.content : r.content.toString('utf8');
      if (/\.(bpmn|xml)$/i.test(r.name)) {
        const result = await compileBpmn(text);
        for (const p of result.problems) problems.push({ resource: r.name, ...p });
        bpmn.push({ name: r.name, xml: text, procs: result.processes });
      } else if (/\.form$/i.test(r.name)) {
        try {
          const schema = JSON.parse(text) as { id?: unknown; components?: unknown };
          if (typeof schema.id !== 'string' || !schema.id)
            problems.push({
              resource: r.name,
              elementId: '(form)',
              message: 'a form needs a string "id"',
            });
          else if (!Array.isArray(schema.components))
            problems.push({
              resource: r.name,
              elementId: schema.id,
              message: 'a form needs a "components" array',
            });
          else forms.push({ name: r.name, id: schema.id, schema: text });
        } catch (err) {
          problems.push({
            resource: r.name,
            elementId: '(form)',
            message: `not valid JSON: ${(err as Error).message}`,
          });
        }
      } else {
        problems.push({
          resource: r.name,
          elementId: '(file)',
          message: 'only .bpmn and .form resources are supported',
        });
      }
    }
    // Zeebe refuses a deployment that defines a process id (or form id) twice
    const seen = new Map<string, string>();
    for (const [id, name] of [
      ...bpmn.flatMap((f) => f.procs.map((p) => [`process '${p.id}'`, f.name] as const)),
      ...forms.map((f) => [`form '${f.id}'`, f.name] as const),
    ]) {
      const first = seen.get(id);
      if (first)
        problems.push({
          resource: name,
          elementId: '(file)',
          message: `Expected the ${id} to be unique within a deployment, but it is also defined in '${first}'`,
        });
      else seen.set(id, name);
    }
    if (problems.length) throw new DeploymentRejected(problems);
    const deploymentKey = this.keys.next();
    const result: DeploymentResult = { deploymentKey, tenantId, deployments: [] };
    const now = new Date().toISOString();
    for (const f of forms) {
      const checksum = sha256(f.schema);
      const { key, version, fresh } = await this.allocateVersion('form', tenantId, f.id, checksum);
      if (fresh) {
        const doc: FormDoc = {
          _id: key,
          formId: f.id,
          version,
          tenantId,
          resourceName: f.name,
          checksum,
          deploymentKey,
          schema: f.schema,
          deployedAt: now,
        };
        await this.c.forms.insertOne(doc).catch(ignoreDuplicate);
      }
      result.deployments.push({
        form: { formId: f.id, version, formKey: key, resourceName: f.name, tenantId },
      });
    }
    for (const file of bpmn) {
      for (const proc of file.procs) {
        const checksum = sha256(`${proc.id}\n${file.xml}`);
        const { key, version, fresh, previous } = await this.allocateVersion(
          'process',
          tenantId,
          proc.id,
          checksum,
        );
        if (fresh) {
          const doc: DefinitionDoc = {
            _id: key,
            bpmnProcessId: proc.id,
            name: proc.name,
            version,
            tenantId,
            resourceName: file.name,
            checksum,
            deploymentKey,
            xml: file.xml,
            compiled: JSON.stringify(proc),
            formIds: proc.formIds,
            ...(proc.startFormId ? { startFormId: proc.startFormId } : {}),
            deployedAt: now,
            deployedBy: by,
          };
          await this.c.definitions.insertOne(doc).catch(ignoreDuplicate);
          await this.replaceStartEvents(previous, doc, proc);
        }
        result.deployments.push({
          processDefinition: {
            processDefinitionId: proc.id,
            processDefinitionVersion: version,
            processDefinitionKey: key,
            resourceName: file.name,
            tenantId,
          },
        });
      }
    }
    await this.c.deployments.insertOne({
      _id: deploymentKey as never,
      at: now,
      by,
      tenantId,
      resources: resources.map((r) => r.name),
    });
    return result;
  }

  /** Allocates the next version by inserting its version document (the insert is the lock). */
  private async allocateVersion(
    kind: 'process' | 'form',
    tenantId: string,
    id: string,
    checksum: string,
  ): Promise<{ key: string; version: number; fresh: boolean; previous?: string }> {
    const latestId = `${kind}|${tenantId}|${id}`;
    for (;;) {
      const latest = await this.latestPointer(latestId);
      if (latest && latest.checksum === checksum)
        return { key: latest.key, version: latest.version, fresh: false };
      const version = (latest?.version ?? 0) + 1;
      const key = this.keys.next();
      try {
        await this.c.versions.insertOne({ _id: `${latestId}|${version}`, key, checksum, version });
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      await this.c.latest.replaceOne(
        { _id: latestId },
        { key, checksum, version },
        { upsert: true },
      );
      this.latestKeys.delete(latestId);
      return { key, version, fresh: true, previous: latest?.key };
    }
  }

  /** The latest version document; follows newer version documents if the pointer lags. */
  private async latestPointer(
    latestId: string,
  ): Promise<{ key: string; checksum: string; version: number } | undefined> {
    let latest = await this.c.latest.findOne({ _id: latestId });
    for (;;) {
      const next = await this.c.versions.findOne({
        _id: `${latestId}|${(latest?.version ?? 0) + 1}`,
      });
      if (!next) return latest ?? undefined;
      latest = next;
    }
  }

  /** Moves timer and message start events from the previous version to the new one. */
  private async replaceStartEvents(
    previousKey: string | undefined,
    def: DefinitionDoc,
    proc: CProcess,
  ): Promise<void> {
    if (previousKey) {
      const prev = await this.definition(previousKey);
      for (const id of prev.proc.timerStarts)
        await this.c.timers.deleteOne({ _id: `${previousKey}:start:${id}` });
      for (const id of [...prev.proc.messageStarts, ...prev.proc.signalStarts])
        await this.c.subs.deleteOne({ _id: `${previousKey}:start:${id}` });
    }
    const now = Date.now();
    const feel = feelPort(now);
    for (const id of proc.timerStarts) {
      const t = proc.elements[id]!.event!.timer!;
      const r = feel.timer(t.kind, t.expression, {}, now);
      if (!r.ok) {
        this.log.warn({ element: id, error: r.error }, 'timer start event has an invalid timer');
        continue;
      }
      const doc: TimerDoc = {
        _id: `${def._id}:start:${id}`,
        due: r.value.due,
        processDefinitionKey: def._id,
        elementId: id,
        tenantId: def.tenantId,
        start: { rep: r.value.rep ?? 0, cyc: r.value.cyc },
      };
      await this.c.timers.insertOne(doc).catch(ignoreDuplicate);
    }
    for (const id of [...proc.messageStarts, ...proc.signalStarts]) {
      const e = proc.elements[id]!.event!;
      const name = e.kind === 'message' ? e.message!.name : e.signalName!;
      const doc: SubscriptionDoc = {
        _id: `${def._id}:start:${id}`,
        name: name.startsWith('=')
          ? String(
              feel.value(name, {}).ok ? (feel.value(name, {}) as { value: JsonValue }).value : name,
            )
          : name,
        correlationKey: '',
        tenantId: def.tenantId,
        processDefinitionKey: def._id,
        bpmnProcessId: def.bpmnProcessId,
        elementId: id,
        start: true,
        kind: e.kind === 'message' ? 'msg' : 'sig',
      };
      await this.c.subs.insertOne(doc).catch(ignoreDuplicate);
    }
  }

  /** A deployed definition and its compiled process (cached; definitions never change). */
  async definition(key: string): Promise<{ def: DefinitionDoc; proc: CProcess }> {
    const cached = this.procs.get(key);
    if (cached) return cached;
    const def = await this.c.definitions.findOne({ _id: key });
    if (!def)
      throw new EngineError(404, 'NOT_FOUND', `Process definition with key '${key}' not found`);
    const entry = { def, proc: JSON.parse(def.compiled) as CProcess };
    this.procs.set(key, entry);
    return entry;
  }

  /** Resolves a definition by process id and version (latest when absent or -1). */
  async resolveDefinition(
    bpmnProcessId: string,
    version: number | undefined,
    tenantId: string,
  ): Promise<{ def: DefinitionDoc; proc: CProcess }> {
    const latestId = `process|${tenantId}|${bpmnProcessId}`;
    let key: string | undefined;
    if (version === undefined || version < 0) {
      // the latest version is read on every start by process id: remembered for a second
      // (a version deployed through another node is seen at most that much later)
      const cached = this.latestKeys.get(latestId);
      if (cached && Date.now() - cached.at < LATEST_CACHE_MS) key = cached.key;
      else {
        key = (await this.latestPointer(latestId))?.key;
        if (key) this.latestKeys.set(latestId, { key, at: Date.now() });
      }
    } else key = (await this.c.versions.findOne({ _id: `${latestId}|${version}` }))?.key;
    if (!key) {
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Expected to find process definition with process ID '${bpmnProcessId}'${version !== undefined && version >= 0 ? ` and version '${version}'` : ''}, but none found`,
      );
    }
    return this.definition(key);
  }

  /** The latest form with this id, or a form by key. */
  async form(idOrKey: string, tenantId = DEFAULT_TENANT): Promise<FormDoc | undefined> {
    const byKey = await this.c.forms.findOne({ _id: idOrKey });
    if (byKey) return byKey;
    const latest = await this.latestPointer(`form|${tenantId}|${idOrKey}`);
    return latest ? ((await this.c.forms.findOne({ _id: latest.key })) ?? undefined) : undefined;
  }

  // instances //////////

  /** Starts a process instance (optionally at a start event, as a child of a call activity, with a given key). */
  async createInstance(opts: {
    bpmnProcessId?: string;
    version?: number;
    processDefinitionKey?: string;
    variables?: Vars;
    tenantId?: string;
    startElementId?: string;
    startVariables?: Vars;
    /** Message start events: the correlation key of the starting message. */
    startKey?: string;
    key?: string;
    parent?: InstanceState['parent'];
    /** The calling instance's scope ids; the child's own variables take precedence. */
    parentScope?: Record<string, string>;
    by?: string;
  }): Promise<InstanceDoc> {
    const tenantId = opts.tenantId ?? DEFAULT_TENANT;
    const { def, proc } = opts.processDefinitionKey
      ? await this.definition(opts.processDefinitionKey)
      : await this.resolveDefinition(opts.bpmnProcessId ?? '', opts.version, tenantId);
    if (!proc.noneStart && !opts.startElementId) {
      throw new EngineError(
        400,
        'INVALID_ARGUMENT',
        `Expected to create instance of process with none start event, but there is no such event in process '${def.bpmnProcessId}'`,
      );
    }
    const key = opts.key ?? this.keys.next();
    const cmd: Command = {
      t: 'create',
      vars: opts.variables ?? {},
      start: opts.startElementId,
      startVars: opts.startVariables,
      ...(opts.startKey ? { startKey: opts.startKey } : {}),
    };
    if (opts.key) {
      // a given key (call activity child) may exist already when its spawn is re-applied
      const existing = await this.loadInstance(key);
      if (existing) return existing;
    }
    const now = Date.now();
    const defInfo = {
      processDefinitionKey: def._id,
      bpmnProcessId: def.bpmnProcessId,
      version: def.version,
      tenantId: def.tenantId,
    };
    const state = newInstanceState(key, defInfo, now);
    if (opts.parent) state.parent = opts.parent;
    const scope = {
      ...opts.parentScope,
      ...this.scopeOf({ ...opts.variables, ...opts.startVariables }),
    };
    if (Object.keys(scope).length) state.scope = scope;
    const allocated: string[] = [];
    let result: RunResult;
    try {
      result = runCommand(proc, state, cmd, {
        now,
        feel: feelPort(now),
        allocKey: () => this.alloc(allocated),
      });
    } catch (err) {
      throw rejection(err);
    }
    const commit: CommitDoc = {
      _id: `${key}:1`,
      cmd: JSON.stringify(cmd),
      at: now,
      by: opts.by ?? 'api',
      keys: allocated,
      ev: JSON.stringify(result.events),
      def: defInfo,
      parent: opts.parent,
      ...(state.scope ? { scope: state.scope } : {}),
    };
    try {
      await this.c.commits.insertOne(commit);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return (await this.loadInstance(key))!;
    }
    return this.finishCommit(key, 1, result);
  }

  /** Writes the instance document of a commit and applies its effects. */
  private async finishCommit(key: string, v: number, result: RunResult): Promise<InstanceDoc> {
    const doc = this.instanceDoc(result.state, v, result.effects);
    if (v === 1) await this.c.instances.insertOne(doc).catch(ignoreDuplicate);
    else await this.c.instances.replaceOne({ _id: key }, doc, { upsert: true });
    await this.applyEffects(result.effects);
    if (result.state.startKey && result.state.state !== 'ACTIVE')
      await this.messageStartEnded(result.state);
    return doc;
  }

  /** The scope ids among `vars`: the scope variables with a string or number value. */
  private scopeOf(vars: Vars): Record<string, string> {
    const scope: Record<string, string> = {};
    for (const name of this.scopeVariables) {
      const value = vars[name];
      if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
        scope[name] = String(value);
    }
    return scope;
  }

  private instanceDoc(s: InstanceState, v: number, fx: Effect[]): InstanceDoc {
    return {
      ...s.scope,
      _id: s.key,
      v,
      s: JSON.stringify(s),
      fx: JSON.stringify(fx.map(slimEffect)),
      bpmnProcessId: s.bpmnProcessId,
      processDefinitionKey: s.processDefinitionKey,
      processVersion: s.processVersion,
      tenantId: s.tenantId,
      state: s.state,
      startDate: new Date(s.startDate).toISOString(),
      ...(s.endDate ? { endDate: new Date(s.endDate).toISOString() } : {}),
      ...(s.parent
        ? {
            parentProcessInstanceKey: s.parent.instanceKey,
            parentElementInstanceKey: fullKey(s.parent.instanceKey, 0),
          }
        : {}),
      hasIncident: s.incidents.length > 0,
      node: this.nodeId,
      upd: Date.now(),
    };
  }

  private alloc(allocated: string[], replay?: string[]): string {
    if (replay && replay.length > allocated.length) {
      const k = replay[allocated.length]!;
      allocated.push(k);
      return k;
    }
    const k = this.keys.next();
    allocated.push(k);
    return k;
  }

  /** The instance document, rolling forward commits whose instance write was interrupted. */
  async loadInstance(key: string): Promise<InstanceDoc | undefined> {
    let doc = await this.c.instances.findOne({ _id: key });
    if (!doc) {
      const first = await this.c.commits.findOne({ _id: `${key}:1` });
      if (!first?.def) return undefined;
      doc = await this.replay(undefined, first);
    }
    for (;;) {
      const next = await this.c.commits.findOne({ _id: `${key}:${doc.v + 1}` });
      if (!next) return doc;
      doc = await this.replay(doc, next);
    }
  }

  /** Re-executes a recorded commit exactly as it ran (its time and keys) and applies it. */
  private async replay(doc: InstanceDoc | undefined, commit: CommitDoc): Promise<InstanceDoc> {
    const [key, vs] = commit._id.split(':') as [string, string];
    const v = Number(vs);
    let state: InstanceState;
    if (doc) state = parseState(doc);
    else {
      state = newInstanceState(key, commit.def!, commit.at);
      if (commit.parent) state.parent = commit.parent;
      if (commit.scope) state.scope = commit.scope;
    }
    const { proc } = await this.definition(state.processDefinitionKey);
    const allocated: string[] = [];
    const result = runCommand(proc, state, JSON.parse(commit.cmd) as Command, {
      now: commit.at,
      feel: feelPort(commit.at),
      allocKey: () => this.alloc(allocated, commit.keys),
    });
    return this.finishCommit(key, v, result);
  }

  /**
   * Applies a command to an instance: compare-and-swap on the next commit id, then the
   * instance document, then the effects. Retries when another command won the race.
   * `cmd = null` only rolls the instance forward.
   */
  async execute(key: string, cmd: Command | null, by: string): Promise<InstanceDoc> {
    for (let attempt = 0; attempt < 100; attempt++) {
      // First try on the instance document alone: a lagging document shows up as a duplicate
      // commit id (or a rejection) and the retry rolls it forward.
      const fast = attempt === 0 && cmd !== null;
      const doc = fast
        ? ((await this.c.instances.findOne({ _id: key })) ?? undefined)
        : await this.loadInstance(key);
      if (!doc && fast) continue;
      if (!doc)
        throw new EngineError(
          404,
          'NOT_FOUND',
          `Expected to find process instance with key '${key}', but none found`,
        );
      if (!cmd) return doc;
      const { proc } = await this.definition(doc.processDefinitionKey);
      const now = Date.now();
      const allocated: string[] = [];
      let result: RunResult;
      try {
        result = runCommand(proc, parseState(doc), cmd, {
          now,
          feel: feelPort(now),
          allocKey: () => this.alloc(allocated),
        });
      } catch (err) {
        if (fast && err instanceof CommandRejection) continue;
        throw rejection(err);
      }
      const v = doc.v + 1;
      try {
        await this.c.commits.insertOne({
          _id: `${key}:${v}`,
          cmd: JSON.stringify(cmd),
          at: now,
          by,
          keys: allocated,
          ev: JSON.stringify(result.events),
        });
      } catch (err) {
        if (isDuplicateKey(err)) continue; // another command won; re-read and run again
        throw err;
      }
      return this.finishCommit(key, v, result);
    }
    throw new EngineError(
      409,
      'CONFLICT',
      `too many concurrent commands on process instance ${key}; retry`,
    );
  }

  /** Cancels an instance (and its children). */
  async cancelInstance(key: string, by = 'api'): Promise<void> {
    await this.execute(key, { t: 'cancel' }, by);
  }

  // effects //////////

  /**
   * Registers an observer of the effects of every commit (jobs, user tasks, timers, …), called
   * before they are written, also when recovery re-applies them; so it must be idempotent. A
   * module keeps a derived index with it (the task inbox's index of open tasks by group).
   */
  observeEffects(observer: EffectObserver): void {
    this.effectObservers.push(observer);
  }

  /** Applies a commit's effects; each is idempotent, so re-applying after a crash is safe. */
  async applyEffects(effects: Effect[]): Promise<void> {
    for (const observe of this.effectObservers) await observe(effects);
    for (const e of effects) {
      switch (e.op) {
        case 'put': {
          const coll = this.c[e.coll] as unknown as import('mongodb').Collection<{ _id: string }>;
          if (e.coll === 'tasks') await this.bindForm(e.doc as unknown as UserTaskDoc);
          await coll.insertOne(e.doc).catch(ignoreDuplicate);
          if (e.coll === 'jobs') this.jobSignals.emit('job', (e.doc as unknown as JobDoc).type);
          if (e.coll === 'timers') this.wakeTimers((e.doc as unknown as TimerDoc).due);
          if (e.coll === 'subs') await this.correlateBuffered(e.doc as unknown as SubscriptionDoc);
          break;
        }
        case 'set': {
          const coll = this.c[e.coll] as unknown as import('mongodb').Collection<{ _id: string }>;
          await coll.updateOne({ _id: e.id }, { $set: e.fields });
          break;
        }
        case 'del': {
          const coll = this.c[e.coll] as unknown as import('mongodb').Collection<{ _id: string }>;
          await coll.deleteOne({ _id: e.id });
          break;
        }
        case 'spawn':
          try {
            await this.createInstance({
              bpmnProcessId: e.bpmnProcessId,
              tenantId: e.tenantId,
              variables: e.vars,
              key: e.key,
              parent: {
                instanceKey: e.parent.instanceKey,
                waitKey: e.parent.waitKey,
                propagateAll: e.parent.propagateAll,
              },
              parentScope: e.scope,
              by: `instance:${e.parent.instanceKey}`,
            });
          } catch (err) {
            if (!(err instanceof EngineError)) throw err;
            // the called process cannot start: the parent raises a CALLED_ELEMENT_ERROR incident
            await this.sendQuietly(e.parent.instanceKey, {
              t: 'childMissing',
              wait: e.parent.waitKey,
              message:
                err.status === 404
                  ? `Expected process with BPMN process id '${e.bpmnProcessId}' to be deployed, but not found.`
                  : err.message,
            });
          }
          break;
        case 'send':
          await this.sendQuietly(e.instanceKey, e.cmd);
          break;
        case 'cancel':
          await this.sendQuietly(e.instanceKey, { t: 'cancel' });
          break;
        case 'signal':
          await this.broadcastSignal(e.name, e.vars, e.tenantId);
          break;
      }
    }
  }

  /** Like Zeebe, a task linked by formId gets the key of the latest form version when it is created. */
  private async bindForm(task: UserTaskDoc): Promise<void> {
    if (!task.formId || task.formKey) return;
    const form = await this.form(task.formId, task.tenantId);
    if (form) task.formKey = form._id;
  }

  private async sendQuietly(instanceKey: string, cmd: Command): Promise<void> {
    try {
      await this.execute(instanceKey, cmd, 'engine');
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      // already applied or no longer relevant: effects are idempotent
    }
  }

  // jobs //////////

  /**
   * Activates up to `max` jobs of a type, long-polling up to `requestTimeoutMs` for the first.
   * A job is handed to one worker at a time: the claim is an insert of the job key.
   */
  async activateJobs(req: {
    type: string;
    worker: string;
    timeoutMs: number;
    max: number;
    fetchVariables?: string[];
    requestTimeoutMs?: number;
    tenantIds?: string[];
    signal?: AbortSignal;
  }): Promise<ActivatedJob[]> {
    const wait =
      req.requestTimeoutMs === undefined || req.requestTimeoutMs === 0
        ? (this.opts.defaultRequestTimeoutMs ?? 10_000)
        : req.requestTimeoutMs;
    const until = Date.now() + Math.max(0, wait);
    for (;;) {
      // a client that went away (worker stopped) must not get jobs: they would stay locked
      // until their deadline with nobody working on them
      if (req.signal?.aborted || this.stopped) return [];
      const jobs = await this.tryActivate(req);
      if (jobs.length || Date.now() >= until || req.signal?.aborted || this.stopped) return jobs;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.jobSignals.off('job', onJob);
          this.jobSignals.off('stop', done);
          req.signal?.removeEventListener('abort', done);
          resolve();
        };
        const onJob = (type: string) => {
          if (type === req.type) done();
        };
        // other nodes' jobs are seen by polling
        const t = setTimeout(done, Math.min(250, Math.max(0, until - Date.now())));
        this.jobSignals.on('job', onJob);
        this.jobSignals.once('stop', done);
        req.signal?.addEventListener('abort', done);
      });
    }
  }

  private async tryActivate(req: {
    type: string;
    worker: string;
    timeoutMs: number;
    max: number;
    fetchVariables?: string[];
    tenantIds?: string[];
  }): Promise<ActivatedJob[]> {
    const now = Date.now();
    const candidates = await this.c.jobs.find({ type: req.type }).toArray();
    const out: ActivatedJob[] = [];
    for (const job of candidates) {
      if (out.length >= req.max) break;
      if (req.tenantIds?.length && !req.tenantIds.includes(job.tenantId)) continue;
      if (job.state === 'ACTIVATED' && job.deadline !== undefined && job.deadline < now) {
        // lease expired: the instance re-creates the job under a new key for the next worker
        await this.sendQuietly(job.processInstanceKey, {
          t: 'jobTimeout',
          job: job._id,
          retries: job.retries,
        });
        continue;
      }
      if (job.state !== 'ACTIVATABLE' || (job.notBefore !== undefined && job.notBefore > now))
        continue;
      const deadline = now + req.timeoutMs;
      try {
        await this.c.claims.insertOne({
          _id: `job:${job._id}`,
          by: req.worker,
          at: now,
          until: deadline,
        });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        await this.expireStaleClaim(job, now);
        continue;
      }
      await this.c.jobs.updateOne(
        { _id: job._id },
        { $set: { state: 'ACTIVATED', worker: req.worker, deadline } },
      );
      const all = JSON.parse(job.variables) as Vars;
      const variables = req.fetchVariables?.length
        ? Object.fromEntries(Object.entries(all).filter(([k]) => req.fetchVariables!.includes(k)))
        : all;
      out.push({
        jobKey: job._id,
        type: job.type,
        processInstanceKey: job.processInstanceKey,
        processDefinitionId: job.bpmnProcessId,
        processDefinitionVersion: job.processVersion,
        processDefinitionKey: job.processDefinitionKey,
        elementId: job.elementId,
        elementInstanceKey: job.elementInstanceKey,
        customHeaders: JSON.parse(job.customHeaders) as Record<string, string>,
        worker: req.worker,
        retries: job.retries,
        deadline,
        variables,
        tenantId: job.tenantId,
        kind: 'BPMN_ELEMENT',
        listenerEventType: 'UNSPECIFIED',
      });
    }
    return out;
  }

  /**
   * A claimed job that is still marked activatable was claimed by a node that died between
   * writing the claim and marking the job. Once that claim's lease has run out the instance
   * re-creates the job under a new key, as for any lease that ran out; before, it is left alone.
   */
  private async expireStaleClaim(job: JobDoc, now: number): Promise<void> {
    const claim = await this.c.claims.findOne({ _id: `job:${job._id}` });
    if (!claim) return;
    const until = claim.until ?? claim.at + CLAIM_LEASE_MS;
    if (until >= now) return;
    const current = await this.c.jobs.findOne({ _id: job._id });
    if (current?.state !== 'ACTIVATABLE') return;
    await this.sendQuietly(job.processInstanceKey, {
      t: 'jobTimeout',
      job: job._id,
      retries: job.retries,
    });
  }

  /** The job document, refusing jobs that are not activated. */
  private async activatedJob(key: string): Promise<JobDoc> {
    const job = await this.c.jobs.findOne({ _id: key });
    if (!job) {
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Expected to find job with key '${key}', but no such job was found (it was completed, canceled, or timed out and handed to another worker)`,
      );
    }
    if (job.state !== 'ACTIVATED') {
      throw new EngineError(
        409,
        'INVALID_STATE',
        `Expected to find activated job with key '${key}', but it is ${job.state.toLowerCase()}`,
      );
    }
    return job;
  }

  /** Completes a job with variables. */
  async completeJob(key: string, variables: Vars = {}, by = 'worker'): Promise<void> {
    const job = await this.activatedJob(key);
    await this.execute(job.processInstanceKey, { t: 'jobComplete', job: key, vars: variables }, by);
  }

  /** Fails a job: retried after `retryBackOffMs` while retries remain, else an incident. */
  async failJob(
    key: string,
    opts: { retries: number; errorMessage?: string; retryBackOffMs?: number; variables?: Vars },
    by = 'worker',
  ): Promise<void> {
    const job = await this.activatedJob(key);
    await this.execute(
      job.processInstanceKey,
      {
        t: 'jobFail',
        job: key,
        retries: Math.max(0, opts.retries),
        message: opts.errorMessage,
        backoffMs: opts.retryBackOffMs,
        vars: opts.variables ?? {},
      },
      by,
    );
  }

  /** Throws a BPMN error from a job. */
  async throwJobError(
    key: string,
    opts: { errorCode: string; errorMessage?: string; variables?: Vars },
    by = 'worker',
  ): Promise<void> {
    const job = await this.activatedJob(key);
    await this.execute(
      job.processInstanceKey,
      {
        t: 'jobError',
        job: key,
        code: opts.errorCode,
        message: opts.errorMessage,
        vars: opts.variables ?? {},
      },
      by,
    );
  }

  /** Changes a job's retries or its lease. */
  async updateJob(key: string, changes: { retries?: number; timeoutMs?: number }): Promise<void> {
    const job = await this.c.jobs.findOne({ _id: key });
    if (!job)
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Expected to update job with key '${key}', but no such job was found`,
      );
    const set: Partial<JobDoc> = {};
    if (changes.retries !== undefined) {
      if (changes.retries < 1)
        throw new EngineError(
          400,
          'INVALID_ARGUMENT',
          `Expected retries to be greater than zero, but was ${changes.retries}`,
        );
      set.retries = changes.retries;
    }
    if (changes.timeoutMs !== undefined) {
      if (job.state !== 'ACTIVATED')
        throw new EngineError(
          409,
          'INVALID_STATE',
          `Expected to update the timeout of an activated job, but job '${key}' is ${job.state.toLowerCase()}`,
        );
      set.deadline = Date.now() + changes.timeoutMs;
    }
    await this.c.jobs.updateOne({ _id: key }, { $set: set });
  }

  // user tasks //////////

  /** A user task, or 404. */
  async userTask(key: string): Promise<UserTaskDoc> {
    const task = await this.c.tasks.findOne({ _id: key });
    if (!task)
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Expected to find user task with key '${key}', but none found`,
      );
    return task;
  }

  /** Completes a user task with variables. */
  async completeUserTask(
    key: string,
    variables: Vars = {},
    action?: string,
    by = 'user',
  ): Promise<void> {
    const task = await this.userTask(key);
    if (task.state !== 'CREATED')
      throw new EngineError(
        409,
        'INVALID_STATE',
        `Expected to complete user task with key '${key}', but it is in state '${task.state}'`,
      );
    await this.execute(
      task.processInstanceKey,
      { t: 'taskComplete', task: key, vars: variables, action },
      by,
    );
  }

  /** Assigns (or with `null` unassigns) a user task. */
  async assignUserTask(
    key: string,
    assignee: string | null,
    allowOverride = true,
    by = 'user',
  ): Promise<void> {
    const task = await this.userTask(key);
    if (task.state !== 'CREATED')
      throw new EngineError(
        409,
        'INVALID_STATE',
        `Expected to assign user task with key '${key}', but it is in state '${task.state}'`,
      );
    await this.execute(
      task.processInstanceKey,
      { t: 'taskAssign', task: key, assignee, allowOverride },
      by,
    );
  }

  // messages and signals //////////

  /**
   * Publishes a message: correlates it to every instance waiting for it (one subscription per
   * instance) and to message start events; buffers it for `timeToLiveMs`.
   */
  async publishMessage(msg: {
    name: string;
    correlationKey?: string;
    timeToLiveMs?: number;
    messageId?: string;
    variables?: Vars;
    tenantId?: string;
  }): Promise<{ messageKey: string; tenantId: string }> {
    const tenantId = msg.tenantId ?? DEFAULT_TENANT;
    const correlationKey = msg.correlationKey ?? '';
    // Zeebe only checks the buffer: an id is taken while a message with the same name,
    // correlation key and id is buffered, so an unbuffered message (TTL 0) reserves nothing
    if (msg.messageId && (msg.timeToLiveMs ?? 0) > 0) {
      await this.reserveMessageId(
        JSON.stringify([tenantId, msg.name, correlationKey, msg.messageId]),
        msg.messageId,
        Date.now() + msg.timeToLiveMs!,
      );
    }
    const messageKey = this.keys.next();
    const vars = msg.variables ?? {};
    const buffered = (msg.timeToLiveMs ?? 0) > 0;
    if (buffered) {
      // buffered before it is correlated, so that a subscription opening meanwhile finds it;
      // the claim per process keeps it to one correlation per process either way
      await this.c.messages.insertOne({
        _id: messageKey,
        name: msg.name,
        correlationKey,
        tenantId,
        variables: JSON.stringify(vars),
        expires: Date.now() + msg.timeToLiveMs!,
        messageId: msg.messageId,
        correlated: [],
      });
    }
    const correlated = await this.correlate(
      msg.name,
      correlationKey,
      tenantId,
      vars,
      messageKey,
      false,
      buffered,
    );
    for (const pid of buffered ? correlated.processes : [])
      await this.c.messages.updateOne({ _id: messageKey }, { $push: { correlated: pid } });
    return { messageKey, tenantId };
  }

  /** Takes a message id until `until`; a reservation whose message left the buffer is taken over. */
  private async reserveMessageId(_id: string, messageId: string, until: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.c.messageIds.insertOne({ _id, by: this.nodeName, at: Date.now(), until });
        return;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const held = await this.c.messageIds.findOne({ _id });
      if (held && (held.until ?? Infinity) > Date.now()) break;
      if (held) await this.c.messageIds.deleteOne({ _id, until: held.until });
    }
    throw new EngineError(
      409,
      'ALREADY_EXISTS',
      `Expected to publish a new message with id '${messageId}', but a message with that name, correlation key and id is already buffered`,
    );
  }

  /** Correlates a message to one waiting subscription or start event, without buffering. */
  async correlateMessage(msg: {
    name: string;
    correlationKey?: string;
    variables?: Vars;
    tenantId?: string;
  }): Promise<{ messageKey: string; tenantId: string; processInstanceKey: string }> {
    const tenantId = msg.tenantId ?? DEFAULT_TENANT;
    const messageKey = this.keys.next();
    const correlated = await this.correlate(
      msg.name,
      msg.correlationKey ?? '',
      tenantId,
      msg.variables ?? {},
      messageKey,
      true,
      false,
    );
    if (!correlated.instances.length) {
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Expected to find subscription for message with name '${msg.name}' and correlation key '${msg.correlationKey ?? ''}', but none was found`,
      );
    }
    return { messageKey, tenantId, processInstanceKey: correlated.instances[0]! };
  }

  /**
   * Correlates a message to the subscriptions waiting for it: once per process (bpmn process
   * id, across versions) but to every process, as Zeebe does. Returns the instances it
   * correlated to (created or triggered) and the processes it is now spent for. A buffered
   * message is claimed per process first, as new subscriptions may take it concurrently.
   */
  private async correlate(
    name: string,
    correlationKey: string,
    tenantId: string,
    vars: Vars,
    messageKey: string,
    once: boolean,
    buffered: boolean,
  ): Promise<{ instances: string[]; processes: string[] }> {
    const subs = await this.c.subs.find({ name, kind: 'msg', tenantId }).toArray();
    const processes = new Set<string>();
    const instances: string[] = [];
    for (const sub of subs) {
      if (once && instances.length) break;
      if (processes.has(sub.bpmnProcessId)) continue;
      if (sub.start || (sub.correlationKey === correlationKey && sub.processInstanceKey)) {
        if (buffered && !(await this.claimMessage(messageKey, sub.bpmnProcessId))) {
          processes.add(sub.bpmnProcessId); // a new subscription of this process took it
          continue;
        }
      }
      if (sub.start) {
        const key = this.keys.next();
        if (!(await this.lockMessageStart(sub, correlationKey, key))) {
          if (buffered) await this.releaseMessage(messageKey, sub.bpmnProcessId);
          continue;
        }
        const inst = await this.createInstance({
          processDefinitionKey: sub.processDefinitionKey,
          startElementId: sub.elementId,
          startVariables: vars,
          startKey: correlationKey || undefined,
          key,
          tenantId,
          by: `message:${messageKey}`,
        });
        processes.add(sub.bpmnProcessId);
        instances.push(inst._id);
        continue;
      }
      if (sub.correlationKey !== correlationKey || !sub.processInstanceKey) continue;
      try {
        await this.execute(
          sub.processInstanceKey,
          { t: 'trigger', wait: sub._id, vars, messageKey },
          `message:${messageKey}`,
        );
        processes.add(sub.bpmnProcessId);
        instances.push(sub.processInstanceKey);
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        // the subscription went away meanwhile: another one of the process may take it
        if (buffered) await this.releaseMessage(messageKey, sub.bpmnProcessId);
      }
    }
    return { instances, processes: [...processes] };
  }

  /**
   * Claims a buffered message for a process: it correlates once per process, whichever path
   * (its publication, a new subscription, an ended message-started instance) comes first.
   */
  private async claimMessage(messageKey: string, bpmnProcessId: string): Promise<boolean> {
    try {
      await this.c.claims.insertOne({
        _id: `message:${messageKey}:${bpmnProcessId}`,
        by: this.nodeName,
        at: Date.now(),
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  private async releaseMessage(messageKey: string, bpmnProcessId: string): Promise<void> {
    await this.c.claims.deleteOne({ _id: `message:${messageKey}:${bpmnProcessId}` });
  }

  /**
   * Zeebe starts no instance at a message start event while an instance of the process that a
   * message with the same correlation key started is active. The lock names that instance; a
   * lock whose instance ended (or never came to be) is taken over.
   */
  private async lockMessageStart(
    sub: SubscriptionDoc,
    correlationKey: string,
    instanceKey: string,
  ): Promise<boolean> {
    if (!correlationKey) return true;
    const _id = messageStartLock(sub.tenantId, sub.bpmnProcessId, correlationKey);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.c.claims.insertOne({ _id, by: instanceKey, at: Date.now() });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const held = await this.c.claims.findOne({ _id });
      if (!held) continue;
      const holder = await this.loadInstance(held.by);
      if (holder?.state === 'ACTIVE') return false;
      // an instance still being created on another node has no commit yet
      if (!holder && Date.now() - held.at < CLAIM_LEASE_MS) return false;
      await this.c.claims.deleteOne({ _id, by: held.by });
    }
    return false;
  }

  /** A message-started instance ended: free its key and start one for a buffered message. */
  private async messageStartEnded(s: InstanceState): Promise<void> {
    const lock = messageStartLock(s.tenantId, s.bpmnProcessId, s.startKey!);
    await this.c.claims.deleteOne({ _id: lock, by: s.key });
    const now = Date.now();
    const starts = await this.c.subs
      .find({ bpmnProcessId: s.bpmnProcessId, tenantId: s.tenantId, kind: 'msg', start: true })
      .toArray();
    for (const sub of starts) {
      const msgs = await this.c.messages
        .find({ name: sub.name, correlationKey: s.startKey!, tenantId: s.tenantId })
        .toArray();
      let m: (typeof msgs)[number] | undefined;
      for (const x of msgs.sort((a, b) => compareKeys(a._id, b._id))) {
        if (x.expires <= now || x.correlated.includes(s.bpmnProcessId)) continue;
        if (await this.claimMessage(x._id, s.bpmnProcessId)) {
          m = x;
          break;
        }
      }
      if (!m) continue;
      const key = this.keys.next();
      if (!(await this.lockMessageStart(sub, s.startKey!, key))) {
        await this.releaseMessage(m._id, s.bpmnProcessId);
        return;
      }
      await this.c.messages.updateOne({ _id: m._id }, { $push: { correlated: s.bpmnProcessId } });
      await this.createInstance({
        processDefinitionKey: sub.processDefinitionKey,
        startElementId: sub.elementId,
        startVariables: JSON.parse(m.variables) as Vars,
        startKey: s.startKey,
        key,
        tenantId: s.tenantId,
        by: `message:${m._id}`,
      });
      return;
    }
  }

  /** A new subscription checks the buffered messages that may be waiting for it. */
  private async correlateBuffered(sub: SubscriptionDoc): Promise<void> {
    if (sub.kind !== 'msg' || sub.start || !sub.processInstanceKey) return;
    const now = Date.now();
    const msgs = await this.c.messages
      .find({ name: sub.name, correlationKey: sub.correlationKey, tenantId: sub.tenantId })
      .toArray();
    // the first published message first (FIFO), as in Zeebe
    for (const m of msgs.sort((a, b) => compareKeys(a._id, b._id))) {
      if (m.expires <= now || m.correlated.includes(sub.bpmnProcessId)) continue;
      if (!(await this.claimMessage(m._id, sub.bpmnProcessId))) continue;
      try {
        await this.execute(
          sub.processInstanceKey,
          { t: 'trigger', wait: sub._id, vars: JSON.parse(m.variables) as Vars, messageKey: m._id },
          `message:${m._id}`,
        );
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        await this.releaseMessage(m._id, sub.bpmnProcessId); // the subscription went away
        return;
      }
      await this.c.messages.updateOne({ _id: m._id }, { $push: { correlated: sub.bpmnProcessId } });
      return;
    }
  }

  /** Broadcasts a signal to every waiting signal catch event and signal start event. */
  async broadcastSignal(
    name: string,
    variables: Vars = {},
    tenantId = DEFAULT_TENANT,
  ): Promise<{ signalKey: string; tenantId: string }> {
    const signalKey = this.keys.next();
    const subs = await this.c.subs.find({ name, kind: 'sig', tenantId }).toArray();
    for (const sub of subs) {
      if (sub.start)
        await this.createInstance({
          processDefinitionKey: sub.processDefinitionKey,
          startElementId: sub.elementId,
          startVariables: variables,
          tenantId,
          by: `signal:${signalKey}`,
        });
      else if (sub.processInstanceKey)
        await this.sendQuietly(sub.processInstanceKey, {
          t: 'trigger',
          wait: sub._id,
          vars: variables,
        });
    }
    return { signalKey, tenantId };
  }

  // timers //////////

  private nextWake = Infinity;

  private wakeTimers(due: number): void {
    if (this.stopped || due >= this.nextWake) return;
    this.nextWake = due;
    const delay = Math.max(0, due - Date.now());
    if (delay < (this.opts.timerIntervalMs ?? 500)) {
      setTimeout(() => {
        this.nextWake = Infinity;
        if (!this.stopped)
          void this.fireDueTimers().catch((err: unknown) =>
            this.log.warn({ err }, 'timer run failed'),
          );
      }, delay).unref();
    }
  }

  /** Fires every due timer once across all nodes (the claim is an insert). */
  async fireDueTimers(): Promise<number> {
    const now = Date.now();
    const due = await this.c.timers.find({ due: { $lte: now } }).toArray();
    let fired = 0;
    for (const t of due) {
      if (this.stopped) break;
      const claimId = `timer:${t._id}:${t.due}`;
      try {
        await this.c.claims.insertOne({ _id: claimId, by: this.nodeName, at: now });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const claim = await this.c.claims.findOne({ _id: claimId });
        if (!claim || now - claim.at < CLAIM_LEASE_MS) continue;
        await this.c.claims.deleteOne({ _id: claimId }); // the claimer died: take over next round
        continue;
      }
      try {
        if (t.start) await this.fireStartTimer(t);
        else if (t.processInstanceKey)
          await this.sendQuietly(t.processInstanceKey, { t: 'trigger', wait: t._id, vars: {} });
        fired++;
      } catch (err) {
        await this.c.claims.deleteOne({ _id: claimId });
        throw err;
      }
    }
    return fired;
  }

  private async fireStartTimer(t: TimerDoc): Promise<void> {
    const start = t.start!;
    await this.createInstance({
      processDefinitionKey: t.processDefinitionKey,
      startElementId: t.elementId,
      tenantId: t.tenantId,
      by: `timer:${t._id}`,
    });
    if (start.cyc && start.rep !== 0) {
      const next = feelPort(Date.now()).nextCycle(start.cyc, t.due);
      if (next.ok && next.value !== undefined) {
        await this.c.timers.updateOne(
          { _id: t._id },
          {
            $set: {
              due: next.value,
              start: { rep: start.rep > 0 ? start.rep - 1 : start.rep, cyc: start.cyc },
            },
          },
        );
        return;
      }
    }
    await this.c.timers.deleteOne({ _id: t._id });
  }

  // incidents and variables //////////

  /** Resolves an incident: re-runs the step that failed (job incidents get their job back). */
  async resolveIncident(key: string, by = 'api'): Promise<void> {
    const inc = await this.c.incidents.findOne({ _id: key });
    if (!inc || inc.state !== 'ACTIVE')
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Expected to resolve incident with key '${key}', but no such incident was found`,
      );
    let retries: number | undefined;
    if (inc.jobKey) {
      const job = await this.c.jobs.findOne({ _id: inc.jobKey });
      retries = job?.retries;
      if (inc.errorType === 'JOB_NO_RETRIES' && (!retries || retries < 1)) {
        throw new EngineError(
          409,
          'INVALID_STATE',
          `Expected to resolve incident ${key} of job ${inc.jobKey}, but the job has no retries left; update its retries first`,
        );
      }
      await this.c.jobs.deleteOne({ _id: inc.jobKey });
    }
    await this.execute(inc.processInstanceKey, { t: 'resolve', incident: key, retries }, by);
  }

  /** Sets variables on an element instance scope (or propagates them). */
  async setVariables(
    elementInstanceKey: string,
    variables: Vars,
    local: boolean,
    by = 'api',
  ): Promise<void> {
    await this.execute(
      instanceKeyOf(elementInstanceKey),
      { t: 'setVars', scope: elementInstanceKey, vars: variables, local },
      by,
    );
  }

  /** All commits of an instance, oldest first (its history). */
  async history(instanceKey: string): Promise<CommitDoc[]> {
    const doc = await this.loadInstance(instanceKey);
    if (!doc)
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Expected to find process instance with key '${instanceKey}', but none found`,
      );
    const ids = Array.from({ length: doc.v }, (_, i) => `${instanceKey}:${i + 1}`);
    const commits: CommitDoc[] = [];
    for (const _id of ids) {
      const c = await this.c.commits.findOne({ _id });
      if (c) commits.push(c);
    }
    return commits;
  }

  /** The incidents of one instance (for monitoring). */
  async incidentsOf(instanceKey: string): Promise<IncidentDoc[]> {
    const doc = await this.loadInstance(instanceKey);
    if (!doc) return [];
    const out: IncidentDoc[] = [];
    for (const id of parseState(doc).incidents) {
      const inc = await this.c.incidents.findOne({ _id: id });
      if (inc) out.push(inc);
    }
    return out;
  }
}

/**
 * The copy of a commit's effects kept on the instance document, for recovery, leaves out what
 * the instance state already holds: the variable snapshots of new jobs and user tasks (the
 * largest part) and the instance's own keys.
 */
function slimEffect(e: Effect): Effect {
  if (e.op !== 'put' || (e.coll !== 'jobs' && e.coll !== 'tasks')) return e;
  const doc: Record<string, unknown> = { ...e.doc };
  for (const field of [...INSTANCE_FIELDS, 'variables']) delete doc[field];
  // values every new document of the collection has: restored by restoreEffect when absent
  for (const [field, value] of Object.entries(EFFECT_DEFAULTS[e.coll]))
    if (JSON.stringify(doc[field]) === JSON.stringify(value)) delete doc[field];
  return { ...e, doc: doc as { _id: string } };
}

/**
 * Field values that {@link slimEffect} leaves out of the effects kept for recovery (`fx`) when
 * a document has exactly them, and {@link restoreEffect} puts back when absent: a new user
 * task or job mostly has these, and dropping them keeps a waiting instance's stored bytes
 * under the 2 KB target (docs/performance.md).
 */
const EFFECT_DEFAULTS: Record<'jobs' | 'tasks', Record<string, unknown>> = {
  tasks: {
    state: 'CREATED',
    candidateUsers: [],
    candidateGroups: [],
    customHeaders: {},
    priority: 50,
  },
  jobs: { state: 'ACTIVATABLE', kind: 'BPMN_ELEMENT', customHeaders: '{}' },
};

/** Fields of the instance document, which scope variables may not shadow. */
const INSTANCE_DOC_FIELDS = new Set([
  '_id',
  'v',
  's',
  'fx',
  'bpmnProcessId',
  'processDefinitionKey',
  'processVersion',
  'tenantId',
  'state',
  'startDate',
  'endDate',
  'parentProcessInstanceKey',
  'parentElementInstanceKey',
  'hasIncident',
  'node',
  'upd',
]);

/** Fields of job and task documents that repeat the instance's own. */
const INSTANCE_FIELDS = [
  'processInstanceKey',
  'processDefinitionKey',
  'bpmnProcessId',
  'processVersion',
  'tenantId',
] as const;

/** Puts the variable snapshot back into a slimmed effect, from the instance state. */
function restoreEffect(e: Effect, state: InstanceState): Effect {
  if (e.op !== 'put' || (e.coll !== 'jobs' && e.coll !== 'tasks') || 'variables' in e.doc) return e;
  const local = localKey(
    state.key,
    String((e.doc as { elementInstanceKey?: string }).elementInstanceKey ?? ''),
  );
  const defaults = structuredClone(EFFECT_DEFAULTS[e.coll]);
  return {
    ...e,
    doc: {
      ...defaults,
      ...e.doc,
      processInstanceKey: state.key,
      processDefinitionKey: state.processDefinitionKey,
      bpmnProcessId: state.bpmnProcessId,
      processVersion: state.processVersion,
      tenantId: state.tenantId,
      variables: JSON.stringify(local === undefined ? {} : visibleVariables(state, local)),
    },
  };
}

/** The instance state held in an instance document. */
export function parseState(doc: Pick<InstanceDoc, 's'>): InstanceState {
  return JSON.parse(doc.s) as InstanceState;
}

/** The claim that holds a message start event for one correlation key. */
function messageStartLock(tenantId: string, bpmnProcessId: string, correlationKey: string): string {
  return `message-start:${JSON.stringify([tenantId, bpmnProcessId, correlationKey])}`;
}

/** Orders numeric keys (strings of digits) by value. */
function compareKeys(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function ignoreDuplicate(err: unknown): void {
  if (!isDuplicateKey(err)) throw err;
}

function rejection(err: unknown): Error {
  if (err instanceof CommandRejection)
    return new EngineError(
      err.status,
      err.code === 'INSTANCE_NOT_ACTIVE' ? 'NOT_FOUND' : err.code,
      err.message,
    );
  return err as Error;
}
