import { randomBytes } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { isDuplicateKey } from '../../db/models';
import {
  NotFoundError,
  RuleViolationError,
  TransientError,
  UserError,
  type RuleCitation,
} from '../../lib/errors';
import { cite } from '../../rules/citations';
import { combine } from '../../rules/decision';
import { arrangePlaces, checkEnrolment, checkVoluntary } from '../../rules/eligibility';
import type { Vars } from '../../engine/runtime/state';
import type { GradeDoc, OrgModels, StudentDoc } from '../org/org.model';
import type {
  ApplicationDoc,
  ApplicationEventDoc,
  ApplicationStatus,
  EnrolmentModels,
  PlanDoc,
  PlanSession,
} from './enrolment.model';
import type {
  ListApplicationsQuery,
  RecordStepBody,
  SubmitApplicationBody,
} from './enrolment.schema';

/** The enrolment process and its messages (processes/after-school-enrolment.bpmn). */
export const ENROLMENT_PROCESS = 'after-school-enrolment';
export const WITHDRAWN_MESSAGE = 'enrolment-withdrawn';
export const PLACE_AVAILABLE_MESSAGE = 'enrolment-place-available';

/** What the enrolment slice needs of the engine (the port it calls). */
export interface EnrolmentEnginePort {
  /** Starts a school's process (its variant, else its county's, else the city's template). */
  startProcess(bpmnProcessId: string, schoolId: string, variables: Vars): Promise<string>;
  /**
   * Publishes a message to the tenant of `instanceKey`'s instance (a school's or county's own
   * process version runs in its own engine tenant, and messages reach only their tenant).
   */
  publishMessage(msg: {
    name: string;
    correlationKey: string;
    instanceKey?: string;
    variables?: Vars;
    timeToLiveMs?: number;
  }): Promise<void>;
  /** The active steps of an instance (element ids and names), for a status display. */
  currentSteps(instanceKey: string): Promise<{ id: string; name?: string }[]>;
}

/** An application as the API shows it; personal fields only for those who need them. */
export interface ApplicationView {
  id: string;
  studentId: string;
  studentName: string;
  schoolId: string;
  classId: string;
  term: string;
  sessionId: string;
  weekdays: number[];
  midday: boolean;
  status: ApplicationStatus;
  /** The process instance (for the monitor). */
  instanceKey?: string;
  currentSteps?: { id: string; name?: string }[];
  placement?: ApplicationDoc['placement'];
  fee?: ApplicationDoc['fee'];
  refusal?: RuleCitation[];
  pickup?: ApplicationDoc['pickup'];
  insurance?: ApplicationDoc['insurance'];
  submittedAt: string;
  timeline?: { step: string; status?: string; at: string; by: string; data?: unknown }[];
}

/** The facts a job worker needs to apply the rule book to one application. */
export interface ApplicationFacts {
  application: {
    id: string;
    applicantUserId: string;
    term: string;
    submittedAt: string;
    weekdays: number[];
    midday: boolean;
    status: ApplicationStatus;
    insurance: ApplicationDoc['insurance'];
  };
  student: {
    id: string;
    schoolId: string;
    gradeLevel: number;
    enrolled: boolean;
    guardianUserIds: string[];
    priorityGroups: Record<string, boolean>;
    povertyRegistered: boolean;
    insuredUntil?: string;
  };
  plan: Omit<PlanDoc, '_id' | 'sessions' | 'updatedAt'> & { id: string };
  session: PlanSession;
  otherApplications: {
    termId: string;
    state: 'pending' | 'placed' | 'waiting' | 'withdrawn' | 'rejected';
  }[];
}

const LIVE: readonly ApplicationStatus[] = ['submitted', 'placed', 'waiting', 'enrolled'];

/** How long after a submission a worker waits for its instance key (see afterSubmission). */
const SUBMISSION_SETTLE_MS = 60_000;

/** The key of an application's withdrawal event (`<applicationId>:withdrawn`), once per application. */
const WITHDRAWAL_KEY = 'withdrawn';

/**
 * Parents' applications (ELIG-VOLUNTARY), the facts workers check them against, the places
 * of each session (ELIG-PRIORITY) and withdrawal. Checks that a parent can be told at once
 * (guardian, consent, enrolled, once per term, a filed plan) refuse the submission itself with
 * the rule id; the process's workers check again, as anything can start a process.
 */
