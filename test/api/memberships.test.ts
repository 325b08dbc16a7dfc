import { createAudit } from '../../server/modules/audit';
import { createMemberships } from '../../server/modules/users';
import {
  classScope,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';

/**
 * Staff administration through HTTP on the real database: a school's admin staffs their own
 * school and nothing else, a principal also names admins, a county bureau the admins and
 * principals of its schools; a role given or taken applies to the person's next request; every
 * change is in the audit log; phones are masked.
 */
describe('staff and their roles', () => {
  let h: IdentityHarness;
  let a: OrgTree;
  let b: OrgTree;
  let adminA: SignedInClient;
  let adminB: SignedInClient;
  let principalA: SignedInClient;
  let countyA: SignedInClient;

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, _logger, auth) => {
      const audit = await createAudit({ db, requireSession: auth.requireSession });
      const m = await createMemberships({
        db,
        users: auth.service.users,
        audit: audit.log,
        requireSession: auth.requireSession,
      });
      return [
        { path: '/api/users', router: m.router },
        { path: '/api/audit', router: audit.router },
      ];
    });
    a = await h.createOrgTree();
    b = await h.createOrgTree();
    adminA = await as('schoolAdmin', schoolScope(a));
    adminB = await as('schoolAdmin', schoolScope(b));
    principalA = await as('principal', schoolScope(a));
    countyA = await as('countyBureau', { cityId: a.cityId, countyId: a.county._id });
  });

  afterAll(async () => {
    await h.close();
  });

  async function as(
    role: 'schoolAdmin' | 'principal' | 'countyBureau' | 'teacher',
    scope: ReturnType<typeof schoolScope> | { cityId: string; countyId: string },
  ) {
    const u = await h.createUser({ memberships: [{ role, scope }] });
    return signIn(h.app, { phone: u.phone!, password: u.password });
  }

  let phoneSeq = 0;
  const newPhone = () => `1370000${String(4000 + ++phoneSeq).padStart(4, '0')}`;

  it('should let a school admin open an account for a class teacher, who signs in with that role', async () => {
    // when
    const phone = newPhone();
    const created = await adminA.post('/api/users/staff', {
      displayName: '李老师',
      phone,
      membership: { role: 'classTeacher', level: 'class', placeId: a.class._id },
    });

    // then the account exists with the full scope of the class, the phone masked
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      displayName: '李老师',
      phone: `${phone.slice(0, 3)}****${phone.slice(7)}`,
      memberships: [{ role: 'classTeacher', level: 'class', scope: classScope(a) }],
    });
    // and the new teacher signs in with the one-time password and holds the class's group
    const teacher = await signIn(h.app, { phone, password: created.body.initialPassword });
    const me = await teacher.agent.get('/api/auth/me');
    expect(me.body.groups).toContain(`class:${a.class._id}:teacher`);
    // and it is in the school's audit log
    const audit = await principalA.agent.get('/api/audit?size=50');
    expect(
      (audit.body.items as { action: string; summary: string }[]).find(
        (e) => e.action === 'user.create',
      )?.summary,
    ).toContain('李老师');
  });

  it("should apply a role given or taken on the person's next request, each recorded", async () => {
    // given a teacher of school A
    const phone = newPhone();
    const created = await adminA.post('/api/users/staff', {
      displayName: '王老师',
      phone,
      membership: { role: 'teacher', level: 'school', placeId: a.school._id },
    });
    const id = created.body.user.id as string;
    const teacher = await signIn(h.app, { phone, password: created.body.initialPassword });

    // when the admin adds the parent committee of the school, then takes it away again
    const granted = await adminA.post(`/api/users/${id}/memberships`, {
      role: 'committee',
      level: 'school',
      placeId: a.school._id,
    });
    const groupsAfterGrant = (await teacher.agent.get('/api/auth/me')).body.groups as string[];
    const twice = await adminA.post(`/api/users/${id}/memberships`, {
      role: 'committee',
      level: 'school',
      placeId: a.school._id,
    });
    const revoked = await adminA.post(`/api/users/${id}/memberships/revoke`, {
      role: 'committee',
      level: 'school',
      placeId: a.school._id,
    });
    const groupsAfterRevoke = (await teacher.agent.get('/api/auth/me')).body.groups as string[];

    // then
    expect(granted.status).toBe(200);
    expect(groupsAfterGrant).toContain(`school:${a.school._id}:committee`);
    expect(twice.body.memberships).toHaveLength(2);
    expect(revoked.status).toBe(200);
    expect(revoked.body.memberships.map((m: { role: string }) => m.role)).toEqual(['teacher']);
    expect(groupsAfterRevoke).not.toContain(`school:${a.school._id}:committee`);
    const audit = await adminA.agent.get('/api/audit?size=100');
    const actions = (audit.body.items as { action: string; target: { id: string } }[])
      .filter((e) => e.target.id === id)
      .map((e) => e.action);
    expect(actions.sort()).toEqual(['membership.grant', 'membership.revoke', 'user.create']);
  });

  it("should refuse roles above the granter's and places outside their own", async () => {
    // given
    const phone = newPhone();
    const created = await adminA.post('/api/users/staff', {
      displayName: '赵老师',
      phone,
      membership: { role: 'teacher', level: 'school', placeId: a.school._id },
    });
    const id = created.body.user.id as string;

    // when a school admin tries to name an admin, and to staff another school
    const asAdmin = await adminA.post(`/api/users/${id}/memberships`, {
      role: 'schoolAdmin',
      level: 'school',
      placeId: a.school._id,
    });
    const elsewhere = await adminA.post(`/api/users/${id}/memberships`, {
      role: 'teacher',
      level: 'school',
      placeId: b.school._id,
    });
    const otherAdmin = await adminB.post(`/api/users/${id}/memberships/revoke`, {
      role: 'teacher',
      level: 'school',
      placeId: a.school._id,
    });
    const wrongLevel = await adminA.post(`/api/users/${id}/memberships`, {
      role: 'classTeacher',
      level: 'school',
      placeId: a.school._id,
    });
    const ownRole = await adminA.post('/api/users/staff', {
      displayName: '钱老师',
      phone: newPhone(),
      membership: { role: 'principal', level: 'school', placeId: a.school._id },
    });

    // then nothing changed
    expect(asAdmin.status).toBe(403);
    expect(elsewhere.status).toBe(403);
    expect(otherAdmin.status).toBe(403);
    expect(wrongLevel.status).toBe(400);
    expect(ownRole.status).toBe(403);
    const list = await adminA.agent.get('/api/users/staff?q=赵');
    expect(list.body.items).toEqual([
      expect.objectContaining({
        id,
        memberships: [expect.objectContaining({ role: 'teacher', level: 'school' })],
      }),
    ]);
  });

  it('should let a principal name an admin, and a county bureau the principals of its schools only', async () => {
    // given
    const phone = newPhone();
    const created = await principalA.post('/api/users/staff', {
      displayName: '孙主任',
      phone,
      membership: { role: 'schoolAdmin', level: 'school', placeId: a.school._id },
    });
    expect(created.status).toBe(201);
    const id = created.body.user.id as string;

    // when the county makes them principal of school A, and tries school B of another county
    const here = await countyA.post(`/api/users/${id}/memberships`, {
      role: 'principal',
      level: 'school',
      placeId: a.school._id,
    });
    const there = await countyA.post(`/api/users/${id}/memberships`, {
      role: 'principal',
      level: 'school',
      placeId: b.school._id,
    });

    // then
    expect(here.status).toBe(200);
    expect(here.body.memberships.map((m: { role: string }) => m.role).sort()).toEqual([
      'principal',
      'schoolAdmin',
    ]);
    expect(there.status).toBe(403);
  });

  it("should list only the staff of the caller's places, and nothing to those who administer none", async () => {
    // given a teacher of B
    await adminB.post('/api/users/staff', {
      displayName: '周老师',
      phone: newPhone(),
      membership: { role: 'teacher', level: 'school', placeId: b.school._id },
    });
    const teacher = await as('teacher', schoolScope(a));

    // when
    const listA = await adminA.agent.get('/api/users/staff?limit=200');
    const listB = await adminB.agent.get('/api/users/staff?limit=200');
    const asTeacher = await teacher.agent.get('/api/users/staff');

    // then
    const names = (r: typeof listA) =>
      (r.body.items as { displayName: string }[]).map((u) => u.displayName);
    expect(names(listA)).not.toContain('周老师');
    expect(names(listB)).toContain('周老师');
    expect(names(listB)).not.toContain('李老师');
    for (const u of listA.body.items as { memberships: { scope: { schoolId?: string } }[] }[])
      for (const m of u.memberships) expect(m.scope.schoolId).toBe(a.school._id);
    expect(asTeacher.status).toBe(403);
  });

  it('should refuse a phone already in use, and keep the admin from revoking their own role', async () => {
    // given
    const phone = newPhone();
    await adminA.post('/api/users/staff', {
      displayName: '吴老师',
      phone,
      membership: { role: 'teacher', level: 'school', placeId: a.school._id },
    });

    // when
    const again = await adminA.post('/api/users/staff', {
      displayName: '吴老师2',
      phone,
      membership: { role: 'teacher', level: 'school', placeId: a.school._id },
    });
    const both = await h.createUser({
      memberships: [
        { role: 'principal', scope: schoolScope(a) },
        { role: 'schoolAdmin', scope: schoolScope(a) },
      ],
    });
    const head = await signIn(h.app, { phone: both.phone!, password: both.password });
    const own = await head.post(`/api/users/${both._id}/memberships/revoke`, {
      role: 'schoolAdmin',
      level: 'school',
      placeId: a.school._id,
    });

    // then
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('PHONE_TAKEN');
    expect(own.status).toBe(409);
    expect(own.body.code).toBe('MEMBERSHIP_OWN');
    expect((await head.agent.get('/api/auth/me')).body.groups).toContain(
      `school:${a.school._id}:admin`,
    );
  });
  it('should keep both roles when two admins give one person a role at the same instant', async () => {
    // given a teacher of school A, and its admin and principal, each with a role to give
    for (let round = 0; round < 5; round++) {
      const phone = newPhone();
      const created = await adminA.post('/api/users/staff', {
        displayName: `并发${round}`,
        phone,
        membership: { role: 'teacher', level: 'school', placeId: a.school._id },
      });
      const id = created.body.user.id as string;
      const teacher = await signIn(h.app, { phone, password: created.body.initialPassword });

      // when the admin gives the class-teacher role and the principal the committee role at once
      // (while the teacher signs in again on another device)
      const [byAdmin, byPrincipal] = await Promise.all([
        adminA.post(`/api/users/${id}/memberships`, {
          role: 'classTeacher',
          level: 'class',
          placeId: a.class._id,
        }),
        principalA.post(`/api/users/${id}/memberships`, {
          role: 'committee',
          level: 'school',
          placeId: a.school._id,
        }),
        signIn(h.app, { phone, password: created.body.initialPassword }),
      ]);

      // then both changes hold: in the answers, the list, and the teacher's next request
      expect(byAdmin.status).toBe(200);
      expect(byPrincipal.status).toBe(200);
      const roles = (m: { role: string }[]) => m.map((x) => x.role).sort();
      expect(roles(byPrincipal.body.memberships)).toEqual(
        expect.arrayContaining(['committee', 'teacher']),
      );
      const listed = await principalA.agent.get(
        `/api/users/staff?q=${encodeURIComponent(`并发${round}`)}`,
      );
      expect(roles(listed.body.items[0].memberships)).toEqual([
        'classTeacher',
        'committee',
        'teacher',
      ]);
      const groups = (await teacher.agent.get('/api/auth/me')).body.groups as string[];
      expect(groups).toEqual(
        expect.arrayContaining([
          `class:${a.class._id}:teacher`,
          `school:${a.school._id}:committee`,
        ]),
      );
    }
  });

  it('should take away both roles when two admins revoke one at the same instant', async () => {
    for (let round = 0; round < 5; round++) {
      // given a teacher of school A who is also class teacher and on the parent committee
      const phone = newPhone();
      const created = await adminA.post('/api/users/staff', {
        displayName: `撤销${round}`,
        phone,
        membership: { role: 'teacher', level: 'school', placeId: a.school._id },
      });
      const id = created.body.user.id as string;
      await adminA.post(`/api/users/${id}/memberships`, {
        role: 'classTeacher',
        level: 'class',
        placeId: a.class._id,
      });
      await adminA.post(`/api/users/${id}/memberships`, {
        role: 'committee',
        level: 'school',
        placeId: a.school._id,
      });

      // when the admin takes one role and the principal the other, at once
      const [one, other] = await Promise.all([
        adminA.post(`/api/users/${id}/memberships/revoke`, {
          role: 'classTeacher',
          level: 'class',
          placeId: a.class._id,
        }),
        principalA.post(`/api/users/${id}/memberships/revoke`, {
          role: 'committee',
          level: 'school',
          placeId: a.school._id,
        }),
      ]);

      // then neither comes back: only the teacher role is left
      expect(one.status).toBe(200);
      expect(other.status).toBe(200);
      const listed = await principalA.agent.get(
        `/api/users/staff?q=${encodeURIComponent(`撤销${round}`)}`,
      );
      expect(listed.body.items[0].memberships.map((m: { role: string }) => m.role)).toEqual([
        'teacher',
      ]);
    }
  });
});
