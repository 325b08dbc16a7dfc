import { createHash, randomBytes } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { isDuplicateKey } from '../../db/models';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  UserError,
  type RuleCitation,
} from '../../lib/errors';
import { t } from '../../lib/i18n';
import { minutesOfDay, shanghaiDate } from '../../rules/dates';
import { checkStaffMember } from '../../rules/staffing';
import type { AuditLog } from '../audit';
import type { OrgModels, SchoolDoc } from '../org/org.model';
import { type AttendanceService, onlySchoolOf } from '../safety/attendance.service';
import type { ProcessPort } from '../safety/engine-port';
import type {
  BadRecordDoc,
  RegistrationDoc,
  RegistrationStatus,
  StaffEndingDoc,
  StaffEventDoc,
  StaffMemberDoc,
  StaffModels,
  StaffPersonKeyDoc,
} from './staff.model';
import type {
  BadRecordBody,
  EndMemberBody,
  ListMembersQuery,
  ListStaffQuery,
  RegisterBody,
  ServiceHoursQuery,
  StaffStepBody,
} from './staff.schema';

/** The registration process (processes/staff-registration.bpmn). */
export const STAFF_PROCESS = 'staff-registration';

/** A person's key whose registration was never stored is someone else's after this long. */
const ORPHAN_KEY_MS = 60_000;

/** How many generations of a person's key a school may go through (registrations ended). */
const MAX_KEY_GENERATIONS = 500;

/** How a member's registration ended, as the API shows it. */
export interface EndingView {
  endDate: string;
  reason: string;
  endedBy: string;
  endedAt: string;
}

/** A registration as the API shows it. */
export interface RegistrationView {
  id: string;
  schoolId: string;
  schoolFullName: string;
  staffName: string;
  gender: 'male' | 'female';
  department: string;
  mobile: string;
  idNumberMasked: string;
  isExternal: boolean;
  agreementNo?: string;
  agreementFileRef?: string;
  remunerationFen?: number;
  status: RegistrationStatus | 'rejected' | 'ended';
  refusal?: RuleCitation[];
  ending?: EndingView;
  rejectionReason?: string;
  staffId?: string;
  instanceKey?: string;
  currentSteps?: { id: string; name?: string }[];
  submittedBy: string;
  submittedAt: string;
  timeline?: { step: string; status?: string; at: string; by: string; data?: unknown }[];
}

/** A member of the service staff as the API shows it. */
export interface MemberView {
  id: string;
  schoolId: string;
  schoolFullName: string;
  name: string;
  gender: 'male' | 'female';
  department: string;
  mobile: string;
  employment: 'in-service' | 'external';
  agreementNo?: string;
  remunerationFen?: number;
  registrationId: string;
  registeredAt: string;
  status: 'active' | 'ended';
  ending?: EndingView;
  /** What the caller may do with the member: `end` while serving, for those who may register staff here. */
  actions: { end: boolean };
}

/** Teachers' service hours of a school in a month. */
export interface ServiceHours {
  schoolId: string;
  month: string;
  items: {
    teacherUserId: string;
    teacherName: string;
    sessions: number;
    minutes: number;
    hours: number;
  }[];
  totalMinutes: number;
}

/**
 * Service staff (课后服务人员): the teacher registration of Annex 2 with its process (a record
 * check that bars anyone with a bad record, SAFE-STAFF; outside professionals only by agreement,
 * FEE-EXTERNAL; the school's confirmation), the registered staff, the bureaus' bad-record list,
 * and teachers' service hours per month from the sessions they ran (the basis of allowances).
 */
export class StaffService {
  constructor(
    private readonly m: StaffModels,
    private readonly org: Pick<OrgModels, 'schools'>,
    private readonly attendance: AttendanceService,
    private readonly engine: ProcessPort,
    private readonly audit?: AuditLog,
  ) {}

