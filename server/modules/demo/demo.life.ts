import type { Principal } from '../../auth/principal';
import type { Database } from '../../db/connection';
import type { Engine } from '../../engine/engine';
import type { Logger } from '../../lib/logger';
import { shanghaiDate } from '../../rules/dates';
import { principalFromUser } from '../auth/auth.service';
import { type BillingService, currentMonth } from '../billing/billing.service';
import { type BillDoc, billingModels } from '../billing/billing.model';
import {
  type ApplicationDoc,
  type ApplicationStatus,
  enrolmentModels,
} from '../enrolment/enrolment.model';
import type { EnrolmentService } from '../enrolment/enrolment.service';
import { orgModels, type GuardianRelation, type StudentDoc } from '../org/org.model';
import type { IncidentService } from '../safety/incidents.service';
import { safetyModels } from '../safety/safety.model';
import { type RegistrationDoc, staffModels, type StaffEndingDoc } from '../staff/staff.model';
import type { StaffService } from '../staff/staff.service';
import type { SurveyService } from '../surveys/surveys.service';
import { surveyModels } from '../surveys/surveys.model';
import type { TaskService } from '../tasks/tasks.service';
import { userModels, type UserDoc } from '../users/users.model';
import { usernameKey } from '../users/users.service';
import { idCheckDigit } from './demo.data';
import { DEMO_LIFE_SCHOOL, SCIENCE_CLUB } from './demo.plans';

/** The services the demo's life goes through: the same the API calls. */
export interface DemoLifeDeps {
  db: Database;
  engine: Pick<Engine, 'collections'>;
  enrolment: Pick<EnrolmentService, 'submit' | 'withdraw'>;
  tasks: Pick<TaskService, 'complete'>;
  billing: Pick<BillingService, 'requestRun' | 'pay'>;
  incidents: Pick<IncidentService, 'report'>;
  surveys: Pick<SurveyService, 'create' | 'open' | 'respond'>;
  staff: Pick<StaffService, 'register' | 'endMember'>;
  logger: Logger;
  /** True once the server is stopping: the run gives up at its next wait. */
  isStopping?: () => boolean;
  /** How long one wait for the engine and the workers may take (default 60 s). */
  waitMs?: number;
}

/** What one run did: the steps it took (an empty list when everything was there already). */
export interface DemoLifeReport {
  steps: string[];
}

/**
 * The demo school in motion, for `npm start` on an empty development database: after the
 * organisation and the filed plans (demo.service.ts), applications of DEMO_LIFE_SCHOOL's
 * children run through the real enrolment process, its job workers and the inbox's task
 * completion until one stands in each state — in class review, awaiting school approval,
 * enrolled with a fee (three: one poverty-registered, FEE-FREE-POOR), on the waiting list of the
 * full science club (ELIG-PRIORITY), refused by a rule (SAFE-INSURE), rejected by the class
 * teacher, withdrawn by the parent (ELIG-VOLUNTARY) — then the current month's billing run (a
 * bill paid in cash, one open, one waived), a reported incident, and an open feedback survey of
 * the parent committee with three answers (FLOW-COMMITTEE), and service staff registered
 * through the staff-registration process and confirmed in the admin's inbox (an in-service
 * teacher, an outside coach by agreement with remuneration, FEE-EXTERNAL, and a teacher whose
 * registration the school then ended).
 *
 * Idempotent: every step is skipped when its result is there (a child who has an application,
 * a school month that has bills, a school with an incident or a survey, a person registered or
 * ended at the school), so a second start adds nothing. It needs the in-process job workers,
 * and acts as the demo accounts (principals built from their user documents, so a changed
 * password does not matter); a database without the demo school is left alone.
 */
export async function seedDemoLife(deps: DemoLifeDeps): Promise<DemoLifeReport> {
  const life = new DemoLife(deps);
  await life.run();
  return { steps: life.steps };
}

