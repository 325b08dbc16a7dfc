import request from 'supertest';
import { CSRF_HEADER, SESSION_COOKIE } from '../../server/modules/auth';
import {
  classScope,
  type IdentityHarness,
  PASSWORD,
  schoolScope,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';

describe('sign-in', () => {
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await startIdentityHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should sign in by phone and set an httpOnly, SameSite=Lax, signed session cookie', async () => {
    // given
    const user = await h.createUser();

    // when
    const res = await request(h.app)
      .post('/api/auth/login')
      .send({ phone: user.phone, password: user.password });

    // then
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user._id, kind: 'staff', username: user.username });
    expect(res.body.csrfToken).toMatch(/^[\w-]{20,}$/);
    const cookies = res.headers['set-cookie'] as unknown as string[];
    const session = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/^kehou_sid=[\w-]+\.[\w-]+;/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('should sign in by username, ignoring its case', async () => {
    // given
    const user = await h.createUser({ username: 'Li.Laoshi' });

    // when
    const res = await request(h.app)
      .post('/api/auth/login')
      .send({ username: 'LI.LAOSHI', password: user.password });

    // then
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user._id, username: 'li.laoshi' });
  });

  it('should refuse a wrong password and an unknown account with the same 401', async () => {
    // given
    const user = await h.createUser();

    // when
    const wrong = await request(h.app)
      .post('/api/auth/login')
      .send({ phone: user.phone, password: 'Wrong-pass-1' });
    const unknown = await request(h.app)
      .post('/api/auth/login')
      .send({ phone: '13799999999', password: 'Wrong-pass-1' });

    // then
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'INVALID_CREDENTIALS', title: '账号或密码错误' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('should list field problems in zh-CN for a malformed request', async () => {
    // when
    const both = await request(h.app)
      .post('/api/auth/login')
      .send({ phone: '13700000001', username: 'someone', password: 'x' });
    const badPhone = await request(h.app)
      .post('/api/auth/login')
      .send({ phone: '12345', password: 'x' });

    // then
    expect(both.status).toBe(400);
    expect(both.body.errors).toEqual([
      { path: 'phone', message: '请填写手机号或用户名（二选一）' },
    ]);
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.errors).toEqual([{ path: 'phone', message: '请输入 11 位手机号' }]);
  });

  it('should lock the account for 15 minutes after 5 failed attempts', async () => {
    // given
    const user = await h.createUser();
    const attempt = (password: string) =>
      request(h.app).post('/api/auth/login').send({ phone: user.phone, password });

    // when
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt('Wrong-pass-1')).status);
    const whileLocked = await attempt(user.password);

    // then
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    expect(whileLocked.status).toBe(423);
    expect(whileLocked.body).toMatchObject({ code: 'ACCOUNT_LOCKED', title: '账号已临时锁定' });
    expect(Number(whileLocked.headers['retry-after'])).toBeGreaterThan(14 * 60);
    const stored = await h.auth.service.users.findById(user._id);
    expect(stored!.lockedUntil!.getTime()).toBe(h.clock.now.getTime() + 15 * 60_000);

    // when the lock has run out
    h.clock.advance(15 * 60_000 + 1);
    const after = await attempt(user.password);

    // then
    expect(after.status).toBe(200);
    expect((await h.auth.service.users.findById(user._id))!).toMatchObject({ failedLogins: 0 });
  });

  it('should start counting failures afresh after a successful sign-in', async () => {
    // given four failures and a success
    const user = await h.createUser();
    const attempt = (password: string) =>
      request(h.app).post('/api/auth/login').send({ username: user.username, password });
    for (let i = 0; i < 4; i++) await attempt('Wrong-pass-1');
    expect((await attempt(user.password)).status).toBe(200);

    // when
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt('Wrong-pass-1')).status);

    // then
    expect(statuses).toEqual([401, 401, 401, 401]);
  });

  it('should end the session at logout', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });
    const cookie = (await client.agent.get('/api/auth/me')).request.cookies;
    expect((await client.agent.get('/api/auth/me')).status).toBe(200);

    // when
    const res = await client.post('/api/auth/logout');

    // then
    expect(res.status).toBe(204);
    expect((await client.agent.get('/api/auth/me')).status).toBe(401);
    // the old cookie, replayed, no longer works either
    const replay = await request(h.app).get('/api/auth/me').set('cookie', cookie);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'UNAUTHENTICATED', title: '请先登录' });
  });

  it('should refuse a forged or tampered session cookie', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });
    const value = /kehou_sid=([^;]+)/.exec(
      (await client.agent.get('/api/auth/me')).request.cookies,
    )![1]!;

    // when
    const tampered = await request(h.app)
      .get('/api/auth/me')
      .set('cookie', `${SESSION_COOKIE}=${value.slice(0, -2)}xx`);
    const unsigned = await request(h.app)
      .get('/api/auth/me')
      .set('cookie', `${SESSION_COOKIE}=${value.split('.')[0]}`);

    // then
    expect(tampered.status).toBe(401);
    expect(unsigned.status).toBe(401);
  });

  it('should renew the session while it is used and end it when idle for 2 hours', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });

    // when used every 90 minutes, the session outlives its first 2-hour idle window
    h.clock.advance(90 * 60_000);
    expect((await client.agent.get('/api/auth/me')).status).toBe(200);
    h.clock.advance(90 * 60_000);
    expect((await client.agent.get('/api/auth/me')).status).toBe(200);

    // when left idle for more than 2 hours
    h.clock.advance(2 * 3600_000 + 1);

    // then
    expect((await client.agent.get('/api/auth/me')).status).toBe(401);
  });

  it('should end even an active session 12 hours after sign-in', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });

    // when
    for (let i = 0; i < 11; i++) {
      h.clock.advance(3600_000);
      expect((await client.agent.get('/api/auth/me')).status).toBe(200);
    }
    h.clock.advance(3600_000);

    // then
    expect((await client.agent.get('/api/auth/me')).status).toBe(401);
  });

  it('should issue a new session id at every sign-in', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });
    const before = (await client.agent.get('/api/auth/me')).request.cookies;

    // when
    await client.agent.post('/api/auth/login').send({ phone: user.phone, password: user.password });

    // then
    const after = (await client.agent.get('/api/auth/me')).request.cookies;
    expect(after).not.toEqual(before);
    expect((await request(h.app).get('/api/auth/me').set('cookie', before)).status).toBe(401);
  });
});