  /**
   * A school registers a person (附件2) and starts the registration process. An outside
   * professional without an agreement is refused at once (FEE-EXTERNAL); the record check is
   * the process's.
   */
  async register(p: Principal, body: RegisterBody): Promise<RegistrationView> {
    const school = await this.schoolOf(p, body.schoolId);
    const external = checkStaffMember({
      staffId: 'new',
      name: body.staffName,
      employment: body.isExternal ? 'external' : 'in-service',
      recordCheck: 'clear',
      ...(body.agreementNo ? { agreement: { reference: body.agreementNo } } : {}),
    }).warnings.filter((w) => w.rule === 'FEE-EXTERNAL');
    if (external.length) throw new RuleViolationError(external);
    const now = new Date();
    const doc: RegistrationDoc = {
      _id: `reg-${randomBytes(9).toString('base64url')}`,
      cityId: school.cityId,
      countyId: school.countyId,
      schoolId: school._id,
      schoolFullName: body.schoolFullName,
      staffName: body.staffName,
      gender: body.gender,
      department: body.department,
      mobile: body.mobile,
      idNumber: body.idNumber.toUpperCase(),
      isExternal: body.isExternal,
      ...(body.isExternal && body.agreementNo ? { agreementNo: body.agreementNo } : {}),
      ...(body.isExternal && body.agreementFileRef
        ? { agreementFileRef: body.agreementFileRef }
        : {}),
      ...(body.isExternal && body.remunerationYuan !== undefined
        ? { remunerationFen: Math.round(body.remunerationYuan * 100) }
        : {}),
      submittedBy: p.userId,
      submittedAt: now,
      status: 'submitted',
      updatedAt: now,
    };
    if (!abilityFor(p).can('create', subject('Staff', doc)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'may not register staff here');
    const keys = await this.claimPerson(doc);
    try {
      await this.m.registrations.create(doc);
    } catch (err) {
      await this.releasePerson(doc._id, keys);
      throw err;
    }
    try {
      const { schoolId: _ignored, ...form } = body;
      doc.instanceKey = await this.engine.startProcess(STAFF_PROCESS, doc.schoolId, {
        ...form,
        idNumber: doc.idNumber,
        registrationId: doc._id,
        cityId: doc.cityId,
        countyId: doc.countyId,
        schoolId: doc.schoolId,
        submittedBy: doc.submittedBy,
      });
    } catch (err) {
      await this.m.registrations.deleteOne({ _id: doc._id });
      await this.releasePerson(doc._id, keys);
      throw err;
    }
    await this.m.registrations.updateOne(
      { _id: doc._id },
      { $set: { instanceKey: doc.instanceKey } },
    );
    await this.event(doc._id, 'submitted', undefined, p.userId, 'submitted');
    return this.view(doc, true);
  }

  /** The registrations the caller may read, newest first. */
  async list(
    p: Principal,
    q: ListStaffQuery,
  ): Promise<{ items: RegistrationView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Staff');
    if (!allowed) return { items: [], total: 0 };
    const rows = await this.m.registrations
      .find({ $and: [allowed, ...(q.schoolId ? [{ schoolId: q.schoolId }] : [])] })
      .lean<RegistrationDoc[]>();
    rows.sort((a, b) => b.submittedAt.getTime() - a.submittedAt.getTime());
    const page = rows.slice(q.offset, q.offset + q.limit);
    return { items: await Promise.all(page.map((r) => this.view(r, false))), total: rows.length };
  }

  /** One registration with its timeline; 404 for those who may not read it. */
  async get(p: Principal, id: string): Promise<RegistrationView> {
    const doc = await this.m.registrations.findById(id).lean<RegistrationDoc>();
    if (!doc || !abilityFor(p).can('read', subject('Staff', doc))) throw new NotFoundError();
    return this.view(doc, true);
  }

  /** A worker records a step of a registration (idempotent by key); a refusal sticks. */
  async recordStep(p: Principal, id: string, body: StaffStepBody): Promise<void> {
    const doc = await this.forWorker(p, id);
    const recorded = await this.event(
      doc._id,
      body.step,
      body.status,
      p.userId,
      body.key,
      body.rules ? { rules: body.rules } : undefined,
    );
    if (!recorded || body.status !== 'refused') return;
    await this.m.registrations.updateOne(
      { _id: doc._id },
      {
        $set: {
          status: 'refused',
          ...(body.rules ? { refusal: JSON.stringify(body.rules) } : {}),
          updatedAt: new Date(),
        },
      },
    );
  }

  /**
   * The record check of one person (workers): the bad-record list's entry, `clear` when the
   * person is not on it.
   */
  async recordCheck(
    p: Principal,
    idNumber: string,
  ): Promise<{ recordCheck: BadRecordDoc['status'] }> {
    const entry = await this.m.badRecords.findById(recordKey(idNumber)).lean<BadRecordDoc>();
    if (!entry || !abilityFor(p).can('read', subject('StaffRecord', entry)))
      return { recordCheck: 'clear' };
    return { recordCheck: entry.status };
  }

  /** A bureau records the outcome of a record check on its list (replacing an earlier one). */
  async recordBadRecord(p: Principal, body: BadRecordBody) {
    const ability = abilityFor(p);
    const place = p.memberships
      .filter((m) => m.role === 'countyBureau' || m.role === 'cityBureau')
      .map((m) => ({
        cityId: m.scope.cityId,
        ...(m.scope.countyId ? { countyId: m.scope.countyId } : {}),
      }))
      .find((scope) => ability.can('create', subject('StaffRecord', scope)));
    if (!place)
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'only bureaus keep the list');
    const doc: BadRecordDoc = {
      _id: recordKey(body.idNumber),
      ...place,
      name: body.name,
      idNumberMasked: maskIdNumber(body.idNumber),
      status: body.status,
      ...(body.note ? { note: body.note } : {}),
      recordedBy: p.userId,
      recordedAt: new Date(),
    };
    await this.m.badRecords.replaceOne({ _id: doc._id }, doc, { upsert: true });
    return badRecordView(doc);
  }

