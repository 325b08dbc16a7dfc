import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice, for `Database.ensureCollections`. */
export const TASK_COLLECTIONS = {
  drafts: 'task_drafts',
  events: 'task_events',
  /** The inbox's lists of open tasks, by `_id` (inbox-index.ts). */
  index: 'task_inbox_index',
} as const;

/**
 * A user's saved, not yet submitted form values for one task. `_id` is `<taskKey>|<userId>`,
 * so saving and reading a draft are lookups by `_id` (the one FerretDB indexes, ADR 0003).
 * The values are JSON text: form data may hold nested arrays (dynamic lists), which FerretDB
 * documents cannot (ADR 0004).
 */
export interface TaskDraftDoc {
  _id: string;
  taskKey: string;
  userId: string;
  values: string;
  savedAt: Date;
}

/** What can happen to a task through the inbox. */
export type TaskEventType = 'claim' | 'unclaim' | 'draft' | 'comment' | 'complete';

/**
 * One thing a person did to a task: append-only, never updated, one document per event with
 * its own `_id` (`<taskKey>:<ms>:<random>`), so concurrent writers never touch one document.
 */
export interface TaskEventDoc {
  _id: string;
  taskKey: string;
  processInstanceKey: string;
  type: TaskEventType;
  by: string;
  byName: string;
  at: Date;
  /** A comment's text, or a bulk decision's reason. */
  text?: string;
}

/** This slice's models, registered on one connection. */
export interface TaskModels {
  drafts: Model<TaskDraftDoc>;
  events: Model<TaskEventDoc>;
}

const draftSchema = new Schema<TaskDraftDoc>(
  {
    _id: String,
    taskKey: { type: String, required: true },
    userId: { type: String, required: true },
    values: { type: String, required: true },
    savedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

const eventSchema = new Schema<TaskEventDoc>(
  {
    _id: String,
    taskKey: { type: String, required: true },
    processInstanceKey: { type: String, required: true },
    type: { type: String, required: true },
    by: { type: String, required: true },
    byName: { type: String, required: true },
    at: { type: Date, required: true },
    text: String,
  },
  { versionKey: false },
);

/** Registers (once) and returns this slice's models on `connection`. */
export function taskModels(connection: Connection): TaskModels {
  return {
    drafts: registerModel(connection, 'TaskDraft', draftSchema, TASK_COLLECTIONS.drafts),
    events: registerModel(connection, 'TaskEvent', eventSchema, TASK_COLLECTIONS.events),
  };
}
