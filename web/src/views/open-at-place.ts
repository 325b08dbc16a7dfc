import { describeError } from '../api';
import {
  loadPlaceNames,
  ownPlaces,
  placeName,
  startingPoint,
  type Place,
  type VersionSummary,
} from '../catalog';
import { h, notice, replace } from '../dom';
import { t } from '../i18n';
import type { RouteContext } from '../router';
import { currentUser, type Me } from '../session';

/** Which catalog item the editor opens, and the texts of its list page. */
export interface PlaceKind {
  kind: 'processes' | 'forms';
  /** The list the back link leads to (`/modeler`, `/forms`). */
  listHref: string;
  /** The list's title: the back link's text and the heading when the item cannot be opened. */
  title: string;
  /** What to say when no place up the chain has a version of the item. */
  emptyText: string;
  /** Extra attributes of the "based on" line (a test id, say). */
  sourceAttrs?: Record<string, string>;
}

/** An item opened at one place: what the modeler and the form editor start from. */
export interface OpenedPlace<T extends VersionSummary> {
  id: string;
  place: Place;
  me: Me;
  /** The link back to the list, first on the page. */
  back: HTMLElement;
  /** The page's heading: the item's name at the place. */
  heading: HTMLElement;
  /** The version shown first: the place's own newest, else the nearest one above it. */
  start: { from: Place; version: number; detail: T; baseVersion: number };
  /** May the person save a version at this place? */
  canSave: boolean;
  /** The line saying which place's version the editor shows. */
  source: HTMLElement;
  /** Points {@link source} at `version` of `from`. */
  showSource(from: Place, version: number): void;
}

/**
 * The start of the modeler and the form editor: the item (`ctx.params.id`) at the place
 * (`ctx.params.place`) with the version to start from, the person's right to save there, the
 * back link and the "based on" line. Shows the loading state meanwhile, and the error or the
 * empty notice instead, returning undefined, when there is nothing to open (or the person left).
 */
export async function openAtPlace<T extends VersionSummary>(
  main: HTMLElement,
  ctx: RouteContext,
  o: PlaceKind,
): Promise<OpenedPlace<T> | undefined> {
  const id = ctx.params.id!;
  const place = ctx.params.place!;
  const me = currentUser()!;
  const back = h('p', { class: 'back' }, h('a', { href: o.listHref }, `‹ ${o.title}`));
  replace(main, back, h('p', {}, t('app.loading')));

  let start: OpenedPlace<T>['start'] | undefined;
  try {
    await loadPlaceNames();
    start = await startingPoint<T>(o.kind, id, place, me);
  } catch (err) {
    replace(main, back, h('h1', {}, t('app.error')), notice(describeError(err), 'error'));
    return undefined;
  }
  if (ctx.signal.aborted) return undefined;
  if (!start) {
    replace(main, back, h('h1', {}, o.title), notice(o.emptyText, 'error'));
    return undefined;
  }
  // the city bureau may save at any place of its city; others at their own places
  const mine = ownPlaces(me);
  const canSave = mine.includes(place) || mine.includes('city');

  const source = h('p', { class: 'meta', ...o.sourceAttrs });
  const showSource = (from: Place, version: number) => {
    source.textContent = t('modeler.source', {
      source: `${placeName(from)} ${t('modeler.version', { v: version })}`,
    });
  };
  showSource(start.from, start.version);
  const heading = h(
    'h1',
    {},
    t('modeler.heading', { name: start.detail.name ?? id, place: placeName(place) }),
  );
  return { id, place, me, back, heading, start, canSave, source, showSource };
}
