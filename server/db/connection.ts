import mongoose, { type Connection } from 'mongoose';

/** The product's handle on its MongoDB-compatible database. */
export interface Database {
  /** The mongoose connection models are registered on. */
  readonly connection: Connection;
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

/**
 * Connects to `uri` (database `dbName` overrides the URI's path) and fails fast when the
 * server cannot be selected within `serverSelectionTimeoutMS`.
 */
export async function connectDatabase(
  uri: string,
  opts: { dbName?: string; serverSelectionTimeoutMS?: number } = {},
): Promise<Database> {
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
  return {
    connection,
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
