import { createHash } from 'node:crypto';

/**
 * A typed client of WeCom's server API (企业微信服务端API, education edition) for one app of
 * one corp: `gettoken`, application messages to staff (`message/send`), school notifications
 * to parents (`externalcontact/message/send`), the school contact book (`school/user/get`) and
 * the web sign-in (`auth/getuserinfo`, `school/getuserinfo`).
 *
 * Every decision is taken on `errcode` alone (WeCom answers HTTP 200 for nearly everything and
 * its `errmsg` wording changes):
 * - 0: success.
 * - 40014 / 42001 / 41001 (invalid, expired, missing access_token): the token is dropped from
 *   the cache, fetched again, and the call retried once.
 * - 40001 / 40013 / 40091 / 60020 (bad secret, bad CorpID, secret invalid, IP not on the
 *   app's allow list): configuration errors, never retried ({@link WecomApiError} `config`).
 * - -1 (system busy): retried up to 3 times with a growing pause.
 * - 45009 / 45033 (API frequency or concurrency limits): not retried here; the error carries
 *   a back-off the caller waits out ({@link WecomApiError} `rate-limited`).
 * - anything else: refused ({@link WecomApiError} `refused`).
 */

/** Where WeCom's server API lives. */
export const WECOM_BASE_URL = 'https://qyapi.weixin.qq.com';

/** Where WeCom's web sign-in (OAuth 2) starts. */
export const WECOM_OAUTH_URL = 'https://open.weixin.qq.com/connect/oauth2/authorize';

/** One app of one corp (企业微信管理后台 → 应用管理 → 自建应用). */
export interface WecomApp {
  /** 企业ID (我的企业 → 企业信息). */
  corpId: string;
  /** The app's AgentId. */
  agentId: number;
  /** The app's Secret. Never logged. */
  secret: string;
}

/** How the client talks (all optional). */
export interface WecomClientOptions {
  /** Default {@link WECOM_BASE_URL}; a contract server in tests. */
  baseUrl?: string;
  /** Default {@link WECOM_OAUTH_URL}. */
  oauthUrl?: string;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  /** Waits between retries of -1 (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** The token cache; default the process-wide one, so apps sharing a secret share a token. */
  tokens?: WecomTokenCache;
  /** Refresh a token this long before WeCom says it expires (default 5 minutes). */
  refreshMarginMs?: number;
  /** Retries of errcode -1 (default 3). */
  busyRetries?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/** What an errcode means to the caller. */
export type WecomErrorKind = 'token' | 'config' | 'busy' | 'rate-limited' | 'refused';

const TOKEN_CODES = new Set([40014, 42001, 41001]);
const CONFIG_CODES = new Set([40001, 40013, 40091, 60020]);
const RATE_CODES = new Set([45009, 45033]);

/** The kind of a non-zero errcode. */
export function errorKindOf(errcode: number): WecomErrorKind {
  if (TOKEN_CODES.has(errcode)) return 'token';
  if (CONFIG_CODES.has(errcode)) return 'config';
  if (errcode === -1) return 'busy';
  if (RATE_CODES.has(errcode)) return 'rate-limited';
  return 'refused';
}

/** WeCom answered with a non-zero errcode that the client did not absorb. */
export class WecomApiError extends Error {
  readonly kind: WecomErrorKind;
  /** How long to wait before trying again (rate limits and busy). */
  readonly retryAfterMs?: number;
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly path: string,
  ) {
    super(`WeCom ${path} errcode ${errcode}: ${errmsg}`);
    this.name = 'WecomApiError';
    this.kind = errorKindOf(errcode);
    // 45009 is a per-minute budget of the API; 45033 a concurrency cap that clears quickly
    if (errcode === 45009) this.retryAfterMs = 60_000;
    else if (errcode === 45033) this.retryAfterMs = 2_000;
    else if (errcode === -1) this.retryAfterMs = 30_000;
  }

  /** Whether trying again later may succeed. */
  get isTransient(): boolean {
    return this.kind === 'busy' || this.kind === 'rate-limited' || this.kind === 'token';
  }
}

/** WeCom could not be reached or did not answer JSON (always transient). */
export class WecomTransportError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'WecomTransportError';
  }
}

