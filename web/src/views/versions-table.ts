import { api, ApiError, describeError } from '../api';
import type { VersionSummary } from '../catalog';
import { h, notice, replace } from '../dom';
import { formatTime, t } from '../i18n';

/** How {@link showVersionsTable} shows a process's or a form's versions at one place. */
export interface VersionsTableOptions {
  /** The catalog API of the item at the place (`…/versions` is appended). */
  base: string;
  /** Where the table goes. */
  host: HTMLElement;
  signal: AbortSignal;
  /** What to say when the place has no version of its own yet. */
  emptyText: string;
  /** May the caller save at this place (rollback buttons)? */
  canRollback: boolean;
  /** Offer a comparison of each older version with the current one too. */
  diffWithCurrent?: boolean;
  onDiff(from: string, to: string): void;
  onRollback(version: number, head: number): void;
}

/**
 * The versions table of the modeler and the form editor: each version with its comment (and
 * what it rolled back to), who and when, and the buttons to compare it with the one before
 * (or the version it was based on), with the current one, and to roll back to it.
 */
export async function showVersionsTable(o: VersionsTableOptions): Promise<void> {
  let versions: VersionSummary[];
  try {
    versions = (await api<{ items: VersionSummary[] }>('GET', `${o.base}/versions`)).items;
  } catch (err) {
    // a place without a version of its own yet
    if (err instanceof ApiError && err.status === 404) versions = [];
    else {
      replace(o.host, notice(describeError(err), 'error'));
      return;
    }
  }
  if (o.signal.aborted) return;
  if (!versions.length) {
    replace(o.host, h('p', { class: 'empty' }, o.emptyText));
    return;
  }
  const head = versions[0]!.version;
  const button = (action: string, label: string, onclick: () => void) =>
    h('button', { type: 'button', 'data-action': action, onclick }, label);
  replace(
    o.host,
    h(
      'table',
      { class: 'versions-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('modeler.col_version')),
          h('th', { scope: 'col' }, t('modeler.comment')),
          h('th', { scope: 'col' }, t('modeler.col_by')),
          h('th', { scope: 'col' }, t('modeler.col_actions')),
        ),
      ),
      h(
        'tbody',
        {},
        versions.map((v) => {
          const previous = v.version > 1 ? String(v.version - 1) : v.basedOn[0];
          const older = v.version !== head;
          return h(
            'tr',
            { 'data-version': v.version },
            h(
              'td',
              {},
              t('modeler.version', { v: v.version }),
              older ? null : h('span', { class: 'badge' }, t('modeler.current')),
            ),
            h(
              'td',
              {},
              v.comment,
              v.action === 'rollback' && v.rollbackOf
                ? h('span', { class: 'meta' }, ` ${t('modeler.rollback_of', { v: v.rollbackOf })}`)
                : null,
            ),
            h('td', {}, `${v.byName} · ${formatTime(v.at)}`),
            h(
              'td',
              { class: 'row-actions' },
              previous
                ? button('diff', t('modeler.diff_previous'), () =>
                    o.onDiff(previous, String(v.version)),
                  )
                : null,
              o.diffWithCurrent && older
                ? button('diff-current', t('modeler.diff'), () =>
                    o.onDiff(String(v.version), String(head)),
                  )
                : null,
              o.canRollback && older
                ? button('rollback', t('modeler.rollback'), () => o.onRollback(v.version, head))
                : null,
            ),
          );
        }),
      ),
    ),
  );
}
