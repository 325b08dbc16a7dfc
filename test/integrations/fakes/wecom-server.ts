import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { URL } from 'node:url';
import { WecomCallbackCrypto } from '../../../server/integrations/wecom/callback-crypto';
import { buildXml } from '../../../server/integrations/wecom/xml';

/**
 * A contract server of WeCom's server API as documented (企业微信服务端API): `gettoken` with
 * tokens that live `expires_in` seconds of the fake's own clock (and can all be expired mid-run),
 * 41001 / 40014 / 42001 for a missing, unknown or expired token, 40013 / 40001 / 60020 for a bad
 * CorpID, secret or caller IP; `message/send` with `|`-joined recipients, `invaliduser` for
 * unknown members, 81013 when nobody is valid, duplicate check, and WeCom's per-member limit
 * (30 a minute, 1,000 an hour per app; beyond it messages are dropped silently, as WeCom does);
 * `externalcontact/message/send` with `invalid_parent_userid` / `invalid_student_userid`; the
 * school contact book (`school/user/get`, 60111 for nobody); one-use sign-in codes
 * (`auth/getuserinfo`, `school/getuserinfo`, 40029 otherwise); and encrypted callbacks.
 */
export interface FakeWecom {
  url: string;
  /** The fake's clock in ms (tokens, codes and limits); move it with {@link advance}. */
  now: number;
  advance(ms: number): void;
  /** Every token issued so far becomes expired (42001 on its next use). */
  expireTokens(): void;
  /** Answers the next n requests to `path` with this errcode (-1, 45009, 45033, …). */
  failNext(path: string, n: number, errcode: number): void;
  /** Refuses gettoken from "this IP" (60020) while set. */
  blockIp: boolean;
  /** Members of the corp's contact book (staff UserIDs). */
  members: Set<string>;
  /** Members without an account licence (unlicenseduser). */
  unlicensed: Set<string>;
  /** The school contact book: parents and students. */
  parents: Map<string, FakeParent>;
  students: Map<string, { name: string }>;
  /** Application messages delivered, one row per recipient. */
  appMessages: FakeDelivered[];
  /** School notifications delivered, one row per parent or student. */
  schoolMessages: FakeDelivered[];
  /** Messages WeCom dropped because a member's limit was reached. */
  dropped: FakeDelivered[];
  /** Every request: method, path, errcode answered. */
  log: { method: string; path: string; errcode: number }[];
  /** How many tokens gettoken issued. */
  tokensIssued: number;
  /** A one-use sign-in code for a member or a parent. */
  issueCode(who: { userId: string } | { parentUserId: string }): string;
  /** A callback as WeCom posts it to the app's URL: query and encrypted XML body. */
  callback(xml: Record<string, string | number>): { query: Record<string, string>; body: string };
  /** The URL verification WeCom does when the URL is saved: query with echostr. */
  verification(echo: string): Record<string, string>;
  close(): Promise<void>;
}

/** A parent of the school contact book. */
export interface FakeParent {
  mobile: string;
  children: { studentUserId: string; relation: string }[];
}

/** One recipient of one delivered message. */
export interface FakeDelivered {
  to: string;
  msgtype: string;
  title: string;
  url: string;
  at: number;
}

/** The app the fake serves. */
export interface FakeWecomApp {
  corpId: string;
  agentId: number;
  secret: string;
  /** Callback settings (Token, EncodingAESKey). */
  token: string;
  encodingAesKey: string;
}

