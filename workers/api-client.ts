import { TransientError } from '../server/lib/errors';

/** Where the Kehou Flow server is and the service account the workers act as. */
export interface KehouApiOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** A user of kind `service` holding the `worker` role (HTTP Basic). */
  username: string;
  password: string;
}

/** A refusal of the server (4xx): its problem code, title and the rules it cites. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly rules: { rule: string; clause: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiRefusal';
  }
}

/**
 * The domain API as the job workers see it: JSON over HTTP with the worker's service account.
 * Network failures and 5xx answers are transient (the job is retried); 4xx answers are
 * {@link ApiRefusal}s the worker decides about.
 */
export class KehouApi {
  private readonly authorization: string;

  constructor(private readonly opts: KehouApiOptions) {
    this.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  }

  /** GET a JSON resource. */
  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  /** POST a JSON body; answers the JSON response (or undefined for 204). */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.opts.baseUrl), {
        method,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new TransientError(
        'API_UNREACHABLE',
        'error.transient',
        `${method} ${path} failed: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (res.status >= 500 || res.status === 429)
      throw new TransientError(
        'API_UNAVAILABLE',
        'error.transient',
        `${method} ${path} answered ${res.status}`,
      );
    if (res.status >= 400) {
      const problem = (json ?? {}) as {
        code?: string;
        title?: string;
        detail?: string;
        rules?: { rule: string; clause: string; message: string }[];
      };
      throw new ApiRefusal(
        res.status,
        problem.code ?? 'HTTP_' + res.status,
        problem.detail ?? problem.title ?? `${method} ${path} answered ${res.status}`,
        problem.rules,
      );
    }
    return json as T;
  }
}
