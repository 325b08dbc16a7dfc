import request from 'supertest';
import { eventually } from '../fixtures/engine';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import {
  buildStudent,
  classScope,
  schoolScope,
  signIn,
  type OrgTree,
  type SignedInClient,
} from '../fixtures/identity';
import { enrolmentModels, type PlanDoc } from '../../server/modules/enrolment/enrolment.model';
import { orgModels, type StudentDoc } from '../../server/modules/org/org.model';
import { billingModels } from '../../server/modules/billing/billing.model';
import { monthBounds, shanghaiDate } from '../../server/rules/dates';
import { prorateFen } from '../../server/rules/fees';

/**
 * Monthly billing end to end: the `monthly-billing` template on the real engine, the real job
 * workers (list-schools, create-bills, create-payment-order, record-ledger, notify,
 * mark-bills-overdue, refund-fee) and the API, on this file's database. Three months of the
 * autumn term 2026 (September, October with the National Day week, November) for a school
 * whose committee consented to charging the midday service and one whose committee did not;
 * a withdrawal after payment refunded pro rata through the enrolment process.
 */

type Bill = {
  id: string;
  studentId: string;
  month: string;
  status: string;
  amountFen: number;
  lines: { item: string; fen: number; days: number }[];
  serviceDays: string[];
  applied: { rule: string }[];
  notCharged: { rule: string; clause: string }[];
  withdrawal?: { withdrawnOn: string; keptFen: number; refundFen: number };
  paidFen?: number;
};

