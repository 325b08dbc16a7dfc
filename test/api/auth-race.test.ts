import request from 'supertest';
import { type IdentityHarness, signIn, startIdentityHarness } from '../fixtures/identity';

/**
 * A password change while the same account signs in elsewhere or someone types a wrong
 * password for it. Every sign-in wrote the user document (failure count, lock, last sign-in),
 * and FerretDB 1.24 rewrites a whole document on update apart from its filter, so such a write
 * landing with the password change could put the old password back (and the old sessions with
 * it) — regression.
 */
describe('sign-in: a password change while the account signs in elsewhere', () => {
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await startIdentityHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  const login = (phone: string, password: string) =>
    request(h.app).post('/api/auth/login').send({ phone, password });

  it('should keep the new password whatever sign-ins land at the same time', async () => {
    for (let round = 0; round < 12; round++) {
      // given a signed-in user
      const user = await h.createUser();
      const client = await signIn(h.app, { phone: user.phone!, password: user.password });
      const newPassword = `Neues-Passwort-${round}a`;

      // when they change their password while a wrong password is tried twice for the account
      // and another device signs in with the old one
      const [changed] = await Promise.all([
        client.post('/api/auth/password', { oldPassword: user.password, newPassword }),
        login(user.phone!, 'Falsch-12345'),
        login(user.phone!, 'Falsch-67890'),
        login(user.phone!, user.password),
      ]);

      // then the new password holds and the old one no longer opens the account
      expect(changed.status).toBe(200);
      expect((await login(user.phone!, newPassword)).status).toBe(200);
      expect((await login(user.phone!, user.password)).status).toBe(401);
    }
  });
});
