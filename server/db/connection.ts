import mongoose, { type Connection } from 'mongoose';
import { ensureSqliteIndexTool, runSqliteIndexTool, sqliteDatabaseFile } from './ferretdb';

/** The product's handle on its MongoDB-compatible database. */
export interface Database {
  /** The mongoose connection models are registered on. */
  readonly connection: Connection;
  /**
   * Creates each collection that does not exist yet and, on the embedded FerretDB (SQLite),
   * the index that makes lookups by `_id` use an index instead of scanning the table
   * (docs/adr/0003-ferretdb-sqlite-id-index.md). Idempotent; call it at startup with every
   * collection a component uses, and again for collections added later.
   */
  ensureCollections(names: string[]): Promise<void>;
  /** True when the server answers a ping within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** The database could not be reached at boot. */
export class DatabaseUnavailableError extends Error {
  constructor(uri: string, cause: unknown) {
    super(
      `cannot reach the database at ${redactUri(uri)}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'DatabaseUnavailableError';
  }
}

/** Hides credentials in a MongoDB URI for messages and logs. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}

/** How {@link connectDatabase} reaches the database. */
export interface ConnectOptions {
  /** Database name; overrides the URI's path. */
  dbName?: string;
  /** Fail fast when no server is selected within this time (default 5 s). */
  serverSelectionTimeoutMS?: number;
  /**
   * Data folder of the embedded FerretDB (SQLite backend) behind `uri`. Only then does
   * {@link Database.ensureCollections} add the `_id` indexes FerretDB 1.24 lacks; leave it
   * unset for MongoDB or an external FerretDB.
   */
  sqliteDir?: string;
}

/** MongoDB's and FerretDB's error code for "collection already exists". */
const NAMESPACE_EXISTS = 48;

/**
 * Connects to `uri` (database `dbName` overrides the URI's path) and fails fast when the
 * server cannot be selected within `serverSelectionTimeoutMS`.
 */
export async function connectDatabase(uri: string, opts: ConnectOptions = {}): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    dbName: opts.dbName,
    serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5_000,
    autoIndex: true,
  });
  try {
    await connection.asPromise();
    await connection.db!.command({ ping: 1 });
  } catch (err) {
    await connection.close(true).catch(() => undefined);
    throw new DatabaseUnavailableError(uri, err);
  }
  // One index run at a time per connection: callers start up concurrently, and parallel runs
  // would only queue on SQLite's write lock.
  let indexing: Promise<void> = Promise.resolve();
  const { sqliteDir } = opts;
  return {
    connection,
    async ensureCollections(names) {
      const unique = [...new Set(names)];
      for (const name of unique) {
        try {
          await connection.createCollection(name);
        } catch (err) {
          if ((err as { code?: unknown }).code !== NAMESPACE_EXISTS) throw err;
        }
      }
      if (!sqliteDir || unique.length === 0) return;
      const dbFile = sqliteDatabaseFile(sqliteDir, connection.db!.databaseName);
      const run = indexing.then(async () => {
        await ensureSqliteIndexTool();
        await runSqliteIndexTool(dbFile, unique);
      });
      indexing = run.catch(() => undefined);
      await run;
    },
    async ping(timeoutMs = 1_000) {
      const db = connection.db;
      if (!db || connection.readyState !== mongoose.ConnectionStates.connected) return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          db.command({ ping: 1 }).then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await connection.close();
    },
  };
}