/** A link card: title, a short text and where a tap leads. */
export interface WecomCard {
  title: string;
  description: string;
  /** An absolute https URL (the task or the notification in the web app). */
  url: string;
  /** The button text of a textcard (default 详情). */
  buttonText?: string;
}

/** An application message to staff (message/send). */
export interface AppMessage {
  /** Member UserIDs, at most 1,000; sent `|`-joined. */
  toUsers: string[];
  card: WecomCard;
  /** `textcard` (default) or a `template_card` of type `text_notice`. */
  style?: 'textcard' | 'template_card';
  /** WeCom drops the same content sent again within this many seconds (default 1,800). */
  duplicateCheckSeconds?: number;
}

/** What message/send answered. */
export interface AppMessageResult {
  msgId?: string;
  /** Recipients WeCom did not know or the app may not reach. */
  invalidUsers: string[];
  /** Recipients without an account licence (接口许可). */
  unlicensedUsers: string[];
}

/** A school notification to parents (externalcontact/message/send, 学校通知). */
export interface SchoolMessage {
  /** parent_userid of the school contact book (家校通讯录). */
  toParents?: string[];
  /** student_userid: reaches the student's parents (and the student, per recvScope). */
  toStudents?: string[];
  /** 0: students and parents, 1: parents only, 2: students only (default 1). */
  recvScope?: 0 | 1 | 2;
  card: WecomCard;
  duplicateCheckSeconds?: number;
}

/** What externalcontact/message/send answered. */
export interface SchoolMessageResult {
  invalidParents: string[];
  invalidStudents: string[];
}

/** Who a sign-in code belongs to (auth/getuserinfo, school/getuserinfo). */
export type WecomVisitor =
  | { kind: 'member'; userId: string }
  | { kind: 'parent'; parentUserId: string; externalUserId?: string }
  | { kind: 'student'; studentUserId: string }
  | { kind: 'other'; openId?: string };

/** A student or a parent of the school contact book (school/user/get). */
export type SchoolContact =
  | {
      kind: 'student';
      studentUserId: string;
      name: string;
      parents: { parentUserId: string; relation: string; mobile?: string }[];
    }
  | {
      kind: 'parent';
      parentUserId: string;
      mobile?: string;
      children: { studentUserId: string; relation: string; name?: string }[];
    };

/**
 * Access tokens per corp and secret, shared by every client of the process: refreshed before
 * expiry, fetched by one caller while the others wait for the same answer (single flight).
 */
export class WecomTokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<string>>();

  /** The valid token of `key`, fetching one (once for all concurrent callers) when needed. */
  async get(
    key: string,
    now: number,
    fetchToken: () => Promise<{ token: string; expiresInMs: number }>,
  ): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > now) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = (async () => {
        try {
          const got = await fetchToken();
          this.tokens.set(key, { token: got.token, expiresAt: now + got.expiresInMs });
          return got.token;
        } finally {
          this.inflight.delete(key);
        }
      })();
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Drops `token` if it is still the cached one (a newer token is kept). */
  invalidate(key: string, token: string): void {
    if (this.tokens.get(key)?.token === token) this.tokens.delete(key);
  }
}

/** The process-wide token cache. */
export const sharedWecomTokens = new WecomTokenCache();

/** The client of one app. */
export class WecomClient {
  readonly baseUrl: string;
  private readonly oauthUrl: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly tokens: WecomTokenCache;
  private readonly tokenKey: string;
  private readonly marginMs: number;
  private readonly busyRetries: number;
  private readonly timeoutMs: number;