/** Starts the contract server for one app. */
export async function startFakeWecom(app: FakeWecomApp): Promise<FakeWecom> {
  const tokens = new Map<string, { expiresAt: number }>();
  const codes = new Map<
    string,
    { who: { userId: string } | { parentUserId: string }; at: number }
  >();
  const failures = new Map<string, { n: number; errcode: number }>();
  const sentTimes = new Map<string, number[]>();
  const duplicates = new Map<string, number>();
  const crypto = new WecomCallbackCrypto({
    token: app.token,
    encodingAesKey: app.encodingAesKey,
    receiveId: app.corpId,
  });
  let seq = 0;

  const fake: FakeWecom = {
    url: '',
    now: Date.parse('2026-10-12T08:00:00Z'),
    advance(ms) {
      fake.now += ms;
    },
    expireTokens() {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    failNext(path, n, errcode) {
      failures.set(path, { n, errcode });
    },
    blockIp: false,
    members: new Set(),
    unlicensed: new Set(),
    parents: new Map(),
    students: new Map(),
    appMessages: [],
    schoolMessages: [],
    dropped: [],
    log: [],
    tokensIssued: 0,
    issueCode(who) {
      const code = `code-${++seq}-${Math.random().toString(36).slice(2)}`;
      codes.set(code, { who, at: fake.now });
      return code;
    },
    callback(fields) {
      const timestamp = String(Math.floor(fake.now / 1000));
      const nonce = `n${++seq}`;
      const encrypted = crypto.encrypt(buildXml(fields));
      return {
        query: {
          msg_signature: crypto.signature(timestamp, nonce, encrypted),
          timestamp,
          nonce,
        },
        body: buildXml({ ToUserName: app.corpId, AgentID: app.agentId, Encrypt: encrypted }),
      };
    },
    verification(echo) {
      const timestamp = String(Math.floor(fake.now / 1000));
      const nonce = `n${++seq}`;
      const echostr = crypto.encrypt(echo);
      return {
        msg_signature: crypto.signature(timestamp, nonce, echostr),
        timestamp,
        nonce,
        echostr,
      };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  /** Checks the access_token; answers the errcode to return, or 0. */
  function tokenError(url: URL): number {
    const token = url.searchParams.get('access_token');
    if (!token) return 41001;
    const t = tokens.get(token);
    if (!t) return 40014;
    if (t.expiresAt <= fake.now) return 42001;
    return 0;
  }

  /** Takes one of a member's per-app slots; false when WeCom would drop the message. */
  function withinLimit(to: string): boolean {
    const times = (sentTimes.get(to) ?? []).filter((t) => t > fake.now - 3600_000);
    const lastMinute = times.filter((t) => t > fake.now - 60_000).length;
    if (lastMinute >= 30 || times.length >= 1000) return false;
    times.push(fake.now);
    sentTimes.set(to, times);
    return true;
  }

  function isDuplicate(body: Record<string, unknown>): boolean {
    if (body.enable_duplicate_check !== 1) return false;
    const key = JSON.stringify(body);
    const interval =
      (typeof body.duplicate_check_interval === 'number' ? body.duplicate_check_interval : 1800) *
      1000;
    const last = duplicates.get(key);
    duplicates.set(key, fake.now);
    return last !== undefined && fake.now - last < interval;
  }

  function handle(method: string, url: URL, body: Record<string, unknown>): object {
    const path = url.pathname;
    const failure = failures.get(path);
    if (failure && failure.n > 0) {
      failure.n--;
      return { errcode: failure.errcode, errmsg: 'injected' };
    }
    if (path === '/cgi-bin/gettoken') {
      if (fake.blockIp) return { errcode: 60020, errmsg: 'not allow to access from your ip' };
      if (url.searchParams.get('corpid') !== app.corpId)
        return { errcode: 40013, errmsg: 'invalid corpid' };
      if (url.searchParams.get('corpsecret') !== app.secret)
        return { errcode: 40001, errmsg: 'invalid credential' };
      const token = `tok-${++fake.tokensIssued}-${Math.random().toString(36).slice(2)}`;
      tokens.set(token, { expiresAt: fake.now + 7200_000 });
      return { errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 };
    }
    const te = tokenError(url);
    if (te) return { errcode: te, errmsg: 'access_token problem' };

    if (path === '/cgi-bin/message/send' && method === 'POST') {
      if (body.agentid !== app.agentId) return { errcode: 40056, errmsg: 'invalid agentid' };
      const msgtype = String(body.msgtype);
      const card = body[msgtype] as Record<string, unknown> | undefined;
      if (!card) return { errcode: 40008, errmsg: 'invalid message type' };
      const to = String(body.touser ?? '')
        .split('|')
        .filter(Boolean);
      const invalid = to.filter((u) => !fake.members.has(u));
      const unlicensed = to.filter((u) => fake.members.has(u) && fake.unlicensed.has(u));
      const valid = to.filter((u) => fake.members.has(u) && !fake.unlicensed.has(u));
      if (valid.length === 0 && unlicensed.length === 0)
        return { errcode: 81013, errmsg: 'user & party & tag all invalid' };
      if (!isDuplicate(body)) {
        const title =
          msgtype === 'textcard'
            ? String(card.title)
            : String((card.main_title as Record<string, unknown>).title);
        const link =
          msgtype === 'textcard'
            ? String(card.url)
            : String((card.card_action as Record<string, unknown>).url);
        for (const u of valid) {
          const row = { to: u, msgtype, title, url: link, at: fake.now };
          if (withinLimit(u)) fake.appMessages.push(row);
          else fake.dropped.push(row);
        }
      }
      return {
        errcode: 0,
        errmsg: 'ok',
        invaliduser: invalid.join('|'),
        ...(unlicensed.length ? { unlicenseduser: unlicensed.join('|') } : {}),
        msgid: `msg-${++seq}`,
      };
    }

    if (path === '/cgi-bin/externalcontact/message/send' && method === 'POST') {
      if (body.agentid !== app.agentId) return { errcode: 40056, errmsg: 'invalid agentid' };
      const parents = (body.to_parent_userid as string[] | undefined) ?? [];
      const students = (body.to_student_userid as string[] | undefined) ?? [];
      const invalidParents = parents.filter((p) => !fake.parents.has(p));
      const invalidStudents = students.filter((s) => !fake.students.has(s));
      const news = body.news as { articles: { title: string; url: string }[] } | undefined;
      const article = news?.articles[0];
      if (!article) return { errcode: 40008, errmsg: 'invalid message type' };
      if (!isDuplicate(body)) {
        const reached = new Set(parents.filter((p) => fake.parents.has(p)));
        if (body.recv_scope !== 2)
          for (const [pid, p] of fake.parents)
            if (p.children.some((c) => students.includes(c.studentUserId))) reached.add(pid);
        for (const to of reached) {
          const row = { to, msgtype: 'news', title: article.title, url: article.url, at: fake.now };
          if (withinLimit(`parent:${to}`)) fake.schoolMessages.push(row);
          else fake.dropped.push(row);
        }
      }
      return {
        errcode: 0,
        errmsg: 'ok',
        invalid_parent_userid: invalidParents,
        invalid_student_userid: invalidStudents,
        invalid_party: [],
      };
    }

    if (path === '/cgi-bin/school/user/get') {
      const id = url.searchParams.get('userid') ?? '';
      const parent = fake.parents.get(id);
      if (parent)
        return {
          errcode: 0,
          errmsg: 'ok',
          user_type: 2,
          parent: {
            parent_userid: id,
            mobile: parent.mobile,
            is_subscribe: 1,
            children: parent.children.map((c) => ({
              student_userid: c.studentUserId,
              relation: c.relation,
            })),
          },
        };
      const student = fake.students.get(id);
      if (student)
        return {
          errcode: 0,
          errmsg: 'ok',
          user_type: 1,
          student: {
            student_userid: id,
            name: student.name,
            department: [1],
            parents: [...fake.parents]
              .filter(([, p]) => p.children.some((c) => c.studentUserId === id))
              .map(([pid, p]) => ({
                parent_userid: pid,
                relation: p.children.find((c) => c.studentUserId === id)!.relation,
                mobile: p.mobile,
                is_subscribe: 1,
              })),
          },
        };
      return { errcode: 60111, errmsg: 'userid not found' };
    }

    if (path === '/cgi-bin/auth/getuserinfo' || path === '/cgi-bin/school/getuserinfo') {
      const code = url.searchParams.get('code') ?? '';
      const c = codes.get(code);
      codes.delete(code);
      if (!c || fake.now - c.at > 5 * 60_000) return { errcode: 40029, errmsg: 'invalid code' };
      if ('userId' in c.who) {
        if (path === '/cgi-bin/school/getuserinfo')
          return { errcode: 40029, errmsg: 'invalid code' };
        return { errcode: 0, errmsg: 'ok', userid: c.who.userId };
      }
      return path === '/cgi-bin/auth/getuserinfo'
        ? {
            errcode: 0,
            errmsg: 'ok',
            parent_userid: c.who.parentUserId,
            external_userid: `wm${c.who.parentUserId}`,
          }
        : { errcode: 0, errmsg: 'ok', parent_userid: c.who.parentUserId, DeviceId: 'dev' };
    }

    return { errcode: 404, errmsg: 'unknown api' };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      let body: Record<string, unknown> = {};
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          body = {};
        }
      }
      const answer = handle(req.method ?? 'GET', url, body) as { errcode: number };
      fake.log.push({ method: req.method ?? 'GET', path: url.pathname, errcode: answer.errcode });
      // WeCom answers HTTP 200 with the outcome in errcode, errors included
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
