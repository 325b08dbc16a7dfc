import { api, describeError } from '../api';
import type { VersionSummary } from '../catalog';
import { h, notice, replace, toast } from '../dom';
import { t } from '../i18n';
import { showVersionsTable } from './versions-table';

/** How {@link versionsPanel} shows and rolls back a process's or a form's versions at one place. */
export interface VersionsPanelOptions<T extends VersionSummary> {
  /** The catalog API of the item at the place (`…/versions`, `…/rollback` are appended). */
  base: string;
  signal: AbortSignal;
  /** The id of the panel's heading (tests and other links name it). */
  titleId: string;
  /** What to say when the place has no version of its own yet. */
  emptyText: string;
  /** May the person save at this place (rollback buttons)? */
  canRollback: boolean;
  /** Offer a comparison of each older version with the current one too. */
  diffWithCurrent?: boolean;
  /** The question asked before rolling back to `version`. */
  rollbackQuestion(version: number): string;
  /** The save form's status line, where a rollback's outcome is said. */
  status: HTMLElement;
  /** The status line's text once `version` is the newest. */
  savedText(version: number): string;
  onDiff(from: string, to: string): void;
  /** A rollback made `version` the newest: the editor's next save builds on it. */
  onNewHead(version: number): void;
  /** Shows the rolled-back version in the editor as the saved state. */
  load(detail: T): Promise<void>;
  /** Points the "based on" line at `version` of the place. */
  showSource(version: number): void;
  /** What else to redraw after a rollback, beside the versions (the form's preview). */
  redraw?(): Promise<void>;
}

/** The versions card of an editor and the means to redraw it. */
export interface VersionsPanel {
  /** The card: a heading over the versions table. */
  element: HTMLElement;
  /** Loads the version list and shows it in the table. */
  show(): Promise<void>;
}

/**
 * The versions of the modeler and the form editor: the card with the versions table, and the
 * rollback behind its buttons — asked first, saved with a comment naming the version, then
 * the new newest version re-read and shown in the editor, the "based on" line, the status and
 * the table redrawn. Stops wherever the person has left the page meanwhile.
 */
export function versionsPanel<T extends VersionSummary>(o: VersionsPanelOptions<T>): VersionsPanel {
  const host = h('div', { class: 'versions' });
  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': o.titleId },
    h('h2', { id: o.titleId }, t('modeler.versions')),
    host,
  );

  async function show(): Promise<void> {
    await showVersionsTable({
      base: o.base,
      host,
      signal: o.signal,
      emptyText: o.emptyText,
      canRollback: o.canRollback,
      diffWithCurrent: o.diffWithCurrent,
      onDiff: o.onDiff,
      onRollback: (version, head) => void rollback(version, head),
    });
  }

  /** Saves version `version` again as the newest, and shows it in the editor. */
  async function rollback(version: number, head: number): Promise<void> {
    if (!confirm(o.rollbackQuestion(version))) return;
    try {
      const result = await api<{ version: VersionSummary }>('POST', `${o.base}/rollback`, {
        version,
        baseVersion: head,
        comment: t('modeler.rollback_comment', { v: version }),
      });
      if (o.signal.aborted) return;
      const newest = result.version.version;
      o.onNewHead(newest);
      const detail = await api<T>('GET', `${o.base}/versions/${newest}`);
      if (o.signal.aborted) return;
      await o.load(detail);
      o.showSource(newest);
      toast(t('modeler.rolled_back'));
      replace(o.status, notice(o.savedText(newest), 'ok'));
      await Promise.all([o.redraw?.(), show()]);
    } catch (err) {
      replace(o.status, notice(describeError(err), 'error'));
    }
  }

  return { element, show };
}