describe('CSRF protection', () => {
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await startIdentityHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should refuse a POST with a session cookie but without the CSRF token', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });

    // when
    const missing = await client.agent.post('/api/auth/logout');
    const wrong = await client.agent.post('/api/auth/logout').set(CSRF_HEADER, 'not-the-token');
    const otherSessions = await signIn(h.app, { phone: user.phone!, password: user.password });
    const foreign = await client.agent
      .post('/api/auth/logout')
      .set(CSRF_HEADER, otherSessions.csrfToken);

    // then
    for (const res of [missing, wrong, foreign]) {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({
        code: 'CSRF_INVALID',
        title: '安全校验失败，请刷新页面后重试',
      });
    }
    expect((await client.agent.get('/api/auth/me')).status).toBe(200);
  });

  it('should hand out the token at sign-in, at /csrf and in a readable cookie', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });

    // when
    const res = await client.agent.get('/api/auth/csrf');

    // then
    expect(res.status).toBe(200);
    expect(res.body.csrfToken).toBe(client.csrfToken);
    const csrfCookie = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('kehou_csrf='),
    )!;
    expect(csrfCookie).toContain(`kehou_csrf=${client.csrfToken}`);
    expect(csrfCookie).not.toMatch(/HttpOnly/);
    expect((await client.post('/api/auth/logout')).status).toBe(204);
  });

  it('should answer 401, not 403, to a POST without any session', async () => {
    // when
    const res = await request(h.app).post('/api/auth/logout');

    // then
    expect(res.status).toBe(401);
  });
});

