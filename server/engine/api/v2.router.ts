import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { UserError, ValidationError } from '../../lib/errors';
import { DEFAULT_TENANT, type Engine, parseState } from '../engine';
import { EngineError } from '../errors';
import { fullKey, instanceKeyOf, localKey } from '../runtime/executor';
import type { HistoryEvent, IncidentDoc, JobDoc, UserTaskDoc } from '../runtime/commands';
import type { InstanceState, JsonValue, Vars } from '../runtime/state';
import type { FormDoc, InstanceDoc } from '../store/collections';
import type { ServiceAccounts } from './accounts';
import { search, searchRequest } from './search';

/** Who called the API. */
export interface Principal {
  kind: 'service' | 'user';
  id: string;
}

/** What the /v2 router needs. */
export interface V2Deps {
  engine: Engine;
  accounts: ServiceAccounts;
  /** Resolves a signed-in person from the request (session); undefined when none. */
  sessionPrincipal?: (req: Request) => Promise<Principal | undefined>;
}

const key = z.string().regex(/^-?\d{1,25}$/, 'must be a key (digits)');
const int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
const tenant = z
  .string()
  .regex(/^(<default>|[A-Za-z0-9_@.+-]+)$/)
  .max(256);
const variables = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((v) => (v ?? {}) as Vars);

const schemas = {
  createInstance: z
    .strictObject({
      processDefinitionId: z.string().min(1).optional(),
      processDefinitionVersion: int64.optional(),
      processDefinitionKey: key.optional(),
      variables,
      tenantId: tenant.optional(),
      awaitCompletion: z.boolean().optional(),
      fetchVariables: z.array(z.string()).optional(),
      requestTimeout: int64.optional(),
      operationReference: int64.optional(),
      tags: z.array(z.string()).optional(),
      startInstructions: z.array(z.strictObject({ elementId: z.string() })).optional(),
    })
    .refine((b) => Boolean(b.processDefinitionId) !== Boolean(b.processDefinitionKey), {
      message: 'exactly one of processDefinitionId and processDefinitionKey is required',
      path: ['processDefinitionId'],
    }),
  activate: z.strictObject({
    type: z.string().min(1),
    worker: z.string().optional(),
    timeout: int64.refine((n) => n > 0, 'must be greater than 0'),
    maxJobsToActivate: z.number().int().min(1).max(1000),
    fetchVariable: z.array(z.string()).optional(),
    requestTimeout: int64.optional(),
    tenantIds: z.array(tenant).optional(),
  }),
  completeJob: z.strictObject({ variables, result: z.unknown().optional() }),
  failJob: z.strictObject({
    retries: z.number().int().min(0).optional(),
    errorMessage: z.string().nullish(),
    retryBackOff: int64.optional(),
    variables,
  }),
  jobError: z.strictObject({
    errorCode: z.string().min(1),
    errorMessage: z.string().nullish(),
    variables,
  }),
  updateJob: z.strictObject({
    changeset: z.strictObject({ retries: z.number().int().nullish(), timeout: int64.nullish() }),
    operationReference: int64.optional(),
  }),
  publish: z.strictObject({
    name: z.string().min(1, 'a message needs a name'),
    correlationKey: z.string().optional(),
    timeToLive: int64.optional(),
    messageId: z.string().optional(),
    variables,
    tenantId: tenant.optional(),
  }),
  correlate: z.strictObject({
    name: z.string().min(1, 'a message needs a name'),
    correlationKey: z.string().optional(),
    variables,
    tenantId: tenant.optional(),
  }),
  assign: z.strictObject({
    assignee: z.string().min(1),
    allowOverride: z.boolean().nullish(),
    action: z.string().nullish(),
  }),
  completeTask: z.strictObject({ variables, action: z.string().nullish() }),
  signal: z.strictObject({ signalName: z.string().min(1), variables, tenantId: tenant.optional() }),
  empty: z.strictObject({ operationReference: int64.optional() }),
  setVariables: z.strictObject({
    variables: z.record(z.string(), z.unknown()),
    local: z.boolean().optional(),
    operationReference: int64.optional(),
  }),
};

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw new ValidationError(
      r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })),
      r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return r.data;
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  const r = key.safeParse(v);
  if (!r.success)
    throw new ValidationError(
      [{ path: name, message: 'must be a key (digits)' }],
      `${name} must be a key (digits)`,
    );
  return r.data;
}

