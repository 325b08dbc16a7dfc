import { z } from 'zod';
import { ValidationError } from '../lib/errors';
import { t } from '../lib/i18n';

/** zod's own zh-CN messages for issues our schemas do not word themselves. */
const zhCN = z.locales.zhCN().localeError;

/**
 * Parses request input with a zod schema; a failure becomes a ValidationError listing each
 * field path with a zh-CN message (problem+json `errors`).
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input ?? {}, { error: zhCN });
  if (r.success) return r.data;
  const fields = r.error.issues.map((i) => ({
    path: i.path.join('.') || '(body)',
    message: i.message,
  }));
  throw new ValidationError(
    fields,
    fields.map((f) => `${f.path}：${f.message}`).join('；') || t('error.validation'),
  );
}