describe('rate limiting of sign-in', () => {
  it('should answer 429 to an address that failed too often, before checking any password', async () => {
    // given: at most 3 failures per address
    const h = await startIdentityHarness({
      throttle: { perIp: { max: 3, windowMs: 60_000 }, perAccount: { max: 100, windowMs: 60_000 } },
    });
    try {
      const users = await Promise.all([1, 2, 3, 4].map(() => h.createUser()));
      for (const u of users.slice(0, 3))
        await request(h.app)
          .post('/api/auth/login')
          .send({ phone: u.phone, password: 'Wrong-pass-1' });

      // when even the right password of another account is tried
      const res = await request(h.app)
        .post('/api/auth/login')
        .send({ phone: users[3]!.phone, password: users[3]!.password });

      // then
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({ code: 'RATE_LIMITED', title: '尝试次数过多，请稍后再试' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);

      // when the window has passed
      h.clock.advance(60_001);

      // then
      expect(
        (
          await request(h.app)
            .post('/api/auth/login')
            .send({ phone: users[3]!.phone, password: users[3]!.password })
        ).status,
      ).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('should limit failures per account name, also for accounts that do not exist', async () => {
    // given: at most 2 failures per account name
    const h = await startIdentityHarness({
      throttle: { perIp: { max: 100, windowMs: 60_000 }, perAccount: { max: 2, windowMs: 60_000 } },
    });
    try {
      const attempt = () =>
        request(h.app)
          .post('/api/auth/login')
          .send({ username: 'nobody.here', password: 'Wrong-pass-1' });

      // when
      const statuses = [
        (await attempt()).status,
        (await attempt()).status,
        (await attempt()).status,
      ];

      // then
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await h.close();
    }
  });
});

describe('changing the password', () => {
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await startIdentityHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should change the password, keep this session and end the others', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });
    const other = await signIn(h.app, { username: user.username!, password: user.password });

    // when
    const res = await client.post('/api/auth/password', {
      oldPassword: user.password,
      newPassword: 'Neues-Passwort-2026',
    });

    // then
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: '密码已修改，其他设备上的登录已失效' });
    expect(res.body.csrfToken).not.toBe(client.csrfToken);
    expect((await client.agent.get('/api/auth/me')).status).toBe(200);
    expect((await other.agent.get('/api/auth/me')).status).toBe(401);
    const old = await request(h.app)
      .post('/api/auth/login')
      .send({ phone: user.phone, password: user.password });
    expect(old.status).toBe(401);
    const renewed = await request(h.app)
      .post('/api/auth/login')
      .send({ phone: user.phone, password: 'Neues-Passwort-2026' });
    expect(renewed.status).toBe(200);
  });

  it('should refuse a wrong current password and a new one that breaks the policy', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });

    // when
    const wrongOld = await client.post('/api/auth/password', {
      oldPassword: 'Wrong-pass-1',
      newPassword: 'Another-pass-9',
    });
    const short = await client.post('/api/auth/password', {
      oldPassword: PASSWORD,
      newPassword: 'ab1',
    });
    const noDigit = await client.post('/api/auth/password', {
      oldPassword: PASSWORD,
      newPassword: 'onlyletters',
    });
    const same = await client.post('/api/auth/password', {
      oldPassword: PASSWORD,
      newPassword: PASSWORD,
    });

    // then
    expect(wrongOld.status).toBe(400);
    expect(wrongOld.body).toMatchObject({
      code: 'WRONG_OLD_PASSWORD',
      errors: [{ path: 'oldPassword', message: '原密码不正确' }],
    });
    for (const res of [short, noDigit]) {
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { path: 'newPassword', message: '密码至少 8 位，且须同时包含字母和数字' },
      ]);
    }
    expect(same.body.errors).toEqual([{ path: 'newPassword', message: '新密码不能与原密码相同' }]);
    expect((await client.agent.get('/api/auth/me')).status).toBe(200);
    expect(
      (await request(h.app).post('/api/auth/login').send({ phone: user.phone, password: PASSWORD }))
        .status,
    ).toBe(200);
  });

  it('should require the CSRF token', async () => {
    // given
    const user = await h.createUser();
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });

    // when
    const res = await client.agent
      .post('/api/auth/password')
      .send({ oldPassword: PASSWORD, newPassword: 'Another-pass-9' });

    // then
    expect(res.status).toBe(403);
  });
});

describe('who am I', () => {
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await startIdentityHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should show the memberships and the candidate groups resolved from them', async () => {
    // given a class teacher of one school who sits on another school's parent committee
    const a = await h.createOrgTree();
    const b = await h.createOrgTree();
    const user = await h.createUser({
      memberships: [
        { role: 'classTeacher', scope: classScope(a) },
        { role: 'committee', scope: schoolScope(b) },
        { role: 'parent', scope: classScope(b) },
      ],
    });
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });

    // when
    const res = await client.agent.get('/api/auth/me');

    // then
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({
      id: user._id,
      kind: 'staff',
      username: user.username,
      phone: user.phone,
      displayName: user.displayName,
    });
    expect(res.body.roles).toEqual(['classTeacher', 'committee', 'parent']);
    expect(res.body.memberships).toEqual([
      {
        role: 'classTeacher',
        roleName: '班主任',
        scope: classScope(a),
        group: `class:${a.class._id}:teacher`,
      },
      {
        role: 'committee',
        roleName: '家委会成员',
        scope: schoolScope(b),
        group: `school:${b.school._id}:committee`,
      },
      { role: 'parent', roleName: '家长', scope: classScope(b), group: null },
    ]);
    expect(res.body.groups).toEqual([
      `class:${a.class._id}:teacher`,
      `school:${b.school._id}:committee`,
    ]);
    expect(res.body.csrfToken).toBe(client.csrfToken);
  });

  it('should answer 401 without a session', async () => {
    expect((await request(h.app).get('/api/auth/me')).status).toBe(401);
  });
});

describe('personal data in the logs', () => {
  it('should never log a phone number in full, whatever happens at sign-in', async () => {
    // given
    const h = await startIdentityHarness();
    try {
      const user = await h.createUser({ phone: '13712345678' });

      // when
      await request(h.app)
        .post('/api/auth/login')
        .send({ phone: '13712345678', password: 'Wrong-pass-1' });
      await request(h.app)
        .post('/api/auth/login')
        .send({ phone: '13787654321', password: 'Wrong-pass-1' });
      await request(h.app).get('/api/auth/me?phone=13712345678');
      const client = await signIn(h.app, { phone: user.phone!, password: user.password });
      await client.agent.get('/api/auth/me');

      // then
      const out = h.logs.join('');
      expect(out).toContain('sign-in failed');
      expect(out).toContain('137****5678');
      expect(out).toContain('137****4321');
      expect(out).not.toContain('13712345678');
      expect(out).not.toContain('13787654321');
      expect(out).not.toContain(user.password);
      expect(out).not.toContain('kehou_sid=');
    } finally {
      await h.close();
    }
  });
});
