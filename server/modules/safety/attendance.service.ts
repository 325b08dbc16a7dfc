import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { isDuplicateKey } from '../../db/models';
import { NotFoundError, UserError, type RuleCitation } from '../../lib/errors';
import { minutesOfDay, shanghaiDate } from '../../rules/dates';
import { checkAttendance } from '../../rules/safety';
import type { EnrolmentModels, PlanDoc, PlanSession } from '../enrolment/enrolment.model';
import type { OrgModels, SchoolDoc, StudentDoc } from '../org/org.model';
import type { AttendanceRecordDoc, AttendanceSheetDoc, SafetyModels } from './safety.model';
import type {
  CheckInBody,
  HandOverBody,
  ListAttendanceQuery,
  OpenHandOversQuery,
} from './safety.schema';

/** One student's attendance line as the API shows it. */
export interface AttendanceRecordView {
  id: string;
  schoolId: string;
  classId: string;
  sessionId: string;
  sessionName: string;
  date: string;
  studentId: string;
  studentName: string;
  present: boolean;
  checkedInAt: string;
  checkedInBy: string;
  handOver?: { guardianName: string; relation?: string; at: string; byUserId: string };
  handOverMissing: boolean;
}

/** A day's sheet of one session with the lines the caller may read. */
export interface AttendanceSheetView {
  id: string;
  schoolId: string;
  sessionId: string;
  sessionName: string;
  date: string;
  start: string;
  end: string;
  teacherUserId: string;
  teacherName: string;
  dutyStaffId?: string;
  records: AttendanceRecordView[];
}

/** The present children of a sheet not yet handed over. */
export interface OpenHandOvers {
  items: {
    sessionId: string;
    sessionName: string;
    date: string;
    students: { studentId: string; studentName: string; classId: string }[];
  }[];
  rules: RuleCitation[];
}

/** The attendance of a session attached to an incident, and the hand-overs missing from it. */
export interface SessionAttendance {
  recordIds: string[];
  missing: { studentId: string; name: string; sessionId: string }[];
  rules: RuleCitation[];
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/**
 * Attendance and hand-over (考勤、交接班, SAFE-ATTEND): a teacher checks the children of a
 * session in each day and hands each one over to a named guardian at a time; a present child
 * without a hand-over is flagged. Every line carries the child's place and guardians, so CASL
 * decides per line: the class teacher their class, the school's teachers and admin the school,
 * the principal reads, and a parent reads their own child's lines.
 */
export class AttendanceService {
  constructor(
    private readonly m: SafetyModels,
    private readonly org: Pick<OrgModels, 'students' | 'schools'>,
    private readonly plans: EnrolmentModels['plans'],
  ) {}

