import { z } from 'zod';
import { problemSchema } from '../../http/openapi';

/** `GET /api/tasks` query. */
export const listTasksQuery = z.strictObject({
  view: z.enum(['assigned', 'groups', 'completed']).default('assigned'),
  process: z.string().min(1).optional(),
  classId: z.string().min(1).optional(),
  dueBefore: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  priority: z.coerce.number().int().min(0).max(100).optional(),
  q: z.string().min(1).max(100).optional(),
  page: z.coerce.number().int().min(1).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
  sort: z
    .enum(['created', '-created', 'due', '-due', 'priority', '-priority', 'name', '-name'])
    .default('-created'),
});
export type ListTasksQuery = z.infer<typeof listTasksQuery>;

/** Form values: an object of variable names to JSON values. */
const variables = z.record(z.string(), z.unknown());

/** `POST /api/tasks/:key/complete` body. */
export const completeTaskBody = z.strictObject({ variables: variables.default({}) });

/** `PUT /api/tasks/:key/draft` body. */
export const draftBody = z.strictObject({ values: variables });

/** `POST /api/tasks/:key/comments` body. */
export const commentBody = z.strictObject({ text: z.string().trim().min(1).max(2000) });

/** `POST /api/tasks/bulk` body. */
export const bulkBody = z.strictObject({
  keys: z.array(z.string().min(1)).min(1).max(100),
  decision: z.enum(['approve', 'reject']),
  reason: z.string().trim().max(500).default(''),
});
export type BulkBody = z.infer<typeof bulkBody>;

/** `/api/tasks/:key…` path. */
export const taskParams = z.strictObject({ key: z.string().min(1) });

// responses //////////

/** A task as lists show it. */
export const taskSummary = z.object({
  key: z.string(),
  name: z.string(),
  processId: z.string(),
  processInstanceKey: z.string(),
  elementId: z.string(),
  state: z.enum(['CREATED', 'COMPLETED', 'CANCELED', 'FAILED']),
  assignee: z.string().nullable(),
  candidateGroups: z.array(z.string()),
  candidateUsers: z.array(z.string()),
  dueDate: z.string().nullable(),
  priority: z.number(),
  creationDate: z.string(),
  completionDate: z.string().nullable(),
  classId: z.string().nullable(),
  schoolId: z.string().nullable(),
});

/** One page of a view, with every view's total under the same filters. */
export const taskPage = z.object({
  items: z.array(taskSummary),
  page: z.number().int(),
  size: z.number().int(),
  total: z.number().int(),
  counts: z.object({
    assigned: z.number().int(),
    groups: z.number().int(),
    completed: z.number().int(),
  }),
});

/** One inbox action on a task. */
export const taskTimelineEntry = z.object({
  id: z.string(),
  type: z.enum(['claim', 'unclaim', 'draft', 'comment', 'complete']),
  by: z.string(),
  byName: z.string(),
  at: z.string(),
  text: z.string().optional(),
});

/** A task with its form, variables, the caller's draft, actions, timeline and history. */
export const taskDetail = taskSummary.extend({
  form: z.record(z.string(), z.unknown()).nullable().describe('the form-js schema'),
  variables: z.record(z.string(), z.unknown()),
  draft: z.object({ values: z.record(z.string(), z.unknown()), savedAt: z.string() }).nullable(),
  actions: z.object({ claim: z.boolean(), unclaim: z.boolean(), complete: z.boolean() }),
  timeline: z.array(taskTimelineEntry),
  history: z.array(z.object({ at: z.string(), by: z.string(), command: z.string() })),
});

/** `POST /api/tasks/bulk`: each key's outcome, with the problem that refused it. */
export const bulkResponse = z.object({
  results: z.array(
    z.object({
      key: z.string(),
      ok: z.boolean(),
      problem: problemSchema.optional(),
    }),
  ),
});
