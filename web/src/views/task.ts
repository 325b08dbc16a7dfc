import { api, ApiError, describeError } from '../api';
import { h, notice, replace, toast } from '../dom';
import { formatTime, t, tOr } from '../i18n';
import type { FormSchema, MountedForm } from '../form-view';
import { processName } from '../processes';
import { navigate, type View } from '../router';
import { currentUser } from '../session';
import type { TaskSummary } from './inbox';

interface TimelineEntry {
  id: string;
  type: 'claim' | 'unclaim' | 'draft' | 'comment' | 'complete';
  by: string;
  byName: string;
  at: string;
  text?: string;
}

/** `GET /api/tasks/:key`. */
interface TaskDetail extends TaskSummary {
  form: FormSchema | null;
  variables: Record<string, unknown>;
  draft: { values: Record<string, unknown>; savedAt: string } | null;
  actions: { claim: boolean; unclaim: boolean; complete: boolean };
  timeline: TimelineEntry[];
  history: { at: string; by: string; command: string }[];
}

/**
 * One task: its form (form-js viewer) filled with the process's variables and the caller's
 * draft, claim / unclaim / save draft / complete, the server's field errors shown on the
 * fields, comments, the inbox timeline and the instance's history.
 */
export const taskView: View = async (main, ctx) => {
  const key = ctx.params.key!;
  const path = `/api/tasks/${encodeURIComponent(key)}`;
  const back = h('p', { class: 'back' }, h('a', { href: '/inbox' }, `‹ ${t('task.back')}`));
  replace(main, back, h('p', {}, t('app.loading')));
  let task: TaskDetail;
  try {
    task = await api<TaskDetail>('GET', path);
  } catch (err) {
    replace(main, back, h('h1', {}, t('app.error')), notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  const me = currentUser()!;
  const status = h('div', { class: 'form-status' });
  const formHost = h('div', { class: 'task-form' });
  const isOpen = task.state === 'CREATED';
  let mounted: MountedForm | undefined;

  const reload = () => navigate(`/tasks/${encodeURIComponent(key)}`, { replace: true });
  const act = async (fn: () => Promise<unknown>, done: string, after: () => void = reload) => {
    replace(status);
    buttons.forEach((b) => (b.disabled = true));
    try {
      await fn();
      toast(done);
      after();
    } catch (err) {
      buttons.forEach((b) => (b.disabled = false));
      if (err instanceof ApiError && err.problem.errors?.length && mounted) {
        const rest = mounted.showServerErrors(err.problem.errors);
        replace(
          status,
          notice(
            [t('task.fix_errors'), ...rest.map((p) => `${p.path}：${p.message}`)].join('\n'),
            'error',
          ),
        );
      } else replace(status, notice(describeError(err), 'error'));
    }
  };

  const buttons: HTMLButtonElement[] = [];
  const button = (label: string, action: string, onclick: () => void, primary = false) => {
    const b = h(
      'button',
      { type: 'button', class: primary ? 'primary' : undefined, 'data-action': action, onclick },
      label,
    );
    buttons.push(b);
    return b;
  };
  const actions = h(
    'div',
    { class: 'actions sticky' },
    task.actions.claim
      ? button(
          t('task.claim'),
          'claim',
          () => void act(() => api('POST', `${path}/claim`), t('task.claimed')),
        )
      : null,
    task.actions.unclaim
      ? button(
          t('task.unclaim'),
          'unclaim',
          () => void act(() => api('POST', `${path}/unclaim`), t('task.unclaimed')),
        )
      : null,
    isOpen && task.form
      ? button(
          t('task.save_draft'),
          'draft',
          () =>
            void act(
              () => api('PUT', `${path}/draft`, { values: mounted?.values() ?? {} }),
              t('app.saved'),
              () => undefined,
            ),
        )
      : null,
    task.actions.complete
      ? button(
          t('task.complete'),
          'complete',
          () => {
            let variables: Record<string, unknown> = {};
            if (mounted) {
              const { data, errors } = mounted.submit();
              if (Object.keys(errors).length) {
                replace(status, notice(t('task.fix_errors'), 'error'));
                return;
              }
              variables = data;
            }
            void act(
              () => api('POST', `${path}/complete`, { variables }),
              t('task.completed'),
              () => navigate('/inbox'),
            );
          },
          true,
        )
      : null,
  );

  const comments = task.timeline.filter((e) => e.type === 'comment');
  const commentInput = h('textarea', {
    id: 'comment-text',
    rows: 2,
    maxlength: 2000,
    placeholder: t('task.comment_placeholder'),
  });
  const commentForm = h(
    'form',
    { class: 'comment-form' },
    h('label', { for: 'comment-text', class: 'visually-hidden' }, t('task.comments')),
    commentInput,
    h('button', { type: 'submit' }, t('task.comment_send')),
  );
  commentForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = commentInput.value.trim();
    if (!text) return;
    void act(() => api('POST', `${path}/comments`, { text }), t('task.comment_send'), reload);
  });

  replace(
    main,
    back,
    h('h1', {}, task.name),
    h(
      'p',
      { class: 'meta' },
      h(
        'span',
        { class: `state state-${task.state}` },
        tOr(`task.state.${task.state}`, task.state),
      ),
      h('span', {}, t('task.process', { name: processName(task.processId) })),
      h('span', {}, t('inbox.created', { at: formatTime(task.creationDate) })),
      task.dueDate
        ? h('span', { class: 'due' }, t('inbox.due', { at: formatTime(task.dueDate) }))
        : null,
      h(
        'span',
        {},
        task.assignee
          ? t('inbox.assignee', {
              name: task.assignee === me.user.id ? me.user.displayName : task.assignee,
            })
          : t('inbox.unassigned'),
      ),
    ),
    isOpen ? null : notice(t('task.not_open')),
    task.draft
      ? h('p', { class: 'hint' }, t('task.draft_saved', { at: formatTime(task.draft.savedAt) }))
      : null,
    formHost,
    task.form ? null : h('p', { class: 'hint' }, t('task.no_form')),
    status,
    actions,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('task.comments')),
      comments.length
        ? h(
            'ul',
            { class: 'comments' },
            comments.map((c) =>
              h(
                'li',
                {},
                h('strong', {}, c.byName),
                ' ',
                h('time', {}, formatTime(c.at)),
                h('p', {}, c.text ?? ''),
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('app.none')),
      commentForm,
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('task.timeline')),
      h(
        'ol',
        { class: 'timeline' },
        task.timeline.map((e) =>
          h(
            'li',
            {},
            h('time', {}, formatTime(e.at)),
            ' ',
            h('strong', {}, e.byName),
            ' ',
            tOr(`task.event.${e.type}`, e.type),
            e.text && e.type !== 'comment' ? `：${e.text}` : '',
          ),
        ),
      ),
      h('h3', {}, t('task.history')),
      h(
        'ol',
        { class: 'timeline small' },
        task.history.map((x) =>
          h(
            'li',
            {},
            h('time', {}, formatTime(x.at)),
            ' ',
            whoDid(x.by),
            ' ',
            tOr(`history.${x.command}`, x.command),
          ),
        ),
      ),
    ),
  );

  if (task.form) {
    const { mountForm } = await import('../form-view');
    mounted = await mountForm(
      formHost,
      task.form,
      { ...task.variables, ...(task.draft?.values ?? {}) },
      { readOnly: !task.actions.complete },
    );
  }
  return () => mounted?.destroy();
};

// helpers //////////

/**
 * Who made an engine commit, as people read it: `api:…` is the system; an account id
 * (`user:…`) means nothing to a reader (the inbox timeline above names the people).
 */
function whoDid(by: string): string {
  if (by.startsWith('api:')) return t('task.by_system');
  return by.startsWith('user:') ? '' : by;
}
