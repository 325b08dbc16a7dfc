import applicationForm from '../../../forms/enrolment-application.form?raw';
import { api, ApiError, describeError } from '../api';
import { h, notice, replace, toast } from '../dom';
import { t } from '../i18n';
import type { FormSchema } from '../form-view';
import { navigate, type View } from '../router';

interface Student {
  id: string;
  schoolId: string;
  classId: string;
  name: string;
  enrolled: boolean;
}

interface Session {
  id: string;
  name: string;
  start?: string;
  end?: string;
  venue?: string;
}

/**
 * The sessions of a school's filed plan. The server has no route for plans yet
 * (`GET /api/enrolment/plans?schoolId=` is missing), so this answers undefined until it has.
 */
async function sessionsOf(schoolId: string): Promise<Session[] | undefined> {
  try {
    const r = await api<{ items: { sessions: Session[] }[] }>(
      'GET',
      `/api/enrolment/plans?schoolId=${encodeURIComponent(schoolId)}`,
    );
    return r.items.flatMap((p) => p.sessions);
  } catch {
    return undefined;
  }
}

/** Without the plans route, the session select becomes a field for the session's code. */
function withSessionCodeField(schema: FormSchema): FormSchema {
  const components = (schema.components ?? []).map((c) => {
    const field = c as Record<string, unknown>;
    if (field.key !== 'sessionId') return field;
    return {
      type: 'textfield',
      key: 'sessionId',
      id: field.id,
      label: t('apply.session_code'),
      description: t('apply.sessions_missing'),
      validate: { required: true, maxLength: 64 },
    };
  });
  return { ...schema, components };
}

/**
 * The parent applies for one child with the enrolment start form (forms/enrolment-application
 * .form, rendered by the form-js viewer) and posts it to `POST /api/enrolment/applications`;
 * the server's field errors land on the fields, a rule's refusal is shown with its citation.
 */
export const applyView: View = async (main, ctx) => {
  const heading = h('h1', {}, t('apply.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  let children: Student[];
  try {
    children = (await api<{ items: Student[] }>('GET', '/api/org/students?limit=50')).items;
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  if (!children.length) {
    replace(main, heading, h('p', { class: 'empty' }, t('apply.no_children')));
    return;
  }
  const schools = [...new Set(children.map((c) => c.schoolId))];
  const sessionLists = await Promise.all(schools.map(sessionsOf));
  let schema = JSON.parse(applicationForm) as FormSchema;
  const sessions = sessionLists.every((s) => s !== undefined) ? sessionLists.flat() : undefined;
  if (!sessions) schema = withSessionCodeField(schema);

  const status = h('div', { class: 'form-status' });
  const host = h('div', { class: 'apply-form' });
  const submit = h(
    'button',
    { type: 'button', class: 'primary', 'data-action': 'submit-application' },
    t('apply.submit'),
  );
  replace(main, heading, host, status, h('div', { class: 'actions sticky' }, submit));
  const preselect = ctx.query.get('student');
  const { mountForm } = await import('../form-view');
  const mounted = await mountForm(host, schema, {
    children: children.map((c) => ({ label: c.name, value: c.id })),
    ...(sessions
      ? {
          sessions: sessions.map((s) => ({
            label: [s.name, s.start && s.end ? `${s.start}–${s.end}` : '', s.venue ?? '']
              .filter(Boolean)
              .join(' '),
            value: s.id,
          })),
        }
      : {}),
    ...(preselect || children.length === 1 ? { studentId: preselect ?? children[0]!.id } : {}),
    weekdays: [1, 2, 3, 4, 5],
  });

  submit.addEventListener('click', () => {
    const { data, errors } = mounted.submit();
    if (Object.keys(errors).length) {
      replace(status, notice(t('task.fix_errors'), 'error'));
      return;
    }
    void (async () => {
      submit.disabled = true;
      submit.textContent = t('apply.submitting');
      replace(status);
      try {
        const body = {
          studentId: data.studentId,
          sessionId: typeof data.sessionId === 'string' ? data.sessionId.trim() : data.sessionId,
          weekdays: data.weekdays,
          midday: Boolean(data.midday),
          pickup: data.pickup,
          insurance: data.insurance,
          consent: Boolean(data.consent),
        };
        const created = await api<{ id: string }>('POST', '/api/enrolment/applications', body);
        toast(t('apply.submitted'));
        navigate(`/applications/${encodeURIComponent(created.id)}`);
      } catch (err) {
        submit.disabled = false;
        submit.textContent = t('apply.submit');
        if (err instanceof ApiError && err.problem.errors?.length) {
          const rest = mounted.showServerErrors(err.problem.errors);
          replace(
            status,
            notice(
              [t('task.fix_errors'), ...rest.map((p) => `${p.path}：${p.message}`)].join('\n'),
              'error',
            ),
          );
        } else if (err instanceof ApiError && err.problem.rules?.length) {
          replace(
            status,
            h(
              'div',
              { class: 'notice notice-error', role: 'alert' },
              h('p', {}, t('apply.refused'), err.problem.title),
              h(
                'ul',
                {},
                err.problem.rules.map((r) => h('li', {}, `${r.message}（${r.rule}，${r.clause}）`)),
              ),
            ),
          );
        } else replace(status, notice(describeError(err), 'error'));
      }
    })();
  });
  return () => mounted.destroy();
};