  /**
   * Checks students in (or marks them absent) for one session of one day. The first check-in
   * opens the sheet with the caller as the teacher who ran it; later ones add or correct lines.
   */
  async checkIn(p: Principal, body: CheckInBody): Promise<AttendanceSheetView> {
    const school = await this.schoolOf(p, body.schoolId);
    const session = await this.session(school._id, body.sessionId, body.date);
    const ability = abilityFor(p);
    const students = await this.studentsOf(
      school._id,
      body.students.map((s) => s.studentId),
    );
    for (const s of students) {
      if (!ability.can('create', subject('Attendance', scopeOf(s))))
        throw new UserError(403, 'FORBIDDEN', 'error.forbidden', `no attendance of ${s._id}`);
    }
    const sheet = await this.openSheet(p, school, session, body.date, body.dutyStaffId);
    const now = new Date();
    for (const line of body.students) {
      const s = students.find((x) => x._id === line.studentId)!;
      const doc: AttendanceRecordDoc = {
        _id: `${sheet._id}:${s._id}`,
        sheetId: sheet._id,
        ...scopeOf(s),
        sessionId: session.id,
        sessionName: session.name,
        date: body.date,
        studentId: s._id,
        studentName: s.name,
        guardians: guardianIds(s).map((userId) => ({ userId })),
        present: line.present,
        checkedInAt: now,
        checkedInBy: p.userId,
        updatedAt: now,
      };
      try {
        await this.m.records.create(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // FerretDB 1.24 rewrites the whole line on update, apart from its filter: a roster sent
        // again would write over a hand-over recorded meanwhile at the gate. Only a line whose
        // presence changes is written (a child handed over is present: no correction to make).
        const existing = await this.m.records.findById(doc._id, { present: 1 }).lean();
        if (existing?.present === line.present) continue;
        await this.m.records.updateOne(
          { _id: doc._id },
          { $set: { present: line.present, updatedAt: now } },
        );
      }
    }
    return this.sheetView(p, sheet);
  }

  /** Hands a present child over to a named guardian at a time (SAFE-ATTEND). */
  async handOver(p: Principal, body: HandOverBody): Promise<AttendanceRecordView> {
    const school = await this.schoolOf(p, body.schoolId);
    const id = `${sheetId(school._id, body.sessionId, body.date)}:${body.studentId}`;
    const rec = await this.m.records.findById(id).lean<AttendanceRecordDoc>();
    const ability = abilityFor(p);
    if (!rec) {
      // a child the caller may not see is not revealed; one they may see was not checked in
      const [student] = await this.org.students.find({ _id: body.studentId }).lean<StudentDoc[]>();
      if (!student || !ability.can('read', subject('Attendance', scopeOf(student))))
        throw new NotFoundError();
      throw new UserError(409, 'NOT_CHECKED_IN', 'safety.not_checked_in');
    }
    if (!ability.can('update', subject('Attendance', rec))) {
      if (ability.can('read', subject('Attendance', rec)))
        throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
      throw new NotFoundError();
    }
    if (!rec.present) throw new UserError(409, 'ABSENT', 'safety.absent');
    const now = new Date();
    const handOver = {
      guardianName: body.guardianName,
      ...(body.relation ? { relation: body.relation } : {}),
      at: body.at,
      byUserId: p.userId,
      recordedAt: now,
    };
    await this.m.records.updateOne({ _id: id }, { $set: { handOver, updatedAt: now } });
    return recordView({ ...rec, handOver, updatedAt: now });
  }

  /** The attendance lines the caller may read, newest day first. */
  async list(
    p: Principal,
    q: ListAttendanceQuery,
  ): Promise<{ items: AttendanceRecordView[]; total: number }> {
    const rows = await this.readable(p, q);
    return { items: rows.slice(q.offset, q.offset + q.limit).map(recordView), total: rows.length };
  }

  /**
   * The present children not handed over yet, per sheet of the day, and the rules the sheets
   * break (SAFE-ATTEND; VENUE-RECORDS when no duty person is named).
   */
  async openHandOvers(p: Principal, q: OpenHandOversQuery): Promise<OpenHandOvers> {
    const rows = await this.readable(p, q);
    const bySheet = groupBy(rows, (r) => r.sheetId);
    const sheets = await this.m.sheets
      .find({ _id: { $in: [...bySheet.keys()] } })
      .lean<AttendanceSheetDoc[]>();
    const items: OpenHandOvers['items'] = [];
    const rules: RuleCitation[] = [];
    for (const [id, lines] of bySheet) {
      const open = lines.filter(isHandOverMissing);
      const sheet = sheets.find((s) => s._id === id);
      rules.push(...checkSheet(sheet, lines).violations);
      if (open.length === 0) continue;
      items.push({
        sessionId: lines[0]!.sessionId,
        sessionName: lines[0]!.sessionName,
        date: lines[0]!.date,
        students: open.map((r) => ({
          studentId: r.studentId,
          studentName: r.studentName,
          classId: r.classId,
        })),
      });
    }
    return { items, rules };
  }

  /**
   * The attendance of the session an incident happened in (SAFE-ATTEND), for the
   * `attach-attendance` job: the session named, else the sessions of that day running at the
   * time it happened, else every session of that day.
   */
  async sessionAttendance(
    schoolId: string,
    occurredAt: string,
    sessionId?: string,
  ): Promise<SessionAttendance> {
    const instant = new Date(occurredAt);
    const date = shanghaiDate(instant);
    const sheets = (await this.m.sheets.find({ schoolId, date }).lean<AttendanceSheetDoc[]>())
      .filter((s) => !sessionId || s.sessionId === sessionId)
      .sort((a, b) => (a._id < b._id ? -1 : 1));
    const minute = minutesOfDay(
      new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(11, 16),
    );
    const running = sheets.filter(
      (s) => minutesOfDay(s.start) <= minute && minute <= minutesOfDay(s.end),
    );
    const chosen = sessionId || running.length === 0 ? sheets : running;
    const recordIds: string[] = [];
    const missing: SessionAttendance['missing'] = [];
    const rules: RuleCitation[] = [];
    for (const sheet of chosen) {
      const lines = await this.m.records
        .find({ sheetId: sheet._id })
        .sort({ studentName: 1 })
        .lean<AttendanceRecordDoc[]>();
      recordIds.push(...lines.map((r) => r._id));
      missing.push(
        ...lines
          .filter(isHandOverMissing)
          .map((r) => ({ studentId: r.studentId, name: r.studentName, sessionId: r.sessionId })),
      );
      rules.push(...checkSheet(sheet, lines).violations);
    }
    return { recordIds, missing, rules };
  }

  /** The sheets a school ran in a month ('YYYY-MM'), for teachers' service hours. */
  async sheetsOfMonth(schoolId: string, month: string): Promise<AttendanceSheetDoc[]> {
    const sheets = await this.m.sheets.find({ schoolId }).lean<AttendanceSheetDoc[]>();
    return sheets.filter((s) => s.date.startsWith(`${month}-`));
  }

  /**
   * The school a request is about: the one named, else the caller's only school. 404 when it
   * does not exist or the caller may not read it (a school out of reach is not confirmed).
   */
  async schoolOf(p: Principal, schoolId?: string): Promise<SchoolDoc> {
    const id = schoolId ?? onlySchoolOf(p);
    const school = await this.org.schools.findById(id).lean<SchoolDoc>();
    if (!school || !abilityFor(p).can('read', subject('School', school))) throw new NotFoundError();
    return school;
  }

  /** A session of the school's filed plan whose term includes `date`; 400 when there is none. */
  async session(schoolId: string, sessionId: string, date: string): Promise<PlanSession> {
    const plans = await this.plans.find({ schoolId }).lean<PlanDoc[]>();
    const session = plans
      .filter(
        (pl) =>
          (pl.status === 'filed' || pl.status === 'published') &&
          pl.termStart <= date &&
          date <= pl.termEnd,
      )
      .flatMap((pl) => pl.sessions)
      .find((s) => s.id === sessionId);
    if (!session)
      throw new UserError(
        400,
        'UNKNOWN_SESSION',
        'safety.unknown_session',
        `no session ${sessionId} in a filed plan of the school on ${date}`,
      );
    return session;
  }

  // helpers //////////

  private async readable(
    p: Principal,
    q: { schoolId?: string; sessionId?: string; date?: string; studentId?: string },
  ): Promise<AttendanceRecordDoc[]> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Attendance');
    if (!allowed) return [];
    const filter = {
      $and: [
        allowed,
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.sessionId ? [{ sessionId: q.sessionId }] : []),
        ...(q.date ? [{ date: q.date }] : []),
        ...(q.studentId ? [{ studentId: q.studentId }] : []),
      ],
    };
    const rows = await this.m.records.find(filter).lean<AttendanceRecordDoc[]>();
    return rows.sort(
      (a, b) =>
        b.date.localeCompare(a.date) ||
        a.sessionId.localeCompare(b.sessionId) ||
        a.studentName.localeCompare(b.studentName, 'zh-CN'),
    );
  }

