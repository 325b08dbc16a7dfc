import { createHash } from 'node:crypto';
import type { Database } from '../../db/connection';
import { groupsOf } from '../../auth/groups';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../auth/password';
import type { Principal } from '../../auth/principal';
import { UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import type { Logger } from '../../lib/logger';
import type { UserDoc } from '../users/users.model';
import { type LoginKey, phoneKey, UserService, usernameKey } from '../users/users.service';
import { type AuthModels, authModels } from './auth.model';
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleLimits } from './login-throttle';
import {
  csrfTokenOf,
  isValidCsrfToken,
  newSessionToken,
  sessionIdOf,
  signSessionToken,
  unsignSessionToken,
} from './session-token';

/** Session and sign-in policy; every field has a default. */
export interface AuthSettings {
  /** Signs cookies and derives CSRF tokens (SESSION_SECRET). */
  secret: string;
  /** A session unused this long ends (default 2 hours). */
  idleMs?: number;
  /** A session ends this long after sign-in however active (default 12 hours). */
  absoluteMs?: number;
  /** Renew the idle expiry at most this often, to save a write per request (default 1 min). */
  renewAfterMs?: number;
  /** Consecutive failures that lock an account (default 5). */
  maxFailures?: number;
  /** How long a lock lasts (default 15 minutes). */
  lockMs?: number;
  /** In-memory limits per address and per account name. */
  throttle?: ThrottleLimits;
  /** The clock (tests move it). */
  now?: () => Date;
}

/** A new session: the token for the cookie and who signed in. */
export interface SignedIn {
  token: string;
  user: UserDoc;
  principal: Principal;
}

/** A request's valid session. */
export interface ResolvedSession {
  token: string;
  user: UserDoc;
  principal: Principal;
}

/**
 * Sign-in, sessions, lockout and password changes. Sessions live in the database (any server
 * process can serve any request); the per-address and per-account throttles live in memory.
 */
export class AuthService {
  readonly users: UserService;
  private readonly m: AuthModels;
  private readonly throttle: LoginThrottle;
  private readonly s: Required<Omit<AuthSettings, 'throttle'>>;
  /** Service credentials already verified: user id → fingerprint of password and version. */
  private readonly verifiedServices = new Map<string, string>();

  constructor(
    db: Database,
    private readonly logger: Logger,
    settings: AuthSettings,
  ) {
    this.users = new UserService(db);
    this.m = authModels(db.connection);
    this.s = {
      secret: settings.secret,
      idleMs: settings.idleMs ?? 2 * 3600_000,
      absoluteMs: settings.absoluteMs ?? 12 * 3600_000,
      renewAfterMs: settings.renewAfterMs ?? 60_000,
      maxFailures: settings.maxFailures ?? 5,
      lockMs: settings.lockMs ?? 15 * 60_000,
      now: settings.now ?? (() => new Date()),
    };
    this.throttle = new LoginThrottle(settings.throttle ?? DEFAULT_THROTTLE, () =>
      this.s.now().getTime(),
    );
  }

  /** How long a session cookie may live: the absolute session lifetime. */
  get cookieMaxAgeMs(): number {
    return this.s.absoluteMs;
  }

  /**
   * Signs in with a phone number or username. Refuses with 429 (throttled), 423 (locked) or
   * 401 (wrong account or password, never saying which).
   */
  async login(key: LoginKey, password: string, ip: string): Promise<SignedIn> {
    const account = 'phone' in key ? phoneKey(key.phone) : usernameKey(key.username);
    const wait = this.throttle.retryAfter(ip, account);
    if (wait !== undefined) {
      this.logger.warn({ ...key, event: 'login-throttled' }, 'sign-in throttled');
      throw new UserError(
        429,
        'RATE_LIMITED',
        'auth.rate_limited',
        t('auth.rate_limited_detail', { seconds: wait }),
        {
          retryAfterSeconds: wait,
        },
      );
    }
    const now = this.s.now();
    const user = await this.users.findByLogin(key);
    if (user?.lockedUntil && user.lockedUntil > now) {
      this.throttle.fail(ip, account);
      throw this.locked(user.lockedUntil, now);
    }
    const isValid = await verifyPassword(
      password,
      user?.passwordHash ?? (await dummyPasswordHash()),
    );
    if (!user || !isValid || user.disabled || !user.passwordHash) {
      this.throttle.fail(ip, account);
      if (user) await this.countFailure(user, now);
      else this.logger.warn({ ...key, event: 'login-failed' }, 'sign-in failed: no such account');
      throw new UserError(401, 'INVALID_CREDENTIALS', 'auth.invalid_credentials');
    }
    this.throttle.succeed(account);
    await this.users.recordLogin(user._id, now);
    this.logger.info({ userId: user._id, event: 'login' }, 'signed in');
    return this.startSession(user);
  }

