import ExcelJS from 'exceljs';
import type { Express } from 'express';
import request from 'supertest';
import type { Role } from '../../server/auth/roles';
import type { Database } from '../../server/db/connection';
import type { Auth } from '../../server/modules/auth';
import { BILLING_COLLECTIONS } from '../../server/modules/billing/billing.model';
import { createDashboard } from '../../server/modules/dashboard';
import { ENROLMENT_COLLECTIONS } from '../../server/modules/enrolment/enrolment.model';
import { ORG_COLLECTIONS, type StudentDoc } from '../../server/modules/org/org.model';
import { SAFETY_COLLECTIONS } from '../../server/modules/safety/safety.model';
import { STAFF_COLLECTIONS } from '../../server/modules/staff/staff.model';
import { buildTestApp, createTestAuth } from '../fixtures/app';
import {
  buildOrgTree,
  buildStudent,
  buildUser,
  classScope,
  type OrgTree,
  schoolScope,
  signIn,
  type SignedInClient,
} from '../fixtures/identity';

/**
 * The bureau dashboard over real documents of every slice it counts: a county bureau sees its
 * county, the city bureau its city; its tables and the annex registers export as workbooks
 * that open in Excel with the rows shown.
 */
describe('bureau dashboard', () => {
  let app: Express;
  let db: Database;
  let auth: Auth;
  let close: () => Promise<void>;
  const stamp = Date.now().toString(36);
  const cityA = `city-d-${stamp}`;
  let a1: OrgTree; // city A, county 1: the school with everything
  let a2: OrgTree; // city A, county 2: one application, no plan
  let b: OrgTree; // another city
  const clients = new Map<string, SignedInClient>();
  const client = (name: string) => clients.get(name)!;

  async function as(name: string, role: Role, scope: object, displayName?: string) {
    const input = buildUser({
      kind: role === 'parent' ? 'parent' : 'staff',
      memberships: [{ role, scope: scope as never }],
      ...(displayName ? { displayName } : {}),
    });
    await auth.service.users.create(input);
    clients.set(name, await signIn(app, { phone: input.phone!, password: input.password }));
    return input;
  }

  beforeAll(async () => {
    ({ app, db, close } = await buildTestApp({
      mounts: async (database, logger) => {
        auth = await createTestAuth(database, logger);
        const dashboard = await createDashboard({
          db: database,
          requireSession: auth.requireSession,
        });
        return [
          { path: '/api/auth', router: auth.router },
          { path: '/api/dashboard', router: dashboard.router },
        ];
      },
    }));
    a1 = buildOrgTree({ cityId: cityA });
    a2 = buildOrgTree({ cityId: cityA });
    b = buildOrgTree({ cityId: `city-e-${stamp}` });
    a1.county.name = '甲区';
    a1.school.name = '甲区第一小学';
    a2.county.name = '乙区';
    a2.school.name = '乙区第二小学';
    await seed();
    await as('county', 'countyBureau', { cityId: cityA, countyId: a1.county._id }, '甲区局管理员');
    await as('city', 'cityBureau', { cityId: cityA });
    await as('admin', 'schoolAdmin', schoolScope(a1), '甲校管理员');
    await as('teacher', 'classTeacher', classScope(a1));
    await as('parent', 'parent', classScope(a1));
    await as('adminB', 'schoolAdmin', schoolScope(b));
  });

  afterAll(async () => {
    await close();
  });

  it('should need a session, and refuse parents and class teachers', async () => {
    // when
    const anonymous = await request(app).get('/api/dashboard');
    const parent = await client('parent').agent.get('/api/dashboard');
    const teacher = await client('teacher').agent.get('/api/dashboard/export/all');
    const annex = await client('teacher').agent.get('/api/dashboard/annex/2');

    // then
    expect(anonymous.status).toBe(401);
    expect([parent.status, teacher.status, annex.status]).toEqual([403, 403, 403]);
    expect(parent.body.code).toBe('DASHBOARD_FORBIDDEN');
  });

  it("should show a county bureau its county's school with every figure, and no other county", async () => {
    // when
    const res = await client('county').agent.get('/api/dashboard');

    // then
    expect(res.status).toBe(200);
    expect(res.body.term).toBe('2026-autumn');
    expect(res.body.rows.map((r: Row) => [r.level, r.schoolName])).toEqual([
      ['school', '甲区第一小学'],
      ['county', '县区合计'],
    ]);
    expect(res.body.rows[0]).toMatchObject({
      countyName: '甲区',
      applications: { enrolled: 2, placed: 1, waiting: 1, withdrawn: 1 },
      applicationsTotal: 5,
      students: 5,
      participants: 3,
      participationRate: 0.6,
      priorityApplied: 2,
      priorityPlaced: 1,
      priorityShare: 0.5,
      billCount: 3,
      billedFen: 16000,
      paidCount: 1,
      paidFen: 8000,
      waivedCount: 1,
      outstandingFen: 8000,
      spending: { 'staff-allowance': 5000, consumables: 1200 },
      spendingFen: 6200,
      incidents: { minor: 1, serious: 1 },
      incidentsTotal: 2,
      plan: { status: 'filed', filingNo: 'YH-2026-001' },
      plansFiled: 1,
      plansMissing: 0,
    });
    expect(JSON.stringify(res.body)).not.toContain('stu-t');
  });

  it('should show the city bureau both counties with their totals and the city total, not another city', async () => {
    // when
    const res = await client('city').agent.get('/api/dashboard');

    // then
    expect(res.status).toBe(200);
    const rows = res.body.rows as Row[];
    expect(rows.map((r) => [r.level, r.countyName, r.schoolName])).toEqual([
      ['school', '甲区', '甲区第一小学'],
      ['county', '甲区', '县区合计'],
      ['school', '乙区', '乙区第二小学'],
      ['county', '乙区', '县区合计'],
      ['city', '全市', '全市合计'],
    ]);
    expect(rows[2]).toMatchObject({
      applications: { submitted: 1 },
      plan: { status: 'missing', filingNo: null },
      plansMissing: 1,
    });
    expect(rows[4]).toMatchObject({ applicationsTotal: 6, plansFiled: 1, plansMissing: 1 });
    const plans = (res.body.tables as Table[]).find((t) => t.key === 'plans')!;
    expect(plans.rows[2]!.cells).toEqual(['乙区', '乙区第二小学', '2026-autumn', '缺失', '', 0, 1]);
  });

  it('should narrow to one county on request, and show a school admin only their school', async () => {
    // when
    const county = await client('city').agent.get(`/api/dashboard?countyId=${a2.county._id}`);
    const admin = await client('admin').agent.get('/api/dashboard');
    const adminB = await client('adminB').agent.get('/api/dashboard');

    // then
    expect(county.body.rows.map((r: Row) => r.schoolName)).toEqual(['乙区第二小学', '县区合计']);
    expect(admin.body.rows.map((r: Row) => r.schoolName)).toEqual(['甲区第一小学', '县区合计']);
    expect(adminB.body.rows[0]).toMatchObject({ schoolName: b.school.name, applicationsTotal: 0 });
  });

  it('should export a table as a workbook that opens with the rows shown', async () => {
    // when
    const res = await binary(client('city').agent.get('/api/dashboard/export/applications'));

    // then
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.headers['content-disposition']).toContain(encodeURIComponent('报名申请状态'));
    const wb = await open(res.body as Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['报名申请状态']);
    const rows = values(wb.worksheets[0]!);
    expect(rows[0]).toEqual(['报名申请状态']);
    expect(rows[2]).toEqual([
      '县区',
      '学校',
      '审核中',
      '已安排',
      '候补中',
      '已录取',
      '未受理',
      '未通过',
      '已撤回',
      '处理失败',
      '申请合计',
    ]);
    expect(rows.slice(3)).toEqual([
      ['甲区', '甲区第一小学', 0, 1, 1, 2, 0, 0, 1, 0, 5],
      ['甲区', '县区合计', 0, 1, 1, 2, 0, 0, 1, 0, 5],
      ['乙区', '乙区第二小学', 1, 0, 0, 0, 0, 0, 0, 0, 1],
      ['乙区', '县区合计', 1, 0, 0, 0, 0, 0, 0, 0, 1],
      ['全市', '全市合计', 1, 1, 1, 2, 0, 0, 1, 0, 6],
    ]);
  });

  it('should export every table as one workbook, fees in yuan and shares as percentages', async () => {
    // when
    const res = await binary(client('county').agent.get('/api/dashboard/export/all'));

    // then
    expect(res.status).toBe(200);
    const wb = await open(res.body as Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      '报名申请状态',
      '参与率与优先保障群体安排',
      '课后服务费收缴',
      '专项经费支出（按类别）',
      '安全事故（按严重程度）',
      '一校一案备案',
    ]);
    const fees = values(wb.getWorksheet('课后服务费收缴')!);
    expect(fees[3]).toEqual(['甲区', '甲区第一小学', 3, 160, 1, 80, 1, 80, 0]);
    const participation = wb.getWorksheet('参与率与优先保障群体安排')!;
    expect(participation.getRow(4).getCell(5).value).toBe(0.6);
    expect(participation.getRow(4).getCell(5).numFmt).toBe('0.0%');
    const spending = values(wb.getWorksheet('专项经费支出（按类别）')!);
    expect(spending[2]).toContain('参与课后服务人员补助（元）');
    expect(spending[3]).toEqual(['甲区', '甲区第一小学', 50, 12, 0, 0, 0, 62]);
  });

  it("should export Annex 1 with the county's and its schools' platform administrators", async () => {
    // when
    const res = await binary(client('county').agent.get('/api/dashboard/annex/1'));

    // then
    expect(res.status).toBe(200);
    const rows = values((await open(res.body as Buffer)).worksheets[0]!);
    expect(rows[0]).toEqual(['企业微信平台管理员信息表']);
    expect(rows[1]).toEqual(['序号', '县区', '单位全称', '管理员姓名', '职务', '手机号']);
    expect(rows.slice(2).map((r) => r.slice(0, 5))).toEqual([
      [1, '甲区', '甲区教育局', '甲区局管理员', '县区教育局平台管理员'],
      [2, '甲区', '甲区第一小学', '甲校管理员', '学校平台管理员'],
    ]);
    expect(rows[3]![5]).toMatch(/^1\d{10}$/);
  });

  it("should export Annex 2 with the serving teachers of the caller's schools, not those whose registration ended", async () => {
    // when
    const county = await binary(client('county').agent.get('/api/dashboard/annex/2'));
    const city = await binary(client('city').agent.get('/api/dashboard/annex/2'));

    // then
    const rows = values((await open(county.body as Buffer)).worksheets[0]!);
    expect(rows[0]).toEqual(['学校教师信息登记表']);
    expect(rows[1]).toEqual(['学校全称', '姓名', '性别', '部门', '手机号']);
    expect(rows.slice(2)).toEqual([
      ['甲区第一小学', '李老师', '女', '教导处', '13800001002'],
      ['甲区第一小学', '王老师', '男', '政教处', '13800001001'],
    ]);
    const cityRows = values((await open(city.body as Buffer)).worksheets[0]!);
    expect(cityRows.slice(2).map((r) => r[1])).toEqual(['李老师', '王老师', '赵老师']);
  });

  // helpers //////////

  async function seed() {
    const c = (name: string) => db.connection.collection(name);
    await c(ORG_COLLECTIONS.counties).insertMany([a1.county, a2.county, b.county] as never[]);
    await c(ORG_COLLECTIONS.schools).insertMany([a1.school, a2.school, b.school] as never[]);
    const priority = {
      disabled: true,
      leftBehind: false,
      migrantWorkerChild: false,
      financialDifficulty: false,
    };
    const students: StudentDoc[] = [
      buildStudent(a1, { priorityGroups: priority }),
      buildStudent(a1, { priorityGroups: { ...priority, disabled: false, leftBehind: true } }),
      buildStudent(a1),
      buildStudent(a1),
      buildStudent(a1),
      buildStudent(a1, { enrolled: false }),
      buildStudent(a2),
    ];
    await c(ORG_COLLECTIONS.students).insertMany(students as never[]);
    const [p1, p2, s3, s4, s5, , s7] = students;
    const application = (tree: OrgTree, s: StudentDoc, status: string, term = '2026-autumn') => ({
      _id: `app-${s._id}-${status}-${term}`,
      ...classScope(tree),
      studentId: s._id,
      studentName: s.name,
      applicantUserId: 'u-x',
      guardians: [],
      planId: `plan-${tree.school._id}`,
      term,
      sessionId: 'S1',
      weekdays: [1, 2, 3],
      midday: false,
      pickup: { name: '家长', relation: '母亲', phone: '13900000000' },
      insurance: { insurer: '保险', policyNo: 'P1', validUntil: '2027-08-31' },
      status,
      submittedAt: new Date(),
      updatedAt: new Date(),
    });
    await c(ENROLMENT_COLLECTIONS.applications).insertMany([
      application(a1, p1!, 'enrolled'),
      application(a1, p2!, 'waiting'),
      application(a1, s3!, 'enrolled'),
      application(a1, s4!, 'placed'),
      application(a1, s5!, 'withdrawn'),
      application(a1, s3!, 'enrolled', '2026-spring'), // another term: not counted
      application(a2, s7!, 'submitted'),
    ] as never[]);
    await c(ENROLMENT_COLLECTIONS.plans).insertMany([
      {
        _id: `plan-${a1.school._id}`,
        ...schoolScope(a1),
        term: '2026-autumn',
        termStart: '2026-09-01',
        termEnd: '2027-01-22',
        status: 'published',
        sessions: [],
        feeStandardFen: 8000,
        filing: { filingNo: 'YH-2026-001', publishedAt: '2026-08-25' },
      },
      {
        _id: `plan-${a2.school._id}-old`,
        ...schoolScope(a2),
        term: '2026-spring',
        termStart: '2026-02-20',
        termEnd: '2026-07-01',
        status: 'filed',
        sessions: [],
        feeStandardFen: 8000,
      },
    ] as never[]);
    const bill = (s: StudentDoc, status: string, amountFen: number, extra: object = {}) => ({
      _id: `bill:app-${s._id}:2026-09`,
      ...classScope(a1),
      studentId: s._id,
      studentName: s.name,
      applicationId: `app-${s._id}`,
      planId: `plan-${a1.school._id}`,
      guardians: [],
      month: '2026-09',
      billingRunKey: `${a1.school._id}:2026-09`,
      lines: [],
      amountFen,
      serviceDays: [],
      schoolDaysInMonth: 20,
      applied: [],
      notCharged: [],
      status,
      createdAt: new Date(),
      updatedAt: new Date(),
      ...extra,
    });
    await c(BILLING_COLLECTIONS.bills).insertMany([
      bill(p1!, 'waived', 0),
      bill(s3!, 'paid', 8000, { paidFen: 8000 }),
      bill(s4!, 'open', 8000),
    ] as never[]);
    const entry = (
      id: string,
      direction: string,
      category: string,
      amountFen: number,
      date: string,
    ) => ({
      _id: id,
      ...schoolScope(a1),
      month: date.slice(0, 7),
      date,
      direction,
      category,
      amountFen,
      by: 'u-admin',
      at: new Date(),
    });
    await c(BILLING_COLLECTIONS.ledger).insertMany([
      entry(`pay:bill:app-${s3!._id}:2026-09`, 'in', 'fee-payment', 8000, '2026-09-05'),
      entry('spend:1', 'out', 'staff-allowance', 5000, '2026-09-30'),
      entry('spend:2', 'out', 'consumables', 1200, '2026-10-08'),
      entry('spend:3', 'out', 'consumables', 999, '2026-05-08'), // before the term
    ] as never[]);
    const incident = (id: string, tree: OrgTree, severity: string, occurredAt: string) => ({
      _id: id,
      ...schoolScope(tree),
      classId: tree.class._id,
      guardians: [],
      involvedStudents: [],
      occurredAt,
      location: '操场',
      description: '摔倒',
      injured: false,
      severity,
      reporterPhone: '13800000000',
      reportedBy: 'u-t',
      reportedAt: new Date(),
    });
    await c(SAFETY_COLLECTIONS.incidents).insertMany([
      incident(`inc-1-${stamp}`, a1, 'minor', '2026-09-10T17:00:00+08:00'),
      incident(`inc-2-${stamp}`, a1, 'serious', '2026-10-10T17:00:00+08:00'),
      incident(`inc-3-${stamp}`, b, 'critical', '2026-10-10T17:00:00+08:00'),
    ] as never[]);
    const member = (
      tree: OrgTree,
      name: string,
      gender: string,
      department: string,
      mobile: string,
    ) => ({
      _id: `staff-${mobile}`,
      ...schoolScope(tree),
      schoolFullName: tree.school.name,
      name,
      gender,
      department,
      mobile,
      employment: 'in-service',
      registrationId: `reg-${mobile}`,
      recordCheck: 'clear',
      registeredAt: new Date(),
    });
    await c(STAFF_COLLECTIONS.members).insertMany([
      member(a1, '王老师', 'male', '政教处', '13800001001'),
      member(a1, '李老师', 'female', '教导处', '13800001002'),
      member(a2, '赵老师', 'female', '教导处', '13800001003'),
      member(b, '钱老师', 'male', '教导处', '13800001004'),
      // registrations the school ended: one fully recorded, one whose ending the member
      // record has not been told of yet (the ending is the truth)
      {
        ...member(a1, '孙老师', 'male', '教导处', '13800001005'),
        endedAt: new Date(),
        endDate: '2026-11-20',
        endReason: '调离本校',
        endedBy: 'u-admin',
      },
      member(a1, '周老师', 'female', '政教处', '13800001006'),
    ] as never[]);
    const ending = (tree: OrgTree, mobile: string) => ({
      _id: `staff-${mobile}`,
      registrationId: `reg-${mobile}`,
      ...schoolScope(tree),
      endDate: '2026-11-20',
      reason: '调离本校',
      endedBy: 'u-admin',
      endedAt: new Date(),
    });
    await c(STAFF_COLLECTIONS.endings).insertMany([
      ending(a1, '13800001005'),
      ending(a1, '13800001006'),
    ] as never[]);
  }
});

interface Row {
  level: string;
  countyName: string;
  schoolName: string;
}

interface Table {
  key: string;
  rows: { cells: unknown[] }[];
}

/** Collects a binary body (supertest buffers only text and JSON by default). */
function binary(req: request.Test): request.Test {
  return req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

async function open(body: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as never);
  return wb;
}

/** A worksheet's rows as arrays of plain values (ExcelJS rows are 1-based). */
function values(ws: ExcelJS.Worksheet): unknown[][] {
  const rows: unknown[][] = [];
  ws.eachRow({ includeEmpty: true }, (row) => {
    rows.push((row.values as unknown[]).slice(1));
  });
  return rows;
}
