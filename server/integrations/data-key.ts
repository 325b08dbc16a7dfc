import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SecretBox } from './secret-box';

/**
 * The box that seals merchant keys and app secrets at rest. Production takes
 * DATA_ENCRYPTION_KEY (required there, config.ts); elsewhere, without it, a key is generated
 * once into `<DATA_DIR>/data-encryption.key` (mode 0600) so secrets entered in a development
 * or demo installation still open after a restart. The key is never logged.
 */
export function dataEncryptionBox(config: {
  DATA_ENCRYPTION_KEY?: string;
  NODE_ENV: string;
  dataDir: string;
}): SecretBox {
  if (config.DATA_ENCRYPTION_KEY) return new SecretBox(config.DATA_ENCRYPTION_KEY);
  if (config.NODE_ENV === 'production')
    throw new Error('DATA_ENCRYPTION_KEY is required in production');
  const file = path.join(config.dataDir, 'data-encryption.key');
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return new SecretBox(fs.readFileSync(file, 'utf8').trim());
}
