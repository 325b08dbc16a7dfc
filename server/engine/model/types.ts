/**
 * The compiled form of a BPMN process: what the executor needs, resolved once per deployment.
 * Expressions keep Zeebe's convention: a string starting with `=` is FEEL, anything else is
 * a static value.
 */

/** An attribute that may be FEEL (`=expr`) or static text. */
export type Expr = string;

/** One `zeebe:input` / `zeebe:output` mapping. */
export interface Mapping {
  source: Expr;
  target: string;
}

/** What kind of event definition an event carries. */
export type EventKind =
  'none' | 'message' | 'timer' | 'error' | 'escalation' | 'terminate' | 'link' | 'signal';

/** Timer definition, untouched until evaluated at run time. */
export interface TimerDef {
  kind: 'date' | 'duration' | 'cycle';
  expression: Expr;
}

/** Message reference: name and correlation key (both may be FEEL). */
export interface MessageDef {
  name: Expr;
  correlationKey?: Expr;
}

/** Event definition resolved from the XML. */
export interface EventDef {
  kind: EventKind;
  message?: MessageDef;
  timer?: TimerDef;
  /** Error code; undefined on a catch event means "catch all". */
  errorCode?: Expr;
  escalationCode?: Expr;
  linkName?: string;
  signalName?: Expr;
}

/** A job to create when the element is activated (`zeebe:taskDefinition`). */
export interface JobDef {
  type: Expr;
  retries: Expr;
  headers: Record<string, string>;
}

/** A native (`zeebe:userTask`) or job-based user task. */
export interface UserTaskDef {
  native: boolean;
  assignee?: Expr;
  candidateGroups?: Expr;
  candidateUsers?: Expr;
  dueDate?: Expr;
  followUpDate?: Expr;
  priority?: Expr;
  formId?: string;
  formKey?: string;
  externalReference?: Expr;
}

/** Multi-instance loop characteristics (`zeebe:loopCharacteristics`). */
export interface LoopDef {
  sequential: boolean;
  inputCollection: Expr;
  inputElement?: string;
  outputCollection?: string;
  outputElement?: Expr;
  completionCondition?: Expr;
}

/** Call activity target (`zeebe:calledElement`). */
export interface CallDef {
  processId: Expr;
  propagateAllChildVariables: boolean;
  propagateAllParentVariables: boolean;
}

/** Element types the executor runs. */
export type ElementType =
  | 'startEvent'
  | 'endEvent'
  | 'intermediateCatchEvent'
  | 'intermediateThrowEvent'
  | 'boundaryEvent'
  | 'serviceTask'
  | 'sendTask'
  | 'businessRuleTask'
  | 'scriptTask'
  | 'userTask'
  | 'receiveTask'
  | 'manualTask'
  | 'task'
  | 'exclusiveGateway'
  | 'parallelGateway'
  | 'inclusiveGateway'
  | 'eventBasedGateway'
  | 'subProcess'
  | 'callActivity';

/** One flow node of a compiled process. */
export interface CElement {
  id: string;
  type: ElementType;
  name?: string;
  /** Id of the containing scope: the process id or a sub-process id. */
  scope: string;
  incoming: string[];
  outgoing: string[];
  event?: EventDef;
  /** Receive tasks: the message they wait for. */
  message?: MessageDef;
  /** Start events of event sub-processes: interrupting or not. */
  interrupting?: boolean;
  /** Boundary events: the activity they are attached to and whether they cancel it. */
  attachedTo?: string;
  cancelActivity?: boolean;
  /** Ids of boundary events attached to this activity. */
  boundaries: string[];
  job?: JobDef;
  userTask?: UserTaskDef;
  script?: { expression: Expr; resultVariable?: string };
  inputs: Mapping[];
  outputs: Mapping[];
  defaultFlow?: string;
  loop?: LoopDef;
  call?: CallDef;
  /** Sub-processes: event sub-process flag, the none start event, event sub-process ids. */
  triggeredByEvent?: boolean;
  noneStart?: string;
  eventSubprocesses: string[];
  /** Inclusive gateway joins: for each incoming flow, the elements that can reach it. */
  reachableFrom?: Record<string, string[]>;
}

/** A sequence flow. */
export interface CFlow {
  id: string;
  source: string;
  target: string;
  /** FEEL condition without the leading `=`. */
  condition?: string;
}

/** A compiled executable process. */
export interface CProcess {
  id: string;
  name?: string;
  elements: Record<string, CElement>;
  flows: Record<string, CFlow>;
  /** The none start event of the process. */
  noneStart?: string;
  /** Message start events of the process (not of event sub-processes). */
  messageStarts: string[];
  /** Timer start events of the process. */
  timerStarts: string[];
  /** Signal start events of the process. */
  signalStarts: string[];
  /** Event sub-processes directly in the process. */
  eventSubprocesses: string[];
  /** Ids of forms linked by user tasks (`zeebe:formDefinition formId`). */
  formIds: string[];
  /** The form linked to a start event of the process (`zeebe:formDefinition formId`): the start form. */
  startFormId?: string;
}

/** Why an element cannot be deployed. */
export interface DeployProblem {
  elementId: string;
  message: string;
}
