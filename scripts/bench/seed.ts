/**
 * Fills the benchmark database with many instances quickly, for the growth runs: every
 * document of one real template instance (instance, commits, claims, jobs, user tasks) is
 * copied under new instance keys and bulk-inserted. The copies have exactly the shape and
 * size of what the engine writes; only their keys differ.
 */
import { BSON, type Collection, type Db, type Document } from 'mongodb';
import { KEY_EPOCH } from '../../server/engine/keys';
import { COLLECTIONS } from '../../server/engine/store/collections';
import type { InstanceState } from '../../server/engine/runtime/state';

/** The documents of one instance, by collection name. */
export type InstanceDocs = Record<string, Document[]>;

/** Collections whose documents belong to one instance, and how to find them. */
const OWNED = ['instances', 'commits', 'jobs', 'tasks', 'claims'] as const;

/**
 * Reads every document of instance `key` by `_id` only (the one indexed filter on FerretDB):
 * its commits by version, its open jobs and user tasks from its state, and the activation
 * claims of the jobs its commits completed.
 */
export async function instanceDocs(db: Db, key: string): Promise<InstanceDocs> {
  const coll = (name: keyof typeof COLLECTIONS): Collection<Document> =>
    db.collection(COLLECTIONS[name]);
  const instance = await coll('instances').findOne({ _id: key as never });
  if (!instance) throw new Error(`instance ${key} not found`);
  const out: InstanceDocs = { instances: [instance], commits: [], jobs: [], tasks: [], claims: [] };
  const jobKeys = new Set<string>();
  for (let v = 1; v <= (instance.v as number); v++) {
    const c = await coll('commits').findOne({ _id: `${key}:${v}` as never });
    if (!c) continue;
    out.commits!.push(c);
    const cmd = JSON.parse(c.cmd as string) as { job?: string };
    if (cmd.job) jobKeys.add(cmd.job);
  }
  const state = JSON.parse(instance.s as string) as InstanceState;
  for (const [waitKey, wait] of Object.entries(state.waits)) {
    if (wait.k === 'job') {
      jobKeys.add(waitKey);
      const job = await coll('jobs').findOne({ _id: waitKey as never });
      if (job) out.jobs!.push(job);
    }
    if (wait.k === 'task') {
      const task = await coll('tasks').findOne({ _id: waitKey as never });
      if (task) out.tasks!.push(task);
    }
  }
  for (const jobKey of jobKeys) {
    const claim = await coll('claims').findOne({ _id: `job:${jobKey}` as never });
    if (claim) out.claims!.push(claim);
  }
  return out;
}

/** BSON bytes of an instance's documents, by collection. */
export function bsonBytes(docs: InstanceDocs): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(docs))
    out[name] = list.reduce((sum, d) => sum + BSON.calculateObjectSize(d), 0);
  return out;
}

/**
 * Instance keys 30 days in the past, so they can never meet the keys the running engine
 * generates: (ms since 2020) × 10⁴ + node 99 × 10² + sequence, 100 keys per millisecond.
 */
function seededKey(i: number): string {
  const ms = Date.now() - KEY_EPOCH - 30 * 86_400_000;
  // pinned at first use so that successive calls continue one sequence
  seedBaseMs ??= ms;
  return String((seedBaseMs + Math.floor(i / 100)) * 10_000 + 9_900 + (i % 100));
}
let seedBaseMs: number | undefined;

/** Copies look as old as their keys: recovery at engine start only revisits recent instances. */
const AGE_MS = 30 * 86_400_000;

/**
 * Inserts `count` copies of the templates (interleaved by `weight`), in batches. `offset`
 * keeps keys of successive calls apart: pass the number of copies inserted so far. Returns the documents inserted per collection.
 */
export async function seedCopies(
  db: Db,
  templates: { key: string; docs: InstanceDocs; weight: number }[],
  count: number,
  offset: number,
): Promise<Record<string, number>> {
  const inserted: Record<string, number> = {};
  const totalWeight = templates.reduce((s, t) => s + t.weight, 0);
  const texts = templates.map((t) => ({
    key: t.key,
    weight: t.weight,
    json: Object.fromEntries(OWNED.map((c) => [c, JSON.stringify(t.docs[c] ?? [])])),
  }));
  const batch: Record<string, Document[]> = Object.fromEntries(OWNED.map((c) => [c, []]));
  const flush = async () => {
    for (const c of OWNED) {
      const docs = batch[c]!;
      if (!docs.length) continue;
      await db.collection(COLLECTIONS[c]).insertMany(docs, { ordered: false });
      inserted[c] = (inserted[c] ?? 0) + docs.length;
      batch[c] = [];
    }
  };
  for (let i = 0; i < count; i++) {
    // spread the templates evenly: of every totalWeight instances, weight are of each
    let slot = i % totalWeight;
    const t = texts.find((x) => (slot -= x.weight) < 0)!;
    const key = seededKey(offset + i);
    for (const c of OWNED) {
      const json = t.json[c]!;
      if (json === '[]') continue;
      // keys of jobs, tasks and commits start with the instance key, so one replace covers all
      for (const d of JSON.parse(json.split(t.key).join(key)) as Document[]) {
        if (c === 'instances' && typeof d.upd === 'number') d.upd -= AGE_MS;
        batch[c]!.push(d);
      }
    }
    if (batch.instances!.length >= 500) await flush();
  }
  await flush();
  return inserted;
}
