/**
 * Roles and memberships (DESIGN.md decision 5). Who may do what is data: a user holds any
 * number of memberships, each a role in one place of the organisation
 * (city → county → school → grade → class). Pure types and tables; no I/O.
 */

/** What a user is: school or bureau staff, a parent, or a service account (job workers). */
export type UserKind = 'staff' | 'parent' | 'service';

/** Every role a membership can carry. */
export const ROLES = [
  'parent',
  'classTeacher',
  'teacher',
  'committee',
  'schoolAdmin',
  'principal',
  'countyBureau',
  'cityBureau',
  'worker',
] as const;

/** A role: 家长, 班主任, 教师, 家委会, 学校管理员, 校长, 县区教育局, 市教育局, 服务账号. */
export type Role = (typeof ROLES)[number];

/** The level of the organisation a membership applies to. */
export type ScopeLevel = 'city' | 'county' | 'school' | 'class';

/**
 * Where a membership applies: the ids of the place and of everything above it, so a rule can
 * match any level without a lookup. The deepest id present names the place.
 */
export interface MembershipScope {
  cityId: string;
  countyId?: string;
  schoolId?: string;
  gradeId?: string;
  classId?: string;
}

/** One role held in one place. */
export interface Membership {
  role: Role;
  scope: MembershipScope;
}

/**
 * The levels each role may be held at. A committee (家委会) exists per school and per class; a
 * teacher serves a school or one class; parents belong to their child's class.
 */
export const ROLE_LEVELS: Record<Role, readonly ScopeLevel[]> = {
  parent: ['class'],
  classTeacher: ['class'],
  teacher: ['school', 'class'],
  committee: ['school', 'class'],
  schoolAdmin: ['school'],
  principal: ['school'],
  countyBureau: ['county'],
  cityBureau: ['city'],
  worker: ['city'],
};

/** The level a scope names: its deepest id (a grade belongs to its school's level). */
export function scopeLevel(scope: MembershipScope): ScopeLevel {
  if (scope.classId) return 'class';
  if (scope.schoolId) return 'school';
  if (scope.countyId) return 'county';
  return 'city';
}

/** True when the scope holds every id above its level (a class scope names its school, …). */
export function isCompleteScope(scope: MembershipScope): boolean {
  switch (scopeLevel(scope)) {
    case 'class':
      return Boolean(scope.countyId && scope.schoolId && scope.gradeId);
    case 'school':
      return Boolean(scope.countyId);
    default:
      return true;
  }
}

/** True when `role` may be held at the level `scope` names. */
export function isAllowedMembership(m: Membership): boolean {
  return ROLE_LEVELS[m.role].includes(scopeLevel(m.scope)) && isCompleteScope(m.scope);
}
