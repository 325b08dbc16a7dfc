import { createHash } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { insertMissing, isDuplicateKey } from '../../db/models';
import type { Vars } from '../../engine/runtime/state';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  UserError,
  ValidationError,
} from '../../lib/errors';
import { t } from '../../lib/i18n';
import { laterDate, monthBounds, shanghaiDate } from '../../rules/dates';
import { checkFeeItems, formatYuan } from '../../rules/fees';
import type {
  ApplicationDoc,
  ApplicationEventDoc,
  EnrolmentModels,
  PlanDoc,
} from '../enrolment/enrolment.model';
import type { OrgModels, SchoolDoc, StudentDoc } from '../org/org.model';
import type {
  BillDoc,
  BillingModels,
  BillStatus,
  PaymentMethod,
  PaymentOrderDoc,
  SettlementDoc,
} from './billing.model';
import type {
  BillingFacts,
  BillView,
  CreateBillsBody,
  ListBillsQuery,
  ListSchoolsQuery,
  PayBillBody,
  RequestRunBody,
  RunSummary,
  SettlementView,
  SummaryQuery,
  WithdrawalBody,
} from './billing.schema';
import { type LedgerService, placeOf } from './ledger.service';

/** The monthly billing process and its manual start (processes/monthly-billing.bpmn). */
export const BILLING_PROCESS = 'monthly-billing';
export const BILLING_RUN_REQUESTED = 'billing-run-requested';

/** What the billing slice needs of the engine. */
export interface BillingEnginePort {
  /** Publishes a message (here: the run request, which starts an instance). */
  publishMessage(msg: { name: string; variables?: Vars }): Promise<void>;
}

/** Told once per recorded refund, e.g. so that WeChat Pay pays it back (issue 7). */
export type RefundListener = (refund: {
  bill: BillDoc;
  refundFen: number;
  withdrawnOn: string;
}) => Promise<void> | void;

const UNPAID: readonly BillStatus[] = ['open', 'overdue'];

/**
 * Monthly bills (FEE-CAP, FEE-FREE-POOR, FEE-PRORATE, FEE-NO-ABUSE), their payment orders and
 * settlement. The `create-bills` worker assesses each enrolled child's month with the rule
 * book from {@link facts} and hands the bills in; this service keeps them one per child and
 * month, refuses any item that is not the service's own, orders the open ones, settles each
 * once, books every payment into the earmarked ledger and records what a withdrawal does.
 */
export class BillingService {
  private readonly refundListeners: RefundListener[] = [];

  constructor(
    private readonly m: BillingModels,
    private readonly enrolment: Pick<EnrolmentModels, 'plans' | 'applications' | 'events'>,
    private readonly org: Pick<OrgModels, 'schools' | 'students'>,
    private readonly ledger: LedgerService,
    private readonly engine: BillingEnginePort,
  ) {}

  // the billing run's steps (job workers) //////////

  /**
   * The schools to bill in a month: those with a filed plan (PLAN-ONE-SCHOOL) whose term
   * overlaps the month, in the worker's reach; optionally only `schoolIds` or one city's.
   */
  async schoolsToBill(
    p: Principal,
    q: ListSchoolsQuery,
  ): Promise<{
    billingMonth: string;
    schools: { schoolId: string; countyId: string; cityId: string }[];
  }> {
    assertWorker(p);
    const billingMonth = q.month ?? currentMonth();
    const { first, last } = monthBounds(billingMonth);
    const only = q.schoolIds
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const plans = await this.enrolment.plans.find({}).lean<PlanDoc[]>();
    const ability = abilityFor(p);
    const ids = new Map<string, { schoolId: string; countyId: string; cityId: string }>();
    for (const plan of plans) {
      if (!isFiled(plan) || plan.termStart > last || plan.termEnd < first) continue;
      if (only?.length && !only.includes(plan.schoolId)) continue;
      if (q.cityId && plan.cityId !== q.cityId) continue;
      const place = { cityId: plan.cityId, countyId: plan.countyId, schoolId: plan.schoolId };
      if (!ability.can('create', subject('Bill', place))) continue;
      ids.set(plan.schoolId, place);
    }
    const schools = [...ids.values()].sort((a, b) => a.schoolId.localeCompare(b.schoolId));
    return { billingMonth, schools };
  }

