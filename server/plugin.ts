import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { version } from '../package.json';
import type { Database } from './db/connection';
import { serveOpenApi } from './http/openapi';
import { notFoundHandler, problemHandler } from './http/problem';
import { maskText, type Logger } from './lib/logger';
import { t } from './lib/i18n';
import { TransientError } from './lib/errors';

/** What the plugin needs from its host. */
export interface PluginDeps {
  db: Database;
  logger: Logger;
  /** Maximum JSON body, e.g. "1mb". */
  bodyLimit?: string;
  /** Routers mounted before the 404 handler (modules, the /v2 API), each under its path. */
  mounts?: { path: string; router: Router }[];
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * Builds the product as an Express router that a host app mounts under any prefix. It brings
 * its own security headers, request ids, logging, body limits and problem+json errors.
 */
export function createPlugin(deps: PluginDeps): Router {
  const router = express.Router();
  router.use(helmet());
  router.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: maskText(req.url ?? ''),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (req, res, err) =>
        err || res.statusCode >= 500
          ? 'error'
          : res.statusCode >= 400
            ? 'warn'
            : isRoutine((req as { originalUrl?: string }).originalUrl ?? req.url)
              ? 'debug'
              : 'info',
    }),
  );
  router.use(
    express.json({
      limit: deps.bodyLimit ?? '1mb',
      // signed callbacks (WeChat Pay) are verified over the exact bytes received
      verify: (req, _res, buf) => {
        (req as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );

  router.get('/health', (_req, res) => {
    res.json({
      status: 'UP',
      message: t('health.ok'),
      uptimeSeconds: Math.round(process.uptime()),
    });
  });

  router.get('/ready', async (_req, res) => {
    const started = Date.now();
    if (!(await deps.db.ping()))
      throw new TransientError('DATABASE_UNAVAILABLE', 'error.db_unavailable');
    res.json({
      status: 'READY',
      message: t('ready.ok'),
      database: { status: 'UP', latencyMs: Date.now() - started },
    });
  });

  serveOpenApi(router, version);
  for (const m of deps.mounts ?? []) router.use(m.path, m.router);

  router.use(notFoundHandler);
  router.use(problemHandler(deps.logger));
  return router;
}

/**
 * Requests that succeed many times a minute by design (job workers' long polls, probes): at
 * debug level, so the info log shows what people and integrations did.
 */
function isRoutine(url: string | undefined): boolean {
  // the full path (Express strips a router's mount path from `req.url` while routing, and the
  // level is decided when the response ends), without the query, under any mount prefix
  const path = (url ?? '').split('?')[0]!;
  return ['/v2/jobs/activation', '/health', '/ready'].some((p) => path.endsWith(p));
}