/** The /v2 REST API: the subset of Camunda 8.8's Orchestration Cluster API the engine serves. */
export function createV2Router(deps: V2Deps): Router {
  const { engine } = deps;
  const r = express.Router();
  const upload = multer({ limits: { fileSize: 10 * 1024 * 1024, files: 50 } });

  // Nothing under /v2 answers without authentication.
  r.use(async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      if (user && (await deps.accounts.verify(user, rest.join(':')))) {
        res.locals.principal = { kind: 'service', id: user } satisfies Principal;
        return next();
      }
    }
    // a session, or the Basic credentials of a service user of the organisation
    if (deps.sessionPrincipal) {
      const p = await deps.sessionPrincipal(req);
      if (p) {
        res.locals.principal = p;
        return next();
      }
    }
    res.setHeader('www-authenticate', 'Basic realm="kehou-flow"');
    throw new UserError(
      401,
      'UNAUTHENTICATED',
      'error.unauthenticated',
      'valid service-account credentials (HTTP Basic) or a session are required',
    );
  });
  const by = (res: Response) => {
    const p = res.locals.principal as Principal;
    return `${p.kind}:${p.id}`;
  };

  // cluster //////////
  r.get('/topology', (_req, res) => {
    res.json({
      brokers: [
        {
          nodeId: 0,
          host: '127.0.0.1',
          port: 0,
          partitions: [{ partitionId: 1, role: 'leader', health: 'healthy' }],
          version: '8.8.0',
        },
      ],
      clusterSize: 1,
      partitionsCount: 1,
      replicationFactor: 1,
      gatewayVersion: '8.8.0',
      lastCompletedChangeId: '-1',
    });
  });
  r.get('/status', (_req, res) => {
    res.status(204).end();
  });
  r.get('/license', (_req, res) => {
    res.json({ validLicense: true, licenseType: 'kehou-flow embedded', isCommercial: false });
  });

  // deployments //////////
  r.post('/deployments', upload.array('resources'), async (req, res) => {
    const files = (req.files as Express.Multer.File[] | undefined) ?? [];
    const tenantId =
      typeof req.body?.tenantId === 'string' && req.body.tenantId
        ? String(req.body.tenantId)
        : DEFAULT_TENANT;
    if (!files.length)
      throw new ValidationError(
        [{ path: 'resources', message: 'at least one resource is required' }],
        'at least one resource is required',
      );
    const result = await engine.deploy(
      files.map((f) => ({ name: f.originalname, content: f.buffer })),
      tenantId,
      by(res),
    );
    res.json(result);
  });

  // process definitions //////////
  r.post('/process-definitions/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const defs = await engine.collections.definitions
      .find({}, { projection: { xml: 0, compiled: 0 } })
      .toArray();
    const latest = new Map<string, number>();
    for (const d of defs)
      latest.set(
        `${d.tenantId}|${d.bpmnProcessId}`,
        Math.max(latest.get(`${d.tenantId}|${d.bpmnProcessId}`) ?? 0, d.version),
      );
    const rows = defs.map((d) => ({
      processDefinitionKey: d._id,
      processDefinitionId: d.bpmnProcessId,
      name: d.name ?? d.bpmnProcessId,
      resourceName: d.resourceName,
      version: d.version,
      tenantId: d.tenantId,
      hasStartForm: Boolean(d.startFormId),
      isLatestVersion: latest.get(`${d.tenantId}|${d.bpmnProcessId}`) === d.version,
    }));
    const out = search(rows, q, {
      processDefinitionKey: (d) => d.processDefinitionKey,
      processDefinitionId: (d) => d.processDefinitionId,
      name: (d) => d.name,
      resourceName: (d) => d.resourceName,
      version: (d) => d.version,
      tenantId: (d) => d.tenantId,
      isLatestVersion: (d) => d.isLatestVersion,
      hasStartForm: (d) => d.hasStartForm,
    });
    res.json({ items: out.items.map(({ isLatestVersion: _l, ...d }) => d), page: out.page });
  });
  r.get('/process-definitions/:key', async (req, res) => {
    const { def } = await engine.definition(param(req, 'key'));
    res.json({
      processDefinitionKey: def._id,
      processDefinitionId: def.bpmnProcessId,
      name: def.name ?? def.bpmnProcessId,
      resourceName: def.resourceName,
      version: def.version,
      tenantId: def.tenantId,
      hasStartForm: Boolean(def.startFormId),
    });
  });
  r.get('/process-definitions/:key/xml', async (req, res) => {
    const { def } = await engine.definition(param(req, 'key'));
    res.type('text/xml').send(def.xml);
  });
  r.get('/process-definitions/:key/form', async (req, res) => {
    const { def, proc } = await engine.definition(param(req, 'key'));
    // like a task's linked form: the latest version of the form with that id
    const form = proc.startFormId ? await engine.form(proc.startFormId, def.tenantId) : undefined;
    sendForm(res, form);
  });

  // process instances //////////
  r.post('/process-instances', async (req, res) => {
    const b = parse(schemas.createInstance, req.body);
    const doc = await engine.createInstance({
      bpmnProcessId: b.processDefinitionId,
      version: b.processDefinitionVersion,
      processDefinitionKey: b.processDefinitionKey,
      variables: b.variables,
      tenantId: b.tenantId,
      startElementId: b.startInstructions?.[0]?.elementId,
      by: by(res),
    });
    let final: InstanceDoc = doc;
    if (b.awaitCompletion) {
      const until =
        Date.now() + (b.requestTimeout && b.requestTimeout > 0 ? b.requestTimeout : 10_000);
      while (final.state === 'ACTIVE' && Date.now() < until) {
        await new Promise((r2) => setTimeout(r2, 50));
        final = (await engine.loadInstance(doc._id)) ?? final;
      }
      if (final.state === 'ACTIVE')
        throw new UserError(
          504,
          'DEADLINE_EXCEEDED',
          'error.transient',
          `process instance ${doc._id} did not complete in time`,
        );
    }
    const vars = b.awaitCompletion ? pick(parseState(final).vars[0] ?? {}, b.fetchVariables) : {};
    res.json({
      processDefinitionId: doc.bpmnProcessId,
      processDefinitionVersion: doc.processVersion,
      processDefinitionKey: doc.processDefinitionKey,
      processInstanceKey: doc._id,
      tenantId: doc.tenantId,
      variables: vars,
    });
  });
  r.post('/process-instances/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const docs = await engine.collections.instances
      .find({}, { projection: { s: 0, fx: 0 } })
      .toArray();
    const names = await definitionNames(engine);
    const rows = docs.map((d) => instanceJson(d, names));
    res.json(
      search(rows, q, {
        processInstanceKey: (d) => d.processInstanceKey,
        processDefinitionId: (d) => d.processDefinitionId,
        processDefinitionName: (d) => d.processDefinitionName,
        processDefinitionVersion: (d) => d.processDefinitionVersion,
        processDefinitionKey: (d) => d.processDefinitionKey,
        parentProcessInstanceKey: (d) => d.parentProcessInstanceKey,
        parentElementInstanceKey: (d) => d.parentElementInstanceKey,
        startDate: (d) => d.startDate,
        endDate: (d) => d.endDate,
        state: (d) => d.state,
        hasIncident: (d) => d.hasIncident,
        tenantId: (d) => d.tenantId,
      }),
    );
  });
  r.get('/process-instances/:key', async (req, res) => {
    const doc = await engine.loadInstance(param(req, 'key'));
    if (!doc)
      throw new EngineError(
        404,
        'NOT_FOUND',
        `Process instance with key '${req.params.key}' not found`,
      );
    res.json(instanceJson(doc, await definitionName(engine, doc.processDefinitionKey)));
  });
  r.post('/process-instances/:key/cancellation', async (req, res) => {
    parse(schemas.empty, req.body);
    await engine.cancelInstance(param(req, 'key'), by(res));
    res.status(204).end();
  });
  r.post('/process-instances/:key/incidents/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const incidents = await engine.incidentsOf(param(req, 'key'));
    res.json(search(incidents.map(incidentJson), q, incidentFields));
  });

  // element instances //////////
  r.post('/element-instances/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const f = q.filter ?? {};
    const instanceKey =
      plainKey(f.processInstanceKey) ??
      (plainKey(f.elementInstanceKey) ? instanceKeyOf(plainKey(f.elementInstanceKey)!) : undefined);
    if (!instanceKey) {
      throw new EngineError(
        400,
        'INVALID_ARGUMENT',
        'element instance search needs filter.processInstanceKey or filter.elementInstanceKey',
      );
    }
    const rows = await elementInstances(engine, instanceKey);
    res.json(search(rows, q, elementFields));
  });
  r.get('/element-instances/:key', async (req, res) => {
    const k = param(req, 'key');
    const rows = await elementInstances(engine, instanceKeyOf(k)).catch(() => []);
    const row = rows.find((e) => e.elementInstanceKey === k);
    if (!row) throw new EngineError(404, 'NOT_FOUND', `Element instance with key '${k}' not found`);
    res.json(row);
  });
  r.put('/element-instances/:key/variables', async (req, res) => {
    const b = parse(schemas.setVariables, req.body);
    await engine.setVariables(param(req, 'key'), b.variables as Vars, b.local ?? false, by(res));
    res.status(204).end();
  });

  // jobs //////////
  r.post('/jobs/activation', async (req, res) => {
    const b = parse(schemas.activate, req.body);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const jobs = await engine.activateJobs({
      type: b.type,
      worker: b.worker ?? 'default',
      timeoutMs: b.timeout,
      max: b.maxJobsToActivate,
      fetchVariables: b.fetchVariable,
      requestTimeoutMs:
        b.requestTimeout === undefined ? undefined : b.requestTimeout < 0 ? -1 : b.requestTimeout,
      tenantIds: b.tenantIds,
      signal: abort.signal,
    });
    if (!res.writableEnded && !abort.signal.aborted) res.json({ jobs });
  });
  r.post('/jobs/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const jobs = await engine.collections.jobs.find({}).toArray();
    res.json(search(jobs.map(jobJson), q, jobFields));
  });
  r.post('/jobs/:key/completion', async (req, res) => {
    const b = parse(schemas.completeJob, req.body);
    await engine.completeJob(param(req, 'key'), b.variables, by(res));
    res.status(204).end();
  });
  r.post('/jobs/:key/failure', async (req, res) => {
    const b = parse(schemas.failJob, req.body);
    await engine.failJob(
      param(req, 'key'),
      {
        retries: b.retries ?? 0,
        errorMessage: b.errorMessage ?? undefined,
        retryBackOffMs: b.retryBackOff,
        variables: b.variables,
      },
      by(res),
    );
    res.status(204).end();
  });
  r.post('/jobs/:key/error', async (req, res) => {
    const b = parse(schemas.jobError, req.body);
    await engine.throwJobError(
      param(req, 'key'),
      { errorCode: b.errorCode, errorMessage: b.errorMessage ?? undefined, variables: b.variables },
      by(res),
    );
    res.status(204).end();
  });
  r.patch('/jobs/:key', async (req, res) => {
    const b = parse(schemas.updateJob, req.body);
    await engine.updateJob(param(req, 'key'), {
      retries: b.changeset.retries ?? undefined,
      timeoutMs: b.changeset.timeout ?? undefined,
    });
    res.status(204).end();
  });

  // user tasks //////////
  r.post('/user-tasks/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const tasks = await engine.collections.tasks
      .find({}, { projection: { variables: 0 } })
      .toArray();
    const names = await definitionNames(engine);
    res.json(
      search(
        tasks.map((t) => userTaskJson(t, names)),
        q,
        userTaskFields,
      ),
    );
  });
  r.get('/user-tasks/:key', async (req, res) => {
    const task = await engine.userTask(param(req, 'key'));
    res.json(userTaskJson(task, await definitionName(engine, task.processDefinitionKey)));
  });
  r.post('/user-tasks/:key/assignment', async (req, res) => {
    const b = parse(schemas.assign, req.body);
    await engine.assignUserTask(param(req, 'key'), b.assignee, b.allowOverride !== false, by(res));
    res.status(204).end();
  });
  r.delete('/user-tasks/:key/assignee', async (req, res) => {
    await engine.assignUserTask(param(req, 'key'), null, true, by(res));
    res.status(204).end();
  });
  r.post('/user-tasks/:key/completion', async (req, res) => {
    const b = parse(schemas.completeTask, req.body);
    await engine.completeUserTask(param(req, 'key'), b.variables, b.action ?? undefined, by(res));
    res.status(204).end();
  });
  r.get('/user-tasks/:key/form', async (req, res) => {
    const task = await engine.userTask(param(req, 'key'));
    // the form version bound when the task was created (its key), else the latest with the id
    const form = task.formId
      ? await engine.form(task.formKey ?? task.formId, task.tenantId)
      : undefined;
    sendForm(res, form);
  });
  r.post('/user-tasks/:key/variables/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const task = await engine.userTask(param(req, 'key'));
    const doc = await engine.loadInstance(task.processInstanceKey);
    const rows = doc ? taskVariableRows(parseState(doc), task.elementInstanceKey) : [];
    res.json(search(rows, q, variableFields));
  });

  // messages and signals //////////
  r.post('/messages/publication', async (req, res) => {
    const b = parse(schemas.publish, req.body);
    res.json(
      await engine.publishMessage({
        name: b.name,
        correlationKey: b.correlationKey,
        timeToLiveMs: b.timeToLive,
        messageId: b.messageId,
        variables: b.variables,
        tenantId: b.tenantId,
      }),
    );
  });
  r.post('/messages/correlation', async (req, res) => {
    const b = parse(schemas.correlate, req.body);
    res.json(
      await engine.correlateMessage({
        name: b.name,
        correlationKey: b.correlationKey,
        variables: b.variables,
        tenantId: b.tenantId,
      }),
    );
  });
  r.post('/signals/broadcast', async (req, res) => {
    const b = parse(schemas.signal, req.body);
    res.json(await engine.broadcastSignal(b.signalName, b.variables, b.tenantId));
  });

  // incidents //////////
  r.post('/incidents/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const incidents = await engine.collections.incidents.find({}).toArray();
    res.json(search(incidents.map(incidentJson), q, incidentFields));
  });
  r.get('/incidents/:key', async (req, res) => {
    const inc = await engine.collections.incidents.findOne({ _id: param(req, 'key') });
    if (!inc)
      throw new EngineError(404, 'NOT_FOUND', `Incident with key '${req.params.key}' not found`);
    res.json(incidentJson(inc));
  });
  r.post('/incidents/:key/resolution', async (req, res) => {
    parse(schemas.empty, req.body);
    await engine.resolveIncident(param(req, 'key'), by(res));
    res.status(204).end();
  });

  // variables //////////
  r.post('/variables/search', async (req, res) => {
    const q = parse(searchRequest, req.body);
    const f = q.filter ?? {};
    const instanceKey =
      plainKey(f.processInstanceKey) ??
      (plainKey(f.scopeKey) ? instanceKeyOf(plainKey(f.scopeKey)!) : undefined);
    const docs = instanceKey
      ? [await engine.loadInstance(instanceKey)].filter((d): d is InstanceDoc => Boolean(d))
      : await engine.collections.instances.find({}).toArray();
    const rows = docs.flatMap((d) => variableRows(parseState(d)));
    res.json(search(rows, q, variableFields));
  });
  r.get('/variables/:key', async (req, res) => {
    const k = param(req, 'key');
    const [scope, name] = decodeVariableKey(k);
    const doc = scope ? await engine.loadInstance(instanceKeyOf(scope)) : undefined;
    const row = doc
      ? variableRows(parseState(doc)).find((v) => v.scopeKey === scope && v.name === name)
      : undefined;
    if (!row) throw new EngineError(404, 'NOT_FOUND', `Variable with key '${k}' not found`);
    const { isTruncated: _t, ...rest } = row;
    res.json(rest);
  });

  // Camunda clients show a problem's `title` as the error message: keep it the stable code.
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (!(err instanceof UserError)) return next(err);
    res
      .status(err.status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: err.code,
        status: err.status,
        detail: err.message,
        instance: req.originalUrl,
        ...(err.fields ? { errors: err.fields } : {}),
      });
  });

  return r;
}

