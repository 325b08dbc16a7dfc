import type { CElement, CProcess, Mapping } from '../model/types';
import type { Command, Effect, HistoryEvent, IncidentDoc, JobDoc, UserTaskDoc } from './commands';
import type { ElementInstance, InstanceState, JsonValue, Vars, Wait } from './state';

/** The result of an expression or timer evaluation. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** What the executor needs to evaluate FEEL and timers; injected so runs stay deterministic. */
export interface FeelPort {
  /** A Zeebe attribute: `=expr` is FEEL, anything else is the static string. */
  value(attr: string, vars: Vars): Result<JsonValue>;
  /** A condition (FEEL without `=`) that must be boolean. */
  bool(expr: string, vars: Vars): Result<boolean>;
  /** A FEEL list (for multi-instance input collections). */
  list(attr: string, vars: Vars): Result<JsonValue[]>;
  /** Candidate groups/users: a FEEL list of strings or a static comma-separated list. */
  strings(attr: string, vars: Vars): Result<string[]>;
  /** Due time of a timer and, for cycles, the repetitions left after this one. */
  timer(
    kind: 'date' | 'duration' | 'cycle',
    attr: string,
    vars: Vars,
    from: number,
  ): Result<{ due: number; rep?: number; cyc?: string }>;
  /** The next due time of a cycle after `from`. */
  nextCycle(cyc: string, from: number): Result<number | undefined>;
}

/** Context of one command run. */
export interface RunContext {
  now: number;
  feel: FeelPort;
  /** Allocates a global key (child instances); recorded by the caller for replay. */
  allocKey(): string;
}

/** What a command did. */
export interface RunResult {
  state: InstanceState;
  effects: Effect[];
  events: HistoryEvent[];
}

/** A command that cannot apply to the instance as it is (not found, wrong state, bad input). */
export class CommandRejection extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CommandRejection';
  }
}

type Step =
  | {
      a: 'activate';
      el: string;
      scope: number;
      /** The event already happened (trigger, start payload): complete at once with `vars`. */
      fired?: boolean;
      vars?: Vars;
      loop?: number;
      item?: JsonValue;
      inner?: boolean;
    }
  | { a: 'complete'; k: number; vars?: Vars }
  /** A gateway instance chooses and takes its outgoing flows. */
  | { a: 'pass'; k: number };

/** Variables visible at an element instance: the root's, overridden by each nested scope's. */
export function visibleVariables(s: InstanceState, k: number): Vars {
  const chain: number[] = [];
  for (let cur: number | undefined = k; cur !== undefined && cur >= 0;) {
    chain.push(cur);
    const ei: ElementInstance | undefined = s.els[cur];
    cur = ei ? ei.p : undefined;
  }
  const out: Vars = {};
  for (let i = chain.length - 1; i >= 0; i--) Object.assign(out, s.vars[chain[i]!]);
  return out;
}

/** Full key of a local element key: the instance key followed by six digits. */
export function fullKey(instanceKey: string, local: number): string {
  return local === 0 ? instanceKey : `${instanceKey}${String(local).padStart(6, '0')}`;
}

/** The local key inside `instanceKey` of a full key, or undefined when it is not one of its keys. */
export function localKey(instanceKey: string, key: string): number | undefined {
  if (key === instanceKey) return 0;
  if (key.length !== instanceKey.length + 6 || !key.startsWith(instanceKey)) return undefined;
  return Number(key.slice(instanceKey.length));
}

/** The instance key a full key belongs to (element, job, task, timer and subscription keys). */
export function instanceKeyOf(key: string): string {
  return key.length > 16 ? key.slice(0, key.length - 6) : key;
}

/** Creates the initial state of a new instance; run the `create` command on it next. */
export function newInstanceState(
  key: string,
  def: { processDefinitionKey: string; bpmnProcessId: string; version: number; tenantId: string },
  now: number,
): InstanceState {
  return {
    key,
    processDefinitionKey: def.processDefinitionKey,
    bpmnProcessId: def.bpmnProcessId,
    processVersion: def.version,
    tenantId: def.tenantId,
    state: 'ACTIVE',
    n: 1,
    els: {},
    vars: {},
    joins: {},
    waits: {},
    startDate: now,
    incidents: [],
  };
}

/**
 * Runs one command against an instance: a deterministic function of the process, the state,
 * the command and the context. The state passed in is not modified.
 */
export function runCommand(
  proc: CProcess,
  input: InstanceState,
  cmd: Command,
  ctx: RunContext,
): RunResult {
  const run = new Run(proc, structuredClone(input), ctx);
  run.apply(cmd);
  return { state: run.s, effects: run.effects, events: run.events };
}

class Run {
  readonly effects: Effect[] = [];
  readonly events: HistoryEvent[] = [];
  private readonly agenda: Step[] = [];

  constructor(
    readonly p: CProcess,
    readonly s: InstanceState,
    readonly ctx: RunContext,
  ) {}

  // commands //////////

  apply(cmd: Command): void {
    if (this.s.state !== 'ACTIVE' && cmd.t !== 'create') {
      throw new CommandRejection(
        404,
        'INSTANCE_NOT_ACTIVE',
        `process instance ${this.s.key} is not active`,
      );
    }
    switch (cmd.t) {
      case 'create':
        if (cmd.startKey) this.s.startKey = cmd.startKey;
        return this.create(cmd.vars, cmd.start, cmd.startVars);
      case 'jobComplete': {
        const [wait, ei] = this.waitFor(cmd.job, 'job', 'job');
        if (ei.mi === 'body')
          throw new CommandRejection(409, 'JOB_NOT_ACTIVE', 'job belongs to a multi-instance body');
        this.closeWait(cmd.job, wait, false);
        ei.job = undefined;
        this.push({ a: 'complete', k: ei.k, vars: cmd.vars });
        return this.drain();
      }
      case 'jobFail':
        return this.jobFail(cmd);
      case 'jobError': {
        const [wait, ei] = this.waitFor(cmd.job, 'job', 'job');
        this.closeWait(cmd.job, wait, false);
        ei.job = undefined;
        this.throwError(ei, cmd.code, cmd.message ?? '', cmd.vars, cmd.job);
        return this.drain();
      }
      case 'jobTimeout': {
        const [wait, ei] = this.waitFor(cmd.job, 'job', 'job');
        this.closeWait(cmd.job, wait, false);
        ei.job = undefined;
        this.createJob(ei, this.el(ei.id), { retries: cmd.retries });
        return this.drain();
      }
      case 'taskComplete': {
        const [wait, ei] = this.waitFor(cmd.task, 'task', 'user task');
        this.closeWait(cmd.task, wait, false);
        this.effects.push({
          op: 'set',
          coll: 'tasks',
          id: cmd.task,
          fields: {
            state: 'COMPLETED',
            completionDate: new Date(this.ctx.now).toISOString(),
            action: cmd.action ?? 'complete',
          },
        });
        this.push({ a: 'complete', k: ei.k, vars: cmd.vars });
        return this.drain();
      }
      case 'taskAssign': {
        const [wait] = this.waitFor(cmd.task, 'task', 'user task');
        if (cmd.assignee !== null && !cmd.allowOverride && wait.a && wait.a !== cmd.assignee) {
          throw new CommandRejection(
            409,
            'TASK_ALREADY_ASSIGNED',
            `user task ${cmd.task} is already assigned to another user`,
          );
        }
        wait.a = cmd.assignee;
        this.effects.push({
          op: 'set',
          coll: 'tasks',
          id: cmd.task,
          fields: { assignee: cmd.assignee },
        });
        return;
      }
      case 'trigger':
        return this.trigger(cmd.wait, cmd.vars);
      case 'childDone': {
        const [wait, ei] = this.waitFor(cmd.wait, 'child', 'child instance');
        this.closeWait(cmd.wait, wait, false);
        this.push({ a: 'complete', k: ei.k, vars: cmd.vars });
        return this.drain();
      }
      case 'childError': {
        const [, ei] = this.waitFor(cmd.wait, 'child', 'child instance');
        if (!this.findCatch(ei, 'error', cmd.code)) {
          // Zeebe raises the incident only where the error was thrown (the child already has
          // it); the call activity keeps waiting, and an ancestor instance may still catch it
          if (this.s.parent)
            this.effects.push({
              op: 'send',
              instanceKey: this.s.parent.instanceKey,
              cmd: { ...cmd, wait: this.s.parent.waitKey },
            });
          return;
        }
        // the wait stays open so that terminating the call activity cancels the child
        this.throwError(ei, cmd.code, cmd.message ?? '', cmd.vars);
        return this.drain();
      }
      case 'childMissing': {
        const [wait, ei] = this.waitFor(cmd.wait, 'child', 'child instance');
        this.closeWait(cmd.wait, wait, false);
        // resolving re-activates the call activity, which spawns the child again
        this.incident(ei, 'CALLED_ELEMENT_ERROR', cmd.message, 'activate');
        return;
      }
      case 'cancel':
        this.terminate(0, true);
        this.s.state = 'TERMINATED';
        this.s.endDate = this.ctx.now;
        return;
      case 'resolve':
        return this.resolve(cmd.incident, cmd.retries);
      case 'setVars': {
        const local = localKey(this.s.key, cmd.scope);
        if (local === undefined || (local !== 0 && !this.s.els[local])) {
          throw new CommandRejection(
            404,
            'SCOPE_NOT_FOUND',
            `element instance ${cmd.scope} is not active`,
          );
        }
        if (cmd.local) Object.assign((this.s.vars[local] ??= {}), cmd.vars);
        else this.propagate(local, cmd.vars);
        return;
      }
    }
  }

