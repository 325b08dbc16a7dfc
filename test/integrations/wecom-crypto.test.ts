import { execFileSync } from 'node:child_process';
import {
  WecomCallbackCrypto,
  WecomCryptoError,
  wecomSignature,
} from '../../server/integrations/wecom/callback-crypto';
import { buildXml, parseXml, xmlText } from '../../server/integrations/wecom/xml';

/**
 * WeCom's callback encryption against Tencent's published sample (the WXBizMsgCrypt samples:
 * Token "QDG6eK", EncodingAESKey "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", CorpID
 * "wx5823bf96d3bd56c7"), and our own encryption checked by the openssl CLI.
 */
const SAMPLE = {
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: 'wx5823bf96d3bd56c7',
};

/** 验证URL: GET with msg_signature, timestamp, nonce, echostr. */
const VERIFY_URL = {
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr:
    'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
};

/** 对用户回复的消息解密: POST with msg_signature, timestamp, nonce and the XML body. */
const POSTED = {
  msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  body: '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>',
};

describe('WeCom callback crypto', () => {
  const crypto = new WecomCallbackCrypto(SAMPLE);

  it("should verify the sample URL verification and answer the echostr's plaintext", () => {
    // given the sample GET
    // when
    const echo = crypto.verifyUrl(VERIFY_URL);

    // then the signature is the documented one and the plaintext is the random number sent
    expect(
      wecomSignature(SAMPLE.token, VERIFY_URL.timestamp, VERIFY_URL.nonce, VERIFY_URL.echostr),
    ).toBe(VERIFY_URL.msgSignature);
    expect(echo).toMatch(/^\d+$/);
  });

  it('should verify and decrypt the sample posted message', () => {
    // when
    const xml = crypto.decryptMessage(POSTED, POSTED.body);

    // then
    const msg = parseXml(xml);
    expect(msg).toEqual({
      ToUserName: 'wx5823bf96d3bd56c7',
      FromUserName: 'mycreate',
      CreateTime: '1409659813',
      MsgType: 'text',
      Content: 'hello',
      MsgId: '4561255354251345929',
      AgentID: '218',
    });
  });

  it('should refuse a forged signature, another corp and a bad key', () => {
    expect(() => crypto.verifyUrl({ ...VERIFY_URL, nonce: '263014781' })).toThrow(
      expect.objectContaining({ kind: 'signature', code: -40001 }),
    );
    expect(() =>
      crypto.decryptMessage({ ...POSTED, msgSignature: '0'.repeat(40) }, POSTED.body),
    ).toThrow(WecomCryptoError);
    const otherCorp = new WecomCallbackCrypto({ ...SAMPLE, receiveId: 'wwotherorg' });
    expect(() => otherCorp.verifyUrl(VERIFY_URL)).toThrow(
      expect.objectContaining({ kind: 'receive-id', code: -40005 }),
    );
    expect(() => new WecomCallbackCrypto({ ...SAMPLE, encodingAesKey: 'short' })).toThrow(
      expect.objectContaining({ kind: 'aes-key' }),
    );
    expect(() => crypto.decryptMessage(POSTED, '<xml><Nothing/></xml>')).toThrow(
      expect.objectContaining({ kind: 'xml' }),
    );
  });

  it('should refuse XML with a DTD (no entity expansion)', () => {
    const evil =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>';
    expect(() => crypto.decryptMessage(POSTED, evil)).toThrow(
      expect.objectContaining({ kind: 'xml' }),
    );
  });

  it('should round-trip its own encryption, padded to 32 bytes, readable by openssl', () => {
    // given messages of several lengths, one filling whole blocks (a full block of padding)
    const whole = 'x'.repeat(64 - 20 - SAMPLE.receiveId.length);
    for (const text of ['', 'a', '家校通知'.repeat(3), whole, 'y'.repeat(64)]) {
      // when
      const encrypted = crypto.encrypt(text);

      // then we read it back, and the ciphertext is whole 32-byte blocks
      expect(crypto.decrypt(encrypted)).toBe(text);
      expect(Buffer.from(encrypted, 'base64').length % 32).toBe(0);
    }

    // and openssl, knowing only the key, decrypts the same bytes (no padding removal, by hand)
    const message = '<xml><Content><![CDATA[课后服务]]></Content></xml>';
    const encrypted = crypto.encrypt(message);
    const key = Buffer.from(`${SAMPLE.encodingAesKey}=`, 'base64');
    const plain = execFileSync(
      'openssl',
      [
        'enc',
        '-d',
        '-aes-256-cbc',
        '-nopad',
        '-K',
        key.toString('hex'),
        '-iv',
        key.subarray(0, 16).toString('hex'),
      ],
      { input: Buffer.from(encrypted, 'base64') },
    );
    const pad = plain[plain.length - 1]!;
    expect(pad).toBeGreaterThanOrEqual(1);
    expect(pad).toBeLessThanOrEqual(32);
    expect(plain.length % 32).toBe(0);
    const length = plain.readUInt32BE(16);
    expect(plain.subarray(20, 20 + length).toString('utf8')).toBe(message);
    expect(plain.subarray(20 + length, plain.length - pad).toString('utf8')).toBe(SAMPLE.receiveId);
  });

  it('should build a passive reply that verifies as a posted message', () => {
    // when
    const reply = crypto.encryptReply('<xml><MsgType>text</MsgType></xml>', '1700000000', 'n1');

    // then
    const fields = parseXml(reply);
    const msgSignature = xmlText(fields, 'MsgSignature')!;
    expect(
      crypto.decryptMessage({ msgSignature, timestamp: '1700000000', nonce: 'n1' }, reply),
    ).toBe('<xml><MsgType>text</MsgType></xml>');
    expect(buildXml({ A: 'x]]>y', B: 3 })).toBe(
      '<xml><A><![CDATA[x]]]]><![CDATA[>y]]></A><B>3</B></xml>',
    );
    expect(parseXml(buildXml({ A: 'x]]>y' }))).toEqual({ A: 'x]]>y' });
  });
});
