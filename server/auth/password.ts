import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt from node's crypto (no native add-on to build). A hash is
 * self-describing, `scrypt$<N>$<r>$<p>$<salt>$<hash>`, so the cost can be raised later and old
 * hashes still verify.
 */

const N = 16_384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** Longest password accepted: bounds the work one request can cause. */
export const MAX_PASSWORD_LENGTH = 128;

function scrypt(
  password: string,
  salt: Buffer,
  n: number,
  r: number,
  p: number,
  len: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, len, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, P, KEY_LENGTH);
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `hash`; false for a malformed hash. Constant time per length. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!n || !r || !p || expected.length === 0) return false;
  const actual = await scrypt(password, Buffer.from(parts[4]!, 'base64'), n, r, p, expected.length);
  return timingSafeEqual(expected, actual);
}

/**
 * A hash of a random password, for verifying against when an account does not exist, so that
 * "no such account" takes as long as "wrong password".
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
let dummy: Promise<string> | undefined;

/** The password policy: at least 8 characters, with letters and digits. */
export function isStrongPassword(password: string): boolean {
  return (
    password.length >= 8 &&
    password.length <= MAX_PASSWORD_LENGTH &&
    /[A-Za-z]/.test(password) &&
    /\d/.test(password)
  );
}
