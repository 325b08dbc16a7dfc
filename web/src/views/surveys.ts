import { api, describeError } from '../api';
import { h, notice, replace, toast } from '../dom';
import { t, tOr } from '../i18n';
import { navigate, type View } from '../router';
import { currentUser } from '../session';
import { field, holdsAny, schoolsOf, showFieldProblems } from './daily-common';
import './daily.css';

type Kind = 'single' | 'rating' | 'text';

/** A survey as `/api/surveys` shows it. */
interface Survey {
  id: string;
  schoolId: string;
  title: string;
  description?: string;
  questions: { id: string; kind: Kind; text: string; options?: string[]; required: boolean }[];
  status: 'draft' | 'open' | 'closed';
  responses?: number;
  answered?: boolean;
}

/** `GET /api/surveys/:id/results`. */
interface Results {
  title: string;
  status: string;
  responses: number;
  /** Fewer than `minimumResponses` answered: only the count, no breakdown (anonymity). */
  withheld?: true;
  minimumResponses?: number;
  questions: {
    id: string;
    kind: Kind;
    text: string;
    answered: number;
    options?: { label: string; count: number }[];
    average?: number | null;
    distribution?: number[];
    texts?: string[];
  }[];
}

/** One answer of `POST /api/surveys/:id/responses`. */
interface Answer {
  questionId: string;
  choice?: number;
  rating?: number;
  text?: string;
}

const READERS = ['committee', 'schoolAdmin', 'principal'];

function statusBadge(status: string): HTMLElement {
  return h(
    'span',
    { class: `status status-survey-${status}`, 'data-status': status },
    tOr(`surveys.status.${status}`, status),
  );
}

/**
 * /surveys: a parent's open surveys of their children's schools (each answered once); for the
 * parent committee (and the school) the school's surveys with open / close and the results.
 */
