import request from 'supertest';
import { buildTestApp } from '../fixtures/app';

describe('problem+json errors', () => {
  let ctx: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    ctx = await buildTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('should answer an unknown route with a 404 problem', async () => {
    // when
    const res = await request(ctx.app).get('/no/such/route');

    // then
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      title: '请求的资源不存在',
    });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('should refuse malformed JSON with a 400 problem', async () => {
    // when
    const res = await request(ctx.app)
      .post('/health')
      .set('content-type', 'application/json')
      .send('{"a":');

    // then
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_JSON', title: '请求内容不是合法的 JSON' });
  });

  it('should refuse a body over the size limit with a 413 problem', async () => {
    // given
    const big = JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) });

    // when
    const res = await request(ctx.app)
      .post('/health')
      .set('content-type', 'application/json')
      .send(big);

    // then
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('should keep a sane incoming request id and replace an unsafe one', async () => {
    // when
    const kept = await request(ctx.app).get('/health').set('x-request-id', 'abc-123');
    const replaced = await request(ctx.app).get('/health').set('x-request-id', 'bad id <script>');

    // then
    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(replaced.headers['x-request-id']).not.toBe('bad id <script>');
  });

  it('should send security headers', async () => {
    // when
    const res = await request(ctx.app).get('/health');

    // then
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
