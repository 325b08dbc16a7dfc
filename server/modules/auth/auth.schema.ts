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

// responses //////////

/** Who is signed in: `GET /api/auth/me` and a successful sign-in. */
export const whoAmIResponse = z.object({
  user: z.object({
    id: z.string(),
    kind: z.enum(['staff', 'parent', 'service']),
    username: z.string().nullable(),
    phone: z.string().nullable(),
    displayName: z.string(),
  }),
  roles: z.array(z.string()),
  memberships: z.array(
    z.object({
      role: z.string(),
      roleName: z.string().describe('zh-CN'),
      scope: z.object({
        cityId: z.string(),
        countyId: z.string().optional(),
        schoolId: z.string().optional(),
        gradeId: z.string().optional(),
        classId: z.string().optional(),
      }),
      group: z.string().nullable().describe('the candidate group the membership gives'),
    }),
  ),
  groups: z.array(z.string()),
  csrfToken: z.string().describe('send it as x-csrf-token on state-changing requests'),
});

/** A successful sign-in: who is signed in, and a zh-CN message. */
export const loginResponse = whoAmIResponse.extend({ message: z.string() });

/** `GET /api/auth/csrf`. */
export const csrfResponse = z.object({ csrfToken: z.string() });

/** A changed password: the new session's CSRF token. */
export const passwordChangedResponse = z.object({ message: z.string(), csrfToken: z.string() });
