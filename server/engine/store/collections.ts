import type { Collection, Db, Document } from 'mongodb';
import type { Database } from '../../db/connection';
import type {
  IncidentDoc,
  JobDoc,
  SubscriptionDoc,
  TimerDoc,
  UserTaskDoc,
} from '../runtime/commands';
import type { InstanceState } from '../runtime/state';

/**
 * The engine's collections. Every hot path addresses documents by `_id` only: on the
 * embedded FerretDB that is the one filter that uses an index (ADR 0003), and inserting a
 * document with a unique `_id` is the only atomic compare-and-swap it offers (ADR 0004).
 */
export const COLLECTIONS = {
  definitions: 'engine_definitions',
  versions: 'engine_versions',
  latest: 'engine_latest',
  forms: 'engine_forms',
  deployments: 'engine_deployments',
  instances: 'engine_instances',
  commits: 'engine_commits',
  jobs: 'engine_jobs',
  claims: 'engine_claims',
  tasks: 'engine_tasks',
  timers: 'engine_timers',
  subs: 'engine_subs',
  messages: 'engine_messages',
  messageIds: 'engine_message_ids',
  incidents: 'engine_incidents',
  nodes: 'engine_nodes',
  accounts: 'engine_accounts',
} as const;

/** A deployed process definition. */
export interface DefinitionDoc {
  _id: string;
  bpmnProcessId: string;
  name?: string;
  version: number;
  tenantId: string;
  resourceName: string;
  checksum: string;
  deploymentKey: string;
  xml: string;
  /** The compiled process as JSON. */
  compiled: string;
  formIds: string[];
  /** The start form's id, when a start event links one. */
  startFormId?: string;
  deployedAt: string;
  deployedBy?: string;
}

/** A deployed form (form-js schema). */
export interface FormDoc {
  _id: string;
  formId: string;
  version: number;
  tenantId: string;
  resourceName: string;
  checksum: string;
  deploymentKey: string;
  schema: string;
  deployedAt: string;
}

/** Version allocation (`${kind}|${tenant}|${id}|${version}`) and latest pointers. */
export interface VersionDoc {
  _id: string;
  key: string;
  checksum: string;
  version: number;
}

/** A process instance: its state at version `v`, plus fields for search. */
export interface InstanceDoc {
  _id: string;
  v: number;
  /**
   * The state as JSON. Process variables are user data: JSON text keeps nested arrays and any
   * key names, which FerretDB documents cannot hold, and is cheaper for it to store.
   */
  s: string;
  /** Effects (JSON) of the commit that produced `v`, re-applied by recovery (idempotent). */
  fx: string;
  bpmnProcessId: string;
  processDefinitionKey: string;
  processVersion: number;
  tenantId: string;
  state: InstanceState['state'];
  startDate: string;
  endDate?: string;
  parentProcessInstanceKey?: string;
  parentElementInstanceKey?: string;
  hasIncident: boolean;
  /** Engine node that wrote `v`, and when (ms). */
  node: number;
  upd: number;
  // Besides these, the scope ids the instance has (`EngineOptions.scopeVariables`, by default
  // `cityId`, `countyId`, `schoolId`, `classId`) are top-level string fields: `InstanceState.scope`.
}

/** One commit of an instance: the command, when and by whom, and what it did. */
export interface CommitDoc {
  _id: string;
  /** The command as JSON. */
  cmd: string;
  at: number;
  by: string;
  /** Global keys allocated during the command, replayed on re-execution. */
  keys: string[];
  /** Element instance transitions as JSON (`HistoryEvent[]`). */
  ev: string;
  /** Set on an instance's first commit: what it was created from. */
  def?: { processDefinitionKey: string; bpmnProcessId: string; version: number; tenantId: string };
  parent?: InstanceState['parent'];
  /** Set on an instance's first commit: its scope ids (`InstanceState.scope`). */
  scope?: Record<string, string>;
}

/** A buffered message (published with a time to live). */
export interface MessageDoc {
  _id: string;
  name: string;
  correlationKey: string;
  tenantId: string;
  /** Message variables as JSON. */
  variables: string;
  expires: number;
  messageId?: string;
  /** Processes (bpmn process ids) it already correlated to: at most once per process. */
  correlated: string[];
}

/** A claim (job activation, timer firing) or an id reservation; `_id` is the thing claimed. */
export interface ClaimDoc {
  _id: string;
  by: string;
  at: number;
  /** Until when the claim holds: a job activation's deadline, a buffered message id's TTL. */
  until?: number;
}

/** An engine node's lease on a node id. */
export interface NodeDoc {
  _id: string;
  at: number;
  name: string;
}

/** A service account for the /v2 API (password hashed with scrypt). */
export interface AccountDoc {
  _id: string;
  salt: string;
  hash: string;
  createdAt: string;
}

/** Typed access to the engine's collections. */
export interface EngineCollections {
  definitions: Collection<DefinitionDoc>;
  versions: Collection<VersionDoc>;
  latest: Collection<VersionDoc>;
  forms: Collection<FormDoc>;
  deployments: Collection<Document>;
  instances: Collection<InstanceDoc>;
  commits: Collection<CommitDoc>;
  jobs: Collection<JobDoc>;
  claims: Collection<ClaimDoc>;
  tasks: Collection<UserTaskDoc>;
  timers: Collection<TimerDoc>;
  subs: Collection<SubscriptionDoc>;
  messages: Collection<MessageDoc>;
  messageIds: Collection<ClaimDoc>;
  incidents: Collection<IncidentDoc>;
  nodes: Collection<NodeDoc>;
  accounts: Collection<AccountDoc>;
}

/** Creates the collections (and the embedded database's `_id` indexes) and returns them typed. */
export async function openCollections(db: Database): Promise<EngineCollections> {
  await db.ensureCollections(Object.values(COLLECTIONS));
  const raw: Db = db.connection.db as unknown as Db;
  const c = <T extends Document>(name: string) => raw.collection<T>(name);
  return {
    definitions: c<DefinitionDoc>(COLLECTIONS.definitions),
    versions: c<VersionDoc>(COLLECTIONS.versions),
    latest: c<VersionDoc>(COLLECTIONS.latest),
    forms: c<FormDoc>(COLLECTIONS.forms),
    deployments: c<Document>(COLLECTIONS.deployments),
    instances: c<InstanceDoc>(COLLECTIONS.instances),
    commits: c<CommitDoc>(COLLECTIONS.commits),
    jobs: c<JobDoc>(COLLECTIONS.jobs),
    claims: c<ClaimDoc>(COLLECTIONS.claims),
    tasks: c<UserTaskDoc>(COLLECTIONS.tasks),
    timers: c<TimerDoc>(COLLECTIONS.timers),
    subs: c<SubscriptionDoc>(COLLECTIONS.subs),
    messages: c<MessageDoc>(COLLECTIONS.messages),
    messageIds: c<ClaimDoc>(COLLECTIONS.messageIds),
    incidents: c<IncidentDoc>(COLLECTIONS.incidents),
    nodes: c<NodeDoc>(COLLECTIONS.nodes),
    accounts: c<AccountDoc>(COLLECTIONS.accounts),
  };
}

/** True for a duplicate-key error (the insert-based compare-and-swap lost). */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 11000;
}