describe('monthly billing end to end (engine, workers, API, real database)', () => {
  let h: DomainHarness;
  let a: OrgTree;
  let b: OrgTree;
  let parent: SignedInClient;
  let poorParent: SignedInClient;
  let adminA: SignedInClient;
  let adminB: SignedInClient;
  let countyA: SignedInClient;
  let city: SignedInClient;
  let normal: StudentDoc;
  let poor: StudentDoc;
  let middayA: StudentDoc;
  let middayB: StudentDoc;

  beforeAll(async () => {
    h = await startDomainHarness();
    a = await h.createOrgTree();
    b = await h.createOrgTree();
    const planA = await h.createPlan(a, { middayMinutes: 60, middayFeeConsent: true });
    const planB = await h.createPlan(b, { middayMinutes: 60, middayFeeConsent: false });

    const p = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(a) }],
    });
    const pp = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(a) }],
    });
    const pb = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(b) }],
    });
    parent = await signIn(h.app, { phone: p.phone!, password: p.password });
    poorParent = await signIn(h.app, { phone: pp.phone!, password: pp.password });
    adminA = await staff({ role: 'schoolAdmin', scope: schoolScope(a) });
    adminB = await staff({ role: 'schoolAdmin', scope: schoolScope(b) });
    countyA = await staff({
      role: 'countyBureau',
      scope: { cityId: a.cityId, countyId: a.county._id },
    });
    city = await staff({ role: 'cityBureau', scope: { cityId: a.cityId } });

    const guardian = (userId: string) => [
      { userId, relation: 'mother' as const, name: '张丽', phone: '13900000001' },
    ];
    normal = await student(a, { guardians: guardian(p._id) });
    poor = await student(a, { guardians: guardian(pp._id), povertyRegistered: true });
    middayA = await student(a, { guardians: guardian(p._id) });
    middayB = await student(b, { guardians: guardian(pb._id) });
    // enrolled before the term: every month is billed from the term's first day
    await enrolled(planA, normal, { weekdays: [1, 3, 5], midday: false });
    await enrolled(planA, poor, { weekdays: [1, 2, 3, 4, 5], midday: true });
    await enrolled(planA, middayA, { weekdays: [1, 2, 3, 4, 5], midday: true });
    await enrolled(planB, middayB, { weekdays: [1, 2, 3, 4, 5], midday: true });
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  // helpers //////////

  async function staff(m: {
    role: 'schoolAdmin' | 'countyBureau' | 'cityBureau' | 'principal' | 'classTeacher';
    scope: ReturnType<typeof schoolScope>;
  }) {
    const u = await h.createUser({ memberships: [m] });
    return signIn(h.app, { phone: u.phone!, password: u.password });
  }

  async function student(tree: OrgTree, overrides: Partial<StudentDoc>) {
    const s = buildStudent(tree, overrides);
    await orgModels(h.db.connection).students.create(s);
    return s;
  }

  /** An application enrolled on 2026-08-28 (as the enrolment process leaves it). */
  async function enrolled(
    plan: PlanDoc,
    s: StudentDoc,
    choice: { weekdays: number[]; midday: boolean },
  ) {
    const m = enrolmentModels(h.db.connection);
    const id = `app-${s._id}`;
    const at = new Date('2026-08-28T02:00:00Z');
    await m.applications.create({
      _id: id,
      cityId: s.cityId,
      countyId: s.countyId,
      schoolId: s.schoolId,
      gradeId: s.gradeId,
      classId: s.classId,
      studentId: s._id,
      studentName: s.name,
      applicantUserId: s.guardians[0]!.userId!,
      guardians: [{ userId: s.guardians[0]!.userId! }],
      planId: plan._id,
      term: plan.term,
      sessionId: 'S1',
      ...choice,
      pickup: { name: '张丽', relation: '母亲', phone: '13900000001' },
      insurance: { insurer: '中国人寿', policyNo: 'P-1', validUntil: '2027-06-30' },
      status: 'enrolled',
      submittedAt: at,
      updatedAt: at,
    });
    await m.events.create({
      _id: `${id}:fee`,
      applicationId: id,
      step: 'assess-fee',
      status: 'enrolled',
      at,
      by: 'test',
    });
    return id;
  }

  async function billsOf(client: SignedInClient, query: string): Promise<Bill[]> {
    const res = await client.agent.get(`/api/billing/bills?limit=200&${query}`);
    expect(res.status).toBe(200);
    return res.body.items as Bill[];
  }

  const billOf = (bills: Bill[], s: StudentDoc) => bills.find((x) => x.studentId === s._id)!;

  /** Requests the run and waits until each school's bills of the month exist. */
  async function requestRun(month: string, schools: OrgTree[], counts: number[], maxReminders = 1) {
    const res = await city.post('/api/billing/runs', {
      month,
      schoolIds: schools.map((t) => t.school._id),
      reminderInterval: 'PT2S',
      maxReminders,
    });
    expect(res.status).toBe(202);
    const admins = [adminA, adminB];
    for (const [i, tree] of schools.entries()) {
      const admin = tree === a ? admins[0]! : admins[1]!;
      await eventually(
        async () => {
          const bills = await billsOf(admin, `month=${month}&schoolId=${tree.school._id}`);
          return bills.length === counts[i] ? bills : undefined;
        },
        30_000,
        `${month} bills of ${tree.school._id}`,
      );
    }
  }

  /** Pays each open bill in cash, as the school's admin records it. */
  async function payAll(admin: SignedInClient, bills: Bill[]) {
    for (const bill of bills.filter((x) => x.status === 'open' || x.status === 'overdue')) {
      const res = await admin.post(`/api/billing/bills/${encodeURIComponent(bill.id)}/pay`, {
        paidFen: bill.amountFen,
        receiptNo: `R-${bill.id.slice(-12)}`,
      });
      expect(res.status).toBe(200);
    }
  }

  /** Waits until the run of `month` has ended. */
  async function runEnded(month: string) {
    return eventually(
      async () => {
        const docs = await h.engine.collections.instances
          .find({ bpmnProcessId: 'monthly-billing' })
          .toArray();
        const run = docs.find((d) => d.s.includes(`"billingMonth":"${month}"`));
        return run?.state === 'COMPLETED' ? run : undefined;
      },
      60_000,
      `the billing run of ${month} to end`,
    );
  }

  // tests //////////

  it('should bill three months of the autumn term by the rule book, collect, remind, mark overdue and keep the earmarked ledger', async () => {
    const expected: Record<string, { normal: number; days: number; mwf: number }> = {
      '2026-09': { normal: 4364, days: 22, mwf: 12 },
      // the National Day week: 18 school days (10-10, a make-up Saturday, counts for full weeks)
      '2026-10': { normal: 4444, days: 18, mwf: 10 },
      '2026-11': { normal: 4952, days: 21, mwf: 13 },
    };
    for (const month of Object.keys(expected)) {
      // given the month's run requested by the city bureau
      await requestRun(month, [a, b], [3, 1]);
      const billsA = await billsOf(adminA, `month=${month}&schoolId=${a.school._id}`);
      const billsB = await billsOf(adminB, `month=${month}&schoolId=${b.school._id}`);

      // when the families pay (in October the Monday-Wednesday-Friday child's family does not)
      await payAll(
        adminA,
        month === '2026-10' ? billsA.filter((x) => x.studentId !== normal._id) : billsA,
      );
      await payAll(adminB, billsB);
      await runEnded(month);

      // then each bill follows the rule book (FEE-CAP prorated, FEE-FREE-POOR, FEE-PRORATE)
      const e = expected[month]!;
      const n = billOf(billsA, normal);
      expect(n).toMatchObject({ amountFen: e.normal, schoolDaysInMonth: e.days });
      expect(n.serviceDays).toHaveLength(e.mwf);
      expect(n.applied.map((c) => c.rule)).toEqual(['FEE-CAP']);
      const free = billOf(billsA, poor);
      expect(free).toMatchObject({ status: 'waived', amountFen: 0 });
      expect(free.lines.map((l) => [l.item, l.fen])).toEqual([
        ['after-school', 0],
        ['midday', 0],
      ]);
      expect(free.applied.map((c) => c.rule)).toContain('FEE-FREE-POOR');
      const consented = billOf(billsA, middayA);
      expect(consented.lines.map((l) => [l.item, l.fen, l.days])).toEqual([
        ['after-school', 8000, e.days],
        ['midday', 4000, e.days],
      ]);
      expect(consented.applied.map((c) => c.rule)).toEqual(['FEE-PRORATE']);
      const noConsent = billOf(billsB, middayB);
      expect(noConsent.amountFen).toBe(8000);
      expect(noConsent.lines.map((l) => [l.item, l.fen])).toEqual([
        ['after-school', 8000],
        ['midday', 0],
      ]);
      expect(noConsent.notCharged).toEqual([
        expect.objectContaining({ rule: 'FEE-PRORATE', clause: '四(二)' }),
      ]);

      const after = await billsOf(adminA, `month=${month}&schoolId=${a.school._id}`);
      expect(billOf(after, middayA).status).toBe('paid');
      expect(billOf(after, normal).status).toBe(month === '2026-10' ? 'overdue' : 'paid');
      expect((await billsOf(adminB, `month=${month}`)).map((x) => x.status)).toEqual(['paid']);
    }

    // and every payment is income in the school's earmarked ledger, month by month
    const balances = await adminA.agent.get(
      `/api/billing/ledger/balances?schoolId=${a.school._id}`,
    );
    expect(
      balances.body.items.map((r: { month: string; incomeFen: number; balanceFen: number }) => [
        r.month,
        r.incomeFen,
        r.balanceFen,
      ]),
    ).toEqual([
      ['2026-09', 4364 + 12000, 16364],
      ['2026-10', 12000, 28364],
      ['2026-11', 4952 + 12000, 45316],
    ]);

    // and the October family was reminded, then told the bill is overdue, as was the school
    const notes = await parent.agent.get('/api/notifications?limit=100');
    const templates = (notes.body.items as { template: string; body: string }[]).map(
      (x) => x.template,
    );
    expect(templates).toEqual(expect.arrayContaining(['bill-reminder', 'bill-overdue']));
    expect(
      (notes.body.items as { template: string; body: string }[]).find(
        (x) => x.template === 'bill-overdue',
      )!.body,
    ).toContain('2026-10');
    const school = await adminA.agent.get('/api/notifications?limit=100');
    expect((school.body.items as { template: string }[]).map((x) => x.template)).toContain(
      'bill-overdue',
    );

    // and a family sees only its own children's bills; the poor household its waived ones
    const own = await billsOf(parent, '');
    expect(new Set(own.map((x) => x.studentId))).toEqual(new Set([normal._id, middayA._id]));
    expect((await billsOf(poorParent, '')).map((x) => x.status)).toEqual([
      'waived',
      'waived',
      'waived',
    ]);
    const foreign = await parent.agent.get(
      `/api/billing/bills/${encodeURIComponent(billOf(own, normal).id.replace(normal._id, middayB._id))}`,
    );
    expect(foreign.status).toBe(404);

    // and the county bureau sees its school's totals, not another county's, and no child's bill
    const summary = await countyA.agent.get('/api/billing/summary');
    expect(
      summary.body.items.map(
        (r: {
          schoolId: string;
          month: string;
          paidFen: number;
          waivedCount: number;
          overdueCount: number;
        }) => [r.schoolId, r.month, r.paidFen, r.waivedCount, r.overdueCount],
      ),
    ).toEqual([
      [a.school._id, '2026-09', 16364, 1, 0],
      [a.school._id, '2026-10', 12000, 1, 1],
      [a.school._id, '2026-11', 16952, 1, 0],
    ]);
    expect((await countyA.agent.get('/api/billing/bills')).body).toEqual({ items: [], total: 0 });

    // and a run delivered again bills nobody twice
    await requestRun('2026-11', [a], [3]);
    await eventually(
      async () => {
        const docs = await h.engine.collections.instances
          .find({ bpmnProcessId: 'monthly-billing', state: 'ACTIVE' })
          .toArray();
        return docs.length === 0 ? true : undefined;
      },
      60_000,
      'the repeated run to end',
    );
    expect(
      await billingModels(h.db.connection).bills.countDocuments({ schoolId: a.school._id }),
    ).toBe(9);
  }, 300_000);

  it('should refund the unserved days pro rata when a family withdraws after paying', async () => {
    // given a school whose term runs through this month, and a child enrolled through the
    // enrolment process (its enrolment dated back to the term's first day)
    const month = shanghaiDate(new Date()).slice(0, 7);
    const c = await h.createOrgTree();
    await h.createPlan(c, {
      termStart: monthBounds(month).first,
      termEnd: '2027-06-30',
      middayMinutes: 0,
      middayFeeConsent: false,
    });
    const pu = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(c) }],
    });
    const family = await signIn(h.app, { phone: pu.phone!, password: pu.password });
    const teacher = await staff({ role: 'classTeacher', scope: classScope(c) });
    const admin = await staff({ role: 'schoolAdmin', scope: schoolScope(c) });
    const kid = await student(c, {
      guardians: [{ userId: pu._id, relation: 'father', name: '李强', phone: '13900000002' }],
    });
    const applied = await family.post('/api/enrolment/applications', {
      studentId: kid._id,
      sessionId: 'S1',
      weekdays: [1, 2, 3, 4, 5],
      midday: false,
      pickup: { name: '李强', relation: '父亲', phone: '13900000002' },
      insurance: { insurer: '中国人寿', policyNo: 'P-2026-009', validUntil: '2027-12-31' },
      consent: true,
    });
    expect(applied.status).toBe(201);
    const applicationId = applied.body.id as string;
    for (const [client, elementId] of [
      [teacher, 'ClassReview'],
      [admin, 'SchoolApproval'],
    ] as const) {
      const task = await eventually(
        async () => {
          const list = await client.agent.get('/api/tasks?view=groups&size=100');
          return (
            list.body.items as { key: string; elementId: string; processInstanceKey: string }[]
          ).find(
            (t) => t.elementId === elementId && t.processInstanceKey === applied.body.instanceKey,
          );
        },
        30_000,
        `${elementId} task`,
      );
      expect(
        (
          await client.post(`/api/tasks/${task.key}/complete`, {
            variables: { decision: 'approve' },
          })
        ).status,
      ).toBe(204);
    }
    await eventually(
      async () => {
        const res = await family.agent.get(`/api/enrolment/applications/${applicationId}`);
        return res.body.status === 'enrolled' ? true : undefined;
      },
      30_000,
      'enrolled',
    );
    await enrolmentModels(h.db.connection).events.updateMany(
      { applicationId, status: 'enrolled' },
      { $set: { at: new Date(`${monthBounds(month).first}T00:00:00+08:00`) } },
    );
    await city.post('/api/billing/runs', {
      month,
      schoolIds: [c.school._id],
      reminderInterval: 'PT2S',
      maxReminders: 1,
    });
    const [bill] = await eventually(
      async () => {
        const bills = await billsOf(admin, `applicationId=${applicationId}`);
        return bills.length ? bills : undefined;
      },
      30_000,
      'the bill',
    );
    await payAll(admin, [bill!]);

    // when the family withdraws
    const withdrawn = await family.post(`/api/enrolment/applications/${applicationId}/withdraw`);
    expect(withdrawn.status).toBe(200);

    // then the days from today on are refunded, the days before kept, pro rata as billed
    const after = await eventually(
      async () => {
        const [x] = await billsOf(family, `applicationId=${applicationId}`);
        return x?.withdrawal ? x : undefined;
      },
      30_000,
      'the refund',
    );
    const today = shanghaiDate(new Date());
    const served = bill!.serviceDays.filter((d) => d < after.withdrawal!.withdrawnOn).length;
    expect([today, shanghaiDate(new Date(Date.now() - 60_000))]).toContain(
      after.withdrawal!.withdrawnOn,
    );
    const kept = prorateFen(bill!.amountFen, served, bill!.serviceDays.length);
    expect(after.withdrawal).toEqual({
      withdrawnOn: after.withdrawal!.withdrawnOn,
      keptFen: kept,
      refundFen: bill!.amountFen - kept,
      servedDays: served,
      remainingDays: bill!.serviceDays.length - served,
    });
    expect(after).toMatchObject({ status: 'paid', paidFen: bill!.amountFen });
    // and the refund leaves the earmarked ledger, and the enrolment records it
    const ledger = await admin.agent.get(`/api/billing/ledger/entries?schoolId=${c.school._id}`);
    const out = (ledger.body.items as { category: string; amountFen: number }[]).filter(
      (x) => x.category === 'fee-refund',
    );
    expect(out.map((x) => x.amountFen)).toEqual(
      after.withdrawal!.refundFen > 0 ? [after.withdrawal!.refundFen] : [],
    );
    const timeline = await family.agent.get(`/api/enrolment/applications/${applicationId}`);
    expect((timeline.body.timeline as { step: string }[]).map((x) => x.step)).toContain(
      'refund-fee',
    );
  }, 180_000);

  it('should refuse spending outside the four earmarked categories, naming FEE-EARMARK', async () => {
    // when
    const banquet = await adminA.post('/api/billing/ledger/entries', {
      schoolId: a.school._id,
      date: '2026-11-20',
      category: 'hospitality',
      amountFen: 50000,
      description: '招待费',
    });
    const allowance = await adminA.post('/api/billing/ledger/entries', {
      schoolId: a.school._id,
      date: '2026-11-20',
      category: 'staff-allowance',
      amountFen: 30000,
      description: '11月课后服务教师补助',
    });

    // then
    expect(banquet.status).toBe(422);
    expect(banquet.body.rules).toEqual([
      expect.objectContaining({ rule: 'FEE-EARMARK', clause: '四(二)' }),
    ]);
    expect(banquet.body.detail).toContain('FEE-EARMARK (漯教〔2021〕64号');
    expect(allowance.status).toBe(201);
    expect(allowance.body).toMatchObject({
      direction: 'out',
      categoryName: '参与课后服务人员补助',
    });
  });

  it('should keep a paid bill paid when marking the run overdue wrote over its payment', async () => {
    // given September's paid bill of the ordinary child, and an overdue marking that wrote
    // over the payment (the lost update FerretDB 1.24 allows between concurrent writers)
    const worker = await h.createUser({
      kind: 'service',
      memberships: [{ role: 'worker', scope: { cityId: a.cityId } }],
    });
    const paid = billOf(await billsOf(adminA, `month=2026-09&schoolId=${a.school._id}`), normal);
    expect(paid.status).toBe('paid');
    await billingModels(h.db.connection).bills.updateOne(
      { _id: paid.id },
      { $set: { status: 'overdue' } },
    );

    // when the run marks its unpaid bills overdue again
    const res = await request(h.app)
      .post(`/api/billing/runs/${a.school._id}/2026-09/overdue`)
      .auth(worker.username!, worker.password)
      .send({});

    // then the settlement puts the bill back to paid, and it is not counted overdue
    expect(res.status).toBe(200);
    expect(res.body.overdueBillCount).toBe(0);
    const after = billOf(await billsOf(adminA, `month=2026-09&schoolId=${a.school._id}`), normal);
    expect(after).toMatchObject({ status: 'paid', paidFen: paid.paidFen });
  });

  it('should refuse to record a bill with a charge other than the service’s own, naming FEE-NO-ABUSE', async () => {
    // given a job worker's account (the create-bills worker's route)
    const worker = await h.createUser({
      kind: 'service',
      memberships: [{ role: 'worker', scope: { cityId: a.cityId } }],
    });
    const month = '2026-12';
    const line = (item: string, name: string, fen: number) => ({ item, name, fen, days: 17 });

    // when a bill adds a materials fee to the service fee
    const res = await request(h.app)
      .post('/api/billing/bills')
      .auth(worker.username!, worker.password)
      .send({
        schoolId: a.school._id,
        month,
        bills: [
          {
            applicationId: `app-${normal._id}`,
            lines: [line('after-school', '课后服务费', 8000), line('after-school', '资料费', 2000)],
            serviceDays: [],
            schoolDaysInMonth: 17,
          },
        ],
      });

    // then nothing is billed and the rule is named
    expect(res.status).toBe(422);
    expect(res.body.rules).toEqual([
      expect.objectContaining({ rule: 'FEE-NO-ABUSE', clause: '四(二)' }),
    ]);
    expect(res.body.detail).toContain('资料费');
    expect(
      await billingModels(h.db.connection).bills.findById(`bill:app-${normal._id}:${month}`),
    ).toBeNull();
  });
});
