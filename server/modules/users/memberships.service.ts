import { randomBytes } from 'node:crypto';
import type { Principal } from '../../auth/principal';
import {
  ROLE_LEVELS,
  scopeLevel,
  type Membership,
  type MembershipScope,
  type Role,
  type ScopeLevel,
} from '../../auth/roles';
import { ConflictError, NotFoundError, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { maskValue } from '../../lib/logger';
import type { AuditLog } from '../audit';
import type { OrgModels } from '../org/org.model';
import type { UserDoc, UserModels } from './users.model';
import type { UserService } from './users.service';
import type {
  CreateStaffBody,
  ListStaffQuery,
  MembershipBody,
  StaffView,
} from './memberships.schema';

/**
 * Who may give which role, where (the delegation table): a school's admin staffs their own
 * school (teachers, class teachers, the parent committee); its principal also names the
 * school's admins; a county bureau names the admins and principals of its schools; the city
 * bureau names county bureaus and, like them, school admins and principals. Parents come with
 * their children (guardians), service accounts from the operators (README): neither is given
 * here. The granter's own membership must contain the place of the grant.
 */
export const GRANTS: Readonly<Partial<Record<Role, readonly Role[]>>> = {
  schoolAdmin: ['teacher', 'classTeacher', 'committee'],
  principal: ['teacher', 'classTeacher', 'committee', 'schoolAdmin'],
  countyBureau: ['schoolAdmin', 'principal'],
  cityBureau: ['countyBureau', 'schoolAdmin', 'principal'],
};

/**
 * Staff and their memberships as administrators manage them (`/api/users/staff`): lists of
 * the staff of the places the caller administers, new staff accounts, and granting or
 * revoking a role in a place — each change in the audit log (`membership.grant`,
 * `membership.revoke`, `user.create`). The place's ids come from the organisation, never
 * from the client. A role change applies to the person's next request (principals are built
 * per request from the user document).
 */
export class MembershipService {
  constructor(
    private readonly users: UserService,
    private readonly m: Pick<UserModels, 'users'>,
    private readonly org: OrgModels,
    private readonly audit?: AuditLog,
  ) {}

  /** Staff holding a role inside a place the caller administers, with those memberships. */
  async list(p: Principal, q: ListStaffQuery): Promise<{ items: StaffView[]; total: number }> {
    const reach = this.adminScopes(p);
    if (reach.length === 0) throw forbidden();
    const users = await Promise.all(
      (await this.m.users.find({ kind: 'staff' }).lean<UserDoc[]>()).map((u) =>
        this.users.withLatestMemberships(u),
      ),
    );
    const rows = users
      .map((u) => ({
        u,
        visible: u.memberships.filter((m) => reach.some((r) => within(m.scope, r))),
      }))
      .filter(({ visible }) => visible.length > 0)
      .filter(({ visible }) => !q.schoolId || visible.some((m) => m.scope.schoolId === q.schoolId))
      .filter(({ visible }) => !q.role || visible.some((m) => m.role === q.role))
      .filter(({ u }) => !q.q || u.displayName.includes(q.q))
      .sort((a, b) => a.u.displayName.localeCompare(b.u.displayName, 'zh-CN'));
    return {
      items: rows
        .slice(q.offset, q.offset + q.limit)
        .map(({ u, visible }) => staffView(u, visible)),
      total: rows.length,
    };
  }

  /**
   * A new staff account with one role in one place; answers its one-time password once (the
   * person changes it at first sign-in, `/api/auth/password`).
   */
  async create(
    p: Principal,
    body: CreateStaffBody,
  ): Promise<{ user: StaffView; initialPassword: string }> {
    const membership = await this.grantable(p, body.membership);
    const initialPassword = randomBytes(9).toString('base64url');
    const user = await this.users.create({
      kind: 'staff',
      displayName: body.displayName,
      phone: body.phone,
      password: initialPassword,
      memberships: [membership],
    });
    await this.record(p, 'user.create', membership, user, 'audit.summary.user.create');
    return { user: staffView(user, [membership]), initialPassword };
  }

  /** Gives a staff member a role in a place (idempotent: held already, nothing changes). */
  async grant(p: Principal, userId: string, body: MembershipBody): Promise<StaffView> {
    const membership = await this.grantable(p, body);
    await this.staff(userId);
    const { user, changed } = await this.users.changeMemberships(userId, p.userId, (u) =>
      u.memberships.some((m) => same(m, membership)) ? null : [...u.memberships, membership],
    );
    if (changed)
      await this.record(p, 'membership.grant', membership, user, 'audit.summary.membership.grant');
    return this.viewFor(p, user);
  }

  /** Takes a role in a place away from a staff member; 404 when they do not hold it. */
  async revoke(p: Principal, userId: string, body: MembershipBody): Promise<StaffView> {
    const membership = await this.grantable(p, body);
    const found = await this.staff(userId);
    if (!found.memberships.some((m) => same(m, membership))) throw new NotFoundError();
    if (found._id === p.userId) throw new ConflictError(t('membership.not_own'), 'MEMBERSHIP_OWN');
    // taken away meanwhile by someone else: what was asked for holds, nothing to record
    const { user, changed } = await this.users.changeMemberships(userId, p.userId, (u) =>
      u.memberships.some((m) => same(m, membership))
        ? u.memberships.filter((m) => !same(m, membership))
        : null,
    );
    if (changed)
      await this.record(
        p,
        'membership.revoke',
        membership,
        user,
        'audit.summary.membership.revoke',
      );
    return this.viewFor(p, user);
  }

  // helpers //////////

  /** The scopes the caller administers (memberships of a granting role). */
  private adminScopes(p: Principal): MembershipScope[] {
    return p.memberships.filter((m) => GRANTS[m.role]?.length).map((m) => m.scope);
  }

  /**
   * The membership to grant or revoke, its scope built from the organisation; refused unless
   * one of the caller's memberships may give that role and contains the place.
   */
  private async grantable(p: Principal, body: MembershipBody): Promise<Membership> {
    if (!ROLE_LEVELS[body.role].includes(body.level))
      throw new UserError(400, 'MEMBERSHIP_INVALID', 'user.membership_invalid', undefined, {
        fields: [{ path: 'level', message: t('user.membership_invalid') }],
      });
    const scope = await this.scopeOf(body.level, body.placeId);
    const allowed = p.memberships.some(
      (m) => GRANTS[m.role]?.includes(body.role) && within(scope, m.scope),
    );
    if (!allowed) throw forbidden();
    return { role: body.role, scope };
  }

  /** The full scope of a place from the organisation (404 when there is no such place). */
  private async scopeOf(level: ScopeLevel, placeId: string): Promise<MembershipScope> {
    switch (level) {
      case 'class': {
        const c = await this.org.classes.findById(placeId).lean();
        if (!c) throw new NotFoundError();
        return {
          cityId: c.cityId,
          countyId: c.countyId,
          schoolId: c.schoolId,
          gradeId: c.gradeId,
          classId: c._id,
        };
      }
      case 'school': {
        const s = await this.org.schools.findById(placeId).lean();
        if (!s) throw new NotFoundError();
        return { cityId: s.cityId, countyId: s.countyId, schoolId: s._id };
      }
      case 'county': {
        const c = await this.org.counties.findById(placeId).lean();
        if (!c) throw new NotFoundError();
        return { cityId: c.cityId, countyId: c._id };
      }
      case 'city': {
        const c = await this.org.cities.findById(placeId).lean();
        if (!c) throw new NotFoundError();
        return { cityId: c._id };
      }
    }
  }

  /** A staff user (404 for parents, service accounts and unknown ids). */
  private async staff(userId: string): Promise<UserDoc> {
    const user = await this.users.findById(userId);
    if (!user || user.kind !== 'staff') throw new NotFoundError();
    return user;
  }

  private viewFor(p: Principal, user: UserDoc): StaffView {
    const reach = this.adminScopes(p);
    return staffView(
      user,
      user.memberships.filter((m) => reach.some((r) => within(m.scope, r))),
    );
  }

  private async record(
    p: Principal,
    action: string,
    membership: Membership,
    user: Pick<UserDoc, '_id' | 'displayName'>,
    summaryKey:
      | 'audit.summary.user.create'
      | 'audit.summary.membership.grant'
      | 'audit.summary.membership.revoke',
  ): Promise<void> {
    if (!this.audit) return;
    const s = membership.scope;
    const level = scopeLevel(s);
    const placeName = await this.placeName(s);
    await this.audit.record({
      actor: { userId: p.userId, displayName: p.displayName },
      action,
      place: {
        level: level === 'class' ? 'school' : level,
        key: s.schoolId ? `school.${s.schoolId}` : s.countyId ? `county.${s.countyId}` : 'city',
        cityId: s.cityId,
        ...(s.countyId ? { countyId: s.countyId } : {}),
        ...(s.schoolId ? { schoolId: s.schoolId } : {}),
      },
      target: { type: 'User', id: user._id },
      summary: t(summaryKey, {
        place: placeName,
        name: user.displayName,
        role: t(`role.${membership.role}`),
      }),
      details: { role: membership.role, scope: s },
    });
  }

  private async placeName(s: MembershipScope): Promise<string> {
    if (s.classId) {
      const [school, klass] = await Promise.all([
        this.org.schools.findById(s.schoolId).lean(),
        this.org.classes.findById(s.classId).lean(),
      ]);
      return `${school?.name ?? s.schoolId} ${klass?.name ?? s.classId}`;
    }
    if (s.schoolId) return (await this.org.schools.findById(s.schoolId).lean())?.name ?? s.schoolId;
    if (s.countyId)
      return (await this.org.counties.findById(s.countyId).lean())?.name ?? s.countyId;
    return (await this.org.cities.findById(s.cityId).lean())?.name ?? s.cityId;
  }
}

// helpers //////////

/** True when `inner` lies inside `outer` (every id `outer` names, `inner` names the same). */
export function within(inner: MembershipScope, outer: MembershipScope): boolean {
  return (['cityId', 'countyId', 'schoolId', 'gradeId', 'classId'] as const).every(
    (k) => outer[k] === undefined || outer[k] === inner[k],
  );
}

function same(a: Membership, b: Membership): boolean {
  return (
    a.role === b.role &&
    (['cityId', 'countyId', 'schoolId', 'gradeId', 'classId'] as const).every(
      (k) => (a.scope[k] ?? undefined) === (b.scope[k] ?? undefined),
    )
  );
}

function staffView(user: UserDoc, memberships: Membership[]): StaffView {
  return {
    id: user._id,
    displayName: user.displayName,
    ...(user.phone ? { phone: maskValue(user.phone) } : {}),
    disabled: user.disabled,
    memberships: memberships.map((m) => ({
      role: m.role,
      level: scopeLevel(m.scope),
      scope: { ...m.scope },
    })),
  };
}

function forbidden(): UserError {
  return new UserError(403, 'FORBIDDEN', 'error.forbidden', 'may not manage these memberships');
}
