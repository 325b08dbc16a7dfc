import type { Membership } from '../../auth/roles';
import { isDuplicateKey } from '../../db/models';
import { xmlText, type XmlObject } from '../../integrations/wecom/xml';
import { ConflictError, TransientError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Guardian, GuardianRelation, OrgModels, StudentDoc } from '../org/org.model';
import type { UserService } from '../users/users.service';
import type { OpenedApp } from './apps';
import type { WecomModels } from './wecom.model';

/** What became of one callback. */
export type ContactEventOutcome = 'applied' | 'duplicate' | 'ignored';

/**
 * School contact changes (家校通讯录变更, `change_school_contact`) keep our guardians in step
 * with the school's WeCom contact book. An event only says who changed; the current record is
 * read back from WeCom (`school/user/get`), so events repeated or arriving out of order end in
 * the same state, and a repeated event (same key) is not even read twice.
 *
 * - A parent (create/update_parent, or any parent of a created/updated student): the parent's
 *   account is found by mobile (or created, as a parent of the children's classes, signing in
 *   through WeCom), linked to the parent_userid, and set as the guardian of each child; children
 *   no longer listed lose the link.
 * - delete_parent, or a parent WeCom no longer knows: the links to the children and the
 *   parent_userid are removed; the account stays.
 * - delete_student: our roster is the school's own (ELIG-ENROLLED), so nothing changes.
 *
 * A student_userid names our student by its id or by its 学籍号 (studentNo) at the app's place.
 */
export class WecomContacts {
  constructor(
    private readonly m: Pick<WecomModels, 'events' | 'leases'>,
    private readonly users: UserService,
    private readonly org: Pick<OrgModels, 'students'>,
    private readonly logger: Logger,
  ) {}