  private create(vars: Vars, start?: string, startVars?: Vars): void {
    const root: ElementInstance = { k: 0, id: this.p.id, p: -1, at: this.ctx.now };
    this.s.els[0] = root;
    this.s.vars[0] = { ...vars };
    this.event(root, 'A');
    const startId = start ?? this.p.noneStart;
    if (!startId)
      throw new CommandRejection(
        400,
        'NO_NONE_START',
        `process ${this.p.id} has no none start event`,
      );
    root.start = { el: startId, fired: Boolean(start), vars: startVars };
    this.enterProcess(root);
    this.drain();
  }

  /**
   * Opens the event sub-processes of the process, then activates its start event. An event
   * sub-process that cannot be opened raises an incident on the process instance and holds
   * the start back until the incident is resolved (as Zeebe does).
   */
  private enterProcess(root: ElementInstance): void {
    this.openEventSubprocesses(root);
    if (root.inc || !root.start) return;
    const { el, fired, vars } = root.start;
    root.start = undefined;
    this.push({ a: 'activate', el, scope: 0, vars, fired });
  }

  private jobFail(cmd: Extract<Command, { t: 'jobFail' }>): void {
    const [wait, ei] = this.waitFor(cmd.job, 'job', 'job');
    if (Object.keys(cmd.vars).length) Object.assign((this.s.vars[ei.k] ??= {}), cmd.vars);
    const el = this.el(ei.id);
    if (cmd.retries > 0) {
      this.closeWait(cmd.job, wait, false);
      ei.job = undefined;
      this.createJob(ei, el, {
        retries: cmd.retries,
        notBefore: this.ctx.now + (cmd.backoffMs ?? 0),
        errorMessage: cmd.message,
      });
    } else {
      // the failed job stays (FAILED, still waited for) so that its retries can be updated
      // before the incident is resolved, as in Zeebe; leaving the element still deletes it
      this.incident(ei, 'JOB_NO_RETRIES', cmd.message || 'No more retries left.', 'job', cmd.job);
    }
  }

  private resolve(incident: string, retries: number | undefined): void {
    const ei = Object.values(this.s.els).find((e) => e.inc === incident);
    if (!ei)
      throw new CommandRejection(404, 'INCIDENT_NOT_FOUND', `incident ${incident} is not active`);
    const redo = ei.redo;
    ei.inc = undefined;
    ei.redo = undefined;
    this.s.incidents = this.s.incidents.filter((i) => i !== incident);
    this.effects.push({
      op: 'set',
      coll: 'incidents',
      id: incident,
      fields: { state: 'RESOLVED' },
    });
    if (ei.k === 0) {
      // the process instance itself: its event sub-processes could not be opened
      this.enterProcess(ei);
      return this.drain();
    }
    const el = this.el(ei.id);
    switch (redo) {
      case 'job':
        // a failed job gives way to a new one under a new key
        this.closeWaitsOf(ei.k, (w) => w.k === 'job');
        ei.job = undefined;
        this.createJob(ei, el, { retries: Math.max(1, retries ?? 1) });
        break;
      case 'complete':
        // completion variables were stored as local variables before the mapping failed
        this.push({ a: 'complete', k: ei.k });
        break;
      case 'gateway':
        this.push({ a: 'pass', k: ei.k });
        break;
      case 'inputs':
        this.enter(ei, el);
        break;
      default:
        this.behave(ei, el);
    }
    this.drain();
  }

  // the agenda //////////

  private push(step: Step): void {
    this.agenda.push(step);
  }

  private drain(): void {
    let guard = 0;
    while (this.agenda.length) {
      if (++guard > 100_000)
        throw new CommandRejection(
          400,
          'LOOP_LIMIT',
          'the command did not settle (endless loop in the process?)',
        );
      const step = this.agenda.shift()!;
      if (step.a === 'activate') this.activate(step);
      else if (step.a === 'complete') this.complete(step.k, step.vars);
      else this.pass(step.k);
      if (this.agenda.length === 0) this.settleJoins();
    }
  }

  // helpers //////////

  el(id: string): CElement {
    const el = this.p.elements[id];
    if (!el) throw new Error(`element ${id} not in process ${this.p.id}`);
    return el;
  }

  private key(local: number): string {
    return fullKey(this.s.key, local);
  }

  private nextKey(): number {
    return this.s.n++;
  }

  private event(ei: ElementInstance, t: 'A' | 'C' | 'T'): void {
    const type =
      ei.k === 0 ? 'process' : ei.mi === 'body' ? 'multiInstanceBody' : this.el(ei.id).type;
    this.events.push([ei.k, ei.id, t, ei.p, type]);
  }

  private waitFor(key: string, kind: Wait['k'], what: string): [Wait, ElementInstance] {
    const wait = this.s.waits[key];
    const ei = wait ? this.s.els[wait.o] : undefined;
    if (!wait || wait.k !== kind || !ei) {
      throw new CommandRejection(
        404,
        `${kind.toUpperCase()}_NOT_FOUND`,
        `${what} ${key} is not active (it may have been completed, canceled or re-created)`,
      );
    }
    if (ei.inc && kind !== 'task') {
      throw new CommandRejection(409, 'INCIDENT_OPEN', `element ${ei.id} has an open incident`);
    }
    return [wait, ei];
  }

