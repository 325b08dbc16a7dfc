import { X509Certificate, type KeyObject } from 'node:crypto';
import { responseMessage, toPublicKey, verifyMessage } from './signing';

/**
 * Verifying what WeChat Pay sends (responses and callbacks): the `Wechatpay-Serial` header
 * names the key — a platform certificate's serial number (平台证书模式) or a WeChat Pay public
 * key id `PUB_KEY_ID_…` (微信支付公钥模式) — and the signature must verify with it over
 * `timestamp\nnonce\nbody\n`, with the timestamp within 300 seconds of our clock either way.
 */

/** Why something claiming to be from WeChat Pay was refused. */
export type VerificationFailure =
  /** A signature header is missing. */
  | 'missing'
  /** `Wechatpay-Timestamp` is more than the window away from now (a replay or a bad clock). */
  | 'stale'
  /** No key is known under `Wechatpay-Serial`. */
  | 'unknown-serial'
  /** The signature does not verify. */
  | 'forged'
  /** WeChat Pay's probe of the merchant's verification (`WECHATPAY/SIGNTEST/…`). */
  | 'probe';

/** A response or callback failed verification; its content must not be trusted. */
export class WechatPayVerificationError extends Error {
  constructor(
    readonly failure: VerificationFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WechatPayVerificationError';
  }
}

/** The keys WeChat Pay signs with, by serial (certificate serial or public key id). */
export interface WechatPayKeyRing {
  keyFor(serial: string): Promise<KeyObject | undefined>;
}

/** 微信支付公钥模式: one public key under its id (`PUB_KEY_ID_…`), from the merchant platform. */
export class PublicKeyRing implements WechatPayKeyRing {
  private readonly key: KeyObject;
  constructor(
    readonly publicKeyId: string,
    publicKey: KeyObject | string,
  ) {
    this.key = toPublicKey(publicKey);
  }

  keyFor(serial: string): Promise<KeyObject | undefined> {
    return Promise.resolve(serial === this.publicKeyId ? this.key : undefined);
  }
}

/** A platform certificate (平台证书) as `GET /v3/certificates` gives it, decrypted. */
export interface PlatformCertificate {
  serialNo: string;
  pem: string;
  effectiveTime?: string;
  expireTime?: string;
}

/**
 * 平台证书模式: the platform certificates, fetched through the (signed) certificates API and
 * cached; an unknown serial triggers one refetch (certificates rotate), at most once a minute,
 * with concurrent callers sharing it. Expired certificates are not used.
 */
export class PlatformCertificateRing implements WechatPayKeyRing {
  private keys = new Map<string, { key: KeyObject; expires?: number }>();
  private lastFetch = 0;
  private inFlight?: Promise<void>;

  constructor(
    private readonly fetchCertificates: () => Promise<PlatformCertificate[]>,
    private readonly opts: { now?: () => number; refetchAfterMs?: number } = {},
    initial: PlatformCertificate[] = [],
  ) {
    this.add(initial);
  }

  async keyFor(serial: string): Promise<KeyObject | undefined> {
    const now = (this.opts.now ?? Date.now)();
    const known = this.keys.get(serial);
    if (known && (known.expires === undefined || known.expires > now)) return known.key;
    if (this.lastFetch && now - this.lastFetch < (this.opts.refetchAfterMs ?? 60_000))
      return undefined;
    this.inFlight ??= this.fetchCertificates()
      .then((certs) => {
        this.lastFetch = (this.opts.now ?? Date.now)();
        this.keys = new Map();
        this.add(certs);
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    await this.inFlight;
    const fetched = this.keys.get(serial);
    return fetched && (fetched.expires === undefined || fetched.expires > now)
      ? fetched.key
      : undefined;
  }

  private add(certs: PlatformCertificate[]): void {
    for (const c of certs) {
      const cert = new X509Certificate(c.pem);
      const expires = Date.parse(c.expireTime ?? cert.validTo);
      this.keys.set(c.serialNo.toUpperCase(), {
        key: cert.publicKey,
        expires: Number.isNaN(expires) ? undefined : expires,
      });
      if (c.serialNo.toUpperCase() !== c.serialNo)
        this.keys.set(c.serialNo, this.keys.get(c.serialNo.toUpperCase())!);
    }
  }
}

/** Several rings at once (a merchant switching from certificates to the public key). */
export class CombinedKeyRing implements WechatPayKeyRing {
  constructor(private readonly rings: WechatPayKeyRing[]) {}

  async keyFor(serial: string): Promise<KeyObject | undefined> {
    for (const ring of this.rings) {
      const key = await ring.keyFor(serial);
      if (key) return key;
    }
    return undefined;
  }
}

/** The signature headers of a response or callback (names lower-cased, as node gives them). */
export interface SignatureHeaders {
  timestamp?: string;
  nonce?: string;
  signature?: string;
  serial?: string;
}

/** Reads the `Wechatpay-*` headers from node's or fetch's headers. */
export function signatureHeaders(
  headers: Headers | Record<string, string | string[] | undefined>,
): SignatureHeaders {
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    timestamp: get('wechatpay-timestamp'),
    nonce: get('wechatpay-nonce'),
    signature: get('wechatpay-signature'),
    serial: get('wechatpay-serial'),
  };
}

/** Checks signatures with a key ring and a timestamp window (300 s by default). */
export class SignatureVerifier {
  constructor(
    private readonly ring: WechatPayKeyRing,
    private readonly opts: { now?: () => number; windowSeconds?: number } = {},
  ) {}

  /** Throws {@link WechatPayVerificationError} unless `body` is signed and fresh. */
  async verify(h: SignatureHeaders, body: string): Promise<void> {
    if (!h.timestamp || !h.nonce || !h.signature || !h.serial)
      throw new WechatPayVerificationError('missing', 'a Wechatpay-* signature header is missing');
    if (h.signature.startsWith('WECHATPAY/SIGNTEST/'))
      throw new WechatPayVerificationError('probe', 'a signature probe, refused as it must be');
    const sent = Number(h.timestamp);
    const now = Math.floor((this.opts.now ?? Date.now)() / 1000);
    if (!/^\d{1,12}$/.test(h.timestamp) || Math.abs(now - sent) > (this.opts.windowSeconds ?? 300))
      throw new WechatPayVerificationError('stale', 'Wechatpay-Timestamp outside the window');
    const key = await this.ring.keyFor(h.serial);
    if (!key)
      throw new WechatPayVerificationError('unknown-serial', `no key for serial ${h.serial}`);
    if (!verifyMessage(key, responseMessage(h.timestamp, h.nonce, body), h.signature))
      throw new WechatPayVerificationError('forged', 'Wechatpay-Signature does not verify');
  }
}