  /** Handles one decrypted callback of `app`. */
  async handle(app: OpenedApp, xml: XmlObject): Promise<ContactEventOutcome> {
    const event = xmlText(xml, 'Event') ?? xmlText(xml, 'MsgType') ?? 'unknown';
    const changeType = xmlText(xml, 'ChangeType');
    const id = xmlText(xml, 'Id');
    const newId = xmlText(xml, 'NewId');
    const key = `${app.doc._id}|${
      xmlText(xml, 'MsgId') ??
      [event, changeType, id, newId, xmlText(xml, 'CreateTime')].map((x) => x ?? '').join('|')
    }`;
    if (await this.m.events.exists({ _id: key })) return 'duplicate';

    let outcome: ContactEventOutcome = 'ignored';
    if (event === 'change_school_contact' && id) {
      switch (changeType) {
        case 'create_parent':
        case 'update_parent':
          if (newId && newId !== id) await this.removeParent(app, id);
          await this.syncParent(app, newId ?? id);
          outcome = 'applied';
          break;
        case 'delete_parent':
          await this.removeParent(app, id);
          outcome = 'applied';
          break;
        case 'create_student':
        case 'update_student': {
          const contact = await app.client.schoolContact(newId ?? id);
          if (contact?.kind === 'student')
            for (const p of contact.parents) await this.syncParent(app, p.parentUserId);
          outcome = 'applied';
          break;
        }
        default:
          outcome = 'ignored';
      }
    }
    try {
      await this.m.events.create({
        _id: key,
        appId: app.doc._id,
        event,
        ...(changeType ? { changeType } : {}),
        ...(id ? { wecomId: id } : {}),
        outcome,
        at: new Date(),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return 'duplicate';
    }
    this.logger.info({ appId: app.doc._id, event, changeType, outcome }, 'WeCom callback handled');
    return outcome;
  }

  // helpers //////////

  /** Brings one parent's account and guardian links in line with WeCom's record. */
  private async syncParent(app: OpenedApp, parentUserId: string): Promise<void> {
    const contact = await app.client.schoolContact(parentUserId);
    if (contact?.kind !== 'parent') {
      await this.removeParent(app, parentUserId);
      return;
    }
    const children: { student: StudentDoc; relation: string }[] = [];
    for (const c of contact.children) {
      const student = await this.findStudent(app, c.studentUserId);
      if (student) children.push({ student, relation: c.relation });
    }
    const identity = {
      provider: 'wecom-external' as const,
      corpId: app.doc.corpId,
      externalUserId: parentUserId,
    };
    let user =
      (await this.users.findByExternalIdentity(identity)) ??
      (contact.mobile ? await this.users.findByLogin({ phone: contact.mobile }) : null);
    if (!user) {
      if (!contact.mobile || children.length === 0) return;
      const first = children[0]!;
      user = await this.users.create({
        kind: 'parent',
        phone: contact.mobile,
        displayName: `${first.student.name}${first.relation || '家长'}`,
        memberships: parentMemberships(children.map((c) => c.student)),
      });
    }
    try {
      await this.users.linkExternalIdentity(user._id, identity);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      this.logger.warn(
        { appId: app.doc._id, userId: user._id },
        'WeCom parent id is linked to another account',
      );
      return;
    }
    const linked = new Set<string>();
    for (const { student, relation } of children) {
      linked.add(student._id);
      await this.setGuardian(student, user._id, user.displayName, contact.mobile, relation);
    }
    // an account we knew by phone becomes a parent of each class it now has a child in (a
    // parent reads the school's published plan and answers its surveys through that role)
    const wanted = parentMemberships(children.map((c) => c.student));
    await this.users.changeMemberships(user._id, `wecom:${app.doc._id}`, (u) => {
      const missing = wanted.filter(
        (w) =>
          !u.memberships.some((m) => m.role === 'parent' && m.scope.classId === w.scope.classId),
      );
      return missing.length ? [...u.memberships, ...missing] : null;
    });
    for (const student of await this.studentsOfGuardian(app, user._id))
      if (!linked.has(student._id)) await this.unsetGuardian(student, user._id);
  }

  /** Removes a parent_userid: its guardian links at the app's place and the identity. */
  private async removeParent(app: OpenedApp, parentUserId: string): Promise<void> {
    const identity = {
      provider: 'wecom-external' as const,
      corpId: app.doc.corpId,
      externalUserId: parentUserId,
    };
    const user = await this.users.findByExternalIdentity(identity);
    if (!user) return;
    for (const student of await this.studentsOfGuardian(app, user._id))
      await this.unsetGuardian(student, user._id);
    await this.users.unlinkExternalIdentity(user._id, identity);
  }

  private async findStudent(app: OpenedApp, studentUserId: string): Promise<StudentDoc | null> {
    const byId = await this.org.students.findById(studentUserId).lean<StudentDoc>();
    if (byId && isAtPlace(app, byId)) return byId;
    const place = app.doc.schoolId
      ? { schoolId: app.doc.schoolId }
      : { countyId: app.doc.countyId };
    const [byNo] = await this.org.students
      .find({ ...place, studentNo: studentUserId })
      .limit(1)
      .lean<StudentDoc[]>();
    return byNo ?? null;
  }

  private async studentsOfGuardian(app: OpenedApp, userId: string): Promise<StudentDoc[]> {
    const place = app.doc.schoolId
      ? { schoolId: app.doc.schoolId }
      : { countyId: app.doc.countyId };
    return this.org.students.find({ ...place, 'guardians.userId': userId }).lean<StudentDoc[]>();
  }

  private async setGuardian(
    student: StudentDoc,
    userId: string,
    name: string,
    phone: string | undefined,
    relation: string,
  ): Promise<void> {
    await this.changeGuardians(student._id, (guardians) => {
      if (guardians.some((g) => g.userId === userId)) return null;
      const byPhone = phone ? guardians.find((g) => g.phone === phone) : undefined;
      if (byPhone) byPhone.userId = userId;
      else if (phone) guardians.push({ userId, relation: relationOf(relation), name, phone });
      else return null;
      return guardians;
    });
  }

  private async unsetGuardian(student: StudentDoc, userId: string): Promise<void> {
    await this.changeGuardians(student._id, (guardians) =>
      guardians.some((g) => g.userId === userId)
        ? guardians.map((g) =>
            g.userId === userId ? { relation: g.relation, name: g.name, phone: g.phone } : g,
          )
        : null,
    );
  }

  /**
   * Changes a child's guardian list as `change` computes it from the list as it is now
   * (`null`: no change), one callback at a time per child. Two parents of one child arrive at
   * once when a class is imported; each wrote the whole list it had read before asking WeCom,
   * so the later one dropped the other. The lease `guardians|<studentId>` is an insert (of
   * concurrent inserts exactly one wins on FerretDB 1.24, which has no other compare-and-swap);
   * the others wait for it, and one left by a dead holder is taken over after a while. Waiting
   * too long answers 503, so WeCom posts the callback again.
   */
  private async changeGuardians(
    studentId: string,
    change: (guardians: Guardian[]) => Guardian[] | null,
  ): Promise<void> {
    const id = `guardians|${studentId}`;
    const giveUpAt = Date.now() + GUARDIAN_WAIT_MS;
    for (;;) {
      try {
        await this.m.leases.create({ _id: id, at: new Date() });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const held = await this.m.leases.findById(id).lean();
      if (held && Date.now() - new Date(held.at).getTime() > GUARDIAN_LEASE_MS) {
        await this.m.leases.deleteOne({ _id: id });
        continue;
      }
      if (Date.now() > giveUpAt)
        throw new TransientError('WECOM_BUSY', 'error.transient', `guardians of ${studentId}`);
      await new Promise((resolve) => setTimeout(resolve, GUARDIAN_POLL_MS));
    }
    try {
      const student = await this.org.students.findById(studentId).lean<StudentDoc>();
      if (!student) return;
      const guardians = change((student.guardians ?? []).map((g) => ({ ...g })));
      if (guardians) await this.org.students.updateOne({ _id: studentId }, { $set: { guardians } });
    } finally {
      await this.m.leases.deleteOne({ _id: id });
    }
  }
}

/** The parent memberships of the classes of `students`, one per class. */
function parentMemberships(students: StudentDoc[]): Membership[] {
  const byClass = new Map<string, Membership>();
  for (const s of students)
    byClass.set(s.classId, {
      role: 'parent',
      scope: {
        cityId: s.cityId,
        countyId: s.countyId,
        schoolId: s.schoolId,
        gradeId: s.gradeId,
        classId: s.classId,
      },
    });
  return [...byClass.values()];
}

/** A child's guardian lease older than this is taken to be a dead holder's. */
const GUARDIAN_LEASE_MS = 30_000;

/** How long a callback waits for another's lease on a child before WeCom is asked to retry. */
const GUARDIAN_WAIT_MS = 10_000;

const GUARDIAN_POLL_MS = 20;

function isAtPlace(app: OpenedApp, s: StudentDoc): boolean {
  return app.doc.schoolId ? s.schoolId === app.doc.schoolId : s.countyId === app.doc.countyId;
}

/** WeCom's free-text relation (爸爸, 妈妈, 爷爷, …) as our guardian relation. */
export function relationOf(text: string): GuardianRelation {
  if (/爷|外公|姥爷|祖父/.test(text)) return 'grandfather';
  if (/奶|外婆|姥姥|祖母/.test(text)) return 'grandmother';
  if (/爸|父/.test(text)) return 'father';
  if (/妈|母/.test(text)) return 'mother';
  return 'other';
}