  /**
   * What a school's month is assessed from: its filed plans of the month and every child
   * enrolled for some of it — joined on the later of the term's start and the day of
   * enrolment, left on the day a withdrawal took effect.
   */
  async facts(p: Principal, schoolId: string, month: string): Promise<BillingFacts> {
    await this.workerAtSchool(p, schoolId);
    const { first, last } = monthBounds(month);
    const plans = (await this.enrolment.plans.find({ schoolId }).lean<PlanDoc[]>()).filter(
      (plan) => isFiled(plan) && plan.termStart <= last && plan.termEnd >= first,
    );
    const planIds = new Set(plans.map((plan) => plan._id));
    const apps = (
      await this.enrolment.applications.find({ schoolId }).lean<ApplicationDoc[]>()
    ).filter((a) => planIds.has(a.planId) && (a.status === 'enrolled' || a.status === 'withdrawn'));
    const events = apps.length
      ? await this.enrolment.events
          .find({ applicationId: { $in: apps.map((a) => a._id) } })
          .lean<ApplicationEventDoc[]>()
      : [];
    const students = await this.studentsById(apps.map((a) => a.studentId));
    const enrolments: BillingFacts['enrolments'] = [];
    for (const app of apps) {
      const mine = events.filter((e) => e.applicationId === app._id);
      const enrolled = earliest(mine.filter((e) => e.status === 'enrolled'));
      const withdrawn = earliest(mine.filter((e) => e.step === 'withdrawn'));
      // a child withdrawn before enrolment was never served
      if (!enrolled && app.status !== 'enrolled') continue;
      const plan = plans.find((pl) => pl._id === app.planId)!;
      const joinedOn = laterDate(plan.termStart, shanghaiDate(enrolled?.at ?? app.submittedAt));
      const leftOn =
        app.status === 'withdrawn' && withdrawn ? shanghaiDate(withdrawn.at) : undefined;
      if (joinedOn > last || (leftOn && leftOn <= first)) continue;
      enrolments.push({
        applicationId: app._id,
        studentId: app.studentId,
        studentName: app.studentName,
        planId: app.planId,
        weekdays: app.weekdays,
        midday: Boolean(app.midday),
        povertyRegistered: Boolean(students.get(app.studentId)?.povertyRegistered),
        joinedOn,
        ...(leftOn ? { leftOn } : {}),
      });
    }
    return {
      schoolId,
      month,
      plans: plans.map((plan) => ({
        id: plan._id,
        term: plan.term,
        termStart: plan.termStart,
        termEnd: plan.termEnd,
        feeStandardFen: plan.feeStandardFen,
        middayMinutes: plan.middayMinutes ?? 0,
        middayFeeConsent: Boolean(plan.middayFeeConsent),
        recordedAt: new Date(plan.updatedAt ?? 0).toISOString(),
      })),
      enrolments,
    };
  }

