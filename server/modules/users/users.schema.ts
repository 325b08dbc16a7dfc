import { z } from 'zod';
import { t } from '../../lib/i18n';

/** A mainland mobile number, 11 digits starting with 1. */
export const phoneSchema = z.string().regex(/^1\d{10}$/, { error: () => t('validation.phone') });

/** A username: 3–32 letters, digits, `.`, `_` or `-`, starting with a letter; case-insensitive. */
export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z][\w.-]{2,31}$/, { error: () => t('validation.username') })
  .transform((s) => s.toLowerCase());

/** An id of ours: never contains `:`, so it can stand inside a group name. */
export const idSchema = z.string().regex(/^[\w.-]{1,64}$/, { error: () => t('validation.id') });
