import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import {
  WecomApiError,
  WecomTransportError,
  type WecomClient,
  type WecomVisitor,
} from '../../integrations/wecom/client';
import { NotFoundError, TransientError, UserError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Auth } from '../auth';
import type { ExternalIdentity } from '../users/users.model';
import type { UserService } from '../users/users.service';
import type { WecomApps } from './apps';
import { authorizeQuery, oauthCallbackQuery } from './wecom.schema';

/** The cookie binding a sign-in to the browser that started it. */
export const WECOM_STATE_COOKIE = 'kehou_wecom_state';

/** How long a started sign-in may take. */
const STATE_TTL_MS = 10 * 60_000;

/** What the sign-in routes need. */
export interface WecomOAuthDeps {
  apps: WecomApps;
  users: UserService;
  auth: Pick<Auth, 'signInVerified' | 'resolvePrincipal'>;
  /** Signs the `state` (SESSION_SECRET). */
  stateSecret: string;
  secureCookies?: boolean;
  logger: Logger;
  now?: () => number;
}

/** What `state` carries through WeCom, signed. */
interface SignInState {
  /** Nonce, equal to the cookie's. */
  n: string;
  l: 'school' | 'county';
  p: string;
  a: 'staff' | 'parent';
  r: string;
  /** Expiry, ms since the epoch. */
  e: number;
}

/**
 * /api/auth/wecom: sign-in through WeCom's web authorization (OAuth 2, snsapi_base) for staff
 * (members of the school's corp) and parents (of its school contact book). `authorize`
 * redirects to WeCom with a signed `state` bound to a cookie; WeCom redirects back to
 * `callback` with a one-use `code`, which is exchanged for the visitor's UserID
 * (`auth/getuserinfo`) or parent_userid (`school/getuserinfo`). The account linked to that
 * identity gets the same session a password sign-in gives. A signed-in person whose WeCom
 * identity is not linked yet links it by signing in through WeCom once.
 */
export function createWecomOAuthRouter(deps: WecomOAuthDeps): Router {
  const r = express.Router();
  r.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  const api = declareRoutes(r, { tag: 'auth' });
  const now = deps.now ?? Date.now;

  api.get(
    '/authorize',
    {
      summary: "Start signing in through WeCom: redirects to WeCom's authorization page",
      auth: 'public',
      query: authorizeQuery,
      responses: { 302: { description: "To WeCom's oauth2 authorize URL" } },
      errors: [404, 409],
    },
    async ({ query }, _req, res) => {
      const app = await deps.apps.byPlace(query.level, query.placeId);
      if (!app) throw new NotFoundError();
      const state: SignInState = {
        n: randomBytes(16).toString('base64url'),
        l: query.level,
        p: query.placeId,
        a: query.as,
        r: query.returnTo,
        e: now() + STATE_TTL_MS,
      };
      res.cookie(WECOM_STATE_COOKIE, state.n, {
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.secureCookies ?? false,
        path: '/api/auth/wecom',
        maxAge: STATE_TTL_MS,
      });
      const redirectUri = `${deps.apps.base()}/api/auth/wecom/callback`;
      res.redirect(302, app.client.authorizeUrl(redirectUri, sign(deps.stateSecret, state)));
    },
  );

  api.get(
    '/callback',
    {
      summary:
        "WeCom's redirect back: exchanges the code for the visitor's identity and signs the linked account in",
      auth: 'public',
      query: oauthCallbackQuery,
      responses: { 303: { description: 'Signed in (or linked): to the page asked for' } },
      errors: [401, 403, 404, 503],
    },
    async ({ query }, req, res) => {
      const state = verify(deps.stateSecret, query.state, now());
      if (!state || !sameNonce(readCookie(req, WECOM_STATE_COOKIE), state.n))
        throw new UserError(403, 'WECOM_STATE_INVALID', 'wecom.signin.state_invalid');
      res.clearCookie(WECOM_STATE_COOKIE, { path: '/api/auth/wecom' });
      if (!query.code) throw new UserError(401, 'WECOM_SIGNIN_DECLINED', 'wecom.signin.declined');
      const app = await deps.apps.byPlace(state.l, state.p);
      if (!app) throw new NotFoundError();

      const identity = await identityOf(app.client, state.a, query.code, app.doc.corpId);
      const user = await deps.users.findByExternalIdentity(identity);
      if (!user) {
        const signedIn = await deps.auth.resolvePrincipal(req);
        if (!signedIn) throw new UserError(401, 'WECOM_NOT_LINKED', 'wecom.signin.not_linked');
        await deps.users.linkExternalIdentity(signedIn.userId, identity);
        deps.logger.info(
          { userId: signedIn.userId, appId: app.doc._id, event: 'wecom-linked' },
          'WeCom identity linked',
        );
        res.redirect(303, state.r);
        return;
      }
      await deps.auth.signInVerified(req, res, user, 'wecom');
      res.redirect(303, state.r);
    },
  );

  return r;
}

// helpers //////////

async function identityOf(
  client: Pick<WecomClient, 'visitor' | 'schoolVisitor'>,
  as: 'staff' | 'parent',
  code: string,
  corpId: string,
): Promise<Omit<ExternalIdentity, 'linkedAt'>> {
  let visitor: WecomVisitor;
  try {
    visitor = as === 'staff' ? await client.visitor(code) : await client.schoolVisitor(code);
  } catch (err) {
    if (err instanceof WecomTransportError || (err instanceof WecomApiError && err.isTransient))
      throw new TransientError('WECOM_UNAVAILABLE', 'wecom.unavailable');
    if (err instanceof WecomApiError)
      throw new UserError(401, 'WECOM_CODE_INVALID', 'wecom.signin.code_invalid');
    throw err;
  }
  if (visitor.kind === 'member') return { provider: 'wecom', corpId, userId: visitor.userId };
  if (visitor.kind === 'parent')
    return { provider: 'wecom-external', corpId, externalUserId: visitor.parentUserId };
  throw new UserError(401, 'WECOM_NOT_LINKED', 'wecom.signin.not_linked');
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`wecom-state:${payload}`).digest('base64url');
}

function sign(secret: string, state: SignInState): string {
  const payload = Buffer.from(JSON.stringify(state)).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

function verify(secret: string, token: string, at: number): SignInState | undefined {
  const [payload, sig] = token.split('.');
  if (!payload || !sig) return undefined;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SignInState;
    return state.e > at ? state : undefined;
  } catch {
    return undefined;
  }
}

function sameNonce(cookie: string | undefined, nonce: string): boolean {
  if (!cookie) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(nonce);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name)
      return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}
