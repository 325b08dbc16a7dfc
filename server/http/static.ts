import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';

/** Where the browser app's build (`npm run build:web`) lands. */
export const WEB_DIST = path.resolve(__dirname, '..', '..', 'web', 'dist');

/** Paths the app never answers, so the server's own 404s and APIs stay what they are. */
const SERVER_PATHS = /^\/(api|v2|health|ready)(\/|$)/;

/** Paths that name a static file by its extension rather than a route of the app. */
const ASSET =
  /\.(js|mjs|css|map|json|txt|xml|ico|png|jpe?g|gif|svg|webp|woff2?|ttf|eot|webmanifest)$/i;

/** What a browser gets at `/` while the app has not been built. */
const NOT_BUILT = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>课后流程</title>
<p>网页应用尚未构建：请运行 <code>npm run build:web</code> 后刷新。</p></html>`;

/**
 * Serves the browser app (web/dist) at `/`: hashed assets cached for a year, and `index.html`
 * for every other GET that accepts HTML (client-side routes such as `/inbox/123`), never for
 * /api, /v2, /health or /ready.
 */
export function createWebRouter(dist: string = WEB_DIST): Router {
  const r = express.Router();
  r.use(
    '/assets',
    express.static(path.join(dist, 'assets'), {
      immutable: true,
      maxAge: '365d',
      fallthrough: true,
      index: false,
    }),
  );
  r.use(express.static(dist, { index: false, maxAge: 0 }));
  r.get(/.*/, (req, res, next) => {
    if (SERVER_PATHS.test(req.path) || !req.accepts('html')) return next();
    // a missing file (favicon.ico, a stale hashed asset) stays a 404; a route whose last segment
    // has a dot, such as /modeler/<id>/school.<schoolId>, is the app's
    if (ASSET.test(req.path)) return next();
    const index = path.join(dist, 'index.html');
    res.setHeader('cache-control', 'no-cache');
    if (!fs.existsSync(index)) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.type('html').sendFile(index);
  });
  return r;
}
