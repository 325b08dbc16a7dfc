import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Database } from '../../db/connection';
import type { Principal } from '../../auth/principal';
import type { Role } from '../../auth/roles';
import type { Principal as V2Principal } from '../../engine/api/v2.router';
import type { Logger } from '../../lib/logger';
import { USER_COLLECTIONS, type UserDoc } from '../users/users.model';
import { AUTH_COLLECTIONS } from './auth.model';
import { SessionGate } from './auth.middleware';
import { createAuthRouter } from './auth.router';
import { AuthService, type AuthSettings } from './auth.service';

export { currentPrincipal, currentSession, CSRF_HEADER, SESSION_COOKIE } from './auth.middleware';

/**
 * Roles whose sessions may use the /v2 engine API. That API has no tenant filter (it shows
 * every school's instances and jobs), so only roles that span the whole city get it: job
 * workers and the city bureau. School and county staff reach the engine through the tenant-
 * aware /api routes (task inbox, processes) once those exist.
 */
export const V2_SESSION_ROLES: readonly Role[] = ['worker', 'cityBureau'];

/** Sign-in and sessions, assembled for the composition root. */
export interface Auth {
  /** Mounted at /api/auth. */
  router: Router;
  /** Guards a route: a valid session, and the CSRF token on state-changing requests. */
  requireSession: RequestHandler;
  /** The signed-in principal of a request, or undefined; resolved once per request. */
  resolvePrincipal(req: Request): Promise<Principal | undefined>;
  /** A session principal holding one of `roles` (CSRF checked on state-changing requests). */
  principalWithRoles(roles: readonly Role[]): (req: Request) => Promise<Principal | undefined>;
  /** The /v2 router's `sessionPrincipal`: users holding {@link V2_SESSION_ROLES}. */
  v2SessionPrincipal(req: Request): Promise<V2Principal | undefined>;
  /**
   * Signs in a user another provider vouched for (WeCom): ends the browser's previous session,
   * sets the cookies, answers the CSRF token.
   */
  signInVerified(req: Request, res: Response, user: UserDoc, via: string): Promise<string>;
  service: AuthService;
}

/** What {@link createAuth} needs. */
export interface AuthDeps {
  db: Database;
  logger: Logger;
  /** Secure cookies (HTTPS only); on in production. */
  secureCookies?: boolean;
  settings: AuthSettings;
}

/** Every collection sign-in uses. */
export const AUTH_MODULE_COLLECTIONS = [
  ...Object.values(USER_COLLECTIONS),
  ...Object.values(AUTH_COLLECTIONS),
];

/** Creates the sign-in module; ensures its collections. */
export async function createAuth(deps: AuthDeps): Promise<Auth> {
  await deps.db.ensureCollections(AUTH_MODULE_COLLECTIONS);
  const service = new AuthService(deps.db, deps.logger, deps.settings);
  const gate = new SessionGate(service, deps.secureCookies ?? false);
  const v2User = gate.principalWithRoles(V2_SESSION_ROLES);
  return {
    router: createAuthRouter(service, gate),
    requireSession: gate.requireSession,
    resolvePrincipal: async (req) => (await gate.resolve(req))?.principal,
    principalWithRoles: (roles) => gate.principalWithRoles(roles),
    v2SessionPrincipal: async (req) => {
      const p = await v2User(req);
      return p && { kind: 'user', id: p.userId };
    },
    async signInVerified(req, res, user, via) {
      const previous = await gate.resolve(req);
      const signedIn = await service.signInVerified(user, via);
      if (previous) await service.logout(previous.token);
      gate.setCookies(res, signedIn.token);
      return service.csrfToken(signedIn.token);
    },
    service,
  };
}

/**
 * The secret that signs session cookies: SESSION_SECRET, or outside production a random one
 * per boot (sessions then end with a restart). Production refuses to start without it
 * (server/config.ts).
 */
export function sessionSecret(config: { SESSION_SECRET?: string; NODE_ENV: string }): string {
  if (config.SESSION_SECRET) return config.SESSION_SECRET;
  if (config.NODE_ENV === 'production') throw new Error('SESSION_SECRET is required in production');
  return randomBytes(32).toString('base64url');
}
