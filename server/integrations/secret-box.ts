import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (merchant private keys, APIv3 keys, WeCom app secrets): AES-256-GCM with
 * DATA_ENCRYPTION_KEY, a fresh 12-byte IV per value, and what the value is for as associated
 * data, so a sealed value copied into another field or record does not open. Format:
 * `v1.<iv>.<ciphertext+tag>` in base64url. The key never leaves the process; sealed values
 * are never logged or sent by the API.
 */
export class SecretBox {
  private readonly key: Buffer;

  /** `key`: DATA_ENCRYPTION_KEY, 32 bytes in base64. */
  constructor(key: string) {
    this.key = Buffer.from(key, 'base64');
    if (this.key.length !== 32) throw new Error('DATA_ENCRYPTION_KEY must be 32 bytes');
  }

  /** Seals `plaintext` for the purpose `context` (e.g. `wechatpay:school:yh1:apiV3Key`). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** Opens a value sealed for `context`; throws when the key or the context is wrong. */
  open(sealed: string, context: string): string {
    const [version, iv, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !body) throw new Error('not a sealed secret');
    const data = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([
      decipher.update(data.subarray(0, data.length - 16)),
      decipher.final(),
    ]).toString('utf8');
  }
}
