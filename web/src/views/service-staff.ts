import { api, ApiError, describeError, query } from '../api';
import { h, notice, replace, toast } from '../dom';
import { t } from '../i18n';
import type { View } from '../router';
import { currentUser } from '../session';
import {
  field,
  holdsAny,
  schoolsOf,
  SERVICE_STAFF_READERS,
  showFieldProblems,
  todayInChina,
} from './daily-common';
import './daily.css';

/** A member of the school's service staff as `GET /api/staff/members` shows them. */
interface Member {
  id: string;
  schoolId: string;
  schoolFullName: string;
  name: string;
  department: string;
  /** As the server gives it: never unmasked here. */
  mobile: string;
  employment: 'in-service' | 'external';
  registeredAt: string;
  status: 'active' | 'ended';
  ending?: { endDate: string; reason: string; endedBy: string; endedAt: string };
  /** What the server lets the signed-in person do with the member. */
  actions?: { end: boolean };
}

/** The filters of the list, as `GET /api/staff/members?status=` takes them. */
const FILTERS = ['active', 'ended', 'all'] as const;
type Filter = (typeof FILTERS)[number];

/** The most the list asks for at once (the API's page limit). */
const LIMIT = 200;

/**
 * /service-staff: the service staff registered at the school (附件2) for its admin and principal
 * and for the bureaus who read them — serving, ended or all — with department, in-service or
 * external, the day of registration and the phone as the API gives it. Where the server says the
 * person may (`actions.end`), a member's registration is ended with a reason and the last day
 * served; the server's problems are shown next to the form and nothing typed is lost.
 */
export const serviceStaffView: View = async (main, ctx) => {
  const me = currentUser()!;
  const heading = h('h1', {}, t('service_staff.title'));
  const raw = ctx.query.get('status') ?? 'active';
  const filter: Filter = (FILTERS as readonly string[]).includes(raw) ? (raw as Filter) : 'active';
  if (!holdsAny(me, SERVICE_STAFF_READERS)) {
    replace(main, heading, notice(t('app.forbidden'), 'error'));
    return;
  }
  replace(main, heading, h('p', {}, t('app.loading')));
  let page: { items: Member[]; total: number };
  try {
    page = await api<{ items: Member[]; total: number }>(
      'GET',
      `/api/staff/members${query({ status: filter, limit: LIMIT })}`,
    );
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  // a bureau reads several schools: each card names its school
  const ownSchools = schoolsOf(me, ['schoolAdmin', 'principal']);
  const showSchool = ownSchools.length !== 1 || new Set(page.items.map((m) => m.schoolId)).size > 1;

  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': t('service_staff.filter') },
    FILTERS.map((f) =>
      h(
        'a',
        {
          href: `/service-staff${query({ status: f === 'active' ? undefined : f })}`,
          class: f === filter ? 'tab active' : 'tab',
          'aria-current': f === filter ? 'page' : undefined,
          'data-filter': f,
        },
        t(`service_staff.filter.${f}`),
      ),
    ),
  );
  const list = h(
    'ul',
    { class: 'roster member-list', 'aria-labelledby': 'members-h' },
    page.items.map((m) => memberItem(m, showSchool)),
  );
  replace(
    main,
    heading,
    h(
      'p',
      { class: 'lead' },
      t(ownSchools.length ? 'service_staff.lead' : 'service_staff.lead_bureau'),
    ),
    tabs,
    h('h2', { id: 'members-h', class: 'visually-hidden' }, t(`service_staff.filter.${filter}`)),
    page.items.length ? list : h('p', { class: 'empty' }, t(`service_staff.empty.${filter}`)),
    page.total > page.items.length
      ? h(
          'p',
          { class: 'total' },
          t('service_staff.more', { n: page.items.length, total: page.total }),
        )
      : null,
  );
};

/** One member as a card: the facts, the ending if any, and the action the server allows. */
function memberItem(m: Member, showSchool: boolean): HTMLElement {
  const item = h('li', { class: 'card member-item', 'data-member': m.id, 'data-status': m.status });
  fill(item, m, showSchool);
  return item;
}

