import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../auth/password';
import type { UserService } from './users.service';

/** The service account the in-process job workers of `npm start` act as. */
export const IN_PROCESS_WORKER = 'kehou-inprocess-worker';

/**
 * Ensures the in-process workers' service account (kind `service`, role `worker` in each
 * city) with a fresh random password, valid until the next start: nobody needs to know it,
 * and a leaked one dies with the process. Undefined when there is no city yet.
 */
export async function ensureInProcessWorkerAccount(
  users: UserService,
  cityIds: readonly string[],
): Promise<{ username: string; password: string } | undefined> {
  if (cityIds.length === 0) return undefined;
  const password = randomBytes(24).toString('base64url');
  const existing = await users.findByLogin({ username: IN_PROCESS_WORKER });
  if (existing) await users.setPasswordHash(existing, await hashPassword(password));
  else
    await users.create({
      kind: 'service',
      username: IN_PROCESS_WORKER,
      displayName: '内置任务处理程序',
      password,
      memberships: cityIds.map((cityId) => ({ role: 'worker' as const, scope: { cityId } })),
    });
  return { username: IN_PROCESS_WORKER, password };
}