// json shapes //////////

/** Answers with a form as Camunda shapes it, or 204 when there is none. */
function sendForm(res: Response, form: FormDoc | undefined): void {
  if (!form) {
    res.status(204).end();
    return;
  }
  res.json({
    formKey: form._id,
    formId: form.formId,
    version: form.version,
    tenantId: form.tenantId,
    schema: JSON.parse(form.schema) as JsonValue,
  });
}

async function definitionNames(engine: Engine): Promise<Map<string, string>> {
  const defs = await engine.collections.definitions
    .find({}, { projection: { bpmnProcessId: 1, name: 1 } })
    .toArray();
  return new Map(defs.map((d) => [d._id, d.name ?? d.bpmnProcessId]));
}

/** The name of one definition, from the engine's cache (single reads need not scan them all). */
async function definitionName(engine: Engine, key: string): Promise<Map<string, string>> {
  const { def } = await engine.definition(key);
  return new Map([[key, def.name ?? def.bpmnProcessId]]);
}

function instanceJson(d: Omit<InstanceDoc, 's' | 'fx'>, names: Map<string, string>) {
  return {
    processInstanceKey: d._id,
    processDefinitionId: d.bpmnProcessId,
    processDefinitionName: names.get(d.processDefinitionKey) ?? d.bpmnProcessId,
    processDefinitionVersion: d.processVersion,
    processDefinitionKey: d.processDefinitionKey,
    startDate: d.startDate,
    ...(d.endDate ? { endDate: d.endDate } : {}),
    state: d.state,
    hasIncident: d.hasIncident,
    tenantId: d.tenantId,
    ...(d.parentProcessInstanceKey ? { parentProcessInstanceKey: d.parentProcessInstanceKey } : {}),
    ...(d.parentElementInstanceKey ? { parentElementInstanceKey: d.parentElementInstanceKey } : {}),
  };
}