  /** Visible variables at a scope: the root's, overridden by each nested scope's. */
  visible(k: number): Vars {
    return visibleVariables(this.s, k);
  }

  /** Zeebe propagation: each variable goes to the nearest scope that has it, else to the root. */
  propagate(from: number, vars: Vars): void {
    for (const [name, value] of Object.entries(vars)) {
      let target = 0;
      for (let cur: number | undefined = from; cur !== undefined && cur >= 0;) {
        if (this.s.vars[cur] && name in this.s.vars[cur]!) {
          target = cur;
          break;
        }
        cur = this.s.els[cur]?.p;
      }
      (this.s.vars[target] ??= {})[name] = value;
    }
  }

  private mapInputs(ei: ElementInstance, mappings: Mapping[]): string | undefined {
    if (!mappings.length) return undefined;
    const local: Vars = (this.s.vars[ei.k] ??= {});
    for (const m of mappings) {
      const r = this.ctx.feel.value(m.source, this.visible(ei.k));
      if (!r.ok)
        return `failed to evaluate expression '${m.source}' of input mapping '${m.target}': ${r.error}`;
      setPath(local, m.target, r.value);
    }
    return undefined;
  }

  private incident(
    ei: ElementInstance,
    type: string,
    message: string,
    redo: ElementInstance['redo'],
    jobKey?: string,
  ): void {
    const key = this.key(this.nextKey());
    ei.inc = key;
    ei.redo = redo;
    this.s.incidents.push(key);
    const doc: IncidentDoc = {
      _id: key,
      processInstanceKey: this.s.key,
      processDefinitionKey: this.s.processDefinitionKey,
      bpmnProcessId: this.s.bpmnProcessId,
      elementId: ei.id,
      elementInstanceKey: this.key(ei.k),
      tenantId: this.s.tenantId,
      errorType: type,
      errorMessage: message,
      jobKey,
      state: 'ACTIVE',
      creationTime: new Date(this.ctx.now).toISOString(),
    };
    this.effects.push({
      op: 'put',
      coll: 'incidents',
      doc: doc as unknown as IncidentDoc & Record<string, unknown>,
    });
    if (jobKey)
      this.effects.push({
        op: 'set',
        coll: 'jobs',
        id: jobKey,
        fields: { state: 'FAILED', retries: 0, errorMessage: message },
      });
  }

  private exprIncident(ei: ElementInstance, message: string, redo: ElementInstance['redo']): void {
    this.incident(ei, 'EXTRACT_VALUE_ERROR', message, redo);
  }

  // activation //////////

  private activate(step: Extract<Step, { a: 'activate' }>): void {
    const el = this.el(step.el);
    if (el.loop && !step.inner) return this.activateBody(el, step);
    const ei: ElementInstance = { k: this.nextKey(), id: el.id, p: step.scope, at: this.ctx.now };
    if (step.inner) {
      ei.mi = 'inner';
      ei.loop = step.loop;
      const local: Vars = (this.s.vars[ei.k] = {});
      if (el.loop?.inputElement) local[el.loop.inputElement] = step.item ?? null;
      // Zeebe creates the output element variable locally (null) so each inner instance's
      // result stays in its own scope instead of propagating to the process
      const out = outputVariable(el.loop?.outputElement);
      if (out && out !== el.loop?.inputElement && out !== 'loopCounter') local[out] = null;
      local.loopCounter = (step.loop ?? 0) + 1;
    }
    this.s.els[ei.k] = ei;
    this.event(ei, 'A');
    this.enter(ei, el, step.fired, step.vars);
  }

  /**
   * Input mappings, boundary events, then the element's behaviour. Resolving an input mapping
   * incident runs this again, as Zeebe re-evaluates the mappings before the element starts.
   */
  private enter(ei: ElementInstance, el: CElement, fired?: boolean, vars?: Vars): void {
    const err = this.mapInputs(ei, el.inputs);
    if (err) return this.exprIncident(ei, err, 'inputs');
    if (fired) return this.push({ a: 'complete', k: ei.k, vars });
    if (ei.mi !== 'inner' && el.loop === undefined) {
      this.openBoundaries(ei, el);
      if (ei.inc) return; // a boundary event could not be evaluated: the element does not start
    }
    this.behave(ei, el);
  }

  private activateBody(el: CElement, step: Extract<Step, { a: 'activate' }>): void {
    const body: ElementInstance = {
      k: this.nextKey(),
      id: el.id,
      p: step.scope,
      at: this.ctx.now,
      mi: 'body',
    };
    this.s.els[body.k] = body;
    this.event(body, 'A');
    this.startBody(body, el);
  }

  /** Evaluates the input collection and starts the inner instances (again after an incident). */
  private startBody(body: ElementInstance, el: CElement): void {
    const loop = el.loop!;
    const items = this.ctx.feel.list(loop.inputCollection, this.visible(body.k));
    if (!items.ok) {
      return this.exprIncident(
        body,
        `failed to evaluate expression '${loop.inputCollection}': ${items.error}`,
        'activate',
      );
    }
    body.body = { n: items.value.length, next: 0, done: 0, ended: 0, items: items.value };
    const local: Vars = (this.s.vars[body.k] = {});
    if (loop.outputCollection) local[loop.outputCollection] = items.value.map(() => null);
    this.openBoundaries(body, el);
    if (body.inc) return;
    if (items.value.length === 0) return this.push({ a: 'complete', k: body.k });
    const first = loop.sequential ? 1 : items.value.length;
    for (let i = 0; i < first; i++) this.spawnInner(body, el, i);
  }

  private spawnInner(body: ElementInstance, el: CElement, i: number): void {
    body.body!.next = i + 1;
    this.push({
      a: 'activate',
      el: el.id,
      scope: body.k,
      inner: true,
      loop: i,
      item: body.body!.items[i] ?? null,
    });
  }

  /** What an element does once active. */
  private behave(ei: ElementInstance, el: CElement): void {
    if (ei.mi === 'body') {
      // the same body instance starts again after an incident on its input collection or a
      // boundary event (Zeebe keeps the element instance)
      this.terminate(ei.k, false, true);
      return this.startBody(ei, el);
    }
    switch (el.type) {
      case 'startEvent':
      case 'manualTask':
      case 'task':
      case 'boundaryEvent':
        return this.push({ a: 'complete', k: ei.k });
      case 'endEvent':
      case 'intermediateThrowEvent':
        return this.throwEvent(ei, el);
      case 'intermediateCatchEvent':
        if (el.event?.kind === 'link') return this.push({ a: 'complete', k: ei.k });
        return this.openCatch(ei, el, el.id);
      case 'receiveTask':
        return this.openCatch(ei, el, el.id);
      case 'serviceTask':
      case 'sendTask':
      case 'businessRuleTask':
        return this.createJob(ei, el, undefined);
      case 'scriptTask':
        if (el.script) {
          const r = this.ctx.feel.value(`=${stripEq(el.script.expression)}`, this.visible(ei.k));
          if (!r.ok)
            return this.exprIncident(
              ei,
              `failed to evaluate expression '${el.script.expression}': ${r.error}`,
              'activate',
            );
          return this.push({
            a: 'complete',
            k: ei.k,
            vars: { [el.script.resultVariable ?? 'result']: r.value },
          });
        }
        return this.createJob(ei, el, undefined);
      case 'userTask':
        return el.userTask!.native
          ? this.createUserTask(ei, el)
          : this.createJob(ei, el, undefined);
      case 'exclusiveGateway':
      case 'inclusiveGateway':
      case 'parallelGateway':
        return this.push({ a: 'pass', k: ei.k });
      case 'eventBasedGateway':
        for (const f of el.outgoing) {
          const target = this.el(this.p.flows[f]!.target);
          this.openCatch(ei, target, target.id);
        }
        return;
      case 'subProcess':
        this.openEventSubprocesses(ei);
        if (ei.inc) return; // resolving the incident enters the sub-process again
        return this.push({ a: 'activate', el: el.noneStart!, scope: ei.k });
      case 'callActivity':
        return this.callActivity(ei, el);
    }
  }

