import fs from 'node:fs';
import type { WechatPayMerchant } from './client';

/** The WECHATPAY_* keys of the configuration (server/config.ts). */
export interface WechatPayEnv {
  WECHATPAY_MCH_ID?: string;
  WECHATPAY_APP_ID?: string;
  WECHATPAY_SERIAL_NO?: string;
  WECHATPAY_PRIVATE_KEY_FILE?: string;
  WECHATPAY_API_V3_KEY?: string;
  WECHATPAY_PUBLIC_KEY_ID?: string;
  WECHATPAY_PUBLIC_KEY_FILE?: string;
}

/**
 * The deployment's own merchant from the environment, or undefined when none is configured
 * (config.ts makes the keys all-or-none). The key files are read here, once, at start; a file
 * that cannot be read stops the start with its path (never its content).
 */
export function merchantFromConfig(
  env: WechatPayEnv,
): Omit<WechatPayMerchant, 'notifyUrl'> | undefined {
  if (
    !env.WECHATPAY_MCH_ID ||
    !env.WECHATPAY_APP_ID ||
    !env.WECHATPAY_SERIAL_NO ||
    !env.WECHATPAY_PRIVATE_KEY_FILE ||
    !env.WECHATPAY_API_V3_KEY
  )
    return undefined;
  return {
    mchId: env.WECHATPAY_MCH_ID,
    appId: env.WECHATPAY_APP_ID,
    serialNo: env.WECHATPAY_SERIAL_NO,
    privateKey: readKeyFile('WECHATPAY_PRIVATE_KEY_FILE', env.WECHATPAY_PRIVATE_KEY_FILE),
    apiV3Key: env.WECHATPAY_API_V3_KEY,
    ...(env.WECHATPAY_PUBLIC_KEY_ID && env.WECHATPAY_PUBLIC_KEY_FILE
      ? {
          wechatPayPublicKey: {
            id: env.WECHATPAY_PUBLIC_KEY_ID,
            pem: readKeyFile('WECHATPAY_PUBLIC_KEY_FILE', env.WECHATPAY_PUBLIC_KEY_FILE),
          },
        }
      : {}),
  };
}

function readKeyFile(key: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
