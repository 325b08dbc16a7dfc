import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { SecretBox } from '../../integrations/secret-box';
import type { WecomClientOptions } from '../../integrations/wecom/client';
import type { Logger } from '../../lib/logger';
import type { Auth } from '../auth';
import type { NotificationService } from '../notifications/notifications.service';
import { orgModels } from '../org/org.model';
import { userModels } from '../users/users.model';
import { WecomApps } from './apps';
import { WecomContacts } from './contacts';
import { WecomDelivery } from './delivery';
import { createWecomOAuthRouter } from './oauth.router';
import { WECOM_COLLECTIONS, wecomModels } from './wecom.model';
import { createWecomRouter } from './wecom.router';

export { WecomApps } from './apps';
export { WecomDelivery, PERSON_LIMITS, type DrainResult } from './delivery';
export { WECOM_STATE_COOKIE } from './oauth.router';

/** How the WeCom slice is assembled (server/main.ts). */
export interface WecomDeps {
  db: Database;
  auth: Pick<Auth, 'requireSession' | 'signInVerified' | 'resolvePrincipal' | 'service'>;
  /** In-app notifications: each one to a user with a WeCom identity is queued for WeCom. */
  notifications: Pick<NotificationService, 'observe'>;
  logger: Logger;
  /** Seals app secrets administrators enter (DATA_ENCRYPTION_KEY). */
  box?: SecretBox;
  /** This server's public base URL: callbacks, links in messages, the sign-in's redirect. */
  publicUrl: string;
  /** Signs the sign-in's state (SESSION_SECRET). */
  stateSecret: string;
  secureCookies?: boolean;
  client?: WecomClientOptions;
  /** Drain the queue this often in this process (ms); off when absent. */
  drainEveryMs?: number;
  /** The delivery's clock (tests move it). */
  now?: () => Date;
}

/** The assembled slice. */
export interface Wecom {
  /** Mounted at /api/wecom. */
  router: Router;
  /** Mounted at /api/auth/wecom (before /api/auth). */
  oauthRouter: Router;
  apps: WecomApps;
  delivery: WecomDelivery;
  stop(): Promise<void>;
}

/** Creates the WeCom slice: its collections, apps, delivery queue, callbacks and sign-in. */
export async function createWecom(deps: WecomDeps): Promise<Wecom> {
  await deps.db.ensureCollections(Object.values(WECOM_COLLECTIONS));
  const m = wecomModels(deps.db.connection);
  const org = orgModels(deps.db.connection);
  const apps = new WecomApps(m, {
    box: deps.box,
    publicUrl: deps.publicUrl,
    client: deps.client,
  });
  const delivery = new WecomDelivery(m, userModels(deps.db.connection), apps, {
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  // a failure to queue fails the notify job, whose retry queues again (idempotent); an app that
  // cannot be opened is logged and skipped inside enqueue, the in-app notification stays
  deps.notifications.observe((n) => delivery.enqueue(n));
  const contacts = new WecomContacts(m, deps.auth.service.users, org, deps.logger);
  const requireSession: RequestHandler = deps.auth.requireSession;
  const router = createWecomRouter({
    apps,
    contacts,
    m,
    requireSession,
    logger: deps.logger,
    async placeOf(level, placeId) {
      if (level === 'school') {
        const s = await org.schools.findById(placeId).lean();
        return s ? { cityId: s.cityId, countyId: s.countyId } : undefined;
      }
      const c = await org.counties.findById(placeId).lean();
      return c ? { cityId: c.cityId, countyId: c._id } : undefined;
    },
  });
  const oauthRouter = createWecomOAuthRouter({
    apps,
    users: deps.auth.service.users,
    auth: deps.auth,
    stateSecret: deps.stateSecret,
    secureCookies: deps.secureCookies,
    logger: deps.logger,
  });
  if (deps.drainEveryMs) delivery.start(deps.drainEveryMs);
  return { router, oauthRouter, apps, delivery, stop: () => delivery.stop() };
}
