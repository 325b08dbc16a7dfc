/** What a view gets: the path parameters and the query of the current address. */
export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborted when the person navigates away, so late answers are dropped. */
  signal: AbortSignal;
}

/** A view: renders into `main` and may return a clean-up (destroying a modeler, say). */
export type View = (
  main: HTMLElement,
  ctx: RouteContext,
) => void | (() => void) | Promise<void | (() => void)>;

interface Route {
  pattern: RegExp;
  names: string[];
  view: View;
}

const routes: Route[] = [];
let notFound: View = () => undefined;
let before: (path: string) => string | undefined = () => undefined;
let afterRender: (path: string) => void = () => undefined;
let cleanup: (() => void) | undefined;
let controller: AbortController | undefined;
let host: HTMLElement | undefined;
let leaveGuard: (() => string | undefined) | undefined;
/** The address on screen, to go back to when a person stays after the back button. */
let shownPath = '';

/**
 * Asks before leaving the current view: `guard` answers the question to ask (unsaved changes,
 * say) or undefined to leave freely. It applies to the app's own links, {@link navigate}, the
 * back and forward buttons, and closing or reloading the tab (`beforeunload`); it is dropped
 * when the view is left. Pass undefined to remove it.
 */
export function setLeaveGuard(guard: (() => string | undefined) | undefined): void {
  leaveGuard = guard;
}

/** True when the person may leave the current view (no guard, nothing unsaved, or confirmed). */
export function mayLeave(): boolean {
  const question = leaveGuard?.();
  return !question || confirm(question);
}

/** Declares a route such as `/tasks/:key`. */
export function route(path: string, view: View): void {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:(\w+)/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    })}/?$`,
  );
  routes.push({ pattern, names, view });
}

/** Starts the router on `main`. `guard` may redirect (e.g. to sign-in) by returning a path. */
export function startRouter(
  main: HTMLElement,
  options: {
    notFound: View;
    guard?: (path: string) => string | undefined;
    rendered?: (path: string) => void;
  },
): void {
  host = main;
  notFound = options.notFound;
  if (options.guard) before = options.guard;
  if (options.rendered) afterRender = options.rendered;
  window.addEventListener('popstate', () => {
    if (location.pathname + location.search !== shownPath && !mayLeave()) {
      // stay: put the address of the view on screen back
      history.pushState(null, '', shownPath);
      return;
    }
    void render();
  });
  window.addEventListener('beforeunload', (e) => {
    if (!leaveGuard?.()) return;
    e.preventDefault();
    e.returnValue = '';
  });
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || e.defaultPrevented) return;
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || /^\/(api|v2|health|ready)\b/.test(url.pathname)) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  void render();
}

/**
 * Goes to `path` within the app, unless the view's leave guard asks and the person stays;
 * `force` leaves without asking (the session is gone, say).
 */
export function navigate(path: string, options: { replace?: boolean; force?: boolean } = {}): void {
  if (!options.force && !mayLeave()) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

/** Renders the current address again (after sign-in, say). */
export async function render(): Promise<void> {
  if (!host) return; // before the router starts: startRouter renders the address then
  const main = host;
  const redirect = before(location.pathname);
  if (redirect && redirect !== location.pathname) {
    history.replaceState(null, '', redirect);
  }
  leaveGuard = undefined;
  shownPath = location.pathname + location.search;
  cleanup?.();
  cleanup = undefined;
  controller?.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const path = location.pathname;
  let view = notFound;
  const params: Record<string, string> = {};
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
    view = r.view;
    break;
  }
  main.replaceChildren();
  main.setAttribute('aria-busy', 'true');
  try {
    const done = await view(main, { params, query: new URLSearchParams(location.search), signal });
    if (signal.aborted) done?.();
    else cleanup = done ?? undefined;
  } finally {
    if (!signal.aborted) {
      main.removeAttribute('aria-busy');
      afterRender(path);
    }
  }
}