  /**
   * Records assessed bills, one per application and month (`bill:<applicationId>:<month>`,
   * an existing bill stays as it is). Items other than the service's own are refused
   * (FEE-NO-ABUSE) before anything is written; a bill of 0 is waived.
   */
  async createBills(
    p: Principal,
    body: CreateBillsBody,
  ): Promise<{ created: number; existing: number }> {
    const school = await this.workerAtSchool(p, body.schoolId);
    const items = body.bills.flatMap((b) => b.lines.map((l) => ({ name: l.name, kind: l.item })));
    const decision = checkFeeItems(items);
    if (!decision.ok) throw new RuleViolationError(decision.violations);
    const apps = body.bills.length
      ? await this.enrolment.applications
          .find({ _id: { $in: body.bills.map((b) => b.applicationId) } })
          .lean<ApplicationDoc[]>()
      : [];
    const students = await this.studentsById(apps.map((a) => a.studentId));
    const now = new Date();
    const docs = body.bills.map((input): BillDoc => {
      const app = apps.find((a) => a._id === input.applicationId);
      if (!app || app.schoolId !== school._id)
        throw new NotFoundError(`application ${input.applicationId} is not of ${school._id}`);
      const amountFen = input.lines.reduce((sum, l) => sum + l.fen, 0);
      return {
        _id: billIdOf(app._id, body.month),
        ...placeOf(school),
        gradeId: app.gradeId,
        classId: app.classId,
        studentId: app.studentId,
        studentName: app.studentName,
        applicationId: app._id,
        planId: app.planId,
        guardians: guardianIds(students.get(app.studentId), app).map((userId) => ({ userId })),
        month: body.month,
        billingRunKey: runKeyOf(school._id, body.month),
        lines: input.lines.map((l) => ({
          item: l.item as BillDoc['lines'][number]['item'],
          name: l.name,
          fen: l.fen,
          days: l.days,
          ...(l.minutesPerDay ? { minutesPerDay: l.minutesPerDay } : {}),
        })),
        amountFen,
        serviceDays: input.serviceDays,
        schoolDaysInMonth: input.schoolDaysInMonth,
        applied: input.applied,
        notCharged: input.notCharged,
        status: amountFen === 0 ? 'waived' : 'open',
        createdAt: now,
        updatedAt: now,
      };
    });
    const created = await insertMissing(this.m.bills, docs);
    return { created, existing: docs.length - created };
  }

  /** Where a school's run of a month stands (counts of the run's bills). */
  async runSummary(p: Principal, schoolId: string, month: string): Promise<RunSummary> {
    await this.workerAtSchool(p, schoolId);
    return summarize(await this.billsOfRun(schoolId, month));
  }

  /**
   * A payment order for every unpaid bill of the run that has none (`out_trade_no` derived
   * from the bill, so ordering twice orders once). A bill with an item other than the
   * service's own is never ordered (FEE-NO-ABUSE).
   */
  async createPaymentOrders(
    p: Principal,
    schoolId: string,
    month: string,
  ): Promise<{ paymentOrderCount: number }> {
    await this.workerAtSchool(p, schoolId);
    const unpaid = (await this.billsOfRun(schoolId, month)).filter((b) =>
      UNPAID.includes(b.status),
    );
    for (const bill of unpaid) {
      const decision = checkFeeItems(bill.lines.map((l) => ({ name: l.name, kind: l.item })));
      if (!decision.ok) throw new RuleViolationError(decision.violations);
    }
    const orders: PaymentOrderDoc[] = unpaid.map((bill) => ({
      _id: outTradeNoOf(bill._id),
      billId: bill._id,
      cityId: bill.cityId,
      countyId: bill.countyId,
      schoolId: bill.schoolId,
      studentId: bill.studentId,
      amountFen: bill.amountFen,
      description: t('billing.order.description', {
        month: monthName(bill.month),
        student: bill.studentName,
      }).slice(0, 127),
      status: 'open',
      createdAt: new Date(),
    }));
    await insertMissing(this.m.paymentOrders, orders);
    for (const bill of unpaid.filter((b) => !b.outTradeNo)) {
      await this.m.bills.updateOne(
        { _id: bill._id },
        { $set: { outTradeNo: outTradeNoOf(bill._id), updatedAt: new Date() } },
      );
    }
    return { paymentOrderCount: orders.length };
  }

  /**
   * The payments of a run so far (worker `record-ledger`, payments): every settled bill is
   * paid and has its income entry in the ledger (repaired here if a settlement was cut short),
   * and who has not paid yet.
   */
  async recordPayments(
    p: Principal,
    schoolId: string,
    month: string,
  ): Promise<Pick<RunSummary, 'paidFen' | 'unpaidBillCount' | 'unpaidStudentIds'>> {
    await this.workerAtSchool(p, schoolId);
    let bills = await this.billsOfRun(schoolId, month);
    const settlements = bills.length
      ? await this.m.settlements
          .find({ _id: { $in: bills.map((b) => settlementIdOf(b._id)) } })
          .lean<SettlementDoc[]>()
      : [];
    for (const s of settlements) {
      const bill = bills.find((b) => b._id === s.billId)!;
      await this.applySettlement(bill, s);
    }
    if (settlements.length) bills = await this.billsOfRun(schoolId, month);
    const { paidFen, unpaidBillCount, unpaidStudentIds } = summarize(bills);
    return { paidFen, unpaidBillCount, unpaidStudentIds };
  }

