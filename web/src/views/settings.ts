import { api, ApiError, describeError } from '../api';
import { h, notice, replace, toast, type Child } from '../dom';
import { formatTime, t, type TextKey } from '../i18n';
import type { View } from '../router';
import { currentUser, type Me } from '../session';
import { field, holdsAny, SETTINGS_EDITORS, showFieldProblems } from './daily-common';
import './daily.css';

/** `GET /api/payments/merchants/:level/:placeId`: never a secret. */
interface Merchant {
  mchId: string;
  appId: string;
  serialNo: string;
  publicKeyId?: string;
  hasPrivateKey: boolean;
  hasApiV3Key: boolean;
  notifyUrl: string;
  updatedAt: string;
}

/** `GET /api/wecom/apps/:level/:placeId`: never a secret. */
interface WecomApp {
  corpId: string;
  agentId: number;
  cardStyle: 'textcard' | 'template_card';
  hasSecret: boolean;
  hasCallback: boolean;
  callbackUrl: string;
  trustedDomain: string;
  updatedAt: string;
}

interface PlaceRef {
  level: 'school' | 'county';
  placeId: string;
  name: string;
}

/** The school or county whose settings the person keeps (the first that applies). */
async function placeOf(me: Me): Promise<PlaceRef | undefined> {
  const school = me.memberships.find(
    (m) => (m.role === 'schoolAdmin' || m.role === 'principal') && m.scope.schoolId,
  );
  if (school) {
    const schools = await api<{ items: { id: string; name: string }[] }>(
      'GET',
      '/api/org/schools?limit=200',
    ).catch(() => ({ items: [] }));
    const id = school.scope.schoolId!;
    return {
      level: 'school',
      placeId: id,
      name: schools.items.find((s) => s.id === id)?.name ?? id,
    };
  }
  const county = me.memberships.find((m) => m.role === 'countyBureau' && m.scope.countyId);
  if (county) return { level: 'county', placeId: county.scope.countyId!, name: county.roleName };
  return undefined;
}

/** A GET that answers undefined for "nothing set yet" (404). */
async function optional<T>(path: string): Promise<T | undefined> {
  try {
    return await api<T>('GET', path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** "已设置" / "未设置" next to a write-only secret's label. */
function secretState(isSet: boolean | undefined): HTMLElement {
  return h(
    'span',
    { class: `status secret-state ${isSet ? 'status-enrolled' : ''}`, 'data-set': String(!!isSet) },
    t(isSet ? 'settings.set' : 'settings.not_set'),
  );
}

/** A field whose label carries the secret's state; the input is never filled from the server. */
function secretField(
  id: string,
  label: TextKey,
  control: HTMLElement,
  isSet?: boolean,
): HTMLElement {
  const f = field(id, t(label), control);
  f.querySelector('label')!.append(' ', secretState(isSet));
  return f;
}

/**
 * A settings card: the form `id` headed `title`, its `children`, and a save button for those
 * who may edit; for the others every field is disabled.
 */
function settingsForm(
  id: string,
  headingId: string,
  title: string,
  canEdit: boolean,
  ...children: Child[]
): HTMLFormElement {
  const form = h(
    'form',
    {
      class: 'card settings-form',
      id,
      novalidate: true,
      'aria-labelledby': headingId,
    },
    h('h2', { id: headingId }, title),
    ...children,
    canEdit
      ? h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit', class: 'primary' }, t('settings.save')),
        )
      : null,
  );
  if (!canEdit)
    form.querySelectorAll('input, textarea, select').forEach((e) => e.setAttribute('disabled', ''));
  return form;
}

/**
 * On submit, sends `save()`; when it is stored, clears the field problems, hands the stored
 * settings to `saved` (to forget the secrets typed and show what is set) and says so in
 * `status`; when refused, marks the fields and says why.
 */
function onSave<T>(
  form: HTMLFormElement,
  status: HTMLElement,
  save: () => Promise<T>,
  saved: (value: T) => void,
): void {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void save().then(
      (value) => {
        showFieldProblems(form, undefined);
        saved(value);
        replace(status, notice(t('settings.saved'), 'ok'));
        toast(t('settings.saved'));
      },
      (err: unknown) => {
        const rest = showFieldProblems(form, err);
        replace(
          status,
          notice([describeError(err), ...rest.map((p) => p.message)].join('\n'), 'error'),
        );
      },
    );
  });
}