export const surveysView: View = async (main, ctx) => {
  const me = currentUser()!;
  const heading = h('h1', {}, t('surveys.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  const isParent = me.roles.includes('parent');
  const isReader = holdsAny(me, READERS);
  const isCommittee = me.roles.includes('committee');
  const sections: HTMLElement[] = [];
  try {
    if (isParent) {
      const open = (await api<{ items: Survey[] }>('GET', '/api/surveys/answerable')).items;
      sections.push(
        h(
          'section',
          { 'aria-labelledby': 'answer-h' },
          h('h2', { id: 'answer-h' }, t('surveys.to_answer')),
          open.length
            ? h(
                'ul',
                { class: 'roster' },
                open.map((s) =>
                  h(
                    'li',
                    { class: 'card survey-item', 'data-survey': s.id },
                    h('h3', {}, s.title),
                    s.description ? h('p', {}, s.description) : null,
                    s.answered
                      ? h('p', { class: 'status', 'data-answered': 'true' }, t('surveys.answered'))
                      : h(
                          'a',
                          {
                            class: 'button primary',
                            href: `/surveys/${encodeURIComponent(s.id)}/answer`,
                          },
                          t('surveys.answer'),
                        ),
                  ),
                ),
              )
            : h('p', { class: 'empty' }, t('surveys.none_to_answer')),
        ),
      );
    }
    if (isReader) {
      const all = (await api<{ items: Survey[] }>('GET', '/api/surveys?limit=100')).items;
      sections.push(
        committeeSection(all, isCommittee, () => navigate('/surveys', { replace: true })),
      );
    }
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  replace(main, heading, sections);
};

function committeeSection(items: Survey[], canManage: boolean, reload: () => void): HTMLElement {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const move = (s: Survey, to: 'open' | 'close') =>
    void api('POST', `/api/surveys/${encodeURIComponent(s.id)}/${to}`).then(
      () => {
        toast(t(to === 'open' ? 'surveys.opened' : 'surveys.closed'));
        reload();
      },
      (err: unknown) => replace(status, notice(describeError(err), 'error')),
    );
  return h(
    'section',
    { 'aria-labelledby': 'manage-h' },
    h('h2', { id: 'manage-h' }, t('surveys.manage')),
    canManage
      ? h('p', {}, h('a', { class: 'button primary', href: '/surveys/new' }, t('surveys.new')))
      : null,
    status,
    items.length
      ? h(
          'ul',
          { class: 'roster' },
          items.map((s) =>
            h(
              'li',
              { class: 'card survey-item', 'data-survey': s.id },
              h('h3', {}, s.title, ' ', statusBadge(s.status)),
              h('p', { class: 'meta' }, t('surveys.responses', { n: s.responses ?? 0 })),
              h(
                'div',
                { class: 'actions' },
                canManage && s.status === 'draft'
                  ? h(
                      'button',
                      { type: 'button', class: 'primary', onclick: () => move(s, 'open') },
                      t('surveys.open'),
                    )
                  : null,
                canManage && s.status === 'open'
                  ? h(
                      'button',
                      { type: 'button', onclick: () => move(s, 'close') },
                      t('surveys.close'),
                    )
                  : null,
                s.status !== 'draft'
                  ? h(
                      'a',
                      { class: 'button', href: `/surveys/${encodeURIComponent(s.id)}/results` },
                      t('surveys.results'),
                    )
                  : null,
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('surveys.none')),
  );
}

/** /surveys/new: the committee drafts a survey of single-choice, rating and text questions. */
export const surveyNewView: View = (main) => {
  const me = currentUser()!;
  const back = h('p', { class: 'back' }, h('a', { href: '/surveys' }, `‹ ${t('surveys.back')}`));
  const heading = h('h1', {}, t('surveys.new'));
  const schoolId = schoolsOf(me, ['committee'])[0];
  const title = h('input', { name: 'title', required: true, maxlength: 100 });
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 2000 });
  const questions = h('div', { class: 'questions' });
  let counter = 0;

  function renumber(): void {
    questions
      .querySelectorAll('legend')
      .forEach((l, i) => (l.textContent = t('surveys.question', { n: i + 1 })));
  }

  function addQuestion(): void {
    const n = ++counter;
    const kind = h(
      'select',
      { name: `kind` },
      (['single', 'rating', 'text'] as const).map((k) =>
        h('option', { value: k }, t(`surveys.kind.${k}`)),
      ),
    );
    const text = h('input', { name: 'text', required: true, maxlength: 500 });
    const options = h('textarea', { name: 'options', rows: 3 });
    const required = h('input', { type: 'checkbox', name: 'required', checked: true });
    const optionsField = field(`q${n}-options`, t('surveys.options'), options);
    kind.addEventListener('change', () => {
      optionsField.hidden = kind.value !== 'single';
      required.checked = kind.value !== 'text';
    });
    const box: HTMLFieldSetElement = h(
      'fieldset',
      { class: 'card survey-question', 'data-question': String(n) },
      h('legend', {}),
      field(`q${n}-text`, t('surveys.question_text'), text),
      field(`q${n}-kind`, t('surveys.question_kind'), kind),
      optionsField,
      h(
        'div',
        { class: 'field' },
        h('label', { class: 'inline' }, required, t('surveys.required')),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            if (questions.children.length > 1) {
              box.remove();
              renumber();
            }
          },
        },
        t('surveys.remove_question'),
      ),
    );
    questions.appendChild(box);
    renumber();
  }
  addQuestion();

  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card survey-form', novalidate: true },
    field('survey-title', t('surveys.form_title'), title),
    field('survey-description', t('surveys.form_description'), description),
    questions,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: addQuestion }, t('surveys.add_question')),
      h('button', { type: 'submit', class: 'primary' }, t('surveys.save')),
    ),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = [...questions.querySelectorAll<HTMLFieldSetElement>('fieldset')].map((box) => {
      const kind = box.querySelector<HTMLSelectElement>('[name=kind]')!.value as Kind;
      const text = box.querySelector<HTMLInputElement>('[name=text]')!.value.trim();
      const required = box.querySelector<HTMLInputElement>('[name=required]')!.checked;
      const options = box
        .querySelector<HTMLTextAreaElement>('[name=options]')!
        .value.split('\n')
        .map((o) => o.trim())
        .filter(Boolean);
      return kind === 'single' ? { kind, text, options, required } : { kind, text, required };
    });
    void api<Survey>('POST', '/api/surveys', {
      schoolId,
      title: title.value.trim(),
      ...(description.value.trim() ? { description: description.value.trim() } : {}),
      questions: qs,
    }).then(
      () => {
        toast(t('surveys.created'));
        navigate('/surveys');
      },
      (err: unknown) => {
        const rest = showFieldProblems(form, err);
        replace(
          status,
          notice(
            [describeError(err), ...rest.map((p) => `${p.path}：${p.message}`)].join('\n'),
            'error',
          ),
        );
      },
    );
  });
  replace(main, back, heading, form);
};

