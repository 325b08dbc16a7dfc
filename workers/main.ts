import { z } from 'zod';
import { createLogger } from '../server/lib/logger';
import { startAllWorkers } from './start';

/**
 * `npm run workers`: the job workers as their own process, e.g. on another machine.
 * KEHOU_URL is the server; KEHOU_WORKER_USER / KEHOU_WORKER_PASSWORD a service account.
 */
const env = z
  .object({
    KEHOU_URL: z.url().default('http://127.0.0.1:3000'),
    KEHOU_API_URL: z.url().optional(),
    KEHOU_WORKER_USER: z.string().min(1),
    KEHOU_WORKER_PASSWORD: z.string().min(1),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  })
  .safeParse(process.env);
if (!env.success) {
  for (const i of env.error.issues)
    console.error(`config error: ${i.path.join('.')}: ${i.message}`);
  process.exit(1);
}
const log = createLogger(env.data.LOG_LEVEL);
const running = startAllWorkers(
  {
    url: env.data.KEHOU_URL,
    apiUrl: env.data.KEHOU_API_URL,
    username: env.data.KEHOU_WORKER_USER,
    password: env.data.KEHOU_WORKER_PASSWORD,
  },
  log,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.stop().then(() => process.exit(0));
  });
}
