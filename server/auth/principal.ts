import type { Membership, Role, UserKind } from './roles';

/**
 * A signed-in person as the rest of the server sees them: who, their memberships, and the
 * roles and candidate groups resolved from those (server/auth/groups.ts). Built per request
 * from the session and the user document; the ability factory (CASL) builds on it.
 */
export interface Principal {
  userId: string;
  kind: UserKind;
  displayName: string;
  memberships: Membership[];
  /** The distinct roles of the memberships. */
  roles: Role[];
  /** Candidate groups, e.g. `class:<id>:teacher`, `school:<id>:committee`. */
  groups: string[];
}
