import express, { type Request, type RequestHandler, type Router } from 'express';
import {
  authorizePlace,
  declarePlaceSettingsRoutes,
  type PlaceLookup,
} from '../../http/place-settings-routes';
import { declareRoutes } from '../../http/route-registry';
import { WecomCryptoError } from '../../integrations/wecom/callback-crypto';
import { parseXml, XmlFormatError } from '../../integrations/wecom/xml';
import { NotFoundError, UserError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { currentPrincipal } from '../auth';
import type { WecomApps } from './apps';
import type { WecomContacts } from './contacts';
import type { WecomDeliveryDoc, WecomModels } from './wecom.model';
import {
  appBody,
  appParams,
  appView,
  callbackQuery,
  deliveriesQuery,
  deliveryList,
} from './wecom.schema';

/** What the router needs. */
export interface WecomRouterDeps {
  apps: WecomApps;
  contacts: WecomContacts;
  m: Pick<WecomModels, 'deliveries'>;
  /** The place (city, county) of a school or county, for authorization of settings. */
  placeOf: PlaceLookup;
  requireSession: RequestHandler;
  logger: Logger;
}

/**
 * /api/wecom: a school's or county's WeCom app (secrets go in, never out), its recorded
 * deliveries, and WeCom's callbacks to the app (public; verified by msg_signature and
 * decrypted with the app's EncodingAESKey).
 */
export function createWecomRouter(deps: WecomRouterDeps): Router {
  const r = express.Router();
  // callbacks are XML, read raw (the JSON parser leaves them alone)
  r.use('/callback', express.raw({ type: () => true, limit: '64kb' }));
  const api = declareRoutes(r, { tag: 'wecom', requireSession: deps.requireSession });

  declarePlaceSettingsRoutes(api, {
    path: '/apps/:level/:placeId',
    subject: 'WecomApp',
    params: appParams,
    body: appBody,
    view: appView,
    summaries: {
      get: "A school's or county's WeCom app (no secrets)",
      put: "Enter a school's or county's WeCom app: CorpID, AgentId, Secret, callback Token and EncodingAESKey (sealed at rest, never shown)",
    },
    placeOf: deps.placeOf,
    store: deps.apps,
  });

  api.get(
    '/apps/:level/:placeId/deliveries',
    {
      summary: "The app's WeCom deliveries, newest first: one per recipient, with the outcome",
      params: appParams,
      query: deliveriesQuery,
      responses: { 200: { description: 'Deliveries', schema: deliveryList } },
      errors: [404],
    },
    async ({ params, query }, _req, res) => {
      const p = currentPrincipal(res);
      await authorizePlace(deps.placeOf, p, 'read', 'WecomApp', params.level, params.placeId);
      const rows = await deps.m.deliveries
        .find({ appId: `wecom:${params.level}:${params.placeId}` })
        .sort({ at: -1 })
        .limit(query.limit)
        .lean<WecomDeliveryDoc[]>();
      res.json(
        rows.map((d) => ({
          id: d._id,
          notificationId: d.notificationId,
          userId: d.userId,
          kind: d.kind,
          outcome: d.outcome,
          ...(d.errcode !== undefined ? { errcode: d.errcode } : {}),
          attempts: d.attempts,
          queuedAt: d.queuedAt.toISOString(),
          at: d.at.toISOString(),
        })),
      );
    },
  );

  api.get(
    '/callback/:level/:placeId',
    {
      summary: "WeCom's URL verification of the app's callback URL (answers the decrypted echostr)",
      auth: 'public',
      params: appParams,
      query: callbackQuery,
      responses: { 200: { description: 'The echo', contentType: 'text/plain' } },
      errors: [401, 404],
    },
    async ({ params, query }, _req, res) => {
      const app = await callbackApp(deps, params.level, params.placeId);
      if (!query.echostr) throw new UserError(400, 'ECHOSTR_MISSING', 'error.validation');
      try {
        const echo = app.crypto.verifyUrl({
          msgSignature: query.msg_signature,
          timestamp: query.timestamp,
          nonce: query.nonce,
          echostr: query.echostr,
        });
        res.type('text/plain').send(echo);
      } catch (err) {
        throw refused(deps, app.doc._id, err);
      }
    },
  );

  api.post(
    '/callback/:level/:placeId',
    {
      summary:
        "WeCom's events to the app (school contact changes update guardians; repeats ignored)",
      auth: 'public',
      params: appParams,
      query: callbackQuery,
      responses: { 200: { description: 'Received', contentType: 'text/plain' } },
      errors: [401, 404],
    },
    async ({ params, query }, req, res) => {
      const app = await callbackApp(deps, params.level, params.placeId);
      let plain: string;
      try {
        plain = app.crypto.decryptMessage(
          { msgSignature: query.msg_signature, timestamp: query.timestamp, nonce: query.nonce },
          rawBodyOf(req),
        );
      } catch (err) {
        throw refused(deps, app.doc._id, err);
      }
      let xml;
      try {
        xml = parseXml(plain);
      } catch (err) {
        if (err instanceof XmlFormatError) throw refused(deps, app.doc._id, err);
        throw err;
      }
      // an answer other than 200 makes WeCom post the event again (up to 3 times)
      await deps.contacts.handle({ ...app, crypto: app.crypto }, xml);
      res.type('text/plain').send('success');
    },
  );

  return r;
}

// helpers //////////

async function callbackApp(deps: WecomRouterDeps, level: 'school' | 'county', placeId: string) {
  const app = await deps.apps.byPlace(level, placeId);
  if (!app?.crypto) throw new NotFoundError();
  return { ...app, crypto: app.crypto };
}

function refused(deps: WecomRouterDeps, appId: string, err: unknown): Error {
  if (err instanceof WecomCryptoError || err instanceof XmlFormatError) {
    deps.logger.warn({ appId, why: err.message }, 'WeCom callback refused');
    return new UserError(401, 'CALLBACK_SIGNATURE_INVALID', 'wecom.callback_refused');
  }
  return err as Error;
}

function rawBodyOf(req: Request): string {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  if (raw) return raw.toString('utf8');
  if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
  return typeof req.body === 'string' ? req.body : '';
}
