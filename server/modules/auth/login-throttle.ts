/**
 * In-memory limits on failed sign-ins per client address and per account name (phone or
 * username, whether or not it exists). They answer before any password is hashed and bound
 * guessing between the per-user lockouts, which are stored on the user. Each server process
 * counts on its own: with N processes an attacker gets up to N times the limit, still far
 * below what guessing needs, and the lockout on the user is shared.
 */

/** At most `max` failures within `windowMs`. */
export interface Limit {
  max: number;
  windowMs: number;
}

/** The limits: generous per address (a school's staff share one NAT address), tight per account. */
export interface ThrottleLimits {
  perIp: Limit;
  perAccount: Limit;
}

/** Defaults: 50 failures per address and 10 per account name in 15 minutes. */
export const DEFAULT_THROTTLE: ThrottleLimits = {
  perIp: { max: 50, windowMs: 15 * 60_000 },
  perAccount: { max: 10, windowMs: 15 * 60_000 },
};

interface Window {
  count: number;
  resetAt: number;
}

/** Bounds memory under a flood of distinct keys. */
const MAX_KEYS = 50_000;

/** Fixed-window failure counters. */
export class LoginThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait when the address or the account has failed too often; else undefined. */
  retryAfter(ip: string, account: string): number | undefined {
    const waits = [
      this.wait(`ip:${ip}`, this.limits.perIp),
      this.wait(`acct:${account}`, this.limits.perAccount),
    ].filter((w): w is number => w !== undefined);
    return waits.length ? Math.max(...waits) : undefined;
  }

  /** Counts a failure against the address and the account. */
  fail(ip: string, account: string): void {
    this.bump(`ip:${ip}`, this.limits.perIp);
    this.bump(`acct:${account}`, this.limits.perAccount);
  }

  /** Forgets the account's failures after a successful sign-in. */
  succeed(account: string): void {
    this.windows.delete(`acct:${account}`);
  }

  // helpers //////////

  private wait(key: string, limit: Limit): number | undefined {
    const w = this.windows.get(key);
    const now = this.now();
    if (!w || w.resetAt <= now || w.count < limit.max) return undefined;
    return Math.max(1, Math.ceil((w.resetAt - now) / 1000));
  }

  private bump(key: string, limit: Limit): void {
    const now = this.now();
    const w = this.windows.get(key);
    if (w && w.resetAt > now) {
      w.count += 1;
      return;
    }
    if (this.windows.size >= MAX_KEYS) this.sweep(now);
    this.windows.set(key, { count: 1, resetAt: now + limit.windowMs });
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
    // Still full: drop the oldest entries (Map keeps insertion order).
    for (const key of this.windows.keys()) {
      if (this.windows.size < MAX_KEYS) break;
      this.windows.delete(key);
    }
  }
}
