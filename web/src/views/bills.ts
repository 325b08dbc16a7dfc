import './oversight.css';
import { api, ApiError, describeError, query } from '../api';
import { h, notice, replace } from '../dom';
import { formatTime, t, tOr, yuan } from '../i18n';

/** A bill as `GET /api/billing/bills` shows it to a guardian. */
interface Bill {
  id: string;
  studentName: string;
  month: string;
  lines: { item: string; name: string; fen: number; days: number }[];
  amountFen: number;
  status: 'open' | 'paid' | 'waived' | 'overdue' | 'cancelled';
  paidFen?: number;
  paidAt?: string;
  withdrawal?: { refundFen: number };
}

/** `POST /api/payments/bills/:id/order` (WeChat Pay, when the payment integration is on). */
interface Order {
  outTradeNo: string;
  amountFen: number;
  state: 'open' | 'paid' | 'closed';
  codeUrl?: string;
}

/** Answers that mean online payment is not available here (not mounted, or WeChat Pay down). */
function isUnavailable(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    ((err.status === 404 && err.code === 'ROUTE_NOT_FOUND') ||
      err.code === 'WECHATPAY_OFF' ||
      err.status === 501 ||
      err.status === 503)
  );
}

/**
 * The bills of one application (without one: of all the parent's children), each with its
 * lines and status; an open or overdue bill can be
 * ordered through WeChat Pay (the order's number and pay link), and where online payment is not
 * available the parent is told to pay as the school says.
 */
export function billsSection(applicationId: string | undefined, signal: AbortSignal): HTMLElement {
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'bills-h', id: 'bills' },
    h('h2', { id: 'bills-h' }, t('bills.title')),
    h('p', {}, t('app.loading')),
  );
  void loadBills(section, applicationId, signal);
  return section;
}

async function loadBills(
  section: HTMLElement,
  applicationId: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  let bills: Bill[];
  try {
    bills = (
      await api<{ items: Bill[] }>(
        'GET',
        `/api/billing/bills${query({ applicationId, limit: 24 })}`,
      )
    ).items;
  } catch (err) {
    replace(
      section,
      h('h2', { id: 'bills-h' }, t('bills.title')),
      notice(describeError(err), 'error'),
    );
    return;
  }
  if (signal.aborted) return;
  replace(
    section,
    h('h2', { id: 'bills-h' }, t('bills.title')),
    bills.length
      ? h(
          'ul',
          { class: 'bill-list' },
          bills.map((b) => billItem(b)),
        )
      : h('p', { class: 'empty' }, t('bills.empty')),
  );
}

function billItem(b: Bill): HTMLElement {
  const status = h('div', { class: 'form-status' });
  const payable = b.status === 'open' || b.status === 'overdue';
  const pay = payable
    ? h(
        'button',
        {
          type: 'button',
          class: 'primary',
          'data-action': 'pay',
          onclick: (e: Event) => {
            const button = e.currentTarget as HTMLButtonElement;
            button.disabled = true;
            replace(status, notice(t('bills.paying')));
            void api<Order>('POST', `/api/payments/bills/${encodeURIComponent(b.id)}/order`, {
              tradeType: 'NATIVE',
            }).then(
              (order) =>
                replace(
                  status,
                  h(
                    'div',
                    { class: 'pay-order', 'data-order': order.outTradeNo },
                    h(
                      'p',
                      {},
                      t('bills.order', { no: order.outTradeNo, yuan: yuan(order.amountFen) }),
                    ),
                    order.codeUrl
                      ? [
                          h('p', {}, t('bills.order_hint')),
                          h('p', {}, h('a', { href: order.codeUrl }, order.codeUrl)),
                        ]
                      : null,
                  ),
                ),
              (err: unknown) => {
                button.disabled = false;
                replace(
                  status,
                  notice(
                    isUnavailable(err) ? t('bills.order_unavailable') : describeError(err),
                    isUnavailable(err) ? 'info' : 'error',
                  ),
                );
              },
            );
          },
        },
        t('bills.pay'),
      )
    : null;
  return h(
    'li',
    { 'data-bill': b.id, 'data-status': b.status },
    h(
      'p',
      {},
      h('strong', {}, `${b.studentName} · ${t('bills.month', { month: b.month })}`),
      ' ',
      h('span', { class: `status status-${b.status}` }, tOr(`bills.status.${b.status}`, b.status)),
    ),
    h('p', {}, t('bills.amount', { yuan: yuan(b.amountFen) })),
    b.lines.length
      ? h(
          'ul',
          { class: 'meta', 'aria-label': t('bills.lines') },
          b.lines.map((l) =>
            h('li', {}, t('bills.line', { name: l.name, yuan: yuan(l.fen), days: l.days })),
          ),
        )
      : null,
    b.status === 'paid' && b.paidAt
      ? h('p', { class: 'meta' }, t('bills.paid_at', { at: formatTime(b.paidAt) }))
      : null,
    b.withdrawal?.refundFen
      ? h('p', { class: 'meta' }, t('bills.refund', { yuan: yuan(b.withdrawal.refundFen) }))
      : null,
    pay,
    status,
  );
}

/** A safety incident as a guardian reads it (their own child's part only). */
interface IncidentView {
  id: string;
  occurredAt: string;
  location: string;
  description: string;
  injured: boolean;
  injuries?: string;
  severity: 'minor' | 'moderate' | 'serious' | 'critical';
  status: 'open' | 'closed' | 'cancelled';
  involvedStudents: { name: string }[];
}

/** The safety incidents the parent's children were involved in (reporting is for staff). */
export function incidentsSection(signal: AbortSignal): HTMLElement {
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'incidents-h', id: 'incidents' },
    h('h2', { id: 'incidents-h' }, t('incidents.title')),
  );
  void loadIncidents(section, signal);
  return section;
}

async function loadIncidents(section: HTMLElement, signal: AbortSignal): Promise<void> {
  let items: IncidentView[];
  try {
    items = (await api<{ items: IncidentView[] }>('GET', '/api/safety/incidents?limit=20')).items;
  } catch (err) {
    // a server without the safety module: say nothing rather than alarm the parent
    if (err instanceof ApiError && err.code === 'ROUTE_NOT_FOUND') section.hidden = true;
    else section.append(notice(describeError(err), 'error'));
    return;
  }
  if (signal.aborted) return;
  section.append(
    items.length
      ? h(
          'ul',
          { class: 'incident-list' },
          items.map((i) =>
            h(
              'li',
              { 'data-incident': i.id },
              h(
                'p',
                {},
                h('strong', {}, i.involvedStudents.map((s) => s.name).join('、')),
                ' ',
                h('span', { class: 'status' }, tOr(`incidents.severity.${i.severity}`, i.severity)),
                ' ',
                h(
                  'span',
                  { class: `status status-${i.status === 'open' ? 'submitted' : 'completed'}` },
                  tOr(`incidents.status.${i.status}`, i.status),
                ),
              ),
              h(
                'p',
                { class: 'meta' },
                t('incidents.line', { at: formatTime(i.occurredAt), location: i.location }),
              ),
              h('p', {}, i.description),
              i.injured && i.injuries
                ? h('p', {}, t('incidents.injured', { injuries: i.injuries }))
                : null,
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('incidents.empty')),
  );
}