  private async studentsOf(schoolId: string, ids: string[]): Promise<StudentDoc[]> {
    const unique = [...new Set(ids)];
    const students = await this.org.students.find({ _id: { $in: unique } }).lean<StudentDoc[]>();
    const missing = unique.filter((id) => !students.some((s) => s._id === id));
    if (missing.length || students.some((s) => s.schoolId !== schoolId))
      throw new NotFoundError(`unknown students: ${missing.join(', ') || 'of another school'}`);
    return students;
  }

  private async openSheet(
    p: Principal,
    school: SchoolDoc,
    session: PlanSession,
    date: string,
    dutyStaffId: string | undefined,
  ): Promise<AttendanceSheetDoc> {
    const doc: AttendanceSheetDoc = {
      _id: sheetId(school._id, session.id, date),
      cityId: school.cityId,
      countyId: school.countyId,
      schoolId: school._id,
      sessionId: session.id,
      sessionName: session.name,
      date,
      start: session.start,
      end: session.end,
      teacherUserId: p.userId,
      teacherName: p.displayName,
      ...(dutyStaffId ? { dutyStaffId } : {}),
      openedAt: new Date(),
    };
    try {
      await this.m.sheets.create(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const existing = (await this.m.sheets.findById(doc._id).lean<AttendanceSheetDoc>())!;
    if (dutyStaffId && existing.dutyStaffId !== dutyStaffId) {
      await this.m.sheets.updateOne({ _id: doc._id }, { $set: { dutyStaffId } });
      return { ...existing, dutyStaffId };
    }
    return existing;
  }

  private async sheetView(p: Principal, sheet: AttendanceSheetDoc): Promise<AttendanceSheetView> {
    const rows = await this.readable(p, {
      schoolId: sheet.schoolId,
      sessionId: sheet.sessionId,
      date: sheet.date,
    });
    return {
      id: sheet._id,
      schoolId: sheet.schoolId,
      sessionId: sheet.sessionId,
      sessionName: sheet.sessionName,
      date: sheet.date,
      start: sheet.start,
      end: sheet.end,
      teacherUserId: sheet.teacherUserId,
      teacherName: sheet.teacherName,
      ...(sheet.dutyStaffId ? { dutyStaffId: sheet.dutyStaffId } : {}),
      records: rows.map(recordView),
    };
  }
}

/** The id of a day's sheet of a session. */
export function sheetId(schoolId: string, sessionId: string, date: string): string {
  return `${schoolId}:${sessionId}:${date}`;
}

/** The caller's only school; 400 when they serve none or several (then `schoolId` is needed). */
export function onlySchoolOf(p: Principal): string {
  const schools = [
    ...new Set(p.memberships.flatMap((m) => (m.scope.schoolId ? [m.scope.schoolId] : []))),
  ];
  if (schools.length !== 1) throw new UserError(400, 'SCHOOL_REQUIRED', 'safety.school_required');
  return schools[0]!;
}

/** The ids of a student's guardians with an account. */
export function guardianIds(s: Pick<StudentDoc, 'guardians'>): string[] {
  return (s.guardians ?? []).flatMap((g) => (g.userId ? [g.userId] : []));
}

function scopeOf(s: StudentDoc) {
  return {
    cityId: s.cityId,
    countyId: s.countyId,
    schoolId: s.schoolId,
    gradeId: s.gradeId,
    classId: s.classId,
  };
}

function isHandOverMissing(r: AttendanceRecordDoc): boolean {
  return r.present && !r.handOver;
}

/** The rule book's check of one sheet (SAFE-ATTEND, VENUE-RECORDS). */
function checkSheet(sheet: AttendanceSheetDoc | undefined, lines: AttendanceRecordDoc[]) {
  return checkAttendance({
    sessionName: lines[0]?.sessionName ?? sheet?.sessionName ?? '',
    date: lines[0]?.date ?? sheet?.date ?? '',
    ...(sheet?.dutyStaffId ? { dutyStaffId: sheet.dutyStaffId } : {}),
    students: lines.map((r) => ({
      studentId: r.studentId,
      name: r.studentName,
      present: r.present,
      ...(r.handOver
        ? {
            handOver: {
              to: 'guardian' as const,
              guardianName: r.handOver.guardianName,
              at: r.handOver.at,
              byStaffId: r.handOver.byUserId,
            },
          }
        : {}),
    })),
  });
}

function recordView(r: AttendanceRecordDoc): AttendanceRecordView {
  return {
    id: r._id,
    schoolId: r.schoolId,
    classId: r.classId,
    sessionId: r.sessionId,
    sessionName: r.sessionName,
    date: r.date,
    studentId: r.studentId,
    studentName: r.studentName,
    present: r.present,
    checkedInAt: new Date(r.checkedInAt).toISOString(),
    checkedInBy: r.checkedInBy,
    ...(r.handOver
      ? {
          handOver: {
            guardianName: r.handOver.guardianName,
            ...(r.handOver.relation ? { relation: r.handOver.relation } : {}),
            at: r.handOver.at,
            byUserId: r.handOver.byUserId,
          },
        }
      : {}),
    handOverMissing: isHandOverMissing(r),
  };
}

function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    map.set(k, [...(map.get(k) ?? []), r]);
  }
  return map;
}
