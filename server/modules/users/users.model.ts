import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';
import { ROLES, type Membership, type UserKind } from '../../auth/roles';

/**
 * Users: staff, parents and service accounts in one collection, each with any number of
 * memberships (a role in a place). Phone numbers, usernames and linked WeCom identities are
 * unique through claim documents in `user_keys` whose `_id` is the key (`phone:<phone>`,
 * `username:<name>`, `wecom:<corpId>:<userId>`, …): inserting a document with a unique `_id`
 * is the only compare-and-swap FerretDB 1.24 offers, and a lookup by `_id` is the only one it
 * serves from an index (ADR 0003), so sign-in reads two documents by `_id`.
 */

/** The collections of this slice, for `Database.ensureCollections`. */
export const USER_COLLECTIONS = {
  users: 'users',
  userKeys: 'user_keys',
  membershipRevisions: 'user_membership_revisions',
  logins: 'user_logins',
} as const;

export type { UserKind };

/**
 * An identity at another provider, linked to this user. WeCom members (企业微信成员) have a
 * `userId` within a corp; parents reached through WeCom's school notifications (家校沟通) have
 * an external contact id (`externalUserId`).
 */
export interface ExternalIdentity {
  provider: 'wecom' | 'wecom-external';
  corpId: string;
  userId?: string;
  externalUserId?: string;
  linkedAt: Date;
}

/** A user document. */
export interface UserDoc {
  _id: string;
  kind: UserKind;
  /** Lower-case; unique (claimed as `username:<name>`). */
  username?: string;
  /** Mainland mobile number; unique (claimed as `phone:<phone>`). Personal data. */
  phone?: string;
  displayName: string;
  /** `scrypt$…` (server/auth/password.ts); absent for accounts that cannot sign in. */
  passwordHash?: string;
  passwordChangedAt?: Date;
  /**
   * Raised when the password changes; a session remembers the value it was created with and
   * dies when they differ, so changing a password signs out every other device.
   */
  credentialsVersion: number;
  memberships: Membership[];
  /**
   * The revision of `memberships` this document holds (absent: 0, the memberships it was
   * created with). The truth is the highest {@link MembershipRevisionDoc} from here on: another
   * writer of the user document (a sign-in, a password change) may write an older copy back.
   */
  membershipsRev?: number;
  externalIds: ExternalIdentity[];
  /**
   * Failed sign-ins since the last success or lockout. This and `lockedUntil`, `lastLoginAt`
   * are kept in {@link UserLoginDoc} (read into the user by `UserService.findById`): a sign-in
   * writing the user document could put back an older copy of it (FerretDB 1.24 rewrites the
   * whole document on update), e.g. the password before a change made at that moment.
   */
  failedLogins: number;
  /** Sign-in refused until then (5 failures lock for 15 minutes). */
  lockedUntil?: Date;
  lastLoginAt?: Date;
  /** A disabled user cannot sign in. */
  disabled: boolean;
}

/** A uniqueness claim: `_id` is the key, `userId` its owner. */
export interface UserKeyDoc {
  _id: string;
  userId: string;
  createdAt: Date;
}

/**
 * One change of a user's memberships, as the whole list after it: `_id` is `<userId>:<rev>`, so
 * of two administrators changing one person's roles at once exactly one inserts the next
 * revision and the other re-reads and applies their change on top (FerretDB 1.24 offers no
 * compare-and-swap but the insert, ADR 0001).
 */
export interface MembershipRevisionDoc {
  _id: string;
  userId: string;
  rev: number;
  memberships: Membership[];
  by: string;
  at: Date;
}

/**
 * The sign-in state of a user, `_id` = the user's id, written only by sign-ins (the failure
 * count, the lock, the last success), so that they never write the user document.
 */
export interface UserLoginDoc {
  _id: string;
  failedLogins: number;
  lockedUntil?: Date;
  lastLoginAt?: Date;
}

/** This slice's models, registered on one connection. */
export interface UserModels {
  users: Model<UserDoc>;
  userKeys: Model<UserKeyDoc>;
  membershipRevisions: Model<MembershipRevisionDoc>;
  logins: Model<UserLoginDoc>;
}

// Subdocuments are flat objects: FerretDB 1.24 refuses arrays nested inside arrays.
const scopeSchema = new Schema(
  {
    cityId: { type: String, required: true },
    countyId: String,
    schoolId: String,
    gradeId: String,
    classId: String,
  },
  { _id: false },
);

const membershipSchema = new Schema<Membership>(
  {
    role: { type: String, enum: ROLES, required: true },
    scope: { type: scopeSchema, required: true },
  },
  { _id: false },
);

const externalIdentitySchema = new Schema<ExternalIdentity>(
  {
    provider: { type: String, enum: ['wecom', 'wecom-external'], required: true },
    corpId: { type: String, required: true },
    userId: String,
    externalUserId: String,
    linkedAt: { type: Date, required: true },
  },
  { _id: false },
);

const userSchema = new Schema<UserDoc>(
  {
    _id: String,
    kind: { type: String, enum: ['staff', 'parent', 'service'], required: true },
    username: String,
    phone: String,
    displayName: { type: String, required: true },
    passwordHash: String,
    passwordChangedAt: Date,
    credentialsVersion: { type: Number, default: 0 },
    memberships: { type: [membershipSchema], default: [] },
    membershipsRev: Number,
    externalIds: { type: [externalIdentitySchema], default: [] },
    failedLogins: { type: Number, default: 0 },
    lockedUntil: Date,
    lastLoginAt: Date,
    disabled: { type: Boolean, default: false },
  },
  { versionKey: false, timestamps: true },
);

const userKeySchema = new Schema<UserKeyDoc>(
  {
    _id: String,
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

const membershipRevisionSchema = new Schema<MembershipRevisionDoc>(
  {
    _id: String,
    userId: { type: String, required: true },
    rev: { type: Number, required: true },
    memberships: { type: [membershipSchema], default: [] },
    by: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

const userLoginSchema = new Schema<UserLoginDoc>(
  {
    _id: String,
    failedLogins: { type: Number, default: 0 },
    lockedUntil: Date,
    lastLoginAt: Date,
  },
  { versionKey: false },
);

/** Registers (once) and returns this slice's models on `connection`. */
export function userModels(connection: Connection): UserModels {
  return {
    users: registerModel(connection, 'User', userSchema, USER_COLLECTIONS.users),
    userKeys: registerModel(connection, 'UserKey', userKeySchema, USER_COLLECTIONS.userKeys),
    membershipRevisions: registerModel(
      connection,
      'UserMembershipRevision',
      membershipRevisionSchema,
      USER_COLLECTIONS.membershipRevisions,
    ),
    logins: registerModel(connection, 'UserLogin', userLoginSchema, USER_COLLECTIONS.logins),
  };
}
