import { api, describeError, query } from '../api';
import { h, notice, replace, toast } from '../dom';
import { formatTime, t, type TextKey } from '../i18n';
import { PROCESS_NAMES, processName } from '../processes';
import { navigate, type View } from '../router';
import { capabilities, currentUser } from '../session';

/** A task as the inbox lists it (`GET /api/tasks`). */
export interface TaskSummary {
  key: string;
  name: string;
  processId: string;
  processInstanceKey: string;
  elementId: string;
  state: 'CREATED' | 'COMPLETED' | 'CANCELED' | 'FAILED';
  assignee: string | null;
  candidateGroups: string[];
  dueDate: string | null;
  priority: number;
  creationDate: string;
  completionDate: string | null;
  classId: string | null;
  schoolId: string | null;
}

interface TaskPage {
  items: TaskSummary[];
  page: number;
  size: number;
  total: number;
  counts: { assigned: number; groups: number; completed: number };
}

const VIEWS = ['assigned', 'groups', 'completed'] as const;
type InboxView = (typeof VIEWS)[number];
const SORTS = ['-created', 'created', 'due', '-priority'] as const;

/** Whether a class teacher may approve the task in bulk: the class review of their class. */
function isBulkable(task: TaskSummary, groups: string[]): boolean {
  return (
    task.state === 'CREATED' &&
    task.candidateGroups.some((g) => /^class:[^:]+:teacher$/.test(g) && groups.includes(g))
  );
}

/**
 * The inbox: the three views with their counts, filters kept in the address (so the back button
 * and a shared link keep them), one page of tasks, and bulk approval for class teachers.
 */
