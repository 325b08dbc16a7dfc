import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import {
  connectDatabase,
  DatabaseUnavailableError,
  redactUri,
  type Database,
} from './db/connection';
import { DatabaseSetupError, startFerretdb, type EmbeddedDatabase } from './db/ferretdb';
import { ServiceAccounts } from './engine/api/accounts';
import { createV2Router } from './engine/api/v2.router';
import { createWebRouter } from './http/static';
import { Engine } from './engine/engine';
import { createLogger, type Logger } from './lib/logger';
import { createAudit } from './modules/audit';
import { createMemberships } from './modules/users';
import { createAuth, sessionSecret } from './modules/auth';
import { createCatalog, loadCityTemplates, type TemplateDirs } from './modules/catalog';
import { seedDemoIfEmpty } from './modules/demo/demo.service';
import { type DemoLifeReport, seedDemoLife } from './modules/demo/demo.life';
import { createMonitor } from './modules/monitor';
import { createOrg } from './modules/org';
import { createEnrolment } from './modules/enrolment';
import { createForms } from './modules/forms';
import { enrolmentEnginePort } from './modules/enrolment/engine-port';
import { createNotifications } from './modules/notifications';
import { composePayments } from './modules/payments/compose';
import { dataEncryptionBox } from './integrations/data-key';
import { createWecom } from './modules/wecom';
import { merchantFromConfig } from './integrations/wechatpay/config';
import { billingEnginePort, createBilling } from './modules/billing';
import { createClaims } from './modules/claims';
import { createSafety, processPort } from './modules/safety';
import { createStaff } from './modules/staff';
import { createParameters } from './modules/parameters';
import { createPlans, plansEnginePort } from './modules/plans';
import { createSurveys } from './modules/surveys';
import { createDashboard } from './modules/dashboard';
import { orgModels } from './modules/org/org.model';
import { createInboxIndex, createTasks } from './modules/tasks';
import { ensureInProcessWorkerAccount } from './modules/users/worker-account';
import { startAllWorkers } from '../workers/start';
import type { RunningWorkers } from '../workers/runtime';

/** The city's templates shipped with the product: `processes/` and `forms/` (DESIGN.md). */
export const TEMPLATE_DIRS: TemplateDirs = {
  processes: path.resolve(__dirname, '..', 'processes'),
  forms: path.resolve(__dirname, '..', 'forms'),
};

/** A running server: its address and how to stop it. */
export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  engine: Engine;
  logger: Logger;
  /** The Express app (its router stack is what the OpenAPI test walks). */
  app: Express;
  /**
   * The demo school's life being driven through the services (development with in-process
   * workers only; demo.life.ts); resolves with what it did, or with no steps if it gave up.
   */
  demoLife?: Promise<DemoLifeReport>;
  /** Graceful stop: stop accepting, finish in-flight requests (bounded), close the database. */
  stop(): Promise<void>;
}

/** The configured port is taken; the message says what to do. */
export class PortInUseError extends Error {
  constructor(host: string, port: number) {
    super(
      `port ${port} on ${host} is already in use (is Kehou Flow already running?): stop that process or set PORT to another port`,
    );
    this.name = 'PortInUseError';
  }
}

function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** Throws {@link PortInUseError} when `port` (not 0) cannot be bound on `host`. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) =>
      reject(isAddressInUse(err) ? new PortInUseError(host, port) : err),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * The composition root: config → database (embedded FerretDB unless MONGODB_URI) → HTTP.
 * Returns once the server listens.
 */
