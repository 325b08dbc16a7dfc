import type { RequestHandler, Router } from 'express';
import type { Collection } from 'mongodb';
import type { Database } from '../../db/connection';
import type { Engine } from '../../engine/engine';
import type { UserTaskDoc } from '../../engine/runtime/commands';
import { isDuplicateKey } from '../../engine/store/collections';
import { completedList, entryOf, InboxIndex, type InboxIndexDoc } from './inbox-index';
import { TASK_COLLECTIONS, type TaskEventDoc, taskModels } from './tasks.model';
import { createTasksRouter } from './tasks.router';
import { classIdOf, TaskService } from './tasks.service';

/**
 * Creates the inbox's index of open tasks and has the engine report every commit's effects to
 * it. Call it before `engine.start()`, so that no task the engine creates (a timer firing at
 * start) is missed.
 */
export async function createInboxIndex(deps: {
  db: Database;
  engine: Engine;
}): Promise<InboxIndex> {
  await deps.db.ensureCollections([TASK_COLLECTIONS.index]);
  const index = new InboxIndex(indexCollection(deps.db), classIdOf);
  deps.engine.observeEffects((effects) =>
    index.observe(effects, (key) => deps.engine.collections.tasks.findOne({ _id: key })),
  );
  return index;
}

/**
 * Creates the task inbox module (ensuring its collections) and its /api/tasks router. Without
 * `index` it creates one (tests start the engine first). The first start with an index fills
 * it from the tasks already open and the completions already recorded.
 */
export async function createTasks(deps: {
  db: Database;
  engine: Engine;
  requireSession: RequestHandler;
  index?: InboxIndex;
}): Promise<{ router: Router; service: TaskService; index: InboxIndex }> {
  await deps.db.ensureCollections(Object.values(TASK_COLLECTIONS));
  const index = deps.index ?? (await createInboxIndex(deps));
  await backfillOnce(deps.db, deps.engine, index);
  const service = new TaskService(
    deps.engine,
    taskModels(deps.db.connection),
    () => new Date(),
    index,
  );
  return { router: createTasksRouter(service, deps.requireSession), service, index };
}

// helpers //////////

const BACKFILL_CLAIM = 'meta|backfill';
const BACKFILL_DONE = 'meta|backfilled';
const BACKFILL_LEASE_MS = 10 * 60_000;

function indexCollection(db: Database): Collection<InboxIndexDoc> {
  return db.connection.db!.collection<InboxIndexDoc>(TASK_COLLECTIONS.index);
}

/**
 * Adds the open tasks and recorded completions that predate the index, once per database: the
 * node that claims the job does it (a claim older than its lease is taken over). Entries are
 * idempotent, so a task the engine adds meanwhile is not doubled.
 */
async function backfillOnce(db: Database, engine: Engine, index: InboxIndex): Promise<void> {
  const c = indexCollection(db);
  if (await c.findOne({ _id: BACKFILL_DONE })) return;
  try {
    await c.insertOne({ _id: BACKFILL_CLAIM, v: Date.now() });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const claim = await c.findOne({ _id: BACKFILL_CLAIM });
    if (claim && Date.now() - claim.v < BACKFILL_LEASE_MS) return; // another node is at it
    await c.replaceOne({ _id: BACKFILL_CLAIM }, { v: Date.now() });
  }
  const tasks = engine.collections.tasks;
  for await (const task of tasks.find({ state: 'CREATED' })) await index.addOpen(task);
  const events = db.connection.db!.collection<TaskEventDoc>(TASK_COLLECTIONS.events);
  for await (const event of events.find({ type: 'complete' })) {
    const task: UserTaskDoc | null = await tasks.findOne({ _id: event.taskKey });
    if (task) await index.add(completedList(event.by), entryOf(task, classIdOf(task)));
  }
  await c.insertOne({ _id: BACKFILL_DONE, v: Date.now() }).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err;
  });
}