function incidentJson(i: IncidentDoc) {
  return {
    incidentKey: i._id,
    processDefinitionKey: i.processDefinitionKey,
    processDefinitionId: i.bpmnProcessId,
    processInstanceKey: i.processInstanceKey,
    elementInstanceKey: i.elementInstanceKey,
    elementId: i.elementId,
    ...(i.jobKey ? { jobKey: i.jobKey } : {}),
    errorType: i.errorType,
    errorMessage: i.errorMessage,
    creationTime: i.creationTime,
    state: i.state,
    tenantId: i.tenantId,
  };
}

const incidentFields: Record<string, (i: ReturnType<typeof incidentJson>) => unknown> = {
  incidentKey: (i) => i.incidentKey,
  processDefinitionKey: (i) => i.processDefinitionKey,
  processDefinitionId: (i) => i.processDefinitionId,
  processInstanceKey: (i) => i.processInstanceKey,
  elementInstanceKey: (i) => i.elementInstanceKey,
  elementId: (i) => i.elementId,
  jobKey: (i) => i.jobKey,
  errorType: (i) => i.errorType,
  errorMessage: (i) => i.errorMessage,
  creationTime: (i) => i.creationTime,
  state: (i) => i.state,
  tenantId: (i) => i.tenantId,
};

function jobJson(j: JobDoc) {
  return {
    jobKey: j._id,
    type: j.type,
    worker: j.worker ?? '',
    state: j.state === 'FAILED' ? 'FAILED' : 'CREATED',
    kind: j.kind,
    listenerEventType: 'UNSPECIFIED',
    retries: j.retries,
    hasFailedWithRetriesLeft: Boolean(j.errorMessage) && j.retries > 0,
    processInstanceKey: j.processInstanceKey,
    processDefinitionId: j.bpmnProcessId,
    processDefinitionKey: j.processDefinitionKey,
    elementId: j.elementId,
    elementInstanceKey: j.elementInstanceKey,
    customHeaders: JSON.parse(j.customHeaders) as Record<string, string>,
    tenantId: j.tenantId,
    ...(j.deadline ? { deadline: new Date(j.deadline).toISOString() } : {}),
    ...(j.errorMessage ? { errorMessage: j.errorMessage } : {}),
  };
}

