/** Attributes and listeners of an element built by {@link h}. */
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** A child of {@link h}: nodes, text, or nothing. */
export type Child = Node | string | number | null | undefined | false | Child[];

/**
 * Builds an element: `h('button', { class: 'primary', onclick: save }, t('app.save'))`.
 * `on…` attributes become listeners, `true` a bare attribute, `false`/`null` none.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (flattened, falsy ones skipped). */
export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the content of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A status line that screen readers announce (`role=status`), or an alert for errors. */
export function notice(text: string, kind: 'info' | 'error' | 'ok' = 'info'): HTMLElement {
  return h(
    'p',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    text,
  );
}

/** A short-lived message at the bottom of the screen. */
export function toast(text: string, kind: 'info' | 'error' | 'ok' = 'ok'): void {
  let host = document.getElementById('toasts');
  if (!host) {
    host = h('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.appendChild(host);
  }
  const el = h('div', { class: `toast toast-${kind}`, role: 'status' }, text);
  host.appendChild(el);
  setTimeout(() => el.remove(), 4000);
}
