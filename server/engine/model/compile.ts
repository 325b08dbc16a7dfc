import { BpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { checkSyntax, isExpression } from '../feel';
import type {
  CElement,
  CFlow,
  CProcess,
  DeployProblem,
  ElementType,
  EventDef,
  LoopDef,
  Mapping,
  MessageDef,
} from './types';

/** A moddle element as parsed: typed loosely, read through the helpers below. */
interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  [key: string]: unknown;
}

/** The result of compiling one BPMN file. */
export interface CompileResult {
  processes: CProcess[];
  problems: DeployProblem[];
}

const moddle = new BpmnModdle({ zeebe: zeebeSchema });

const SUPPORTED: Record<string, ElementType> = {
  'bpmn:StartEvent': 'startEvent',
  'bpmn:EndEvent': 'endEvent',
  'bpmn:IntermediateCatchEvent': 'intermediateCatchEvent',
  'bpmn:IntermediateThrowEvent': 'intermediateThrowEvent',
  'bpmn:BoundaryEvent': 'boundaryEvent',
  'bpmn:ServiceTask': 'serviceTask',
  'bpmn:SendTask': 'sendTask',
  'bpmn:BusinessRuleTask': 'businessRuleTask',
  'bpmn:ScriptTask': 'scriptTask',
  'bpmn:UserTask': 'userTask',
  'bpmn:ReceiveTask': 'receiveTask',
  'bpmn:ManualTask': 'manualTask',
  'bpmn:Task': 'task',
  'bpmn:ExclusiveGateway': 'exclusiveGateway',
  'bpmn:ParallelGateway': 'parallelGateway',
  'bpmn:InclusiveGateway': 'inclusiveGateway',
  'bpmn:EventBasedGateway': 'eventBasedGateway',
  'bpmn:SubProcess': 'subProcess',
  'bpmn:CallActivity': 'callActivity',
};

/** Artifacts and data elements that carry no behaviour and are ignored. */
const IGNORED = new Set([
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
  'bpmn:TextAnnotation',
  'bpmn:Association',
  'bpmn:Group',
]);

