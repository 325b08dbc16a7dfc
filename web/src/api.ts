/** A field the server refused, as problem+json lists it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A rule the server cited when it refused a request. */
export interface RuleCitation {
  rule: string;
  clause: string;
  message: string;
}

/** The server's problem+json answer (server/http/problem.ts). */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  errors?: FieldProblem[];
  rules?: RuleCitation[];
}

/** A refused or failed request, carrying the server's problem document. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.title);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string {
    return this.problem.code;
  }
}

let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

/** Keeps the CSRF token of the session (from sign-in or `/api/auth/me`). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** What to do when a request finds the session gone (go to sign-in). */
export function onSessionLost(handler: () => void): void {
  onUnauthenticated = handler;
}

function readCsrfCookie(): string | undefined {
  const m = /(?:^|;\s*)kehou_csrf=([^;]+)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

/**
 * Calls the server's JSON API with the session cookie and, on state-changing requests, the
 * CSRF header. Throws {@link ApiError} with the problem document on any non-2xx answer.
 */
export async function api<T = unknown>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const token = csrfToken ?? readCsrfCookie();
    if (token) headers['x-csrf-token'] = token;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({ title: '无法连接服务器，请检查网络后重试。', status: 0, code: 'OFFLINE' });
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  const data: unknown = type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const problem: Problem =
      data && typeof data === 'object' && 'code' in data
        ? (data as Problem)
        : { title: `HTTP ${res.status}`, status: res.status, code: `HTTP_${res.status}` };
    if (res.status === 401 && problem.code === 'UNAUTHENTICATED') onUnauthenticated?.();
    throw new ApiError(problem);
  }
  return data as T;
}

/** Builds a query string from the defined values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The zh-CN sentence for an error, with its detail and request id where they help. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const p = err.problem;
    const parts = [p.title];
    if (p.rules?.length) parts.push(p.rules.map((r) => `${r.message}（${r.rule}）`).join('；'));
    else if (p.detail && /[\u4e00-\u9fff]/.test(p.detail) && p.detail !== p.title)
      parts.push(p.detail);
    if (p.status >= 500 && p.requestId) parts.push(`请求编号 ${p.requestId}`);
    return parts.join('：');
  }
  return err instanceof Error ? err.message : String(err);
}
