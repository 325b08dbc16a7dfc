import { api, setCsrfToken } from './api';

/** A role held in one place (`GET /api/auth/me`). */
export interface Membership {
  role: string;
  roleName: string;
  scope: {
    cityId: string;
    countyId?: string;
    schoolId?: string;
    gradeId?: string;
    classId?: string;
  };
  group: string | null;
}

/** Who is signed in. */
export interface Me {
  user: {
    id: string;
    kind: 'staff' | 'parent' | 'service';
    username: string | null;
    phone: string | null;
    displayName: string;
  };
  roles: string[];
  memberships: Membership[];
  groups: string[];
  csrfToken: string;
}

let me: Me | undefined;

/** The signed-in user, or undefined before sign-in. */
export function currentUser(): Me | undefined {
  return me;
}

/** Sets (or clears) the signed-in user and the CSRF token that goes with the session. */
export function setCurrentUser(value: Me | undefined): void {
  me = value;
  setCsrfToken(value?.csrfToken);
}

/** Asks the server who is signed in; undefined without a session. */
export async function loadCurrentUser(): Promise<Me | undefined> {
  try {
    setCurrentUser(await api<Me>('GET', '/api/auth/me'));
  } catch {
    setCurrentUser(undefined);
  }
  return me;
}

const REVIEWERS = ['classTeacher', 'teacher', 'committee', 'schoolAdmin', 'principal'];
const DESIGNERS = ['schoolAdmin', 'principal', 'countyBureau', 'cityBureau'];
const MONITORS = ['classTeacher', 'schoolAdmin', 'principal', 'countyBureau', 'cityBureau'];
const BUREAUS = ['countyBureau', 'cityBureau'];

function holds(roles: readonly string[], of: readonly string[]): boolean {
  return roles.some((r) => of.includes(r));
}

/** What the signed-in person's roles open to them, for the home page and the navigation. */
export function capabilities(user: Me | undefined = me) {
  const roles = user?.roles ?? [];
  return {
    isParent: roles.includes('parent'),
    isReviewer: holds(roles, REVIEWERS) || holds(roles, BUREAUS),
    isClassTeacher: roles.includes('classTeacher'),
    isDesigner: holds(roles, DESIGNERS),
    isMonitor: holds(roles, MONITORS),
    isBureau: holds(roles, BUREAUS),
  };
}