  /** The run's bills still unpaid after the last reminder become overdue. */
  async markOverdue(
    p: Principal,
    schoolId: string,
    month: string,
  ): Promise<{ overdueBillCount: number }> {
    await this.workerAtSchool(p, schoolId);
    const open = (await this.billsOfRun(schoolId, month)).filter((b) => b.status === 'open');
    if (open.length)
      await this.m.bills.updateMany(
        { _id: { $in: open.map((b) => b._id) }, status: 'open' },
        { $set: { status: 'overdue', updatedAt: new Date() } },
      );
    // a bill paid while this ran may have been marked overdue over its payment (FerretDB 1.24
    // checks the filter and rewrites the whole document apart): the settlement, inserted once,
    // is the truth, and puts the bill back to paid
    const bills = await this.repairSettled(await this.billsOfRun(schoolId, month));
    return { overdueBillCount: summarize(bills).overdueBillCount };
  }

  /**
   * What a withdrawal does to one bill (worker `refund-fee`, computed with
   * `refundOnWithdrawal`): a paid bill is refunded the unserved days (a ledger entry going
   * out, the refund listeners told); an unpaid one asks only for the days served (cancelled
   * when none). Recorded once per bill.
   */
  async recordWithdrawal(p: Principal, billId: string, body: WithdrawalBody): Promise<BillView> {
    const [bill] = await this.repairSettled([await this.forWorker(p, billId)]);
    if (!bill) throw new NotFoundError(`no bill ${billId}`);
    if (bill.withdrawal) return billView(bill);
    const paid = bill.status === 'paid';
    const base = paid ? (bill.paidFen ?? 0) : bill.status === 'waived' ? 0 : bill.amountFen;
    if (body.keptFen + body.refundFen !== base)
      throw new ValidationError(
        [
          {
            path: 'refundFen',
            message: t('billing.withdrawal_mismatch', { base: formatYuan(base) }),
          },
        ],
        `kept ${body.keptFen} + refund ${body.refundFen} ≠ ${base}`,
      );
    const now = new Date();
    const withdrawal = {
      withdrawnOn: body.withdrawnOn,
      keptFen: body.keptFen,
      refundFen: paid ? body.refundFen : 0,
      servedDays: body.servedDays,
      remainingDays: body.remainingDays,
      at: now,
      by: p.userId,
    };
    const set: Partial<BillDoc> = { withdrawal, updatedAt: now };
    if (!paid && UNPAID.includes(bill.status)) {
      set.amountFen = body.keptFen;
      if (body.keptFen === 0) set.status = 'cancelled';
      // the order's amount no longer holds: the rest is collected by the school (cash)
      if (bill.outTradeNo)
        await this.m.paymentOrders.updateOne(
          { _id: bill.outTradeNo },
          { $set: { status: 'closed' } },
        );
    }
    await this.m.bills.updateOne({ _id: bill._id }, { $set: set });
    const updated = { ...bill, ...set } as BillDoc;
    if (paid && withdrawal.refundFen > 0) {
      await this.ledger.recordRefund(updated, withdrawal.refundFen, body.withdrawnOn, p.userId);
      for (const listener of this.refundListeners)
        await listener({
          bill: updated,
          refundFen: withdrawal.refundFen,
          withdrawnOn: body.withdrawnOn,
        });
    }
    return billView(updated);
  }

  // payment //////////

