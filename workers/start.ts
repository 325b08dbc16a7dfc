import { createCamundaClientLoose } from '@camunda8/orchestration-cluster-api';
import type { Logger } from '../server/lib/logger';
import { KehouApi } from './api-client';
import { WORKERS } from './index';
import { startWorkers, type RunningWorkers } from './runtime';

/** Where the workers connect and as whom. */
export interface WorkerConnection {
  /** The Kehou Flow server (its /v2 for jobs, its /api for domain data) or a Camunda 8 gateway. */
  url: string;
  /** A service account (a user of kind `service` holding the `worker` role). */
  username: string;
  password: string;
  /** The domain API's URL when jobs come from elsewhere (a Camunda 8 cluster); default `url`. */
  apiUrl?: string;
}

/**
 * Starts every worker of {@link WORKERS} with Camunda's official client: the same code runs
 * in-process (`npm start`), as its own process (`npm run workers`), or against a Camunda 8
 * cluster.
 */
export function startAllWorkers(conn: WorkerConnection, log: Logger): RunningWorkers {
  const client = createCamundaClientLoose({
    config: {
      CAMUNDA_REST_ADDRESS: conn.url,
      CAMUNDA_AUTH_STRATEGY: 'BASIC',
      CAMUNDA_BASIC_AUTH_USERNAME: conn.username,
      CAMUNDA_BASIC_AUTH_PASSWORD: conn.password,
      CAMUNDA_SDK_LOG_LEVEL: 'silent',
    },
    env: {},
  });
  const api = new KehouApi({
    baseUrl: conn.apiUrl ?? conn.url,
    username: conn.username,
    password: conn.password,
  });
  const running = startWorkers(WORKERS, { client, api, log });
  log.info({ jobTypes: WORKERS.map((w) => w.type) }, 'job workers started');
  return running;
}