const jobFields: Record<string, (j: ReturnType<typeof jobJson>) => unknown> = {
  jobKey: (j) => j.jobKey,
  type: (j) => j.type,
  worker: (j) => j.worker,
  state: (j) => j.state,
  kind: (j) => j.kind,
  retries: (j) => j.retries,
  processInstanceKey: (j) => j.processInstanceKey,
  processDefinitionId: (j) => j.processDefinitionId,
  processDefinitionKey: (j) => j.processDefinitionKey,
  elementId: (j) => j.elementId,
  elementInstanceKey: (j) => j.elementInstanceKey,
  tenantId: (j) => j.tenantId,
  deadline: (j) => j.deadline,
  errorMessage: (j) => j.errorMessage,
};

function userTaskJson(t: UserTaskDoc, names: Map<string, string>) {
  return {
    userTaskKey: t._id,
    name: t.elementName ?? t.elementId,
    state: t.state,
    ...(t.assignee ? { assignee: t.assignee } : {}),
    elementId: t.elementId,
    elementInstanceKey: t.elementInstanceKey,
    candidateGroups: t.candidateGroups,
    candidateUsers: t.candidateUsers,
    processDefinitionId: t.bpmnProcessId,
    processDefinitionKey: t.processDefinitionKey,
    processDefinitionVersion: t.processVersion,
    processInstanceKey: t.processInstanceKey,
    processName: names.get(t.processDefinitionKey) ?? t.bpmnProcessId,
    creationDate: t.creationDate,
    ...(t.completionDate ? { completionDate: t.completionDate } : {}),
    ...(t.dueDate ? { dueDate: t.dueDate } : {}),
    ...(t.followUpDate ? { followUpDate: t.followUpDate } : {}),
    tenantId: t.tenantId,
    ...(t.formKey ? { formKey: t.formKey } : t.formId ? { formKey: t.formId } : {}),
    ...(t.externalFormReference ? { externalFormReference: t.externalFormReference } : {}),
    customHeaders: t.customHeaders,
    priority: t.priority,
  };
}