export async function startServer(
  config: Config,
  logger: Logger = createLogger(config.LOG_LEVEL),
  options: { templateDirs?: TemplateDirs } = {},
): Promise<RunningServer> {
  // before anything starts: a taken port would otherwise surface only after the database,
  // the engine and the templates had started
  await assertPortFree(config.HOST, config.PORT);
  let embedded: EmbeddedDatabase | undefined;
  let uri = config.MONGODB_URI;
  if (!uri) {
    embedded = await startFerretdb({
      dataDir: path.join(config.dataDir, 'ferretdb'),
      log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    });
    uri = `${embedded.uri}kehou`;
  }
  let db: Database;
  try {
    db = await connectDatabase(uri, { sqliteDir: embedded?.dataDir ?? config.FERRETDB_SQLITE_DIR });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  logger.info({ database: redactUri(uri), embedded: Boolean(embedded) }, 'database connected');

  const engine = new Engine(db, { logger });
  // before the engine starts, so that the inbox's index sees every task it creates
  const inboxIndex = await createInboxIndex({ db, engine });
  await engine.start();
  const accounts = new ServiceAccounts(engine.collections);
  if (config.KEHOU_SERVICE_USER && config.KEHOU_SERVICE_PASSWORD) {
    await accounts.ensure(config.KEHOU_SERVICE_USER, config.KEHOU_SERVICE_PASSWORD);
  }
  if (config.NODE_ENV === 'development') await seedDemoIfEmpty(db, logger);
  const auth = await createAuth({
    db,
    logger,
    secureCookies: config.NODE_ENV === 'production',
    settings: { secret: sessionSecret(config) },
  });
  const org = await createOrg({ db, requireSession: auth.requireSession });
  const tasks = await createTasks({
    db,
    engine,
    requireSession: auth.requireSession,
    index: inboxIndex,
  });
  const monitor = createMonitor({ db, engine, requireSession: auth.requireSession });
  const audit = await createAudit({ db, requireSession: auth.requireSession });
  const memberships = await createMemberships({
    db,
    users: auth.service.users,
    audit: audit.log,
    requireSession: auth.requireSession,
  });
  const catalog = await createCatalog({
    db,
    engine,
    audit: audit.log,
    logger,
    requireSession: auth.requireSession,
  });
  const forms = createForms({ core: catalog.core, logger, requireSession: auth.requireSession });
  await loadCityTemplates(options.templateDirs ?? TEMPLATE_DIRS, catalog, forms.service, logger);
  const enrolment = await createEnrolment({
    db,
    engine: enrolmentEnginePort(
      engine,
      async (id, schoolId) =>
        (await catalog.service.resolveForSchool(id, schoolId)).processDefinitionKey,
    ),
    requireSession: auth.requireSession,
  });
  const notifications = await createNotifications({ db, requireSession: auth.requireSession });
  const billing = await createBilling({
    db,
    engine: billingEnginePort(engine),
    requireSession: auth.requireSession,
  });
  const payments = await composePayments({
    db,
    billing: billing.service,
    notifications: notifications.service,
    requireSession: auth.requireSession,
    logger,
    merchant: merchantFromConfig(config),
    box: dataEncryptionBox(config),
    publicUrl: config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`,
    ...(config.WECHATPAY_BASE_URL ? { client: { baseUrl: config.WECHATPAY_BASE_URL } } : {}),
    // each discrepancy's inbox task runs on the school's resolved payment-discrepancy process
    engine,
    resolveProcess: async (id, schoolId) =>
      (await catalog.service.resolveForSchool(id, schoolId)).processDefinitionKey,
  });
  // every notification to a person with a linked WeCom identity goes out through WeCom too
  const wecom = await createWecom({
    db,
    auth,
    notifications: notifications.service,
    logger,
    box: dataEncryptionBox(config),
    publicUrl: config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`,
    stateSecret: sessionSecret(config),
    secureCookies: config.NODE_ENV === 'production',
    ...(config.WECOM_BASE_URL ? { client: { baseUrl: config.WECOM_BASE_URL } } : {}),
    drainEveryMs: 5_000,
  });
  // incidents, claims and staff registrations start on the school's resolved process
  const schoolProcesses = processPort(
    engine,
    async (id, schoolId) =>
      (await catalog.service.resolveForSchool(id, schoolId)).processDefinitionKey,
  );
  const safety = await createSafety({
    db,
    engine: schoolProcesses,
    requireSession: auth.requireSession,
  });
  const claims = await createClaims({
    db,
    engine: schoolProcesses,
    requireSession: auth.requireSession,
  });
  const staff = await createStaff({
    db,
    engine: schoolProcesses,
    attendance: safety.attendance,
    requireSession: auth.requireSession,
    audit: audit.log,
  });
  const parameters = await createParameters({
    db,
    audit: audit.log,
    requireSession: auth.requireSession,
  });
  const plans = await createPlans({
    db,
    engine: plansEnginePort(
      engine,
      async (id, schoolId) =>
        (await catalog.service.resolveForSchool(id, schoolId)).processDefinitionKey,
    ),
    parameters: parameters.service,
    requireSession: auth.requireSession,
  });
  const dashboard = await createDashboard({ db, requireSession: auth.requireSession });
  const surveys = await createSurveys({ db, requireSession: auth.requireSession });
  const app = createApp({
    db,
    logger,
    bodyLimit: config.BODY_LIMIT,
    mounts: [
      { path: '/api/auth', router: auth.router },
      { path: '/api/org', router: org.router },
      { path: '/api/tasks', router: tasks.router },
      { path: '/api/monitor', router: monitor.router },
      { path: '/api/catalog/processes', router: catalog.router },
      { path: '/api/catalog/forms', router: forms.router },
      { path: '/api/audit', router: audit.router },
      { path: '/api/users', router: memberships.router },
      { path: '/api/enrolment', router: enrolment.router },
      { path: '/api/notifications', router: notifications.router },
      { path: '/api/billing', router: billing.router },
      { path: '/api/payments', router: payments.router },
      { path: '/api/wecom', router: wecom.router },
      { path: '/api/auth/wecom', router: wecom.oauthRouter },
      { path: '/api/safety', router: safety.router },
      { path: '/api/claims', router: claims.router },
      { path: '/api/staff', router: staff.router },
      { path: '/api/parameters', router: parameters.router },
      { path: '/api/plans', router: plans.router },
      { path: '/api/surveys', router: surveys.router },
      { path: '/api/dashboard', router: dashboard.router },
      {
        path: '/v2',
        router: createV2Router({ engine, accounts, sessionPrincipal: auth.v2SessionPrincipal }),
      },
      // the browser app (web/dist) at `/`, last so that it never shadows an API route
      { path: '/', router: createWebRouter() },
    ],
  });
  const server = http.createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => resolve());
    });
  } catch (err) {
    // taken between the check and now: stop what started, then say it like the check does
    await engine.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    await embedded?.stop();
    throw isAddressInUse(err) ? new PortInUseError(config.HOST, config.PORT) : err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;

  let workers: RunningWorkers | undefined;
  if (config.KEHOU_WORKERS === 'in-process') {
    const cities = await orgModels(db.connection).cities.find({}, { _id: 1 }).lean();
    const account = await ensureInProcessWorkerAccount(
      auth.service.users,
      cities.map((c) => c._id),
    );
    if (account) {
      const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
      workers = startAllWorkers({ url: `http://${host}:${port}`, ...account }, logger);
    } else logger.warn('no city in the database yet: in-process job workers not started');
  }
  // the last line of a start: scripts and tests wait for it before signalling the process
  logger.info({ port }, `Kehou Flow listening on http://${config.HOST}:${port}`);

  let stopping: Promise<void> | undefined;
  // the demo school in motion (applications in every state, bills, an incident, a survey),
  // driven through the services and the workers in the background; idempotent
  const demoLife =
    config.NODE_ENV === 'development' && workers
      ? seedDemoLife({
          db,
          engine,
          enrolment: enrolment.service,
          tasks: tasks.service,
          billing: billing.service,
          incidents: safety.incidents,
          surveys: surveys.service,
          staff: staff.service,
          logger,
          isStopping: () => stopping !== undefined,
        }).then(
          (report) => {
            if (report.steps.length)
              logger.info({ steps: report.steps }, 'the demo school is in motion');
            return report;
          },
          (err: unknown) => {
            logger.warn({ err }, 'the demo life seed gave up');
            return { steps: [] };
          },
        )
      : undefined;
  return {
    url: `http://${config.HOST}:${port}`,
    port,
    db,
    engine,
    logger,
    app,
    ...(demoLife ? { demoLife } : {}),
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // it gives up at its next wait; then nothing it started is cut off by the stop
        await demoLife;
        payments.schedule?.stop();
        await wecom.stop();
        await workers
          ?.stop()
          .catch((err: unknown) => logger.warn({ err }, 'stopping the workers failed'));
        // releases long-polling job activations so their connections can finish
        await engine
          .stop()
          .catch((err: unknown) => logger.warn({ err }, 'stopping the engine failed'));
        const grace = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
        await closed;
        clearTimeout(grace);
        await db
          .close()
          .catch((err: unknown) => logger.warn({ err }, 'closing the database failed'));
        await embedded?.stop();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) console.error(`config error: ${line}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (err) {
    if (
      err instanceof DatabaseUnavailableError ||
      err instanceof DatabaseSetupError ||
      err instanceof PortInUseError
    ) {
      console.error(`cannot start: ${err.message.split('\n')[0]}`);
      process.exit(1);
    }
    throw err;
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; stopping');
    // The embedded FerretDB also receives SIGTERM from the kernel when this process dies.
    running.stop().finally(() => process.exit(1));
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
