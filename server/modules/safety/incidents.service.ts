import { randomBytes } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import type { Vars } from '../../engine/runtime/state';
import {
  NotFoundError,
  TransientError,
  UserError,
  ValidationError,
  type RuleCitation,
} from '../../lib/errors';
import { t } from '../../lib/i18n';
import { shanghaiDate } from '../../rules/dates';
import type { OrgModels, StudentDoc } from '../org/org.model';
import { type AttendanceService, guardianIds } from './attendance.service';
import type { ProcessPort } from './engine-port';
import type { IncidentDoc, SafetyModels, Severity } from './safety.model';
import type { AttachAttendanceBody, ListIncidentsQuery, ReportIncidentBody } from './safety.schema';

/** The incident process (processes/safety-incident.bpmn). */
export const INCIDENT_PROCESS = 'safety-incident';

/** The review results of the incident's user tasks that staff readers see. */
const REVIEW_VARIABLES = [
  'dutyTeacherAccount',
  'measuresTaken',
  'guardiansContacted',
  'safetyFindings',
  'hazardsFixed',
  'principalConclusion',
  'responsibility',
  'claimRequired',
  'countyOpinion',
  'followUpRequired',
  'followUpActions',
  'claimOutcome',
] as const;

/** How far ahead of the server's clock a report may date an incident (clock skew). */
const FUTURE_TOLERANCE_MS = 10 * 60_000;

/** How long after a report the attachment waits for its instance key (see attachAttendance). */
const REPORT_SETTLE_MS = 60_000;

/** An incident as the API shows it. */
export interface IncidentView {
  id: string;
  schoolId: string;
  classId?: string;
  occurredAt: string;
  location: string;
  sessionId?: string;
  involvedStudents: IncidentDoc['involvedStudents'];
  description: string;
  injured: boolean;
  injuries?: string;
  severity: Severity;
  reportedSeverity: Severity;
  firstAid?: string;
  reporterPhone?: string;
  reportedBy: string;
  reportedAt: string;
  status: 'open' | 'closed' | 'cancelled';
  instanceKey?: string;
  currentSteps?: { id: string; name?: string }[];
  escalated?: boolean;
  reviews?: Record<string, unknown>;
  attendance?: {
    recordIds: string[];
    handoverMissing: boolean;
    missing: { studentId: string; name: string; sessionId: string }[];
    rules: RuleCitation[];
    attachedAt: string;
  };
}

/**
 * Safety incidents (安全事故): a teacher or the school reports one, which starts the school's
 * `safety-incident` process (duty teacher → safety officer → principal, the county for serious
 * ones); its `attach-attendance` job attaches the session's attendance and flags missing
 * hand-overs (SAFE-ATTEND). Staff of the place read incidents in full; the guardians of the
 * children involved read their own children's part.
 */
export class IncidentService {
  constructor(
    private readonly m: SafetyModels,
    private readonly org: Pick<OrgModels, 'students'>,
    private readonly attendance: AttendanceService,
    private readonly engine: ProcessPort,
    private readonly options: { stepDeadline?: string; now?: () => Date } = {},
  ) {}

  /** Reports an incident (the start form `incident-report`) and starts its process. */
  async report(p: Principal, body: ReportIncidentBody): Promise<IncidentView> {
    const now = this.options.now?.() ?? new Date();
    if (Date.parse(body.occurredAt) > now.getTime() + FUTURE_TOLERANCE_MS)
      throw new ValidationError([{ path: 'occurredAt', message: t('safety.future_incident') }]);
    const school = await this.attendance.schoolOf(p, body.schoolId);
    if (body.sessionId)
      await this.attendance.session(
        school._id,
        body.sessionId,
        shanghaiDate(new Date(body.occurredAt)),
      );
    const ids = [...new Set(body.involvedStudentIds)];
    const students = await this.org.students.find({ _id: { $in: ids } }).lean<StudentDoc[]>();
    if (students.length !== ids.length || students.some((s) => s.schoolId !== school._id))
      throw new NotFoundError('an involved student is not of the school');
    const classes = [...new Set(students.map((s) => s.classId))].sort();
    const doc: IncidentDoc = {
      _id: `inc-${randomBytes(9).toString('base64url')}`,
      cityId: school.cityId,
      countyId: school.countyId,
      schoolId: school._id,
      ...(classes.length === 1 ? { classId: classes[0] } : {}),
      classIds: classes,
      guardians: [...new Set(students.flatMap(guardianIds))].map((userId) => ({ userId })),
      involvedStudents: ids.map((sid) => {
        const s = students.find((x) => x._id === sid)!;
        return { studentId: s._id, name: s.name, classId: s.classId };
      }),
      occurredAt: body.occurredAt,
      location: body.location,
      ...(body.sessionId ? { sessionId: body.sessionId } : {}),
      description: body.description,
      injured: body.injured,
      ...(body.injured && body.injuries ? { injuries: body.injuries } : {}),
      severity: body.severity,
      ...(body.firstAid ? { firstAid: body.firstAid } : {}),
      reporterPhone: body.reporterPhone,
      reportedBy: p.userId,
      reportedAt: now,
    };
    if (!abilityFor(p).can('create', subject('Incident', doc)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'may not report incidents here');
    await this.m.incidents.create(doc);
    try {
      doc.instanceKey = await this.engine.startProcess(
        INCIDENT_PROCESS,
        doc.schoolId,
        this.startVariables(doc),
      );
    } catch (err) {
      await this.m.incidents.deleteOne({ _id: doc._id });
      throw err;
    }
    await this.m.incidents.updateOne({ _id: doc._id }, { $set: { instanceKey: doc.instanceKey } });
    return this.view(p, doc);
  }

  /** The incidents the caller may read, newest first. */
  async list(
    p: Principal,
    q: ListIncidentsQuery,
  ): Promise<{ items: IncidentView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Incident');
    if (!allowed) return { items: [], total: 0 };
    const filter = {
      $and: [
        allowed,
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.severity ? [{ severity: q.severity }] : []),
      ],
    };
    const rows = await this.m.incidents.find(filter).lean<IncidentDoc[]>();
    rows.sort((a, b) => b.reportedAt.getTime() - a.reportedAt.getTime());
    const page = rows.slice(q.offset, q.offset + q.limit);
    return { items: await Promise.all(page.map((d) => this.view(p, d))), total: rows.length };
  }

