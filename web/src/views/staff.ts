import { api, describeError, query } from '../api';
import { h, notice, replace, toast } from '../dom';
import { t, tOr } from '../i18n';
import { navigate, type View } from '../router';
import { currentUser } from '../session';
import { field, schoolsOf, showFieldProblems } from './daily-common';
import './daily.css';

type Level = 'city' | 'county' | 'school' | 'class';

/** A staff member as `GET /api/users/staff` shows them (phone masked by the server). */
interface Staff {
  id: string;
  displayName: string;
  phone?: string;
  disabled: boolean;
  memberships: {
    role: string;
    level: Level;
    scope: { cityId: string; countyId?: string; schoolId?: string; classId?: string };
  }[];
}

interface Place {
  id: string;
  name: string;
  schoolId?: string;
}

/** Which roles each administrator may give (GRANTS, server/modules/users/memberships.service.ts). */
const GRANTS: Record<string, string[]> = {
  schoolAdmin: ['teacher', 'classTeacher', 'committee'],
  principal: ['teacher', 'classTeacher', 'committee', 'schoolAdmin'],
  countyBureau: ['schoolAdmin', 'principal'],
  cityBureau: ['countyBureau', 'schoolAdmin', 'principal'],
};

/** The place level a role is given at from this screen. */
function levelOf(role: string): Level {
  return role === 'classTeacher' ? 'class' : 'school';
}

/**
 * /staff: the staff of the places the administrator manages (phones masked as the API gives
 * them), a new teacher's account with its one-time password shown once, and roles given or
 * taken.
 */
