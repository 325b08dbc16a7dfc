import type { Collection, OptionalUnlessRequiredId } from 'mongodb';

interface Pending<T> {
  doc: T;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Group commit for inserts: inserts issued in the same turn of the event loop go to the
 * database as one unordered `insertMany`. Each caller still learns its own outcome — in
 * particular its own duplicate-key error, which is how the engine's compare-and-swap works —
 * because unordered inserts report a write error per document (measured on FerretDB 1.24:
 * 4–5.5× the documents per second of single inserts; docs/performance.md).
 */
export class InsertBatcher<T extends { _id: string }> {
  private queue: Pending<T>[] = [];
  private scheduled = false;

  constructor(
    private readonly coll: Collection<T>,
    private readonly maxBatch = 64,
  ) {}

  /** Inserts one document; rejects with that document's own error (e.g. code 11000). */
  insert(doc: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ doc, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      if (batch.length === 1) {
        const [one] = batch as [Pending<T>];
        await this.coll
          .insertOne(one.doc as OptionalUnlessRequiredId<T>)
          .then(one.resolve, one.reject);
        continue;
      }
      try {
        await this.coll.insertMany(
          batch.map((p) => p.doc as OptionalUnlessRequiredId<T>),
          { ordered: false },
        );
        for (const p of batch) p.resolve();
      } catch (err) {
        const writeErrors = (
          err as { writeErrors?: { index: number; code: number; errmsg?: string }[] }
        ).writeErrors;
        if (!writeErrors) {
          for (const p of batch) p.reject(err);
          continue;
        }
        const failed = new Map(
          writeErrors.map((w) => [
            w.index,
            Object.assign(new Error(w.errmsg ?? 'write error'), { code: w.code }),
          ]),
        );
        batch.forEach((p, i) => (failed.has(i) ? p.reject(failed.get(i)) : p.resolve()));
      }
    }
  }
}
