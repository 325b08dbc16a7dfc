import { api, describeError } from '../api';
import { loadPlaceNames, ownPlaces, placeName, type HeadItem } from '../catalog';
import { h, notice, replace } from '../dom';
import { formatTime, t } from '../i18n';
import type { RouteContext } from '../router';
import { currentUser } from '../session';

/** Which catalog the list page shows, and how (the modeler's processes, the forms). */
export interface CatalogListKind {
  kind: 'processes' | 'forms';
  /** Where an item opens at a place: `<editorHref>/<id>/<place>` (`/modeler`, `/forms`). */
  editorHref: string;
  /** The page's heading. */
  title: string;
  /** The list's heading. */
  listTitle: string;
  /** What to say when the list is empty. */
  emptyText: string;
  /** Which items the list shows, by their versions at each place (default: all). */
  isListed?(heads: HeadItem[]): boolean;
  /** The item's name from its versions at each place (else its id is shown). */
  nameOf(heads: HeadItem[]): string | undefined;
  /** Name who saved each place's version. */
  showAuthor?: boolean;
  /** Link the versions at places not the person's own, to view them. */
  linkOthers?: boolean;
}

/**
 * A catalog's list page: each item once, with its current version at each place and a button
 * to open it at each of the person's own places. Shows the loading state meanwhile, and the
 * error instead when the catalog cannot be read.
 */
export async function showCatalogList(
  main: HTMLElement,
  ctx: RouteContext,
  o: CatalogListKind,
): Promise<void> {
  const heading = h('h1', {}, o.title);
  replace(main, heading, h('p', {}, t('app.loading')));
  const me = currentUser()!;
  let items: HeadItem[];
  try {
    await loadPlaceNames();
    items = (await api<{ items: HeadItem[] }>('GET', `/api/catalog/${o.kind}`)).items;
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  const mine = ownPlaces(me);
  const listed = [...groupById(items).entries()].filter(
    ([, heads]) => !o.isListed || o.isListed(heads),
  );
  const openLink = (id: string, place: HeadItem['place'], label: string) =>
    h(
      'a',
      {
        class: 'button',
        href: `${o.editorHref}/${encodeURIComponent(id)}/${encodeURIComponent(place)}`,
      },
      `${label}：${placeName(place)}`,
    );
  replace(
    main,
    heading,
    h('h2', {}, o.listTitle),
    listed.length
      ? h(
          'ul',
          { class: 'catalog-list' },
          listed.map(([id, heads]) =>
            h(
              'li',
              { class: 'card catalog-item', 'data-id': id },
              h('h3', {}, o.nameOf(heads) ?? id, ' ', h('code', {}, id)),
              h(
                'ul',
                { class: 'meta' },
                heads.map((x) =>
                  h(
                    'li',
                    {},
                    [
                      placeName(x.place),
                      t('modeler.version', { v: x.version }),
                      ...(o.showAuthor ? [x.byName] : []),
                      formatTime(x.at),
                    ].join(' · '),
                  ),
                ),
              ),
              h(
                'p',
                { class: 'actions' },
                mine.map((place) => openLink(id, place, t('modeler.open'))),
                o.linkOthers &&
                  heads
                    .filter((x) => !mine.includes(x.place))
                    .map((x) => openLink(id, x.place, t('modeler.view'))),
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, o.emptyText),
  );
}

// helpers //////////

/** The items' versions grouped by item, in the order the items first appear. */
function groupById(items: HeadItem[]): Map<string, HeadItem[]> {
  const byId = new Map<string, HeadItem[]>();
  for (const item of items) byId.set(item.id, [...(byId.get(item.id) ?? []), item]);
  return byId;
}