  private throwEvent(ei: ElementInstance, el: CElement): void {
    const e = el.event!;
    switch (e.kind) {
      case 'none':
        return this.push({ a: 'complete', k: ei.k });
      case 'message':
        return this.createJob(ei, el, undefined);
      case 'signal': {
        const name = this.ctx.feel.value(e.signalName!, this.visible(ei.k));
        if (!name.ok)
          return this.exprIncident(ei, `failed to evaluate signal name: ${name.error}`, 'activate');
        this.effects.push({
          op: 'signal',
          name: String(name.value),
          tenantId: this.s.tenantId,
          vars: {},
        });
        return this.push({ a: 'complete', k: ei.k });
      }
      case 'error': {
        const code = this.ctx.feel.value(e.errorCode!, this.visible(ei.k));
        if (!code.ok)
          return this.exprIncident(ei, `failed to evaluate error code: ${code.error}`, 'activate');
        return this.throwError(ei, String(code.value), '', {});
      }
      case 'escalation': {
        const code = e.escalationCode
          ? this.ctx.feel.value(e.escalationCode, this.visible(ei.k))
          : { ok: true as const, value: null };
        if (!code.ok)
          return this.exprIncident(
            ei,
            `failed to evaluate escalation code: ${code.error}`,
            'activate',
          );
        const interrupted = this.throwEscalation(
          ei,
          code.value === null ? undefined : String(code.value),
        );
        if (!interrupted) this.push({ a: 'complete', k: ei.k });
        return;
      }
      case 'terminate': {
        this.event(ei, 'C');
        delete this.s.els[ei.k];
        delete this.s.vars[ei.k];
        const scope = ei.p;
        this.terminate(scope, false, true);
        this.clearJoins(scope);
        return this.completeScopeIfDone(scope);
      }
      case 'link': {
        const target = Object.values(this.p.elements).find(
          (c) =>
            c.type === 'intermediateCatchEvent' &&
            c.event?.kind === 'link' &&
            c.event.linkName === e.linkName &&
            c.scope === el.scope,
        )!;
        this.event(ei, 'C');
        delete this.s.els[ei.k];
        return this.push({ a: 'activate', el: target.id, scope: ei.p });
      }
      default:
        return this.push({ a: 'complete', k: ei.k });
    }
  }

  // waits //////////

  private addWait(key: string, wait: Wait): void {
    this.s.waits[key] = wait;
  }

  /** Removes a wait; with `del` also the document that represents it. */
  private closeWait(key: string, wait: Wait, del: boolean): void {
    delete this.s.waits[key];
    if (!del) {
      if (wait.k === 'job') this.effects.push({ op: 'del', coll: 'jobs', id: key });
      return;
    }
    switch (wait.k) {
      case 'job':
        this.effects.push({ op: 'del', coll: 'jobs', id: key });
        break;
      case 'task':
        this.effects.push({ op: 'set', coll: 'tasks', id: key, fields: { state: 'CANCELED' } });
        break;
      case 'timer':
        this.effects.push({ op: 'del', coll: 'timers', id: key });
        break;
      case 'msg':
      case 'sig':
        this.effects.push({ op: 'del', coll: 'subs', id: key });
        break;
      case 'child':
        this.effects.push({ op: 'cancel', instanceKey: key });
        break;
    }
  }

  private closeWaitsOf(k: number, only?: (wait: Wait) => boolean): void {
    for (const [key, wait] of Object.entries(this.s.waits)) {
      if (wait.o === k && (!only || only(wait))) this.closeWait(key, wait, true);
    }
  }

  private createJob(
    ei: ElementInstance,
    el: CElement,
    opts: { retries?: number; notBefore?: number; errorMessage?: string } | undefined,
  ): void {
    const vars = this.visible(ei.k);
    const def = el.job!;
    const type = this.ctx.feel.value(def.type, vars);
    if (!type.ok)
      return this.exprIncident(
        ei,
        `failed to evaluate job type '${def.type}': ${type.error}`,
        'activate',
      );
    let retries = opts?.retries;
    if (retries === undefined) {
      const r = this.ctx.feel.value(def.retries, vars);
      if (!r.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate job retries '${def.retries}': ${r.error}`,
          'activate',
        );
      retries = Number(r.value);
      if (!Number.isInteger(retries) || retries < 0) retries = 3;
    }
    const headers: Record<string, string> = { ...def.headers };
    if (el.type === 'userTask') Object.assign(headers, this.userTaskHeaders(ei, el, vars));
    const key = this.key(this.nextKey());
    ei.job = key;
    this.addWait(key, { o: ei.k, e: el.id, k: 'job' });
    const job: JobDoc = {
      _id: key,
      type: String(type.value),
      processInstanceKey: this.s.key,
      processDefinitionKey: this.s.processDefinitionKey,
      bpmnProcessId: this.s.bpmnProcessId,
      processVersion: this.s.processVersion,
      elementId: el.id,
      elementInstanceKey: this.key(ei.k),
      tenantId: this.s.tenantId,
      retries,
      customHeaders: JSON.stringify(headers),
      variables: JSON.stringify(vars),
      kind: 'BPMN_ELEMENT',
      state: 'ACTIVATABLE',
      created: this.ctx.now,
      ...(opts?.notBefore && opts.notBefore > this.ctx.now ? { notBefore: opts.notBefore } : {}),
      ...(opts?.errorMessage ? { errorMessage: opts.errorMessage } : {}),
    };
    this.effects.push({
      op: 'put',
      coll: 'jobs',
      doc: job as unknown as JobDoc & Record<string, unknown>,
    });
  }

  private userTaskHeaders(ei: ElementInstance, el: CElement, vars: Vars): Record<string, string> {
    const ut = el.userTask!;
    const h: Record<string, string> = {};
    if (ut.assignee) {
      const a = this.ctx.feel.value(ut.assignee, vars);
      if (a.ok && a.value !== null) h['io.camunda.zeebe:assignee'] = String(a.value);
    }
    if (ut.candidateGroups) {
      const g = this.ctx.feel.strings(ut.candidateGroups, vars);
      if (g.ok) h['io.camunda.zeebe:candidateGroups'] = JSON.stringify(g.value);
    }
    if (ut.candidateUsers) {
      const u = this.ctx.feel.strings(ut.candidateUsers, vars);
      if (u.ok) h['io.camunda.zeebe:candidateUsers'] = JSON.stringify(u.value);
    }
    for (const [header, attr] of [
      ['io.camunda.zeebe:dueDate', ut.dueDate],
      ['io.camunda.zeebe:followUpDate', ut.followUpDate],
    ] as const) {
      const d = attr ? dateTime(this.ctx.feel.value(attr, vars)) : undefined;
      if (d?.ok && d.value) h[header] = d.value;
    }
    if (ut.formKey) h['io.camunda.zeebe:formKey'] = ut.formKey;
    void ei;
    return h;
  }

  private createUserTask(ei: ElementInstance, el: CElement): void {
    const ut = el.userTask!;
    const vars = this.visible(ei.k);
    const evalOpt = (attr: string | undefined): Result<JsonValue> =>
      attr ? this.ctx.feel.value(attr, vars) : { ok: true, value: null };
    const assignee = stringOrNull(evalOpt(ut.assignee), ut.assignee);
    const groups: Result<string[]> = ut.candidateGroups
      ? this.ctx.feel.strings(ut.candidateGroups, vars)
      : { ok: true, value: [] };
    const users: Result<string[]> = ut.candidateUsers
      ? this.ctx.feel.strings(ut.candidateUsers, vars)
      : { ok: true, value: [] };
    const due = dateTime(evalOpt(ut.dueDate));
    const follow = dateTime(evalOpt(ut.followUpDate));
    const priority = taskPriority(evalOpt(ut.priority));
    const ext = evalOpt(ut.externalReference);
    for (const [name, r] of Object.entries({
      assignee,
      candidateGroups: groups,
      candidateUsers: users,
      dueDate: due,
      followUpDate: follow,
      priority,
      externalReference: ext,
    })) {
      if (!r.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate ${name} of user task ${el.id}: ${r.error}`,
          'activate',
        );
    }
    const num = priority.ok ? priority.value : 50;
    const key = this.key(this.nextKey());
    const a =
      assignee.ok && assignee.value !== null && assignee.value !== ''
        ? String(assignee.value)
        : null;
    this.addWait(key, { o: ei.k, e: el.id, k: 'task', a });
    const doc: UserTaskDoc = {
      _id: key,
      processInstanceKey: this.s.key,
      processDefinitionKey: this.s.processDefinitionKey,
      bpmnProcessId: this.s.bpmnProcessId,
      processVersion: this.s.processVersion,
      elementId: el.id,
      elementName: el.name,
      elementInstanceKey: this.key(ei.k),
      tenantId: this.s.tenantId,
      state: 'CREATED',
      assignee: a,
      candidateGroups: groups.ok ? groups.value : [],
      candidateUsers: users.ok ? users.value : [],
      dueDate: due.ok ? due.value : undefined,
      followUpDate: follow.ok ? follow.value : undefined,
      priority: num,
      formKey: ut.formKey,
      formId: ut.formId,
      externalFormReference: ext.ok && ext.value ? String(ext.value) : undefined,
      customHeaders: {},
      creationDate: new Date(this.ctx.now).toISOString(),
      variables: JSON.stringify(vars),
    };
    this.effects.push({
      op: 'put',
      coll: 'tasks',
      doc: doc as unknown as UserTaskDoc & Record<string, unknown>,
    });
  }

