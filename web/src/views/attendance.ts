import { api, describeError, query } from '../api';
import { h, notice, replace, toast } from '../dom';
import { t, tOr } from '../i18n';
import { navigate, type View } from '../router';
import { currentUser } from '../session';
import {
  ATTENDANCE_ROLES,
  RECORDER_ROLES,
  field,
  holdsAny,
  schoolsOf,
  showFieldProblems,
  timeInChina,
  todayInChina,
} from './daily-common';
import './daily.css';

/** A session of a school's filed plan (`GET /api/plans`). */
interface PlanSession {
  id: string;
  name: string;
  start: string;
  end: string;
  venue: string;
}

interface Plan {
  id: string;
  schoolId: string;
  termStart: string;
  termEnd: string;
  status: string;
  sessions: PlanSession[];
}

/** One child's attendance line (`GET /api/safety/attendance`). */
interface AttendanceLine {
  id: string;
  sessionId: string;
  sessionName: string;
  date: string;
  studentId: string;
  studentName: string;
  present: boolean;
  handOver?: { guardianName: string; relation?: string; at: string };
  handOverMissing: boolean;
}

/** An enrolled child of the session, from the applications the teacher may read. */
interface Enrolled {
  studentId: string;
  studentName: string;
  schoolId: string;
  sessionId: string;
  status: string;
  pickup?: { name: string; relation: string };
}

interface OpenHandOvers {
  items: { sessionName: string; students: { studentName: string }[] }[];
  rules: { rule: string; clause: string; message: string }[];
}

/** One row of the roster: the child, who usually picks them up, and today's line. */
interface RosterRow {
  studentId: string;
  name: string;
  pickup?: { name: string; relation: string };
  line?: AttendanceLine;
}

/**
 * /attendance: for teachers, a session's roster of one day — check the children in, hand
 * each over to a named guardian at a time (SAFE-ATTEND), the missing hand-overs flagged, and
 * an incident reported from the roster; for parents, their children's lines.
 */
