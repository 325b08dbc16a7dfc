import type { Request, RequestHandler, Response } from 'express';
import type { Principal } from '../../auth/principal';
import type { Role } from '../../auth/roles';
import { UserError } from '../../lib/errors';
import type { AuthService, ResolvedSession } from './auth.service';
import { readCookie } from './session-token';

/** The httpOnly cookie holding the signed session token. */
export const SESSION_COOKIE = 'kehou_sid';
/** The readable cookie holding the CSRF token for the browser app. */
export const CSRF_COOKIE = 'kehou_csrf';
/** The header a state-changing request with a session must carry. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True for methods that change nothing and need no CSRF token. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Reads sessions from requests (once per request), guards routes, and writes the cookies.
 */
export class SessionGate {
  private readonly cache = new WeakMap<Request, Promise<ResolvedSession | undefined>>();

  constructor(
    private readonly service: AuthService,
    private readonly secureCookies: boolean,
  ) {}

  /**
   * The principal of a service account sending HTTP Basic credentials (job workers), or
   * undefined. Never challenged with WWW-Authenticate, so browsers do not cache credentials.
   */
  private async basicPrincipal(req: Request): Promise<Principal | undefined> {
    const header = req.headers.authorization;
    if (!header?.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    return this.service.verifyServiceCredentials(
      decoded.slice(0, colon),
      decoded.slice(colon + 1),
      req.ip ?? '',
    );
  }

  /** The request's valid session, or undefined. */
  resolve(req: Request): Promise<ResolvedSession | undefined> {
    let p = this.cache.get(req);
    if (!p) {
      p = this.service.resolve(readCookie(req.headers.cookie, SESSION_COOKIE));
      this.cache.set(req, p);
    }
    return p;
  }

  /** True when the request may act with its session: a safe method, or the right CSRF token. */
  hasValidCsrf(req: Request, session: ResolvedSession): boolean {
    if (isSafeMethod(req.method)) return true;
    const header = req.headers[CSRF_HEADER];
    return this.service.isValidCsrf(session.token, typeof header === 'string' ? header : undefined);
  }

  /**
   * Middleware: 401 without a valid session, 403 CSRF_INVALID for a state-changing request
   * without the session's CSRF token; otherwise `res.locals.principal` and
   * `res.locals.session` are set.
   */
  readonly requireSession: RequestHandler = async (req, res, next) => {
    const service = await this.basicPrincipal(req);
    if (service) {
      res.locals.principal = service;
      return next();
    }
    const session = await this.resolve(req);
    if (!session) throw new UserError(401, 'UNAUTHENTICATED', 'error.unauthenticated');
    if (!this.hasValidCsrf(req, session))
      throw new UserError(403, 'CSRF_INVALID', 'auth.csrf_invalid');
    res.locals.session = session;
    res.locals.principal = session.principal;
    next();
  };

  /**
   * For the /v2 API: the principal of a session whose user holds one of `roles`, with the
   * CSRF token on state-changing requests; undefined otherwise (the API then answers 401).
   */
  principalWithRoles(roles: readonly Role[]): (req: Request) => Promise<Principal | undefined> {
    return async (req) => {
      const service = await this.basicPrincipal(req);
      if (service) return service.roles.some((r) => roles.includes(r)) ? service : undefined;
      const session = await this.resolve(req);
      if (!session || !this.hasValidCsrf(req, session)) return undefined;
      return session.principal.roles.some((r) => roles.includes(r)) ? session.principal : undefined;
    };
  }

  /** Sets the session cookie (httpOnly) and the CSRF cookie (readable by the browser app). */
  setCookies(res: Response, token: string): void {
    const common = {
      sameSite: 'lax' as const,
      secure: this.secureCookies,
      path: '/',
      maxAge: this.service.cookieMaxAgeMs,
    };
    res.cookie(SESSION_COOKIE, this.service.cookieValue(token), { ...common, httpOnly: true });
    res.cookie(CSRF_COOKIE, this.service.csrfToken(token), { ...common, httpOnly: false });
  }

  /** Clears both cookies. */
  clearCookies(res: Response): void {
    const common = { sameSite: 'lax' as const, secure: this.secureCookies, path: '/' };
    res.clearCookie(SESSION_COOKIE, { ...common, httpOnly: true });
    res.clearCookie(CSRF_COOKIE, common);
  }
}

/** The signed-in principal of a request that passed `requireSession`. */
export function currentPrincipal(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Error('currentPrincipal() used on a route without requireSession');
  return p;
}

/**
 * The session of a request that passed `requireSession`. A service account authenticated by
 * HTTP Basic has no session: routes about sessions answer it 401.
 */
export function currentSession(res: Response): ResolvedSession {
  const s = res.locals.session as ResolvedSession | undefined;
  if (!s) {
    if (res.locals.principal)
      throw new UserError(401, 'UNAUTHENTICATED', 'error.unauthenticated', 'a session is required');
    throw new Error('currentSession() used on a route without requireSession');
  }
  return s;
}
