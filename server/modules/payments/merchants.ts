import { createPrivateKey, createPublicKey } from 'node:crypto';
import { placeSettingsBase, placeSettingsId } from '../../db/place-settings';
import { SecretBox } from '../../integrations/secret-box';
import {
  WechatPayClient,
  type WechatPayClientOptions,
  type WechatPayMerchant,
} from '../../integrations/wechatpay/client';
import { UserError, ValidationError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import type { MerchantSettingsDoc, PaymentModels } from './payments.model';

/**
 * Which WeChat Pay merchant collects a school's fees: the school's own, else its county's
 * (both entered by their administrators, secrets sealed with DATA_ENCRYPTION_KEY), else the
 * one in the environment (`WECHATPAY_*`). No merchant: WeChat Pay is off for that school.
 */
export interface MerchantDirectory {
  forSchool(place: { schoolId: string; countyId: string }): Promise<WechatPayClient | undefined>;
  byMchId(mchId: string): Promise<WechatPayClient | undefined>;
  all(): Promise<WechatPayClient[]>;
}

/** A merchant's settings as an administrator enters them (secrets in clear, once). */
export interface MerchantSettingsInput {
  mchId: string;
  appId: string;
  serialNo: string;
  privateKeyPem: string;
  apiV3Key: string;
  publicKeyId?: string;
  publicKeyPem?: string;
}

/** A merchant's settings as the API shows them: never a secret. */
export interface MerchantSettingsView {
  level: 'school' | 'county';
  placeId: string;
  mchId: string;
  appId: string;
  serialNo: string;
  publicKeyId?: string;
  hasPrivateKey: boolean;
  hasApiV3Key: boolean;
  notifyUrl: string;
  updatedAt: string;
}

/** The merchants of the deployment. */
export class Merchants implements MerchantDirectory {
  private readonly clients = new Map<string, { stamp: number; client: WechatPayClient }>();

  constructor(
    private readonly m: Pick<PaymentModels, 'merchants'>,
    private readonly opts: {
      /** The merchant from the environment, if configured. */
      fallback?: Omit<WechatPayMerchant, 'notifyUrl'>;
      /** Seals the secrets administrators enter; without it they cannot be stored. */
      box?: SecretBox;
      /** This server's public base URL (callbacks). */
      publicUrl: string;
      client?: WechatPayClientOptions;
    },
  ) {}

  /** Where WeChat Pay posts one merchant's callbacks. */
  notifyUrl(mchId: string): string {
    return `${this.opts.publicUrl.replace(/\/+$/, '')}/api/payments/wechatpay/notify/${mchId}`;
  }

  async forSchool(place: {
    schoolId: string;
    countyId: string;
  }): Promise<WechatPayClient | undefined> {
    const own =
      (await this.m.merchants
        .findById(placeSettingsId('wechatpay', 'school', place.schoolId))
        .lean<MerchantSettingsDoc>()) ??
      (await this.m.merchants
        .findById(placeSettingsId('wechatpay', 'county', place.countyId))
        .lean<MerchantSettingsDoc>());
    if (own) return this.clientOf(own);
    return this.fallbackClient();
  }

  async byMchId(mchId: string): Promise<WechatPayClient | undefined> {
    if (this.opts.fallback?.mchId === mchId) return this.fallbackClient();
    const doc = (await this.m.merchants.find({ mchId }).limit(1).lean<MerchantSettingsDoc[]>())[0];
    return doc ? this.clientOf(doc) : undefined;
  }

  async all(): Promise<WechatPayClient[]> {
    const docs = await this.m.merchants.find({}).lean<MerchantSettingsDoc[]>();
    const byMch = new Map<string, WechatPayClient>();
    const fallback = this.fallbackClient();
    if (fallback) byMch.set(fallback.merchant.mchId, fallback);
    for (const d of docs) if (!byMch.has(d.mchId)) byMch.set(d.mchId, this.clientOf(d));
    return [...byMch.values()];
  }

  /** Stores a school's or county's merchant, its secrets sealed; answers the safe view. */
  async save(
    level: 'school' | 'county',
    place: { cityId: string; countyId: string; schoolId?: string },
    input: MerchantSettingsInput,
    by: string,
  ): Promise<MerchantSettingsView> {
    if (!this.opts.box)
      throw new UserError(409, 'ENCRYPTION_KEY_MISSING', 'payments.encryption_key_missing');
    checkKeys(input);
    const base = placeSettingsBase('wechatpay', level, place, by);
    const id = base._id;
    const doc: MerchantSettingsDoc = {
      ...base,
      mchId: input.mchId,
      appId: input.appId,
      serialNo: input.serialNo.toUpperCase(),
      privateKeySealed: this.opts.box.seal(input.privateKeyPem, `${id}:privateKey`),
      apiV3KeySealed: this.opts.box.seal(input.apiV3Key, `${id}:apiV3Key`),
      ...(input.publicKeyId ? { publicKeyId: input.publicKeyId } : {}),
      ...(input.publicKeyPem ? { publicKeyPem: input.publicKeyPem } : {}),
    };
    // one writer per place: an administrator replacing their own settings
    await this.m.merchants.replaceOne({ _id: id }, doc, { upsert: true });
    this.clients.delete(id);
    return this.view(doc);
  }

  /** The safe view of a place's settings, or undefined. */
  async get(
    level: 'school' | 'county',
    placeId: string,
  ): Promise<MerchantSettingsView | undefined> {
    const doc = await this.m.merchants
      .findById(placeSettingsId('wechatpay', level, placeId))
      .lean<MerchantSettingsDoc>();
    return doc ? this.view(doc) : undefined;
  }

  // helpers //////////

  private view(d: MerchantSettingsDoc): MerchantSettingsView {
    return {
      level: d.level,
      placeId: d.placeId,
      mchId: d.mchId,
      appId: d.appId,
      serialNo: d.serialNo,
      ...(d.publicKeyId ? { publicKeyId: d.publicKeyId } : {}),
      hasPrivateKey: Boolean(d.privateKeySealed),
      hasApiV3Key: Boolean(d.apiV3KeySealed),
      notifyUrl: this.notifyUrl(d.mchId),
      updatedAt: d.updatedAt.toISOString(),
    };
  }

  private fallbackClient(): WechatPayClient | undefined {
    const f = this.opts.fallback;
    if (!f) return undefined;
    const cached = this.clients.get('env');
    if (cached) return cached.client;
    const client = new WechatPayClient(
      { ...f, notifyUrl: this.notifyUrl(f.mchId) },
      this.opts.client,
    );
    this.clients.set('env', { stamp: 0, client });
    return client;
  }

  private clientOf(d: MerchantSettingsDoc): WechatPayClient {
    const stamp = d.updatedAt.getTime();
    const cached = this.clients.get(d._id);
    if (cached?.stamp === stamp) return cached.client;
    if (!this.opts.box)
      throw new UserError(409, 'ENCRYPTION_KEY_MISSING', 'payments.encryption_key_missing');
    const client = new WechatPayClient(
      {
        mchId: d.mchId,
        appId: d.appId,
        serialNo: d.serialNo,
        privateKey: this.opts.box.open(d.privateKeySealed, `${d._id}:privateKey`),
        apiV3Key: this.opts.box.open(d.apiV3KeySealed, `${d._id}:apiV3Key`),
        ...(d.publicKeyId && d.publicKeyPem
          ? { wechatPayPublicKey: { id: d.publicKeyId, pem: d.publicKeyPem } }
          : {}),
        notifyUrl: this.notifyUrl(d.mchId),
      },
      this.opts.client,
    );
    this.clients.set(d._id, { stamp, client });
    return client;
  }
}

/** Refuses settings whose keys do not parse (before anything is stored). */
function checkKeys(input: MerchantSettingsInput): void {
  const fields: { path: string; message: string }[] = [];
  try {
    createPrivateKey(input.privateKeyPem);
  } catch {
    fields.push({ path: 'privateKeyPem', message: t('payments.settings.bad_private_key') });
  }
  if (Buffer.byteLength(input.apiV3Key, 'utf8') !== 32)
    fields.push({ path: 'apiV3Key', message: t('payments.settings.bad_api_v3_key') });
  if (input.publicKeyPem) {
    try {
      createPublicKey(input.publicKeyPem);
    } catch {
      fields.push({ path: 'publicKeyPem', message: t('payments.settings.bad_public_key') });
    }
  }
  if (Boolean(input.publicKeyId) !== Boolean(input.publicKeyPem))
    fields.push({ path: 'publicKeyId', message: t('payments.settings.public_key_pair') });
  if (fields.length) throw new ValidationError(fields);
}