  /** One incident; 404 for those who may not read it. */
  async get(p: Principal, id: string): Promise<IncidentView> {
    const doc = await this.m.incidents.findById(id).lean<IncidentDoc>();
    if (!doc || !abilityFor(p).can('read', subject('Incident', doc))) throw new NotFoundError();
    return this.view(p, doc);
  }

  /**
   * The `attach-attendance` job (workers): the attendance of the incident's session attached,
   * present children without a hand-over flagged. Idempotent: attaching again finds the same
   * records (and any hand-over recorded since).
   */
  async attachAttendance(
    p: Principal,
    id: string,
    body: AttachAttendanceBody,
  ): Promise<{
    attendanceRecordIds: string[];
    handoverMissing: boolean;
    missing: { studentId: string; name: string; sessionId: string }[];
    rules: RuleCitation[];
  }> {
    const doc = await this.m.incidents.findById(id).lean<IncidentDoc>();
    if (!doc || !abilityFor(p).can('update', subject('Incident', doc))) throw new NotFoundError();
    // the report's last write, the instance key, lands just after the process starts, and this
    // job is the process's first step: FerretDB 1.24 rewrites the whole incident on update, so
    // two writes at once could lose the key or the attendance. Until the key is there (a minute
    // at most: after that the report is taken to have died in between) the worker retries.
    if (
      !doc.instanceKey &&
      Math.abs(Date.now() - new Date(doc.reportedAt).getTime()) < REPORT_SETTLE_MS
    )
      throw new TransientError(
        'INCIDENT_REPORT_PENDING',
        'error.transient',
        'instance key not yet written',
      );
    const att = await this.attendance.sessionAttendance(
      doc.schoolId,
      body.occurredAt ?? doc.occurredAt,
      body.sessionId ?? doc.sessionId,
    );
    const handoverMissing = att.missing.length > 0;
    await this.m.incidents.updateOne(
      { _id: id },
      {
        $set: {
          attendance: {
            recordIds: att.recordIds,
            handoverMissing,
            missing: att.missing,
            rules: JSON.stringify(att.rules),
            attachedAt: new Date(),
          },
        },
      },
    );
    return {
      attendanceRecordIds: att.recordIds,
      handoverMissing,
      missing: att.missing,
      rules: att.rules,
    };
  }

