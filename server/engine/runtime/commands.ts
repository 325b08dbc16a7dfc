import type { JsonValue, Vars } from './state';

/** A command applied to one process instance. Stored in its commit for replay and audit. */
export type Command =
  /** `startKey`: the correlation key of the message that starts the instance at a message start event. */
  | { t: 'create'; vars: Vars; start?: string; startVars?: Vars; startKey?: string }
  | { t: 'jobComplete'; job: string; vars: Vars }
  | { t: 'jobFail'; job: string; retries: number; message?: string; backoffMs?: number; vars: Vars }
  | { t: 'jobError'; job: string; code: string; message?: string; vars: Vars }
  | { t: 'jobTimeout'; job: string; retries: number }
  | { t: 'taskComplete'; task: string; vars: Vars; action?: string }
  | { t: 'taskAssign'; task: string; assignee: string | null; allowOverride: boolean }
  | { t: 'trigger'; wait: string; vars: Vars; messageKey?: string }
  | { t: 'cancel' }
  | { t: 'resolve'; incident: string; retries?: number }
  | { t: 'childDone'; wait: string; vars: Vars }
  | { t: 'childError'; wait: string; code: string; message?: string; vars: Vars }
  /** The called process could not be started (not deployed, no none start event). */
  | { t: 'childMissing'; wait: string; message: string }
  | { t: 'setVars'; scope: string; vars: Vars; local: boolean };

/** Who issued a command (for the audit log). */
export interface Actor {
  kind: 'user' | 'service' | 'engine';
  id: string;
}

/** A job document as the engine stores it. */
export interface JobDoc {
  _id: string;
  type: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  processVersion: number;
  elementId: string;
  elementInstanceKey: string;
  tenantId: string;
  retries: number;
  /** Custom headers as JSON: header names such as `io.camunda.zeebe:assignee` contain dots, which document keys cannot. */
  customHeaders: string;
  /** Variables visible to the job's element, as JSON (FerretDB refuses nested arrays in documents). */
  variables: string;
  kind: 'BPMN_ELEMENT';
  /** ACTIVATABLE until claimed; FAILED while an incident holds it. */
  state: 'ACTIVATABLE' | 'ACTIVATED' | 'FAILED';
  /** Not activatable before this time (retry back-off). */
  notBefore?: number;
  worker?: string;
  deadline?: number;
  errorMessage?: string;
  created: number;
}

/** A user task document. */
export interface UserTaskDoc {
  _id: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  processVersion: number;
  elementId: string;
  elementName?: string;
  elementInstanceKey: string;
  tenantId: string;
  state: 'CREATED' | 'COMPLETED' | 'CANCELED' | 'FAILED';
  assignee?: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate?: string;
  followUpDate?: string;
  priority: number;
  formKey?: string;
  formId?: string;
  externalFormReference?: string;
  customHeaders: Record<string, string>;
  creationDate: string;
  completionDate?: string;
  completedBy?: string;
  /** Variables visible to the task when it was created, as JSON (for display; the instance stays the truth). */
  variables: string;
  /** Job-based user tasks: the job that represents the task. */
  jobKey?: string;
}

/** A timer document (instance timers and process timer start events). */
export interface TimerDoc {
  _id: string;
  due: number;
  processInstanceKey?: string;
  processDefinitionKey: string;
  elementId: string;
  tenantId: string;
  /** Timer start events: repetitions left (-1 infinite) and cycle. */
  start?: { rep: number; cyc?: string };
}

/** A message subscription (instance waits and message start events). */
export interface SubscriptionDoc {
  _id: string;
  name: string;
  correlationKey: string;
  tenantId: string;
  processInstanceKey?: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  /** Message start event subscriptions create an instance. */
  start?: boolean;
  kind: 'msg' | 'sig';
}

/** An incident document. */
export interface IncidentDoc {
  _id: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  elementInstanceKey: string;
  tenantId: string;
  errorType: string;
  errorMessage: string;
  jobKey?: string;
  state: 'ACTIVE' | 'RESOLVED';
  creationTime: string;
}

/** One write a commit performs besides the instance itself; each is idempotent. */
export type Effect =
  | {
      op: 'put';
      coll: 'jobs' | 'tasks' | 'timers' | 'subs' | 'incidents';
      doc: { _id: string } & Record<string, unknown>;
    }
  | { op: 'set'; coll: 'jobs' | 'tasks' | 'incidents'; id: string; fields: Record<string, unknown> }
  | { op: 'del'; coll: 'jobs' | 'timers' | 'subs'; id: string }
  | {
      op: 'spawn';
      key: string;
      bpmnProcessId: string;
      tenantId: string;
      vars: Vars;
      parent: {
        instanceKey: string;
        waitKey: string;
        propagateAll: boolean;
        elementInstanceKey: string;
      };
      /** The calling instance's scope ids, inherited by the child. */
      scope?: Record<string, string>;
    }
  | { op: 'send'; instanceKey: string; cmd: Command }
  | { op: 'cancel'; instanceKey: string }
  | { op: 'signal'; name: string; tenantId: string; vars: Vars };

/** An element instance lifecycle event, for history: [localKey, elementId, transition, parentLocal, type]. */
export type HistoryEvent = [number, string, 'A' | 'C' | 'T', number, string];

/** Marker for JSON values (re-exported for convenience). */
export type { JsonValue };
