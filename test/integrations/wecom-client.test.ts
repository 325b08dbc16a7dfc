import {
  WecomApiError,
  WecomClient,
  WecomTokenCache,
  type WecomClientOptions,
} from '../../server/integrations/wecom/client';
import { startFakeWecom, type FakeWecom } from './fakes/wecom-server';

/**
 * The WeCom client against a contract server of the documented API: tokens cached, refreshed
 * before expiry and fetched once for concurrent callers; token errors refetched once; config
 * errors never retried; -1 retried; rate limits surfaced with a back-off; recipients WeCom does
 * not know reported one by one.
 */
const APP = {
  corpId: 'ww1234567890abcdef',
  agentId: 1000002,
  secret: 'app-secret-0123456789abcdefghijklmnopqrstu',
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
};

const card = {
  title: '新的待办',
  description: '张小一的报名待初审',
  url: 'https://kehou.example/tasks/1',
};

describe('WeCom client', () => {
  let fake: FakeWecom;
  let sleeps: number[];

  beforeAll(async () => {
    fake = await startFakeWecom(APP);
    fake.members.add('zhangsan');
    fake.members.add('lisi');
  });
  afterAll(() => fake.close());

  function client(overrides: Partial<typeof APP> = {}, opts: WecomClientOptions = {}) {
    sleeps = [];
    return new WecomClient(
      { corpId: APP.corpId, agentId: APP.agentId, secret: APP.secret, ...overrides },
      {
        baseUrl: fake.url,
        now: () => fake.now,
        tokens: new WecomTokenCache(),
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        ...opts,
      },
    );
  }

  const calls = (path: string) => fake.log.filter((l) => l.path === path).length;

  it('should fetch one token for concurrent callers and reuse it', async () => {
    // given a client with an empty cache
    const c = client();
    const before = fake.tokensIssued;

    // when five messages go out at once, then one more
    await Promise.all(
      Array.from({ length: 5 }, () => c.sendAppMessage({ toUsers: ['zhangsan'], card })),
    );
    await c.sendAppMessage({ toUsers: ['lisi'], card });

    // then gettoken was called once
    expect(fake.tokensIssued - before).toBe(1);
  });

  it('should refresh the token before WeCom expires it', async () => {
    // given a token fetched now
    const c = client();
    await c.accessToken();
    const before = fake.tokensIssued;

    // when 1 h 56 min pass (inside the 5-minute margin of the 2-hour token)
    fake.advance(116 * 60_000);
    const errorsBefore = fake.log.filter((l) => l.errcode === 42001).length;
    await c.sendAppMessage({ toUsers: ['zhangsan'], card: { ...card, title: 'refresh' } });

    // then a new token was fetched without WeCom ever refusing the old one
    expect(fake.tokensIssued - before).toBe(1);
    expect(fake.log.filter((l) => l.errcode === 42001).length).toBe(errorsBefore);
  });

  it('should refetch the token once and retry when WeCom expires it mid-run', async () => {
    // given a cached token that WeCom then expires early
    const c = client();
    await c.accessToken();
    fake.expireTokens();
    const before = fake.tokensIssued;
    const delivered = fake.appMessages.length;

    // when
    const r = await c.sendAppMessage({
      toUsers: ['zhangsan'],
      card: { ...card, title: 'mid-run' },
    });

    // then one 42001, one new token, and the message went out once
    expect(r.invalidUsers).toEqual([]);
    expect(fake.tokensIssued - before).toBe(1);
    expect(fake.appMessages.length - delivered).toBe(1);
  });

  it('should not loop when the fresh token is refused too', async () => {
    // given WeCom answering 40014 twice in a row
    const c = client();
    await c.accessToken();
    fake.failNext('/cgi-bin/message/send', 2, 40014);
    const before = calls('/cgi-bin/message/send');

    // when / then one retry, then the error
    await expect(c.sendAppMessage({ toUsers: ['zhangsan'], card })).rejects.toMatchObject({
      errcode: 40014,
      kind: 'token',
    });
    expect(calls('/cgi-bin/message/send') - before).toBe(2);
  });

  it.each([
    ['a wrong secret', { secret: 'wrong' }, 40001],
    ['a wrong CorpID', { corpId: 'wwwrong' }, 40013],
  ])('should not retry %s', async (_what, overrides, errcode) => {
    // given
    const c = client(overrides);
    const before = calls('/cgi-bin/gettoken');

    // when
    const err = await c.sendAppMessage({ toUsers: ['zhangsan'], card }).catch((e: unknown) => e);

    // then a configuration error after exactly one gettoken
    expect(err).toBeInstanceOf(WecomApiError);
    expect(err).toMatchObject({ errcode, kind: 'config', isTransient: false });
    expect(calls('/cgi-bin/gettoken') - before).toBe(1);
  });

  it('should not retry when the server IP is not on the allow list (60020)', async () => {
    // given
    fake.blockIp = true;
    const c = client();
    const before = calls('/cgi-bin/gettoken');

    // when
    const err = await c.accessToken().catch((e: unknown) => e);
    fake.blockIp = false;

    // then
    expect(err).toMatchObject({ errcode: 60020, kind: 'config' });
    expect(calls('/cgi-bin/gettoken') - before).toBe(1);
  });

  it('should retry a busy WeCom (-1) up to three times with growing pauses', async () => {
    // given -1 three times, then success
    const c = client();
    await c.accessToken();
    fake.failNext('/cgi-bin/message/send', 3, -1);
    const delivered = fake.appMessages.length;

    // when
    await c.sendAppMessage({ toUsers: ['lisi'], card: { ...card, title: 'busy' } });

    // then delivered on the fourth attempt, after pauses of growing length
    expect(fake.appMessages.length - delivered).toBe(1);
    expect(sleeps).toEqual([500, 1000, 2000]);
  });

  it('should give up after the third retry of -1', async () => {
    // given -1 four times
    const c = client();
    await c.accessToken();
    fake.failNext('/cgi-bin/message/send', 4, -1);

    // when / then
    await expect(c.sendAppMessage({ toUsers: ['lisi'], card })).rejects.toMatchObject({
      errcode: -1,
      kind: 'busy',
      isTransient: true,
    });
    expect(sleeps).toHaveLength(3);
  });

  it.each([
    [45009, 60_000],
    [45033, 2_000],
  ])('should surface rate limit %i with a back-off and not retry', async (errcode, wait) => {
    // given
    const c = client();
    await c.accessToken();
    fake.failNext('/cgi-bin/message/send', 1, errcode);
    const before = calls('/cgi-bin/message/send');

    // when
    const err = await c.sendAppMessage({ toUsers: ['lisi'], card }).catch((e: unknown) => e);

    // then
    expect(err).toMatchObject({ errcode, kind: 'rate-limited', retryAfterMs: wait });
    expect(calls('/cgi-bin/message/send') - before).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('should send a textcard to |-joined recipients and report the invalid ones', async () => {
    // given
    const c = client();
    const delivered = fake.appMessages.length;

    // when
    const r = await c.sendAppMessage({
      toUsers: ['zhangsan', 'nobody', 'lisi'],
      card: { ...card, title: '三人' },
    });

    // then
    expect(r.invalidUsers).toEqual(['nobody']);
    expect(r.msgId).toBeTruthy();
    expect(fake.appMessages.slice(delivered).map((m) => m.to)).toEqual(['zhangsan', 'lisi']);
    expect(fake.appMessages[delivered]).toMatchObject({
      msgtype: 'textcard',
      url: 'https://kehou.example/tasks/1',
    });
  });

  it('should treat 81013 (nobody valid) as every recipient invalid', async () => {
    // when
    const r = await client().sendAppMessage({ toUsers: ['ghost1', 'ghost2'], card });

    // then
    expect(r.invalidUsers).toEqual(['ghost1', 'ghost2']);
  });

  it('should send a template card with the link as its card action', async () => {
    // given
    const delivered = fake.appMessages.length;

    // when
    await client().sendAppMessage({
      toUsers: ['zhangsan'],
      card: { ...card, title: '模板卡片' },
      style: 'template_card',
    });

    // then
    expect(fake.appMessages.slice(delivered)).toEqual([
      expect.objectContaining({ to: 'zhangsan', msgtype: 'template_card', title: '模板卡片' }),
    ]);
  });

  it('should notify parents through school notifications and name the unknown ones', async () => {
    // given a parent of the school contact book
    fake.students.set('stu-1', { name: '张小一' });
    fake.parents.set('p-zhang', {
      mobile: '13900000001',
      children: [{ studentUserId: 'stu-1', relation: '爸爸' }],
    });
    const delivered = fake.schoolMessages.length;

    // when
    const r = await client().sendSchoolMessage({
      toParents: ['p-zhang', 'p-ghost'],
      card: { ...card, title: '录取结果' },
    });

    // then
    expect(r.invalidParents).toEqual(['p-ghost']);
    expect(fake.schoolMessages.slice(delivered).map((m) => m.to)).toEqual(['p-zhang']);
  });

  it('should read the school contact book and answer undefined for nobody (60111)', async () => {
    // when
    const c = client();
    const parent = await c.schoolContact('p-zhang');
    const student = await c.schoolContact('stu-1');
    const nobody = await c.schoolContact('p-none');

    // then
    expect(parent).toEqual({
      kind: 'parent',
      parentUserId: 'p-zhang',
      mobile: '13900000001',
      children: [{ studentUserId: 'stu-1', relation: '爸爸' }],
    });
    expect(student).toMatchObject({
      kind: 'student',
      name: '张小一',
      parents: [{ parentUserId: 'p-zhang', relation: '爸爸' }],
    });
    expect(nobody).toBeUndefined();
  });

  it('should tell members and parents apart by their sign-in code, and refuse a used code', async () => {
    // given
    const c = client();
    const member = fake.issueCode({ userId: 'zhangsan' });
    const parent = fake.issueCode({ parentUserId: 'p-zhang' });

    // when
    const m = await c.visitor(member);
    const p = await c.schoolVisitor(parent);
    const again = await c.visitor(member).catch((e: unknown) => e);

    // then
    expect(m).toEqual({ kind: 'member', userId: 'zhangsan' });
    expect(p).toEqual({ kind: 'parent', parentUserId: 'p-zhang' });
    expect(again).toMatchObject({ errcode: 40029, kind: 'refused' });
  });

  it("should build the authorize URL of WeCom's web sign-in", () => {
    // when
    const url = new URL(
      client().authorizeUrl('https://kehou.example/api/auth/wecom/callback', 's1'),
    );

    // then
    expect(url.origin + url.pathname).toBe('https://open.weixin.qq.com/connect/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      appid: APP.corpId,
      redirect_uri: 'https://kehou.example/api/auth/wecom/callback',
      response_type: 'code',
      scope: 'snsapi_base',
      state: 's1',
      agentid: String(APP.agentId),
    });
    expect(url.hash).toBe('#wechat_redirect');
  });
});