const userTaskFields: Record<string, (t: ReturnType<typeof userTaskJson>) => unknown> = {
  userTaskKey: (t) => t.userTaskKey,
  state: (t) => t.state,
  assignee: (t) => t.assignee,
  priority: (t) => t.priority,
  elementId: (t) => t.elementId,
  name: (t) => t.name,
  candidateGroup: (t) => t.candidateGroups,
  candidateUser: (t) => t.candidateUsers,
  tenantId: (t) => t.tenantId,
  processDefinitionId: (t) => t.processDefinitionId,
  processDefinitionKey: (t) => t.processDefinitionKey,
  processInstanceKey: (t) => t.processInstanceKey,
  elementInstanceKey: (t) => t.elementInstanceKey,
  creationDate: (t) => t.creationDate,
  completionDate: (t) => t.completionDate,
  followUpDate: (t) => t.followUpDate,
  dueDate: (t) => t.dueDate,
};

const TYPES: Record<string, string> = {
  process: 'PROCESS',
  multiInstanceBody: 'MULTI_INSTANCE_BODY',
  startEvent: 'START_EVENT',
  endEvent: 'END_EVENT',
  intermediateCatchEvent: 'INTERMEDIATE_CATCH_EVENT',
  intermediateThrowEvent: 'INTERMEDIATE_THROW_EVENT',
  boundaryEvent: 'BOUNDARY_EVENT',
  serviceTask: 'SERVICE_TASK',
  sendTask: 'SEND_TASK',
  businessRuleTask: 'BUSINESS_RULE_TASK',
  scriptTask: 'SCRIPT_TASK',
  userTask: 'USER_TASK',
  receiveTask: 'RECEIVE_TASK',
  manualTask: 'MANUAL_TASK',
  task: 'TASK',
  exclusiveGateway: 'EXCLUSIVE_GATEWAY',
  parallelGateway: 'PARALLEL_GATEWAY',
  inclusiveGateway: 'INCLUSIVE_GATEWAY',
  eventBasedGateway: 'EVENT_BASED_GATEWAY',
  subProcess: 'SUB_PROCESS',
  callActivity: 'CALL_ACTIVITY',
};