  /**
   * Settles a bill once: the first settlement (inserted as `settle:<billId>`) marks the bill
   * paid and books the income into the earmarked ledger; the same transaction again answers
   * as before (`settled: false`), another transaction is a conflict (a double payment the
   * caller refunds). For WeChat Pay notices and the school's own cash records.
   */
  async settleBill(
    billId: string,
    paidFen: number,
    transactionId: string,
    method: PaymentMethod = 'wechat',
    by = 'system',
  ): Promise<SettlementView> {
    const bill = await this.m.bills.findById(billId).lean<BillDoc>();
    if (!bill) throw new NotFoundError(`no bill ${billId}`);
    const before = await this.m.settlements.findById(settlementIdOf(billId)).lean<SettlementDoc>();
    if (before) return this.settledBefore(bill, before, transactionId);
    if (!UNPAID.includes(bill.status))
      throw new ConflictError(`the bill is ${bill.status}`, 'BILL_NOT_PAYABLE');
    if (paidFen !== bill.amountFen)
      throw new UserError(
        409,
        'PAYMENT_AMOUNT_MISMATCH',
        'billing.amount_mismatch',
        `paid ${paidFen} fen, the bill is ${bill.amountFen} fen`,
      );
    const settlement: SettlementDoc = {
      _id: settlementIdOf(billId),
      billId,
      paidFen,
      transactionId,
      method,
      by,
      at: new Date(),
    };
    try {
      await this.m.settlements.create(settlement);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const won = await this.m.settlements.findById(settlement._id).lean<SettlementDoc>();
      if (!won) throw err;
      return this.settledBefore(bill, won, transactionId);
    }
    await this.applySettlement(bill, settlement);
    return settlementViewOf(settlement, true);
  }

  /** The payment order with this `out_trade_no` (for WeChat Pay notices), if any. */
  async paymentOrder(outTradeNo: string): Promise<PaymentOrderDoc | undefined> {
    return (await this.m.paymentOrders.findById(outTradeNo).lean<PaymentOrderDoc>()) ?? undefined;
  }

  /** Registers a listener told of each refund recorded (after a withdrawal). */
  onRefund(listener: RefundListener): void {
    this.refundListeners.push(listener);
  }

  /** A school admin records a cash or bank payment the school received (receipt number). */
  async pay(p: Principal, billId: string, body: PayBillBody): Promise<SettlementView> {
    const bill = await this.readable(p, billId);
    if (!abilityFor(p).can('update', subject('Bill', bill)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'only the school records a payment');
    return this.settleBill(
      bill._id,
      body.paidFen,
      `${body.method}:${body.receiptNo}`,
      body.method,
      p.userId,
    );
  }

  // reading //////////

  /** The bills the caller may read (a parent: their children's), newest month first. */
  async list(p: Principal, q: ListBillsQuery): Promise<{ items: BillView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Bill');
    if (!allowed) return { items: [], total: 0 };
    const filter = {
      $and: [
        allowed,
        ...(['schoolId', 'classId', 'studentId', 'applicationId', 'month', 'status'] as const)
          .filter((k) => q[k])
          .map((k) => ({ [k]: q[k] })),
      ],
    };
    const rows = await this.m.bills.find(filter).lean<BillDoc[]>();
    rows.sort((a, b) =>
      a.month === b.month
        ? a.studentName.localeCompare(b.studentName, 'zh')
        : a.month < b.month
          ? 1
          : -1,
    );
    return { items: rows.slice(q.offset, q.offset + q.limit).map(billView), total: rows.length };
  }

  /** One bill; 404 for those who may not read it. */
  async get(p: Principal, billId: string): Promise<BillView> {
    return billView(await this.readable(p, billId));
  }

  /**
   * Bills per school and month in totals (no child named), for those who oversee the money:
   * the reach of `read LedgerEntry` (the school, the county bureau, the city bureau).
   */
  async summary(p: Principal, q: SummaryQuery) {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'LedgerEntry');
    if (!allowed) return { items: [] };
    const rows = await this.m.bills
      .find({
        $and: [
          allowed,
          ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
          ...(q.countyId ? [{ countyId: q.countyId }] : []),
          ...(q.month ? [{ month: q.month }] : []),
        ],
      })
      .lean<BillDoc[]>();
    const byKey = new Map<string, ReturnType<typeof emptyTotals>>();
    for (const b of rows) {
      const key = `${b.schoolId}|${b.month}`;
      const row = byKey.get(key) ?? emptyTotals(b);
      row.billCount++;
      row.billedFen += b.amountFen;
      if (b.status === 'paid') {
        row.paidCount++;
        row.paidFen += b.paidFen ?? 0;
      }
      if (b.status === 'waived') row.waivedCount++;
      if (b.status === 'open') row.openCount++;
      if (b.status === 'overdue') row.overdueCount++;
      row.refundFen += b.withdrawal?.refundFen ?? 0;
      byKey.set(key, row);
    }
    const items = [...byKey.values()].sort((a, b) =>
      a.schoolId === b.schoolId
        ? a.month.localeCompare(b.month)
        : a.schoolId.localeCompare(b.schoolId),
    );
    return { items };
  }

