import express, { type Router } from 'express';
import { abilityFor, subject } from '../../auth/abilities';
import { groupOf } from '../../auth/groups';
import type { Principal } from '../../auth/principal';
import { declareRoutes } from '../../http/route-registry';
import { UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import type { UserDoc } from '../users/users.model';
import {
  changePasswordBody,
  csrfResponse,
  loginBody,
  loginResponse,
  passwordChangedResponse,
  whoAmIResponse,
} from './auth.schema';
import { currentSession, type SessionGate } from './auth.middleware';
import type { AuthService } from './auth.service';

/** The body of /me and of a successful sign-in. */
function whoAmI(user: UserDoc, principal: Principal, csrfToken: string) {
  return {
    user: {
      id: user._id,
      kind: user.kind,
      username: user.username ?? null,
      phone: user.phone ?? null,
      displayName: user.displayName,
    },
    roles: principal.roles,
    memberships: principal.memberships.map((m) => ({
      role: m.role,
      roleName: t(`role.${m.role}`),
      scope: m.scope,
      group: groupOf(m) ?? null,
    })),
    groups: principal.groups,
    csrfToken,
  };
}

/** /api/auth: sign in, who am I, CSRF token, change password, sign out. */
export function createAuthRouter(service: AuthService, gate: SessionGate): Router {
  const r = express.Router();
  r.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });

  const api = declareRoutes(r, { tag: 'auth', requireSession: gate.requireSession });

  api.post(
    '/login',
    {
      summary: 'Sign in with a phone number or a username and the password',
      description:
        'Sets the session cookie (a new session id every time) and returns who is signed in with the CSRF token.',
      auth: 'public',
      body: loginBody,
      responses: { 200: { description: 'Signed in', schema: loginResponse } },
      errors: [401, 423, 429],
    },
    async ({ body }, req, res) => {
      const key = body.phone !== undefined ? { phone: body.phone } : { username: body.username! };
      const previous = await gate.resolve(req);
      const signedIn = await service.login(key, body.password, req.ip ?? 'unknown');
      // A new session id at every sign-in (no session fixation).
      if (previous) await service.logout(previous.token);
      gate.setCookies(res, signedIn.token);
      res.json({
        message: t('auth.logged_in'),
        ...whoAmI(signedIn.user, signedIn.principal, service.csrfToken(signedIn.token)),
      });
    },
  );

  api.get(
    '/me',
    {
      summary: 'Who is signed in: the user, roles, memberships, candidate groups, CSRF token',
      responses: { 200: { description: 'The signed-in user', schema: whoAmIResponse } },
      errors: [403],
    },
    (_input, _req, res) => {
      const s = currentSession(res);
      // The table grants every role its own user document; checked so a change there shows here.
      if (!abilityFor(s.principal).can('read', subject('User', { _id: s.user._id })))
        throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
      res.json(whoAmI(s.user, s.principal, service.csrfToken(s.token)));
    },
  );

  api.get(
    '/csrf',
    {
      summary: 'The CSRF token of the session (and the readable cookie re-set)',
      responses: { 200: { description: 'The token', schema: csrfResponse } },
    },
    (_input, _req, res) => {
      const s = currentSession(res);
      const csrfToken = service.csrfToken(s.token);
      gate.setCookies(res, s.token);
      res.json({ csrfToken });
    },
  );

  api.post(
    '/password',
    {
      summary: 'Change the password; other sessions of the user end',
      body: changePasswordBody,
      responses: {
        200: { description: 'Changed; a new session', schema: passwordChangedResponse },
      },
      errors: [423, 429],
    },
    async ({ body }, _req, res) => {
      const signedIn = await service.changePassword(
        currentSession(res),
        body.oldPassword,
        body.newPassword,
      );
      gate.setCookies(res, signedIn.token);
      res.json({
        message: t('auth.password_changed'),
        csrfToken: service.csrfToken(signedIn.token),
      });
    },
  );

  api.post(
    '/logout',
    { summary: 'Sign out: end the session', responses: { 204: { description: 'Signed out' } } },
    async (_input, _req, res) => {
      await service.logout(currentSession(res).token);
      gate.clearCookies(res);
      res.status(204).end();
    },
  );

  return r;
}
