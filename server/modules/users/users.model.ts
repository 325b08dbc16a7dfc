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
export const USER_COLLECTIONS = { users: 'users', userKeys: 'user_keys' } as const;

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
  externalIds: ExternalIdentity[];
  /** Failed sign-ins since the last success or lockout. */
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

/** This slice's models, registered on one connection. */
export interface UserModels {
  users: Model<UserDoc>;
  userKeys: Model<UserKeyDoc>;
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

/** Registers (once) and returns this slice's models on `connection`. */
export function userModels(connection: Connection): UserModels {
  return {
    users: registerModel(connection, 'User', userSchema, USER_COLLECTIONS.users),
    userKeys: registerModel(connection, 'UserKey', userKeySchema, USER_COLLECTIONS.userKeys),
  };
}
