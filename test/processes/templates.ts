import fs from 'node:fs';
import path from 'node:path';
import { BpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json';
import type { ActivatedJob } from '../../server/engine/engine';
import type { UserTaskDoc } from '../../server/engine/runtime/commands';
import {
  validateSubmission,
  type FormComponent,
  type FormSchema,
} from '../../server/modules/forms/form-validation';
import { brand, eventually, type EngineHarness } from '../fixtures/engine';

/**
 * Helpers for the tests of the city's templates (`processes/`, `forms/`): they read the real
 * files, deploy them to the engine, and play the people and the workers by hand — a user task
 * is completed the way the inbox does it (validated against its form, only the form's fields
 * kept), a job the way a worker does it.
 */

/**
 * jest runs each test file in its own vm context, but its `structuredClone` is the outer
 * realm's: a clone's objects have the outer `Object.prototype`, which the engine's FEEL layer
 * (`isPlainObject` in server/engine/feel/convert.ts) does not take for a context, so an output
 * mapping that hands on an object from the instance state (`coReviews`, `settlement`) fails
 * with "is a FEEL unknown". A plain Node process has one realm and is not affected; the
 * engine's state is JSON, so a JSON round trip is a faithful clone here.
 */
globalThis.structuredClone = ((value: unknown) =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value))) as typeof structuredClone;

export const ROOT = path.join(__dirname, '..', '..');
export const PROCESSES_DIR = path.join(ROOT, 'processes');
export const FORMS_DIR = path.join(ROOT, 'forms');

/** File names of the templates. */
export function processFiles(): string[] {
  return fs
    .readdirSync(PROCESSES_DIR)
    .filter((f) => f.endsWith('.bpmn'))
    .sort();
}

/** File names of the forms. */
export function formFiles(): string[] {
  return fs
    .readdirSync(FORMS_DIR)
    .filter((f) => f.endsWith('.form'))
    .sort();
}

/** A template's XML. */
export function readProcess(file: string): string {
  return fs.readFileSync(path.join(PROCESSES_DIR, file), 'utf8');
}

/** A form's schema, by form id (= file stem). */
export function readForm(id: string): FormSchema & Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FORMS_DIR, `${id}.form`), 'utf8')) as FormSchema &
    Record<string, unknown>;
}

/** Deploys every template and every form in one deployment. */
export async function deployTemplates(h: EngineHarness) {
  const resources = [
    ...processFiles().map((f) => ({ name: f, content: readProcess(f) })),
    ...formFiles().map((f) => ({
      name: f,
      content: fs.readFileSync(path.join(FORMS_DIR, f), 'utf8'),
    })),
  ];
  return h.engine.deploy(resources);
}

/** The moddle tree of a template (bpmn-moddle with the Zeebe extension). */
export async function parseProcess(file: string) {
  const moddle = new BpmnModdle({ zeebe: zeebeSchema });
  const { rootElement, warnings } = await moddle.fromXML(readProcess(file));
  return { rootElement: rootElement as ModdleElement, warnings };
}

/** The part of a moddle element the tests read. */
export interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  [key: string]: unknown;
}