/** The roles children play in the demo, in the order they are driven. */
const CAST = [
  'enrolledPaid',
  'enrolledOpen',
  'enrolledFree',
  'waiting',
  'schoolApproval',
  'classReview',
  'rejected',
  'withdrawn',
  'refused',
] as const;

type Part = (typeof CAST)[number];

/** A person the demo registers as service staff at the school. */
interface DemoStaff {
  name: string;
  gender: 'male' | 'female';
  department: string;
  /** 1380000xxxx like the demo's staff, above the demo accounts' numbers. */
  mobile: string;
  /** Made up (a 1980s birth date in 源汇区, a fabricated sequence); the check digit is added. */
  idNumber17: string;
  /** An outside professional: the agreement and the remuneration (FEE-EXTERNAL). */
  external?: { agreementNo: string; remunerationYuan: number };
  /** The reason the school ended the registration (last day served: the day of the run). */
  ended?: string;
}

/** The school's service staff: two serving, one whose registration the school ended. */
const STAFF: readonly DemoStaff[] = [
  {
    name: '孟晓燕',
    gender: 'female',
    department: '语文组',
    mobile: '13800009101',
    idNumber17: '41110219840312902',
  },
  {
    name: '高建军',
    gender: 'male',
    department: '体育组',
    mobile: '13800009102',
    idNumber17: '41110219790825903',
    external: { agreementNo: 'YH2-XY-2026-003', remunerationYuan: 1200 },
  },
  {
    name: '邓丽萍',
    gender: 'female',
    department: '美术组',
    mobile: '13800009103',
    idNumber17: '41110219870606904',
    ended: '调往其他学校任教',
  },
];

/** The pick-up relation as a parent writes it. */
const RELATION_TEXT: Record<GuardianRelation, string> = {
  father: '父亲',
  mother: '母亲',
  grandfather: '祖父',
  grandmother: '祖母',
  other: '其他',
};

class DemoLife {
  readonly steps: string[] = [];
  private readonly apps;
  private readonly bills;
  private readonly incidents;
  private readonly surveys;

  constructor(private readonly d: DemoLifeDeps) {
    this.apps = enrolmentModels(d.db.connection).applications;
    this.bills = billingModels(d.db.connection).bills;
    this.incidents = safetyModels(d.db.connection).incidents;
    this.surveys = surveyModels(d.db.connection).surveys;
  }

  async run(): Promise<void> {
    const school = await orgModels(this.d.db.connection).schools.findById(DEMO_LIFE_SCHOOL).lean();
    if (!school) return;
    const admin = await this.staff('yh2.admin');
    const cast = await this.castChildren();
    if (!admin || !cast) {
      this.d.logger.warn('demo life: the demo accounts or children are missing; nothing done');
      return;
    }

    const enrolled: ApplicationDoc[] = [];
    for (const part of CAST) {
      const app = await this.play(part, cast.get(part)!, admin);
      if (app?.status === 'enrolled' && part.startsWith('enrolled')) enrolled.push(app);
    }
    await this.billing(admin, enrolled);
    await this.incident(admin, cast.get('enrolledOpen')!);
    await this.survey(cast);
    for (const person of STAFF) await this.serviceStaff(person, admin);
  }

