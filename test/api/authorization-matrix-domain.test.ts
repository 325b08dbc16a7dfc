import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { Engine } from '../../server/engine/engine';
import { SecretBox } from '../../server/integrations/secret-box';
import {
  AUTHORIZATION_TABLE,
  type Grant,
  PLAN_PUBLIC_FIELDS,
  type SubjectName,
  SURVEY_PUBLIC_FIELDS,
} from '../../server/auth/authorization-table';
import { type Membership, type Role, ROLES, scopeLevel } from '../../server/auth/roles';
import { CSRF_HEADER } from '../../server/modules/auth';
import { billingEnginePort, createBilling } from '../../server/modules/billing';
import { billingModels, type BillDoc } from '../../server/modules/billing/billing.model';
import { createClaims } from '../../server/modules/claims';
import { claimModels, type ClaimDoc } from '../../server/modules/claims/claims.model';
import { createDashboard } from '../../server/modules/dashboard';
import { createEnrolment } from '../../server/modules/enrolment';
import { enrolmentEnginePort } from '../../server/modules/enrolment/engine-port';
import {
  type ApplicationDoc,
  enrolmentModels,
} from '../../server/modules/enrolment/enrolment.model';
import { createNotifications } from '../../server/modules/notifications';
import { type ClassDoc, orgModels, type StudentDoc } from '../../server/modules/org/org.model';
import { createParameters } from '../../server/modules/parameters';
import { parameterModels } from '../../server/modules/parameters/parameters.model';
import { composePayments } from '../../server/modules/payments/compose';
import { type DiscrepancyDoc, paymentModels } from '../../server/modules/payments/payments.model';
import { createPlans, plansEnginePort } from '../../server/modules/plans';
import { planModels, type PlanDoc } from '../../server/modules/plans/plans.model';
import { createSafety, processPort } from '../../server/modules/safety';
import {
  type AttendanceRecordDoc,
  type IncidentDoc,
  safetyModels,
} from '../../server/modules/safety/safety.model';
import { createStaff } from '../../server/modules/staff';
import {
  type BadRecordDoc,
  type RegistrationDoc,
  type StaffMemberDoc,
  staffModels,
} from '../../server/modules/staff/staff.model';
import { createMemberships, GRANTS } from '../../server/modules/users';
import { userModels } from '../../server/modules/users/users.model';
import { createSurveys, surveyModels } from '../../server/modules/surveys';
import type { SurveyDoc } from '../../server/modules/surveys/surveys.model';
import { createWecom, type Wecom } from '../../server/modules/wecom';
import { wecomModels } from '../../server/modules/wecom/wecom.model';
import {
  buildStudent,
  classScope,
  type IdentityHarness,
  membershipPerRole,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';

/**
 * The authorization matrix of the domain modules (enrolment, plans, county parameters,
 * billing and the ledger, payments, attendance, incidents, claims, staff, surveys, WeCom, the
 * dashboard, staff administration): every role × every list or read endpoint × own tenant /
 * other tenant, and at least one write per subject, with the expected answer computed from
 * server/auth/authorization-table.ts by this file's own reading of the grants (not by CASL).
 * Where a module narrows a grant (a route for job workers only, a step's role), the cell says
 * so. Documents are stored as the modules store them; the engine only runs the processes a
 * granted report, claim or staff registration starts (no job worker runs).
 *
 * The own tenant is city A: county 1 with a school of two classes (class 1 holds the parent's
 * child) and county 2 with a second school; the other tenant is city B.
 */

type Row = { _id: string } & Record<string, unknown>;
type Who = { client: SignedInClient; userId: string; m: Membership };

/** Where a document of a class lives: the ids every domain document carries. */
interface Place {
  cityId: string;
  countyId: string;
  schoolId: string;
  gradeId: string;
  classId: string;
}

/**
 * Who signs in: one user per role, and the roles that may also be held in one class (a
 * teacher of a class, a class's parent committee), each with its own tag for its fixtures.
 */
const ACTORS: readonly { label: string; role: Role; inClass?: true; tag: string }[] = [
  ...ROLES.map((role, i) => ({ label: role, role, tag: `a${i}` })),
  { label: 'teacher of a class', role: 'teacher', inClass: true, tag: 'tc' },
  { label: 'committee of a class', role: 'committee', inClass: true, tag: 'cc' },
];

const ROOT = path.resolve(__dirname, '..', '..');
const DAY = '2026-10-12';
const MONTH = '2026-10';
const CHILD_ID_NUMBER = '41110220170101702X';
const PHONE = '13811112222';
/** A free-text answer of a survey (may name a teacher: only for readers of every field). */
const COMMENT = '王老师辅导很耐心';

describe('authorization matrix: domain endpoints', () => {
  let h: IdentityHarness;
  let engine: Engine;
  let wecom: Wecom;
  let a: OrgTree;
  let a2: OrgTree;
  let b: OrgTree;
  let classA2: ClassDoc;
  let ownChild: StudentDoc;
  let otherChild: StudentDoc;
  const who = new Map<string, Who>();
  /** The class places: the parent's child's, class 1, class 2, county 2, city B (other tenant). */
  let places: { name: string; place: Place; guardians: { userId: string }[] }[];

  // the stored documents, per subject, own tenant first and the other tenant's last
  let applications: ApplicationDoc[];
  let plans: PlanDoc[];
  let bills: BillDoc[];
  let ledger: Row[];
  let discrepancies: DiscrepancyDoc[];
  let attendance: AttendanceRecordDoc[];
  let incidents: IncidentDoc[];
  let claims: ClaimDoc[];
  let registrations: RegistrationDoc[];
  let members: StaffMemberDoc[];
  let badRecords: BadRecordDoc[];
  let surveys: SurveyDoc[];
  let otherStaffId: string;
  let targetId: string;

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, logger, auth) => {
      engine = new Engine(db, { logger });
      await engine.start();
      // a granted report, claim or registration starts its process (no job worker runs)
      await engine.deploy(
        ['safety-incident', 'insurance-claim', 'staff-registration'].map((name) => ({
          name: `${name}.bpmn`,
          content: fs.readFileSync(path.join(ROOT, 'processes', `${name}.bpmn`), 'utf8'),
        })),
      );
      const requireSession = auth.requireSession;
      const none = async () => undefined;
      const notifications = await createNotifications({ db, requireSession });
      const enrolment = await createEnrolment({
        db,
        engine: enrolmentEnginePort(engine, none),
        requireSession,
      });
      const parameters = await createParameters({ db, requireSession });
      const plansSlice = await createPlans({
        db,
        engine: plansEnginePort(engine),
        parameters: parameters.service,
        requireSession,
      });
      const billing = await createBilling({
        db,
        engine: billingEnginePort(engine),
        requireSession,
      });
      const payments = await composePayments({
        db,
        billing: billing.service,
        notifications: notifications.service,
        requireSession,
        logger,
        box: new SecretBox(randomBytes(32).toString('base64')),
        publicUrl: 'https://kehou.example',
        schedule: false,
      });
      const schoolProcesses = processPort(engine, none);
      const safety = await createSafety({ db, engine: schoolProcesses, requireSession });
      const claimsSlice = await createClaims({ db, engine: schoolProcesses, requireSession });
      const staff = await createStaff({
        db,
        engine: schoolProcesses,
        attendance: safety.attendance,
        requireSession,
      });
      const surveysSlice = await createSurveys({ db, requireSession });
      const dashboard = await createDashboard({ db, requireSession });
      wecom = await createWecom({
        db,
        auth,
        notifications: notifications.service,
        logger,
        box: new SecretBox(randomBytes(32).toString('base64')),
        publicUrl: 'https://kehou.example',
        stateSecret: 'state-secret-state-secret-state-secret',
      });
      const memberships = await createMemberships({
        db,
        users: auth.service.users,
        requireSession,
      });
      return [
        { path: '/api/users', router: memberships.router },
        { path: '/api/enrolment', router: enrolment.router },
        { path: '/api/plans', router: plansSlice.router },
        { path: '/api/parameters', router: parameters.router },
        { path: '/api/billing', router: billing.router },
        { path: '/api/payments', router: payments.router },
        { path: '/api/safety', router: safety.router },
        { path: '/api/claims', router: claimsSlice.router },
        { path: '/api/staff', router: staff.router },
        { path: '/api/surveys', router: surveysSlice.router },
        { path: '/api/dashboard', router: dashboard.router },
        { path: '/api/wecom', router: wecom.router },
      ];
    });
    const stamp = Date.now().toString(36);
    a = await h.createOrgTree({ cityId: `city-a-${stamp}` });
    a2 = await h.createOrgTree({ cityId: a.cityId });
    b = await h.createOrgTree({ cityId: `city-b-${stamp}` });
    classA2 = { ...a.class, _id: `${a.grade._id}-c2`, number: 2, name: '三年级（2）班' };
    await orgModels(h.db.connection).classes.create(classA2);

    const memberships = membershipPerRole(a);
    for (const { label, role, inClass } of ACTORS) {
      const kind = role === 'parent' ? 'parent' : role === 'worker' ? 'service' : 'staff';
      const m: Membership = inClass ? { role, scope: classScope(a) } : memberships[role];
      const user = await h.createUser({ kind, memberships: [m] });
      const client = await signIn(h.app, { phone: user.phone!, password: user.password });
      who.set(label, { client, userId: user._id, m });
    }
    const parentId = who.get('parent')!.userId;
    otherStaffId = (
      await h.createUser({ memberships: [{ role: 'schoolAdmin', scope: schoolScope(b) }] })
    )._id;
    targetId = (await h.createUser({ memberships: [] }))._id;

    // the children: the parent's own, and one in each other place
    ownChild = buildStudent(a, {
      idNumber: CHILD_ID_NUMBER,
      guardians: [{ userId: parentId, relation: 'mother', name: '李梅', phone: PHONE }],
    });
    const sameClass = buildStudent(a);
    const secondClass = buildStudent(a, { classId: classA2._id });
    const county2 = buildStudent(a2);
    otherChild = buildStudent(b);
    await h.createStudents([ownChild, sameClass, secondClass, county2, otherChild]);
    const placeOf = (s: StudentDoc): Place => ({
      cityId: s.cityId,
      countyId: s.countyId,
      schoolId: s.schoolId,
      gradeId: s.gradeId,
      classId: s.classId,
    });
    places = [
      { name: 'own child', place: placeOf(ownChild), guardians: [{ userId: parentId }] },
      { name: 'class 1', place: placeOf(sameClass), guardians: [] },
      { name: 'class 2', place: placeOf(secondClass), guardians: [] },
      { name: 'county 2', place: placeOf(county2), guardians: [] },
      { name: 'other tenant', place: placeOf(otherChild), guardians: [] },
    ];
    const children = [ownChild, sameClass, secondClass, county2, otherChild];
    const schools = [a, a2, b].map((t) => ({
      cityId: t.cityId,
      countyId: t.county._id,
      schoolId: t.school._id,
    }));
    const now = new Date('2026-10-12T08:00:00Z');
    const conn = h.db.connection;

    applications = places.map(({ place, guardians }, i) => ({
      _id: `app-m${i}`,
      ...place,
      studentId: children[i]!._id,
      studentName: children[i]!.name,
      applicantUserId: guardians[0]?.userId ?? 'someone',
      guardians,
      planId: `plan-${place.schoolId}-2026-autumn`,
      term: '2026-autumn',
      sessionId: 'S1',
      weekdays: [1, 3, 5],
      midday: false,
      pickup: { name: '李梅', relation: 'mother', phone: PHONE },
      insurance: { insurer: '人保', policyNo: 'PICC-000001', validUntil: '2027-08-31' },
      // the parent's child is enrolled: its guardian may answer the school's surveys
      status: i === 0 ? 'enrolled' : 'submitted',
      submittedAt: new Date(now.getTime() + i * 1000),
      updatedAt: now,
    }));
    await enrolmentModels(conn).applications.insertMany(applications);

    const plan = (
      s: (typeof schools)[number],
      term: string,
      status: PlanDoc['status'],
    ): PlanDoc => ({
      _id: `plan-${s.schoolId}-${term}`,
      ...s,
      term,
      termStart: '2026-09-01',
      termEnd: '2027-01-20',
      status,
      sessions: [
        {
          id: 'S1',
          name: '作业辅导',
          weekdays: [1, 2, 3, 4, 5],
          dismissal: '16:00',
          start: '16:10',
          end: '17:40',
          venue: '教室',
          personInCharge: '王老师',
          content: 'homework',
          capacity: 40,
          personInChargeId: 'st1',
        },
      ],
      feeStandardFen: 6000,
      middayMinutes: 0,
      middayFeeConsent: false,
      safetyMeasures: '安全措施',
      emergencyPlan: '应急预案',
      staff: [{ staffId: 'st1', name: '王老师', employment: 'in-service', recordCheck: 'clear' }],
      submissions: 0,
      updatedAt: now,
    });
    plans = [
      plan(schools[0]!, '2026-autumn', 'published'),
      plan(schools[0]!, '2027-spring', 'draft'),
      plan(schools[1]!, '2026-autumn', 'published'),
      plan(schools[2]!, '2026-autumn', 'published'),
    ];
    await planModels(conn).plans.insertMany(plans);

    const bill = (id: string, place: Place, guardians: { userId: string }[]): BillDoc => ({
      _id: id,
      ...place,
      studentId: `stu-of-${id}`,
      studentName: '学生',
      applicationId: `app-of-${id}`,
      planId: `plan-${place.schoolId}-2026-autumn`,
      guardians,
      month: MONTH,
      billingRunKey: `${place.schoolId}:${MONTH}`,
      lines: [{ item: 'after-school', name: '课后服务', fen: 6000, days: 20 }],
      amountFen: 6000,
      serviceDays: [DAY],
      schoolDaysInMonth: 20,
      applied: [],
      notCharged: [],
      status: 'open',
      createdAt: now,
      updatedAt: now,
    });
    bills = places.map(({ place, guardians }, i) => bill(`bill-m${i}`, place, guardians));
    // one bill per role for the payment cell (a payment settles a bill once)
    const payBills = ACTORS.map(({ tag }) =>
      bill(`bill-pay-${tag}`, places[0]!.place, places[0]!.guardians),
    );
    await billingModels(conn).bills.insertMany([...bills, ...payBills]);

    ledger = schools.map((s, i) => ({
      _id: `income:m${i}`,
      ...s,
      month: MONTH,
      date: DAY,
      direction: 'in',
      category: 'fee',
      amountFen: 6000,
      by: 'worker',
      at: now,
    }));
    await billingModels(conn).ledger.insertMany(ledger);

    const discrepancy = (id: string, s: (typeof schools)[number]): DiscrepancyDoc => ({
      _id: id,
      kind: 'amount-mismatch',
      mchId: '1900000001',
      date: DAY,
      ...s,
      outTradeNo: `otn-${id}`,
      ourFen: 6000,
      billFen: 5000,
      at: now,
    });
    discrepancies = schools.map((s, i) => discrepancy(`disc-m${i}`, s));
    await paymentModels(conn).discrepancies.insertMany([
      ...discrepancies,
      ...ACTORS.map(({ tag }) => discrepancy(`disc-resolve-${tag}`, schools[0]!)),
    ]);

    attendance = places.map(({ place, guardians }, i) => ({
      _id: `${place.schoolId}:S1:${DAY}:${children[i]!._id}`,
      sheetId: `${place.schoolId}:S1:${DAY}`,
      ...place,
      sessionId: 'S1',
      sessionName: '作业辅导',
      date: DAY,
      studentId: children[i]!._id,
      studentName: children[i]!.name,
      guardians,
      present: true,
      checkedInAt: now,
      checkedInBy: 'teacher',
      updatedAt: now,
    }));
    await safetyModels(conn).records.insertMany(attendance);

    const incident = (
      id: string,
      s: (typeof schools)[number],
      involved: StudentDoc[],
      guardians: { userId: string }[],
    ): IncidentDoc => {
      const classes = [...new Set(involved.map((c) => c.classId))];
      return {
        _id: id,
        ...s,
        ...(classes.length === 1 ? { classId: classes[0] } : {}),
        classIds: [...classes].sort(),
        guardians,
        involvedStudents: involved.map((c) => ({
          studentId: c._id,
          name: c.name,
          classId: c.classId,
        })),
        occurredAt: '2026-10-12T16:30:00+08:00',
        location: '操场',
        description: '摔倒',
        injured: true,
        injuries: '膝盖擦伤',
        severity: 'minor',
        firstAid: '消毒包扎',
        reporterPhone: '13900001111',
        reportedBy: 'teacher',
        reportedAt: now,
      };
    };
    incidents = [
      incident('inc-m0', schools[0]!, [ownChild], [{ userId: parentId }]),
      // two classes: each class's staff and the parent read their own children's part
      incident('inc-m1', schools[0]!, [ownChild, secondClass], [{ userId: parentId }]),
      incident('inc-m2', schools[1]!, [county2], []),
      incident('inc-m3', schools[2]!, [otherChild], []),
    ];
    await safetyModels(conn).incidents.insertMany(incidents);

    claims = places.map(({ place, guardians }, i) => ({
      _id: `claim-m${i}`,
      ...place,
      studentId: children[i]!._id,
      studentName: children[i]!.name,
      guardians,
      origin: 'school',
      claimantName: '李梅',
      claimantPhone: PHONE,
      injuryDescription: '膝盖擦伤',
      medicalCostFen: 12000,
      insurer: '人保',
      policyNo: 'PICC-000001',
      requestedBy: 'admin',
      createdAt: new Date(now.getTime() + i * 1000),
      updatedAt: now,
    }));
    await claimModels(conn).claims.insertMany(claims);

    registrations = schools.map((s, i) => ({
      _id: `reg-m${i}`,
      ...s,
      schoolFullName: '测试学校',
      staffName: '赵老师',
      gender: 'female',
      department: '教务处',
      mobile: '13900002222',
      idNumber: '41110219900101123X',
      isExternal: false,
      submittedBy: 'admin',
      submittedAt: new Date(now.getTime() + i * 1000),
      status: 'submitted',
      updatedAt: now,
    }));
    members = schools.map((s, i) => ({
      _id: `member-m${i}`,
      ...s,
      schoolFullName: '测试学校',
      name: '赵老师',
      gender: 'female',
      department: '教务处',
      mobile: '13900002222',
      employment: 'in-service',
      registrationId: `reg-m${i}`,
      recordCheck: 'clear',
      registeredAt: now,
    }));
    badRecords = [
      { cityId: a.cityId, countyId: a.county._id },
      { cityId: a.cityId, countyId: a2.county._id },
      { cityId: a.cityId },
      { cityId: b.cityId, countyId: b.county._id },
    ].map((place, i) => ({
      _id: `record-m${i}`,
      ...place,
      name: '钱某',
      idNumberMasked: '4111**********123X',
      status: 'bad',
      recordedBy: 'bureau',
      recordedAt: new Date(now.getTime() + i * 1000),
    }));
    const sm = staffModels(conn);
    await sm.registrations.insertMany(registrations);
    await sm.members.insertMany(members);
    await sm.badRecords.insertMany(badRecords);

    const survey = (
      id: string,
      s: (typeof schools)[number],
      status: SurveyDoc['status'],
    ): SurveyDoc => ({
      _id: id,
      ...s,
      title: '家长满意度调查',
      questions: [
        { id: 'q1', kind: 'rating', text: '您对课后服务满意吗？', required: true },
        { id: 'q2', kind: 'text', text: '您的建议', required: false },
      ],
      status,
      createdBy: 'committee',
      createdAt: now,
      ...(status === 'open' ? { openedAt: now } : {}),
    });
    surveys = [
      survey('survey-m0', schools[0]!, 'draft'),
      survey('survey-m1', schools[0]!, 'open'),
      survey('survey-m2', schools[1]!, 'open'),
      survey('survey-m3', schools[2]!, 'open'),
    ];
    await surveyModels(conn).surveys.insertMany([
      ...surveys,
      ...ACTORS.map(({ tag }) => survey(`survey-open-${tag}`, schools[0]!, 'draft')),
    ]);
    // three responses each, so that results are shown (fewer could tell who answered what)
    await surveyModels(conn).responses.insertMany(
      surveys.flatMap((sv, i) =>
        [4, 5, 3].map((rating, k) => ({
          _id: `resp-m${i}-${k}`,
          surveyId: sv._id,
          cityId: sv.cityId,
          countyId: sv.countyId,
          schoolId: sv.schoolId,
          answers: [
            { questionId: 'q1', rating },
            ...(k === 0 ? [{ questionId: 'q2', text: COMMENT }] : []),
          ],
        })),
      ),
    );
  });

  afterAll(async () => {
    await wecom.stop();
    await engine.stop();
    await h.close();
  });

  it('should refuse every domain endpoint without a session', async () => {
    for (const path of [
      '/api/enrolment/applications',
      '/api/plans',
      '/api/parameters/counties',
      '/api/billing/bills',
      '/api/billing/summary',
      '/api/billing/ledger/entries',
      '/api/payments/discrepancies',
      '/api/safety/attendance',
      '/api/safety/incidents',
      '/api/claims',
      '/api/staff/registrations',
      '/api/staff/members',
      '/api/staff/bad-records',
      '/api/surveys',
      '/api/dashboard',
      `/api/wecom/apps/school/${a.school._id}/deliveries`,
    ]) {
      const res = await request(h.app).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
  });

  describe.each(ACTORS)('$label', ({ label, role, tag }) => {
    const me = () => who.get(label)!;
    const n = ACTORS.findIndex((x) => x.tag === tag);
    const get = (path: string) => me().client.agent.get(path);
    const visible = (subject: SubjectName, row: object, action: Grant['action'] = 'read') =>
      mayDo(role, me(), subject, action, row as Row);
    const fixtureIds = (rows: { _id: string }[], items: { id: string }[]) => {
      const known = new Set(rows.map((r) => r._id));
      return items
        .map((i) => i.id)
        .filter((id) => known.has(id))
        .sort();
    };
    const expectedIds = (subject: SubjectName, rows: { _id: string }[]) =>
      rows
        .filter((r) => visible(subject, r))
        .map((r) => r._id)
        .sort();
    const other = <T>(rows: T[]) => rows.at(-1)!;
    /**
     * The table: an application's pick-up phone and insurance only for the child's guardians,
     * the class teacher, the school's admin and principal (of those who read it).
     */
    const personal = (app: ApplicationDoc) =>
      visible('Application', app) &&
      (app.guardians.some((g) => g.userId === me().userId) ||
        ['classTeacher', 'schoolAdmin', 'principal'].includes(role));

    // enrolment: Application //////////

    it('should list exactly the applications the table grants, none of another tenant', async () => {
      const [all, foreign] = await Promise.all([
        get('/api/enrolment/applications?limit=200'),
        get(`/api/enrolment/applications?schoolId=${b.school._id}`),
      ]);
      expect([all.status, foreign.status]).toEqual([200, 200]);
      expect(fixtureIds(applications, all.body.items)).toEqual(
        expectedIds('Application', applications),
      );
      expect(foreign.body).toMatchObject({ total: 0, items: [] });
      for (const item of all.body.items as { id: string }[]) {
        const app = applications.find((x) => x._id === item.id);
        if (app)
          expect({ id: item.id, pickup: 'pickup' in item, insurance: 'insurance' in item }).toEqual(
            { id: item.id, pickup: personal(app), insurance: personal(app) },
          );
      }
    });

    it('should show an application, with pick-up and insurance only to those who need them, or 404', async () => {
      const answers = await Promise.all(
        applications.map((app) => get(`/api/enrolment/applications/${app._id}`)),
      );
      applications.forEach((app, i) => {
        const res = answers[i]!;
        const sees = visible('Application', app);
        expect({ id: app._id, status: res.status }).toEqual({
          id: app._id,
          status: sees ? 200 : 404,
        });
        if (!sees) return;
        expect({ id: app._id, pickup: 'pickup' in res.body }).toEqual({
          id: app._id,
          pickup: personal(app),
        });
      });
      expect(JSON.stringify(answers.at(-1)!.body)).not.toContain(PHONE);
    });

    it("should refuse a school's application for a child it may read, and reveal no other child", async () => {
      // no grant creates an Application: a guardian applies for their own child, and school staff
      // who may read the child are told why they may not (ELIG-VOLUNTARY); anyone else learns
      // nothing about the child (the same answer as for a child that does not exist)
      const model = enrolmentModels(h.db.connection).applications;
      const before = await model.countDocuments({});
      const apply = (studentId: string) =>
        me().client.post('/api/enrolment/applications', {
          studentId,
          sessionId: 'S1',
          weekdays: [1, 3],
          pickup: { name: '李梅', relation: 'mother', phone: PHONE },
          insurance: { insurer: '人保', policyNo: 'PICC-000001', validUntil: '2027-08-31' },
          consent: false,
        });
      const [own, foreign, missing] = await Promise.all([
        apply(ownChild._id),
        apply(otherChild._id),
        apply('stu-nobody'),
      ]);
      const guardian = role === 'parent';
      const staffReading = role !== 'worker' && visible('Student', ownChild);
      expect({ own: own.status, foreign: foreign.status, missing: missing.status }).toEqual({
        own: guardian || staffReading ? 422 : 404,
        foreign: 404,
        missing: 404,
      });
      if (own.status === 422) expect(JSON.stringify(own.body)).toContain('ELIG-VOLUNTARY');
      expect(await model.countDocuments({})).toBe(before);
    });

    it('should record an application step only where the table grants update (workers)', async () => {
      const app = applications[0]!;
      const events = enrolmentModels(h.db.connection).events;
      const before = await events.countDocuments({ applicationId: app._id });
      const res = await me().client.post(`/api/enrolment/applications/${app._id}/steps`, {
        key: `matrix-${tag}`,
        step: 'matrix-check',
      });
      const after = await events.countDocuments({ applicationId: app._id });
      const granted = visible('Application', app, 'update');
      expect(res.status).toBe(granted ? 204 : 404);
      expect(after - before).toBe(granted ? 1 : 0);
      const foreign = await me().client.post(
        `/api/enrolment/applications/${other(applications)._id}/steps`,
        { key: `matrix-${tag}`, step: 'matrix-check' },
      );
      expect(foreign.status).toBe(404);
    });

    // plans: Plan //////////

    it('should list exactly the plans the table grants, none of another tenant', async () => {
      const [all, foreign] = await Promise.all([
        get('/api/plans?limit=200'),
        get(`/api/plans?schoolId=${b.school._id}`),
      ]);
      expect([all.status, foreign.status]).toEqual([200, 200]);
      expect(fixtureIds(plans, all.body.items)).toEqual(expectedIds('Plan', plans));
      expect(foreign.body).toMatchObject({ total: 0, items: [] });
      for (const item of all.body.items as { id: string }[]) {
        const doc = plans.find((p) => p._id === item.id);
        if (doc)
          expect({ id: item.id, staff: 'staff' in item }).toEqual({
            id: item.id,
            staff: fieldsOf(role, me(), 'Plan', doc as unknown as Row) === 'all',
          });
      }
    });

    it('should show a plan with the fields the table grants, or 404', async () => {
      const answers = await Promise.all(plans.map((p) => get(`/api/plans/${p._id}`)));
      plans.forEach((plan, i) => {
        const res = answers[i]!;
        const fields = fieldsOf(role, me(), 'Plan', plan as unknown as Row);
        expect({ id: plan._id, status: res.status }).toEqual({
          id: plan._id,
          status: fields ? 200 : 404,
        });
        if (fields)
          expect({
            id: plan._id,
            staff: 'staff' in res.body,
            timeline: 'timeline' in res.body,
          }).toEqual({ id: plan._id, staff: fields === 'all', timeline: fields === 'all' });
        if (fields === 'public') {
          // only the fields parents are told: no staff list, checks, process data, session staff
          const extra = Object.keys(res.body).filter(
            (k) => !(PLAN_PUBLIC_FIELDS as readonly string[]).includes(k),
          );
          expect({ id: plan._id, extra }).toEqual({ id: plan._id, extra: [] });
        }
        if (fields)
          expect({
            id: plan._id,
            sessionStaff: 'personInChargeId' in (res.body.sessions as object[])[0]!,
          }).toEqual({ id: plan._id, sessionStaff: fields === 'all' });
      });
    });

    it('should let edit a draft plan only where the table grants update', async () => {
      const draft = plans[1]!;
      const model = planModels(h.db.connection).plans;
      const before = await model.findById(draft._id).lean();
      const res = await me()
        .client.agent.put(`/api/plans/${draft._id}`)
        .set(CSRF_HEADER, me().client.csrfToken)
        .send({
          termStart: '2027-02-20',
          termEnd: '2027-07-05',
          sessions: [
            {
              id: 'S1',
              name: '作业辅导',
              weekdays: [1, 2, 3, 4, 5],
              dismissal: '16:00',
              start: '16:10',
              end: '17:40',
              venue: '教室',
              personInChargeId: 'st1',
              capacity: 40,
              activities: [{ title: '作业辅导', category: 'homework' }],
            },
          ],
          staff: [
            { staffId: 'st1', name: '王老师', employment: 'in-service', recordCheck: 'clear' },
          ],
          feeStandardFen: 5000 + n,
        });
      const after = await model.findById(draft._id).lean();
      // the job workers update plans only through their own routes (facts, checks, publication)
      const granted = visible('Plan', draft, 'update') && role !== 'worker';
      const expected = granted ? 200 : visible('Plan', draft) ? 403 : 404;
      expect(res.status).toBe(expected);
      if (granted) expect(after?.feeStandardFen).toBe(5000 + n);
      else expect(after).toEqual(before);
    });

    // the job workers' routes (the table's worker grants; only service accounts call them) //////////

    it("should answer the job workers' routes only to a worker of the tenant", async () => {
      const worker = role === 'worker';
      const [schools, factsOwn, factsOther, ...rest] = await Promise.all([
        get(`/api/billing/schools?month=${MONTH}`),
        get(`/api/billing/schools/${a.school._id}/facts?month=${MONTH}`),
        get(`/api/billing/schools/${b.school._id}/facts?month=${MONTH}`),
        ...[plans[0]!, other(plans)].map((pl) => get(`/api/plans/${pl._id}/facts`)),
        ...[applications[0]!, other(applications)].map((x) =>
          get(`/api/enrolment/applications/${x._id}/facts`),
        ),
      ]);
      const billed = plans
        .filter((pl) => pl.status === 'published' && visible('Bill', pl, 'create'))
        .map((pl) => pl.schoolId)
        .sort();
      expect(schools!.status).toBe(worker ? 200 : 403);
      if (worker)
        expect(
          (schools!.body.schools as { schoolId: string }[]).map((x) => x.schoolId).sort(),
        ).toEqual(billed);
      expect([factsOwn!.status, factsOther!.status]).toEqual(worker ? [200, 404] : [403, 403]);
      const planFacts = [plans[0]!, other(plans)].map((pl, i) => ({
        id: pl._id,
        status: rest[i]!.status,
      }));
      expect(planFacts).toEqual(
        [plans[0]!, other(plans)].map((pl) => ({
          id: pl._id,
          status: worker && visible('Plan', pl, 'update') ? 200 : visible('Plan', pl) ? 403 : 404,
        })),
      );
      const appFacts = [applications[0]!, other(applications)].map((x, i) => ({
        id: x._id,
        status: rest[i + 2]!.status,
      }));
      expect(appFacts).toEqual(
        [applications[0]!, other(applications)].map((x) => ({
          id: x._id,
          status: visible('Application', x, 'update') ? 200 : 404,
        })),
      );
    });

    // parameters: CountyParameters //////////

    it("should list and show exactly the counties' parameters the table grants", async () => {
      const counties = [a, a2, b].map((t) => ({
        _id: t.county._id,
        cityId: t.cityId,
        countyId: t.county._id,
      }));
      const list = await get('/api/parameters/counties');
      expect(list.status).toBe(200);
      const listed = (list.body.items as { countyId: string }[]).map((i) => i.countyId).sort();
      expect(listed).toEqual(expectedIds('CountyParameters', counties));
      const paths = counties.flatMap((c) => [
        { c, path: `/api/parameters/counties/${c._id}` },
        { c, path: `/api/parameters/counties/${c._id}/effective` },
      ]);
      const answers = await Promise.all(paths.map((x) => get(x.path)));
      paths.forEach(({ c, path }, i) =>
        expect({ path, status: answers[i]!.status }).toEqual({
          path,
          status: visible('CountyParameters', c) ? 200 : 404,
        }),
      );
    });

    it("should let set a county's own values only where the table grants update", async () => {
      const county = { cityId: a.cityId, countyId: a.county._id };
      const versions = parameterModels(h.db.connection).versions;
      const before = await versions.countDocuments({ countyId: a.county._id });
      const res = await me()
        .client.agent.put(`/api/parameters/counties/${a.county._id}`)
        .set(CSRF_HEADER, me().client.csrfToken)
        .send({ maxMinutesAfterDismissal: 100 + n });
      const after = await versions.countDocuments({ countyId: a.county._id });
      // the county's own values are the county bureau's; the city bureau's update is approving
      // or refusing a fee standard (FEE_STANDARD_APPROVER, checked by the service)
      const granted = visible('CountyParameters', county, 'update') && role === 'countyBureau';
      const expected = granted ? 200 : visible('CountyParameters', county) ? 403 : 404;
      expect(res.status).toBe(expected);
      expect(after - before).toBe(granted ? 1 : 0);
      const foreign = await me()
        .client.agent.put(`/api/parameters/counties/${b.county._id}`)
        .set(CSRF_HEADER, me().client.csrfToken)
        .send({ maxMinutesAfterDismissal: 100 });
      expect(foreign.status).toBe(404);
    });

    // billing: Bill, LedgerEntry //////////

    it('should list and show exactly the bills the table grants, none of another tenant', async () => {
      const [all, foreign, ...answers] = await Promise.all([
        get('/api/billing/bills?limit=500'),
        get(`/api/billing/bills?schoolId=${b.school._id}`),
        ...bills.map((bill) => get(`/api/billing/bills/${bill._id}`)),
        ...bills.map((bill) => get(`/api/payments/bills/${bill._id}`)),
      ]);
      expect([all!.status, foreign!.status]).toEqual([200, 200]);
      expect(fixtureIds(bills, all!.body.items)).toEqual(expectedIds('Bill', bills));
      expect(foreign!.body).toMatchObject({ total: 0, items: [] });
      bills.forEach((bill, i) =>
        expect({
          id: bill._id,
          billing: answers[i]!.status,
          payments: answers[i + bills.length]!.status,
        }).toEqual({
          id: bill._id,
          billing: visible('Bill', bill) ? 200 : 404,
          payments: visible('Bill', bill) ? 200 : 404,
        }),
      );
    });

    it("should total bills only for the ledger's readers, none of another tenant", async () => {
      const res = await get(`/api/billing/summary?month=${MONTH}`);
      expect(res.status).toBe(200);
      const schools = [
        ...new Set((res.body.items as { schoolId: string }[]).map((i) => i.schoolId)),
      ];
      const expected = [
        ...new Set(
          bills.filter((bill) => visible('LedgerEntry', bill)).map((bill) => bill.schoolId),
        ),
      ];
      expect(schools.sort()).toEqual(expected.sort());
      expect(schools).not.toContain(b.school._id);
    });

    it('should let record a cash payment only where the table grants update', async () => {
      const bill = { ...bills[0]!, _id: `bill-pay-${tag}` };
      const model = billingModels(h.db.connection).bills;
      const res = await me().client.post(`/api/billing/bills/${bill._id}/pay`, {
        paidFen: bill.amountFen,
        method: 'cash',
        receiptNo: `R-${tag}`,
      });
      const after = await model.findById(bill._id).lean();
      const granted = visible('Bill', bill, 'update');
      expect(res.status).toBe(granted ? 200 : visible('Bill', bill) ? 403 : 404);
      expect(after?.status).toBe(granted ? 'paid' : 'open');
      const foreign = await me().client.post(`/api/billing/bills/${other(bills)._id}/pay`, {
        paidFen: 6000,
        method: 'cash',
        receiptNo: 'R-x',
      });
      expect(foreign.status).toBe(404);
    });

    it('should list exactly the ledger entries the table grants, none of another tenant', async () => {
      const [all, foreign] = await Promise.all([
        get('/api/billing/ledger/entries?limit=500'),
        get(`/api/billing/ledger/entries?schoolId=${b.school._id}`),
      ]);
      expect([all.status, foreign.status]).toEqual([200, 200]);
      expect(fixtureIds(ledger, all.body.items)).toEqual(expectedIds('LedgerEntry', ledger));
      expect(foreign.body).toMatchObject({ total: 0, items: [] });
      const balances = await get(`/api/billing/ledger/balances?month=${MONTH}`);
      expect(balances.status).toBe(200);
      const schools = (balances.body.items as { schoolId: string }[]).map((i) => i.schoolId);
      expect([...new Set(schools)].sort()).toEqual(
        [...new Set(ledger.filter((e) => visible('LedgerEntry', e)).map((e) => e.schoolId))].sort(),
      );
    });

    it('should let record spending only where the table grants create', async () => {
      const place = { cityId: a.cityId, countyId: a.county._id, schoolId: a.school._id };
      const key = `matrix-${tag}`;
      const res = await me().client.post('/api/billing/ledger/entries', {
        schoolId: a.school._id,
        date: DAY,
        category: 'consumables',
        amountFen: 100,
        description: '矩阵测试',
        key,
      });
      const stored = await billingModels(h.db.connection)
        .ledger.findById(`spend:${a.school._id}:${key}`)
        .lean();
      const granted = visible('LedgerEntry', place, 'create');
      expect(res.status).toBe(granted ? 201 : visible('LedgerEntry', place) ? 403 : 404);
      expect(Boolean(stored)).toBe(granted);
      const foreign = await me().client.post('/api/billing/ledger/entries', {
        schoolId: b.school._id,
        date: DAY,
        category: 'consumables',
        amountFen: 100,
        description: '矩阵测试',
        key,
      });
      expect(foreign.status).toBe(404);
    });

    // payments: Payment //////////

    it('should list exactly the payment discrepancies the table grants, none of another tenant', async () => {
      const res = await get('/api/payments/discrepancies');
      expect(res.status).toBe(200);
      expect(fixtureIds(discrepancies, res.body)).toEqual(expectedIds('Payment', discrepancies));
    });

    it('should let resolve a discrepancy only where the table grants update', async () => {
      const id = `disc-resolve-${tag}`;
      const row = { ...discrepancies[0]!, _id: id };
      const res = await me().client.post(`/api/payments/discrepancies/${id}/resolve`, {
        resolution: '已与商户核对',
      });
      const after = await paymentModels(h.db.connection).discrepancies.findById(id).lean();
      const granted = visible('Payment', row, 'update');
      expect(res.status).toBe(granted ? 200 : 404);
      expect(Boolean(after?.resolvedAt)).toBe(granted);
      const foreign = await me().client.post(
        `/api/payments/discrepancies/${other(discrepancies)._id}/resolve`,
        { resolution: '已与商户核对' },
      );
      expect(foreign.status).toBe(404);
    });

    // safety: Attendance, Incident //////////

    it('should list exactly the attendance lines the table grants, none of another tenant', async () => {
      const [all, foreign] = await Promise.all([
        get('/api/safety/attendance?limit=500'),
        get(`/api/safety/attendance?schoolId=${b.school._id}`),
      ]);
      expect([all.status, foreign.status]).toEqual([200, 200]);
      expect(fixtureIds(attendance, all.body.items)).toEqual(expectedIds('Attendance', attendance));
      expect(foreign.body).toMatchObject({ total: 0, items: [] });
      const open = await get(`/api/safety/attendance/open-hand-overs?date=${DAY}`);
      expect(open.status).toBe(200);
      const waiting = (open.body.items as { students: { studentId: string }[] }[]).flatMap((x) =>
        x.students.map((st) => st.studentId),
      );
      const readable = attendance.filter((r) => visible('Attendance', r)).map((r) => r.studentId);
      for (const id of waiting) expect(readable).toContain(id);
      // the lines no hand-over cell has touched
      expect(waiting).toEqual(expect.arrayContaining(readable.filter((id) => id !== ownChild._id)));
    });

    it('should let check a child in only where the table grants create', async () => {
      const date = '2026-10-13';
      const model = safetyModels(h.db.connection).records;
      const id = `${a.school._id}:S1:${date}:${ownChild._id}`;
      const before = await model.findById(id).lean();
      const res = await me().client.post('/api/safety/attendance/check-ins', {
        schoolId: a.school._id,
        sessionId: 'S1',
        date,
        students: [{ studentId: ownChild._id, present: true }],
      });
      const after = await model.findById(id).lean();
      const granted = visible('Attendance', attendance[0]!, 'create');
      expect(res.status).toBe(granted ? 200 : 403);
      if (granted) expect(after?.checkedInBy).toBeDefined();
      else expect(after).toEqual(before);
      const foreign = await me().client.post('/api/safety/attendance/check-ins', {
        schoolId: b.school._id,
        sessionId: 'S1',
        date,
        students: [{ studentId: otherChild._id, present: true }],
      });
      // another tenant's school is not confirmed (404, like a plan's)
      expect(foreign.status).toBe(404);
      expect(
        await model.findById(`${b.school._id}:S1:${date}:${otherChild._id}`).lean(),
      ).toBeNull();
    });

    it('should let record a hand-over only where the table grants update', async () => {
      const rec = attendance[0]!;
      const model = safetyModels(h.db.connection).records;
      const before = await model.findById(rec._id).lean();
      const res = await me().client.post('/api/safety/attendance/hand-overs', {
        schoolId: rec.schoolId,
        sessionId: rec.sessionId,
        date: rec.date,
        studentId: rec.studentId,
        guardianName: '李梅',
        relation: 'mother',
        at: '17:45',
      });
      const after = await model.findById(rec._id).lean();
      const granted = visible('Attendance', rec, 'update');
      expect(res.status).toBe(granted ? 200 : visible('Attendance', rec) ? 403 : 404);
      if (granted) expect(after?.handOver?.byUserId).toBe(me().userId);
      else expect(after).toEqual(before);
      const theirs = other(attendance);
      const foreign = await me().client.post('/api/safety/attendance/hand-overs', {
        schoolId: theirs.schoolId,
        sessionId: theirs.sessionId,
        date: theirs.date,
        studentId: theirs.studentId,
        guardianName: '赵强',
        at: '17:45',
      });
      expect(foreign.status).toBe(404);
    });

    it('should list and show exactly the incidents the table grants, a parent only their child', async () => {
      const [all, foreign, ...answers] = await Promise.all([
        get('/api/safety/incidents?limit=200'),
        get(`/api/safety/incidents?schoolId=${b.school._id}`),
        ...incidents.map((i) => get(`/api/safety/incidents/${i._id}`)),
      ]);
      expect([all!.status, foreign!.status]).toEqual([200, 200]);
      expect(fixtureIds(incidents, all!.body.items)).toEqual(expectedIds('Incident', incidents));
      expect(foreign!.body).toMatchObject({ total: 0, items: [] });
      incidents.forEach((inc, i) => {
        const res = answers[i]!;
        const sees = visible('Incident', inc);
        expect({ id: inc._id, status: res.status }).toEqual({
          id: inc._id,
          status: sees ? 200 : 404,
        });
        if (!sees) return;
        // staff of the school or above see the whole incident; a class's staff their class's
        // children's part and a guardian their own child's, the injuries only when every child
        // involved is theirs
        const staff = role !== 'parent';
        const classStaff = staff && me().m.scope.classId !== undefined;
        const own = inc.involvedStudents.filter((s) =>
          classStaff ? s.classId === me().m.scope.classId : s.studentId === ownChild._id,
        );
        const whole = (staff && !classStaff) || own.length === inc.involvedStudents.length;
        expect({
          id: inc._id,
          involved: (res.body.involvedStudents as { studentId: string }[]).map((s) => s.studentId),
          injuries: 'injuries' in res.body,
          reporterPhone: 'reporterPhone' in res.body,
        }).toEqual({
          id: inc._id,
          involved: (staff && !classStaff ? inc.involvedStudents : own).map((s) => s.studentId),
          injuries: whole,
          reporterPhone: staff,
        });
      });
    });

    it('should let report an incident only where the table grants create', async () => {
      const place = { cityId: a.cityId, countyId: a.county._id, schoolId: a.school._id };
      const granted = visible('Incident', { ...place, classId: a.class._id }, 'create');
      const model = safetyModels(h.db.connection).incidents;
      const before = await model.countDocuments({});
      const res = await me().client.post('/api/safety/incidents', {
        schoolId: a.school._id,
        occurredAt: '2026-10-12T16:30:00+08:00',
        location: '操场',
        involvedStudentIds: [ownChild._id],
        description: '摔倒',
        severity: 'minor',
        reporterPhone: '13900001111',
      });
      expect(res.status).toBe(granted ? 201 : 403);
      expect((await model.countDocuments({})) - before).toBe(granted ? 1 : 0);
      const foreign = await me().client.post('/api/safety/incidents', {
        schoolId: b.school._id,
        occurredAt: '2026-10-12T16:30:00+08:00',
        location: '操场',
        involvedStudentIds: [otherChild._id],
        description: '摔倒',
        severity: 'minor',
        reporterPhone: '13900001111',
      });
      // refused without confirming the school (404) and nothing stored
      expect(foreign.status).toBe(404);
      expect((await model.countDocuments({})) - before).toBe(granted ? 1 : 0);
    });

    // claims: Claim //////////

    it('should list and show exactly the claims the table grants, none of another tenant', async () => {
      const [all, foreign, ...answers] = await Promise.all([
        get('/api/claims?limit=200'),
        get(`/api/claims?schoolId=${b.school._id}`),
        ...claims.map((c) => get(`/api/claims/${c._id}`)),
      ]);
      expect([all!.status, foreign!.status]).toEqual([200, 200]);
      expect(fixtureIds(claims, all!.body.items)).toEqual(expectedIds('Claim', claims));
      expect(foreign!.body).toMatchObject({ total: 0, items: [] });
      claims.forEach((c, i) =>
        expect({ id: c._id, status: answers[i]!.status }).toEqual({
          id: c._id,
          status: visible('Claim', c) ? 200 : 404,
        }),
      );
    });

    it('should let request a claim only where the table grants create', async () => {
      const granted = visible('Claim', claims[0]!, 'create');
      const model = claimModels(h.db.connection).claims;
      const before = await model.countDocuments({});
      const res = await me().client.post('/api/claims', {
        studentId: ownChild._id,
        claimantName: '李梅',
        claimantPhone: PHONE,
        injuryDescription: '膝盖擦伤',
        medicalCostYuan: 120,
        insurer: '人保',
        policyNo: 'PICC-000001',
      });
      // a child the caller may not see is not revealed
      expect(res.status).toBe(granted ? 201 : visible('Student', ownChild) ? 403 : 404);
      expect((await model.countDocuments({})) - before).toBe(granted ? 1 : 0);
      const foreign = await me().client.post('/api/claims', {
        studentId: otherChild._id,
        claimantName: '赵强',
        claimantPhone: '13700009997',
        injuryDescription: '膝盖擦伤',
        medicalCostYuan: 120,
        insurer: '人保',
        policyNo: 'PICC-000001',
      });
      expect(foreign.status).toBe(404);
      expect((await model.countDocuments({})) - before).toBe(granted ? 1 : 0);
    });

    // staff: Staff, StaffRecord //////////

    it('should list and show exactly the staff registrations and staff the table grants', async () => {
      const [regs, staff, foreign, ...answers] = await Promise.all([
        get('/api/staff/registrations?limit=200'),
        get('/api/staff/members?limit=200'),
        get(`/api/staff/registrations?schoolId=${b.school._id}`),
        ...registrations.map((r) => get(`/api/staff/registrations/${r._id}`)),
      ]);
      expect([regs!.status, staff!.status, foreign!.status]).toEqual([200, 200, 200]);
      expect(fixtureIds(registrations, regs!.body.items)).toEqual(
        expectedIds('Staff', registrations),
      );
      expect(fixtureIds(members, staff!.body.items)).toEqual(expectedIds('Staff', members));
      expect(foreign!.body).toMatchObject({ total: 0, items: [] });
      registrations.forEach((r, i) =>
        expect({ id: r._id, status: answers[i]!.status }).toEqual({
          id: r._id,
          status: visible('Staff', r) ? 200 : 404,
        }),
      );
      const hours = await Promise.all(
        registrations.map((r) =>
          get(`/api/staff/service-hours?schoolId=${r.schoolId}&month=${MONTH}`),
        ),
      );
      registrations.forEach((r, i) =>
        expect({ school: r.schoolId, hours: hours[i]!.status }).toEqual({
          school: r.schoolId,
          hours: visible('Staff', r) ? 200 : 404,
        }),
      );
      // the ID number is shown masked, to everyone
      expect(JSON.stringify([regs!.body, ...answers.map((x) => x.body)])).not.toContain(
        '41110219900101123X',
      );
    });

    it('should let register staff only where the table grants create', async () => {
      const place = { cityId: a.cityId, countyId: a.county._id, schoolId: a.school._id };
      const granted = visible('Staff', place, 'create');
      const model = staffModels(h.db.connection).registrations;
      const before = await model.countDocuments({});
      const res = await me().client.post('/api/staff/registrations', {
        schoolId: a.school._id,
        schoolFullName: '测试学校',
        staffName: '孙老师',
        gender: 'male',
        department: '教务处',
        // one person per actor: a person is registered once per school (409 otherwise)
        mobile: `1390000${String(3000 + n)}`,
        idNumber: `41110219900101${String(1000 + n)}`,
        isExternal: false,
      });
      expect(res.status).toBe(granted ? 201 : 403);
      expect((await model.countDocuments({})) - before).toBe(granted ? 1 : 0);
      const foreign = await me().client.post('/api/staff/registrations', {
        schoolId: b.school._id,
        schoolFullName: '测试学校',
        staffName: '孙老师',
        gender: 'male',
        department: '教务处',
        mobile: '13900003333',
        idNumber: '411102199001011234',
        isExternal: false,
      });
      // another tenant's school is not confirmed (404, like a plan's)
      expect(foreign.status).toBe(404);
      expect((await model.countDocuments({})) - before).toBe(granted ? 1 : 0);
    });

    it("should let end a staff member's registration only where the table grants create", async () => {
      // given a serving member at the own school and one of the other tenant, per actor
      const sm = staffModels(h.db.connection);
      const memberAt = (t: OrgTree, id: string): StaffMemberDoc => ({
        _id: id,
        cityId: t.cityId,
        countyId: t.county._id,
        schoolId: t.school._id,
        schoolFullName: '测试学校',
        name: '孙老师',
        gender: 'male',
        department: '教务处',
        mobile: '13900004444',
        employment: 'in-service',
        registrationId: `reg-${id}`,
        recordCheck: 'clear',
        registeredAt: new Date(Date.now() - 86_400_000),
      });
      const own = memberAt(a, `member-end-${tag}`);
      const foreign = memberAt(b, `member-end-b-${tag}`);
      await sm.members.insertMany([own, foreign]);
      const end = (id: string) =>
        me().client.post(`/api/staff/members/${id}/end`, {
          reason: '调离本校',
          endDate: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10),
        });

      // when
      const [res, other] = [await end(own._id), await end(foreign._id)];

      // then those who may register staff at the school end it; those who read it are refused;
      // anyone else, and everyone for another tenant's member, is told nothing (404)
      const expected = visible('Staff', own, 'create') ? 200 : visible('Staff', own) ? 403 : 404;
      expect(res.status).toBe(expected);
      expect(other.status).toBe(404);
      expect(await sm.endings.countDocuments({ _id: { $in: [own._id, foreign._id] } })).toBe(
        expected === 200 ? 1 : 0,
      );
    });

    it('should list exactly the bad-record entries the table grants, none of another tenant', async () => {
      const res = await get('/api/staff/bad-records');
      expect(res.status).toBe(200);
      expect(fixtureIds(badRecords, res.body.items)).toEqual(
        expectedIds('StaffRecord', badRecords),
      );
    });

    it('should let keep the bad-record list only where the table grants create', async () => {
      const place = {
        cityId: me().m.scope.cityId,
        ...(me().m.scope.countyId ? { countyId: me().m.scope.countyId } : {}),
      };
      const model = staffModels(h.db.connection).badRecords;
      const before = await model.countDocuments({});
      const idNumber = `41110219800101${String(1000 + n)}`;
      const res = await me().client.post('/api/staff/bad-records', {
        idNumber,
        name: '周某',
        status: 'bad',
      });
      const granted = visible('StaffRecord', place, 'create');
      expect(res.status).toBe(granted ? 200 : 403);
      expect((await model.countDocuments({})) - before).toBe(granted ? 1 : 0);
    });

    // surveys: Survey, SurveyResponse //////////

    it('should list and show exactly the surveys the table grants, with its fields', async () => {
      const [all, foreign, ...answers] = await Promise.all([
        get('/api/surveys?limit=200'),
        get(`/api/surveys?schoolId=${b.school._id}`),
        ...surveys.map((s) => get(`/api/surveys/${s._id}`)),
      ]);
      expect([all!.status, foreign!.status]).toEqual([200, 200]);
      expect(fixtureIds(surveys, all!.body.items)).toEqual(expectedIds('Survey', surveys));
      expect(foreign!.body).toMatchObject({ total: 0, items: [] });
      for (const item of all!.body.items as { id: string }[]) {
        const sv = surveys.find((x) => x._id === item.id);
        if (sv)
          expect({ id: item.id, createdBy: 'createdBy' in item }).toEqual({
            id: item.id,
            createdBy: fieldsOf(role, me(), 'Survey', sv as unknown as Row) === 'all',
          });
      }
      surveys.forEach((s, i) => {
        const res = answers[i]!;
        const fields = fieldsOf(role, me(), 'Survey', s as unknown as Row);
        // a parent who may answer reads the questionnaire
        const answers_ = visible('SurveyResponse', s, 'create');
        expect({ id: s._id, status: res.status }).toEqual({
          id: s._id,
          status: fields || answers_ ? 200 : 404,
        });
        if (fields || answers_)
          expect({ id: s._id, createdBy: 'createdBy' in res.body }).toEqual({
            id: s._id,
            createdBy: fields === 'all',
          });
        if (fields === 'public') {
          const extra = Object.keys(res.body).filter(
            (k) => !(SURVEY_PUBLIC_FIELDS as readonly string[]).includes(k),
          );
          expect({ id: s._id, extra }).toEqual({ id: s._id, extra: [] });
        }
      });
    });

    it('should let open a survey only where the table grants update', async () => {
      const id = `survey-open-${tag}`;
      const row = { ...surveys[0]!, _id: id };
      const res = await me().client.post(`/api/surveys/${id}/open`);
      const after = await surveyModels(h.db.connection).surveys.findById(id).lean();
      const granted = visible('Survey', row, 'update');
      expect(res.status).toBe(granted ? 200 : visible('Survey', row) ? 403 : 404);
      expect(after?.status).toBe(granted ? 'open' : 'draft');
    });

    it("should show a survey's results, the free-text answers only with every field, and totals per school", async () => {
      const [summary, ...results] = await Promise.all([
        get('/api/surveys/summary'),
        ...surveys.map((sv) => get(`/api/surveys/${sv._id}/results`)),
      ]);
      expect(summary!.status).toBe(200);
      const schools = (summary!.body.items as { schoolId: string }[]).map((i) => i.schoolId);
      expect([...new Set(schools)].sort()).toEqual(
        [...new Set(surveys.filter((sv) => visible('Survey', sv)).map((sv) => sv.schoolId))].sort(),
      );
      surveys.forEach((sv, i) => {
        const res = results[i]!;
        const fields = fieldsOf(role, me(), 'Survey', sv as unknown as Row);
        expect({ id: sv._id, status: res.status }).toEqual({
          id: sv._id,
          status: fields ? 200 : 404,
        });
        if (fields)
          expect({ id: sv._id, comments: JSON.stringify(res.body).includes(COMMENT) }).toEqual({
            id: sv._id,
            comments: fields === 'all',
          });
      });
    });

    it('should let answer an open survey only where the table grants creating a response', async () => {
      const sv = surveys[1]!;
      const responses = surveyModels(h.db.connection).responses;
      const before = await responses.countDocuments({ surveyId: sv._id });
      const res = await me().client.post(`/api/surveys/${sv._id}/responses`, {
        answers: [{ questionId: 'q1', rating: 5 }],
      });
      const granted = visible('SurveyResponse', sv, 'create');
      expect(res.status).toBe(granted ? 201 : visible('Survey', sv) ? 403 : 404);
      expect((await responses.countDocuments({ surveyId: sv._id })) - before).toBe(granted ? 1 : 0);
      const foreign = await me().client.post(`/api/surveys/${other(surveys)._id}/responses`, {
        answers: [{ questionId: 'q1', rating: 5 }],
      });
      expect(foreign.status).toBe(404);
    });

    // WeCom: WecomApp //////////

    it("should show exactly the WeCom apps' deliveries the table grants, none of another tenant", async () => {
      const apps = [a, a2, b].flatMap((t) => [
        {
          path: `school/${t.school._id}`,
          row: { cityId: t.cityId, countyId: t.county._id, schoolId: t.school._id },
        },
        { path: `county/${t.county._id}`, row: { cityId: t.cityId, countyId: t.county._id } },
      ]);
      const answers = await Promise.all(
        apps.map((x) => get(`/api/wecom/apps/${x.path}/deliveries`)),
      );
      apps.forEach((x, i) =>
        expect({ app: x.path, status: answers[i]!.status }).toEqual({
          app: x.path,
          status: visible('WecomApp', x.row) ? 200 : 404,
        }),
      );
    });

    it("should let enter a school's WeCom app only where the table grants update", async () => {
      const id = `wecom:school:${a.school._id}`;
      const row = { cityId: a.cityId, countyId: a.county._id, schoolId: a.school._id };
      const model = wecomModels(h.db.connection).apps;
      const before = await model.findById(id).lean();
      const res = await me()
        .client.agent.put(`/api/wecom/apps/school/${a.school._id}`)
        .set(CSRF_HEADER, me().client.csrfToken)
        .send({ corpId: 'ww1234567890abcdef', agentId: 1000002, secret: 'x'.repeat(32) });
      const after = await model.findById(id).lean();
      const granted = visible('WecomApp', row, 'update');
      expect(res.status).toBe(granted ? 200 : 404);
      if (granted) expect(after?.updatedBy).toBe(me().userId);
      else expect(after).toEqual(before);
    });

    // staff administration (/api/users): the delegation table (GRANTS) //////////

    it('should list exactly the staff of the places the caller administers, phones masked', async () => {
      const res = await get('/api/users/staff?limit=200');
      const administers = (GRANTS[role] ?? []).length > 0;
      expect(res.status).toBe(administers ? 200 : 403);
      if (!administers) return;
      const matrix = new Set([...who.values()].map((w) => w.userId));
      const listed = (res.body.items as { id: string }[]).map((i) => i.id);
      const expected = [...who.values()]
        .filter(
          (w) => w.m.role !== 'parent' && w.m.role !== 'worker' && within(w.m.scope, me().m.scope),
        )
        .map((w) => w.userId)
        .sort();
      expect(listed.filter((id) => matrix.has(id)).sort()).toEqual(expected);
      expect(listed).not.toContain(otherStaffId);
      for (const item of res.body.items as { phone?: string }[])
        expect(item.phone ?? '').not.toMatch(/^1\d{10}$/);
    });

    it('should let give a role only where the delegation table allows it', async () => {
      const users = userModels(h.db.connection).users;
      const before = await users.findById(targetId).lean();
      const res = await me().client.post(`/api/users/${targetId}/memberships`, {
        role: 'teacher',
        level: 'school',
        placeId: a.school._id,
      });
      const after = await users.findById(targetId).lean();
      const granted =
        (GRANTS[role] ?? []).includes('teacher') && within(schoolScope(a), me().m.scope);
      expect(res.status).toBe(granted ? 200 : 403);
      if (granted) expect(after?.memberships.map((m) => m.role)).toEqual(['teacher']);
      else expect(after?.memberships).toEqual(before?.memberships);
      const foreign = await me().client.post(`/api/users/${targetId}/memberships`, {
        role: 'teacher',
        level: 'school',
        placeId: b.school._id,
      });
      expect(foreign.status).toBe(403);
    });

    // dashboard //////////

    it('should show the dashboard and its registers to those who read what they count', async () => {
      const reads = (subjects: SubjectName[]) =>
        subjects.every((sub) =>
          AUTHORIZATION_TABLE.some(
            (g) => g.role === role && g.subject === sub && g.action === 'read',
          ),
        );
      const board = reads(['School', 'Application', 'LedgerEntry']);
      const registers = board && reads(['Staff']);
      const [view, exported, annex1, annex2] = await Promise.all([
        get('/api/dashboard'),
        get('/api/dashboard/export/all'),
        get('/api/dashboard/annex/1'),
        get('/api/dashboard/annex/2'),
      ]);
      expect({
        view: view.status,
        exported: exported.status,
        annex1: annex1.status,
        annex2: annex2.status,
      }).toEqual({
        view: board ? 200 : 403,
        exported: board ? 200 : 403,
        annex1: registers ? 200 : 403,
        annex2: registers ? 200 : 403,
      });
      expect(JSON.stringify(view.body)).not.toContain(b.school._id);
      expect(JSON.stringify(view.body)).not.toContain(b.school.name);
    });
  });
});

