import { api, describeError } from '../api';
import { h, notice, replace } from '../dom';
import { formatTime, t } from '../i18n';
import type { View } from '../router';

interface NotificationList {
  items: { id: string; template: string; title: string; body: string; at: string; read: boolean }[];
  total: number;
  unread: number;
}

/** The person's in-app notifications, newest first. */
export const notificationsView: View = async (main, ctx) => {
  const heading = h('h1', {}, t('notifications.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  let list: NotificationList;
  try {
    list = await api<NotificationList>('GET', '/api/notifications?limit=50');
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  replace(
    main,
    heading,
    list.unread ? h('p', { class: 'lead' }, t('notifications.unread', { n: list.unread })) : null,
    list.items.length
      ? h(
          'ul',
          { class: 'notes' },
          list.items.map((n) =>
            h(
              'li',
              { class: n.read ? 'card note' : 'card note unread', 'data-template': n.template },
              h(
                'h2',
                {},
                n.title,
                n.read ? null : h('span', { class: 'badge' }, t('notifications.new')),
              ),
              h('p', {}, n.body),
              h('time', {}, formatTime(n.at)),
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('notifications.empty')),
  );
};
