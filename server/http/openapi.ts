import type { Router } from 'express';
import { z } from 'zod';
import { CSRF_HEADER, SESSION_COOKIE } from '../modules/auth/auth.middleware';
import { declareRoutes, type DeclaredRoute, type HttpMethod, routeSpecOf } from './route-registry';

/**
 * The OpenAPI 3.1 document of the product's own API, generated from the routes declared with
 * `declareRoutes` (server/http/route-registry.ts): it walks the plugin router's stack, so
 * every declared route appears under the path it is mounted at, described by the zod
 * schemas it validates with (zod 4's `z.toJSONSchema`, JSON Schema 2020-12, OpenAPI 3.1's
 * dialect). Served at `GET /api/openapi.json`.
 */

/** An OpenAPI 3.1 document (the parts this generator writes). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<HttpMethod, Operation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

type JsonSchema = Record<string, unknown>;

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: JsonSchema }> }
  >;
  security: Record<string, string[]>[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/** The problem+json body every error response carries (server/http/problem.ts). */
export const problemSchema = z.object({
  type: z.string().describe('`urn:kehou:problem:<code>`'),
  title: z.string().describe('zh-CN title of the code'),
  status: z.number().int(),
  code: z.string().describe('stable machine-readable code, e.g. VALIDATION_FAILED'),
  detail: z.string().optional(),
  instance: z.string().optional().describe('the request path'),
  requestId: z.string().optional(),
  errors: z
    .array(z.object({ path: z.string(), message: z.string().describe('zh-CN') }))
    .optional()
    .describe('each invalid field'),
  rules: z
    .array(z.object({ rule: z.string(), clause: z.string(), message: z.string() }))
    .optional()
    .describe('the RULES.md rules that refused the request'),
});

/** Tags of the document, in order, with what they group. */
const TAGS: Record<string, string> = {
  meta: 'Health, readiness and this document',
  auth: 'Sign-in, sessions and CSRF tokens (docs/identity.md)',
  org: 'Schools, classes and students the caller may read (docs/authorization.md)',
  tasks: 'The task inbox over the engine’s user tasks (docs/inbox.md)',
  monitor: 'Process instances, timelines and incidents (docs/monitor.md)',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input: `VALIDATION_FAILED`, `errors` lists each field path with a zh-CN message',
  401: 'No valid session or service-account credentials (`UNAUTHENTICATED`)',
  403: 'Not allowed; `CSRF_INVALID` when a session request lacks the `x-csrf-token` header',
  404: 'Not found, or not visible to the caller',
  409: 'Conflicts with the current state',
  413: 'Body too large (`PAYLOAD_TOO_LARGE`)',
  422: 'A policy rule refused it (`RULE_VIOLATION`, `rules` cite RULES.md)',
  423: 'Account locked (`ACCOUNT_LOCKED`, with `Retry-After`)',
  429: 'Too many attempts (`RATE_LIMITED`, with `Retry-After`)',
  503: 'Temporarily unavailable; retry later',
};

/** Builds the document from the routes declared on `root` (the plugin router) and below it. */
export function buildOpenApiDocument(
  root: Router,
  opts: { version: string; serverUrl?: string },
): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  const operationIds = new Set<string>();
  for (const { path, route } of declaredRoutesOf(root)) {
    if (path.startsWith('/v2')) continue; // Camunda's API, described by Camunda
    const openApiPath = path.replace(/:(\w+)/g, '{$1}');
    const op = operationOf(route, openApiPath);
    if (operationIds.has(op.operationId))
      throw new Error(`duplicate operationId ${op.operationId} (${route.method} ${path})`);
    operationIds.add(op.operationId);
    tags.add(route.tag);
    (paths[openApiPath] ??= {})[route.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kehou Flow API（课后流程）',
      version: opts.version,
      description: DESCRIPTION,
    },
    servers: [{ url: opts.serverUrl || '/' }],
    tags: [...tags]
      .sort((a, b) => tagOrder(a) - tagOrder(b) || a.localeCompare(b))
      .map((name) => (TAGS[name] ? { name, description: TAGS[name] } : { name })),
    paths,
    components: {
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description:
            'The httpOnly session cookie set by `POST /api/auth/login` (docs/identity.md).',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: CSRF_HEADER,
          description:
            'The CSRF token from the login answer, `/api/auth/me`, `/api/auth/csrf` or the `kehou_csrf` cookie; required with a session on POST, PUT, PATCH and DELETE.',
        },
        serviceAccount: {
          type: 'http',
          scheme: 'basic',
          description: 'A service account (job workers): HTTP Basic, no session, no CSRF token.',
        },
      },
    },
  };
}

/**
 * Serves the document at `GET /api/openapi.json` on the plugin router, built once on first
 * request (when every module is mounted); `servers` names the prefix the plugin is mounted at.
 */