  /**
   * Requests a billing run now (message `billing-run-requested`): a school admin for their
   * school, the city bureau for any of its schools or all of them (the process lists them).
   */
  async requestRun(
    p: Principal,
    body: RequestRunBody,
  ): Promise<{ billingMonth: string; schoolIds: string[] }> {
    const billingMonth = body.month ?? currentMonth();
    const ability = abilityFor(p);
    let schoolIds = body.schoolIds ?? [];
    let cityId: string | undefined;
    for (const schoolId of schoolIds) {
      const school = await this.org.schools.findById(schoolId).lean<SchoolDoc>();
      if (!school || !ability.can('read', subject('School', school))) throw new NotFoundError();
      if (!ability.can('create', subject('Bill', placeOf(school))))
        throw new UserError(403, 'FORBIDDEN', 'error.forbidden', `may not bill ${schoolId}`);
    }
    if (!schoolIds.length) {
      const city = p.memberships.find((m) => m.role === 'cityBureau');
      if (city) cityId = city.scope.cityId;
      else
        schoolIds = [
          ...new Set(
            p.memberships
              .filter((m) => m.role === 'schoolAdmin' && m.scope.schoolId)
              .map((m) => m.scope.schoolId!),
          ),
        ];
      if (!cityId && !schoolIds.length)
        throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'no school to bill');
    }
    await this.engine.publishMessage({
      name: BILLING_RUN_REQUESTED,
      variables: {
        billingMonth,
        ...(schoolIds.length ? { schoolIds } : {}),
        ...(cityId ? { cityId } : {}),
        ...(body.reminderInterval ? { reminderInterval: body.reminderInterval } : {}),
        ...(body.maxReminders !== undefined ? { maxReminders: body.maxReminders } : {}),
        requestedBy: p.userId,
      },
    });
    return { billingMonth, schoolIds };
  }

  /** The bills of one application (the refund worker reads them). */
  async billsOfApplication(p: Principal, applicationId: string): Promise<BillView[]> {
    return (await this.list(p, { applicationId, limit: 500, offset: 0 })).items;
  }

  // helpers //////////

  /** A bill settled before: the same transaction again is fine (and repairs), another is not. */
  private async settledBefore(
    bill: BillDoc,
    before: SettlementDoc,
    transactionId: string,
  ): Promise<SettlementView> {
    if (before.transactionId !== transactionId)
      throw new ConflictError(
        `bill ${bill._id} was paid by another transaction`,
        'BILL_ALREADY_PAID',
      );
    await this.applySettlement(bill, before);
    return settlementViewOf(before, false);
  }

  private async applySettlement(bill: BillDoc, s: SettlementDoc): Promise<void> {
    if (bill.status !== 'paid' || bill.transactionId !== s.transactionId)
      await this.m.bills.updateOne(
        { _id: bill._id },
        {
          $set: {
            status: 'paid',
            paidFen: s.paidFen,
            paidAt: s.at,
            transactionId: s.transactionId,
            paymentMethod: s.method,
            updatedAt: new Date(),
          },
        },
      );
    if (bill.outTradeNo)
      await this.m.paymentOrders.updateOne({ _id: bill.outTradeNo }, { $set: { status: 'paid' } });
    await this.ledger.recordIncome(bill, s);
  }

  /**
   * The bills as their settlements say: a bill with a settlement (inserted once per bill, the
   * truth about its payment) that does not show as paid — a concurrent update wrote over it —
   * is put back to paid. Answers the bills as they are now.
   */
  private async repairSettled(bills: BillDoc[]): Promise<BillDoc[]> {
    const unpaid = bills.filter((b) => b.status !== 'paid' && b.status !== 'waived');
    if (!unpaid.length) return bills;
    // by `_id`, one each: the only lookup FerretDB 1.24 serves from an index (ADR 0003)
    const settlements = (
      await Promise.all(
        unpaid.map((b) => this.m.settlements.findById(settlementIdOf(b._id)).lean<SettlementDoc>()),
      )
    ).filter((x): x is SettlementDoc => Boolean(x));
    if (!settlements.length) return bills;
    for (const s of settlements)
      await this.applySettlement(
        unpaid.find((b) => b._id === s.billId)!,
        s,
      );
    const fresh = await Promise.all(
      settlements.map((s) => this.m.bills.findById(s.billId).lean<BillDoc>()),
    );
    return bills.map((b) => fresh.find((f) => f?._id === b._id) ?? b);
  }

  private billsOfRun(schoolId: string, month: string): Promise<BillDoc[]> {
    return this.m.bills.find({ billingRunKey: runKeyOf(schoolId, month) }).lean<BillDoc[]>();
  }

  private async studentsById(ids: string[]): Promise<Map<string, StudentDoc>> {
    if (!ids.length) return new Map();
    const rows = await this.org.students
      .find({ _id: { $in: [...new Set(ids)] } })
      .lean<StudentDoc[]>();
    return new Map(rows.map((s) => [s._id, s]));
  }

  /** The school, when the caller is a job worker who may bill it; else 404. */
  private async workerAtSchool(p: Principal, schoolId: string): Promise<SchoolDoc> {
    assertWorker(p);
    const school = await this.org.schools.findById(schoolId).lean<SchoolDoc>();
    if (!school || !abilityFor(p).can('create', subject('Bill', placeOf(school))))
      throw new NotFoundError();
    return school;
  }

  private async readable(p: Principal, billId: string): Promise<BillDoc> {
    const bill = await this.m.bills.findById(billId).lean<BillDoc>();
    if (!bill || !abilityFor(p).can('read', subject('Bill', bill))) throw new NotFoundError();
    return bill;
  }

  private async forWorker(p: Principal, billId: string): Promise<BillDoc> {
    assertWorker(p);
    const bill = await this.m.bills.findById(billId).lean<BillDoc>();
    if (!bill || !abilityFor(p).can('update', subject('Bill', bill))) throw new NotFoundError();
    return bill;
  }
}

