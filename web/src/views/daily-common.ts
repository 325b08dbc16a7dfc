import type { FieldProblem } from '../api';
import { ApiError } from '../api';
import { h } from '../dom';
import type { Me } from '../session';

/** Roles that run a session's attendance (docs/safety.md). */
export const ATTENDANCE_ROLES = ['teacher', 'classTeacher', 'schoolAdmin', 'principal'];
/** Roles that check children in and hand them over (the principal only reads). */
export const RECORDER_ROLES = ['teacher', 'classTeacher', 'schoolAdmin'];
/** Roles that may report a safety incident. */
export const REPORTER_ROLES = ['teacher', 'classTeacher', 'schoolAdmin', 'principal'];
/** Roles that administer staff (GRANTS in server/modules/users/memberships.service.ts). */
export const STAFF_ADMIN_ROLES = ['schoolAdmin', 'principal', 'countyBureau', 'cityBureau'];
/**
 * Roles that read the school's registered service staff (read Staff, docs/authorization.md);
 * who may end a registration the server says per member.
 */
export const SERVICE_STAFF_READERS = ['schoolAdmin', 'principal', 'countyBureau', 'cityBureau'];
/**
 * Roles that see the WeChat Pay and WeCom settings of their own school or county (the city
 * bureau, which has neither, reads them through the API).
 */
export const SETTINGS_ROLES = ['schoolAdmin', 'principal', 'countyBureau'];
/** Roles that may change them (the rest only read). */
export const SETTINGS_EDITORS = ['schoolAdmin', 'countyBureau'];

/** Whether the person holds one of `roles`. */
export function holdsAny(me: Me | undefined, roles: readonly string[]): boolean {
  return (me?.roles ?? []).some((r) => roles.includes(r));
}

/** The schools where the person holds one of `roles`, in membership order. */
export function schoolsOf(me: Me, roles: readonly string[]): string[] {
  return [
    ...new Set(
      me.memberships
        .filter((m) => roles.includes(m.role) && m.scope.schoolId)
        .map((m) => m.scope.schoolId!),
    ),
  ];
}

/** Today in China (Asia/Shanghai) as YYYY-MM-DD. */
export function todayInChina(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

/** The time of day in China as HH:MM. */
export function timeInChina(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(11, 16);
}

/** A labelled field: `<div class=field><label for=id>…</label>control</div>`. */
export function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id = id;
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
  );
}

/**
 * Shows the server's field problems next to the fields they name (`errors[].path` equals a
 * control's `name`); returns the problems no control took.
 */
export function showFieldProblems(form: HTMLElement, err: unknown): FieldProblem[] {
  const shown = new Set([...form.querySelectorAll('.field-error')].map((e) => e.id));
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => {
    e.removeAttribute('aria-invalid');
    e.removeAttribute('aria-errormessage');
    describedBy(e, (ids) => ids.filter((id) => !shown.has(id)));
  });
  if (!(err instanceof ApiError)) return [];
  const rest: FieldProblem[] = [];
  for (const p of err.problem.errors ?? []) {
    const control = form.querySelector<HTMLElement>(
      `[name="${CSS.escape(p.path.split('.')[0]!)}"]`,
    );
    const box = control?.closest('.field, fieldset');
    if (!control || !box) {
      rest.push(p);
      continue;
    }
    const id = `${control.id || p.path}-error`;
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-errormessage', id);
    // described by it too, so screen readers read the problem with the field (and axe agrees)
    describedBy(control, (ids) => [...ids.filter((x) => x !== id), id]);
    box.appendChild(h('p', { class: 'field-error', id }, p.message));
  }
  return rest;
}

/** Rewrites an element's `aria-describedby` ids (removing the attribute when none is left). */
function describedBy(el: Element, change: (ids: string[]) => string[]): void {
  const ids = change((el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
  if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
  else el.removeAttribute('aria-describedby');
}