export function serveOpenApi(router: Router, version: string): void {
  let doc: OpenApiDocument | undefined;
  declareRoutes(router, { tag: 'meta', auth: 'public' }).get(
    '/api/openapi.json',
    {
      summary: 'This OpenAPI 3.1 document',
      responses: {
        200: { description: 'The document', schema: z.record(z.string(), z.unknown()) },
      },
    },
    (_input, req, res) => {
      doc ??= buildOpenApiDocument(router, { version });
      res.json({ ...doc, servers: [{ url: req.baseUrl || '/' }] });
    },
  );
}

/** Every route on `root` and the routers below it: its full path and declaration, if any. */
export function routesOf(
  root: Router,
): { method: string; path: string; route: DeclaredRoute | undefined }[] {
  const out: { method: string; path: string; route: DeclaredRoute | undefined }[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const entry of layer.route.stack) {
          if (!entry.method) continue;
          out.push({
            method: entry.method,
            path: joinPath(prefix, layer.route.path),
            route: routeSpecOf(entry.handle),
          });
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '';
        walk(layer.handle.stack, joinPath(prefix, mount));
      }
    }
  };
  walk((root as unknown as { stack: LayerLike[] }).stack, '');
  return out;
}

// helpers //////////

/** The Express layer fields the walk reads (router 2.x). */
interface LayerLike {
  route?: { path: string; stack: { method?: string; handle: unknown }[] };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

function declaredRoutesOf(root: Router): { path: string; route: DeclaredRoute }[] {
  return routesOf(root).flatMap(({ path, route }) => (route ? [{ path, route }] : []));
}

function joinPath(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function tagOrder(tag: string): number {
  const i = Object.keys(TAGS).indexOf(tag);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

function operationOf(route: DeclaredRoute, path: string): Operation {
  const parameters = [...pathParameters(route, path), ...queryParameters(route)];
  const isSafe = route.method === 'get';
  const errors = new Set(route.errors ?? []);
  if (route.params || route.query || route.body) errors.add(400);
  if (route.auth === 'session') errors.add(401);
  if (route.auth === 'session' && !isSafe) errors.add(403);
  const responses: Operation['responses'] = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = r.schema
      ? {
          description: r.description,
          content: {
            [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') },
          },
        }
      : { description: r.description };
  }
  for (const status of [...errors].sort()) responses[String(status)] = problem(STATUS_TEXT[status]);
  responses.default = problem('Unexpected error (`INTERNAL`, with a request id)');
  return {
    operationId: route.operationId ?? operationIdOf(route.method, path),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.safeParse({}).success,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses,
    security:
      route.auth === 'public'
        ? []
        : [isSafe ? { session: [] } : { session: [], csrf: [] }, { serviceAccount: [] }],
  };
}

function problem(description = 'Refused'): Operation['responses'][string] {
  return {
    description,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

function pathParameters(route: DeclaredRoute, path: string): Parameter[] {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const shape = route.params ? shapeOf(route.params, 'params', route) : {};
  return names.map((name) => ({
    name,
    in: 'path' as const,
    required: true,
    schema: shape[name] ? jsonSchema(shape[name], 'input') : { type: 'string' },
  }));
}

function queryParameters(route: DeclaredRoute): Parameter[] {
  if (!route.query) return [];
  return Object.entries(shapeOf(route.query, 'query', route)).map(([name, schema]) => {
    const s = jsonSchema(schema, 'input');
    const description = typeof s.description === 'string' ? s.description : undefined;
    return {
      name,
      in: 'query' as const,
      required: !schema.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: s,
    };
  });
}

function shapeOf(schema: z.ZodType, what: string, route: DeclaredRoute): Record<string, z.ZodType> {
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, z.ZodType>;
  throw new Error(`${route.method} ${route.path}: ${what} must be a zod object schema`);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** `get /api/tasks/{key}/claim` → `getApiTasksByKeyClaim`. */
function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith('{') ? `by-${seg.slice(1, -1)}` : seg))
    .flatMap((seg) => seg.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method + words.join('');
}

const DESCRIPTION = `The API of Kehou Flow (课后流程): sign-in, the organisation, the task inbox,
the instance monitor and the other modules under \`/api\`. Errors are
\`application/problem+json\` with a stable \`code\` and a zh-CN \`title\`; invalid input lists
each field path in \`errors\`.

**Authentication.** Sign in with \`POST /api/auth/login\`: the answer sets the httpOnly session
cookie \`${SESSION_COOKIE}\` and carries a \`csrfToken\`, which every POST, PUT, PATCH and DELETE
made with the session sends in the \`${CSRF_HEADER}\` header. Service accounts (job workers)
send HTTP Basic credentials instead, without a session or CSRF token.

**The engine's API.** \`/v2\` serves a subset of Camunda 8.8's Orchestration Cluster REST API
for job workers and Camunda's official client (\`@camunda8/orchestration-cluster-api\`); it is
described by Camunda's own documentation (https://docs.camunda.io/docs/apis-tools/orchestration-cluster-api-rest/orchestration-cluster-api-rest-overview/)
and its differences in docs/engine.md, not in this document.`;
