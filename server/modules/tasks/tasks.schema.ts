import { z } from 'zod';

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
