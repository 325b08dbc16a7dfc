import path from 'node:path';
import { z } from 'zod';

/**
 * Typed configuration from the environment, validated at boot. One documented default per
 * key; a bad value stops the boot with one line per bad key.
 */
const baseSchema = z.object({
  /** HTTP port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface to bind. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** MongoDB or FerretDB URI; when unset the embedded FerretDB is built and started. */
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  /** Where the embedded database keeps its files. */
  DATA_DIR: z.string().min(1).default('./data'),
  /**
   * With MONGODB_URI pointing at a FerretDB on SQLite on this machine: its data folder, so the
   * server adds the `_id` indexes FerretDB 1.24 lacks (docs/adr/0003).
   */
  FERRETDB_SQLITE_DIR: z.string().min(1).optional(),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Runtime mode; production demands real secrets. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Signs session cookies; at least 32 characters. Required in production. */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Encrypts merchant keys and app secrets at rest (32 bytes, base64). Required in production. */
  DATA_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  /** Service account for the /v2 API (job workers), ensured at start when both are set. */
  KEHOU_SERVICE_USER: z.string().min(1).optional(),
  KEHOU_SERVICE_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  /** `in-process`: `npm start` runs the job workers too; `off`: they run elsewhere (`npm run workers`). */
  KEHOU_WORKERS: z.enum(['in-process', 'off']).default('in-process'),
  /**
   * This server's public base URL (https://…, no trailing slash): where WeChat Pay and WeCom
   * call back and what links in messages point to. Default `http://HOST:PORT`.
   */
  PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, 'must be an http(s) URL without query')
    .optional(),
  /**
   * The deployment's WeChat Pay merchant (docs/integrations.md), used for schools whose
   * administrators entered none: all of MCH_ID, APP_ID, SERIAL_NO, PRIVATE_KEY_FILE and
   * API_V3_KEY, or none; PUBLIC_KEY_ID with PUBLIC_KEY_FILE in the public-key mode.
   */
  WECHATPAY_MCH_ID: z
    .string()
    .regex(/^\d{8,12}$/, 'must be the 商户号 (digits)')
    .optional(),
  WECHATPAY_APP_ID: z.string().min(1).optional(),
  WECHATPAY_SERIAL_NO: z.string().min(1).optional(),
  WECHATPAY_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  WECHATPAY_API_V3_KEY: z.string().length(32, 'must be the 32-character APIv3 key').optional(),
  WECHATPAY_PUBLIC_KEY_ID: z.string().min(1).optional(),
  WECHATPAY_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  /** WeCom's API base URL (default https://qyapi.weixin.qq.com; a proxy or contract server). */
  WECOM_BASE_URL: z.string().url().optional(),
  /** WeChat Pay's API base URL (default the production API; a contract server in tests). */
  WECHATPAY_BASE_URL: z.string().url().optional(),
  /** Milliseconds allowed for in-flight requests to finish on shutdown. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** Maximum JSON request body. */
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 1mb or 512kb')
    .default('1mb'),
});

const MERCHANT_KEYS = [
  'WECHATPAY_MCH_ID',
  'WECHATPAY_APP_ID',
  'WECHATPAY_SERIAL_NO',
  'WECHATPAY_PRIVATE_KEY_FILE',
  'WECHATPAY_API_V3_KEY',
] as const;

const envSchema = baseSchema.superRefine((env, ctx) => {
  const given = MERCHANT_KEYS.filter((k) => env[k]);
  if (given.length > 0 && given.length < MERCHANT_KEYS.length)
    for (const key of MERCHANT_KEYS.filter((k) => !env[k]))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'is required with the other WECHATPAY_ keys',
      });
  if (Boolean(env.WECHATPAY_PUBLIC_KEY_ID) !== Boolean(env.WECHATPAY_PUBLIC_KEY_FILE))
    ctx.addIssue({
      code: 'custom',
      path: [env.WECHATPAY_PUBLIC_KEY_ID ? 'WECHATPAY_PUBLIC_KEY_FILE' : 'WECHATPAY_PUBLIC_KEY_ID'],
      message: 'WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY_FILE go together',
    });
  if (env.NODE_ENV !== 'production') return;
  for (const key of ['SESSION_SECRET', 'DATA_ENCRYPTION_KEY'] as const) {
    if (!env[key])
      ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production' });
  }
});

/** The validated configuration the rest of the server reads. */
export type Config = z.infer<typeof envSchema> & { dataDir: string };

/** Raised when the environment is invalid; `lines` holds one message per bad key. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(`invalid configuration:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment. Throws ConfigError listing every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(baseSchema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const byKey = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? 'env');
      if (!byKey.has(key)) byKey.set(key, `${key}: ${issue.message}`);
    }
    throw new ConfigError([...byKey.values()]);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}
