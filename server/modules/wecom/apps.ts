import { placeSettingsBase, placeSettingsId } from '../../db/place-settings';
import type { SecretBox } from '../../integrations/secret-box';
import {
  WecomCallbackCrypto,
  type WecomCallbackSettings,
} from '../../integrations/wecom/callback-crypto';
import { WecomClient, type WecomClientOptions } from '../../integrations/wecom/client';
import { UserError, ValidationError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import type { WecomAppDoc, WecomModels } from './wecom.model';

/** A WeCom app as an administrator enters it (secrets in clear, once). */
export interface WecomAppInput {
  corpId: string;
  agentId: number;
  secret: string;
  cardStyle?: 'textcard' | 'template_card';
  callbackToken?: string;
  encodingAesKey?: string;
}

/** A WeCom app as the API shows it: never a secret. */
export interface WecomAppView {
  level: 'school' | 'county';
  placeId: string;
  corpId: string;
  agentId: number;
  cardStyle: 'textcard' | 'template_card';
  hasSecret: boolean;
  hasCallback: boolean;
  /** What to enter as the app's callback URL (接收消息 → URL). */
  callbackUrl: string;
  /** What to enter as the app's trusted domain (网页授权及JS-SDK → 可信域名). */
  trustedDomain: string;
  updatedAt: string;
}

/** A stored app opened for use. */
export interface OpenedApp {
  doc: WecomAppDoc;
  client: WecomClient;
  /** Absent when the callback Token and EncodingAESKey were not entered. */
  crypto?: WecomCallbackCrypto;
}

/**
 * The WeCom apps of the deployment: a school's own, else its county's. Secrets are sealed with
 * DATA_ENCRYPTION_KEY and opened only to build a client; clients are kept per settings version,
 * so a token is not refetched for every message.
 */
export class WecomApps {
  private readonly opened = new Map<string, { stamp: number; app: OpenedApp }>();

  constructor(
    private readonly m: Pick<WecomModels, 'apps'>,
    private readonly opts: { box?: SecretBox; publicUrl: string; client?: WecomClientOptions },
  ) {}

  /** Where WeCom posts one app's callbacks. */
  callbackUrl(level: 'school' | 'county', placeId: string): string {
    return `${this.base()}/api/wecom/callback/${level}/${placeId}`;
  }

  /** This server's public base URL (links in messages, the sign-in's redirect). */
  base(): string {
    return this.opts.publicUrl.replace(/\/+$/, '');
  }

  /** The app of a school: its own, else its county's; undefined when neither is set. */
  async forSchool(place: { schoolId?: string; countyId?: string }): Promise<OpenedApp | undefined> {
    const doc =
      (place.schoolId
        ? await this.m.apps
            .findById(placeSettingsId('wecom', 'school', place.schoolId))
            .lean<WecomAppDoc>()
        : null) ??
      (place.countyId
        ? await this.m.apps
            .findById(placeSettingsId('wecom', 'county', place.countyId))
            .lean<WecomAppDoc>()
        : null);
    return doc ? this.open(doc) : undefined;
  }

  /** A place's own app. */
  async byPlace(level: 'school' | 'county', placeId: string): Promise<OpenedApp | undefined> {
    const doc = await this.m.apps
      .findById(placeSettingsId('wecom', level, placeId))
      .lean<WecomAppDoc>();
    return doc ? this.open(doc) : undefined;
  }

  /** An app by its id (`wecom:<level>:<placeId>`). */
  async byId(id: string): Promise<OpenedApp | undefined> {
    const doc = await this.m.apps.findById(id).lean<WecomAppDoc>();
    return doc ? this.open(doc) : undefined;
  }

  /** Stores a place's app with its secrets sealed; answers the safe view. */
  async save(
    level: 'school' | 'county',
    place: { cityId: string; countyId: string; schoolId?: string },
    input: WecomAppInput,
    by: string,
  ): Promise<WecomAppView> {
    const box = this.opts.box;
    if (!box) throw new UserError(409, 'ENCRYPTION_KEY_MISSING', 'wecom.encryption_key_missing');
    checkInput(input);
    const base = placeSettingsBase('wecom', level, place, by);
    const id = base._id;
    const doc: WecomAppDoc = {
      ...base,
      corpId: input.corpId,
      agentId: input.agentId,
      ...(input.cardStyle ? { cardStyle: input.cardStyle } : {}),
      secretSealed: box.seal(input.secret, `${id}:secret`),
      ...(input.callbackToken && input.encodingAesKey
        ? {
            callbackTokenSealed: box.seal(input.callbackToken, `${id}:callbackToken`),
            encodingAesKeySealed: box.seal(input.encodingAesKey, `${id}:encodingAesKey`),
          }
        : {}),
    };
    // one writer per place: an administrator replacing their own settings
    await this.m.apps.replaceOne({ _id: id }, doc, { upsert: true });
    this.opened.delete(id);
    return this.view(doc);
  }

  /** The safe view of a place's app, or undefined. */
  async get(level: 'school' | 'county', placeId: string): Promise<WecomAppView | undefined> {
    const doc = await this.m.apps
      .findById(placeSettingsId('wecom', level, placeId))
      .lean<WecomAppDoc>();
    return doc ? this.view(doc) : undefined;
  }

  // helpers //////////

  private view(d: WecomAppDoc): WecomAppView {
    return {
      level: d.level,
      placeId: d.placeId,
      corpId: d.corpId,
      agentId: d.agentId,
      cardStyle: d.cardStyle ?? 'textcard',
      hasSecret: Boolean(d.secretSealed),
      hasCallback: Boolean(d.callbackTokenSealed && d.encodingAesKeySealed),
      callbackUrl: this.callbackUrl(d.level, d.placeId),
      trustedDomain: new URL(this.base()).host,
      updatedAt: d.updatedAt.toISOString(),
    };
  }

  private open(d: WecomAppDoc): OpenedApp {
    const stamp = d.updatedAt.getTime();
    const cached = this.opened.get(d._id);
    if (cached?.stamp === stamp) return cached.app;
    const box = this.opts.box;
    if (!box) throw new UserError(409, 'ENCRYPTION_KEY_MISSING', 'wecom.encryption_key_missing');
    const client = new WecomClient(
      { corpId: d.corpId, agentId: d.agentId, secret: box.open(d.secretSealed, `${d._id}:secret`) },
      this.opts.client,
    );
    let crypto: WecomCallbackCrypto | undefined;
    if (d.callbackTokenSealed && d.encodingAesKeySealed) {
      const settings: WecomCallbackSettings = {
        token: box.open(d.callbackTokenSealed, `${d._id}:callbackToken`),
        encodingAesKey: box.open(d.encodingAesKeySealed, `${d._id}:encodingAesKey`),
        receiveId: d.corpId,
      };
      crypto = new WecomCallbackCrypto(settings);
    }
    const app = { doc: d, client, ...(crypto ? { crypto } : {}) };
    this.opened.set(d._id, { stamp, app });
    return app;
  }
}

/** Refuses settings WeCom would never accept (before anything is stored). */
function checkInput(input: WecomAppInput): void {
  const fields: { path: string; message: string }[] = [];
  if (Boolean(input.callbackToken) !== Boolean(input.encodingAesKey))
    fields.push({ path: 'encodingAesKey', message: t('wecom.settings.callback_pair') });
  if (input.encodingAesKey && !/^[A-Za-z0-9]{43}$/.test(input.encodingAesKey))
    fields.push({ path: 'encodingAesKey', message: t('wecom.settings.bad_aes_key') });
  if (fields.length) throw new ValidationError(fields);
}