function fill(item: HTMLElement, m: Member, showSchool: boolean): void {
  item.dataset.status = m.status;
  item.classList.toggle('member-ended', m.status === 'ended');
  const headingId = `member-${m.id}-h`;
  const facts: [string, string][] = [
    ...(showSchool ? ([[t('service_staff.school'), m.schoolFullName]] as [string, string][]) : []),
    [t('service_staff.department'), m.department],
    [t('service_staff.employment'), t(`service_staff.employment.${m.employment}`)],
    [t('service_staff.registered_on'), todayInChina(new Date(m.registeredAt))],
    [t('service_staff.mobile'), m.mobile],
    ...(m.ending
      ? ([
          [t('service_staff.end_date'), m.ending.endDate],
          [t('service_staff.end_reason'), m.ending.reason],
        ] as [string, string][])
      : []),
  ];
  replace(
    item,
    h(
      'h3',
      { id: headingId, tabindex: '-1' },
      m.name,
      ' ',
      h(
        'span',
        { class: `status status-staff-${m.status}`, 'data-status': m.status },
        t(`service_staff.status.${m.status}`),
      ),
    ),
    h(
      'dl',
      { class: 'member-facts' },
      facts.map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
    ),
    m.status === 'active' && m.actions?.end
      ? endAction(m, (ended) => {
          fill(item, ended, showSchool);
          item.querySelector<HTMLElement>(`#${CSS.escape(headingId)}`)?.focus();
          toast(t('service_staff.ended', { name: ended.name }));
        })
      : null,
  );
}

/**
 * The "end registration" action: a button that opens the form (reason, last day served —
 * today by default), asks to confirm, and calls `done` with the member as the server ended it.
 */
function endAction(m: Member, done: (ended: Member) => void): HTMLElement {
  const formId = `end-${m.id}`;
  const today = todayInChina();
  const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 200, required: true });
  const endDate = h('input', {
    name: 'endDate',
    type: 'date',
    value: today,
    min: todayInChina(new Date(m.registeredAt)),
    max: today,
    required: true,
  });
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'danger' }, t('service_staff.end_submit'));
  const open = h(
    'button',
    { type: 'button', 'aria-expanded': 'false', 'aria-controls': formId },
    t('service_staff.end'),
  );
  const form = h(
    'form',
    {
      id: formId,
      class: 'end-form',
      novalidate: true,
      hidden: true,
      'aria-label': t('service_staff.end_title', { name: m.name }),
    },
    field(`${formId}-reason`, t('service_staff.end_reason'), reason),
    field(`${formId}-date`, t('service_staff.end_date'), endDate, t('service_staff.end_date_hint')),
    status,
    h(
      'div',
      { class: 'actions' },
      submit,
      h('button', { type: 'button', onclick: () => toggle(false) }, t('app.cancel')),
    ),
  );
  function toggle(show: boolean): void {
    form.hidden = !show;
    open.hidden = show;
    open.setAttribute('aria-expanded', String(show));
    if (show) reason.focus();
    else open.focus();
  }
  open.addEventListener('click', () => toggle(true));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { reason: reason.value.trim(), endDate: endDate.value };
    if (!body.reason || !body.endDate) {
      const missing = [
        ...(body.reason ? [] : [{ path: 'reason', message: t('service_staff.reason_required') }]),
        ...(body.endDate ? [] : [{ path: 'endDate', message: t('error.field_required') }]),
      ];
      showFieldProblems(
        form,
        new ApiError({
          title: t('service_staff.check_fields'),
          status: 400,
          code: 'VALIDATION_FAILED',
          errors: missing,
        }),
      );
      replace(status);
      form.querySelector<HTMLElement>('[aria-invalid]')?.focus();
      return;
    }
    if (!confirm(t('service_staff.end_confirm', { name: m.name, date: body.endDate }))) return;
    submit.disabled = true;
    void api<Member>('POST', `/api/staff/members/${encodeURIComponent(m.id)}/end`, body)
      .then(done, (err: unknown) => {
        // what was typed stays in the form; the problems are shown beside it
        const rest = showFieldProblems(form, err);
        const placed = err instanceof ApiError && (err.problem.errors?.length ?? 0) > rest.length;
        replace(
          status,
          notice(
            placed && !rest.length
              ? t('service_staff.check_fields')
              : [describeError(err), ...rest.map((p) => p.message)].join('\n'),
            'error',
          ),
        );
      })
      .finally(() => (submit.disabled = false));
  });
  return h('div', { class: 'member-end' }, open, form);
}