  constructor(
    readonly app: WecomApp,
    opts: WecomClientOptions = {},
  ) {
    this.baseUrl = (opts.baseUrl ?? WECOM_BASE_URL).replace(/\/+$/, '');
    this.oauthUrl = opts.oauthUrl ?? WECOM_OAUTH_URL;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.tokens = opts.tokens ?? sharedWecomTokens;
    // the secret is part of the key (a new secret gets a new token) but never kept in clear
    this.tokenKey = `${app.corpId}:${createHash('sha256').update(app.secret).digest('hex').slice(0, 24)}`;
    this.marginMs = opts.refreshMarginMs ?? 5 * 60_000;
    this.busyRetries = opts.busyRetries ?? 3;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** A valid access token (cached; fetched when missing or about to expire). */
  accessToken(): Promise<string> {
    return this.tokens.get(this.tokenKey, this.now(), async () => {
      const res = await this.withBusyRetries('/cgi-bin/gettoken', () =>
        this.request('GET', '/cgi-bin/gettoken', {
          corpid: this.app.corpId,
          corpsecret: this.app.secret,
        }),
      );
      const token = stringOf(res.access_token);
      if (!token) throw new WecomTransportError('gettoken answered no token', '/cgi-bin/gettoken');
      const seconds = typeof res.expires_in === 'number' ? res.expires_in : 7200;
      return { token, expiresInMs: Math.max(0, seconds * 1000 - this.marginMs) };
    });
  }

  /** Sends an application message (textcard or template_card) to members. */
  async sendAppMessage(msg: AppMessage): Promise<AppMessageResult> {
    if (msg.toUsers.length === 0 || msg.toUsers.length > 1000)
      throw new RangeError('message/send takes 1 to 1,000 recipients');
    const style = msg.style ?? 'textcard';
    const body = {
      touser: msg.toUsers.join('|'),
      msgtype: style,
      agentid: this.app.agentId,
      ...(style === 'textcard'
        ? {
            textcard: {
              title: msg.card.title,
              description: msg.card.description,
              url: msg.card.url,
              btntxt: msg.card.buttonText ?? '详情',
            },
          }
        : {
            template_card: {
              card_type: 'text_notice',
              main_title: { title: msg.card.title, desc: '' },
              sub_title_text: msg.card.description,
              card_action: { type: 1, url: msg.card.url },
            },
          }),
      enable_duplicate_check: 1,
      duplicate_check_interval: msg.duplicateCheckSeconds ?? 1800,
    };
    const path = '/cgi-bin/message/send';
    let res: Record<string, unknown>;
    try {
      res = await this.call('POST', path, {}, body);
    } catch (err) {
      // 81013: every recipient invalid; the message went to nobody
      if (err instanceof WecomApiError && err.errcode === 81013)
        return { invalidUsers: [...msg.toUsers], unlicensedUsers: [] };
      throw err;
    }
    return {
      ...(stringOf(res.msgid) ? { msgId: stringOf(res.msgid) } : {}),
      invalidUsers: splitBar(res.invaliduser),
      unlicensedUsers: splitBar(res.unlicenseduser),
    };
  }

  /** Sends a school notification (学校通知) to parents, as a news card. */
  async sendSchoolMessage(msg: SchoolMessage): Promise<SchoolMessageResult> {
    const parents = msg.toParents ?? [];
    const students = msg.toStudents ?? [];
    if (parents.length + students.length === 0)
      throw new RangeError('externalcontact/message/send needs a parent or a student');
    const res = await this.call(
      'POST',
      '/cgi-bin/externalcontact/message/send',
      {},
      {
        recv_scope: msg.recvScope ?? 1,
        ...(parents.length ? { to_parent_userid: parents } : {}),
        ...(students.length ? { to_student_userid: students } : {}),
        toall: 0,
        msgtype: 'news',
        agentid: this.app.agentId,
        news: {
          articles: [
            { title: msg.card.title, description: msg.card.description, url: msg.card.url },
          ],
        },
        enable_id_trans: 0,
        enable_duplicate_check: 1,
        duplicate_check_interval: msg.duplicateCheckSeconds ?? 1800,
      },
    );
    return {
      invalidParents: stringArray(res.invalid_parent_userid),
      invalidStudents: stringArray(res.invalid_student_userid),
    };
  }

  /** A student or parent of the school contact book; undefined when WeCom has none (60111). */
  async schoolContact(userId: string): Promise<SchoolContact | undefined> {
    let res: Record<string, unknown>;
    try {
      res = await this.call('GET', '/cgi-bin/school/user/get', { userid: userId });
    } catch (err) {
      if (err instanceof WecomApiError && (err.errcode === 60111 || err.errcode === 46004))
        return undefined;
      throw err;
    }
    if (res.user_type === 1 && isRecord(res.student)) {
      const s = res.student;
      return {
        kind: 'student',
        studentUserId: stringOf(s.student_userid) ?? userId,
        name: stringOf(s.name) ?? '',
        parents: (Array.isArray(s.parents) ? s.parents : []).filter(isRecord).map((p) => ({
          parentUserId: stringOf(p.parent_userid) ?? '',
          relation: stringOf(p.relation) ?? '',
          ...(stringOf(p.mobile) ? { mobile: stringOf(p.mobile) } : {}),
        })),
      };
    }
    if (res.user_type === 2 && isRecord(res.parent)) {
      const p = res.parent;
      return {
        kind: 'parent',
        parentUserId: stringOf(p.parent_userid) ?? userId,
        ...(stringOf(p.mobile) ? { mobile: stringOf(p.mobile) } : {}),
        children: (Array.isArray(p.children) ? p.children : []).filter(isRecord).map((c) => ({
          studentUserId: stringOf(c.student_userid) ?? '',
          relation: stringOf(c.relation) ?? '',
          ...(stringOf(c.name) ? { name: stringOf(c.name) } : {}),
        })),
      };
    }
    return undefined;
  }

  /** Who a sign-in code belongs to: a member or a parent (auth/getuserinfo). */
  async visitor(code: string): Promise<WecomVisitor> {
    const res = await this.call('GET', '/cgi-bin/auth/getuserinfo', { code }, undefined, false);
    return visitorOf(res);
  }

  /** Who a sign-in code of the school's parent app belongs to (school/getuserinfo). */
  async schoolVisitor(code: string): Promise<WecomVisitor> {
    const res = await this.call('GET', '/cgi-bin/school/getuserinfo', { code }, undefined, false);
    return visitorOf(res);
  }

  /** The URL that starts WeCom's web sign-in (snsapi_base) and comes back to `redirectUri`. */
  authorizeUrl(redirectUri: string, state: string): string {
    const q = new URLSearchParams({
      appid: this.app.corpId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'snsapi_base',
      state,
      agentid: String(this.app.agentId),
    });
    return `${this.oauthUrl}?${q.toString()}#wechat_redirect`;
  }

  // helpers //////////

  /**
   * One API call with the access token: refetches the token and retries once on a token
   * error, retries -1, throws everything else. `retryBusy` is off for one-use codes, whose
   * second try would fail anyway.
   */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body?: unknown,
    retryBusy = true,
  ): Promise<Record<string, unknown>> {
    let tokenRetried = false;
    for (;;) {
      const token = await this.accessToken();
      const attempt = () => this.request(method, path, { ...query, access_token: token }, body);
      try {
        return retryBusy ? await this.withBusyRetries(path, attempt) : await attempt();
      } catch (err) {
        if (err instanceof WecomApiError && err.kind === 'token' && !tokenRetried) {
          this.tokens.invalidate(this.tokenKey, token);
          tokenRetried = true;
          continue;
        }
        throw err;
      }
    }
  }