/** Every element below `root` (depth first), including extension elements. */
export function allElements(root: ModdleElement): ModdleElement[] {
  const out: ModdleElement[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown) => {
    if (!e || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    const el = e as ModdleElement;
    if (typeof el.$type === 'string') out.push(el);
    for (const [k, v] of Object.entries(el)) {
      if (k.startsWith('$') || k === 'sourceRef' || k === 'targetRef' || k.endsWith('Ref'))
        continue;
      if (k === 'incoming' || k === 'outgoing' || k === 'attachedToRef' || k === 'default')
        continue;
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object' && '$type' in v) visit(v);
    }
  };
  visit(root);
  return out;
}

/** The extension element of a type on an element, if any. */
export function extension(el: ModdleElement, type: string): ModdleElement | undefined {
  const ext = el.extensionElements as { values?: ModdleElement[] } | undefined;
  return ext?.values?.find((v) => v.$type === type);
}

/** The `zeebe:property` values of an element, by name. */
export function properties(el: ModdleElement): Record<string, string> {
  const props = extension(el, 'zeebe:Properties') as
    | { properties?: { name: string; value: string }[] }
    | undefined;
  return Object.fromEntries((props?.properties ?? []).map((p) => [p.name, p.value]));
}

/** Every field of a form with its path (`pickups.pickupName` inside a dynamic list). */
export function formFields(schema: FormSchema): { path: string; component: FormComponent }[] {
  const out: { path: string; component: FormComponent }[] = [];
  const walk = (components: FormComponent[], prefix: string) => {
    for (const c of components) {
      if (c.type === 'group' || c.type === 'dynamiclist') {
        walk(c.components ?? [], c.path ? `${prefix}${c.path}.` : prefix);
      } else if (c.key) {
        out.push({ path: prefix + c.key, component: c });
      }
    }
  };
  walk(schema.components ?? [], '');
  return out;
}

/** Validates a submission against a form as the inbox does; throws on problems, returns the kept values. */
export function submit(
  formId: string,
  values: Record<string, unknown>,
  variables: Record<string, unknown> = {},
): Record<string, unknown> {
  const { errors, data } = validateSubmission(readForm(formId), values, variables);
  if (errors.length) throw new Error(`form ${formId} refused: ${JSON.stringify(errors)}`);
  return data;
}

/** Starts a template with its start form's values (validated) plus the variables the server adds. */
export async function startWithForm(
  h: EngineHarness,
  processId: string,
  formId: string,
  values: Record<string, unknown>,
  serverVariables: Record<string, unknown>,
): Promise<string> {
  const data = submit(formId, values, serverVariables);
  const instance = await h.engine.createInstance({
    bpmnProcessId: processId,
    variables: { ...serverVariables, ...data } as never,
  });
  return instance._id;
}

/** Waits until `count` user tasks of an element are open; returns their engine documents. */
export async function openTasks(
  h: EngineHarness,
  instanceKey: string,
  elementId: string,
  count = 1,
) {
  const found = await eventually(
    async () => {
      const res = await h.client.searchUserTasks(
        {
          filter: {
            processInstanceKey: brand(instanceKey),
            elementId: brand(elementId),
            state: 'CREATED',
          },
        },
        { consistency: { waitUpToMs: 0 } },
      );
      const items = res.items ?? [];
      return items.length >= count ? items : undefined;
    },
    15_000,
    `${count} user task(s) ${elementId} of ${instanceKey}`,
  );
  return Promise.all(found.map((t) => h.engine.userTask(String(t.userTaskKey))));
}

/** Waits for the open user task of an element and returns its engine document. */
export async function openTask(h: EngineHarness, instanceKey: string, elementId: string) {
  return (await openTasks(h, instanceKey, elementId))[0]!;
}

/**
 * Completes a user task as a person in the inbox would: the values are validated against the
 * task's form and only the form's visible, editable fields are kept.
 */
export async function completeOpenTask(
  h: EngineHarness,
  task: UserTaskDoc,
  values: Record<string, unknown>,
): Promise<void> {
  if (!task.formId) throw new Error(`${task.elementId} has no form`);
  const variables = JSON.parse(task.variables || '{}') as Record<string, unknown>;
  await h.engine.completeUserTask(task._id, submit(task.formId, values, variables) as never);
}

/** Completes the open user task of an element (see {@link completeOpenTask}); returns the task. */
export async function completeTask(
  h: EngineHarness,
  instanceKey: string,
  elementId: string,
  values: Record<string, unknown>,
): Promise<UserTaskDoc> {
  const task = await openTask(h, instanceKey, elementId);
  await completeOpenTask(h, task, values);
  return task;
}

/** Which of an instance's jobs a helper takes (by default the first that comes). */
export type JobMatch = (job: ActivatedJob) => boolean;

/**
 * Activates the job of `type` of one instance (and matching `match`), as a worker would. Jobs
 * that come along and are not wanted are handed back at once (failed with their retries kept).
 */
export async function takeJob(
  h: EngineHarness,
  instanceKey: string,
  type: string,
  match: JobMatch = () => true,
): Promise<ActivatedJob> {
  return eventually(
    async () => {
      const jobs = await h.engine.activateJobs({
        type,
        worker: 'process-test',
        timeoutMs: 60_000,
        max: 10,
        requestTimeoutMs: 200,
      });
      let mine: ActivatedJob | undefined;
      for (const job of jobs) {
        if (!mine && job.processInstanceKey === instanceKey && match(job)) mine = job;
        else await h.engine.failJob(job.jobKey, { retries: job.retries, retryBackOffMs: 0 });
      }
      return mine;
    },
    15_000,
    `a ${type} job of ${instanceKey}`,
  );
}

/** Completes the next job of `type` of an instance with `variables`; returns the job. */
export async function completeJob(
  h: EngineHarness,
  instanceKey: string,
  type: string,
  variables: Record<string, unknown> = {},
  match?: JobMatch,
): Promise<ActivatedJob> {
  const job = await takeJob(h, instanceKey, type, match);
  await h.engine.completeJob(job.jobKey, variables as never);
  return job;
}

/** Throws a BPMN error from the next job of `type` of an instance; returns the job. */
export async function refuseJob(
  h: EngineHarness,
  instanceKey: string,
  type: string,
  errorCode: string,
  variables: Record<string, unknown>,
  match?: JobMatch,
): Promise<ActivatedJob> {
  const job = await takeJob(h, instanceKey, type, match);
  await h.engine.throwJobError(job.jobKey, { errorCode, variables: variables as never });
  return job;
}

/** Matches the jobs of one school (inside a per-school sub-process). */
export function ofSchool(schoolId: string): JobMatch {
  return (job) => job.variables.schoolId === schoolId;
}
