/**
 * The compact, JSON-serialisable state of one process instance. Only active element
 * instances are kept; completed ones live in the instance's history (its commits).
 */

/** Any JSON value a process variable may hold. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Variables of one scope. */
export type Vars = Record<string, JsonValue>;

/** What an element instance is waiting for, keyed by the wait's key in `InstanceState.waits`. */
export interface Wait {
  /** Local key of the element instance that owns the wait. */
  o: number;
  /** Element to trigger: the owner itself, a boundary event, an event sub-process start, or an event-gateway target. */
  e: string;
  /** job | user task | timer | message | signal | child instance */
  k: 'job' | 'task' | 'timer' | 'msg' | 'sig' | 'child';
  /** Timer cycles: repetitions left (-1 = infinite) and the cycle expression. */
  rep?: number;
  cyc?: string;
  /** User tasks: the current assignee, for allowOverride checks. */
  a?: string | null;
  /** Message subscriptions: message name and correlation key (for re-opening after buffered checks). */
  name?: string;
  corr?: string;
}

/** One active element instance. */
export interface ElementInstance {
  /** Local key (0 = the process instance itself). */
  k: number;
  /** BPMN element id (the process id for the root). */
  id: string;
  /** Local key of the flow scope instance (-1 for the root). */
  p: number;
  /** Start time (ms since epoch). */
  at: number;
  /** Multi-instance: 'body' or 'inner' (with loop index). */
  mi?: 'body' | 'inner';
  loop?: number;
  /** Multi-instance body bookkeeping. */
  body?: { n: number; next: number; done: number; ended: number; items: JsonValue[] };
  /** Open incident on this element and the step to redo when it is resolved. */
  inc?: string;
  redo?: 'activate' | 'inputs' | 'complete' | 'job' | 'gateway';
  /** Event sub-process instance: its start event is interrupting. */
  esp?: boolean;
  /** Job key the element currently waits for (service-like tasks). */
  job?: string;
  /** The process instance: its start event, while an incident holds the start back. */
  start?: { el: string; fired: boolean; vars?: Vars };
}

/** The state of a process instance. */
export interface InstanceState {
  key: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  processVersion: number;
  tenantId: string;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  /** Next local key. */
  n: number;
  /** Active element instances by local key. */
  els: Record<string, ElementInstance>;
  /** Variables by scope local key. */
  vars: Record<string, Vars>;
  /** Tokens waiting at joining gateways: `${scopeLocal}/${gatewayId}` → flow id → count. */
  joins: Record<string, Record<string, number>>;
  /** Open waits by wait key (job, user task, timer, subscription, child instance). */
  waits: Record<string, Wait>;
  /** The call activity this instance was started by. */
  parent?: { instanceKey: string; waitKey: string; propagateAll: boolean };
  startDate: number;
  endDate?: number;
  /** Open incidents by key. */
  incidents: string[];
  /** Started by a message with this correlation key: no other such instance starts while it is active. */
  startKey?: string;
  /**
   * Scope ids (the engine's `scopeVariables`, e.g. `schoolId`) taken from the variables at
   * creation or inherited from the calling instance; copied onto the instance document so
   * that lists can filter by them.
   */
  scope?: Record<string, string>;
}