// helpers //////////

/** True when a membership's place lies inside another's (this file's reading). */
function within(inner: Membership['scope'], outer: Membership['scope']): boolean {
  const ids = ['cityId', 'countyId', 'schoolId', 'gradeId', 'classId'] as const;
  return ids.every((k) => outer[k] === undefined || outer[k] === inner[k]);
}

function grantsOf(role: Role, subject: SubjectName, action: Grant['action']): Grant[] {
  return AUTHORIZATION_TABLE.filter(
    (g) => g.role === role && g.subject === subject && g.action === action,
  );
}

function mayDo(
  role: Role,
  who: Pick<Who, 'userId' | 'm'>,
  subject: SubjectName,
  action: Grant['action'],
  row: Row,
): boolean {
  return grantsOf(role, subject, action).some((g) => reaches(g, who, row));
}

/** The field set a role reads a document with, or undefined when it may not read it. */
function fieldsOf(
  role: Role,
  who: Pick<Who, 'userId' | 'm'>,
  subject: SubjectName,
  row: Row,
): Grant['fields'] | undefined {
  const matching = grantsOf(role, subject, 'read').filter((g) => reaches(g, who, row));
  if (matching.length === 0) return undefined;
  return matching.some((g) => g.fields === 'all') ? 'all' : 'public';
}

/**
 * This file's reading of a grant's reach over the ids a domain document carries (and its
 * further conditions), independent of the ability factory.
 */
function reaches(g: Grant, who: Pick<Who, 'userId' | 'm'>, row: Row): boolean {
  if (g.where && Object.entries(g.where).some(([k, v]) => row[k] !== v)) return false;
  const s = who.m.scope;
  switch (g.reach) {
    case 'guardian':
      return ((row.guardians as { userId?: string }[]) ?? []).some((x) => x.userId === who.userId);
    case 'self':
      return row._id === who.userId;
    case 'school':
      return s.schoolId !== undefined && row.schoolId === s.schoolId;
    case 'scope':
      switch (scopeLevel(s)) {
        case 'city':
          return row.cityId === s.cityId;
        case 'county':
          return row.countyId === s.countyId;
        case 'school':
          return row.schoolId === s.schoolId;
        case 'class':
          // an Incident reaches the classes of all the children involved (`classIds`)
          return (
            row.classId === s.classId ||
            (Array.isArray(row.classIds) && row.classIds.includes(s.classId))
          );
      }
      return false;
    default:
      throw new Error(`no domain subject is granted with reach ${g.reach}`);
  }
}
