import type { Database } from '../../db/connection';
import { insertMissing } from '../../db/models';
import { hashPassword } from '../../auth/password';
import type { Logger } from '../../lib/logger';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { USER_COLLECTIONS, type UserDoc, type UserKeyDoc, userModels } from '../users/users.model';
import { phoneKey, usernameKey } from '../users/users.service';
import { ENROLMENT_COLLECTIONS, enrolmentModels } from '../enrolment/enrolment.model';
import { DEMO_PASSWORD, generateDemoData } from './demo.data';
import { demoPlans } from './demo.plans';

/** How many documents of each kind the demo has, and how many a run inserted. */
export interface SeedReport {
  cities: number;
  counties: number;
  schools: number;
  grades: number;
  classes: number;
  students: number;
  users: number;
  inserted: number;
}

/**
 * Writes the demo organisation, users and students. Idempotent: every document has a fixed
 * `_id`, and a run inserts only those that are missing, leaving the rest (and any password a
 * demo user changed) alone. All demo accounts share one hash of the demo password, which is
 * public anyway; a changed password gets its own salt.
 */
export async function seedDemo(db: Database): Promise<SeedReport> {
  await db.ensureCollections([
    ...Object.values(ORG_COLLECTIONS),
    ...Object.values(USER_COLLECTIONS),
    ...Object.values(ENROLMENT_COLLECTIONS),
  ]);
  const data = generateDemoData();
  const org = orgModels(db.connection);
  const { users, userKeys } = userModels(db.connection);
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const now = new Date();

  const keys: UserKeyDoc[] = data.users.flatMap((u) => [
    ...(u.phone ? [{ _id: phoneKey(u.phone), userId: u._id, createdAt: now }] : []),
    ...(u.username ? [{ _id: usernameKey(u.username), userId: u._id, createdAt: now }] : []),
  ]);
  const userDocs: UserDoc[] = data.users.map((u) => ({
    ...u,
    passwordHash,
    passwordChangedAt: now,
    credentialsVersion: 0,
    externalIds: [],
    failedLogins: 0,
    disabled: false,
  }));

  let inserted = 0;
  inserted += await insertMissing(org.cities, data.cities);
  inserted += await insertMissing(org.counties, data.counties);
  inserted += await insertMissing(org.schools, data.schools);
  inserted += await insertMissing(org.grades, data.grades);
  inserted += await insertMissing(org.classes, data.classes);
  // Claims before users, as UserService.create does: a user never exists without its keys.
  inserted += await insertMissing(userKeys, keys);
  inserted += await insertMissing(users, userDocs);
  inserted += await insertMissing(org.students, data.students);
  inserted += await insertMissing(enrolmentModels(db.connection).plans, demoPlans(data.schools));
  return {
    cities: data.cities.length,
    counties: data.counties.length,
    schools: data.schools.length,
    grades: data.grades.length,
    classes: data.classes.length,
    students: data.students.length,
    users: data.users.length,
    inserted,
  };
}

/** Seeds the demo when the database has no users yet; true when it did. */
export async function seedDemoIfEmpty(db: Database, logger: Logger): Promise<boolean> {
  await db.ensureCollections(Object.values(USER_COLLECTIONS));
  const anyUser = await userModels(db.connection).users.findOne({}, { _id: 1 }).lean();
  if (anyUser) return false;
  const report = await seedDemo(db);
  logger.info({ ...report }, 'seeded the demo data (empty development database)');
  return true;
}
