import { z } from 'zod';
import { idSchema } from '../users/users.schema';

/** An engine key: a decimal string (docs/engine.md, "Keys"). */
export const engineKey = z.string().regex(/^\d{1,22}$/);

/** A point in time: an ISO date-time with offset, or a date (a day in China, UTC+8). */
const instant = z.iso.datetime({ offset: true }).or(z.iso.date());

/** `GET /api/monitor/instances` query. */
export const listInstancesQuery = z.strictObject({
  process: z.string().min(1).max(200).optional(),
  state: z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED']).optional(),
  hasIncident: z.enum(['true', 'false']).optional(),
  schoolId: idSchema.optional(),
  classId: idSchema.optional(),
  /** Started at or after (a date: from that day's start). */
  startedFrom: instant.optional(),
  /** Started before (a date: up to and including that day). */
  startedTo: instant.optional(),
  page: z.coerce.number().int().min(1).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
  sort: z.enum(['startDate', '-startDate', 'process', '-process']).default('-startDate'),
});
export type ListInstancesQuery = z.infer<typeof listInstancesQuery>;

/** `GET /api/monitor/statistics` query: one process's instances, optionally of one school. */
export const statisticsQuery = z.strictObject({
  process: z.string().min(1).max(200),
  schoolId: idSchema.optional(),
});
export type StatisticsQuery = z.infer<typeof statisticsQuery>;

/** `/api/monitor/definitions/:key` path. */
export const definitionParams = z.strictObject({ key: engineKey });

/** `/api/monitor/instances/:key…` path. */
export const instanceParams = z.strictObject({ key: engineKey });

/** `/api/monitor/incidents/:key/retry` path. */
export const incidentParams = z.strictObject({ key: engineKey });

/** `POST /api/monitor/incidents/:key/retry` body: the retries a job incident's job gets back. */
export const retryIncidentBody = z.strictObject({
  retries: z.number().int().min(1).max(100).default(1),
});

// responses //////////

/** Where an active instance is now: one active element (several instances of it counted). */
export const currentStep = z.object({
  elementId: z.string(),
  elementName: z.string(),
  elementType: z.string(),
  /** How many instances of the element are active (multi-instance, parallel branches). */
  count: z.number().int(),
  since: z.string(),
  hasIncident: z.boolean(),
});

/** A process instance as the monitor lists it. */
export const instanceSummary = z.object({
  key: z.string(),
  processId: z.string(),
  processName: z.string(),
  processVersion: z.number().int(),
  processDefinitionKey: z.string(),
  state: z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED']),
  hasIncident: z.boolean(),
  startDate: z.string(),
  endDate: z.string().nullable(),
  parentKey: z.string().nullable(),
  cityId: z.string().nullable(),
  countyId: z.string().nullable(),
  schoolId: z.string().nullable(),
  classId: z.string().nullable(),
  currentSteps: z.array(currentStep),
});

/** One page of instances. */
export const instancePage = z.object({
  items: z.array(instanceSummary),
  page: z.number().int(),
  size: z.number().int(),
  total: z.number().int(),
});

/** What the caller may do with an instance. */
export const instanceDetail = instanceSummary.extend({
  actions: z.object({ retry: z.boolean() }),
});

/** An element's transition in a timeline entry. */
export const timelineEvent = z.object({
  elementId: z.string(),
  elementName: z.string(),
  elementType: z.string(),
  transition: z.enum(['ACTIVATED', 'COMPLETED', 'TERMINATED']),
  /** The transition in zh-CN (开始, 完成, 终止). */
  transitionName: z.string(),
});

/** One commit of the instance: what was done, by whom, when, and what it moved. */
export const timelineEntry = z.object({
  version: z.number().int(),
  at: z.string(),
  by: z.string(),
  /** Who, in zh-CN: a person's name, or what acted (定时器, 服务账号 …). */
  byName: z.string(),
  command: z.string(),
  /** The command in zh-CN. */
  commandName: z.string(),
  events: z.array(timelineEvent),
  /** The whole entry as one zh-CN line. */
  text: z.string(),
});

/** An instance's timeline, oldest first. */
export const timeline = z.object({ key: z.string(), entries: z.array(timelineEntry) });

/** An incident of an instance. */
export const incident = z.object({
  key: z.string(),
  processInstanceKey: z.string(),
  elementId: z.string(),
  elementName: z.string(),
  elementInstanceKey: z.string(),
  errorType: z.string(),
  errorMessage: z.string(),
  state: z.enum(['ACTIVE', 'RESOLVED']),
  creationTime: z.string(),
  jobKey: z.string().nullable(),
  /** The job's retries now (job incidents whose job still exists). */
  jobRetries: z.number().int().nullable(),
});

/** An instance's incidents, newest first. */
export const incidentList = z.object({ items: z.array(incident) });

/** How many instances stand on one element now, and how many of those have an incident. */
export const elementStatistics = z.object({
  elementId: z.string(),
  elementName: z.string(),
  active: z.number().int(),
  incidents: z.number().int(),
});

/** One deployed version of a process and its readable instances, counted per element. */
export const definitionStatistics = z.object({
  processDefinitionKey: z.string(),
  processId: z.string(),
  processName: z.string(),
  processVersion: z.number().int(),
  tenantId: z.string(),
  instances: z.object({
    active: z.number().int(),
    completed: z.number().int(),
    terminated: z.number().int(),
    withIncident: z.number().int(),
  }),
  elements: z.array(elementStatistics),
});

/** The statistics of a process, newest version first. */
export const statistics = z.object({ items: z.array(definitionStatistics) });

/** A deployed process version with its BPMN XML, for the diagram. */
export const definitionView = z.object({
  key: z.string(),
  processId: z.string(),
  processName: z.string(),
  processVersion: z.number().int(),
  tenantId: z.string(),
  xml: z.string(),
});

export type CurrentStep = z.infer<typeof currentStep>;
export type DefinitionStatistics = z.infer<typeof definitionStatistics>;
export type DefinitionView = z.infer<typeof definitionView>;
export type InstanceSummary = z.infer<typeof instanceSummary>;
export type InstancePage = z.infer<typeof instancePage>;
export type InstanceDetail = z.infer<typeof instanceDetail>;
export type TimelineEntry = z.infer<typeof timelineEntry>;
export type Timeline = z.infer<typeof timeline>;
export type Incident = z.infer<typeof incident>;
