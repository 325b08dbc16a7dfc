/**
 * Shared result and option types of the FEEL and timer layer. The engine's runtime calls this
 * layer; nothing here imports from the runtime, so the JSON type is declared locally (it is
 * structurally the runtime's `JsonValue`).
 */

/** A value that survives `JSON.stringify` unchanged: what Zeebe stores as a variable. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Success with a value, or a failure with a message naming the problem. Never thrown. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * The outcome of evaluating one FEEL expression. `warnings` lists what FEEL turned into `null`
 * on the way (a missing variable, a bad function argument), for logs and incident messages.
 */
export type FeelResult =
  { ok: true; value: JsonValue; warnings?: string[] } | { ok: false; error: string };

/**
 * What makes an evaluation deterministic. When the engine re-executes a command it passes the
 * command's recorded time as `now`, so `now()` and `today()` give the same answer again.
 */
export interface FeelOptions {
  /** The instant `now()` and `today()` see; the system clock when absent. */
  now?: Date;
  /**
   * IANA zone id (`Asia/Shanghai`) or offset (`+08:00`) for `now()`, `today()` and calendar
   * arithmetic; `UTC` when absent, as a Zeebe broker in a container.
   */
  timeZone?: string;
  /** Source of `uuid()`; `crypto.randomUUID` when absent. */
  uuid?: () => string;
  /** Source of `random number()`, in [0, 1); `Math.random` when absent. */
  random?: () => number;
}