  private async withBusyRetries(
    path: string,
    attempt: () => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (err) {
        if (err instanceof WecomApiError && err.kind === 'busy' && retry < this.busyRetries) {
          await this.sleep(500 * 2 ** retry);
          continue;
        }
        throw err;
      }
    }
  }

  /** One HTTP exchange; a non-zero errcode becomes a {@link WecomApiError}. */
  private async request(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(query).toString()}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new WecomTransportError(`WeCom unreachable: ${(err as Error).message}`, path);
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new WecomTransportError(`WeCom answered HTTP ${res.status} without JSON`, path);
    }
    if (!isRecord(json))
      throw new WecomTransportError(`WeCom answered HTTP ${res.status} without JSON`, path);
    const errcode = typeof json.errcode === 'number' ? json.errcode : 0;
    if (errcode !== 0) throw new WecomApiError(errcode, stringOf(json.errmsg) ?? '', path);
    return json;
  }
}

function visitorOf(res: Record<string, unknown>): WecomVisitor {
  const userId = stringOf(res.userid) ?? stringOf(res.UserId);
  if (userId) return { kind: 'member', userId };
  const parentUserId = stringOf(res.parent_userid);
  if (parentUserId)
    return {
      kind: 'parent',
      parentUserId,
      ...(stringOf(res.external_userid) ? { externalUserId: stringOf(res.external_userid) } : {}),
    };
  const studentUserId = stringOf(res.student_userid);
  if (studentUserId) return { kind: 'student', studentUserId };
  const openId = stringOf(res.openid) ?? stringOf(res.OpenId);
  return { kind: 'other', ...(openId ? { openId } : {}) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function splitBar(v: unknown): string[] {
  return typeof v === 'string' && v !== '' ? v.split('|') : [];
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