export const inboxView: View = async (main, ctx) => {
  const me = currentUser()!;
  const caps = capabilities(me);
  const q = ctx.query;
  const view: InboxView = (VIEWS as readonly string[]).includes(q.get('view') ?? '')
    ? (q.get('view') as InboxView)
    : 'groups';
  const filters = {
    view,
    q: q.get('q') ?? '',
    process: q.get('process') ?? '',
    classId: q.get('classId') ?? '',
    dueBefore: q.get('dueBefore') ?? '',
    sort: (SORTS as readonly string[]).includes(q.get('sort') ?? '') ? q.get('sort')! : '-created',
    page: Math.max(1, Number(q.get('page') ?? '1') || 1),
  };
  const go = (patch: Partial<typeof filters>) => {
    const next = { ...filters, page: 1, ...patch };
    navigate(
      `/inbox${query({ ...next, page: next.page > 1 ? next.page : undefined, sort: next.sort === '-created' ? undefined : next.sort })}`,
    );
  };

  const heading = h('h1', {}, t('inbox.title'));
  const status = h('div', { class: 'form-status' });
  const list = h('div', { class: 'task-list' });
  replace(main, heading, h('p', {}, t('app.loading')));

  let page: TaskPage;
  try {
    page = await api<TaskPage>(
      'GET',
      `/api/tasks${query({
        view,
        q: filters.q || undefined,
        process: filters.process || undefined,
        classId: filters.classId || undefined,
        dueBefore: filters.dueBefore || undefined,
        sort: filters.sort,
        page: filters.page,
        size: 20,
      })}`,
    );
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;

  const tabs = h(
    'div',
    { class: 'tabs view-tabs', role: 'navigation', 'aria-label': t('inbox.title') },
    VIEWS.map((v) =>
      h(
        'a',
        {
          href: `/inbox${query({ view: v })}`,
          class: v === view ? 'tab active' : 'tab',
          'aria-current': v === view ? 'page' : undefined,
          'data-view': v,
        },
        t(`inbox.view.${v}` as TextKey),
        ' ',
        h('span', { class: 'badge' }, String(page.counts[v])),
      ),
    ),
  );

  const classes = [
    ...new Set(me.memberships.map((m) => m.scope.classId).filter(Boolean)),
  ] as string[];
  const filterForm = h(
    'form',
    { class: 'filters', role: 'search' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-q' }, t('inbox.filter.q')),
      h('input', { id: 'f-q', name: 'q', type: 'search', value: filters.q }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-process' }, t('inbox.filter.process')),
      h(
        'select',
        { id: 'f-process', name: 'process' },
        h('option', { value: '' }, t('inbox.filter.process_all')),
        Object.entries(PROCESS_NAMES).map(([id, name]) =>
          h('option', { value: id, selected: id === filters.process }, name),
        ),
      ),
    ),
    classes.length
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'f-class' }, t('inbox.filter.class')),
          h(
            'select',
            { id: 'f-class', name: 'classId' },
            h('option', { value: '' }, t('inbox.filter.class_all')),
            classes.map((c) => h('option', { value: c, selected: c === filters.classId }, c)),
          ),
        )
      : null,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-due' }, t('inbox.filter.due')),
      h('input', { id: 'f-due', name: 'dueBefore', type: 'date', value: filters.dueBefore }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-sort' }, t('inbox.filter.sort')),
      h(
        'select',
        { id: 'f-sort', name: 'sort' },
        SORTS.map((s) =>
          h('option', { value: s, selected: s === filters.sort }, t(`inbox.sort.${s}` as TextKey)),
        ),
      ),
    ),
    h('button', { type: 'submit' }, t('inbox.apply')),
  );
  filterForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(filterForm);
    go({
      q: String(data.get('q') ?? '').trim(),
      process: String(data.get('process') ?? ''),
      classId: String(data.get('classId') ?? ''),
      dueBefore: String(data.get('dueBefore') ?? ''),
      sort: String(data.get('sort') ?? '-created'),
    });
  });

  const selected = new Set<string>();
  const bulkable =
    caps.isClassTeacher && view !== 'completed'
      ? page.items.filter((i) => isBulkable(i, me.groups))
      : [];
  const bulkButton = h(
    'button',
    { type: 'button', class: 'primary', disabled: true, 'data-action': 'bulk-approve' },
    t('inbox.bulk_approve', { n: 0 }),
  );
  const progress = h('progress', { max: 1, value: 0, hidden: true });
  const refreshBulk = () => {
    bulkButton.disabled = selected.size === 0;
    bulkButton.textContent = t('inbox.bulk_approve', { n: selected.size });
  };
  bulkButton.addEventListener('click', () => {
    if (!confirm(t('inbox.bulk_confirm', { n: selected.size }))) return;
    void bulkApprove([...selected]);
  });

  /** Approves one task after another, so each refusal is reported on its own, with progress. */
  async function bulkApprove(keys: string[]): Promise<void> {
    bulkButton.disabled = true;
    progress.hidden = false;
    progress.max = keys.length;
    let ok = 0;
    const failures: string[] = [];
    for (const [i, key] of keys.entries()) {
      replace(status, notice(t('inbox.bulk_progress', { done: i, n: keys.length })));
      try {
        await api('POST', `/api/tasks/${encodeURIComponent(key)}/complete`, {
          variables: { decision: 'approve' },
        });
        ok++;
      } catch (err) {
        const task = page.items.find((x) => x.key === key);
        failures.push(`${task?.name ?? key}：${describeError(err)}`);
      }
      progress.value = i + 1;
    }
    toast(t('inbox.bulk_done', { ok, failed: failures.length }), failures.length ? 'error' : 'ok');
    go({ page: filters.page });
    if (failures.length) setTimeout(() => replace(status, notice(failures.join('\n'), 'error')), 0);
  }

  const rows = page.items.map((task) => {
    const canBulk = bulkable.includes(task);
    const box = canBulk
      ? h('input', {
          type: 'checkbox',
          class: 'select',
          'aria-label': `${t('inbox.select')} ${task.name} ${task.key}`,
          onchange: (e: Event) => {
            if ((e.target as HTMLInputElement).checked) selected.add(task.key);
            else selected.delete(task.key);
            refreshBulk();
          },
        })
      : null;
    return h(
      'article',
      { class: 'task-item', 'data-key': task.key },
      box,
      h(
        'div',
        { class: 'task-main' },
        h('h2', {}, h('a', { href: `/tasks/${encodeURIComponent(task.key)}` }, task.name)),
        h(
          'p',
          { class: 'meta' },
          h('span', {}, processName(task.processId)),
          h('span', {}, t('inbox.created', { at: formatTime(task.creationDate) })),
          task.dueDate
            ? h('span', { class: 'due' }, t('inbox.due', { at: formatTime(task.dueDate) }))
            : null,
          task.state !== 'CREATED'
            ? h('span', {}, t('inbox.completed_at', { at: formatTime(task.completionDate) }))
            : h(
                'span',
                {},
                task.assignee
                  ? t('inbox.assignee', {
                      name: task.assignee === me.user.id ? me.user.displayName : task.assignee,
                    })
                  : t('inbox.unassigned'),
              ),
        ),
      ),
    );
  });

  const pages = Math.max(1, Math.ceil(page.total / page.size));
  const pager =
    pages > 1
      ? h(
          'nav',
          { class: 'pager', 'aria-label': t('inbox.page', { page: page.page }) },
          h(
            'button',
            {
              type: 'button',
              disabled: page.page <= 1,
              onclick: () => go({ page: page.page - 1 }),
            },
            t('inbox.prev'),
          ),
          h('span', {}, `${page.page} / ${pages}`),
          h(
            'button',
            {
              type: 'button',
              disabled: page.page >= pages,
              onclick: () => go({ page: page.page + 1 }),
            },
            t('inbox.next'),
          ),
        )
      : null;

  replace(
    list,
    rows.length
      ? rows
      : h(
          'p',
          { class: 'empty' },
          t(view === 'completed' ? 'inbox.empty_completed' : 'inbox.empty'),
        ),
  );
  replace(
    main,
    heading,
    tabs,
    h(
      'details',
      {
        class: 'filter-box',
        open:
          Boolean(filters.q || filters.process || filters.classId || filters.dueBefore) ||
          undefined,
      },
      h('summary', {}, t('inbox.filter')),
      filterForm,
    ),
    bulkable.length
      ? h(
          'div',
          { class: 'bulk-bar' },
          h(
            'label',
            { class: 'inline' },
            h('input', {
              type: 'checkbox',
              'data-action': 'select-all',
              onchange: (e: Event) => {
                const on = (e.target as HTMLInputElement).checked;
                list
                  .querySelectorAll<HTMLInputElement>('input.select')
                  .forEach((b) => (b.checked = on));
                if (on) bulkable.forEach((x) => selected.add(x.key));
                else selected.clear();
                refreshBulk();
              },
            }),
            ' ',
            t('inbox.select_all'),
          ),
          bulkButton,
          progress,
        )
      : null,
    status,
    h('p', { class: 'total' }, t('inbox.total', { n: page.total })),
    list,
    pager,
  );
};
