import {
  createMongoAbility,
  type ForcedSubject,
  type MongoAbility,
  type MongoQuery,
  type RawRuleOf,
  subject as asSubject,
} from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import {
  type Action,
  AUTHORIZATION_TABLE,
  type Grant,
  PLAN_PUBLIC_FIELDS,
  STUDENT_FIELDS,
  STUDENT_PUBLIC_FIELDS,
  type SubjectName,
  SURVEY_PUBLIC_FIELDS,
} from './authorization-table';
import type { Principal } from './principal';
import { type MembershipScope, scopeLevel } from './roles';

/**
 * The CASL ability factory: a principal's memberships × the grants of
 * server/auth/authorization-table.ts → CASL rules with conditions on the ids every document
 * carries. Routes check single documents with {@link AppAbility.can}; lists filter with
 * {@link accessibleQuery}; responses keep only {@link permittedFields}.
 */

/** A CASL ability over our actions and subjects. */
export type AppAbility = MongoAbility<[Action, SubjectName | TaggedSubject]>;

/** A document tagged with its subject name. */
export type TaggedSubject = Record<PropertyKey, unknown> & ForcedSubject<SubjectName>;

type Rule = RawRuleOf<AppAbility>;

/** Builds the ability of a signed-in principal. */
export function abilityFor(p: Pick<Principal, 'userId' | 'memberships'>): AppAbility {
  const rules: Rule[] = [];
  for (const grant of AUTHORIZATION_TABLE) {
    for (const conditions of conditionsOf(grant, p)) {
      rules.push({
        action: grant.action,
        subject: grant.subject,
        conditions,
        ...(grant.fields === 'public' ? { fields: publicFieldsOf(grant.subject) } : {}),
      });
    }
  }
  return createMongoAbility<AppAbility>(rules);
}

/** Tags a plain document with its subject name for `ability.can(…)`. */
export function subject<T extends object>(name: SubjectName, doc: T): T & TaggedSubject {
  return asSubject(name, doc as T & Record<PropertyKey, unknown>) as T & TaggedSubject;
}

/**
 * The database filter of the documents `ability` may `action`: an `$or` of the rules'
 * conditions on top-level ids (plus `guardians.userId`), which FerretDB 1.24 runs. `null` when
 * no document is allowed. This stands in for @casl/mongoose's `accessibleBy` so the filter
 * stays within what FerretDB supports and no grant can widen it unnoticed: an unconditional or
 * inverted rule is a bug in the table and throws.
 */
export function accessibleQuery(
  ability: AppAbility,
  action: Action,
  subjectName: SubjectName,
): MongoQuery | null {
  const rules = ability.rulesFor(action, subjectName);
  if (rules.length === 0) return null;
  const or: MongoQuery[] = [];
  for (const rule of rules) {
    if (rule.inverted || !rule.conditions)
      throw new Error(`unsupported rule for a list: ${action} ${subjectName}`);
    or.push(rule.conditions as MongoQuery);
  }
  return { $or: or };
}

/** The fields of `doc` (tagged with {@link subject}) that `ability` may `action`. */
export function permittedFields(
  ability: AppAbility,
  action: Action,
  subjectName: SubjectName,
  doc: object,
): string[] {
  return permittedFieldsOf(ability, action, subject(subjectName, doc), {
    fieldsFrom: (rule) => rule.fields ?? allFieldsOf(subjectName),
  });
}

// helpers //////////

const ID_OF_LEVEL = {
  city: 'cityId',
  county: 'countyId',
  school: 'schoolId',
  class: 'classId',
} as const;

function conditionsOf(grant: Grant, p: Pick<Principal, 'userId' | 'memberships'>): MongoQuery[] {
  const reached = reachOf(grant, p);
  return grant.where ? reached.map((c) => ({ ...c, ...grant.where })) : reached;
}

function reachOf(grant: Grant, p: Pick<Principal, 'userId' | 'memberships'>): MongoQuery[] {
  if (grant.reach === 'self') return [{ _id: p.userId }];
  const held = p.memberships.filter((m) => m.role === grant.role);
  if (grant.reach === 'guardian') return held.length ? [{ 'guardians.userId': p.userId }] : [];
  if (grant.reach === 'place') return dedupe(held.map((m) => placeCondition(m.scope)));
  if (grant.reach === 'lineage') return dedupe(held.flatMap((m) => lineageConditions(m.scope)));
  if (grant.reach === 'school')
    return dedupe(held.flatMap((m) => (m.scope.schoolId ? [{ schoolId: m.scope.schoolId }] : [])));
  return dedupe(held.flatMap((m) => scopeConditions(grant.subject, m.scope)));
}

/**
 * The conditions matching the documents of one place, for one subject: an Incident reaches a
 * class through the classes of its children (`classIds`, an array of strings, which FerretDB
 * matches element-wise), or through `classId` for incidents reported before `classIds`.
 */
function scopeConditions(subjectName: SubjectName, scope: MembershipScope): MongoQuery[] {
  if (subjectName === 'Incident' && scopeLevel(scope) === 'class')
    return [{ classIds: scope.classId! }, { classId: scope.classId! }];
  return [scopeCondition(subjectName, scope)];
}

/** The condition matching the documents of one place, for one subject. */
function scopeCondition(subjectName: SubjectName, scope: MembershipScope): MongoQuery {
  const level = scopeLevel(scope);
  if (subjectName === 'School' && (level === 'school' || level === 'class'))
    return { _id: scope.schoolId! };
  if (subjectName === 'Class' && level === 'class') return { _id: scope.classId! };
  const key = ID_OF_LEVEL[level];
  return { [key]: scope[key]! };
}

/** The catalog documents of exactly the membership's place (a class counts as its school). */
function placeCondition(scope: MembershipScope): MongoQuery {
  const level = scopeLevel(scope);
  if (level === 'school' || level === 'class')
    return { schoolId: scope.schoolId!, level: 'school' };
  if (level === 'county') return { countyId: scope.countyId!, level: 'county' };
  return { level: 'city' };
}

/** The catalog documents of the membership's place, the places below it and those above it. */
function lineageConditions(scope: MembershipScope): MongoQuery[] {
  const level = scopeLevel(scope);
  if (level === 'city') return [{ level: 'city' }, { cityId: scope.cityId }];
  if (level === 'county') return [{ level: 'city' }, { countyId: scope.countyId! }];
  return [
    { level: 'city' },
    { countyId: scope.countyId!, level: 'county' },
    { schoolId: scope.schoolId! },
  ];
}

function dedupe(conditions: MongoQuery[]): MongoQuery[] {
  const seen = new Map<string, MongoQuery>();
  for (const c of conditions) seen.set(JSON.stringify(c), c);
  return [...seen.values()];
}

function publicFieldsOf(subjectName: SubjectName): string[] {
  if (subjectName === 'Plan') return [...PLAN_PUBLIC_FIELDS];
  if (subjectName === 'Survey') return [...SURVEY_PUBLIC_FIELDS];
  return subjectName === 'Student' ? [...STUDENT_PUBLIC_FIELDS] : [];
}

function allFieldsOf(subjectName: SubjectName): string[] {
  return subjectName === 'Student' ? [...STUDENT_FIELDS] : [];
}
