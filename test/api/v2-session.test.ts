import request from 'supertest';
import { ServiceAccounts } from '../../server/engine/api/accounts';
import { createV2Router } from '../../server/engine/api/v2.router';
import { Engine } from '../../server/engine/engine';
import { createAuth, CSRF_HEADER, type Auth } from '../../server/modules/auth';
import type { Express } from 'express';
import { buildUser } from '../fixtures/identity';
import { buildTestApp } from '../fixtures/app';

describe('sessions on the /v2 engine API', () => {
  let app: Express;
  let auth: Auth;
  let engine: Engine;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ app, close } = await buildTestApp({
      mounts: async (db, logger) => {
        engine = new Engine(db, { logger });
        await engine.start();
        auth = await createAuth({ db, logger, settings: { secret: 'x'.repeat(32) } });
        const accounts = new ServiceAccounts(engine.collections);
        return [
          { path: '/api/auth', router: auth.router },
          {
            path: '/v2',
            router: createV2Router({ engine, accounts, sessionPrincipal: auth.v2SessionPrincipal }),
          },
        ];
      },
    }));
  });

  afterAll(async () => {
    await engine.stop();
    await close();
  });

  async function signedIn(role: 'worker' | 'cityBureau' | 'principal') {
    const scope =
      role === 'principal'
        ? { cityId: 'city-1', countyId: 'county-1', schoolId: 'school-1' }
        : { cityId: 'city-1' };
    const input = buildUser({ memberships: [{ role, scope }] });
    await auth.service.users.create(input);
    const agent = request.agent(app);
    const res = await agent
      .post('/api/auth/login')
      .send({ phone: input.phone, password: input.password });
    return { agent, csrfToken: res.body.csrfToken as string };
  }

  it('should let a city-bureau or worker session in, with the CSRF token for POSTs', async () => {
    for (const role of ['cityBureau', 'worker'] as const) {
      // given
      const { agent, csrfToken } = await signedIn(role);

      // when
      const get = await agent.get('/v2/topology');
      const postWithout = await agent.post('/v2/process-instances/search').send({});
      const postWith = await agent
        .post('/v2/process-instances/search')
        .set(CSRF_HEADER, csrfToken)
        .send({});

      // then
      expect([role, get.status, postWithout.status, postWith.status]).toEqual([
        role,
        200,
        401,
        200,
      ]);
    }
  });

  it("should refuse a school principal's session: /v2 has no tenant filter", async () => {
    // given
    const { agent } = await signedIn('principal');

    // when
    const res = await agent.get('/v2/topology');

    // then
    expect(res.status).toBe(401);
  });

  describe('service accounts with HTTP Basic (job workers)', () => {
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    it('should let a service user in on /v2 and /api without a session or CSRF token', async () => {
      // given a worker service account of the organisation
      const input = buildUser({
        kind: 'service',
        memberships: [{ role: 'worker', scope: { cityId: 'city-1' } }],
      });
      await auth.service.users.create(input);

      // when
      const search = await request(app)
        .post('/v2/process-instances/search')
        .set('authorization', basic(input.username!, input.password))
        .send({});
      const me = await request(app)
        .get('/api/auth/me')
        .set('authorization', basic(input.username!, input.password));

      // then /v2 answers; /api/auth/me, which is about a session, says a session is required
      expect([search.status, me.status]).toEqual([200, 401]);
    });

    it('should refuse a wrong password and a person (staff) presenting Basic credentials', async () => {
      // given
      const service = buildUser({
        kind: 'service',
        memberships: [{ role: 'worker', scope: { cityId: 'city-1' } }],
      });
      const person = buildUser({
        memberships: [{ role: 'cityBureau', scope: { cityId: 'city-1' } }],
      });
      await auth.service.users.create(service);
      await auth.service.users.create(person);

      // when
      const wrong = await request(app)
        .post('/v2/process-instances/search')
        .set('authorization', basic(service.username!, 'not-the-password'))
        .send({});
      const staff = await request(app)
        .post('/v2/process-instances/search')
        .set('authorization', basic(person.username!, person.password))
        .send({});

      // then
      expect([wrong.status, staff.status]).toEqual([401, 401]);
      expect(wrong.headers['content-type']).toMatch(/problem\+json/);
    });
  });
});
