import fs from 'node:fs';
import {
  DatabaseSetupError,
  ensureSqliteIndexTool,
  runSqliteIndexTool,
  sqliteDatabaseFile,
} from '../../server/db/ferretdb';
import { openTestDatabase, testSqliteDir } from '../setup/db';

type TestDatabase = Awaited<ReturnType<typeof openTestDatabase>>;

/** A document shaped like an engine record, so the table holds realistic rows. */
interface Thing {
  _id: string;
  kind: string;
  version: number;
  payload: { note: string; n: number };
}

// helpers //////////

function buildThing(n: number): Thing {
  return {
    _id: `thing-${String(n).padStart(6, '0')}`,
    kind: n % 2 === 0 ? 'even' : 'odd',
    version: 0,
    payload: { note: '课后服务 application record', n },
  };
}

async function insertThings(db: TestDatabase, name: string, count: number): Promise<void> {
  const batch = 1_000;
  for (let start = 0; start < count; start += batch) {
    const docs = Array.from({ length: Math.min(batch, count - start) }, (_, i) =>
      buildThing(start + i),
    );
    await db.connection.collection<Thing>(name).insertMany(docs, { ordered: false });
  }
}

async function idLookupPlan(db: TestDatabase, name: string): Promise<string> {
  const lines = await runSqliteIndexTool(dbFile(db), [name], { check: true });
  expect(lines).toHaveLength(1);
  return lines[0]!.split('\t')[2]!;
}

function dbFile(db: TestDatabase): string {
  return sqliteDatabaseFile(testSqliteDir()!, db.dbName);
}

async function collectionNames(db: TestDatabase): Promise<string[]> {
  const list = await db.connection.db!.listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name).sort();
}

// tests //////////

describe('Database.ensureCollections', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('should create missing collections and accept ones that already exist', async () => {
    // given
    await db.connection.createCollection('existing');

    // when
    await db.ensureCollections(['existing', 'fresh', 'fresh']);

    // then
    expect(await collectionNames(db)).toEqual(expect.arrayContaining(['existing', 'fresh']));
  });
});

describe('compare-and-swap by inserting a unique _id (ADR 0003)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
    await db.ensureCollections(['claims']);
  });

  afterAll(async () => {
    await db.drop();
  });

  it('should let exactly one of eight concurrent inserts of the same _id win', async () => {
    // given
    const claims = db.connection.collection<{ _id: string; by: number }>('claims');

    // when
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, by) => claims.insertOne({ _id: 'instance-1:7', by })),
    );

    // then
    const won = results.filter((r) => r.status === 'fulfilled');
    const duplicates = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { code?: unknown }).code === 11000,
    );
    expect(won).toHaveLength(1);
    expect(duplicates).toHaveLength(7);
    expect(await claims.countDocuments({ _id: 'instance-1:7' })).toBe(1);
  });
});

const describeOnSqlite = testSqliteDir() ? describe : describe.skip;

describeOnSqlite('the _id index on the embedded FerretDB (SQLite)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('should have lookups by _id scan the table when only FerretDB created the collection', async () => {
    // given
    await db.connection.createCollection('plain');
    await insertThings(db, 'plain', 2_000);

    // when
    const plan = await idLookupPlan(db, 'plain');

    // then
    expect(plan).toMatch(/^SCAN /);
    expect(plan).not.toContain('__kehou_id');
  });

  it('should have lookups by _id use the index on 20,000 documents after ensureCollections', async () => {
    // given
    await db.ensureCollections(['things']);
    await insertThings(db, 'things', 20_000);
    const things = db.connection.collection<Thing>('things');
    const late = buildThing(19_999)._id;

    // when
    const plan = await idLookupPlan(db, 'things');
    const found = await things.findOne({ _id: late });
    const updated = await things.updateOne({ _id: late }, { $inc: { version: 1 } });
    const deleted = await things.deleteOne({ _id: buildThing(19_998)._id });

    // then
    expect(plan).toMatch(/^SEARCH \S+ USING INDEX \S+__kehou_id \(<expr>=\?\)$/);
    expect(found?.payload.n).toBe(19_999);
    expect(updated.modifiedCount).toBe(1);
    expect((await things.findOne({ _id: late }))?.version).toBe(1);
    expect(deleted.deletedCount).toBe(1);
    expect(await things.countDocuments()).toBe(19_999);
  });

  it('should index a collection that already holds documents', async () => {
    // given
    await db.connection.createCollection('backlog');
    await insertThings(db, 'backlog', 2_000);
    expect(await idLookupPlan(db, 'backlog')).toMatch(/^SCAN /);

    // when
    await db.ensureCollections(['backlog']);

    // then
    expect(await idLookupPlan(db, 'backlog')).toContain('__kehou_id');
    expect(
      (await db.connection.collection<Thing>('backlog').findOne({ _id: 'thing-001999' }))?.kind,
    ).toBe('odd');
  });

  it('should be idempotent', async () => {
    // given
    await db.ensureCollections(['twice']);

    // when
    await db.ensureCollections(['twice']);
    const secondRun = await runSqliteIndexTool(dbFile(db), ['twice']);

    // then
    expect(secondRun).toEqual([]);
    expect(await idLookupPlan(db, 'twice')).toContain('__kehou_id');
  });

  it('should index a collection added later when ensureCollections is called again', async () => {
    // given
    await db.ensureCollections(['early']);

    // when
    await db.ensureCollections(['early', 'later']);

    // then
    expect(await idLookupPlan(db, 'early')).toContain('__kehou_id');
    expect(await idLookupPlan(db, 'later')).toContain('__kehou_id');
  });

  it('should report one line per index it creates', async () => {
    // given
    await db.connection.createCollection('reported');

    // when
    const lines = await runSqliteIndexTool(dbFile(db), ['reported']);

    // then
    expect(lines).toEqual([
      expect.stringMatching(/^created index \S+__kehou_id on collection reported /),
    ]);
  });

  it('should fail with a clear message for a collection FerretDB does not know', async () => {
    // given
    const missing = 'never-created';

    // when
    const running = runSqliteIndexTool(dbFile(db), [missing]);

    // then
    await expect(running).rejects.toThrow(DatabaseSetupError);
    await expect(running).rejects.toThrow(/no such collection: never-created/);
  });

  it('should fail with a clear message for a database file that does not exist', async () => {
    // given
    const file = sqliteDatabaseFile(testSqliteDir()!, 'no_such_database');

    // when
    const running = runSqliteIndexTool(file, []);

    // then
    await expect(running).rejects.toThrow(/no_such_database\.sqlite.*no such file/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('should not rebuild the tool when its source is unchanged', async () => {
    // given
    const bin = await ensureSqliteIndexTool();
    const builtAt = fs.statSync(bin).mtimeMs;

    // when
    const again = await ensureSqliteIndexTool();

    // then
    expect(again).toBe(bin);
    expect(fs.statSync(again).mtimeMs).toBe(builtAt);
  });
});