export class EnrolmentService {
  constructor(
    private readonly m: EnrolmentModels,
    private readonly org: Pick<OrgModels, 'students' | 'grades'>,
    private readonly engine: EnrolmentEnginePort,
  ) {}

  /** A guardian applies for their child: checked, recorded, and the school's process started. */
  async submit(p: Principal, body: SubmitApplicationBody): Promise<ApplicationView> {
    const student = await this.org.students.findById(body.studentId).lean<StudentDoc>();
    const isGuardian = student?.guardians?.some((g) => g.userId === p.userId) ?? false;
    // a child who is not the caller's own is not revealed: same answer as a missing one; school
    // staff who may read the child learn why they may not apply for it (ELIG-VOLUNTARY)
    const staffReading =
      p.kind === 'staff' && student && abilityFor(p).can('read', subject('Student', student));
    if (!student || (!isGuardian && !staffReading)) throw new NotFoundError();
    const grade = await this.org.grades.findById(student.gradeId).lean<GradeDoc>();
    const plan = await this.filedPlan(student.schoolId);
    const session = plan.sessions.find((s) => s.id === body.sessionId);
    if (!session)
      throw new UserError(
        400,
        'UNKNOWN_SESSION',
        'error.validation',
        `no session ${body.sessionId} in the school's plan`,
      );
    const others = await this.m.applications
      .find({ studentId: student._id })
      .lean<ApplicationDoc[]>();
    const decision = combine(
      checkVoluntary({
        applicantUserId: p.userId,
        guardianUserIds: guardianIds(student),
        consent: body.consent,
        submittedVia: p.kind === 'parent' ? 'parent' : 'school',
        termId: plan.term,
        otherApplications: others.map((a) => ({ termId: a.term, state: ruleState(a.status) })),
      }),
      checkEnrolment({
        schoolId: plan.schoolId,
        student: {
          schoolId: student.schoolId,
          gradeLevel: grade?.level ?? 0,
          enrolled: student.enrolled,
        },
      }),
    );
    if (!decision.ok) throw new RuleViolationError(decision.violations);

    // one live application per child and term, also against a concurrent double submission
    const claimId = `apply:${student._id}:${plan.term}`;
    try {
      await this.m.claims.create({ _id: claimId, by: p.userId, at: new Date() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      throw new RuleViolationError([cite('ELIG-VOLUNTARY', 'rule.ELIG-VOLUNTARY.once-per-term')]);
    }
    const now = new Date();
    const doc: ApplicationDoc = {
      _id: `app-${randomBytes(9).toString('base64url')}`,
      cityId: student.cityId,
      countyId: student.countyId,
      schoolId: student.schoolId,
      gradeId: student.gradeId,
      classId: student.classId,
      studentId: student._id,
      studentName: student.name,
      applicantUserId: p.userId,
      guardians: guardianIds(student).map((userId) => ({ userId })),
      planId: plan._id,
      term: plan.term,
      sessionId: session.id,
      weekdays: [...new Set(body.weekdays)].sort(),
      midday: body.midday,
      pickup: body.pickup,
      insurance: body.insurance,
      status: 'submitted',
      submittedAt: now,
      updatedAt: now,
    };
    await this.m.applications.create(doc);
    try {
      doc.instanceKey = await this.engine.startProcess(ENROLMENT_PROCESS, doc.schoolId, {
        applicationId: doc._id,
        studentId: doc.studentId,
        // what the review forms show (the pick-up phone stays in the application record)
        studentName: doc.studentName,
        weekdays: doc.weekdays,
        sessionName: session.name,
        cityId: doc.cityId,
        countyId: doc.countyId,
        schoolId: doc.schoolId,
        classId: doc.classId,
        term: doc.term,
        sessionId: doc.sessionId,
        midday: doc.midday,
        applicantUserId: doc.applicantUserId,
        termEndsAt: `${plan.termEnd}T23:59:59+08:00`,
      });
    } catch (err) {
      await this.m.applications.deleteOne({ _id: doc._id });
      await this.m.claims.deleteOne({ _id: claimId });
      throw err;
    }
    await this.m.applications.updateOne(
      { _id: doc._id },
      { $set: { instanceKey: doc.instanceKey } },
    );
    await this.event(doc._id, 'submitted', 'submitted', p.userId);
    return this.view(p, doc, true);
  }

  /** The applications the caller may read, newest first. */
  async list(
    p: Principal,
    q: ListApplicationsQuery,
  ): Promise<{ items: ApplicationView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Application');
    if (!allowed) return { items: [], total: 0 };
    const filter = {
      $and: [
        allowed,
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.classId ? [{ classId: q.classId }] : []),
        ...(q.status ? [{ status: q.status }] : []),
      ],
    };
    const [rows, total] = await Promise.all([
      this.m.applications
        .find(filter)
        .sort({ submittedAt: -1 })
        .skip(q.offset)
        .limit(q.limit)
        .lean<ApplicationDoc[]>(),
      this.m.applications.countDocuments(filter),
    ]);
    return { items: await Promise.all(rows.map((a) => this.view(p, a, false))), total };
  }

  /** One application with its timeline; 404 for those who may not read it. */
  async get(p: Principal, id: string): Promise<ApplicationView> {
    const doc = await this.readable(p, id);
    return this.view(p, doc, true);
  }

  /**
   * A guardian withdraws (ELIG-VOLUNTARY: at any time): the process hears it and ends (with a
   * pro-rata refund if paid), the place goes to the first on the waiting list (ELIG-PRIORITY),
   * and a new application for the term becomes possible.
   */
  async withdraw(p: Principal, id: string): Promise<ApplicationView> {
    const doc = await this.readable(p, id);
    if (!doc.guardians.some((g) => g.userId === p.userId))
      throw new UserError(
        403,
        'FORBIDDEN',
        'error.forbidden',
        'only a guardian of the child may withdraw',
      );
    if (!LIVE.includes(doc.status))
      throw new UserError(
        409,
        'NOT_WITHDRAWABLE',
        'error.conflict',
        `the application is ${doc.status}`,
      );
    // the withdrawal is a fact inserted once (the truth a worker's status written over the
    // application's is put back from, see keepWithdrawal); a second withdrawal at once loses
    if (!(await this.event(doc._id, 'withdrawn', 'withdrawn', p.userId, WITHDRAWAL_KEY)))
      throw new UserError(409, 'NOT_WITHDRAWABLE', 'error.conflict', 'withdrawn already');
    await this.setStatus(doc._id, 'withdrawn');
    await this.engine.publishMessage({
      name: WITHDRAWN_MESSAGE,
      correlationKey: doc._id,
      instanceKey: doc.instanceKey,
      timeToLiveMs: 60_000,
    });
    await this.m.claims.deleteOne({ _id: `apply:${doc.studentId}:${doc.term}` });
    // also a seat arranged after the application was read
    await this.releaseSeat(doc);
    return this.view(p, { ...doc, status: 'withdrawn' }, true);
  }

  /** The facts workers apply the rules to (workers only). */
  async facts(p: Principal, id: string): Promise<ApplicationFacts> {
    const doc = await this.forWorker(p, id);
    const student = await this.org.students.findById(doc.studentId).lean<StudentDoc>();
    if (!student) throw new NotFoundError(`student ${doc.studentId} no longer exists`);
    const grade = await this.org.grades.findById(student.gradeId).lean<GradeDoc>();
    const plan = await this.m.plans.findById(doc.planId).lean<PlanDoc>();
    const session = plan?.sessions.find((s) => s.id === doc.sessionId);
    if (!plan || !session) throw new NotFoundError(`plan ${doc.planId} or its session is gone`);
    const others = await this.m.applications
      .find({ studentId: doc.studentId, _id: { $ne: doc._id } })
      .lean<ApplicationDoc[]>();
    const {
      _id: planId,
      sessions: _sessions,
      updatedAt: _u,
      ...planRest
    } = plan as PlanDoc & { createdAt?: Date };
    delete (planRest as { createdAt?: Date }).createdAt;
    return {
      application: {
        id: doc._id,
        applicantUserId: doc.applicantUserId,
        term: doc.term,
        submittedAt: doc.submittedAt.toISOString(),
        weekdays: doc.weekdays,
        midday: doc.midday,
        status: doc.status,
        insurance: doc.insurance,
      },
      student: {
        id: student._id,
        schoolId: student.schoolId,
        gradeLevel: grade?.level ?? 0,
        enrolled: student.enrolled,
        guardianUserIds: guardianIds(student),
        priorityGroups: { ...(student.priorityGroups ?? {}) } as unknown as Record<string, boolean>,
        povertyRegistered: student.povertyRegistered,
        insuredUntil: student.insurance?.validUntil
          ? new Date(student.insurance.validUntil).toISOString().slice(0, 10)
          : undefined,
      },
      plan: { id: planId, ...planRest },
      session,
      otherApplications: others.map((a) => ({ termId: a.term, state: ruleState(a.status) })),
    };
  }

  /**
   * A worker records a step (idempotent by its key); terminal statuses and fees stick. A
   * refusal or rejection frees the child's term and seat, as a withdrawal does.
   */
  async recordStep(p: Principal, id: string, body: RecordStepBody): Promise<void> {
    const doc = await this.forWorker(p, id);
    this.afterSubmission(doc);
    const recorded = await this.event(doc._id, body.step, body.status, p.userId, body.key, {
      ...(body.fee ? { fee: body.fee } : {}),
      ...(body.rules ? { rules: body.rules } : {}),
      ...(body.note ? { note: body.note } : {}),
    });
    if (!recorded) return;
    const set: Partial<ApplicationDoc> = { updatedAt: new Date() };
    if (body.status && doc.status !== 'withdrawn') set.status = body.status;
    if (body.fee) set.fee = body.fee;
    if (body.rules) set.refusal = JSON.stringify(body.rules);
    await this.m.applications.updateOne({ _id: doc._id }, { $set: set });
    if (set.status && (await this.keepWithdrawal(doc))) return;
    // a refused or rejected application no longer holds the term (ELIG-VOLUNTARY) nor a seat
    if (set.status === 'refused' || set.status === 'rejected') {
      await this.m.claims.deleteOne({ _id: `apply:${doc.studentId}:${doc.term}` });
      if (doc.status === 'placed' || doc.status === 'enrolled') await this.releaseSeat(doc);
    }
  }

  /**
   * Arranges a place (统筹安排) for an approved application: a free seat of its session is
   * claimed by insert (so concurrent arrangements never exceed the capacity); with none free
   * it joins the waiting list, which is ordered by ELIG-PRIORITY and served first when a seat
   * frees. Idempotent: an application already placed keeps its seat.
   */
  async arrange(
    p: Principal,
    id: string,
  ): Promise<{ status: 'placed' | 'waiting'; rank?: number; rules: RuleCitation[] }> {
    const doc = await this.forWorker(p, id);
    this.afterSubmission(doc);
    const plan = await this.m.plans.findById(doc.planId).lean<PlanDoc>();
    const session = plan?.sessions.find((s) => s.id === doc.sessionId);
    if (!session) throw new NotFoundError(`session ${doc.sessionId} is gone`);
    if (doc.status === 'placed' || doc.status === 'enrolled')
      return { status: 'placed', rules: [] };
    // withdrawn: its process is ending, no seat for it
    if (doc.status === 'withdrawn' || (await this.isWithdrawn(doc._id)))
      return { status: 'waiting', rules: [] };
    const waitingBefore = await this.waitingOf(doc);
    // a seat goes to this application only when nobody ranked before it is waiting
    const order = arrangePlaces(await this.placementApplicants([...waitingBefore, doc]), 0).waiting;
    const ahead = order.findIndex((w) => w.applicationId === doc._id);
    if (ahead === 0 && (await this.claimSeat(doc, session.capacity))) {
      await this.setStatus(doc._id, 'placed', { placement: { status: 'placed' } });
      if (await this.keepWithdrawal(doc)) return { status: 'waiting', rules: [] };
      return { status: 'placed', rules: [] };
    }
    const rank = ahead + 1;
    await this.setStatus(doc._id, 'waiting', { placement: { status: 'waiting', rank } });
    if (await this.keepWithdrawal(doc)) return { status: 'waiting', rules: [] };
    return { status: 'waiting', rank, rules: [order[ahead]!.reason] };
  }

  // helpers //////////

  private async filedPlan(schoolId: string): Promise<PlanDoc> {
    const plans = await this.m.plans.find({ schoolId }).lean<PlanDoc[]>();
    const plan = plans
      .filter((pl) => pl.status === 'filed' || pl.status === 'published')
      .sort((a, b) => (a.termStart < b.termStart ? 1 : -1))[0];
    if (!plan)
      throw new RuleViolationError([cite('PLAN-ONE-SCHOOL', 'rule.PLAN-ONE-SCHOOL.not-filed')]);
    return plan;
  }

  private async readable(p: Principal, id: string): Promise<ApplicationDoc> {
    const doc = await this.m.applications.findById(id).lean<ApplicationDoc>();
    if (!doc || !abilityFor(p).can('read', subject('Application', doc))) throw new NotFoundError();
    return doc;
  }

  private async forWorker(p: Principal, id: string): Promise<ApplicationDoc> {
    const doc = await this.m.applications.findById(id).lean<ApplicationDoc>();
    if (!doc || !abilityFor(p).can('update', subject('Application', doc)))
      throw new NotFoundError();
    return doc;
  }

  /**
   * A worker's write waits for the submission's last write, the instance key, which lands just
   * after the process starts (whose first job writes the application at once): FerretDB 1.24
   * rewrites the whole document on update, so two writes at once could lose one. Until the key
   * is there (a minute at most: after that the submission is taken to have died in between)
   * the worker is told to retry (503, its job's retries).
   */
  private afterSubmission(doc: ApplicationDoc): void {
    if (
      !doc.instanceKey &&
      Math.abs(Date.now() - new Date(doc.submittedAt).getTime()) < SUBMISSION_SETTLE_MS
    )
      throw new TransientError(
        'APPLICATION_PENDING',
        'error.transient',
        'instance key not yet written',
      );
  }

  private async setStatus(
    id: string,
    status: ApplicationStatus,
    extra: Partial<ApplicationDoc> = {},
  ): Promise<void> {
    await this.m.applications.updateOne(
      { _id: id },
      { $set: { status, updatedAt: new Date(), ...extra } },
    );
  }

  /** Records an event once per key; false when it was recorded before. */
  private async event(
    applicationId: string,
    step: string,
    status: ApplicationStatus | undefined,
    by: string,
    key = `${step}:${Date.now()}:${randomBytes(3).toString('hex')}`,
    data?: object,
  ): Promise<boolean> {
    try {
      await this.m.events.create({
        _id: `${applicationId}:${key}`,
        applicationId,
        step,
        ...(status ? { status } : {}),
        at: new Date(),
        by,
        ...(data && Object.keys(data).length ? { data: JSON.stringify(data) } : {}),
      } satisfies ApplicationEventDoc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  private async waitingOf(doc: ApplicationDoc): Promise<ApplicationDoc[]> {
    const same = await this.m.applications
      .find({ sessionId: doc.sessionId, term: doc.term, status: 'waiting' })
      .lean<ApplicationDoc[]>();
    return same.filter((a) => a.schoolId === doc.schoolId && a._id !== doc._id);
  }

  private async placementApplicants(apps: ApplicationDoc[]) {
    const students = await Promise.all(
      apps.map((a) => this.org.students.findById(a.studentId).lean<StudentDoc>()),
    );
    return apps.map((a, i) => ({
      applicationId: a._id,
      appliedAt: new Date(a.submittedAt).toISOString(),
      priorityGroups: { ...(students[i]?.priorityGroups ?? {}) },
    }));
  }

  private seatId(doc: Pick<ApplicationDoc, 'schoolId' | 'term' | 'sessionId'>, n: number): string {
    return `seat:${doc.schoolId}:${doc.term}:${doc.sessionId}:${n}`;
  }

  private async claimSeat(doc: ApplicationDoc, capacity: number): Promise<boolean> {
    for (let n = 1; n <= capacity; n++) {
      try {
        await this.m.claims.create({ _id: this.seatId(doc, n), by: doc._id, at: new Date() });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const holder = await this.m.claims.findById(this.seatId(doc, n)).lean();
        if (holder?.by === doc._id) return true;
      }
    }
    return false;
  }

  /**
   * Whether the guardian withdrew the application: the withdrawal's event, inserted once, is
   * the truth; the status field may have been written over by a worker that read it before.
   */
  private async isWithdrawn(id: string): Promise<boolean> {
    return Boolean(await this.m.events.exists({ _id: `${id}:${WITHDRAWAL_KEY}` }));
  }

  /**
   * After a worker wrote a status: when the guardian withdrew meanwhile (FerretDB 1.24 checks
   * an update's filter and rewrites the document apart, so the worker's status may have landed
   * over the withdrawal), the status is put back to withdrawn and a seat taken meanwhile
   * freed. Every status writer calls this after its write, and the withdrawal inserts its fact
   * before writing its status, so whichever lands last, the application ends withdrawn.
   */
  private async keepWithdrawal(doc: ApplicationDoc): Promise<boolean> {
    if (!(await this.isWithdrawn(doc._id))) return false;
    await this.setStatus(doc._id, 'withdrawn');
    await this.releaseSeat(doc);
    return true;
  }

  /**
   * Frees a withdrawn child's seat, if it held one, and gives it to the first on the waiting
   * list.
   */
  private async releaseSeat(doc: ApplicationDoc): Promise<void> {
    const plan = await this.m.plans.findById(doc.planId).lean<PlanDoc>();
    const capacity = plan?.sessions.find((s) => s.id === doc.sessionId)?.capacity ?? 0;
    let freed = 0;
    for (let n = 1; n <= capacity; n++) {
      const seat = await this.m.claims.findById(this.seatId(doc, n)).lean();
      if (seat?.by !== doc._id) continue;
      // `by` again: a release running twice at once must not free a seat given on meanwhile
      freed += (await this.m.claims.deleteOne({ _id: this.seatId(doc, n), by: doc._id }))
        .deletedCount;
    }
    if (freed === 0) return;
    const waiting = await this.waitingOf(doc);
    const first = arrangePlaces(await this.placementApplicants(waiting), 0).waiting[0];
    const next = waiting.find((w) => w._id === first?.applicationId);
    if (!first || !next) return;
    // the first on the waiting list (ELIG-PRIORITY) is arranged again by its own process
    await this.event(first.applicationId, 'place-available', undefined, 'system');
    await this.engine.publishMessage({
      name: PLACE_AVAILABLE_MESSAGE,
      correlationKey: first.applicationId,
      instanceKey: next.instanceKey,
      timeToLiveMs: 24 * 3600_000,
    });
  }

  private async view(p: Principal, a: ApplicationDoc, detail: boolean): Promise<ApplicationView> {
    const personal =
      a.guardians.some((g) => g.userId === p.userId) ||
      p.memberships.some(
        (m) =>
          (m.role === 'classTeacher' && m.scope.classId === a.classId) ||
          ((m.role === 'schoolAdmin' || m.role === 'principal') && m.scope.schoolId === a.schoolId),
      );
    const view: ApplicationView = {
      id: a._id,
      studentId: a.studentId,
      studentName: a.studentName,
      schoolId: a.schoolId,
      classId: a.classId,
      term: a.term,
      sessionId: a.sessionId,
      weekdays: a.weekdays,
      midday: a.midday,
      status: a.status,
      ...(a.instanceKey ? { instanceKey: a.instanceKey } : {}),
      ...(a.placement ? { placement: a.placement } : {}),
      ...(a.fee ? { fee: a.fee } : {}),
      ...(a.refusal ? { refusal: JSON.parse(a.refusal) as RuleCitation[] } : {}),
      ...(personal ? { pickup: a.pickup, insurance: a.insurance } : {}),
      submittedAt: new Date(a.submittedAt).toISOString(),
    };
    if (detail) {
      if (a.instanceKey && LIVE.includes(a.status))
        view.currentSteps = await this.engine.currentSteps(a.instanceKey);
      const events = await this.m.events
        .find({ applicationId: a._id })
        .sort({ at: 1 })
        .lean<ApplicationEventDoc[]>();
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

function guardianIds(s: StudentDoc): string[] {
  return (s.guardians ?? []).flatMap((g) => (g.userId ? [g.userId] : []));
}

/** The rule book's name for an application's state (ELIG-VOLUNTARY once per term). */
function ruleState(
  status: ApplicationStatus,
): 'pending' | 'placed' | 'waiting' | 'withdrawn' | 'rejected' {
  switch (status) {
    case 'placed':
    case 'enrolled':
      return 'placed';
    case 'waiting':
      return 'waiting';
    case 'withdrawn':
      return 'withdrawn';
    case 'refused':
    case 'rejected':
    case 'failed':
      return 'rejected';
    default:
      return 'pending';
  }
}
