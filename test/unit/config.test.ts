import path from 'node:path';
import { ConfigError, loadConfig } from '../../server/config';

function errorsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('should apply the documented defaults', () => {
    // when
    const config = loadConfig({});

    // then
    expect(config).toMatchObject({
      PORT: 3000,
      LOG_LEVEL: 'info',
      NODE_ENV: 'development',
      DATA_DIR: './data',
    });
    expect(config.dataDir).toBe(path.resolve('./data'));
    expect(config.MONGODB_URI).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc', /^PORT: /],
    ['PORT', '70000', /^PORT: /],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL: /],
    ['NODE_ENV', 'staging', /^NODE_ENV: /],
    ['MONGODB_URI', 'http://localhost', /^MONGODB_URI: must start with mongodb:\/\//],
    ['SESSION_SECRET', 'short', /^SESSION_SECRET: must be at least 32 characters/],
    ['DATA_ENCRYPTION_KEY', 'not-base64-32', /^DATA_ENCRYPTION_KEY: must be 32 bytes/],
    ['BODY_LIMIT', 'huge', /^BODY_LIMIT: /],
    ['PUBLIC_URL', 'kehou.example', /^PUBLIC_URL: must be an http\(s\) URL/],
    ['WECOM_BASE_URL', 'not a url', /^WECOM_BASE_URL: /],
    ['WECHATPAY_BASE_URL', 'nope', /^WECHATPAY_BASE_URL: /],
  ])('should refuse %s=%s with a message naming the key', (key, value, message) => {
    // when
    const lines = errorsOf({ [key]: value });

    // then
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('should give one line per bad key when several are wrong', () => {
    // when
    const lines = errorsOf({ PORT: '-1', LOG_LEVEL: 'x', NODE_ENV: 'y' });

    // then
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'NODE_ENV', 'PORT']);
  });

  it('should refuse production without its secrets', () => {
    // when
    const lines = errorsOf({ NODE_ENV: 'production' });

    // then
    expect(lines).toEqual([
      'SESSION_SECRET: is required in production',
      'DATA_ENCRYPTION_KEY: is required in production',
    ]);
  });

  it('should accept production with its secrets', () => {
    // given
    const env = {
      NODE_ENV: 'production',
      SESSION_SECRET: 's'.repeat(40),
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      MONGODB_URI: 'mongodb://db.example:27017/kehou',
    };

    // when
    const config = loadConfig(env);

    // then
    expect(config.NODE_ENV).toBe('production');
    expect(config.MONGODB_URI).toBe('mongodb://db.example:27017/kehou');
  });

  it('should take a WeChat Pay merchant whole or not at all, naming what is missing', () => {
    // given
    const whole = {
      WECHATPAY_MCH_ID: '1900000109',
      WECHATPAY_APP_ID: 'wxd678efh567hg6787',
      WECHATPAY_SERIAL_NO: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      WECHATPAY_PRIVATE_KEY_FILE: '/etc/kehou/apiclient_key.pem',
      WECHATPAY_API_V3_KEY: 'a'.repeat(32),
    };

    // when
    const config = loadConfig(whole);
    const partial = errorsOf({ WECHATPAY_MCH_ID: '1900000109', WECHATPAY_APP_ID: 'wx1' });
    const halfKey = errorsOf({ ...whole, WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0114' });
    const shortKey = errorsOf({ ...whole, WECHATPAY_API_V3_KEY: 'short' });

    // then
    expect(config.WECHATPAY_MCH_ID).toBe('1900000109');
    expect(partial.map((l) => l.split(':')[0]).sort()).toEqual([
      'WECHATPAY_API_V3_KEY',
      'WECHATPAY_PRIVATE_KEY_FILE',
      'WECHATPAY_SERIAL_NO',
    ]);
    expect(halfKey).toEqual([
      'WECHATPAY_PUBLIC_KEY_FILE: WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY_FILE go together',
    ]);
    expect(shortKey).toEqual(['WECHATPAY_API_V3_KEY: must be the 32-character APIv3 key']);
  });
});
