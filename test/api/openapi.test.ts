import type { Express } from 'express';
import request from 'supertest';
import { loadConfig } from '../../server/config';
import { createLogger } from '../../server/lib/logger';
import { type RunningServer, startServer } from '../../server/main';
import { testServerUri, testSqliteDir, uniqueDbName } from '../setup/db';

/**
 * The OpenAPI document of the real composition root (server/main.ts): every route under /api
 * that the Express app serves must be in it, so a route added without being declared
 * (server/http/route-registry.ts) fails here.
 */
describe('OpenAPI document', () => {
  let server: RunningServer;
  let doc: OpenApi;

  beforeAll(async () => {
    const uri = new URL(testServerUri());
    uri.pathname = `/${uniqueDbName()}`;
    const config = loadConfig({
      MONGODB_URI: uri.toString(),
      FERRETDB_SQLITE_DIR: testSqliteDir(),
      PORT: '0',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      KEHOU_WORKERS: 'off',
    });
    server = await startServer(config, createLogger('silent'));
    const res = await request(server.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body as OpenApi;
  });

  afterAll(async () => {
    await server.db.connection.dropDatabase().catch(() => undefined);
    await server.stop();
  });

  it('should be an OpenAPI 3.1 document that points at Camunda for /v2', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toContain('Kehou Flow');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.info.description).toContain('/v2');
    expect(doc.info.description).toContain('docs.camunda.io');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/v2'))).toBe(false);
  });

  it('should describe every /api route the app serves', () => {
    // given every route of the app's router stack under /api
    const served = routesOf(server.app).filter((r) => r.path.startsWith('/api/'));
    expect(served.length).toBeGreaterThan(15);

    // when
    const missing = served
      .map((r) => ({ ...r, path: r.path.replace(/:(\w+)/g, '{$1}') }))
      .filter((r) => !doc.paths[r.path]?.[r.method])
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);

    // then
    expect(missing).toEqual([]);
  });

  it('should declare the session cookie, the CSRF header, service accounts and problem+json', () => {
    expect(doc.components.securitySchemes).toEqual({
      session: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'kehou_sid' }),
      csrf: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-csrf-token' }),
      serviceAccount: expect.objectContaining({ type: 'http', scheme: 'basic' }),
    });
    expect(doc.components.schemas.Problem).toMatchObject({
      type: 'object',
      properties: { code: { type: 'string' }, title: { type: 'string' } },
      required: expect.arrayContaining(['type', 'title', 'status', 'code']),
    });
  });

  it('should give every operation its parameters, responses, problems and security', () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item ?? {})) {
        const where = `${method.toUpperCase()} ${path}`;
        expect({ where, id: ids.has(op.operationId) }).toEqual({ where, id: false });
        ids.add(op.operationId);
        expect({ where, summary: typeof op.summary }).toEqual({ where, summary: 'string' });
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect({ where, params: declared }).toEqual({ where, params: inPath });
        // a success, or for the sign-in steps a browser takes, a redirect
        expect({
          where,
          ok: Object.keys(op.responses).some((s) => /^(2\d\d|30[23])$/.test(s)),
        }).toEqual({
          where,
          ok: true,
        });
        expect(op.responses.default?.content?.['application/problem+json']?.schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
        if (op.security.length === 0) continue; // public
        expect({ where, status: Object.keys(op.responses) }).toEqual({
          where,
          status: expect.arrayContaining(['401']),
        });
        const needsCsrf = method !== 'get';
        expect({ where, security: op.security }).toEqual({
          where,
          security: [
            needsCsrf ? { session: [], csrf: [] } : { session: [] },
            { serviceAccount: [] },
          ],
        });
      }
    }
  });

  it('should describe the request and response of a route from its zod schemas', () => {
    // when
    const list = doc.paths['/api/monitor/instances']!.get!;
    const retry = doc.paths['/api/monitor/incidents/{key}/retry']!.post!;
    const login = doc.paths['/api/auth/login']!.post!;

    // then
    expect(list.parameters).toEqual(
      expect.arrayContaining([
        {
          name: 'state',
          in: 'query',
          required: false,
          schema: { type: 'string', enum: ['ACTIVE', 'COMPLETED', 'TERMINATED'] },
        },
        expect.objectContaining({
          name: 'size',
          schema: expect.objectContaining({ maximum: 100 }),
        }),
      ]),
    );
    const page = list.responses['200']!.content!['application/json']!.schema;
    expect(page).toMatchObject({
      properties: { items: { type: 'array' }, total: { type: 'integer' } },
    });
    expect(Object.keys(list.responses).sort()).toEqual(['200', '400', '401', 'default']);
    expect(retry.requestBody).toMatchObject({
      required: false,
      content: { 'application/json': { schema: { properties: { retries: { type: 'integer' } } } } },
    });
    expect(Object.keys(retry.responses).sort()).toEqual([
      '204',
      '400',
      '401',
      '403',
      '404',
      '409',
      'default',
    ]);
    expect(login.security).toEqual([]);
    expect(login.requestBody).toMatchObject({
      required: true,
      content: { 'application/json': { schema: { required: ['password'] } } },
    });
  });

  it('should serve itself as a public route, naming the prefix it is mounted at', () => {
    expect(doc.paths['/api/openapi.json']?.get?.security).toEqual([]);
    expect(doc.servers).toEqual([{ url: '/' }]);
  });
});

// helpers //////////

interface Operation {
  operationId: string;
  summary: string;
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<
    string,
    { content?: Record<string, { schema: Record<string, unknown> }> } | undefined
  >;
  security: Record<string, string[]>[];
}

interface OpenApi {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation> | undefined>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
}

interface Layer {
  route?: { path: string; stack: { method?: string }[] };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** Every method and full path of the app's routes: this file's own walk of the router stack. */
function routesOf(app: Express): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const join = (a: string, b: string) => `${a}/${b}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = new Set(layer.route.stack.map((s) => s.method).filter(Boolean));
        for (const method of methods)
          out.push({ method: method!, path: join(prefix, layer.route.path) });
      } else if (layer.handle?.stack) {
        if (typeof layer.rawPath !== 'string' && layer.rawPath !== undefined)
          throw new Error(`a router mounted at a non-string path: ${String(layer.rawPath)}`);
        walk(layer.handle.stack, join(prefix, layer.rawPath ?? ''));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}