  /**
   * Signs in a user whom another provider vouched for (WeCom's web sign-in): no password, the
   * same session as a password sign-in. Refuses a disabled, locked or service account (401).
   */
  async signInVerified(user: UserDoc, via: string): Promise<SignedIn> {
    const now = this.s.now();
    if (user.disabled || user.kind === 'service' || (user.lockedUntil && user.lockedUntil > now))
      throw new UserError(401, 'INVALID_CREDENTIALS', 'auth.invalid_credentials');
    await this.users.recordLogin(user._id, now);
    this.logger.info({ userId: user._id, via, event: 'login' }, 'signed in');
    return this.startSession(user);
  }

  /**
   * The principal of a service account (a user of kind `service`, e.g. the job workers)
   * presenting its username and password with each request (HTTP Basic), without a session.
   * People never sign in this way. A verified password is remembered per credentials version,
   * so a busy worker pays for the password hash once; wrong passwords count toward the same
   * throttle and lockout as sign-ins.
   */
  async verifyServiceCredentials(
    username: string,
    password: string,
    ip: string,
  ): Promise<Principal | undefined> {
    const account = usernameKey(username);
    if (this.throttle.retryAfter(ip, account) !== undefined) return undefined;
    const user = await this.users.findByLogin({ username });
    if (!user || user.kind !== 'service' || user.disabled || !user.passwordHash) {
      this.throttle.fail(ip, account);
      return undefined;
    }
    const now = this.s.now();
    if (user.lockedUntil && user.lockedUntil > now) return undefined;
    const fingerprint = createHash('sha256')
      .update(`${user.credentialsVersion}\0${password}`)
      .digest('base64');
    if (this.verifiedServices.get(user._id) !== fingerprint) {
      if (!(await verifyPassword(password, user.passwordHash))) {
        this.throttle.fail(ip, account);
        await this.countFailure(user, now);
        return undefined;
      }
      this.verifiedServices.set(user._id, fingerprint);
    }
    return principalFromUser(user);
  }

  /** The valid session behind a cookie value, renewing its idle expiry; else undefined. */
  async resolve(cookieValue: string | undefined): Promise<ResolvedSession | undefined> {
    const token = cookieValue ? unsignSessionToken(this.s.secret, cookieValue) : undefined;
    if (!token) return undefined;
    const id = sessionIdOf(token);
    const session = await this.m.sessions.findById(id).lean();
    if (!session) return undefined;
    const now = this.s.now();
    if (session.expiresAt <= now || session.absoluteExpiresAt <= now) {
      await this.m.sessions.deleteOne({ _id: id });
      return undefined;
    }
    const user = await this.users.findForSession(session.userId);
    if (!user || user.disabled || user.credentialsVersion !== session.credentialsVersion) {
      await this.m.sessions.deleteOne({ _id: id });
      return undefined;
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= this.s.renewAfterMs) {
      const expiresAt = new Date(
        Math.min(now.getTime() + this.s.idleMs, session.absoluteExpiresAt.getTime()),
      );
      await this.m.sessions.updateOne({ _id: id }, { $set: { lastSeenAt: now, expiresAt } });
    }
    return { token, user, principal: principalFromUser(user) };
  }

  /** Ends a session. */
  async logout(token: string): Promise<void> {
    await this.m.sessions.deleteOne({ _id: sessionIdOf(token) });
  }