  /** The bad-record entries the caller may read. */
  async listBadRecords(p: Principal) {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'StaffRecord');
    if (!allowed) return { items: [], total: 0 };
    const rows = await this.m.badRecords.find(allowed).lean<BadRecordDoc[]>();
    rows.sort((a, b) => b.recordedAt.getTime() - a.recordedAt.getTime());
    return { items: rows.map(badRecordView), total: rows.length };
  }

  /**
   * The `register-staff` job (workers): the registration's person recorded as service staff.
   * The bad-record list is looked at again (SAFE-STAFF): someone listed while the school was
   * confirming is refused (422, recorded on the registration), not registered. Idempotent: the
   * member's id derives from the registration's.
   */
  async registerMember(p: Principal, registrationId: string): Promise<{ staffId: string }> {
    const reg = await this.forWorker(p, registrationId);
    const staffId = staffIdOf(reg._id);
    if (!(await this.m.members.findById(staffId).lean<StaffMemberDoc>())) {
      const { violations } = checkStaffMember({
        staffId,
        name: reg.staffName,
        employment: reg.isExternal ? 'external' : 'in-service',
        recordCheck: (await this.recordCheck(p, reg.idNumber)).recordCheck,
        ...(reg.agreementNo ? { agreement: { reference: reg.agreementNo } } : {}),
      });
      if (violations.length) {
        await this.recordStep(p, reg._id, {
          key: `register-refused:${staffId}`,
          step: 'register-staff',
          status: 'refused',
          rules: violations,
        });
        throw new RuleViolationError(violations);
      }
    }
    const member: StaffMemberDoc = {
      _id: staffId,
      cityId: reg.cityId,
      countyId: reg.countyId,
      schoolId: reg.schoolId,
      schoolFullName: reg.schoolFullName,
      name: reg.staffName,
      gender: reg.gender,
      department: reg.department,
      mobile: reg.mobile,
      employment: reg.isExternal ? 'external' : 'in-service',
      ...(reg.agreementNo ? { agreementNo: reg.agreementNo } : {}),
      ...(reg.remunerationFen !== undefined ? { remunerationFen: reg.remunerationFen } : {}),
      registrationId: reg._id,
      recordCheck: 'clear',
      registeredAt: new Date(),
    };
    if (!abilityFor(p).can('create', subject('Staff', member))) throw new NotFoundError();
    try {
      await this.m.members.create(member);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    await this.m.registrations.updateOne(
      { _id: reg._id },
      { $set: { status: 'registered', staffId, updatedAt: new Date() } },
    );
    await this.event(reg._id, 'registered', 'registered', p.userId, `registered:${staffId}`);
    return { staffId };
  }

  /**
   * The service staff the caller may read: by default those serving (whom a school may assign
   * and the staffing rules count); `ended` or `all` for the ended ones, kept for the record.
   */
  async members(
    p: Principal,
    q: ListMembersQuery,
  ): Promise<{ items: MemberView[]; total: number }> {
    const ability = abilityFor(p);
    const allowed = accessibleQuery(ability, 'read', 'Staff');
    if (!allowed) return { items: [], total: 0 };
    const filter = { $and: [allowed, ...(q.schoolId ? [{ schoolId: q.schoolId }] : [])] };
    const endings = new Map(
      (await this.m.endings.find(filter).lean<StaffEndingDoc[]>()).map((e) => [e._id, e]),
    );
    const rows = (await this.m.members.find(filter).lean<StaffMemberDoc[]>())
      // the ending is the truth: a member whose copy of it was not written yet is ended too
      .map((m) => {
        const ending = m.endedAt ? undefined : endings.get(m._id);
        return ending ? { ...m, ...endedFields(ending) } : m;
      })
      .filter((m) => q.status === 'all' || (m.endedAt ? 'ended' : 'active') === q.status);
    rows.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
    return {
      items: rows
        .slice(q.offset, q.offset + q.limit)
        .map((m) => memberView(m, !m.endedAt && ability.can('create', subject('Staff', m)))),
      total: rows.length,
    };
  }

  /**
   * A school ends a member's registration (the person no longer serves) with a reason and the
   * last day served: who may register staff at the school may end it (403 for a reader who may
   * not, 404 for anyone else). The member is kept and shown as ended; they are no longer listed
   * among the serving staff, and the same person may be registered again. The ending is
   * decided by inserting it (`_id` = the member's id): of two at once one wins, the other is
   * told it ended already (409). Written to the audit log.
   */
  async endMember(p: Principal, staffId: string, body: EndMemberBody): Promise<MemberView> {
    const member = await this.m.members.findById(staffId).lean<StaffMemberDoc>();
    const ability = abilityFor(p);
    if (!member || !ability.can('read', subject('Staff', member))) throw new NotFoundError();
    if (!ability.can('create', subject('Staff', member)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'may not end staff here');
    const now = new Date();
    const registeredOn = shanghaiDate(new Date(member.registeredAt));
    if (body.endDate < registeredOn || body.endDate > shanghaiDate(now)) {
      const message = t('staff.end_date_out_of_range', {
        from: registeredOn,
        to: shanghaiDate(now),
      });
      throw new UserError(422, 'STAFF_END_DATE', 'error.validation', message, {
        fields: [{ path: 'endDate', message }],
      });
    }
    const ending: StaffEndingDoc = {
      _id: member._id,
      registrationId: member.registrationId,
      cityId: member.cityId,
      countyId: member.countyId,
      schoolId: member.schoolId,
      endDate: body.endDate,
      reason: body.reason,
      endedBy: p.userId,
      endedAt: now,
    };
    try {
      await this.m.endings.create(ending);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // ended before: the ending stored is the truth; the member shows it (again)
      const earlier = await this.m.endings.findById(member._id).lean<StaffEndingDoc>();
      if (earlier) await this.markEnded(earlier);
      throw new ConflictError(t('staff.already_ended'), 'STAFF_ALREADY_ENDED');
    }
    await this.markEnded(ending);
    await this.event(member.registrationId, 'ended', undefined, p.userId, `ended:${member._id}`, {
      endDate: body.endDate,
      reason: body.reason,
    });
    await this.audit?.record({
      actor: { userId: p.userId, displayName: p.displayName },
      action: 'staff.end',
      place: {
        level: 'school',
        key: `school.${member.schoolId}`,
        cityId: member.cityId,
        countyId: member.countyId,
        schoolId: member.schoolId,
      },
      target: { type: 'StaffMember', id: member._id },
      summary: t('audit.summary.staff.end', {
        place: member.schoolFullName,
        name: member.name,
        endDate: body.endDate,
        reason: body.reason,
      }),
      details: {
        registrationId: member.registrationId,
        endDate: body.endDate,
        reason: body.reason,
      },
    });
    return memberView({ ...member, ...endedFields(ending) }, false);
  }

  /**
   * Teachers' service hours in a month: the sessions of the school each teacher ran (opened
   * the attendance of), at the filed plan's start and end times. The basis of allowances
   * (绩效); the school's admin and principal and the bureaus read them.
   */
  async serviceHours(p: Principal, q: ServiceHoursQuery): Promise<ServiceHours> {
    const school = await this.schoolOf(p, q.schoolId);
    if (
      !abilityFor(p).can(
        'read',
        subject('Staff', {
          cityId: school.cityId,
          countyId: school.countyId,
          schoolId: school._id,
        }),
      )
    )
      throw new NotFoundError();
    const sheets = await this.attendance.sheetsOfMonth(school._id, q.month);
    const byTeacher = new Map<string, ServiceHours['items'][number]>();
    for (const s of sheets) {
      const minutes = Math.max(0, minutesOfDay(s.end) - minutesOfDay(s.start));
      const row = byTeacher.get(s.teacherUserId) ?? {
        teacherUserId: s.teacherUserId,
        teacherName: s.teacherName,
        sessions: 0,
        minutes: 0,
        hours: 0,
      };
      row.sessions += 1;
      row.minutes += minutes;
      row.hours = Math.round((row.minutes / 60) * 100) / 100;
      byTeacher.set(s.teacherUserId, row);
    }
    const items = [...byTeacher.values()].sort((a, b) => b.minutes - a.minutes);
    return {
      schoolId: school._id,
      month: q.month,
      items,
      totalMinutes: items.reduce((sum, i) => sum + i.minutes, 0),
    };
  }

  // helpers //////////

  /** The school named (else the caller's only one); 404 unless the caller may read it. */
  private async schoolOf(p: Principal, schoolId?: string): Promise<SchoolDoc> {
    const school = await this.org.schools.findById(schoolId ?? onlySchoolOf(p)).lean<SchoolDoc>();
    if (!school || !abilityFor(p).can('read', subject('School', school))) throw new NotFoundError();
    return school;
  }

  /**
   * Claims the person's ID number and mobile at the school for a new registration: one
   * registration of a person per school may be pending or confirmed at a time (409 naming
   * which). A key held by a refused or rejected registration, or left by a registration that
   * was never stored, is taken over.
   */
  private async claimPerson(doc: RegistrationDoc): Promise<string[]> {
    const keys = [
      {
        key: `${doc.schoolId}:id:${recordKey(doc.idNumber)}`,
        message: 'staff.duplicate_id_number',
      },
      { key: `${doc.schoolId}:mobile:${doc.mobile}`, message: 'staff.duplicate_mobile' },
    ] as const;
    const claimed: string[] = [];
    try {
      for (const { key, message } of keys) {
        claimed.push(
          await this.claimKey(key, doc._id, () => new ConflictError(t(message), 'STAFF_DUPLICATE')),
        );
      }
    } catch (err) {
      await this.releasePerson(doc._id, claimed);
      throw err;
    }
    return claimed;
  }

  /**
   * Claims the first free generation of a person's key (`base`, `base#1`, …) and answers its
   * id. Each generation is decided by one insert; a generation whose registration is no longer
   * pending or confirmed is passed over, never deleted or overwritten, so two registrations
   * after the same ending cannot both take it.
   */
  private async claimKey(
    base: string,
    registrationId: string,
    taken: () => Error,
  ): Promise<string> {
    let gen = 0;
    for (
      let attempt = 0;
      attempt < MAX_KEY_GENERATIONS + 3 && gen < MAX_KEY_GENERATIONS;
      attempt++
    ) {
      const key = gen === 0 ? base : `${base}#${gen}`;
      try {
        await this.m.personKeys.create({ _id: key, registrationId, createdAt: new Date() });
        return key;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const held = await this.m.personKeys.findById(key).lean<StaffPersonKeyDoc>();
      // released by a registration that failed to start: the same generation again
      if (!held) continue;
      if (await this.holds(held)) throw taken();
      gen += 1;
    }
    throw taken();
  }

  /** Whether a key's registration is still pending (its process running) or confirmed and not ended. */
  private async holds(held: StaffPersonKeyDoc): Promise<boolean> {
    const reg = await this.m.registrations.findById(held.registrationId).lean<RegistrationDoc>();
    if (!reg) return Date.now() - held.createdAt.getTime() < ORPHAN_KEY_MS;
    if (await this.m.endings.exists({ _id: staffIdOf(reg._id) })) return false;
    if (reg.status === 'registered') return true;
    if (reg.status === 'refused') return false;
    // submitted: pending while its process runs (or is being started); the school's "no" ends it
    if (!reg.instanceKey) return Date.now() - new Date(reg.submittedAt).getTime() < ORPHAN_KEY_MS;
    return (await this.engine.snapshot(reg.instanceKey))?.state === 'ACTIVE';
  }

  /** Copies an ending onto its member (the same fields from the same truth, however often). */
  private async markEnded(ending: StaffEndingDoc): Promise<void> {
    await this.m.members.updateOne({ _id: ending._id }, { $set: endedFields(ending) });
  }

  private async releasePerson(registrationId: string, keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.m.personKeys.deleteOne({ _id: key, registrationId })));
  }

  private async forWorker(p: Principal, id: string): Promise<RegistrationDoc> {
    const doc = await this.m.registrations.findById(id).lean<RegistrationDoc>();
    if (!doc || !abilityFor(p).can('update', subject('Staff', doc))) throw new NotFoundError();
    return doc;
  }

  /** Records an event once per key; false when it was recorded before. */
  private async event(
    registrationId: string,
    step: string,
    status: RegistrationStatus | undefined,
    by: string,
    key: string,
    data?: object,
  ): Promise<boolean> {
    try {
      await this.m.events.create({
        _id: `${registrationId}:${key}`,
        registrationId,
        step,
        ...(status ? { status } : {}),
        at: new Date(),
        by,
        ...(data ? { data: JSON.stringify(data) } : {}),
      } satisfies StaffEventDoc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  private async view(r: RegistrationDoc, detail: boolean): Promise<RegistrationView> {
    const snap = r.instanceKey ? await this.engine.snapshot(r.instanceKey) : undefined;
    // the school's "no" leaves the registration submitted and ends its process
    const rejected = r.status === 'submitted' && snap !== undefined && snap.state !== 'ACTIVE';
    const reason = snap?.variables.confirmationReason;
    const ending = r.staffId
      ? await this.m.endings.findById(r.staffId).lean<StaffEndingDoc>()
      : null;
    const view: RegistrationView = {
      id: r._id,
      schoolId: r.schoolId,
      schoolFullName: r.schoolFullName,
      staffName: r.staffName,
      gender: r.gender,
      department: r.department,
      mobile: r.mobile,
      idNumberMasked: maskIdNumber(r.idNumber),
      isExternal: r.isExternal,
      ...(r.agreementNo ? { agreementNo: r.agreementNo } : {}),
      ...(r.agreementFileRef ? { agreementFileRef: r.agreementFileRef } : {}),
      ...(r.remunerationFen !== undefined ? { remunerationFen: r.remunerationFen } : {}),
      status: ending ? 'ended' : rejected ? 'rejected' : r.status,
      ...(r.refusal ? { refusal: JSON.parse(r.refusal) as RuleCitation[] } : {}),
      ...(ending ? { ending: endingView(ending) } : {}),
      ...(rejected && typeof reason === 'string' ? { rejectionReason: reason } : {}),
      ...(r.staffId ? { staffId: r.staffId } : {}),
      ...(r.instanceKey ? { instanceKey: r.instanceKey } : {}),
      ...(snap?.state === 'ACTIVE' ? { currentSteps: snap.steps } : {}),
      submittedBy: r.submittedBy,
      submittedAt: new Date(r.submittedAt).toISOString(),
    };
    if (detail) {
      const events = await this.m.events
        .find({ registrationId: r._id })
        .sort({ at: 1 })
        .lean<StaffEventDoc[]>();
      view.timeline = events.map((e) => ({
        step: e.step,
        ...(e.status ? { status: e.status } : {}),
        at: e.at.toISOString(),
        by: e.by,
        ...(e.data ? { data: JSON.parse(e.data) as unknown } : {}),
      }));
    }
    return view;
  }
}

/** The id of the member a registration records: derived, so the `register-staff` job is idempotent. */
export function staffIdOf(registrationId: string): string {
  return `staff-${registrationId.replace(/^reg-/, '')}`;
}

/** The bad-record list's key of an ID number: SHA-256 of its upper-cased form. */
export function recordKey(idNumber: string): string {
  return createHash('sha256').update(idNumber.trim().toUpperCase()).digest('hex');
}

/** `411102********701X`: the region and the last four digits. */
export function maskIdNumber(idNumber: string): string {
  return `${idNumber.slice(0, 6)}${'*'.repeat(Math.max(0, idNumber.length - 10))}${idNumber.slice(-4)}`;
}

function badRecordView(d: BadRecordDoc) {
  return {
    id: d._id,
    name: d.name,
    idNumberMasked: d.idNumberMasked,
    status: d.status,
    ...(d.note ? { note: d.note } : {}),
    recordedAt: new Date(d.recordedAt).toISOString(),
  };
}

function memberView(m: StaffMemberDoc, mayEnd: boolean): MemberView {
  return {
    id: m._id,
    schoolId: m.schoolId,
    schoolFullName: m.schoolFullName,
    name: m.name,
    gender: m.gender,
    department: m.department,
    mobile: m.mobile,
    employment: m.employment,
    ...(m.agreementNo ? { agreementNo: m.agreementNo } : {}),
    ...(m.remunerationFen !== undefined ? { remunerationFen: m.remunerationFen } : {}),
    registrationId: m.registrationId,
    registeredAt: new Date(m.registeredAt).toISOString(),
    status: m.endedAt ? 'ended' : 'active',
    ...(m.endedAt && m.endDate && m.endReason && m.endedBy
      ? {
          ending: {
            endDate: m.endDate,
            reason: m.endReason,
            endedBy: m.endedBy,
            endedAt: new Date(m.endedAt).toISOString(),
          },
        }
      : {}),
    actions: { end: mayEnd },
  };
}

/** A member's fields that show its ending. */
function endedFields(
  e: StaffEndingDoc,
): Pick<StaffMemberDoc, 'endedAt' | 'endDate' | 'endReason' | 'endedBy'> {
  return { endedAt: e.endedAt, endDate: e.endDate, endReason: e.reason, endedBy: e.endedBy };
}

function endingView(e: StaffEndingDoc): EndingView {
  return {
    endDate: e.endDate,
    reason: e.reason,
    endedBy: e.endedBy,
    endedAt: new Date(e.endedAt).toISOString(),
  };
}