/** `bill:<applicationId>:<YYYY-MM>`: one bill per application and month. */
export function billIdOf(applicationId: string, month: string): string {
  return `bill:${applicationId}:${month}`;
}

/** `<schoolId>:<YYYY-MM>`, the process's `billingRunKey`. */
export function runKeyOf(schoolId: string, month: string): string {
  return `${schoolId}:${month}`;
}

/**
 * The `out_trade_no` of a bill's payment order: `bill-<YYYYMM>-<applicationId>` when that
 * fits WeChat Pay's 6–32 characters of `[A-Za-z0-9_-]`, else `bill-` and 27 hex digits of the
 * bill id's SHA-256. Derived, so ordering twice gives the same number.
 */
export function outTradeNoOf(billId: string): string {
  const [, applicationId = '', month = ''] = billId.split(':');
  const readable = `bill-${month.replace('-', '')}-${applicationId}`;
  if (/^[A-Za-z0-9_-]{6,32}$/.test(readable)) return readable;
  return `bill-${createHash('sha256').update(billId).digest('hex').slice(0, 27)}`;
}

/** A bill as the API shows it. */
export function billView(b: BillDoc): BillView {
  return {
    id: b._id,
    schoolId: b.schoolId,
    classId: b.classId,
    studentId: b.studentId,
    studentName: b.studentName,
    applicationId: b.applicationId,
    month: b.month,
    lines: b.lines.map((l) => ({
      item: l.item,
      name: l.name,
      fen: l.fen,
      days: l.days,
      ...(l.minutesPerDay ? { minutesPerDay: l.minutesPerDay } : {}),
    })),
    amountFen: b.amountFen,
    amountYuan: formatYuan(b.amountFen),
    serviceDays: [...b.serviceDays],
    schoolDaysInMonth: b.schoolDaysInMonth,
    applied: b.applied.map(({ rule, clause, message }) => ({ rule, clause, message })),
    notCharged: b.notCharged.map(({ rule, clause, message }) => ({ rule, clause, message })),
    status: b.status,
    ...(b.outTradeNo ? { outTradeNo: b.outTradeNo } : {}),
    ...(b.paidFen !== undefined ? { paidFen: b.paidFen } : {}),
    ...(b.paidAt ? { paidAt: new Date(b.paidAt).toISOString() } : {}),
    ...(b.paymentMethod ? { paymentMethod: b.paymentMethod } : {}),
    ...(b.transactionId ? { transactionId: b.transactionId } : {}),
    ...(b.withdrawal
      ? {
          withdrawal: {
            withdrawnOn: b.withdrawal.withdrawnOn,
            keptFen: b.withdrawal.keptFen,
            refundFen: b.withdrawal.refundFen,
            servedDays: b.withdrawal.servedDays,
            remainingDays: b.withdrawal.remainingDays,
          },
        }
      : {}),
  };
}

