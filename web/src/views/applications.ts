import { api, describeError } from '../api';
import { h, notice, replace, toast } from '../dom';
import { formatTime, t, tOr, yuan, type TextKey } from '../i18n';
import { navigate, type View } from '../router';
import { billsSection, incidentsSection } from './bills';

/** An application as `GET /api/enrolment/applications[/:id]` shows it. */
interface Application {
  id: string;
  studentId: string;
  studentName: string;
  schoolId: string;
  classId: string;
  term: string;
  sessionId: string;
  weekdays: number[];
  midday: boolean;
  status: string;
  currentSteps?: { id: string; name?: string }[];
  placement?: { status: 'placed' | 'waiting'; rank?: number };
  fee?: { monthlyFen: number; free: boolean; middayFen: number; citations: string };
  refusal?: { rule: string; clause: string; message: string }[];
  pickup?: { name: string; relation: string; phone: string };
  submittedAt: string;
  timeline?: { step: string; status?: string; at: string; by: string }[];
}

const WITHDRAWABLE = ['submitted', 'placed', 'waiting', 'enrolled'];

function statusBadge(status: string): HTMLElement {
  return h(
    'span',
    { class: `status status-${status}`, 'data-status': status },
    tOr(`status.${status}`, status),
  );
}

function weekdays(days: number[]): string {
  return days.map((d) => tOr(`weekday.${d}`, String(d))).join('、');
}

/** The parent's applications, newest first, each with its status and where it stands. */
export const applicationsView: View = async (main, ctx) => {
  const heading = h('h1', {}, t('applications.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  let items: Application[];
  try {
    items = (await api<{ items: Application[] }>('GET', '/api/enrolment/applications?limit=50'))
      .items;
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  replace(
    main,
    heading,
    h('p', {}, h('a', { class: 'button primary', href: '/apply' }, t('applications.new'))),
    items.length
      ? h(
          'ul',
          { class: 'app-list' },
          items.map((a) =>
            h(
              'li',
              { class: 'card app-item', 'data-id': a.id },
              h(
                'h2',
                {},
                h('a', { href: `/applications/${encodeURIComponent(a.id)}` }, a.studentName),
                ' ',
                statusBadge(a.status),
              ),
              h(
                'p',
                { class: 'meta' },
                h('span', {}, t('applications.submitted_at', { at: formatTime(a.submittedAt) })),
                h('span', {}, t('applications.weekdays', { days: weekdays(a.weekdays) })),
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('applications.empty')),
    billsSection(undefined, ctx.signal),
    incidentsSection(ctx.signal),
  );
};

/** One application: status, current step, arrangement, fee, timeline, withdraw. */
export const applicationView: View = async (main, ctx) => {
  const id = ctx.params.id!;
  const back = h(
    'p',
    { class: 'back' },
    h('a', { href: '/applications' }, `‹ ${t('applications.title')}`),
  );
  replace(main, back, h('p', {}, t('app.loading')));
  let a: Application;
  try {
    a = await api<Application>('GET', `/api/enrolment/applications/${encodeURIComponent(id)}`);
  } catch (err) {
    replace(main, back, h('h1', {}, t('app.error')), notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  const status = h('div', { class: 'form-status' });
  const withdraw = WITHDRAWABLE.includes(a.status)
    ? h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-action': 'withdraw',
          onclick: () => {
            if (!confirm(t('applications.withdraw_confirm'))) return;
            void api('POST', `/api/enrolment/applications/${encodeURIComponent(id)}/withdraw`).then(
              () => {
                toast(t('applications.withdrawn'));
                navigate(`/applications/${encodeURIComponent(id)}`, { replace: true });
              },
              (err: unknown) => replace(status, notice(describeError(err), 'error')),
            );
          },
        },
        t('applications.withdraw'),
      )
    : null;
  const steps = (a.currentSteps ?? []).map((s) => s.name ?? s.id);
  const arrangement =
    a.placement || a.fee
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'arr-h' },
          h('h2', { id: 'arr-h' }, t('applications.arrangement')),
          a.placement?.status === 'waiting' && a.placement.rank
            ? h('p', {}, t('applications.rank', { rank: a.placement.rank }))
            : null,
          h(
            'p',
            {},
            statusBadge(a.status),
            ' ',
            t('applications.weekdays', { days: weekdays(a.weekdays) }),
          ),
          a.fee
            ? h(
                'p',
                { class: 'fee' },
                h('strong', {}, `${t('applications.fee')}：`),
                a.fee.free
                  ? t('applications.fee_free')
                  : t('applications.fee_monthly', { yuan: yuan(a.fee.monthlyFen) }),
                a.midday && a.fee.middayFen
                  ? `；${t('applications.fee_midday', { yuan: yuan(a.fee.middayFen) })}`
                  : '',
              )
            : null,
        )
      : null;
  replace(
    main,
    back,
    h('h1', {}, a.studentName, ' ', statusBadge(a.status)),
    h(
      'p',
      { class: 'meta' },
      h('span', {}, t('applications.submitted_at', { at: formatTime(a.submittedAt) })),
      h('span', {}, t('applications.weekdays', { days: weekdays(a.weekdays) })),
      a.pickup
        ? h(
            'span',
            {},
            t('applications.pickup', { name: a.pickup.name, relation: a.pickup.relation }),
          )
        : null,
    ),
    steps.length
      ? h('p', { class: 'current' }, t('applications.current', { steps: steps.join('、') }))
      : null,
    arrangement,
    a.refusal?.length
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, t('applications.refusal')),
          h(
            'ul',
            {},
            a.refusal.map((r) => h('li', {}, `${r.message}（${r.rule}，${r.clause}）`)),
          ),
        )
      : null,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('applications.timeline')),
      h(
        'ol',
        { class: 'timeline' },
        (a.timeline ?? []).map((e) =>
          h(
            'li',
            {},
            h('time', {}, formatTime(e.at)),
            ' ',
            tOr(`step.${e.step}`, e.step),
            e.status ? ' · ' : '',
            e.status ? tOr(`status.${e.status}`, e.status) : '',
          ),
        ),
      ),
    ),
    ['placed', 'enrolled', 'withdrawn'].includes(a.status) ? billsSection(id, ctx.signal) : null,
    status,
    withdraw ? h('div', { class: 'actions' }, withdraw) : null,
  );
};

export type { TextKey };
