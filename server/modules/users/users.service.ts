import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/connection';
import { isDuplicateKey } from '../../db/models';
import { isAllowedMembership, type Membership } from '../../auth/roles';
import { hashPassword } from '../../auth/password';
import { ConflictError, NotFoundError, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import {
  type ExternalIdentity,
  type MembershipRevisionDoc,
  type UserDoc,
  type UserLoginDoc,
  type UserKind,
  type UserModels,
  userModels,
} from './users.model';

/** What it takes to create a user. */
export interface NewUser {
  /** Deterministic ids for seeds; a random one otherwise. */
  id?: string;
  kind: UserKind;
  username?: string;
  phone?: string;
  displayName: string;
  /** A plain password to hash, or `passwordHash` when it is hashed already. */
  password?: string;
  passwordHash?: string;
  memberships?: Membership[];
}

/** How a user signs in: by phone or by username. */
export type LoginKey = { phone: string } | { username: string };

/** A claim older than this whose user does not exist was left by a crash and may be taken. */
const ORPHAN_CLAIM_MS = 60_000;

/** How often a change of memberships is applied on top of a concurrent one before a 409. */
const MAX_MEMBERSHIP_ATTEMPTS = 8;

/** The `_id` of a user's memberships revision. */
function revisionId(userId: string, rev: number): string {
  return `${userId}:${rev}`;
}

/** The uniqueness claim key of a phone number. */
export function phoneKey(phone: string): string {
  return `phone:${phone}`;
}

/** The uniqueness claim key of a username (case-insensitive). */
export function usernameKey(username: string): string {
  return `username:${username.toLowerCase()}`;
}

/** The uniqueness claim key of an external identity. */
export function externalKey(identity: Omit<ExternalIdentity, 'linkedAt'>): string {
  return identity.provider === 'wecom'
    ? `wecom:${identity.corpId}:${identity.userId ?? ''}`
    : `wecom-external:${identity.corpId}:${identity.externalUserId ?? ''}`;
}

/**
 * Users and their unique keys. Creating a user first claims each key by inserting its
 * `user_keys` document (exactly one concurrent claimant wins), then inserts the user; a
 * failure releases the claims it made. Sign-in and identity lookups read the claim and then
 * the user, both by `_id`.
 */
export class UserService {
  private readonly m: UserModels;

  constructor(db: Database) {
    this.m = userModels(db.connection);
  }

  /** Creates a user; ConflictError (PHONE_TAKEN, USERNAME_TAKEN) when a key is taken. */
  async create(input: NewUser): Promise<UserDoc> {
    const memberships = input.memberships ?? [];
    const bad = memberships.findIndex((m) => !isAllowedMembership(m));
    if (bad >= 0) {
      throw new UserError(400, 'MEMBERSHIP_INVALID', 'user.membership_invalid', undefined, {
        fields: [{ path: `memberships.${bad}`, message: t('user.membership_invalid') }],
      });
    }
    const id = input.id ?? randomUUID();
    const username = input.username?.toLowerCase();
    const claims: { key: string; code: string; message: string }[] = [];
    if (input.phone)
      claims.push({
        key: phoneKey(input.phone),
        code: 'PHONE_TAKEN',
        message: t('user.phone_taken'),
      });
    if (username)
      claims.push({
        key: usernameKey(username),
        code: 'USERNAME_TAKEN',
        message: t('user.username_taken'),
      });

    const claimed: string[] = [];
    try {
      for (const c of claims) {
        await this.claim(c.key, id, () => new ConflictError(c.message, c.code));
        claimed.push(c.key);
      }
      const passwordHash =
        input.passwordHash ?? (input.password ? await hashPassword(input.password) : undefined);
      const doc = await this.m.users.create({
        _id: id,
        kind: input.kind,
        username,
        phone: input.phone,
        displayName: input.displayName,
        passwordHash,
        passwordChangedAt: passwordHash ? new Date() : undefined,
        credentialsVersion: 0,
        memberships,
        externalIds: [],
        failedLogins: 0,
        disabled: false,
      });
      return doc.toObject();
    } catch (err) {
      await Promise.all(claimed.map((key) => this.m.userKeys.deleteOne({ _id: key })));
      throw err;
    }
  }

  /**
   * The user with this id for a request of one of its sessions: its memberships as of their
   * latest revision, without the sign-in state (failure count, lock), which only signing in and
   * changing the password need — one read fewer on every request.
   */
  async findForSession(id: string): Promise<UserDoc | null> {
    const user = await this.m.users.findById(id).lean<UserDoc>();
    return user ? this.withLatestMemberships(user) : null;
  }

  /** The user with this id, or null; its memberships as of their latest revision. */
  async findById(id: string): Promise<UserDoc | null> {
    const [user, login] = await Promise.all([
      this.m.users.findById(id).lean<UserDoc>(),
      this.m.logins.findById(id).lean<UserLoginDoc>(),
    ]);
    if (!user) return null;
    // the sign-in state lives apart (UserLoginDoc); an account not signed in since has it on
    // the user document still
    const signIns = login
      ? {
          failedLogins: login.failedLogins,
          lockedUntil: login.lockedUntil ?? undefined,
          lastLoginAt: login.lastLoginAt ?? user.lastLoginAt,
        }
      : {};
    return this.withLatestMemberships({ ...user, ...signIns });
  }

  /**
   * The user with the memberships of their latest revision: the document's own revision, then
   * each next revision document while there is one (usually none: one read by `_id`). The
   * document may lag behind when another write of it (a sign-in, a password change) landed
   * over an administrator's change; the revisions are the truth.
   */
  async withLatestMemberships(user: UserDoc): Promise<UserDoc> {
    let { memberships } = user;
    let rev = user.membershipsRev ?? 0;
    for (;;) {
      const next = await this.m.membershipRevisions
        .findById(revisionId(user._id, rev + 1))
        .lean<MembershipRevisionDoc>();
      if (!next) break;
      memberships = next.memberships.map((m) => ({ role: m.role, scope: { ...m.scope } }));
      rev += 1;
    }
    return rev === (user.membershipsRev ?? 0)
      ? user
      : { ...user, memberships, membershipsRev: rev };
  }

  /**
   * Changes a user's memberships as `change` computes them from the latest ones (`null`: no
   * change). The change is inserted as the next revision, so of concurrent changes exactly one
   * takes each revision and the others re-read and apply theirs on top; nothing is lost. After
   * {@link MAX_MEMBERSHIP_ATTEMPTS} lost races the caller is told to reload (409
   * MEMBERSHIP_CHANGED). Returns the user as changed (or as found when nothing changed).
   */
  async changeMemberships(
    userId: string,
    by: string,
    change: (user: UserDoc) => Membership[] | null,
  ): Promise<{ user: UserDoc; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_MEMBERSHIP_ATTEMPTS; attempt++) {
      const user = await this.findById(userId);
      if (!user) throw new NotFoundError();
      const memberships = change(user);
      if (!memberships) return { user, changed: false };
      const rev = (user.membershipsRev ?? 0) + 1;
      try {
        await this.m.membershipRevisions.create({
          _id: revisionId(userId, rev),
          userId,
          rev,
          memberships,
          by,
          at: new Date(),
        });
      } catch (err) {
        if (isDuplicateKey(err)) continue; // another change took this revision: apply on top
        throw err;
      }
      // for the queries that read the document (lists, recipients of a role); may be written
      // over by an older copy, which the next read of the user rolls forward again
      await this.m.users.updateOne({ _id: userId }, { $set: { memberships, membershipsRev: rev } });
      return { user: { ...user, memberships, membershipsRev: rev }, changed: true };
    }
    throw new ConflictError(t('membership.changed'), 'MEMBERSHIP_CHANGED');
  }

  /** The user who signs in with this phone or username, or null. */
  async findByLogin(login: LoginKey): Promise<UserDoc | null> {
    const key = 'phone' in login ? phoneKey(login.phone) : usernameKey(login.username);
    return this.findByKey(key);
  }

  /** The user an external identity is linked to, or null. */
  async findByExternalIdentity(
    identity: Omit<ExternalIdentity, 'linkedAt'>,
  ): Promise<UserDoc | null> {
    return this.findByKey(externalKey(identity));
  }

  /**
   * Links a WeCom member or a parent's WeCom external contact to a user; ConflictError
   * (EXTERNAL_ID_TAKEN) when it is linked to someone else. Linking it again to the same user
   * changes nothing.
   */
  async linkExternalIdentity(
    userId: string,
    identity: Omit<ExternalIdentity, 'linkedAt'>,
  ): Promise<void> {
    const key = externalKey(identity);
    const owner = await this.m.userKeys.findById(key).lean();
    if (owner?.userId === userId) return;
    await this.claim(
      key,
      userId,
      () => new ConflictError(t('user.external_taken'), 'EXTERNAL_ID_TAKEN'),
    );
    await this.m.users.updateOne(
      { _id: userId },
      { $push: { externalIds: { ...identity, linkedAt: new Date() } } },
    );
  }

  /** Removes a linked WeCom identity of a user (it may then be linked again, to anyone). */
  async unlinkExternalIdentity(
    userId: string,
    identity: Omit<ExternalIdentity, 'linkedAt'>,
  ): Promise<void> {
    const key = externalKey(identity);
    const user = await this.findById(userId);
    if (user) {
      const externalIds = user.externalIds.filter((e) => externalKey(e) !== key);
      if (externalIds.length !== user.externalIds.length)
        await this.m.users.updateOne({ _id: userId }, { $set: { externalIds } });
    }
    await this.m.userKeys.deleteOne({ _id: key, userId });
  }

  /** Replaces the password hash and raises the credentials version; returns the new version. */
  async setPasswordHash(user: UserDoc, passwordHash: string): Promise<number> {
    const credentialsVersion = user.credentialsVersion + 1;
    await this.m.users.updateOne(
      { _id: user._id },
      { $set: { passwordHash, passwordChangedAt: new Date(), credentialsVersion } },
    );
    return credentialsVersion;
  }

  /** Records a failed sign-in: the new failure count, or a lock until `lockUntil`. */
  async recordFailedLogin(
    userId: string,
    state: { failedLogins: number; lockedUntil?: Date },
  ): Promise<void> {
    const previous = await this.m.logins.findById(userId).lean<UserLoginDoc>();
    await this.writeLogin({
      _id: userId,
      failedLogins: state.failedLogins,
      ...(state.lockedUntil ? { lockedUntil: state.lockedUntil } : {}),
      ...(previous?.lastLoginAt ? { lastLoginAt: previous.lastLoginAt } : {}),
    });
  }

  /** Records a successful sign-in: clears failures and any lock. */
  async recordLogin(userId: string, at: Date): Promise<void> {
    await this.writeLogin({ _id: userId, failedLogins: 0, lastLoginAt: at });
  }

  /**
   * Replaces a user's sign-in state (`user_logins`, never the user document). Sign-ins are its
   * only writers; of two at once one may be lost (a failure counted once), which the
   * per-account throttle bounds.
   */
  private async writeLogin(doc: UserLoginDoc): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.m.logins.replaceOne({ _id: doc._id }, doc, { upsert: true });
        return;
      } catch (err) {
        // two first sign-ins at once both insert: the second replaces what the first wrote
        if (!isDuplicateKey(err) || attempt > 0) throw err;
      }
    }
  }

  // helpers //////////

  private async findByKey(key: string): Promise<UserDoc | null> {
    const claim = await this.m.userKeys.findById(key).lean();
    return claim ? this.findById(claim.userId) : null;
  }

  /** Inserts the claim; takes over an orphan left by a crash; otherwise throws `taken()`. */
  private async claim(key: string, userId: string, taken: () => Error): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.m.userKeys.create({ _id: key, userId, createdAt: new Date() });
        return;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const existing = await this.m.userKeys.findById(key).lean();
      const isOrphan =
        attempt === 0 &&
        existing !== null &&
        Date.now() - existing.createdAt.getTime() > ORPHAN_CLAIM_MS &&
        !(await this.m.users.exists({ _id: existing.userId }));
      if (!isOrphan) throw taken();
      await this.m.userKeys.deleteOne({ _id: key });
    }
  }
}