export const attendanceView: View = async (main, ctx) => {
  const me = currentUser()!;
  if (!holdsAny(me, ATTENDANCE_ROLES)) return parentAttendance(main, ctx.signal);
  const heading = h('h1', {}, t('roster.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  const schools = schoolsOf(me, ATTENDANCE_ROLES);
  let plans: Plan[];
  try {
    plans = (await api<{ items: Plan[] }>('GET', '/api/plans?limit=50')).items.filter(
      (p) => (p.status === 'filed' || p.status === 'published') && schools.includes(p.schoolId),
    );
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  const date = ctx.query.get('date') ?? todayInChina();
  const running = plans.filter((p) => p.termStart <= date && date <= p.termEnd);
  const sessions = running.flatMap((p) => p.sessions.map((s) => ({ ...s, schoolId: p.schoolId })));
  const chosen = sessions.find((s) => s.id === ctx.query.get('session')) ?? sessions[0];

  const dateInput = h('input', { type: 'date', name: 'date', value: date });
  const sessionSelect = h(
    'select',
    { name: 'session' },
    sessions.map((s) =>
      h(
        'option',
        { value: s.id, selected: s === chosen },
        t('roster.session_option', { name: s.name, start: s.start, end: s.end }),
      ),
    ),
  );
  const go = () =>
    navigate(`/attendance${query({ date: dateInput.value, session: sessionSelect.value })}`);
  dateInput.addEventListener('change', go);
  sessionSelect.addEventListener('change', go);
  const picker = h(
    'form',
    { class: 'card roster-picker', onsubmit: (e: Event) => (e.preventDefault(), go()) },
    field('roster-date', t('roster.date'), dateInput),
    sessions.length ? field('roster-session', t('roster.session'), sessionSelect) : null,
  );
  if (!chosen) {
    replace(main, heading, picker, h('p', { class: 'empty' }, t('roster.no_session')));
    return;
  }

  // the principal reads the sheets; teachers, class teachers and the school admin keep them
  const canRecord = holdsAny(me, RECORDER_ROLES);
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'roster' });
  const summary = h('p', { class: 'total' });
  const missing = h('section', { class: 'card', 'aria-labelledby': 'missing-h' });
  const checkAll = h(
    'button',
    { type: 'button', class: 'primary', 'data-action': 'check-in-all' },
    t('roster.check_in_all'),
  );
  const reportLink = h(
    'a',
    {
      class: 'button danger-link',
      href: `/incidents/new${query({ date, session: chosen.id })}`,
    },
    t('roster.report'),
  );
  replace(
    main,
    heading,
    picker,
    summary,
    status,
    h('div', { class: 'actions' }, canRecord ? checkAll : null, reportLink),
    list,
    canRecord ? addChild() : null,
    missing,
  );

  const body = { schoolId: chosen.schoolId, sessionId: chosen.id, date };
  let rows: RosterRow[] = [];

  async function load(): Promise<void> {
    const [enrolled, lines, open] = await Promise.all([
      api<{ items: Enrolled[] }>('GET', '/api/enrolment/applications?status=enrolled&limit=200')
        .then((r) => r.items)
        .catch(() => [] as Enrolled[]),
      api<{ items: AttendanceLine[] }>(
        'GET',
        `/api/safety/attendance${query({ ...body, limit: 500 })}`,
      ).then((r) => r.items),
      api<OpenHandOvers>('GET', `/api/safety/attendance/open-hand-overs${query(body)}`),
    ]);
    if (ctx.signal.aborted) return;
    const byId = new Map<string, RosterRow>();
    for (const a of enrolled)
      if (a.sessionId === chosen!.id && a.schoolId === chosen!.schoolId)
        byId.set(a.studentId, { studentId: a.studentId, name: a.studentName, pickup: a.pickup });
    for (const l of lines) {
      const row = byId.get(l.studentId) ?? { studentId: l.studentId, name: l.studentName };
      byId.set(l.studentId, { ...row, line: l });
    }
    rows = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
    renderRows();
    renderMissing(open);
  }

  function renderRows(): void {
    const present = rows.filter((r) => r.line?.present).length;
    const absent = rows.filter((r) => r.line && !r.line.present).length;
    const handed = rows.filter((r) => r.line?.handOver).length;
    summary.textContent = t('roster.count', { n: rows.length, present, absent, handed });
    checkAll.disabled = !rows.some((r) => !r.line);
    replace(list, rows.length ? rows.map(rowItem) : h('li', { class: 'empty' }, t('roster.empty')));
  }

  function renderMissing(open: OpenHandOvers): void {
    const items = open.items.filter((i) => i.students.length);
    replace(
      missing,
      h('h2', { id: 'missing-h' }, t('roster.missing_title')),
      items.length
        ? items.map((i) =>
            notice(
              t('roster.missing', {
                session: i.sessionName,
                names: i.students.map((s) => s.studentName).join('、'),
              }),
              'error',
            ),
          )
        : h('p', { class: 'empty' }, t('roster.all_handed')),
      open.rules.length
        ? h(
            'ul',
            { class: 'rules' },
            [...new Map(open.rules.map((r) => [`${r.rule}${r.message}`, r])).values()].map((r) =>
              h('li', {}, `${r.message}（${r.rule}，${r.clause}）`),
            ),
          )
        : null,
    );
  }

  async function checkIn(studentIds: string[], present: boolean): Promise<void> {
    try {
      await api('POST', '/api/safety/attendance/check-ins', {
        ...body,
        students: studentIds.map((studentId) => ({ studentId, present })),
      });
      toast(present ? t('roster.checked_in', { n: studentIds.length }) : t('roster.state.absent'));
      replace(status);
      await load();
    } catch (err) {
      replace(status, notice(describeError(err), 'error'));
    }
  }

  function rowItem(r: RosterRow): HTMLElement {
    const l = r.line;
    const state = !l
      ? 'none'
      : !l.present
        ? 'absent'
        : l.handOver
          ? 'handed'
          : l.handOverMissing
            ? 'missing'
            : 'present';
    const key = `roster.state.${state}`;
    const badge = h(
      'span',
      { class: `status roster-${state}`, 'data-state': state },
      tOr(key, state),
    );
    const item = h(
      'li',
      { class: `card roster-item roster-item-${state}`, 'data-student': r.studentId },
      h('h2', {}, r.name, ' ', badge),
    );
    if (l?.handOver)
      item.appendChild(
        h(
          'p',
          { class: 'meta' },
          t('roster.handed_to', {
            time: l.handOver.at,
            name: l.handOver.guardianName,
            relation: l.handOver.relation ? `（${l.handOver.relation}）` : '',
          }),
        ),
      );
    if (!l && canRecord)
      item.appendChild(
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            { type: 'button', class: 'primary', onclick: () => void checkIn([r.studentId], true) },
            t('roster.check_in'),
          ),
          h(
            'button',
            { type: 'button', onclick: () => void checkIn([r.studentId], false) },
            t('roster.absent'),
          ),
        ),
      );
    if (l?.present && !l.handOver && canRecord) item.appendChild(handOverForm(r));
    return item;
  }

  function handOverForm(r: RosterRow): HTMLElement {
    const id = `ho-${r.studentId}`;
    const guardian = h('input', {
      name: 'guardianName',
      required: true,
      maxlength: 50,
      value: r.pickup?.name ?? '',
    });
    const relation = h('input', {
      name: 'relation',
      maxlength: 20,
      value: r.pickup?.relation ?? '',
    });
    const at = h('input', { name: 'at', type: 'time', required: true, value: timeInChina() });
    const form = h(
      'form',
      { class: 'hand-over', 'aria-label': `${t('roster.hand_over')} ${r.name}` },
      h(
        'div',
        { class: 'hand-over-fields' },
        field(`${id}-guardian`, t('roster.guardian'), guardian),
        field(`${id}-relation`, t('roster.relation'), relation),
        field(`${id}-at`, t('roster.at'), at),
      ),
      h('button', { type: 'submit', class: 'primary' }, t('roster.hand_over')),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void (async () => {
        try {
          await api('POST', '/api/safety/attendance/hand-overs', {
            ...body,
            studentId: r.studentId,
            guardianName: guardian.value.trim(),
            ...(relation.value.trim() ? { relation: relation.value.trim() } : {}),
            at: at.value,
          });
          toast(t('roster.handed_over', { name: r.name, guardian: guardian.value.trim() }));
          replace(status);
          await load();
        } catch (err) {
          const rest = showFieldProblems(form, err);
          replace(
            status,
            notice([describeError(err), ...rest.map((p) => p.message)].join('\n'), 'error'),
          );
        }
      })();
    });
    return form;
  }

  /** A child not on the roster (a teacher who cannot read the enrolments, a late change). */
  function addChild(): HTMLElement {
    const select = h('select', { name: 'studentId' });
    const box = h(
      'details',
      { class: 'card add-child' },
      h('summary', {}, t('roster.add_child')),
      h(
        'form',
        {
          class: 'grant-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (select.value) void checkIn([select.value], true);
          },
        },
        field('roster-add-child', t('roster.child'), select),
        h('button', { type: 'submit' }, t('roster.check_in')),
      ),
    );
    box.addEventListener(
      'toggle',
      () =>
        void api<{ items: { id: string; name: string }[] }>(
          'GET',
          `/api/org/students${query({ schoolId: chosen!.schoolId, limit: 200 })}`,
        ).then(
          (r) =>
            replace(
              select,
              r.items
                .filter((x) => !rows.some((row) => row.studentId === x.id))
                .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))
                .map((x) => h('option', { value: x.id }, x.name)),
            ),
          (err: unknown) => replace(status, notice(describeError(err), 'error')),
        ),
      { once: true },
    );
    return box;
  }

  checkAll.addEventListener('click', () => {
    const ids = rows.filter((r) => !r.line).map((r) => r.studentId);
    if (ids.length) void checkIn(ids, true);
  });

  try {
    await load();
  } catch (err) {
    replace(status, notice(describeError(err), 'error'));
  }
};