function settlementIdOf(billId: string): string {
  return `settle:${billId}`;
}

function settlementViewOf(s: SettlementDoc, settled: boolean): SettlementView {
  return {
    billId: s.billId,
    settled,
    status: 'paid',
    paidFen: s.paidFen,
    transactionId: s.transactionId,
    method: s.method,
  };
}

function summarize(bills: BillDoc[]): RunSummary {
  const unpaid = bills.filter((b) => UNPAID.includes(b.status));
  return {
    billCount: bills.length,
    openBillCount: bills.filter((b) => b.status === 'open').length,
    waivedBillCount: bills.filter((b) => b.status === 'waived').length,
    billTotalFen: bills.reduce((s, b) => s + b.amountFen, 0),
    paymentOrderCount: unpaid.filter((b) => b.outTradeNo).length,
    paidFen: bills.filter((b) => b.status === 'paid').reduce((s, b) => s + (b.paidFen ?? 0), 0),
    unpaidBillCount: unpaid.length,
    unpaidStudentIds: [...new Set(unpaid.map((b) => b.studentId))].sort(),
    overdueBillCount: bills.filter((b) => b.status === 'overdue').length,
  };
}

function emptyTotals(b: BillDoc) {
  return {
    schoolId: b.schoolId,
    countyId: b.countyId,
    month: b.month,
    billCount: 0,
    billedFen: 0,
    paidCount: 0,
    paidFen: 0,
    waivedCount: 0,
    openCount: 0,
    overdueCount: 0,
    refundFen: 0,
  };
}

function assertWorker(p: Principal): void {
  if (!p.roles.includes('worker'))
    throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'only job workers call this route');
}

function isFiled(plan: PlanDoc): boolean {
  return plan.status === 'filed' || plan.status === 'published';
}

function earliest(events: ApplicationEventDoc[]): ApplicationEventDoc | undefined {
  return [...events].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime())[0];
}

function guardianIds(student: StudentDoc | undefined, app: ApplicationDoc): string[] {
  const ids = (student?.guardians ?? []).flatMap((g) => (g.userId ? [g.userId] : []));
  return [...new Set([...ids, ...app.guardians.map((g) => g.userId)])];
}

/** 'YYYY-MM' of today in Asia/Shanghai. */
export function currentMonth(now = new Date()): string {
  return shanghaiDate(now).slice(0, 7);
}

/** '2026-09' → '2026年9月'. */
function monthName(month: string): string {
  const [y, m] = month.split('-');
  return t('billing.month', { year: Number(y), month: Number(m) });
}