  /** Opens the wait of a catch event (message, timer, signal) for owner `ei`, triggering `target`. */
  private openCatch(ei: ElementInstance, catchEl: CElement, target: string): void {
    const e =
      catchEl.type === 'receiveTask'
        ? { kind: 'message' as const, message: undefined }
        : catchEl.event!;
    const vars = this.visible(ei.k);
    if (e.kind === 'timer') {
      const t = catchEl.event!.timer!;
      const r = this.ctx.feel.timer(t.kind, t.expression, vars, this.ctx.now);
      if (!r.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate timer of ${catchEl.id}: ${r.error}`,
          'activate',
        );
      const key = this.key(this.nextKey());
      this.addWait(key, { o: ei.k, e: target, k: 'timer', rep: r.value.rep, cyc: r.value.cyc });
      this.effects.push({
        op: 'put',
        coll: 'timers',
        doc: {
          _id: key,
          due: r.value.due,
          processInstanceKey: this.s.key,
          processDefinitionKey: this.s.processDefinitionKey,
          elementId: target,
          tenantId: this.s.tenantId,
        },
      });
      return;
    }
    if (e.kind === 'message' || catchEl.type === 'receiveTask') {
      const msg =
        catchEl.type === 'receiveTask' ? this.receiveMessage(catchEl) : catchEl.event!.message!;
      if (!msg)
        return this.exprIncident(ei, `receive task ${catchEl.id} has no message`, 'activate');
      const name = this.ctx.feel.value(msg.name, vars);
      if (!name.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate message name of ${catchEl.id}: ${name.error}`,
          'activate',
        );
      const corr = msg.correlationKey
        ? this.ctx.feel.value(msg.correlationKey, vars)
        : { ok: true as const, value: '' as JsonValue };
      if (!corr.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate correlation key '${msg.correlationKey}' of ${catchEl.id}: ${corr.error}`,
          'activate',
        );
      if (
        corr.value === null ||
        typeof corr.value === 'object' ||
        typeof corr.value === 'boolean'
      ) {
        return this.exprIncident(
          ei,
          `failed to extract the correlation key by '${msg.correlationKey}': expected STRING or NUMBER, but was ${corr.value === null ? 'NULL' : typeof corr.value}`,
          'activate',
        );
      }
      const key = this.key(this.nextKey());
      const wait: Wait = {
        o: ei.k,
        e: target,
        k: 'msg',
        name: String(name.value),
        corr: String(corr.value),
      };
      this.addWait(key, wait);
      this.effects.push({
        op: 'put',
        coll: 'subs',
        doc: {
          _id: key,
          name: wait.name!,
          correlationKey: wait.corr!,
          tenantId: this.s.tenantId,
          processInstanceKey: this.s.key,
          processDefinitionKey: this.s.processDefinitionKey,
          bpmnProcessId: this.s.bpmnProcessId,
          elementId: target,
          kind: 'msg',
        },
      });
      return;
    }
    if (e.kind === 'signal') {
      const name = this.ctx.feel.value(catchEl.event!.signalName!, vars);
      if (!name.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate signal name of ${catchEl.id}: ${name.error}`,
          'activate',
        );
      const key = this.key(this.nextKey());
      this.addWait(key, { o: ei.k, e: target, k: 'sig', name: String(name.value) });
      this.effects.push({
        op: 'put',
        coll: 'subs',
        doc: {
          _id: key,
          name: String(name.value),
          correlationKey: '',
          tenantId: this.s.tenantId,
          processInstanceKey: this.s.key,
          processDefinitionKey: this.s.processDefinitionKey,
          bpmnProcessId: this.s.bpmnProcessId,
          elementId: target,
          kind: 'sig',
        },
      });
    }
  }

  private receiveMessage(el: CElement): { name: string; correlationKey?: string } | undefined {
    return (
      el.event?.message ??
      (el as CElement & { message?: { name: string; correlationKey?: string } }).message
    );
  }

  /** Opens the boundary events of an activity; stops at the first one that raises an incident. */
  private openBoundaries(ei: ElementInstance, el: CElement): void {
    // a resolved incident opens them all again: drop those opened before the failing one
    this.closeWaitsOf(ei.k, (w) => el.boundaries.includes(w.e));
    for (const b of el.boundaries) {
      const be = this.el(b);
      if (['timer', 'message', 'signal'].includes(be.event!.kind)) this.openCatch(ei, be, be.id);
      if (ei.inc) {
        // resolving enters the element again (a body re-activates as a whole)
        if (ei.mi !== 'body') ei.redo = 'inputs';
        return;
      }
    }
  }