function list<T = ModdleElement>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function ext(el: ModdleElement | undefined, type: string): ModdleElement | undefined {
  const ee = el?.extensionElements as ModdleElement | undefined;
  return list(ee?.values).find((v) => v.$type === type);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function body(v: unknown): string | undefined {
  return str((v as ModdleElement | undefined)?.body);
}

/** A referenced `bpmn:message` with its `zeebe:subscription` correlation key. */
function messageDef(ref: unknown): MessageDef | undefined {
  const msg = ref as ModdleElement | undefined;
  if (!msg) return undefined;
  const sub = ext(msg, 'zeebe:Subscription');
  return { name: str(msg.name) ?? '', correlationKey: str(sub?.correlationKey) };
}

/** Strips the leading `=` of a FEEL expression; a static condition is taken literally. */
function feel(expr: string): string {
  return expr.startsWith('=') ? expr.slice(1) : expr;
}

class Compiler {
  readonly problems: DeployProblem[] = [];

  problem(elementId: string, message: string): void {
    this.problems.push({ elementId, message });
  }

  eventDef(el: ModdleElement): EventDef | undefined {
    const defs = list(el.eventDefinitions);
    if (defs.length === 0) return { kind: 'none' };
    if (defs.length > 1) {
      this.problem(el.id ?? '?', 'multiple event definitions on one event are not supported');
      return undefined;
    }
    const d = defs[0]!;
    switch (d.$type) {
      case 'bpmn:MessageEventDefinition':
        return { kind: 'message', message: messageDef(d.messageRef) };
      case 'bpmn:TimerEventDefinition': {
        const date = body(d.timeDate);
        const duration = body(d.timeDuration);
        const cycle = body(d.timeCycle);
        const timer = date
          ? { kind: 'date' as const, expression: date }
          : duration
            ? { kind: 'duration' as const, expression: duration }
            : cycle
              ? { kind: 'cycle' as const, expression: cycle }
              : undefined;
        if (!timer) this.problem(el.id ?? '?', 'a timer event needs a date, duration or cycle');
        return { kind: 'timer', timer };
      }
      case 'bpmn:ErrorEventDefinition': {
        const error = d.errorRef as ModdleElement | undefined;
        return { kind: 'error', errorCode: str(error?.errorCode) };
      }
      case 'bpmn:EscalationEventDefinition': {
        const esc = d.escalationRef as ModdleElement | undefined;
        return { kind: 'escalation', escalationCode: str(esc?.escalationCode) };
      }
      case 'bpmn:TerminateEventDefinition':
        return { kind: 'terminate' };
      case 'bpmn:LinkEventDefinition':
        return { kind: 'link', linkName: str(d.name) };
      case 'bpmn:SignalEventDefinition': {
        const sig = d.signalRef as ModdleElement | undefined;
        return { kind: 'signal', signalName: str(sig?.name) };
      }
      default:
        this.problem(el.id ?? '?', `${d.$type.replace('bpmn:', '')} is not supported`);
        return undefined;
    }
  }

  mappings(el: ModdleElement): { inputs: Mapping[]; outputs: Mapping[] } {
    const io = ext(el, 'zeebe:IoMapping');
    const map = (v: unknown) =>
      list(v).map((p) => ({ source: str(p.source) ?? '=null', target: str(p.target) ?? '' }));
    const inputs = map(io?.inputParameters);
    const outputs = map(io?.outputParameters);
    for (const m of [...inputs, ...outputs]) {
      if (!m.target) this.problem(el.id ?? '?', 'an input/output mapping has no target');
    }
    return { inputs, outputs };
  }

  loop(el: ModdleElement): LoopDef | undefined {
    const lc = el.loopCharacteristics as ModdleElement | undefined;
    if (!lc) return undefined;
    if (lc.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
      this.problem(el.id!, 'standard loops are not supported; use multi-instance');
      return undefined;
    }
    const z = ext(lc, 'zeebe:LoopCharacteristics');
    const inputCollection = str(z?.inputCollection);
    if (!inputCollection) {
      this.problem(
        el.id!,
        'a multi-instance activity needs zeebe:loopCharacteristics inputCollection',
      );
      return undefined;
    }
    const completion = body(lc.completionCondition);
    return {
      sequential: lc.isSequential === true,
      inputCollection,
      inputElement: str(z?.inputElement),
      outputCollection: str(z?.outputCollection),
      outputElement: str(z?.outputElement),
      completionCondition: completion,
    };
  }

  element(el: ModdleElement, scope: string, proc: CProcess): void {
    if (el.$type === 'bpmn:SequenceFlow') {
      const source = (el.sourceRef as ModdleElement | undefined)?.id;
      const target = (el.targetRef as ModdleElement | undefined)?.id;
      if (!source || !target) {
        this.problem(el.id ?? '?', 'a sequence flow must connect two existing elements');
        return;
      }
      const cond = body(el.conditionExpression);
      const flow: CFlow = {
        id: el.id!,
        source,
        target,
        condition: cond ? feel(cond) : undefined,
      };
      proc.flows[flow.id] = flow;
      this.checkFeel(flow.id, 'condition', flow.condition, true);
      return;
    }
    if (IGNORED.has(el.$type)) return;
    const type = SUPPORTED[el.$type];
    if (!type) {
      this.problem(el.id ?? '?', `${el.$type.replace('bpmn:', '')} is not supported`);
      return;
    }
    if (el.isForCompensation === true) {
      this.problem(el.id!, 'compensation handlers (isForCompensation) are not supported');
      return;
    }
    const id = el.id!;
    const { inputs, outputs } = this.mappings(el);
    const c: CElement = {
      id,
      type,
      name: str(el.name),
      scope,
      incoming: [],
      outgoing: [],
      boundaries: [],
      inputs,
      outputs,
      eventSubprocesses: [],
    };
    if (type.endsWith('Event')) {
      c.event = this.eventDef(el);
      if (!c.event) return;
    }
    for (const [type, what] of [
      ['zeebe:ExecutionListeners', 'execution listeners'],
      ['zeebe:TaskListeners', 'task listeners'],
      ['zeebe:AdHoc', 'ad-hoc sub-processes'],
    ] as const) {
      if (ext(el, type)) this.problem(id, `${what} (${type}) are not supported`);
    }
    const taskDef = ext(el, 'zeebe:TaskDefinition');
    if (taskDef) {
      c.job = {
        type: str(taskDef.type) ?? '',
        retries: str(taskDef.retries) ?? '3',
        headers: Object.fromEntries(
          list(ext(el, 'zeebe:TaskHeaders')?.values).map((h) => [
            String(h.key),
            String(h.value ?? ''),
          ]),
        ),
      };
      if (!c.job.type) this.problem(id, 'zeebe:taskDefinition needs a job type');
    }
    switch (type) {
      case 'serviceTask':
      case 'sendTask':
        if (!c.job) this.problem(id, 'needs zeebe:taskDefinition with a job type');
        break;
      case 'businessRuleTask':
        if (ext(el, 'zeebe:CalledDecision'))
          this.problem(
            id,
            'DMN decisions (zeebe:calledDecision) are not supported; use a job worker',
          );
        else if (!c.job) this.problem(id, 'needs zeebe:taskDefinition with a job type');
        break;
      case 'scriptTask': {
        const script = ext(el, 'zeebe:Script');
        if (script && str(script.expression)) {
          c.script = {
            expression: String(script.expression),
            resultVariable: str(script.resultVariable),
          };
          if (!c.script.resultVariable) this.problem(id, 'zeebe:script needs a resultVariable');
        } else if (!c.job) this.problem(id, 'needs zeebe:script or zeebe:taskDefinition');
        break;
      }
      case 'userTask': {
        const assign = ext(el, 'zeebe:AssignmentDefinition');
        const schedule = ext(el, 'zeebe:TaskSchedule');
        const form = ext(el, 'zeebe:FormDefinition');
        const priority = ext(el, 'zeebe:PriorityDefinition');
        c.userTask = {
          native: Boolean(ext(el, 'zeebe:UserTask')),
          assignee: str(assign?.assignee),
          candidateGroups: str(assign?.candidateGroups),
          candidateUsers: str(assign?.candidateUsers),
          dueDate: str(schedule?.dueDate),
          followUpDate: str(schedule?.followUpDate),
          priority: str(priority?.priority),
          formId: str(form?.formId),
          formKey: str(form?.formKey),
          externalReference: str(form?.externalReference),
        };
        if (c.userTask.formId && !proc.formIds.includes(c.userTask.formId))
          proc.formIds.push(c.userTask.formId);
        if (!c.userTask.native) {
          c.job = { type: 'io.camunda.zeebe:userTask', retries: '1', headers: {} };
        }
        break;
      }
      case 'callActivity': {
        const called = ext(el, 'zeebe:CalledElement');
        const processId = str(called?.processId) ?? str(called?.processIdExpression);
        if (!processId) this.problem(id, 'needs zeebe:calledElement with a processId');
        c.call = {
          processId: processId ?? '',
          propagateAllChildVariables: called?.propagateAllChildVariables !== false,
          propagateAllParentVariables: called?.propagateAllParentVariables !== false,
        };
        break;
      }
      case 'subProcess':
        c.triggeredByEvent = el.triggeredByEvent === true;
        if (el.$type !== 'bpmn:SubProcess') this.problem(id, `${el.$type} is not supported`);
        break;
      case 'receiveTask':
        c.message = messageDef(el.messageRef);
        if (!c.message?.name) this.problem(id, 'a receive task needs a message with a name');
        else if (!c.message.correlationKey)
          this.problem(id, 'a receive task needs zeebe:subscription correlationKey');
        break;
      case 'exclusiveGateway':
      case 'inclusiveGateway':
        c.defaultFlow = (el.default as ModdleElement | undefined)?.id;
        break;
      case 'boundaryEvent':
        c.attachedTo = (el.attachedToRef as ModdleElement | undefined)?.id;
        c.cancelActivity = el.cancelActivity !== false;
        break;
      case 'startEvent':
        c.interrupting = el.isInterrupting !== false;
        if (scope === proc.id) proc.startFormId ??= str(ext(el, 'zeebe:FormDefinition')?.formId);
        break;
      default:
        break;
    }
    this.checkEvent(c);
    this.checkExpressions(c);
    const loop = this.loop(el);
    if (loop) c.loop = loop;
    proc.elements[id] = c;
    if (type === 'subProcess') {
      for (const child of list(el.flowElements)) this.element(child, id, proc);
    }
  }

  /** Records a problem when a FEEL attribute (`=…`, or any text where `always`) does not parse. */
  checkFeel(elementId: string, what: string, attr: string | undefined, always = false): void {
    if (attr === undefined || (!always && !isExpression(attr))) return;
    const r = checkSyntax(attr);
    if (!r.ok) this.problem(elementId, `${what}: failed to parse expression '${attr}': ${r.error}`);
  }

  /** Zeebe refuses a deployment whose expressions do not parse; so do we, per attribute. */
  checkExpressions(c: CElement): void {
    const check = (what: string, attr: string | undefined, always = false) =>
      this.checkFeel(c.id, what, attr, always);
    for (const m of c.inputs) check(`input mapping '${m.target}'`, m.source);
    for (const m of c.outputs) check(`output mapping '${m.target}'`, m.source);
    if (c.script) check('script', c.script.expression, true);
    if (c.loop) {
      check('inputCollection', c.loop.inputCollection, true);
      check('outputElement', c.loop.outputElement);
      check('completionCondition', c.loop.completionCondition, true);
    }
    if (c.job) {
      check('job type', c.job.type);
      check('job retries', c.job.retries);
    }
    const ut = c.userTask;
    if (ut) {
      check('assignee', ut.assignee);
      check('candidateGroups', ut.candidateGroups);
      check('candidateUsers', ut.candidateUsers);
      check('dueDate', ut.dueDate);
      check('followUpDate', ut.followUpDate);
      check('priority', ut.priority);
      check('externalReference', ut.externalReference);
    }
    if (c.call) check('processId', c.call.processId);
    const e = c.event;
    if (e) {
      check('message name', e.message?.name);
      check('correlationKey', e.message?.correlationKey);
      check('timer', e.timer?.expression);
      check('errorCode', e.errorCode);
      check('escalationCode', e.escalationCode);
      check('signal name', e.signalName);
    }
  }

  /** Zeebe's deployment checks for events, by element type and definition. */
  checkEvent(c: CElement): void {
    const e = c.event;
    if (!e) return;
    const allowed: Record<string, EventDef['kind'][]> = {
      startEvent: ['none', 'message', 'timer', 'error', 'escalation', 'signal'],
      endEvent: ['none', 'error', 'escalation', 'terminate', 'message', 'signal'],
      intermediateCatchEvent: ['message', 'timer', 'link', 'signal'],
      intermediateThrowEvent: ['none', 'escalation', 'link', 'message', 'signal'],
      boundaryEvent: ['error', 'timer', 'message', 'escalation', 'signal'],
    };
    if (!allowed[c.type]?.includes(e.kind)) {
      this.problem(c.id, `a ${e.kind} ${c.type} is not supported`);
    }
    if (e.kind === 'message') {
      const throwing = c.type === 'endEvent' || c.type === 'intermediateThrowEvent';
      if (throwing) {
        if (!c.job)
          this.problem(c.id, 'a message throw event needs zeebe:taskDefinition (it runs as a job)');
      } else if (!e.message?.name) {
        this.problem(c.id, 'a message catch event needs a message with a name');
      } else if (c.type !== 'startEvent' && !e.message.correlationKey) {
        this.problem(c.id, 'a message catch event needs zeebe:subscription correlationKey');
      }
    }
    if (e.timer?.kind === 'cycle') {
      // Zeebe: a timer that can only fire once takes a duration or a date
      if (c.type === 'intermediateCatchEvent')
        this.problem(
          c.id,
          'an intermediate timer catch event needs a time duration or date, not a cycle',
        );
      if (c.type === 'boundaryEvent' && c.cancelActivity !== false)
        this.problem(
          c.id,
          'an interrupting timer boundary event needs a time duration or date, not a cycle',
        );
    }
    if (e.kind === 'error' && c.type === 'endEvent' && !e.errorCode) {
      this.problem(c.id, 'an error end event needs an error with an errorCode');
    }
    if (e.kind === 'link' && !e.linkName) this.problem(c.id, 'a link event needs a name');
    if (e.kind === 'signal' && !e.signalName)
      this.problem(c.id, 'a signal event needs a signal with a name');
  }

  /** Links flows to nodes, finds starts, boundaries and event sub-processes; checks gateways. */
  link(proc: CProcess): void {
    for (const flow of Object.values(proc.flows)) {
      const src = proc.elements[flow.source];
      const tgt = proc.elements[flow.target];
      if (!src || !tgt) {
        // an element refused with its own reason needs no second problem for each of its flows
        const refused = this.problems.some(
          (p) => p.elementId === flow.source || p.elementId === flow.target,
        );
        if (!refused)
          this.problem(flow.id, 'sequence flow connects an unsupported or missing element');
        continue;
      }
      src.outgoing.push(flow.id);
      tgt.incoming.push(flow.id);
    }
    for (const el of Object.values(proc.elements)) {
      const scopeEl = proc.elements[el.scope];
      if (el.type === 'boundaryEvent') {
        const host = el.attachedTo ? proc.elements[el.attachedTo] : undefined;
        if (!host) this.problem(el.id, 'a boundary event must be attached to a supported activity');
        else host.boundaries.push(el.id);
      }
      if (el.type === 'subProcess' && el.triggeredByEvent) {
        if (scopeEl) scopeEl.eventSubprocesses.push(el.id);
        else proc.eventSubprocesses.push(el.id);
      }
      if (el.type === 'startEvent') {
        const inEventSub = scopeEl?.type === 'subProcess' && scopeEl.triggeredByEvent;
        const kind = el.event?.kind;
        if (inEventSub) continue;
        if (kind === 'none') {
          if (scopeEl) {
            if (scopeEl.noneStart)
              this.problem(el.id, 'a sub-process may have only one none start event');
            scopeEl.noneStart = el.id;
          } else {
            if (proc.noneStart) this.problem(el.id, 'a process may have only one none start event');
            proc.noneStart = el.id;
          }
        } else if (scopeEl) {
          this.problem(el.id, 'an embedded sub-process may only have a none start event');
        } else if (kind === 'message') proc.messageStarts.push(el.id);
        else if (kind === 'timer') proc.timerStarts.push(el.id);
        else if (kind === 'signal') proc.signalStarts.push(el.id);
        else this.problem(el.id, `a ${kind} start event is only allowed in an event sub-process`);
      }
    }
    for (const el of Object.values(proc.elements)) {
      if (el.type === 'subProcess' && !el.triggeredByEvent && !el.noneStart) {
        this.problem(el.id, 'an embedded sub-process needs a none start event');
      }
      if (el.type === 'subProcess' && el.triggeredByEvent) {
        const starts = Object.values(proc.elements).filter(
          (c) => c.scope === el.id && c.type === 'startEvent',
        );
        if (starts.length !== 1 || starts[0]!.event?.kind === 'none') {
          this.problem(
            el.id,
            'an event sub-process needs exactly one message, timer, error, escalation or signal start event',
          );
        }
      }
      if (el.type === 'exclusiveGateway' || el.type === 'inclusiveGateway') {
        if (el.outgoing.length > 1) {
          for (const f of el.outgoing) {
            if (f !== el.defaultFlow && !proc.flows[f]!.condition) {
              this.problem(
                f,
                `a sequence flow leaving ${el.id} needs a condition unless it is the default flow`,
              );
            }
          }
        }
      }
      if (el.type === 'eventBasedGateway') {
        for (const f of el.outgoing) {
          const target = proc.elements[proc.flows[f]!.target];
          const ok =
            (target?.type === 'intermediateCatchEvent' &&
              ['message', 'timer', 'signal'].includes(target.event?.kind ?? '')) ||
            target?.type === 'receiveTask';
          if (!ok)
            this.problem(
              el.id,
              'an event-based gateway may only lead to message, timer or signal catch events',
            );
        }
        if (el.outgoing.length < 2)
          this.problem(el.id, 'an event-based gateway needs at least two outgoing flows');
      }
      if (el.type === 'intermediateCatchEvent' && el.event?.kind === 'link') {
        const dup = Object.values(proc.elements).filter(
          (o) =>
            o.type === 'intermediateCatchEvent' &&
            o.event?.kind === 'link' &&
            o.event.linkName === el.event!.linkName &&
            o.scope === el.scope,
        );
        if (dup.length > 1)
          this.problem(
            el.id,
            `link name '${el.event.linkName}' is caught more than once in one scope`,
          );
      }
      if (el.type === 'intermediateThrowEvent' && el.event?.kind === 'link') {
        const catcher = Object.values(proc.elements).find(
          (o) =>
            o.type === 'intermediateCatchEvent' &&
            o.event?.kind === 'link' &&
            o.event.linkName === el.event!.linkName &&
            o.scope === el.scope,
        );
        if (!catcher)
          this.problem(el.id, `no link catch event named '${el.event.linkName}' in the same scope`);
      }
      if (el.type === 'inclusiveGateway' && el.incoming.length > 1)
        el.reachableFrom = this.reachability(proc, el);
    }
    if (
      !proc.noneStart &&
      proc.messageStarts.length + proc.timerStarts.length + proc.signalStarts.length === 0
    ) {
      this.problem(proc.id, 'the process needs at least one start event');
    }
  }

  /** For each incoming flow of a join: every element of the scope that can still lead to it. */
  reachability(proc: CProcess, gw: CElement): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    for (const f of gw.incoming) {
      const seen = new Set<string>();
      const stack = [proc.flows[f]!.source];
      while (stack.length) {
        const id = stack.pop()!;
        if (seen.has(id) || id === gw.id) continue;
        seen.add(id);
        const el = proc.elements[id];
        if (!el) continue;
        for (const inc of el.incoming) stack.push(proc.flows[inc]!.source);
        if (el.type === 'boundaryEvent' && el.attachedTo) stack.push(el.attachedTo);
        // an element inside a sub-process reaches the flow through its enclosing sub-process
        for (const child of Object.values(proc.elements))
          if (child.scope === id) seen.add(child.id);
      }
      result[f] = [...seen];
    }
    return result;
  }
}