  /**
   * The user ids of the guardians (with an account) of students, for the `notify` job's
   * `notifyStudents` (workers only; students of the worker's city).
   */
  async guardiansOf(p: Principal, studentIds: string[]): Promise<{ userIds: string[] }> {
    if (!p.roles.includes('worker'))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'only job workers ask for this');
    const ability = abilityFor(p);
    const students = await this.org.students
      .find({ _id: { $in: [...new Set(studentIds)] } })
      .lean<StudentDoc[]>();
    const userIds = students
      .filter((s) => ability.can('read', subject('Student', s)))
      .flatMap(guardianIds);
    return { userIds: [...new Set(userIds)] };
  }

  // helpers //////////

  private startVariables(doc: IncidentDoc): Vars {
    return {
      incidentId: doc._id,
      cityId: doc.cityId,
      countyId: doc.countyId,
      schoolId: doc.schoolId,
      ...(doc.classId ? { classId: doc.classId } : {}),
      reportedBy: doc.reportedBy,
      occurredAt: doc.occurredAt,
      location: doc.location,
      ...(doc.sessionId ? { sessionId: doc.sessionId } : {}),
      involvedStudentIds: doc.involvedStudents.map((s) => s.studentId),
      // the choices of the principal's form (`valuesKey: students`)
      students: doc.involvedStudents.map((s) => ({ label: s.name, value: s.studentId })),
      description: doc.description,
      injured: doc.injured,
      ...(doc.injuries ? { injuries: doc.injuries } : {}),
      severity: doc.severity,
      ...(doc.firstAid ? { firstAid: doc.firstAid } : {}),
      reporterPhone: doc.reporterPhone,
      ...(this.options.stepDeadline ? { incidentStepDeadline: this.options.stepDeadline } : {}),
    };
  }

  private async view(p: Principal, doc: IncidentDoc): Promise<IncidentView> {
    // staff rights count, not being a parent too (a teacher may be a parent elsewhere)
    const staffOf = abilityFor({
      userId: p.userId,
      memberships: p.memberships.filter((m) => m.role !== 'parent'),
    });
    const staff = staffOf.can('read', subject('Incident', doc));
    // the staff of a class (its class teacher, a teacher of the class) read the part of their
    // class's children; the school's and the bureaus' staff the whole incident
    const wholeStaff =
      staff &&
      abilityFor({
        userId: p.userId,
        memberships: p.memberships.filter((m) => m.role !== 'parent' && !m.scope.classId),
      }).can('read', subject('Incident', doc));
    const snap = doc.instanceKey ? await this.engine.snapshot(doc.instanceKey) : undefined;
    const vars = snap?.variables ?? {};
    const severity = (isSeverity(vars.severity) ? vars.severity : doc.severity) as Severity;
    const status =
      snap?.state === 'COMPLETED' ? 'closed' : snap?.state === 'TERMINATED' ? 'cancelled' : 'open';
    const involvedIds = doc.involvedStudents.map((s) => s.studentId);
    const ownClasses = new Set(
      staff
        ? p.memberships.flatMap((m) =>
            m.role !== 'parent' && m.scope.classId ? [m.scope.classId] : [],
          )
        : [],
    );
    const own = new Set(
      wholeStaff
        ? involvedIds
        : [
            ...doc.involvedStudents
              .filter((s) => ownClasses.has(s.classId))
              .map((s) => s.studentId),
            ...(await this.childrenOf(p, involvedIds)),
          ],
    );
    // free text about the injuries is not split per child: a parent or a class's staff read it
    // only when every child involved is their own (or of their class)
    const wholeIncident = wholeStaff || own.size === doc.involvedStudents.length;
    const reviews = Object.fromEntries(
      REVIEW_VARIABLES.filter((k) => vars[k] !== undefined && vars[k] !== null)
        .filter((k) => staff || k === 'principalConclusion')
        .map((k) => [k, vars[k]]),
    );
    return {
      id: doc._id,
      schoolId: doc.schoolId,
      ...(doc.classId ? { classId: doc.classId } : {}),
      occurredAt: doc.occurredAt,
      location: doc.location,
      ...(doc.sessionId ? { sessionId: doc.sessionId } : {}),
      involvedStudents: doc.involvedStudents.filter((s) => own.has(s.studentId)),
      description: doc.description,
      injured: doc.injured,
      ...(doc.injuries && wholeIncident ? { injuries: doc.injuries } : {}),
      severity,
      reportedSeverity: doc.severity,
      ...(doc.firstAid && wholeIncident ? { firstAid: doc.firstAid } : {}),
      ...(staff ? { reporterPhone: doc.reporterPhone } : {}),
      reportedBy: doc.reportedBy,
      reportedAt: new Date(doc.reportedAt).toISOString(),
      status,
      ...(doc.instanceKey ? { instanceKey: doc.instanceKey } : {}),
      ...(snap && snap.state === 'ACTIVE' ? { currentSteps: snap.steps } : {}),
      ...(vars.escalated === true ? { escalated: true } : {}),
      ...(Object.keys(reviews).length ? { reviews } : {}),
      ...(staff && doc.attendance
        ? {
            attendance: {
              recordIds: doc.attendance.recordIds,
              handoverMissing: doc.attendance.handoverMissing,
              missing: doc.attendance.missing,
              rules: JSON.parse(doc.attendance.rules) as RuleCitation[],
              attachedAt: new Date(doc.attendance.attachedAt).toISOString(),
            },
          }
        : {}),
    };
  }

  /** Which of the students are the caller's own children. */
  private async childrenOf(p: Principal, ids: string[]): Promise<string[]> {
    const students = await this.org.students.find({ _id: { $in: ids } }).lean<StudentDoc[]>();
    return students.filter((s) => guardianIds(s).includes(p.userId)).map((s) => s._id);
  }
}

function isSeverity(v: unknown): v is Severity {
  return v === 'minor' || v === 'moderate' || v === 'serious' || v === 'critical';
}
