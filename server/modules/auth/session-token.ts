import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session tokens and CSRF tokens. The cookie holds `<token>.<signature>` (HMAC-SHA256 with
 * SESSION_SECRET), so a forged cookie is refused without a database read. The CSRF token is a
 * second HMAC of the same session token ("signed double submit"): the browser app reads it
 * from a readable cookie or from the API and sends it back in `x-csrf-token`; another site can
 * do neither.
 */

/** A new random session token (256 bits). */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The database id of a session: the token's SHA-256. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function mac(secret: string, purpose: string, token: string): string {
  return createHmac('sha256', secret).update(`${purpose}\0${token}`).digest('base64url');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The cookie value for a session token. */
export function signSessionToken(secret: string, token: string): string {
  return `${token}.${mac(secret, 'session', token)}`;
}

/** The session token inside a cookie value, or undefined when the signature is wrong. */
export function unsignSessionToken(secret: string, value: string): string | undefined {
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const token = value.slice(0, dot);
  return equal(value.slice(dot + 1), mac(secret, 'session', token)) ? token : undefined;
}

/** The CSRF token of a session. */
export function csrfTokenOf(secret: string, token: string): string {
  return mac(secret, 'csrf', token);
}

/** True when `candidate` is the CSRF token of the session. */
export function isValidCsrfToken(secret: string, token: string, candidate: string): boolean {
  return equal(candidate, csrfTokenOf(secret, token));
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw.startsWith('"') ? raw.slice(1, -1) : raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
