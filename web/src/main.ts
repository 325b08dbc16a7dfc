import './styles.css';
import { api, onSessionLost } from './api';
import { h, replace } from './dom';
import { t, type TextKey } from './i18n';
import { mayLeave, navigate, render, route, startRouter } from './router';
import { capabilities, currentUser, loadCurrentUser, setCurrentUser } from './session';
import { homeView } from './views/home';
import { signInView } from './views/sign-in';
import { inboxView } from './views/inbox';
import { taskView } from './views/task';
import { applyView } from './views/apply';
import { applicationsView, applicationView } from './views/applications';
import { notificationsView } from './views/notifications';
import { monitorListView, monitorInstanceView } from './views/monitor';
import { dashboardView } from './views/dashboard';
import { dailyLinks, registerDailyRoutes } from './views/daily-routes';

const PUBLIC = ['/signin'];

const app = document.getElementById('app')!;
const nav = h('nav', { class: 'nav', 'aria-label': t('nav.menu') });
const who = h('span', { class: 'who' });
const signOut = h(
  'button',
  { type: 'button', class: 'link', onclick: () => void logout() },
  t('nav.signout'),
);
const main = h('main', { id: 'main', tabindex: '-1' });

replace(
  app,
  h('a', { class: 'skip', href: '#main' }, t('app.skip')),
  h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '/' }, t('app.name')),
    h('div', { class: 'account' }, who, signOut),
  ),
  nav,
  main,
);

/** The navigation the signed-in person's roles open. */
function renderChrome(path: string): void {
  const user = currentUser();
  app.classList.toggle('signed-out', !user);
  if (!user) {
    nav.replaceChildren();
    who.textContent = '';
    return;
  }
  who.textContent = user.user.displayName;
  const c = capabilities(user);
  const links: [string, TextKey, boolean][] = [
    ['/', 'nav.home', true],
    ['/inbox', 'nav.inbox', c.isReviewer],
    ['/applications', 'nav.applications', c.isParent],
    ['/notifications', 'nav.notifications', true],
    ['/modeler', 'nav.modeler', c.isDesigner],
    ['/forms', 'nav.forms', c.isDesigner],
    ['/monitor', 'nav.monitor', c.isMonitor],
    ['/dashboard', 'nav.dashboard', c.isBureau],
    ...dailyLinks(user),
  ];
  replace(
    nav,
    h(
      'ul',
      {},
      links
        .filter(([, , shown]) => shown)
        .map(([href, key]) => {
          const current = href === '/' ? path === '/' : path.startsWith(href);
          return h(
            'li',
            {},
            h('a', { href, 'aria-current': current ? 'page' : undefined }, t(key)),
          );
        }),
    ),
  );
}

async function logout(): Promise<void> {
  if (!mayLeave()) return;
  await api('POST', '/api/auth/logout').catch(() => undefined);
  setCurrentUser(undefined);
  navigate('/signin', { force: true });
}

route('/', homeView);
route('/signin', signInView);
route('/inbox', inboxView);
route('/tasks/:key', taskView);
route('/apply', applyView);
route('/applications', applicationsView);
route('/applications/:id', applicationView);
route('/notifications', notificationsView);
route('/modeler', async (m, ctx) => (await import('./views/modeler')).modelerListView(m, ctx));
route('/modeler/:id/:place', async (m, ctx) =>
  (await import('./views/modeler')).modelerView(m, ctx),
);
route('/forms', async (m, ctx) => (await import('./views/form-editor')).formListView(m, ctx));
route('/forms/:id/:place', async (m, ctx) =>
  (await import('./views/form-editor')).formEditorView(m, ctx),
);
route('/monitor', monitorListView);
route('/monitor/:key', monitorInstanceView);
route('/dashboard', dashboardView);
registerDailyRoutes();

onSessionLost(() => {
  setCurrentUser(undefined);
  if (location.pathname !== '/signin')
    navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, {
      force: true,
    });
});

void loadCurrentUser().then(() => {
  startRouter(main, {
    guard: (path) => {
      if (!currentUser() && !PUBLIC.includes(path))
        return `/signin?next=${encodeURIComponent(path + location.search)}`;
      if (currentUser() && path === '/signin') return '/';
      return undefined;
    },
    notFound: (m) => {
      replace(
        m,
        h('h1', {}, t('app.not_found')),
        h('p', {}, h('a', { href: '/' }, t('app.back_home'))),
      );
    },
    rendered: (path) => {
      renderChrome(path);
      document.title = `${main.querySelector('h1')?.textContent ?? ''} · ${t('app.name')}`;
    },
  });
});

export { render };
