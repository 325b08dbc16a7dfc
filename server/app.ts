import express, { type Express } from 'express';
import { createPlugin, type PluginDeps } from './plugin';

/** Builds the stand-alone Express app (the plugin mounted at the root) without listening. */
export function createApp(deps: PluginDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(createPlugin(deps));
  return app;
}