  /** Drives one child's application to the state of its part (skipped if it has one). */
  private async play(part: Part, child: StudentDoc, admin: Principal) {
    const existing = await this.apps.findOne({ studentId: child._id }).lean<ApplicationDoc>();
    if (existing) return existing;
    const parent = await this.guardianOf(child);
    const teacher = await this.classTeacherOf(child);
    if (!parent || !teacher) return undefined;
    const guardian = child.guardians.find((g) => g.userId === parent.userId)!;
    const body = {
      studentId: child._id,
      sessionId: part === 'enrolledOpen' || part === 'waiting' ? SCIENCE_CLUB : 'S1',
      weekdays: [1, 2, 3, 4, 5],
      midday: part === 'enrolledPaid',
      pickup: {
        name: guardian.name,
        relation: RELATION_TEXT[guardian.relation],
        phone: guardian.phone,
      },
      insurance: {
        insurer: child.insurance?.insurer ?? '中国人寿保险',
        policyNo: child.insurance?.policyNo ?? `DEMO-${child._id}`,
        // the refused child's policy ends before the term does (SAFE-INSURE)
        validUntil: part === 'refused' ? '2026-12-31' : '2027-08-31',
      },
      consent: true,
    };
    const { id } = await this.d.enrolment.submit(parent, body);
    this.steps.push(`${part}: ${id}`);
    const final: Partial<Record<Part, ApplicationStatus>> = {
      enrolledPaid: 'enrolled',
      enrolledOpen: 'enrolled',
      enrolledFree: 'enrolled',
      waiting: 'waiting',
      rejected: 'rejected',
      withdrawn: 'withdrawn',
      refused: 'refused',
    };
    if (part === 'refused') return this.status(id, 'refused');
    const review = await this.task(id, 'ClassReview');
    if (part === 'classReview') return undefined;
    if (part === 'withdrawn') {
      await this.d.enrolment.withdraw(parent, id);
      return this.status(id, 'withdrawn');
    }
    if (part === 'rejected') {
      await this.d.tasks.complete(teacher, review, {
        decision: 'reject',
        reason: '孩子已报名校外托管，家长电话确认本学期不参加',
      });
      return this.status(id, 'rejected');
    }
    await this.d.tasks.complete(teacher, review, { decision: 'approve' });
    const approval = await this.task(id, 'SchoolApproval');
    if (part === 'schoolApproval') return undefined;
    await this.d.tasks.complete(admin, approval, { decision: 'approve' });
    return this.status(id, final[part]!);
  }

  /** The month's billing run of the school; then one bill paid in cash at the school. */
  private async billing(admin: Principal, enrolled: ApplicationDoc[]): Promise<void> {
    const month = currentMonth();
    if (!enrolled.length) return;
    const billOf = (a: ApplicationDoc) => `bill:${a._id}:${month}`;
    const first = await this.bills.findById(billOf(enrolled[0]!)).lean<BillDoc>();
    if (!first) {
      await this.d.billing.requestRun(admin, { month, schoolIds: [DEMO_LIFE_SCHOOL] });
      this.steps.push(`billing run ${month}`);
    }
    const bills = await this.until(`bills of ${month}`, async () => {
      const found = await this.bills.find({ _id: { $in: enrolled.map(billOf) } }).lean<BillDoc[]>();
      return found.length === enrolled.length ? found : undefined;
    });
    const paid = bills.find((b) => b.applicationId === enrolled[0]!._id);
    if (paid?.status === 'open' && paid.amountFen > 0) {
      await this.d.billing.pay(admin, paid._id, {
        paidFen: paid.amountFen,
        method: 'cash',
        receiptNo: `DEMO-${month.replace('-', '')}-001`,
      });
      this.steps.push(`paid ${paid._id}`);
    }
  }

  /** A minor incident in the afternoon's sports, reported by the school's admin. */
  private async incident(admin: Principal, child: StudentDoc): Promise<void> {
    if (await this.incidents.findOne({ schoolId: DEMO_LIFE_SCHOOL }).lean()) return;
    const adminUser = await this.user(admin.userId);
    const at = new Date(Date.now() - 2 * 3600_000);
    await this.d.incidents.report(admin, {
      schoolId: DEMO_LIFE_SCHOOL,
      occurredAt: at.toISOString(),
      location: '操场',
      involvedStudentIds: [child._id],
      description: '课后体育活动跑步时摔倒，右膝擦伤，值班教师在场',
      injured: true,
      injuries: '右膝皮肤擦伤，无骨折',
      severity: 'minor',
      firstAid: '校医消毒并包扎，已电话告知家长',
      reporterPhone: adminUser?.phone ?? '13800000006',
    });
    this.steps.push('incident');
  }