  /** Opens the event sub-processes of a scope; stops at the first one that raises an incident. */
  private openEventSubprocesses(scope: ElementInstance): void {
    const ids = scope.k === 0 ? this.p.eventSubprocesses : this.el(scope.id).eventSubprocesses;
    // a resolved incident opens them all again: drop those opened before the failing one
    this.closeWaitsOf(scope.k, (w) => ids.includes(this.el(w.e).scope));
    for (const id of ids) {
      const start = Object.values(this.p.elements).find(
        (c) => c.scope === id && c.type === 'startEvent',
      )!;
      if (['timer', 'message', 'signal'].includes(start.event!.kind))
        this.openCatch(scope, start, start.id);
      if (scope.inc) return;
    }
  }

  private callActivity(ei: ElementInstance, el: CElement): void {
    const call = el.call!;
    const pid = this.ctx.feel.value(call.processId, this.visible(ei.k));
    if (!pid.ok)
      return this.exprIncident(
        ei,
        `failed to evaluate called process id '${call.processId}': ${pid.error}`,
        'activate',
      );
    const vars = call.propagateAllParentVariables
      ? this.visible(ei.k)
      : { ...(this.s.vars[ei.k] ?? {}) };
    const childKey = this.ctx.allocKey();
    this.addWait(childKey, { o: ei.k, e: el.id, k: 'child' });
    this.effects.push({
      op: 'spawn',
      key: childKey,
      bpmnProcessId: String(pid.value),
      tenantId: this.s.tenantId,
      vars,
      parent: {
        instanceKey: this.s.key,
        waitKey: childKey,
        // output mappings read the child's variables even when they are not all propagated
        propagateAll: call.propagateAllChildVariables || el.outputs.length > 0,
        elementInstanceKey: this.key(ei.k),
      },
      ...(this.s.scope ? { scope: this.s.scope } : {}),
    });
  }

  /** A wait fired: a timer, a message or a signal. */
  private trigger(waitKey: string, vars: Vars): void {
    const wait = this.s.waits[waitKey];
    const owner = wait ? this.s.els[wait.o] : undefined;
    if (!wait || !owner || !['timer', 'msg', 'sig'].includes(wait.k)) {
      throw new CommandRejection(404, 'SUBSCRIPTION_NOT_FOUND', `wait ${waitKey} is not open`);
    }
    const target = this.el(wait.e);
    const rearm = wait.k === 'timer' && wait.cyc && wait.rep !== 0 && !this.interrupts(target);
    // Zeebe keeps a non-interrupting message or signal subscription open while its scope is
    // active: the boundary or event sub-process runs once per message
    const keep = wait.k !== 'timer' && !this.interrupts(target);
    if (!keep) {
      delete this.s.waits[waitKey];
      if (wait.k !== 'timer') this.effects.push({ op: 'del', coll: 'subs', id: waitKey });
      else this.effects.push({ op: 'del', coll: 'timers', id: waitKey });
    }
    if (rearm) this.rearm(owner, target, wait);

    if (target.type === 'boundaryEvent') {
      if (target.cancelActivity) this.terminate(owner.k, true);
      this.push({ a: 'activate', el: target.id, scope: owner.p, vars, fired: true });
      return this.drain();
    }
    if (target.type === 'startEvent') {
      // event sub-process start, owned by its scope instance
      this.startEventSubprocess(owner, this.el(target.scope), target, vars);
      return this.drain();
    }
    const ownerEl = this.el(owner.id);
    if (ownerEl.type === 'eventBasedGateway') {
      this.closeWaitsOf(owner.k);
      this.event(owner, 'C');
      delete this.s.els[owner.k];
      this.push({ a: 'activate', el: target.id, scope: owner.p, vars, fired: true });
      return this.drain();
    }
    // the owner itself waited: catch event or receive task
    this.push({ a: 'complete', k: owner.k, vars });
    this.drain();
  }

  private interrupts(target: CElement): boolean {
    if (target.type === 'boundaryEvent') return target.cancelActivity !== false;
    if (target.type === 'startEvent') return target.interrupting !== false;
    return true;
  }

  private rearm(owner: ElementInstance, target: CElement, wait: Wait): void {
    const next = this.ctx.feel.nextCycle(wait.cyc!, this.ctx.now);
    if (!next.ok || next.value === undefined) return;
    const key = this.key(this.nextKey());
    this.addWait(key, { ...wait, rep: wait.rep! > 0 ? wait.rep! - 1 : wait.rep });
    this.effects.push({
      op: 'put',
      coll: 'timers',
      doc: {
        _id: key,
        due: next.value,
        processInstanceKey: this.s.key,
        processDefinitionKey: this.s.processDefinitionKey,
        elementId: target.id,
        tenantId: this.s.tenantId,
      },
    });
    void owner;
  }

  // completion //////////

  private complete(k: number, vars: Vars | undefined): void {
    const ei = this.s.els[k];
    if (!ei) return;
    const el = ei.k === 0 ? undefined : this.el(ei.id);
    if (el && ei.mi !== 'body') {
      const outputs = el.outputs;
      if (vars && Object.keys(vars).length) {
        if (outputs.length) Object.assign((this.s.vars[ei.k] ??= {}), vars);
        else this.propagate(ei.k, vars);
      }
      if (outputs.length) {
        const scopeVars = this.visible(ei.k);
        const results: Vars = {};
        for (const m of outputs) {
          const r = this.ctx.feel.value(m.source, scopeVars);
          if (!r.ok) {
            return this.exprIncident(
              ei,
              `failed to evaluate expression '${m.source}' of output mapping '${m.target}': ${r.error}`,
              'complete',
            );
          }
          setPath(results, m.target, r.value);
        }
        this.propagate(ei.p, results);
      }
    }
    if (ei.mi === 'inner') return this.completeInner(ei, el!);
    this.closeWaitsOf(ei.k);
    if (ei.mi === 'body') {
      const out = el!.loop!.outputCollection;
      if (out) this.propagate(ei.p, { [out]: this.s.vars[ei.k]?.[out] ?? [] });
    }
    this.event(ei, 'C');
    delete this.s.els[ei.k];
    if (ei.k === 0) return this.completeProcess();
    delete this.s.vars[ei.k];
    this.takeAll(el!.outgoing, ei.p);
  }