/** A parent's view: their children's attendance and hand-over lines, newest day first. */
async function parentAttendance(main: HTMLElement, signal: AbortSignal): Promise<void> {
  const heading = h('h1', {}, t('roster.parent_title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  let lines: AttendanceLine[];
  try {
    lines = (await api<{ items: AttendanceLine[] }>('GET', '/api/safety/attendance?limit=60'))
      .items;
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (signal.aborted) return;
  replace(
    main,
    heading,
    lines.length
      ? h(
          'ul',
          { class: 'roster' },
          lines.map((l) => {
            const state = !l.present
              ? 'absent'
              : l.handOver
                ? 'handed'
                : l.handOverMissing
                  ? 'missing'
                  : 'present';
            return h(
              'li',
              { class: `card roster-item roster-item-${state}`, 'data-student': l.studentId },
              h(
                'h2',
                {},
                l.studentName,
                ' ',
                h(
                  'span',
                  { class: `status roster-${state}`, 'data-state': state },
                  tOr(`roster.state.${state}`, state),
                ),
              ),
              h(
                'p',
                { class: 'meta' },
                t('roster.parent_line', { date: l.date, session: l.sessionName }),
              ),
              l.handOver
                ? h(
                    'p',
                    {},
                    t('roster.handed_to', {
                      time: l.handOver.at,
                      name: l.handOver.guardianName,
                      relation: l.handOver.relation ? `（${l.handOver.relation}）` : '',
                    }),
                  )
                : null,
            );
          }),
        )
      : h('p', { class: 'empty' }, t('roster.parent_empty')),
  );
}

const SEVERITIES = ['minor', 'moderate', 'serious', 'critical'] as const;

/**
 * /incidents/new?date=&session=: the incident report (who, when, where, what, injuries,
 * severity), reached from the roster with its session and children.
 */
export const incidentReportView: View = async (main, ctx) => {
  const me = currentUser()!;
  const heading = h('h1', {}, t('incident.title'));
  const date = ctx.query.get('date') ?? todayInChina();
  const sessionId = ctx.query.get('session') ?? '';
  const back = h(
    'p',
    { class: 'back' },
    h(
      'a',
      { href: `/attendance${query({ date, session: sessionId })}` },
      `‹ ${t('incident.back')}`,
    ),
  );
  replace(main, back, heading, h('p', {}, t('app.loading')));
  const schools = schoolsOf(me, ATTENDANCE_ROLES);
  let session: (PlanSession & { schoolId: string }) | undefined;
  let children: { studentId: string; name: string }[] = [];
  try {
    const plans = (await api<{ items: Plan[] }>('GET', '/api/plans?limit=50')).items;
    for (const p of plans)
      for (const s of p.sessions)
        if (
          s.id === sessionId &&
          schools.includes(p.schoolId) &&
          p.termStart <= date &&
          date <= p.termEnd &&
          (p.status === 'filed' || p.status === 'published')
        )
          session = { ...s, schoolId: p.schoolId };
    if (session) {
      const lines = (
        await api<{ items: AttendanceLine[] }>(
          'GET',
          `/api/safety/attendance${query({ schoolId: session.schoolId, sessionId, date, limit: 500 })}`,
        )
      ).items;
      children = lines.map((l) => ({ studentId: l.studentId, name: l.studentName }));
    }
  } catch (err) {
    replace(main, back, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;

  const now = new Date(Date.now() - 60_000);
  const when = h('input', {
    name: 'occurredAt',
    type: 'datetime-local',
    required: true,
    value: `${date}T${date === todayInChina(now) ? timeInChina(now) : (session?.start ?? '17:00')}`,
  });
  const where = h('input', {
    name: 'location',
    required: true,
    maxlength: 60,
    value: session?.venue ?? '',
  });
  const what = h('textarea', { name: 'description', required: true, rows: 4, maxlength: 2000 });
  const injured = h('input', { type: 'checkbox', name: 'injured', id: 'incident-injured' });
  const injuries = h('textarea', { name: 'injuries', rows: 2, maxlength: 1000 });
  const severity = h(
    'select',
    { name: 'severity' },
    SEVERITIES.map((s) => h('option', { value: s }, tOr(`incidents.severity.${s}`, s))),
  );
  const firstAid = h('textarea', { name: 'firstAid', rows: 2, maxlength: 1000 });
  const phone = h('input', {
    name: 'reporterPhone',
    type: 'tel',
    inputmode: 'numeric',
    required: true,
    value: me.user.phone ?? '',
  });
  const injuriesField = field('incident-injuries', t('incident.injuries'), injuries);
  injuriesField.hidden = true;
  injured.addEventListener('change', () => (injuriesField.hidden = !injured.checked));
  const boxes = children.map((c) =>
    h(
      'label',
      { class: 'inline' },
      h('input', { type: 'checkbox', name: 'involvedStudentIds', value: c.studentId }),
      c.name,
    ),
  );
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card incident-form', novalidate: true },
    field('incident-when', t('incident.when'), when),
    field('incident-where', t('incident.where'), where),
    session
      ? h('p', { class: 'meta' }, `${t('incident.session')}：${session.name}`)
      : h('p', { class: 'meta' }, `${t('incident.session')}：${t('incident.session_none')}`),
    h(
      'fieldset',
      { class: 'choices' },
      h('legend', {}, t('incident.children')),
      boxes.length ? boxes : h('p', { class: 'hint' }, t('incident.children_none')),
    ),
    field('incident-what', t('incident.what'), what),
    h('div', { class: 'field' }, h('label', { class: 'inline' }, injured, t('incident.injured'))),
    injuriesField,
    field('incident-severity', t('incident.severity'), severity),
    field('incident-first-aid', t('incident.first_aid'), firstAid),
    field('incident-phone', t('incident.phone'), phone),
    status,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('incident.submit')),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const involved = [...form.querySelectorAll<HTMLInputElement>('[name=involvedStudentIds]')]
      .filter((b) => b.checked)
      .map((b) => b.value);
    const payload = {
      ...(session ? { schoolId: session.schoolId, sessionId } : {}),
      occurredAt: `${when.value.length === 16 ? `${when.value}:00` : when.value}+08:00`,
      location: where.value.trim(),
      involvedStudentIds: involved,
      description: what.value.trim(),
      injured: injured.checked,
      ...(injured.checked && injuries.value.trim() ? { injuries: injuries.value.trim() } : {}),
      severity: severity.value,
      ...(firstAid.value.trim() ? { firstAid: firstAid.value.trim() } : {}),
      reporterPhone: phone.value.trim(),
    };
    void api<{ id: string }>('POST', '/api/safety/incidents', payload).then(
      () => {
        showFieldProblems(form, undefined);
        replace(main, back, heading, notice(t('incident.reported'), 'ok'));
      },
      (err: unknown) => {
        const rest = showFieldProblems(form, err);
        replace(
          status,
          notice([describeError(err), ...rest.map((p) => p.message)].join('\n'), 'error'),
        );
      },
    );
  });
  replace(main, back, heading, form);
};