/**
 * Parses a BPMN 2.0 XML file in the Camunda 8 dialect and compiles every executable process.
 * Unsupported elements and invalid configurations are reported per element id, never thrown.
 */
export async function compileBpmn(xml: string): Promise<CompileResult> {
  const compiler = new Compiler();
  let root: ModdleElement;
  try {
    const parsed = await moddle.fromXML(xml);
    root = parsed.rootElement as unknown as ModdleElement;
  } catch (err) {
    return {
      processes: [],
      problems: [{ elementId: '(file)', message: `not valid BPMN XML: ${(err as Error).message}` }],
    };
  }
  const processes: CProcess[] = [];
  for (const re of list(root.rootElements)) {
    if (re.$type !== 'bpmn:Process' || re.isExecutable === false) continue;
    const proc: CProcess = {
      id: re.id!,
      name: str(re.name),
      elements: {},
      flows: {},
      messageStarts: [],
      timerStarts: [],
      signalStarts: [],
      eventSubprocesses: [],
      formIds: [],
    };
    for (const el of list(re.flowElements)) compiler.element(el, proc.id, proc);
    compiler.link(proc);
    processes.push(proc);
  }
  if (processes.length === 0 && compiler.problems.length === 0) {
    compiler.problem('(file)', 'the file contains no executable process');
  }
  return { processes, problems: compiler.problems };
}
