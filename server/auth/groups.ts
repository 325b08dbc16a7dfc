import type { Membership, Role, ScopeLevel } from './roles';
import { scopeLevel } from './roles';

/**
 * Candidate-group names for user tasks (`zeebe:assignmentDefinition candidateGroups`), the one
 * place that spells them. A group is `<level>:<id>:<name>`, e.g. `class:<id>:teacher` (the
 * class teacher, 班主任, who does the class review) or `school:<id>:committee`. Process
 * templates write these names with FEEL, as a list as Zeebe requires of a candidateGroups
 * expression (`=["class:" + classId + ":teacher"]`; a bare string is an incident); the inbox
 * resolves a user's groups from their memberships with {@link groupsOf}.
 */

/** The name part of a group, per role and level. Parents get tasks by assignee, not group. */
const GROUP_NAMES: Partial<Record<Role, Partial<Record<ScopeLevel, string>>>> = {
  classTeacher: { class: 'teacher' },
  teacher: { school: 'teacher', class: 'subject-teacher' },
  committee: { school: 'committee', class: 'committee' },
  schoolAdmin: { school: 'admin' },
  principal: { school: 'principal' },
  countyBureau: { county: 'bureau' },
  cityBureau: { city: 'bureau' },
  worker: { city: 'worker' },
};

/** A group name taken apart. */
export interface GroupRef {
  level: ScopeLevel;
  id: string;
  name: string;
}

const GROUP = /^(city|county|school|class):([^:\s]+):([a-z-]+)$/;

/** Spells a group name. Ids never contain `:` (see the id schemas). */
export function groupName(level: ScopeLevel, id: string, name: string): string {
  return `${level}:${id}:${name}`;
}

/** `class:<classId>:teacher`: the class teacher (班主任) of a class. */
export function classTeacherGroup(classId: string): string {
  return groupName('class', classId, 'teacher');
}

/** `school:<schoolId>:committee`: the school's parent committee (家委会). */
export function schoolCommitteeGroup(schoolId: string): string {
  return groupName('school', schoolId, 'committee');
}

/** `school:<schoolId>:admin`: the school's administrators. */
export function schoolAdminGroup(schoolId: string): string {
  return groupName('school', schoolId, 'admin');
}

/** `school:<schoolId>:principal`: the principal (校长, RESP-PRINCIPAL). */
export function principalGroup(schoolId: string): string {
  return groupName('school', schoolId, 'principal');
}

/** `county:<countyId>:bureau`: the county education bureau (县区教育局). */
export function countyBureauGroup(countyId: string): string {
  return groupName('county', countyId, 'bureau');
}

/** `city:<cityId>:bureau`: the city education bureau (市教育局). */
export function cityBureauGroup(cityId: string): string {
  return groupName('city', cityId, 'bureau');
}

/** Parses a group name; undefined when it is not one of ours. */
export function parseGroup(group: string): GroupRef | undefined {
  const m = GROUP.exec(group);
  if (!m) return undefined;
  return { level: m[1] as ScopeLevel, id: m[2]!, name: m[3]! };
}

/** The group one membership puts its holder in, if any. */
export function groupOf(m: Membership): string | undefined {
  const level = scopeLevel(m.scope);
  const name = GROUP_NAMES[m.role]?.[level];
  if (!name) return undefined;
  const id = {
    city: m.scope.cityId,
    county: m.scope.countyId,
    school: m.scope.schoolId,
    class: m.scope.classId,
  }[level];
  return id ? groupName(level, id, name) : undefined;
}

/** Every candidate group the memberships put their holder in, sorted, without duplicates. */
export function groupsOf(memberships: readonly Membership[]): string[] {
  const groups = new Set<string>();
  for (const m of memberships) {
    const g = groupOf(m);
    if (g) groups.add(g);
  }
  return [...groups].sort();
}
