import { api } from '../api';
import { h, replace } from '../dom';
import { t, tOr } from '../i18n';
import type { View } from '../router';
import { capabilities, currentUser } from '../session';
import { dailyLinks } from './daily-routes';

interface Counts {
  counts: { assigned: number; groups: number; completed: number };
}

function card(title: string, text: string, links: [string, string][], extra?: Node): HTMLElement {
  return h(
    'section',
    { class: 'card home-card' },
    h('h2', {}, title),
    h('p', {}, text),
    extra,
    h(
      'ul',
      { class: 'actions' },
      links.map(([href, label]) => h('li', {}, h('a', { class: 'button', href }, label))),
    ),
  );
}

/** The home page: one card per part of the app the person's roles open. */
export const homeView: View = async (main) => {
  const me = currentUser()!;
  const c = capabilities(me);
  const roles = [...new Set(me.memberships.map((m) => tOr(`role.${m.role}`, m.roleName)))];
  const cards: HTMLElement[] = [];
  if (c.isParent)
    cards.push(
      card(t('home.parent'), t('home.parent_text'), [
        ['/apply', t('applications.new')],
        ['/applications', t('nav.applications')],
        ['/notifications', t('nav.notifications')],
      ]),
    );
  if (c.isReviewer) {
    const count = h('p', { class: 'count' });
    cards.push(card(t('home.work'), t('home.work_text'), [['/inbox', t('nav.inbox')]], count));
    api<Counts>('GET', '/api/tasks?view=assigned&size=1')
      .then(
        (r) =>
          (count.textContent = t('home.inbox_count', { n: r.counts.assigned, g: r.counts.groups })),
      )
      .catch(() => undefined);
  }
  if (c.isDesigner || c.isMonitor)
    cards.push(
      card(t('home.admin'), t('home.admin_text'), [
        ...(c.isDesigner
          ? ([
              ['/modeler', t('nav.modeler')],
              ['/forms', t('nav.forms')],
            ] as [string, string][])
          : []),
        ['/monitor', t('nav.monitor')],
      ]),
    );
  const daily = dailyLinks(me).filter(([, , shown]) => shown);
  if (daily.length)
    cards.push(
      card(
        t('home.daily'),
        t('home.daily_text'),
        daily.map(([href, key]) => [href, t(key)]),
      ),
    );
  if (c.isBureau)
    cards.push(card(t('home.bureau'), t('home.bureau_text'), [['/dashboard', t('nav.dashboard')]]));
  replace(
    main,
    h('h1', {}, t('home.greeting', { name: me.user.displayName })),
    h('p', { class: 'lead' }, t('home.roles', { roles: roles.join('、') })),
    h('div', { class: 'cards' }, cards),
  );
};
