import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AEAD_AES_256_GCM with the APIv3 key (回调报文解密, 平台证书解密): the 32-character APIv3
 * key set in the merchant platform is the AES-256 key as ASCII bytes, `nonce` the 12-byte IV,
 * `associated_data` the AAD, and the Base64 `ciphertext` ends with the 16-byte tag.
 */

/** An encrypted resource as WeChat Pay sends it. */
export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  nonce: string;
  associated_data?: string;
  original_type?: string;
}

/** The resource could not be decrypted: wrong APIv3 key, or forged or damaged content. */
export class AeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AeadError';
  }
}

/** The APIv3 key as an AES-256 key; refuses anything but 32 bytes. */
export function apiV3KeyBytes(apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new AeadError('the APIv3 key must be 32 bytes');
  return key;
}

/** Decrypts a resource with the APIv3 key; answers the plaintext (UTF-8). */
export function decryptResource(resource: EncryptedResource, apiV3Key: string): string {
  if (resource.algorithm !== 'AEAD_AES_256_GCM')
    throw new AeadError(`unsupported algorithm ${String(resource.algorithm)}`);
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length < 17) throw new AeadError('ciphertext too short');
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      apiV3KeyBytes(apiV3Key),
      Buffer.from(resource.nonce, 'utf8'),
    );
    decipher.setAuthTag(data.subarray(data.length - 16));
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    return Buffer.concat([
      decipher.update(data.subarray(0, data.length - 16)),
      decipher.final(),
    ]).toString('utf8');
  } catch (err) {
    if (err instanceof AeadError) throw err;
    throw new AeadError('resource failed authentication');
  }
}

/** Encrypts a resource the way WeChat Pay does (for contract servers and tests). */
export function encryptResource(
  plaintext: string,
  apiV3Key: string,
  associatedData = 'transaction',
  nonce = randomBytes(6).toString('hex'),
): EncryptedResource {
  const cipher = createCipheriv('aes-256-gcm', apiV3KeyBytes(apiV3Key), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: Buffer.concat([body, cipher.getAuthTag()]).toString('base64'),
    nonce,
    associated_data: associatedData,
  };
}
