import {
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/**
 * WeChat Pay API v3 signatures (签名生成 / 签名验证): SHA256 with RSA (PKCS#1 v1.5) over
 * newline-terminated lines, Base64-encoded.
 *
 * - A request: `METHOD\nURL\ntimestamp\nnonce\nbody\n`, where URL is the path with its query
 *   string (no scheme or host) and body is the exact JSON sent (empty for GET). Sent as
 *   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
 * - A response or a callback: `timestamp\nnonce\nbody\n` from the `Wechatpay-Timestamp`,
 *   `Wechatpay-Nonce` headers and the raw body; the signature in `Wechatpay-Signature`, the
 *   key named by `Wechatpay-Serial` (a platform certificate's serial or a `PUB_KEY_ID_…`).
 * - JSAPI pay parameters: `appId\ntimeStamp\nnonceStr\npackage\n`, signed with the same key.
 */

/** The authentication scheme of API v3. */
export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** A PEM string or a key object as a private key. */
export function toPrivateKey(key: KeyObject | string): KeyObject {
  return typeof key === 'string' ? createPrivateKey(key) : key;
}

/** A PEM public key or certificate, or a key object, as a public key. */
export function toPublicKey(key: KeyObject | string): KeyObject {
  return typeof key === 'string' ? createPublicKey(key) : key;
}

/** 32 hex characters of randomness (a nonce_str). */
export function nonceStr(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** The five lines a request signature covers. */
export function requestMessage(
  method: string,
  pathWithQuery: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The three lines a response or callback signature covers. */
export function responseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** SHA256withRSA over `message`, Base64. */
export function signMessage(privateKey: KeyObject, message: string): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(privateKey, 'base64');
}

/** True when `signature` (Base64) is `message` signed by the key's owner. */
export function verifyMessage(publicKey: KeyObject, message: string, signature: string): boolean {
  try {
    return createVerify('RSA-SHA256')
      .update(message, 'utf8')
      .verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** The merchant's signing identity. */
export interface MerchantSigner {
  mchId: string;
  /** The serial number of the merchant API certificate (商户API证书序列号). */
  serialNo: string;
  privateKey: KeyObject;
}

/** The `Authorization` header of one request. */
export function authorizationHeader(
  signer: MerchantSigner,
  request: { method: string; pathWithQuery: string; body: string },
  at: { timestamp: string; nonce: string } = {
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: nonceStr(),
  },
): string {
  const signature = signMessage(
    signer.privateKey,
    requestMessage(request.method, request.pathWithQuery, at.timestamp, at.nonce, request.body),
  );
  return (
    `${AUTH_SCHEME} mchid="${signer.mchId}",nonce_str="${at.nonce}",` +
    `signature="${signature}",timestamp="${at.timestamp}",serial_no="${signer.serialNo}"`
  );
}

/** The parts of an `Authorization` header, or undefined when it is not API v3's. */
export function parseAuthorization(
  header: string | undefined,
): Record<'mchid' | 'nonce_str' | 'signature' | 'timestamp' | 'serial_no', string> | undefined {
  if (!header?.startsWith(`${AUTH_SCHEME} `)) return undefined;
  const parts: Record<string, string> = {};
  for (const m of header.slice(AUTH_SCHEME.length + 1).matchAll(/(\w+)="([^"]*)"/g))
    parts[m[1]!] = m[2]!;
  const { mchid, nonce_str, signature, timestamp, serial_no } = parts;
  if (!mchid || !nonce_str || !signature || !timestamp || !serial_no) return undefined;
  return { mchid, nonce_str, signature, timestamp, serial_no };
}

/** The parameters `wx.requestPayment` / `WeixinJSBridge` take for a JSAPI prepay id. */
export interface JsapiPayParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** Signs the JSAPI pay parameters (调起支付签名) for `prepayId`. */
export function jsapiPayParams(
  appId: string,
  prepayId: string,
  privateKey: KeyObject,
  at: { timestamp: string; nonce: string } = {
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: nonceStr(),
  },
): JsapiPayParams {
  const pkg = `prepay_id=${prepayId}`;
  return {
    appId,
    timeStamp: at.timestamp,
    nonceStr: at.nonce,
    package: pkg,
    signType: 'RSA',
    paySign: signMessage(privateKey, `${appId}\n${at.timestamp}\n${at.nonce}\n${pkg}\n`),
  };
}