interface ElementRow {
  [k: string]: unknown;
  elementInstanceKey: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  elementId: string;
  elementName: string;
  type: string;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  hasIncident: boolean;
  tenantId: string;
  startDate: string;
  endDate?: string;
  incidentKey?: string;
  elementInstanceScopeKey?: string;
}

/** Element instances of one process instance, rebuilt from its commits (history). */
async function elementInstances(engine: Engine, instanceKey: string): Promise<ElementRow[]> {
  const doc = await engine.loadInstance(instanceKey);
  if (!doc) return [];
  const state: InstanceState = parseState(doc);
  const { proc } = await engine.definition(doc.processDefinitionKey);
  const rows = new Map<number, ElementRow>();
  for (const commit of await engine.history(instanceKey)) {
    const at = new Date(commit.at).toISOString();
    for (const [k, id, t, p, type] of JSON.parse(commit.ev) as HistoryEvent[]) {
      if (t === 'A') {
        rows.set(k, {
          elementInstanceKey: fullKey(instanceKey, k),
          processInstanceKey: instanceKey,
          processDefinitionKey: doc.processDefinitionKey,
          processDefinitionId: doc.bpmnProcessId,
          elementId: id,
          elementName: proc.elements[id]?.name ?? (k === 0 ? (proc.name ?? id) : id),
          type:
            type === 'subProcess' && proc.elements[id]?.triggeredByEvent
              ? 'EVENT_SUB_PROCESS'
              : (TYPES[type] ?? 'UNKNOWN'),
          state: 'ACTIVE',
          hasIncident: false,
          tenantId: doc.tenantId,
          startDate: at,
          ...(p >= 0 ? { elementInstanceScopeKey: fullKey(instanceKey, p) } : {}),
        });
      } else {
        const row = rows.get(k);
        if (row) {
          row.state = t === 'C' ? 'COMPLETED' : 'TERMINATED';
          row.endDate = at;
        }
      }
    }
  }
  for (const ei of Object.values(state.els)) {
    const row = rows.get(ei.k);
    if (row && ei.inc) {
      row.hasIncident = true;
      row.incidentKey = ei.inc;
    }
  }
  return [...rows.values()];
}

