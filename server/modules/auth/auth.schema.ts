import { z } from 'zod';
import { isStrongPassword, MAX_PASSWORD_LENGTH } from '../../auth/password';
import { t } from '../../lib/i18n';
import { phoneSchema, usernameSchema } from '../users/users.schema';

const password = z.string().min(1).max(MAX_PASSWORD_LENGTH);

/** POST /api/auth/login: a phone number or a username, and the password. */
export const loginBody = z
  .strictObject({
    phone: phoneSchema.optional(),
    username: usernameSchema.optional(),
    password,
  })
  .refine((b) => (b.phone === undefined) !== (b.username === undefined), {
    error: () => t('auth.login_identifier'),
    path: ['phone'],
  });

/** POST /api/auth/password: the current password and a new one that meets the policy. */
export const changePasswordBody = z
  .strictObject({
    oldPassword: password,
    newPassword: z.string().refine(isStrongPassword, { error: () => t('auth.password_policy') }),
  })
  .refine((b) => b.oldPassword !== b.newPassword, {
    error: () => t('auth.password_same'),
    path: ['newPassword'],
  });

export type LoginBody = z.infer<typeof loginBody>;
export type ChangePasswordBody = z.infer<typeof changePasswordBody>;
