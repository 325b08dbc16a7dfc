import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { EngineCollections } from '../store/collections';

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>;

/**
 * Service accounts that may use the /v2 API (job workers, integrations), with scrypt-hashed
 * passwords. Verified credentials are remembered (as a SHA-256 of user and password) so that
 * a busy worker does not pay for scrypt on every request.
 */
export class ServiceAccounts {
  private readonly verified = new Map<string, string>();

  constructor(private readonly c: EngineCollections) {}

  /** Creates the account or changes its password. */
  async ensure(user: string, password: string): Promise<void> {
    const salt = randomBytes(16);
    const hash = await scrypt(password, salt, 32);
    await this.c.accounts.replaceOne(
      { _id: user },
      {
        salt: salt.toString('base64'),
        hash: hash.toString('base64'),
        createdAt: new Date().toISOString(),
      },
      { upsert: true },
    );
    this.verified.delete(user);
  }

  /** True when the user exists and the password is right. */
  async verify(user: string, password: string): Promise<boolean> {
    const fingerprint = createHash('sha256').update(`${user}\0${password}`).digest('base64');
    if (this.verified.get(user) === fingerprint) return true;
    const account = await this.c.accounts.findOne({ _id: user });
    if (!account) return false;
    const expected = Buffer.from(account.hash, 'base64');
    const actual = await scrypt(password, Buffer.from(account.salt, 'base64'), expected.length);
    const ok = timingSafeEqual(expected, actual);
    if (ok) this.verified.set(user, fingerprint);
    return ok;
  }
}