export const staffView: View = async (main, ctx) => {
  const me = currentUser()!;
  const heading = h('h1', {}, t('staff.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  // county bureau accounts are given by the city outside this screen (no county picker here)
  const grantable = [...new Set(me.roles.flatMap((r) => GRANTS[r] ?? []))].filter(
    (r) => r !== 'countyBureau',
  );
  const q = ctx.query.get('q') ?? '';
  let staff: Staff[];
  let schools: Place[];
  try {
    [staff, schools] = await Promise.all([
      api<{ items: Staff[] }>('GET', `/api/users/staff${query({ q, limit: 200 })}`).then(
        (r) => r.items,
      ),
      api<{ items: Place[] }>('GET', '/api/org/schools?limit=200').then((r) => r.items),
    ]);
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  const classes = new Map<string, Place[]>();
  async function classesOf(schoolId: string): Promise<Place[]> {
    if (!classes.has(schoolId))
      classes.set(
        schoolId,
        (await api<{ items: Place[] }>('GET', `/api/org/classes${query({ schoolId, limit: 200 })}`))
          .items,
      );
    return classes.get(schoolId)!;
  }
  const ownSchool = schoolsOf(me, ['schoolAdmin', 'principal'])[0];
  const schoolName = (id?: string) => schools.find((s) => s.id === id)?.name ?? id ?? '';
  const reload = () => navigate(`/staff${query({ q })}`, { replace: true });

  /** Role, school and (for a class teacher) class pickers; resolves the membership body. */
  function placePicker(prefix: string) {
    const role = h(
      'select',
      { name: 'role' },
      grantable.map((r) => h('option', { value: r }, tOr(`role.${r}`, r))),
    );
    const school = h(
      'select',
      { name: 'school' },
      schools.map((s) => h('option', { value: s.id, selected: s.id === ownSchool }, s.name)),
    );
    const klass = h('select', { name: 'class' });
    const schoolField = field(`${prefix}-school`, t('staff.school'), school);
    const classField = field(`${prefix}-class`, t('staff.class'), klass);
    async function sync(): Promise<void> {
      const level = levelOf(role.value);
      classField.hidden = level !== 'class';
      if (level === 'class' && school.value) {
        const list = await classesOf(school.value);
        replace(
          klass,
          list.map((c) => h('option', { value: c.id }, c.name)),
        );
      }
    }
    role.addEventListener('change', () => void sync());
    school.addEventListener('change', () => void sync());
    void sync();
    return {
      fields: [field(`${prefix}-role`, t('staff.role'), role), schoolField, classField],
      body: () => {
        const level = levelOf(role.value);
        const placeId = level === 'class' ? klass.value : school.value;
        return { role: role.value, level, placeId };
      },
    };
  }

  // a new account //////////
  const created = h('div', { 'aria-live': 'polite' });
  const name = h('input', {
    name: 'displayName',
    required: true,
    maxlength: 40,
    autocomplete: 'off',
  });
  const phone = h('input', {
    name: 'phone',
    type: 'tel',
    inputmode: 'numeric',
    required: true,
    autocomplete: 'off',
  });
  const newPlace = placePicker('new');
  const createStatus = h('div', { class: 'form-status' });
  const createForm = h(
    'form',
    { class: 'card staff-new', novalidate: true, 'aria-labelledby': 'new-h' },
    h('h2', { id: 'new-h' }, t('staff.new')),
    field('new-name', t('staff.name'), name),
    field('new-phone', t('staff.phone'), phone),
    newPlace.fields,
    createStatus,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('staff.create')),
    ),
  );
  createForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void api<{ user: Staff; initialPassword: string }>('POST', '/api/users/staff', {
      displayName: name.value.trim(),
      phone: phone.value.trim(),
      membership: newPlace.body(),
    }).then(
      (r) => {
        showFieldProblems(createForm, undefined);
        replace(createStatus);
        name.value = '';
        phone.value = '';
        replace(created, passwordCard(r.user.displayName, r.initialPassword));
        staff = [...staff.filter((s) => s.id !== r.user.id), r.user].sort((a, b) =>
          a.displayName.localeCompare(b.displayName, 'zh-CN'),
        );
        replace(tableHost, staffTable());
      },
      (err: unknown) => {
        const rest = showFieldProblems(createForm, err);
        replace(
          createStatus,
          notice([describeError(err), ...rest.map((p) => p.message)].join('\n'), 'error'),
        );
      },
    );
  });

  // the list //////////
  const search = h('input', { name: 'q', type: 'search', value: q });
  const searchForm = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        navigate(`/staff${query({ q: search.value.trim() })}`);
      },
    },
    field('staff-q', t('staff.search'), search),
    h('button', { type: 'submit' }, t('staff.search_submit')),
  );
  const listStatus = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const tableHost = h('div', { class: 'table-wrap' });

  function placeText(m: Staff['memberships'][number]): string {
    if (m.level === 'class') {
      const c = classes.get(m.scope.schoolId ?? '')?.find((x) => x.id === m.scope.classId);
      return `${schoolName(m.scope.schoolId)} ${c?.name ?? m.scope.classId ?? ''}`;
    }
    if (m.level === 'school') return schoolName(m.scope.schoolId);
    if (m.level === 'county') return m.scope.countyId ?? '';
    return m.scope.cityId;
  }

  function placeIdOf(m: Staff['memberships'][number]): string {
    if (m.level === 'class') return m.scope.classId ?? '';
    if (m.level === 'school') return m.scope.schoolId ?? '';
    if (m.level === 'county') return m.scope.countyId ?? '';
    return m.scope.cityId;
  }

  function rolesCell(s: Staff): HTMLElement {
    const grant = placePicker(`grant-${s.id}`);
    const form = h(
      'form',
      { class: 'grant-form', 'aria-label': `${t('staff.grant')} ${s.displayName}` },
      grant.fields,
      h('button', { type: 'submit' }, t('staff.grant')),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void api('POST', `/api/users/${encodeURIComponent(s.id)}/memberships`, grant.body()).then(
        () => {
          toast(t('staff.granted'));
          reload();
        },
        (err: unknown) => replace(listStatus, notice(describeError(err), 'error')),
      );
    });
    return h(
      'td',
      {},
      h(
        'ul',
        { class: 'staff-roles' },
        s.memberships.map((m) => {
          const role = tOr(`role.${m.role}`, m.role);
          return h(
            'li',
            { 'data-role': m.role },
            h('span', {}, `${role} · ${placeText(m)}`),
            grantable.includes(m.role) && s.id !== me.user.id
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    onclick: () => {
                      if (!confirm(t('staff.revoke_confirm', { name: s.displayName, role })))
                        return;
                      void api(
                        'POST',
                        `/api/users/${encodeURIComponent(s.id)}/memberships/revoke`,
                        {
                          role: m.role,
                          level: m.level,
                          placeId: placeIdOf(m),
                        },
                      ).then(
                        () => {
                          toast(t('staff.revoked'));
                          reload();
                        },
                        (err: unknown) => replace(listStatus, notice(describeError(err), 'error')),
                      );
                    },
                  },
                  t('staff.revoke', { role }),
                )
              : null,
          );
        }),
      ),
      grantable.length ? h('details', {}, h('summary', {}, t('staff.manage')), form) : null,
    );
  }

  function staffTable(): HTMLElement {
    if (!staff.length) return h('p', { class: 'empty' }, t('staff.empty'));
    return h(
      'table',
      { class: 'staff-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('staff.col.name')),
          h('th', { scope: 'col' }, t('staff.col.phone')),
          h('th', { scope: 'col' }, t('staff.col.roles')),
        ),
      ),
      h(
        'tbody',
        {},
        staff.map((s) =>
          h(
            'tr',
            { 'data-user': s.id },
            h(
              'th',
              { scope: 'row' },
              s.displayName,
              s.disabled ? h('span', { class: 'badge' }, t('staff.disabled')) : null,
            ),
            h('td', { class: 'phone' }, s.phone ?? ''),
            rolesCell(s),
          ),
        ),
      ),
    );
  }

  // class names of class memberships, for the list
  const classSchools = new Set(
    staff.flatMap((s) =>
      s.memberships.filter((m) => m.level === 'class').map((m) => m.scope.schoolId ?? ''),
    ),
  );
  await Promise.all([...classSchools].filter(Boolean).map((id) => classesOf(id).catch(() => [])));
  if (ctx.signal.aborted) return;
  replace(tableHost, staffTable());
  replace(
    main,
    heading,
    grantable.length ? createForm : null,
    created,
    searchForm,
    listStatus,
    tableHost,
  );
};

/** The one-time password, shown once with a copy button. */
function passwordCard(name: string, password: string): HTMLElement {
  const code = h('code', { class: 'one-time-password', 'data-password': password }, password);
  return h(
    'section',
    { class: 'card notice-ok password-card', role: 'status' },
    h('p', {}, t('staff.created', { name })),
    h('p', { class: 'field-label', id: 'otp-label' }, h('strong', {}, t('staff.password'))),
    h(
      'div',
      { class: 'password-box', 'aria-labelledby': 'otp-label' },
      code,
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () => {
            (
              navigator.clipboard?.writeText(password) ?? Promise.reject(new Error('no clipboard'))
            ).then(
              () => toast(t('staff.copied')),
              () => {
                window.getSelection()?.selectAllChildren(code);
                toast(t('staff.copy_failed'), 'info');
              },
            );
          },
        },
        t('staff.copy'),
      ),
    ),
    h('p', { class: 'hint' }, t('staff.password_hint')),
  );
}
