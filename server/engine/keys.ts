/**
 * Keys as Camunda's API shapes them: decimal strings. A key is
 * (milliseconds since 2020-01-01) × 10⁴ + node id × 10² + sequence, so keys from different
 * engine nodes never collide (each node holds a leased node id) and they sort by time.
 * Keys of things inside an instance append six digits to the instance key (see executor).
 */
export const KEY_EPOCH = Date.UTC(2020, 0, 1);

/** Generates unique keys for one engine node. */
export class KeyGenerator {
  private lastMs = 0;
  private seq = 0;

  constructor(private readonly nodeId: number) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 99)
      throw new Error(`node id ${nodeId} out of range 0..99`);
  }

  /** The next key; never repeats on this node even if the clock steps back. */
  next(): string {
    let ms = Math.max(Date.now() - KEY_EPOCH, this.lastMs);
    if (ms === this.lastMs) {
      if (++this.seq > 99) {
        ms = this.lastMs + 1; // borrow the next millisecond; the clock catches up
        this.seq = 0;
      }
    } else {
      this.seq = 0;
    }
    this.lastMs = ms;
    return String(ms * 10_000 + this.nodeId * 100 + this.seq);
  }
}
