import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { buildXml, parseXml, xmlText, XmlFormatError } from './xml';

/**
 * WeCom's callback encryption (企业微信 加解密方案): what its WXBizMsgCrypt libraries do.
 *
 * - `msg_signature` = SHA1 of the token, timestamp, nonce and the encrypted text, sorted as
 *   strings and concatenated, in lower-case hex.
 * - AESKey = Base64_Decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC with the key's first
 *   16 bytes as IV, no cipher padding; PKCS#7 padding to a multiple of 32 bytes done by hand.
 * - Plaintext = random(16) ‖ msg_len(4, big-endian) ‖ msg ‖ ReceiveId, where ReceiveId is the
 *   CorpID for an app's callbacks (the suite id for third-party apps).
 */

/** Why a callback was refused, with the error codes of Tencent's libraries. */
export type WecomCryptoErrorKind =
  | 'signature' // -40001 ValidateSignature_Error
  | 'xml' // -40002 ParseXml_Error
  | 'aes-key' // -40004 IllegalAesKey
  | 'receive-id' // -40005 ValidateCorpid_Error
  | 'decrypt' // -40007 DecryptAES_Error
  | 'buffer'; // -40008 IllegalBuffer

const CODES: Record<WecomCryptoErrorKind, number> = {
  signature: -40001,
  xml: -40002,
  'aes-key': -40004,
  'receive-id': -40005,
  decrypt: -40007,
  buffer: -40008,
};

/** A callback that failed verification or decryption; never retried, never trusted. */
export class WecomCryptoError extends Error {
  /** The code Tencent's WXBizMsgCrypt libraries give the same failure. */
  readonly code: number;
  constructor(
    readonly kind: WecomCryptoErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'WecomCryptoError';
    this.code = CODES[kind];
  }
}

/** The parameters WeCom puts on the callback URL. */
export interface CallbackQuery {
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

/** What one app's callback settings hold (企业微信管理后台 → 应用 → 接收消息 → 设置API接收). */
export interface WecomCallbackSettings {
  /** The Token entered there (letters and digits, up to 32). */
  token: string;
  /** The EncodingAESKey entered there (43 characters). */
  encodingAesKey: string;
  /** The CorpID (企业ID) for an app's callbacks. */
  receiveId: string;
}

/** Verifies, decrypts and encrypts one app's callbacks. */
export class WecomCallbackCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(private readonly settings: WecomCallbackSettings) {
    if (!/^[A-Za-z0-9]{43}$/.test(settings.encodingAesKey))
      throw new WecomCryptoError('aes-key', 'EncodingAESKey must be 43 letters and digits');
    this.key = Buffer.from(`${settings.encodingAesKey}=`, 'base64');
    if (this.key.length !== 32)
      throw new WecomCryptoError('aes-key', 'EncodingAESKey does not decode to 32 bytes');
    this.iv = this.key.subarray(0, 16);
  }

  /** `msg_signature` of an encrypted text. */
  signature(timestamp: string, nonce: string, encrypted: string): string {
    return wecomSignature(this.settings.token, timestamp, nonce, encrypted);
  }

  /**
   * URL verification (验证URL有效性): checks the signature over `echostr`, decrypts it and
   * answers the plaintext to send back as the response body.
   */
  verifyUrl(query: CallbackQuery & { echostr: string }): string {
    this.checkSignature(query, query.echostr);
    return this.decrypt(query.echostr);
  }

  /**
   * A posted callback: reads `<Encrypt>` from the XML body, checks the signature, decrypts it
   * and answers the plaintext XML of the message or event.
   */
  decryptMessage(query: CallbackQuery, body: string): string {
    let encrypted: string | undefined;
    try {
      encrypted = xmlText(parseXml(body), 'Encrypt');
    } catch (err) {
      if (err instanceof XmlFormatError) throw new WecomCryptoError('xml', err.message);
      throw err;
    }
    if (!encrypted) throw new WecomCryptoError('xml', 'no <Encrypt> element');
    this.checkSignature(query, encrypted);
    return this.decrypt(encrypted);
  }

  /** Decrypts a base64 ciphertext and checks its ReceiveId; answers the message. */
  decrypt(encrypted: string): string {
    const { message, receiveId } = this.open(encrypted);
    if (receiveId !== this.settings.receiveId)
      throw new WecomCryptoError('receive-id', 'the message is for another ReceiveId');
    return message;
  }

  /** The plaintext and the ReceiveId of a ciphertext, without checking the ReceiveId. */
  open(encrypted: string): { message: string; receiveId: string } {
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
      decipher.setAutoPadding(false);
      plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
    } catch (err) {
      throw new WecomCryptoError('decrypt', (err as Error).message);
    }
    const pad = plain[plain.length - 1] ?? 0;
    if (pad < 1 || pad > 32 || pad > plain.length)
      throw new WecomCryptoError('decrypt', 'bad PKCS#7 padding');
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw new WecomCryptoError('buffer', 'plaintext too short');
    const length = content.readUInt32BE(16);
    if (20 + length > content.length) throw new WecomCryptoError('buffer', 'bad message length');
    return {
      message: content.subarray(20, 20 + length).toString('utf8'),
      receiveId: content.subarray(20 + length).toString('utf8'),
    };
  }

  /** Encrypts a message for this app's ReceiveId (random prefix unless given). */
  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const msg = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(msg.length);
    const content = Buffer.concat([
      random,
      length,
      msg,
      Buffer.from(this.settings.receiveId, 'utf8'),
    ]);
    const pad = 32 - (content.length % 32);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([
      cipher.update(Buffer.concat([content, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ]).toString('base64');
  }

  /** A passive reply (被动回复) or a posted callback: `<xml>` with Encrypt and its signature. */
  encryptReply(message: string, timestamp: string, nonce: string): string {
    const encrypted = this.encrypt(message);
    return buildXml({
      Encrypt: encrypted,
      MsgSignature: this.signature(timestamp, nonce, encrypted),
      TimeStamp: timestamp,
      Nonce: nonce,
    });
  }

  // helpers //////////

  private checkSignature(query: CallbackQuery, encrypted: string): void {
    const expected = Buffer.from(this.signature(query.timestamp, query.nonce, encrypted));
    const given = Buffer.from(query.msgSignature.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new WecomCryptoError('signature', 'msg_signature does not match');
  }
}

/** SHA1 over the sorted, concatenated strings, lower-case hex (WeCom's `msg_signature`). */
export function wecomSignature(
  token: string,
  timestamp: string,
  nonce: string,
  encrypted: string,
): string {
  return createHash('sha1')
    .update([token, timestamp, nonce, encrypted].sort().join(''))
    .digest('hex');
}