/** /surveys/:id/answer: a parent answers an open survey, once. */
export const surveyAnswerView: View = async (main, ctx) => {
  const back = h('p', { class: 'back' }, h('a', { href: '/surveys' }, `‹ ${t('surveys.back')}`));
  replace(main, back, h('p', {}, t('app.loading')));
  let s: Survey;
  try {
    s = await api<Survey>('GET', `/api/surveys/${encodeURIComponent(ctx.params.id!)}`);
  } catch (err) {
    replace(main, back, h('h1', {}, t('app.error')), notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  const heading = h('h1', {}, s.title);
  if (s.answered) {
    replace(main, back, heading, notice(t('surveys.answered'), 'ok'));
    return;
  }
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card survey-answer', novalidate: true },
    s.questions.map((q, i) => questionInput(q, i)),
    status,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('surveys.submit')),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const answers = s.questions.flatMap((q): Answer[] => {
      if (q.kind === 'text') {
        const v = form.querySelector<HTMLTextAreaElement>(`[name="${q.id}"]`)!.value.trim();
        return v ? [{ questionId: q.id, text: v }] : [];
      }
      const picked = form.querySelector<HTMLInputElement>(`[name="${q.id}"]:checked`);
      if (!picked) return [];
      return [
        q.kind === 'single'
          ? { questionId: q.id, choice: Number(picked.value) }
          : { questionId: q.id, rating: Number(picked.value) },
      ];
    });
    void api('POST', `/api/surveys/${encodeURIComponent(s.id)}/responses`, { answers }).then(
      () => replace(main, back, heading, notice(t('surveys.thanks'), 'ok')),
      (err: unknown) => {
        const rest = showFieldProblems(form, err);
        replace(
          status,
          notice([describeError(err), ...rest.map((p) => p.message)].join('\n'), 'error'),
        );
      },
    );
  });
  replace(
    main,
    back,
    heading,
    s.description ? h('p', {}, s.description) : null,
    h('p', { class: 'hint' }, t('surveys.anonymous')),
    form,
  );
};

function questionInput(q: Survey['questions'][number], i: number): HTMLElement {
  const label = `${i + 1}. ${q.text}${q.required ? ' *' : ''}`;
  if (q.kind === 'text')
    return field(`answer-${q.id}`, label, h('textarea', { name: q.id, rows: 3, maxlength: 1000 }));
  const choices =
    q.kind === 'single'
      ? (q.options ?? []).map((o, k) => [String(k), o] as const)
      : [1, 2, 3, 4, 5].map((n) => [String(n), t('surveys.rating_n', { n })] as const);
  return h(
    'fieldset',
    { class: 'choices survey-question', 'data-question': q.id },
    h('legend', {}, label),
    q.kind === 'rating' ? h('p', { class: 'hint' }, t('surveys.rating_hint')) : null,
    choices.map(([value, text]) =>
      h(
        'label',
        { class: 'inline' },
        h('input', { type: 'radio', name: q.id, value, required: q.required }),
        text,
      ),
    ),
  );
}

/** /surveys/:id/results: the aggregate per question, never who answered. */
export const surveyResultsView: View = async (main, ctx) => {
  const back = h('p', { class: 'back' }, h('a', { href: '/surveys' }, `‹ ${t('surveys.back')}`));
  replace(main, back, h('p', {}, t('app.loading')));
  let r: Results;
  try {
    r = await api<Results>('GET', `/api/surveys/${encodeURIComponent(ctx.params.id!)}/results`);
  } catch (err) {
    replace(main, back, h('h1', {}, t('app.error')), notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  replace(
    main,
    back,
    h('h1', {}, t('surveys.results_title', { title: r.title }), ' ', statusBadge(r.status)),
    h(
      'p',
      { class: 'lead', 'data-responses': String(r.responses) },
      t('surveys.results_total', { n: r.responses }),
    ),
    r.withheld ? notice(t('surveys.withheld', { n: r.minimumResponses ?? 3 })) : null,
    r.questions.map((q, i) =>
      r.withheld
        ? h(
            'section',
            { class: 'card survey-result', 'data-question': q.id },
            h('h2', {}, `${i + 1}. ${q.text}`),
          )
        : h(
            'section',
            { class: 'card survey-result', 'data-question': q.id },
            h('h2', {}, `${i + 1}. ${q.text}`),
            h('p', { class: 'meta' }, t('surveys.answered_n', { n: q.answered })),
            q.kind === 'single' ? countTable(q.options ?? []) : null,
            q.kind === 'rating'
              ? [
                  h('p', {}, t('surveys.average', { avg: q.average ?? '—' })),
                  countTable(
                    (q.distribution ?? []).map((count, k) => ({
                      label: t('surveys.rating_n', { n: k + 1 }),
                      count,
                    })),
                  ),
                ]
              : null,
            q.kind === 'text'
              ? q.texts?.length
                ? h(
                    'ul',
                    {},
                    q.texts.map((x) => h('li', {}, x)),
                  )
                : h('p', { class: 'empty' }, t('surveys.no_texts'))
              : null,
          ),
    ),
  );
};

function countTable(rows: { label: string; count: number }[]): HTMLElement {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('surveys.option')),
          h('th', { scope: 'col', class: 'num' }, t('surveys.count')),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, r.label),
            h(
              'td',
              { class: 'num' },
              h('span', {
                class: 'bar',
                style: `width:${Math.round((r.count / max) * 60)}px`,
                'aria-hidden': 'true',
              }),
              String(r.count),
            ),
          ),
        ),
      ),
    ),
  );
}
