import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { parseInput } from './validate';

/**
 * Declared routes: a router says, per route, its method, path, summary, the zod schemas of
 * its path parameters, query and body, and its responses. The same schemas validate the
 * request (a refusal is a 400 problem listing each field) and describe the route in the
 * OpenAPI document (`server/http/openapi.ts`), so the document cannot drift from the code.
 *
 * ```ts
 * const api = declareRoutes(router, { tag: 'tasks' });
 * api.get(
 *   '/:key',
 *   { summary: '任务详情', params: taskParams, responses: { 200: { description: '任务', schema: taskDetail } }, errors: [404] },
 *   async ({ params }, _req, res) => res.json(await service.get(currentPrincipal(res), params.key)),
 * );
 * ```
 *
 * A route added with plain `router.get(…)` under /api is missing from the document, and
 * test/api/openapi.test.ts fails until it is declared.
 */

/** HTTP methods a route may be declared with. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route: `session` (a signed-in session, with the CSRF header on state-changing
 * requests, or a service account's HTTP Basic credentials) or `public` (anyone).
 */
export type RouteAuth = 'session' | 'public';

/** One success response of a route. */
export interface RouteResponse {
  description: string;
  /** The body's schema (as the route sends it); none for 204 and the like. */
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
}

/** What a route declares about itself, besides its handler. */
export interface RouteSpec<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  /** One line, shown as the operation's summary. */
  summary: string;
  description?: string;
  /** Default: the router's (`session` unless told otherwise). */
  auth?: RouteAuth;
  /** Path parameters; an object schema whose keys are the path's `:names`. */
  params?: P;
  /** Query parameters; an object schema, one parameter per key. */
  query?: Q;
  /** JSON body. */
  body?: B;
  /** Success responses by status. */
  responses: Record<number, RouteResponse>;
  /**
   * Error statuses the route answers besides those implied by what it declares (400 for
   * invalid input, 401 without a session, 403 for a missing CSRF token); each is a problem.
   */
  errors?: number[];
  /** Default: derived from the method and path. */
  operationId?: string;
}

/** A declared route as the OpenAPI generator reads it. */
export interface DeclaredRoute extends RouteSpec {
  method: HttpMethod;
  /** The path as declared on its router (Express syntax, relative to the router). */
  path: string;
  tag: string;
  auth: RouteAuth;
}

/** The parsed input a handler gets. */
export interface RouteInput<P, Q, B> {
  params: P extends z.ZodType ? z.output<P> : Record<string, string>;
  query: Q extends z.ZodType ? z.output<Q> : Record<string, never>;
  body: B extends z.ZodType ? z.output<B> : undefined;
}

/** A declared route's handler: parsed input first, then Express's request and response. */
export type RouteHandler<P, Q, B> = (
  input: RouteInput<P, Q, B>,
  req: Request,
  res: Response,
) => unknown;

/** Where a route handler carries its declaration (read by the OpenAPI generator). */
export const ROUTE_SPEC: unique symbol = Symbol.for('kehou.route-spec');

/** Declares routes on one router. */
export interface RouteDeclarer {
  /** The router the routes are added to. */
  readonly router: Router;
  route<
    P extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
  >(
    method: HttpMethod,
    path: string,
    spec: RouteSpec<P, Q, B>,
    handler: RouteHandler<P, Q, B>,
  ): void;
  get: MethodDeclarer;
  post: MethodDeclarer;
  put: MethodDeclarer;
  patch: MethodDeclarer;
  delete: MethodDeclarer;
}

type MethodDeclarer = <
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  path: string,
  spec: RouteSpec<P, Q, B>,
  handler: RouteHandler<P, Q, B>,
) => void;

/**
 * Routes declared on `router`, grouped under `tag` in the document. Each route's params, query
 * and body are parsed with its schemas before the handler runs. With `requireSession`, routes
 * whose `auth` is `session` get that guard in front (routers guarded as a whole by
 * `router.use(requireSession)` leave it out).
 */
export function declareRoutes(
  router: Router,
  defaults: { tag: string; auth?: RouteAuth; requireSession?: RequestHandler },
): RouteDeclarer {
  const route: RouteDeclarer['route'] = (method, path, spec, handler) => {
    const declared: DeclaredRoute = {
      ...spec,
      method,
      path,
      tag: defaults.tag,
      auth: spec.auth ?? defaults.auth ?? 'session',
    };
    const wrapped = async (req: Request, res: Response) => {
      const input = {
        params: spec.params ? parseInput(spec.params, req.params) : { ...req.params },
        query: spec.query ? parseInput(spec.query, req.query) : {},
        body: spec.body ? parseInput(spec.body, req.body) : undefined,
      };
      await handler(input as never, req, res);
    };
    Object.defineProperty(wrapped, ROUTE_SPEC, { value: declared });
    const guard = declared.auth === 'session' ? defaults.requireSession : undefined;
    if (guard) router[method](path, guard, wrapped);
    else router[method](path, wrapped);
  };
  const by =
    (method: HttpMethod): MethodDeclarer =>
    (path, spec, handler) =>
      route(method, path, spec, handler);
  return {
    router,
    route,
    get: by('get'),
    post: by('post'),
    put: by('put'),
    patch: by('patch'),
    delete: by('delete'),
  };
}

/** The declaration a route handler carries, if it was declared. */
export function routeSpecOf(handler: unknown): DeclaredRoute | undefined {
  return typeof handler === 'function'
    ? (handler as { [ROUTE_SPEC]?: DeclaredRoute })[ROUTE_SPEC]
    : undefined;
}