/**
 * /settings: the WeChat Pay merchant and the WeCom app of the administrator's school (or the
 * county bureau's county). Secrets are write-only: never shown back, "已设置" when set.
 */
export const settingsView: View = async (main, ctx) => {
  const me = currentUser()!;
  const heading = h('h1', {}, t('settings.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  let place: PlaceRef | undefined;
  let merchant: Merchant | undefined;
  let app: WecomApp | undefined;
  try {
    place = await placeOf(me);
    if (place) {
      const path = `${place.level}/${encodeURIComponent(place.placeId)}`;
      [merchant, app] = await Promise.all([
        optional<Merchant>(`/api/payments/merchants/${path}`),
        optional<WecomApp>(`/api/wecom/apps/${path}`),
      ]);
    }
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  if (!place) {
    replace(main, heading, notice(t('app.forbidden'), 'error'));
    return;
  }
  const canEdit = holdsAny(me, SETTINGS_EDITORS);
  const path = `${place.level}/${encodeURIComponent(place.placeId)}`;
  replace(
    main,
    heading,
    h('p', { class: 'lead' }, t('settings.place', { place: place.name })),
    canEdit ? h('p', { class: 'hint' }, t('settings.secret_hint')) : notice(t('settings.readonly')),
    merchantForm(path, merchant, canEdit),
    wecomForm(path, app, canEdit),
  );
};

function merchantForm(path: string, m: Merchant | undefined, canEdit: boolean): HTMLElement {
  const mchId = h('input', {
    name: 'mchId',
    inputmode: 'numeric',
    value: m?.mchId ?? '',
    required: true,
  });
  const appId = h('input', { name: 'appId', value: m?.appId ?? '', required: true });
  const serialNo = h('input', { name: 'serialNo', value: m?.serialNo ?? '', required: true });
  const privateKeyPem = h('textarea', {
    name: 'privateKeyPem',
    rows: 4,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const apiV3Key = h('input', { name: 'apiV3Key', type: 'password', autocomplete: 'new-password' });
  const publicKeyId = h('input', { name: 'publicKeyId', value: m?.publicKeyId ?? '' });
  const publicKeyPem = h('textarea', { name: 'publicKeyPem', rows: 3, spellcheck: 'false' });
  const info = h('div', { class: 'merchant-info' });
  const showInfo = (v: Merchant | undefined) =>
    replace(
      info,
      v
        ? [
            h('p', { class: 'meta' }, t('settings.pay.notify_url', { url: v.notifyUrl })),
            h('p', { class: 'meta' }, t('settings.updated_at', { at: formatTime(v.updatedAt) })),
          ]
        : h('p', { class: 'empty' }, t('settings.pay.none')),
    );
  showInfo(m);
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const keyField = secretField(
    'pay-private-key',
    'settings.pay.private_key',
    privateKeyPem,
    m?.hasPrivateKey,
  );
  const v3Field = secretField(
    'pay-api-v3-key',
    'settings.pay.api_v3_key',
    apiV3Key,
    m?.hasApiV3Key,
  );
  const form = settingsForm(
    'merchant-form',
    'pay-h',
    t('settings.pay.title'),
    canEdit,
    info,
    field('pay-mch-id', t('settings.pay.mch_id'), mchId),
    field('pay-app-id', t('settings.pay.app_id'), appId),
    field('pay-serial-no', t('settings.pay.serial_no'), serialNo),
    keyField,
    v3Field,
    field('pay-public-key-id', t('settings.pay.public_key_id'), publicKeyId),
    field('pay-public-key', t('settings.pay.public_key'), publicKeyPem),
    status,
  );
  onSave(
    form,
    status,
    () =>
      api<Merchant>('PUT', `/api/payments/merchants/${path}`, {
        mchId: mchId.value.trim(),
        appId: appId.value.trim(),
        serialNo: serialNo.value.trim(),
        privateKeyPem: privateKeyPem.value.trim(),
        apiV3Key: apiV3Key.value,
        ...(publicKeyId.value.trim() ? { publicKeyId: publicKeyId.value.trim() } : {}),
        ...(publicKeyPem.value.trim() ? { publicKeyPem: publicKeyPem.value.trim() } : {}),
      }),
    (saved) => {
      privateKeyPem.value = '';
      apiV3Key.value = '';
      publicKeyPem.value = '';
      keyField.querySelector('.secret-state')!.replaceWith(secretState(saved.hasPrivateKey));
      v3Field.querySelector('.secret-state')!.replaceWith(secretState(saved.hasApiV3Key));
      showInfo(saved);
    },
  );
  return form;
}

function wecomForm(path: string, a: WecomApp | undefined, canEdit: boolean): HTMLElement {
  const corpId = h('input', { name: 'corpId', value: a?.corpId ?? '', required: true });
  const agentId = h('input', {
    name: 'agentId',
    inputmode: 'numeric',
    value: a ? String(a.agentId) : '',
    required: true,
  });
  const secret = h('input', { name: 'secret', type: 'password', autocomplete: 'new-password' });
  const cardStyle = h(
    'select',
    { name: 'cardStyle' },
    (['textcard', 'template_card'] as const).map((c) =>
      h('option', { value: c, selected: a?.cardStyle === c }, t(`settings.wecom.card.${c}`)),
    ),
  );
  const token = h('input', {
    name: 'callbackToken',
    type: 'password',
    autocomplete: 'new-password',
  });
  const aesKey = h('input', {
    name: 'encodingAesKey',
    type: 'password',
    autocomplete: 'new-password',
  });
  const info = h('div', { class: 'wecom-info' });
  const showInfo = (v: WecomApp | undefined) =>
    replace(
      info,
      v
        ? [
            h('p', { class: 'meta' }, t('settings.wecom.callback_url', { url: v.callbackUrl })),
            h(
              'p',
              { class: 'meta' },
              t('settings.wecom.trusted_domain', { domain: v.trustedDomain }),
            ),
            h('p', { class: 'meta' }, t('settings.updated_at', { at: formatTime(v.updatedAt) })),
          ]
        : h('p', { class: 'empty' }, t('settings.wecom.none')),
    );
  showInfo(a);
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const secretBox = secretField('wecom-secret', 'settings.wecom.secret', secret, a?.hasSecret);
  const tokenBox = secretField('wecom-token', 'settings.wecom.token', token, a?.hasCallback);
  const aesBox = secretField('wecom-aes-key', 'settings.wecom.aes_key', aesKey, a?.hasCallback);
  const form = settingsForm(
    'wecom-form',
    'wecom-h',
    t('settings.wecom.title'),
    canEdit,
    info,
    field('wecom-corp-id', t('settings.wecom.corp_id'), corpId),
    field('wecom-agent-id', t('settings.wecom.agent_id'), agentId),
    secretBox,
    field('wecom-card-style', t('settings.wecom.card_style'), cardStyle),
    tokenBox,
    aesBox,
    status,
  );
  onSave(
    form,
    status,
    () =>
      api<WecomApp>('PUT', `/api/wecom/apps/${path}`, {
        corpId: corpId.value.trim(),
        agentId: Number(agentId.value.trim()),
        secret: secret.value,
        cardStyle: cardStyle.value,
        ...(token.value ? { callbackToken: token.value } : {}),
        ...(aesKey.value ? { encodingAesKey: aesKey.value } : {}),
      }),
    (saved) => {
      secret.value = '';
      token.value = '';
      aesKey.value = '';
      secretBox.querySelector('.secret-state')!.replaceWith(secretState(saved.hasSecret));
      tokenBox.querySelector('.secret-state')!.replaceWith(secretState(saved.hasCallback));
      aesBox.querySelector('.secret-state')!.replaceWith(secretState(saved.hasCallback));
      showInfo(saved);
    },
  );
  return form;
}