  /**
   * Changes the password of the session's user and replaces the session with a new one; every
   * other session of the user ends. A wrong current password counts towards the lockout.
   */
  async changePassword(
    current: ResolvedSession,
    oldPassword: string,
    newPassword: string,
  ): Promise<SignedIn> {
    const now = this.s.now();
    // with its sign-in state (the session's copy leaves it out)
    const user = (await this.users.findById(current.user._id)) ?? current.user;
    if (user.lockedUntil && user.lockedUntil > now) throw this.locked(user.lockedUntil, now);
    if (!user.passwordHash || !(await verifyPassword(oldPassword, user.passwordHash))) {
      await this.countFailure(user, now);
      throw new UserError(400, 'WRONG_OLD_PASSWORD', 'auth.wrong_old_password', undefined, {
        fields: [{ path: 'oldPassword', message: t('auth.wrong_old_password') }],
      });
    }
    const credentialsVersion = await this.users.setPasswordHash(
      user,
      await hashPassword(newPassword),
    );
    await this.logout(current.token);
    this.logger.info({ userId: user._id, event: 'password-changed' }, 'password changed');
    return this.startSession({ ...user, credentialsVersion });
  }

  /** The CSRF token of a session. */
  csrfToken(token: string): string {
    return csrfTokenOf(this.s.secret, token);
  }

  /** The cookie value of a session. */
  cookieValue(token: string): string {
    return signSessionToken(this.s.secret, token);
  }

  /** True when `candidate` is the session's CSRF token. */
  isValidCsrf(token: string, candidate: string | undefined): boolean {
    return Boolean(candidate) && isValidCsrfToken(this.s.secret, token, candidate!);
  }

  // helpers //////////

  private async startSession(user: UserDoc): Promise<SignedIn> {
    const token = newSessionToken();
    const now = this.s.now();
    await this.m.sessions.create({
      _id: sessionIdOf(token),
      userId: user._id,
      credentialsVersion: user.credentialsVersion,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + Math.min(this.s.idleMs, this.s.absoluteMs)),
      absoluteExpiresAt: new Date(now.getTime() + this.s.absoluteMs),
    });
    return { token, user, principal: principalFromUser(user) };
  }

  /**
   * Counts a failure on the user and locks the account at the limit. Not atomic on FerretDB
   * 1.24 (ADR 0003): concurrent failures may count as one, which the per-account throttle
   * bounds.
   */
  private async countFailure(user: UserDoc, now: Date): Promise<void> {
    const expired = user.lockedUntil !== undefined && user.lockedUntil <= now;
    const failedLogins = (expired ? 0 : user.failedLogins) + 1;
    if (failedLogins >= this.s.maxFailures) {
      const lockedUntil = new Date(now.getTime() + this.s.lockMs);
      await this.users.recordFailedLogin(user._id, { failedLogins: 0, lockedUntil });
      this.logger.warn({ userId: user._id, event: 'account-locked' }, 'account locked');
      throw this.locked(lockedUntil, now);
    }
    await this.users.recordFailedLogin(user._id, { failedLogins });
    this.logger.warn({ userId: user._id, failedLogins, event: 'login-failed' }, 'sign-in failed');
  }

  private locked(until: Date, now: Date): UserError {
    const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
    return new UserError(
      423,
      'ACCOUNT_LOCKED',
      'auth.account_locked',
      t('auth.account_locked_detail', {
        count: this.s.maxFailures,
        minutes: Math.ceil(seconds / 60),
      }),
      { retryAfterSeconds: seconds },
    );
  }
}

/** The principal of a user: memberships with the roles and groups resolved from them. */
export function principalFromUser(user: UserDoc): Principal {
  const memberships = user.memberships.map((m) => ({ role: m.role, scope: { ...m.scope } }));
  return {
    userId: user._id,
    kind: user.kind,
    displayName: user.displayName,
    memberships,
    roles: [...new Set(memberships.map((m) => m.role))],
    groups: groupsOf(memberships),
  };
}