  /** The committee's survey of the term, open, answered by three parents (results show from three). */
  private async survey(cast: Map<Part, StudentDoc>): Promise<void> {
    if (await this.surveys.findOne({ schoolId: DEMO_LIFE_SCHOOL }).lean()) return;
    const committee = await this.staff('yh2.committee');
    if (!committee) return;
    const draft = await this.d.surveys.create(committee, {
      schoolId: DEMO_LIFE_SCHOOL,
      title: '2026年秋季学期课后服务家长意见征集',
      description: '家长委员会定期收集家长对课后服务的意见建议（匿名填写，学校只看到汇总结果）。',
      questions: [
        {
          kind: 'single',
          text: '孩子最喜欢的课后活动',
          options: ['作业辅导', '阅读与书法', '体育与艺术社团', '科学探究小组'],
          required: true,
        },
        { kind: 'rating', text: '对课后服务的总体满意度（1–5 分）', required: true },
        { kind: 'rating', text: '放学接送交接是否顺畅（1–5 分）', required: true },
        { kind: 'text', text: '意见和建议', required: false },
      ],
    });
    await this.d.surveys.open(committee, draft.id);
    this.steps.push(`survey ${draft.id}`);
    const answers = [
      {
        part: 'enrolledPaid',
        choice: 0,
        ratings: [5, 4],
        text: '作业基本在学校完成，家长轻松很多',
      },
      { part: 'enrolledFree', choice: 2, ratings: [4, 3], text: '希望下雨天的室内活动再丰富一些' },
      { part: 'enrolledOpen', choice: 3, ratings: [5, 5], text: '' },
    ] as const;
    for (const a of answers) {
      const parent = await this.guardianOf(cast.get(a.part)!);
      if (!parent) continue;
      await this.d.surveys.respond(parent, draft.id, {
        answers: [
          { questionId: 'q1', choice: a.choice },
          { questionId: 'q2', rating: a.ratings[0] },
          { questionId: 'q3', rating: a.ratings[1] },
          ...(a.text ? [{ questionId: 'q4', text: a.text }] : []),
        ],
      });
    }
  }

  /**
   * One person registered at the school through the staff-registration process (record check,
   * the admin's confirmation in the inbox, register-staff), and the registration ended if the
   * person's part says so.
   */
  private async serviceStaff(person: DemoStaff, admin: Principal): Promise<void> {
    const { registrations, endings } = staffModels(this.d.db.connection);
    const idNumber = person.idNumber17 + idCheckDigit(person.idNumber17);
    let reg = await registrations
      .findOne({ schoolId: DEMO_LIFE_SCHOOL, idNumber })
      .lean<RegistrationDoc>();
    if (!reg) {
      const school = await orgModels(this.d.db.connection)
        .schools.findById(DEMO_LIFE_SCHOOL)
        .lean();
      const { id } = await this.d.staff.register(admin, {
        schoolFullName: school?.name ?? DEMO_LIFE_SCHOOL,
        staffName: person.name,
        gender: person.gender,
        department: person.department,
        mobile: person.mobile,
        idNumber,
        isExternal: person.external !== undefined,
        ...(person.external
          ? {
              agreementNo: person.external.agreementNo,
              remunerationYuan: person.external.remunerationYuan,
            }
          : {}),
      });
      this.steps.push(`staff ${person.name}: ${id}`);
      reg = (await registrations.findById(id).lean<RegistrationDoc>())!;
    }
    // the admin confirms in the inbox once the record check has passed; then register-staff
    const regId = reg._id;
    const instanceKey = reg.instanceKey;
    const staffId = await this.until(`${regId} registered`, async () => {
      const r = await registrations.findById(regId).lean<RegistrationDoc>();
      if (r?.status === 'registered') return r.staffId;
      const confirmation =
        instanceKey &&
        (await this.d.engine.collections.tasks.findOne({
          processInstanceKey: instanceKey,
          elementId: 'SchoolConfirmation',
          state: 'CREATED',
        }));
      if (confirmation)
        await this.d.tasks.complete(admin, confirmation._id, {
          decision: 'approve',
          ...(person.external ? { agreementVerified: true } : {}),
        });
      return undefined;
    });
    if (!person.ended || (await endings.findById(staffId).lean<StaffEndingDoc>())) return;
    await this.d.staff.endMember(admin, staffId, {
      reason: person.ended,
      endDate: shanghaiDate(new Date()),
    });
    this.steps.push(`staff ${person.name} ended`);
  }