const elementFields: Record<string, (e: ElementRow) => unknown> = {
  elementInstanceKey: (e) => e.elementInstanceKey,
  processInstanceKey: (e) => e.processInstanceKey,
  processDefinitionKey: (e) => e.processDefinitionKey,
  processDefinitionId: (e) => e.processDefinitionId,
  elementId: (e) => e.elementId,
  elementName: (e) => e.elementName,
  type: (e) => e.type,
  state: (e) => e.state,
  hasIncident: (e) => e.hasIncident,
  tenantId: (e) => e.tenantId,
  startDate: (e) => e.startDate,
  endDate: (e) => e.endDate,
  incidentKey: (e) => e.incidentKey,
  elementInstanceScopeKey: (e) => e.elementInstanceScopeKey,
};

interface VariableRow {
  [k: string]: unknown;
  name: string;
  value: string;
  isTruncated: boolean;
  tenantId: string;
  variableKey: string;
  scopeKey: string;
  processInstanceKey: string;
}

/** Variable keys encode scope and name (variables have no documents of their own). */
function variableKey(scope: string, name: string): string {
  let h = 0n;
  for (const ch of Buffer.from(name)) h = (h * 131n + BigInt(ch)) % 1_000_000_007n;
  return `${scope}${String(h).padStart(10, '0')}`;
}

function decodeVariableKey(k: string): [string | undefined, string | undefined] {
  return [k.length > 10 ? k.slice(0, -10) : undefined, undefined].map((v, i) =>
    i === 0 ? v : k,
  ) as [string | undefined, string];
}

function variableRows(s: InstanceState): VariableRow[] {
  const rows: VariableRow[] = [];
  for (const [scope, vars] of Object.entries(s.vars)) {
    const scopeKey = fullKey(s.key, Number(scope));
    for (const [name, value] of Object.entries(vars)) {
      rows.push({
        name,
        value: JSON.stringify(value),
        isTruncated: false,
        tenantId: s.tenantId,
        variableKey: variableKey(scopeKey, name),
        scopeKey,
        processInstanceKey: s.key,
      });
    }
  }
  return rows;
}

/**
 * The variables a user task sees: those of its own scope and the scopes around it, the
 * innermost winning per name (other branches' and other multi-instance rounds' are not its own).
 */
function taskVariableRows(s: InstanceState, elementInstanceKey: string): VariableRow[] {
  const chain: number[] = [];
  for (let k = localKey(s.key, elementInstanceKey); k !== undefined && k >= 0;) {
    chain.push(k);
    k = k === 0 ? undefined : (s.els[k]?.p ?? 0);
  }
  if (!chain.includes(0)) chain.push(0);
  const scopes = chain.map((k) => fullKey(s.key, k));
  const byName = new Map<string, VariableRow>();
  for (const row of variableRows(s)) {
    const depth = scopes.indexOf(row.scopeKey);
    if (depth < 0) continue;
    const seen = byName.get(row.name);
    if (!seen || scopes.indexOf(seen.scopeKey) > depth) byName.set(row.name, row);
  }
  return [...byName.values()];
}

const variableFields: Record<string, (v: VariableRow) => unknown> = {
  name: (v) => v.name,
  value: (v) => v.value,
  tenantId: (v) => v.tenantId,
  isTruncated: (v) => v.isTruncated,
  variableKey: (v) => v.variableKey,
  scopeKey: (v) => v.scopeKey,
  processInstanceKey: (v) => v.processInstanceKey,
};

function plainKey(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { $eq?: unknown }).$eq === 'string')
    return (v as { $eq: string }).$eq;
  return undefined;
}

function pick(vars: Vars, names?: string[]): Vars {
  return names?.length
    ? Object.fromEntries(Object.entries(vars).filter(([k]) => names.includes(k)))
    : vars;
}
