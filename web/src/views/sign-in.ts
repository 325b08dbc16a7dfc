import { api, ApiError, describeError } from '../api';
import { h, notice, replace } from '../dom';
import { t } from '../i18n';
import { navigate, type View } from '../router';
import { setCurrentUser, type Me } from '../session';

/** Sign-in by phone (parents) or by username (staff), with the password. */
export const signInView: View = (main, ctx) => {
  let mode: 'phone' | 'username' = ctx.query.get('mode') === 'username' ? 'username' : 'phone';
  const status = h('div', { class: 'form-status' });
  const idInput = h('input', { id: 'signin-id', name: 'id', required: true });
  const idLabel = h('label', { for: 'signin-id' });
  const password = h('input', {
    id: 'signin-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('signin.submit'));
  const tabs = h('div', { class: 'tabs', role: 'tablist' });

  function setMode(next: typeof mode) {
    mode = next;
    idLabel.textContent = t(mode === 'phone' ? 'signin.phone' : 'signin.username');
    idInput.type = mode === 'phone' ? 'tel' : 'text';
    idInput.autocomplete = mode === 'phone' ? 'tel' : 'username';
    idInput.inputMode = mode === 'phone' ? 'numeric' : 'text';
    replace(
      tabs,
      (['phone', 'username'] as const).map((m) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            'aria-selected': String(m === mode),
            class: m === mode ? 'tab active' : 'tab',
            onclick: () => setMode(m),
          },
          t(m === 'phone' ? 'signin.by_phone' : 'signin.by_username'),
        ),
      ),
    );
  }
  setMode(mode);

  const form = h(
    'form',
    { class: 'card signin', novalidate: true },
    tabs,
    h('div', { class: 'field' }, idLabel, idInput),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'signin-password' }, t('signin.password')),
      password,
    ),
    status,
    submit,
    h('p', { class: 'hint' }, t('signin.hint')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      submit.disabled = true;
      submit.textContent = t('signin.busy');
      replace(status);
      try {
        const id = idInput.value.trim();
        const body =
          mode === 'phone'
            ? { phone: id, password: password.value }
            : { username: id, password: password.value };
        const me = await api<Me>('POST', '/api/auth/login', body);
        setCurrentUser(me);
        const next = ctx.query.get('next');
        navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', {
          replace: true,
        });
      } catch (err) {
        const fields = err instanceof ApiError ? err.problem.errors : undefined;
        replace(
          status,
          notice(
            fields?.length ? fields.map((f) => f.message).join('；') : describeError(err),
            'error',
          ),
        );
        submit.disabled = false;
        submit.textContent = t('signin.submit');
      }
    })();
  });
  replace(
    main,
    h(
      'div',
      { class: 'signin-page' },
      h('h1', {}, t('app.name')),
      h('p', { class: 'lead' }, t('app.tagline')),
      form,
    ),
  );
  idInput.focus();
};