  // helpers //////////

  /**
   * The children who play each part: enrolled at the school, a guardian with an account, in
   * id order; the free one from a poverty-registered family, the others not. Undefined when the
   * school has too few.
   */
  private async castChildren(): Promise<Map<Part, StudentDoc> | undefined> {
    const students = (
      await orgModels(this.d.db.connection)
        .students.find({ schoolId: DEMO_LIFE_SCHOOL, enrolled: true })
        .lean<StudentDoc[]>()
    )
      .filter((s) => s.guardians.some((g) => g.userId))
      .sort((a, b) => a._id.localeCompare(b._id));
    const poor = students.find((s) => s.povertyRegistered);
    const others = students.filter((s) => !s.povertyRegistered);
    const parts = CAST.filter((p) => p !== 'enrolledFree');
    if (!poor || others.length < parts.length) return undefined;
    const cast = new Map<Part, StudentDoc>(parts.map((p, i) => [p, others[i]!]));
    cast.set('enrolledFree', poor);
    return cast;
  }

  private async user(id: string): Promise<UserDoc | undefined> {
    return (await userModels(this.d.db.connection).users.findById(id).lean<UserDoc>()) ?? undefined;
  }

  private async staff(username: string): Promise<Principal | undefined> {
    const key = await userModels(this.d.db.connection)
      .userKeys.findById(usernameKey(username))
      .lean();
    const user = key && (await this.user(key.userId));
    return user ? principalFromUser(user) : undefined;
  }

  private async guardianOf(child: StudentDoc): Promise<Principal | undefined> {
    for (const g of child.guardians) {
      const user = g.userId ? await this.user(g.userId) : undefined;
      if (user) return principalFromUser(user);
    }
    return undefined;
  }

  private async classTeacherOf(child: StudentDoc): Promise<Principal | undefined> {
    const users = await userModels(this.d.db.connection)
      .users.find({
        'memberships.role': 'classTeacher',
        'memberships.scope.classId': child.classId,
      })
      .lean<UserDoc[]>();
    const teacher = users.find((u) =>
      u.memberships.some((m) => m.role === 'classTeacher' && m.scope.classId === child.classId),
    );
    return teacher ? principalFromUser(teacher) : undefined;
  }

  /** The key of the open user task `elementId` of the application's process, once it exists. */
  private async task(applicationId: string, elementId: string): Promise<string> {
    return this.until(`${elementId} of ${applicationId}`, async () => {
      const app = await this.apps.findById(applicationId).lean<ApplicationDoc>();
      if (!app?.instanceKey) return undefined;
      const task = await this.d.engine.collections.tasks.findOne({
        processInstanceKey: app.instanceKey,
        elementId,
        state: 'CREATED',
      });
      return task?._id;
    });
  }

  private async status(applicationId: string, status: ApplicationStatus) {
    return this.until(`${applicationId} ${status}`, async () => {
      const app = await this.apps.findById(applicationId).lean<ApplicationDoc>();
      return app?.status === status ? app : undefined;
    });
  }

  /** Polls until `probe` gives a value; throws after the wait or when the server stops. */
  private async until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + (this.d.waitMs ?? 60_000);
    for (;;) {
      if (this.d.isStopping?.()) throw new Error(`demo life: stopped while waiting for ${what}`);
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`demo life: no ${what} in time`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
