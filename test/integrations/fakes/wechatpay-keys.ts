import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WechatPayMerchant } from '../../../server/integrations/wechatpay/client';

/**
 * Keys for a WeChat Pay contract server: Tencent publishes no private keys, so the merchant's
 * API key pair, the platform certificate and the WeChat Pay public key are made here. The
 * certificate comes from the openssl CLI (node cannot issue one), which also serves as the
 * independent check of our signatures in the tests.
 */
export interface WechatPayTestKeys {
  merchant: { privatePem: string; publicPem: string; serialNo: string };
  /** The platform's key with a self-signed certificate (平台证书). */
  platform: { privatePem: string; certPem: string; serialNo: string };
  /** The WeChat Pay public key (微信支付公钥) and its id. */
  publicKey: { privatePem: string; publicPem: string; id: string };
  apiV3Key: string;
}

/**
 * The merchant settings that go with `keys` in the public-key mode (微信支付公钥), for merchant
 * `mchId` paid through `appId`; where results are posted is the caller's.
 */
export function publicKeyMerchant(
  keys: WechatPayTestKeys,
  mchId: string,
  appId: string,
): Omit<WechatPayMerchant, 'notifyUrl'> {
  return {
    mchId,
    appId,
    serialNo: keys.merchant.serialNo,
    privateKey: keys.merchant.privatePem,
    apiV3Key: keys.apiV3Key,
    wechatPayPublicKey: { id: keys.publicKey.id, pem: keys.publicKey.publicPem },
  };
}

/** Makes a fresh set of keys (RSA 2048). */
export function makeWechatPayKeys(): WechatPayTestKeys {
  const merchant = rsaPair();
  const publicKey = rsaPair();
  const dir = mkdtempSync(path.join(tmpdir(), 'kehou-wxpay-'));
  try {
    const keyFile = path.join(dir, 'platform.key');
    const certFile = path.join(dir, 'platform.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '30',
        '-subj',
        '/C=CN/O=Tenpay.com/CN=Tenpay.com Root CA test',
      ],
      { stdio: 'ignore' },
    );
    const certPem = readFileSync(certFile, 'utf8');
    return {
      merchant: {
        ...merchant,
        serialNo: randomBytes(20).toString('hex').toUpperCase(),
      },
      platform: {
        privatePem: readFileSync(keyFile, 'utf8'),
        certPem,
        serialNo: new X509Certificate(certPem).serialNumber.toUpperCase(),
      },
      publicKey: {
        ...publicKey,
        id: `PUB_KEY_ID_0114${randomBytes(10).toString('hex').toUpperCase()}`,
      },
      apiV3Key: randomBytes(16).toString('hex'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rsaPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
