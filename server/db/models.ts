import type { Connection, Model, Schema } from 'mongoose';

/**
 * Helpers for the modules' `*.model.ts` files: models registered on the connection the
 * composition root passes in (never on mongoose's global one), and idempotent inserts.
 */

/** Registers `name` on `connection` once and returns it; later calls return the same model. */
export function registerModel<T>(
  connection: Connection,
  name: string,
  schema: Schema<T>,
  collection: string,
): Model<T> {
  return (
    (connection.models[name] as Model<T> | undefined) ??
    connection.model<T>(name, schema, collection)
  );
}

/** MongoDB's and FerretDB's duplicate-key error code. */
export const DUPLICATE_KEY = 11000;

/** True for a duplicate-key error (E11000), the signal that an insert-CAS lost. */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: unknown; writeErrors?: { code?: unknown }[] } | undefined;
  if (e?.code === DUPLICATE_KEY) return true;
  return Boolean(e?.writeErrors?.length && e.writeErrors.every((w) => w.code === DUPLICATE_KEY));
}

/**
 * Inserts the documents whose `_id` is not taken yet and leaves existing ones as they are; the
 * building block of idempotent seeds. Returns how many were inserted.
 */
export async function insertMissing<T>(model: Model<T>, docs: readonly T[]): Promise<number> {
  if (docs.length === 0) return 0;
  try {
    const inserted = await model.insertMany(docs as T[], { ordered: false });
    return inserted.length;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const e = err as { insertedDocs?: unknown[]; writeErrors?: unknown[] };
    return e.insertedDocs?.length ?? docs.length - (e.writeErrors?.length ?? 0);
  }
}