  private completeInner(ei: ElementInstance, el: CElement): void {
    const body = this.s.els[ei.p]!;
    const loop = el.loop!;
    const b = body.body!;
    if (loop.outputCollection && loop.outputElement) {
      const r = this.ctx.feel.value(loop.outputElement, this.visible(ei.k));
      if (!r.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate output element '${loop.outputElement}': ${r.error}`,
          'complete',
        );
      const coll = this.s.vars[body.k]![loop.outputCollection];
      if (Array.isArray(coll)) coll[ei.loop ?? 0] = r.value;
    }
    // Zeebe evaluates the completion condition in the completing inner instance's scope (its
    // input and output element are visible), counting it as completed and no longer active
    let satisfied = false;
    if (loop.completionCondition) {
      const ctxVars: Vars = {
        ...this.visible(ei.k),
        numberOfInstances: b.n,
        numberOfActiveInstances: this.childrenOf(body.k).length - 1,
        numberOfCompletedInstances: b.done + 1,
        numberOfTerminatedInstances: b.ended,
      };
      const c = this.ctx.feel.bool(stripEq(loop.completionCondition), ctxVars);
      if (!c.ok)
        return this.exprIncident(
          ei,
          `failed to evaluate completion condition '${loop.completionCondition}': ${c.error}`,
          'complete',
        );
      satisfied = c.value;
    }
    this.closeWaitsOf(ei.k);
    this.event(ei, 'C');
    delete this.s.els[ei.k];
    delete this.s.vars[ei.k];
    b.done++;
    let finished = b.done + b.ended >= b.n;
    if (!finished && satisfied) {
      for (const child of this.childrenOf(body.k)) {
        this.terminate(child.k, true);
        b.ended++;
      }
      finished = true;
    }
    if (finished) return this.push({ a: 'complete', k: body.k });
    if (loop.sequential && b.next < b.n) this.spawnInner(body, el, b.next);
  }

  /** A gateway instance: choose its outgoing flows, complete, and take them. */
  private pass(k: number): void {
    const ei = this.s.els[k];
    if (!ei) return;
    const el = this.el(ei.id);
    const flows = el.type === 'parallelGateway' ? el.outgoing : this.chooseFlows(el, ei);
    if (flows === undefined) return;
    this.event(ei, 'C');
    delete this.s.els[k];
    delete this.s.vars[k];
    this.takeAll(flows, ei.p);
  }

  private takeAll(flows: string[], scope: number): void {
    for (const f of flows) this.take(f, scope);
    if (flows.length === 0) this.completeScopeIfDone(scope);
  }

  private chooseFlows(el: CElement, ei: ElementInstance): string[] | undefined {
    if (!el.outgoing.some((f) => this.p.flows[f]!.condition)) {
      if (el.outgoing.length <= 1 || el.type === 'inclusiveGateway') return el.outgoing;
      return el.outgoing.slice(0, 1);
    }
    const vars = this.visible(ei.p);
    const taken: string[] = [];
    for (const f of el.outgoing) {
      if (f === el.defaultFlow) continue;
      const cond = this.p.flows[f]!.condition;
      if (!cond) continue;
      const r = this.ctx.feel.bool(cond, vars);
      if (!r.ok) {
        this.exprIncident(ei, `failed to evaluate expression '${cond}': ${r.error}`, 'gateway');
        return undefined;
      }
      if (r.value) {
        taken.push(f);
        if (el.type === 'exclusiveGateway') break;
      }
    }
    if (taken.length === 0 && el.defaultFlow) taken.push(el.defaultFlow);
    if (taken.length === 0) {
      this.incident(
        ei,
        'CONDITION_ERROR',
        `Expected at least one condition to evaluate to true, or to have a default flow (gateway '${el.id}')`,
        'gateway',
      );
      return undefined;
    }
    return taken;
  }

  private take(flowId: string, scope: number): void {
    const flow = this.p.flows[flowId]!;
    const target = this.el(flow.target);
    if (
      (target.type === 'parallelGateway' || target.type === 'inclusiveGateway') &&
      target.incoming.length > 1
    ) {
      const jk = `${scope}/${target.id}`;
      const tokens = (this.s.joins[jk] ??= {});
      tokens[flowId] = (tokens[flowId] ?? 0) + 1;
      this.tryJoin(target, scope, false);
      return;
    }
    this.push({ a: 'activate', el: target.id, scope });
  }

  private tryJoin(gw: CElement, scope: number, settled: boolean): boolean {
    const jk = `${scope}/${gw.id}`;
    const tokens = this.s.joins[jk];
    if (!tokens) return false;
    let ready: boolean;
    if (gw.type === 'parallelGateway') {
      ready = gw.incoming.every((f) => (tokens[f] ?? 0) > 0);
    } else {
      if (!settled) return false; // an inclusive join decides once the run has settled
      ready = gw.incoming.every((f) => (tokens[f] ?? 0) > 0 || !this.canReach(gw, f, scope));
    }
    if (!ready) return false;
    for (const f of gw.incoming) {
      if (tokens[f]) tokens[f]!--;
      if (tokens[f] === 0) delete tokens[f];
    }
    if (Object.keys(tokens).length === 0) delete this.s.joins[jk];
    const ei: ElementInstance = { k: this.nextKey(), id: gw.id, p: scope, at: this.ctx.now };
    this.s.els[ei.k] = ei;
    this.event(ei, 'A');
    this.push({ a: 'pass', k: ei.k });
    return true;
  }

  /** Inclusive join: can any active element of the scope still reach incoming flow `f`? */
  private canReach(gw: CElement, f: string, scope: number): boolean {
    const from = new Set(gw.reachableFrom?.[f] ?? []);
    for (const e of Object.values(this.s.els)) {
      if (e.p === scope && from.has(e.id)) return true;
    }
    for (const [jk, tokens] of Object.entries(this.s.joins)) {
      const [s, id] = jk.split('/');
      if (Number(s) === scope && id !== gw.id && from.has(id!) && Object.keys(tokens).length)
        return true;
    }
    return false;
  }

  /** Runs when the agenda is empty: fires inclusive joins that can no longer receive tokens. */
  private settleJoins(): void {
    for (const jk of Object.keys(this.s.joins)) {
      const [s, id] = jk.split('/');
      const gw = this.el(id!);
      if (gw.type === 'inclusiveGateway' && this.tryJoin(gw, Number(s), true)) return;
    }
  }

  private childrenOf(k: number): ElementInstance[] {
    return Object.values(this.s.els).filter((e) => e.p === k);
  }

  private clearJoins(scope: number): void {
    for (const jk of Object.keys(this.s.joins))
      if (jk.startsWith(`${scope}/`)) delete this.s.joins[jk];
  }

  /** A process or sub-process with nothing left to do completes. */
  private completeScopeIfDone(scope: number): void {
    const ei = this.s.els[scope];
    // an inner instance of a multi-instance sub-process completes like any sub-process
    if (!ei || ei.mi === 'body' || ei.inc) return;
    if (scope !== 0 && this.el(ei.id).type !== 'subProcess') return;
    if (this.childrenOf(scope).length) return;
    if (Object.keys(this.s.joins).some((jk) => jk.startsWith(`${scope}/`))) return;
    if (
      this.agenda.some((st) =>
        st.a === 'activate' ? st.scope === scope : this.s.els[st.k]?.p === scope,
      )
    )
      return;
    this.push({ a: 'complete', k: scope });
  }

  private completeProcess(): void {
    this.s.state = 'COMPLETED';
    this.s.endDate = this.ctx.now;
    const vars = this.s.vars[0] ?? {};
    this.s.vars = { 0: vars };
    this.s.joins = {};
    if (this.s.parent) {
      this.effects.push({
        op: 'send',
        instanceKey: this.s.parent.instanceKey,
        cmd: {
          t: 'childDone',
          wait: this.s.parent.waitKey,
          vars: this.s.parent.propagateAll ? vars : {},
        },
      });
    }
    this.agenda.length = 0;
  }

  // termination //////////

  /** Terminates an element instance and everything inside it; with `keepSelf` only its children and waits. */
  terminate(k: number, record: boolean, keepSelf = false): void {
    for (const child of this.childrenOf(k)) this.terminate(child.k, true);
    const ei = this.s.els[k];
    if (!ei) return;
    this.closeWaitsOf(k);
    this.clearJoins(k);
    if (keepSelf) return;
    if (ei.inc) {
      this.effects.push({
        op: 'set',
        coll: 'incidents',
        id: ei.inc,
        fields: { state: 'RESOLVED' },
      });
      this.s.incidents = this.s.incidents.filter((i) => i !== ei.inc);
    }
    if (record) this.event(ei, 'T');
    delete this.s.els[k];
    delete this.s.vars[k];
    for (let i = this.agenda.length - 1; i >= 0; i--) {
      const st = this.agenda[i]!;
      if (st.a === 'activate' ? st.scope === k : st.k === k) this.agenda.splice(i, 1);
    }
  }

  // errors and escalations //////////

  /**
   * Finds what catches an error or escalation thrown at `ei`, in Zeebe's order: the boundary
   * events of each enclosing activity, then the event sub-processes of its flow scope, upwards.
   */
  private findCatch(
    ei: ElementInstance,
    kind: 'error' | 'escalation',
    code: string | undefined,
  ):
    | { at: 'boundary'; host: ElementInstance; el: CElement }
    | { at: 'esp'; scope: ElementInstance; start: CElement }
    | undefined {
    const codeOf = (e: CElement) =>
      kind === 'error' ? e.event?.errorCode : e.event?.escalationCode;
    const hit = (e: CElement) =>
      e.event?.kind === kind && (codeOf(e) === undefined || codeOf(e) === code);
    let cur: ElementInstance | undefined = ei;
    while (cur) {
      if (cur.k !== 0 && cur.mi !== 'inner') {
        const b = this.el(cur.id)
          .boundaries.map((id) => this.el(id))
          .find(hit);
        if (b) return { at: 'boundary', host: cur, el: b };
      }
      const scope: ElementInstance | undefined = this.s.els[cur.p];
      if (scope && scope.mi !== 'body') {
        const espIds =
          scope.k === 0 ? this.p.eventSubprocesses : this.el(scope.id).eventSubprocesses;
        for (const id of espIds) {
          if (cur.id === id) continue; // an event sub-process does not catch what it throws itself
          const start = Object.values(this.p.elements).find(
            (c) => c.scope === id && c.type === 'startEvent',
          )!;
          if (hit(start)) return { at: 'esp', scope, start };
        }
      }
      cur = scope;
    }
    return undefined;
  }

  private startEventSubprocess(
    scope: ElementInstance,
    esp: CElement,
    start: CElement,
    vars: Vars | undefined,
  ): void {
    if (start.interrupting !== false) {
      // the scope's own boundary events stay; its other event sub-processes close
      this.closeWaitsOf(scope.k, (w) => this.el(w.e).type === 'startEvent');
      for (const child of this.childrenOf(scope.k)) this.terminate(child.k, true);
      this.clearJoins(scope.k);
    }
    const espEi: ElementInstance = {
      k: this.nextKey(),
      id: esp.id,
      p: scope.k,
      at: this.ctx.now,
      esp: start.interrupting !== false,
    };
    this.s.els[espEi.k] = espEi;
    this.event(espEi, 'A');
    this.openEventSubprocesses(espEi);
    this.push({ a: 'activate', el: start.id, scope: espEi.k, vars, fired: true });
  }

  /** Throws a BPMN error from `ei`: caught by the nearest boundary or event sub-process, else an incident. */
  private throwError(
    ei: ElementInstance,
    code: string,
    message: string,
    vars: Vars,
    jobKey?: string,
  ): void {
    const c = this.findCatch(ei, 'error', code);
    if (c?.at === 'boundary') {
      this.terminate(c.host.k, true);
      this.push({ a: 'activate', el: c.el.id, scope: c.host.p, vars, fired: true });
      return;
    }
    if (c?.at === 'esp')
      return this.startEventSubprocess(c.scope, this.el(c.start.scope), c.start, vars);
    this.incident(
      ei,
      'UNHANDLED_ERROR_EVENT',
      `Expected to throw an error event with the code '${code}'${message ? ` with message '${message}'` : ''}, but it was not caught.${this.s.parent ? ' It was passed to the parent process instance.' : ''}`,
      jobKey ? 'job' : 'activate',
    );
    if (this.s.parent) {
      // not caught here: the call activity in the parent instance gets the chance; sent after
      // the incident is written, as the parent may cancel this instance (resolving it) at once
      this.effects.push({
        op: 'send',
        instanceKey: this.s.parent.instanceKey,
        cmd: { t: 'childError', wait: this.s.parent.waitKey, code, message, vars },
      });
    }
  }

  /** Throws an escalation; returns true when the thrower was interrupted. */
  private throwEscalation(ei: ElementInstance, code: string | undefined): boolean {
    const c = this.findCatch(ei, 'escalation', code);
    if (c?.at === 'boundary') {
      const interrupting = c.el.cancelActivity !== false;
      if (interrupting) this.terminate(c.host.k, true);
      this.push({ a: 'activate', el: c.el.id, scope: c.host.p, fired: true });
      return interrupting;
    }
    if (c?.at === 'esp') {
      this.startEventSubprocess(c.scope, this.el(c.start.scope), c.start, undefined);
      return c.start.interrupting !== false;
    }
    return false;
  }
}

/**
 * A user task date (due, follow-up): Zeebe wants an ISO 8601 date-time with an offset; it is
 * kept as the UTC instant the API returns (`…Z`). Null or empty means none.
 */
function dateTime(r: Result<JsonValue>): Result<string | undefined> {
  if (!r.ok) return r;
  if (r.value === null || r.value === '') return { ok: true, value: undefined };
  const text = String(r.value);
  const m =
    /^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d))(?:\[[^\]]+\])?$/.exec(
      text,
    );
  const ms = m ? Date.parse(m[1]!) : NaN;
  if (typeof r.value !== 'string' || Number.isNaN(ms))
    return {
      ok: false,
      error: `expected an ISO 8601 date-time with an offset (e.g. 2030-05-01T10:00:00+08:00), but was '${text}'`,
    };
  return { ok: true, value: new Date(ms).toISOString() };
}

/** A text attribute (assignee): Zeebe wants a string (or nothing), not a number or a list. */
function stringOrNull(r: Result<JsonValue>, attr: string | undefined): Result<JsonValue> {
  if (!r.ok || r.value === null || typeof r.value === 'string') return r;
  const v = r.value;
  const type = Array.isArray(v)
    ? 'ARRAY'
    : typeof v === 'object'
      ? 'CONTEXT'
      : typeof v === 'number'
        ? 'NUMBER'
        : 'BOOLEAN';
  return {
    ok: false,
    error: `Expected result of the expression '${stripEq(attr ?? '')}' to be 'STRING', but was '${type}'`,
  };
}

/** A user task priority: Zeebe wants an integer from 0 to 100; none means 50. */
function taskPriority(r: Result<JsonValue>): Result<number> {
  if (!r.ok) return r;
  if (r.value === null || r.value === '') return { ok: true, value: 50 };
  const n = typeof r.value === 'string' ? Number(r.value) : r.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100)
    return {
      ok: false,
      error: `Expected priority to be an integer in the range [0,100], but was '${JSON.stringify(r.value)}'`,
    };
  return { ok: true, value: n };
}

/** The variable an output element expression reads when it is a plain (nested) name, as `=result` or `=result.score`. */
function outputVariable(expr: string | undefined): string | undefined {
  return expr ? /^=?\s*([A-Za-z_][\w]*)(\.[A-Za-z_][\w]*)*\s*$/.exec(expr)?.[1] : undefined;
}

function stripEq(expr: string): string {
  return expr.startsWith('=') ? expr.slice(1) : expr;
}

/** Sets `a.b.c` style targets, creating nested objects (Zeebe mapping targets). */
function setPath(target: Vars, path: string, value: JsonValue): void {
  const parts = path.split('.');
  let cur: Vars = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]!];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[parts[i]!] = {};
    cur = cur[parts[i]!] as Vars;
  }
  cur[parts[parts.length - 1]!] = value;
}
