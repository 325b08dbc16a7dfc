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
  WithdrawalDoc,
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

/**
 * Told of each refund booked (a bill paid and withdrawn), e.g. so that WeChat Pay pays it back
 * (issue 7): once, by whoever booked it; again only when a withdrawal or a payment is delivered
 * again before the telling was confirmed (a crash), so a listener must be idempotent per bill.
 */
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
 * A bill's settlement and its withdrawal are facts inserted once each; what the bill shows
 * (status, amount, payment, withdrawal and refund) is a view of them that every reader and
 * writer here repairs, since on FerretDB 1.24 an update over a stale copy can lose it (ADR
 * 0001 as amended, docs/billing.md).
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
    return summarize(await this.reconcile(await this.billsOfRun(schoolId, month)));
  }

  /**
   * A payment order for every unpaid bill of the run that has none (`out_trade_no` derived
   * from the bill, so ordering twice orders once). A bill with an item other than the
   * service's own is never ordered (FEE-NO-ABUSE), nor one its facts show paid or cancelled.
   */
  async createPaymentOrders(
    p: Principal,
    schoolId: string,
    month: string,
  ): Promise<{ paymentOrderCount: number }> {
    await this.workerAtSchool(p, schoolId);
    const unpaid = (await this.reconcile(await this.billsOfRun(schoolId, month))).filter((b) =>
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
   * paid and has its income entry in the ledger, every paid and withdrawn bill its refund
   * (repaired here if a settlement or a withdrawal was cut short), and who has not paid yet.
   */
  async recordPayments(
    p: Principal,
    schoolId: string,
    month: string,
  ): Promise<Pick<RunSummary, 'paidFen' | 'unpaidBillCount' | 'unpaidStudentIds'>> {
    await this.workerAtSchool(p, schoolId);
    const bills = await this.reconcile(await this.billsOfRun(schoolId, month), { book: true });
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
    // a bill paid or withdrawn while this ran may have been marked overdue over its payment or
    // its withdrawal (FerretDB 1.24 checks the filter and rewrites the whole document apart):
    // the settlement and the withdrawal, each inserted once, are the truth and repair the bill
    const bills = await this.reconcile(await this.billsOfRun(schoolId, month), { book: true });
    return { overdueBillCount: summarize(bills).overdueBillCount };
  }

  /**
   * What a withdrawal does to one bill (worker `refund-fee`, computed with
   * `refundOnWithdrawal`): a paid bill is refunded the unserved days (a ledger entry going
   * out, the refund listeners told); an unpaid one asks only for the days served (cancelled
   * when none). Recorded once per bill, as the fact `withdrawal:<billId>`, inserted before the
   * settlement is read: a payment landing at the same time reads the withdrawal after its own
   * insert, so one side at least sees both and the refund (once per bill) is made.
   */
  async recordWithdrawal(p: Principal, billId: string, body: WithdrawalBody): Promise<BillView> {
    const {
      stored: bill,
      shown,
      settlement,
      withdrawal,
    } = await this.withFacts(await this.forWorker(p, billId));
    // recorded before (the job delivered again, or a call cut short): finish what it began
    if (withdrawal)
      return billView(await this.completeWithdrawal(bill, settlement, withdrawal, true));
    // recorded before withdrawals were facts of their own: as it stands
    if (shown.withdrawal) return billView(await this.showFacts(bill, settlement, shown.withdrawal));
    const base = settlement ? settlement.paidFen : shown.status === 'waived' ? 0 : shown.amountFen;
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
    const fact: WithdrawalDoc = {
      _id: withdrawalIdOf(bill._id),
      billId: bill._id,
      withdrawnOn: body.withdrawnOn,
      keptFen: body.keptFen,
      refundFen: body.refundFen,
      servedDays: body.servedDays,
      remainingDays: body.remainingDays,
      by: p.userId,
      at: new Date(),
    };
    try {
      await this.m.withdrawals.create(fact);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const won = await this.m.withdrawals.findById(fact._id).lean<WithdrawalDoc>();
      if (!won) throw err;
      // a concurrent withdrawal won (not a repeat: the winner tells of a refund)
      const s = settlement ?? (await this.settlementOf(bill._id));
      return billView(await this.completeWithdrawal(bill, s, won, false));
    }
    // read after the insert: a payment settled from now on reads this withdrawal itself
    const s = settlement ?? (await this.settlementOf(bill._id));
    // the order's amount no longer holds: the rest is collected by the school (cash)
    if (!s && bill.outTradeNo && UNPAID.includes(shown.status))
      await this.m.paymentOrders.updateOne(
        { _id: bill.outTradeNo },
        { $set: { status: 'closed' } },
      );
    return billView(await this.completeWithdrawal(bill, s, fact, false));
  }

  // payment //////////

  /**
   * Settles a bill once: the first settlement (inserted as `settle:<billId>`) marks the bill
   * paid and books the income into the earmarked ledger; the same transaction again answers
   * as before (`settled: false`), another transaction is a conflict (a double payment the
   * caller refunds). For WeChat Pay notices and the school's own cash records. The amount is
   * the bill's; after a withdrawal also the whole amount it was computed on (an order made
   * before it, paid): the withdrawal, read after the insert, then refunds paid − kept.
   */
  async settleBill(
    billId: string,
    paidFen: number,
    transactionId: string,
    method: PaymentMethod = 'wechat',
    by = 'system',
  ): Promise<SettlementView> {
    const found = await this.m.bills.findById(billId).lean<BillDoc>();
    if (!found) throw new NotFoundError(`no bill ${billId}`);
    const { stored: bill, shown, settlement: before, withdrawal } = await this.withFacts(found);
    if (before) return this.settledBefore(bill, before, withdrawal, transactionId, true);
    if (!UNPAID.includes(shown.status) && !(withdrawal && shown.status === 'cancelled'))
      throw new ConflictError(`the bill is ${shown.status}`, 'BILL_NOT_PAYABLE');
    const payable = withdrawal
      ? [shown.amountFen, withdrawal.keptFen + withdrawal.refundFen]
      : [shown.amountFen];
    if (paidFen < 1 || !payable.includes(paidFen))
      throw new UserError(
        409,
        'PAYMENT_AMOUNT_MISMATCH',
        'billing.amount_mismatch',
        `paid ${paidFen} fen, the bill is ${shown.amountFen} fen`,
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
      // a concurrent settlement won (not a repeat: the winner tells of a refund)
      const w = withdrawal ?? (await this.withdrawalOf(billId));
      return this.settledBefore(bill, won, w, transactionId, false);
    }
    // read after the insert: a withdrawal recorded from now on reads this settlement itself
    const w = withdrawal ?? (await this.withdrawalOf(billId));
    await this.completeSettlement(bill, settlement, w, false);
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

  /**
   * The bills the caller may read (a parent: their children's), newest month first, as their
   * settlements and withdrawals say (a status filter applies to that, not to what is stored).
   */
  async list(p: Principal, q: ListBillsQuery): Promise<{ items: BillView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Bill');
    if (!allowed) return { items: [], total: 0 };
    const filter = {
      $and: [
        allowed,
        ...(['schoolId', 'classId', 'studentId', 'applicationId', 'month'] as const)
          .filter((k) => q[k])
          .map((k) => ({ [k]: q[k] })),
      ],
    };
    const rows = (await this.reconcile(await this.m.bills.find(filter).lean<BillDoc[]>())).filter(
      (b) => !q.status || b.status === q.status,
    );
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
    const [bill] = await this.reconcile([await this.readable(p, billId)]);
    return billView(bill!);
  }

  /**
   * Bills per school and month in totals (no child named), for those who oversee the money:
   * the reach of `read LedgerEntry` (the school, the county bureau, the city bureau).
   */
  async summary(p: Principal, q: SummaryQuery) {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'LedgerEntry');
    if (!allowed) return { items: [] };
    const rows = await this.reconcile(
      await this.m.bills
        .find({
          $and: [
            allowed,
            ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
            ...(q.countyId ? [{ countyId: q.countyId }] : []),
            ...(q.month ? [{ month: q.month }] : []),
          ],
        })
        .lean<BillDoc[]>(),
    );
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

  /**
   * A bill settled before: the same transaction again is fine (and finishes what a settlement
   * cut short left: `repeat`), another is not.
   */
  private async settledBefore(
    bill: BillDoc,
    before: SettlementDoc,
    withdrawal: WithdrawalDoc | undefined,
    transactionId: string,
    repeat: boolean,
  ): Promise<SettlementView> {
    if (before.transactionId !== transactionId)
      throw new ConflictError(
        `bill ${bill._id} was paid by another transaction`,
        'BILL_ALREADY_PAID',
      );
    await this.completeSettlement(bill, before, withdrawal, repeat);
    return settlementViewOf(before, false);
  }

  /**
   * After the settlement's insert and the read of the withdrawal: the bill shows both, the
   * order is paid, the income booked, and a withdrawal's refund made (once per bill).
   */
  private async completeSettlement(
    bill: BillDoc,
    s: SettlementDoc,
    withdrawal: WithdrawalDoc | undefined,
    repeat: boolean,
  ): Promise<void> {
    let shown = await this.showFacts(bill, s, withdrawal);
    await this.bookSettlement(shown, s);
    let w = withdrawal;
    if (!w) {
      // a withdrawal recorded meanwhile read this settlement and showed both, but its write may
      // have landed before this one (FerretDB 1.24 rewrites the whole document): read it again
      w = await this.withdrawalOf(bill._id);
      if (w) shown = await this.showFacts(shown, s, w);
    }
    if (w) await this.refundOnce(shown, s, w, repeat);
  }

  /**
   * After the withdrawal's insert and the read of the settlement: the bill shows both, and a
   * paid bill's refund is made (once per bill).
   */
  private async completeWithdrawal(
    bill: BillDoc,
    settlement: SettlementDoc | undefined,
    w: WithdrawalDoc,
    repeat: boolean,
  ): Promise<BillDoc> {
    let shown = await this.showFacts(bill, settlement, w);
    let s = settlement;
    if (!s) {
      // a payment settled meanwhile read this withdrawal and showed both, but its write (and
      // its order's) may have landed before this one: read its settlement again
      s = await this.settlementOf(bill._id);
      if (!s) return shown;
      shown = await this.showFacts(shown, s, w);
      if (bill.outTradeNo)
        await this.m.paymentOrders.updateOne(
          { _id: bill.outTradeNo },
          { $set: { status: 'paid' } },
        );
    }
    await this.refundOnce(shown, s, w, repeat);
    return shown;
  }

  /** A settlement's order paid and its income entry (`pay:<billId>`, once). */
  private async bookSettlement(bill: BillDoc, s: SettlementDoc): Promise<void> {
    if (bill.outTradeNo)
      await this.m.paymentOrders.updateOne({ _id: bill.outTradeNo }, { $set: { status: 'paid' } });
    await this.ledger.recordIncome(bill, s);
  }

  /**
   * The refund of a bill both paid and withdrawn: paid − kept, booked out of the ledger as
   * `refund:<billId>`, whose insert decides who tells the refund listeners — of a withdrawal
   * and a payment that both saw both facts, exactly one. A repeated call (a job or a notice
   * delivered again after a crash) tells them again while the telling is not confirmed; the
   * listeners are idempotent per bill (payments: one `<out_trade_no>-wd` refund).
   */
  private async refundOnce(
    bill: BillDoc,
    s: SettlementDoc,
    w: WithdrawalFacts & { refundToldAt?: Date },
    repeat: boolean,
  ): Promise<void> {
    const refundFen = refundOf(s, w);
    if (refundFen < 1) return;
    const booked = await this.ledger.recordRefund(bill, refundFen, w.withdrawnOn, w.by);
    if (!booked && !(repeat && !w.refundToldAt)) return;
    for (const listener of this.refundListeners)
      await listener({ bill, refundFen, withdrawnOn: w.withdrawnOn });
    await this.m.withdrawals.updateOne(
      { _id: withdrawalIdOf(bill._id) },
      { $set: { refundToldAt: new Date() } },
    );
  }

  /**
   * The bills as their facts say: a bill's settlement and withdrawal (each inserted once per
   * bill) decide its status, amount, payment and withdrawal; a bill that does not show them —
   * a concurrent update wrote over it (FerretDB 1.24 rewrites the whole document) — is
   * repaired. With `book`, each settled bill's income and each refund due are booked too (the
   * run's workers finish what a cut-short settlement or withdrawal left). Answers the bills as
   * they are now.
   */
  private async reconcile(bills: BillDoc[], opts: { book?: boolean } = {}): Promise<BillDoc[]> {
    if (!bills.length) return bills;
    const ids = bills.map((b) => b._id);
    const [settlements, withdrawals] = await Promise.all([
      byIds(ids.map(settlementIdOf), (id) => this.m.settlements.findById(id).lean<SettlementDoc>()),
      byIds(ids.map(withdrawalIdOf), (id) => this.m.withdrawals.findById(id).lean<WithdrawalDoc>()),
    ]);
    const shown: BillDoc[] = [];
    for (const bill of bills) {
      const s = settlements.get(settlementIdOf(bill._id));
      // a withdrawal recorded before withdrawals were facts of their own stands as recorded
      const w = withdrawals.get(withdrawalIdOf(bill._id)) ?? bill.withdrawal;
      const now = await this.showFacts(bill, s, w);
      if (opts.book && s) {
        await this.bookSettlement(now, s);
        if (w) await this.refundOnce(now, s, w, false);
      }
      shown.push(now);
    }
    return shown;
  }

  /**
   * The bill's settlement and withdrawal, read by `_id`, and the bill as they say (`shown`,
   * not written: `stored` is what the next write compares with).
   */
  private async withFacts(stored: BillDoc): Promise<{
    stored: BillDoc;
    shown: BillDoc;
    settlement?: SettlementDoc;
    withdrawal?: WithdrawalDoc;
  }> {
    const [settlement, withdrawal] = await Promise.all([
      this.settlementOf(stored._id),
      this.withdrawalOf(stored._id),
    ]);
    return {
      stored,
      shown: { ...stored, ...factsView(stored, settlement, withdrawal ?? stored.withdrawal) },
      ...(settlement ? { settlement } : {}),
      ...(withdrawal ? { withdrawal } : {}),
    };
  }

  /** Writes what the facts say of the bill where it shows something else; answers the bill. */
  private async showFacts(
    bill: BillDoc,
    s: SettlementDoc | undefined,
    w: WithdrawalFacts | undefined,
  ): Promise<BillDoc> {
    const view = factsView(bill, s, w);
    if (!differs(bill, view)) return bill;
    const updatedAt = new Date();
    await this.m.bills.updateOne({ _id: bill._id }, { $set: { ...view, updatedAt } });
    return { ...bill, ...view, updatedAt };
  }

  private async settlementOf(billId: string): Promise<SettlementDoc | undefined> {
    return (
      (await this.m.settlements.findById(settlementIdOf(billId)).lean<SettlementDoc>()) ?? undefined
    );
  }

  private async withdrawalOf(billId: string): Promise<WithdrawalDoc | undefined> {
    return (
      (await this.m.withdrawals.findById(withdrawalIdOf(billId)).lean<WithdrawalDoc>()) ?? undefined
    );
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

/** `withdrawal:<billId>`: one withdrawal per bill. */
function withdrawalIdOf(billId: string): string {
  return `withdrawal:${billId}`;
}

/** What of a withdrawal decides what a bill shows (a fact, or a bill's own legacy record). */
type WithdrawalFacts = Pick<
  WithdrawalDoc,
  'withdrawnOn' | 'keptFen' | 'servedDays' | 'remainingDays' | 'at' | 'by'
>;

/**
 * What goes back of a payment after a withdrawal: paid − kept, in whole fen (kept is
 * `refundOnWithdrawal`'s, so a payment of the amount the withdrawal was computed on gets its
 * refund exactly; a payment of only the days served gets none).
 */
function refundOf(s: Pick<SettlementDoc, 'paidFen'>, w: Pick<WithdrawalFacts, 'keptFen'>): number {
  return Math.max(0, s.paidFen - w.keptFen);
}

/** The fields of a bill its settlement and withdrawal decide. */
type FactsView = Partial<
  Pick<
    BillDoc,
    'status' | 'amountFen' | 'paidFen' | 'paidAt' | 'transactionId' | 'paymentMethod' | 'withdrawal'
  >
>;

/**
 * What a bill shows by its facts: paid as settled (its amount what was paid); withdrawn with
 * the refund of the payment, or, unpaid, asking only the kept amount (cancelled at 0).
 */
function factsView(
  bill: BillDoc,
  s: SettlementDoc | undefined,
  w: WithdrawalFacts | undefined,
): FactsView {
  const view: FactsView = {};
  if (s) {
    view.status = 'paid';
    view.amountFen = s.paidFen;
    view.paidFen = s.paidFen;
    view.paidAt = s.at;
    view.transactionId = s.transactionId;
    view.paymentMethod = s.method;
  }
  if (w) {
    view.withdrawal = {
      withdrawnOn: w.withdrawnOn,
      keptFen: w.keptFen,
      refundFen: s ? refundOf(s, w) : 0,
      servedDays: w.servedDays,
      remainingDays: w.remainingDays,
      at: w.at,
      by: w.by,
    };
    if (!s && bill.status !== 'waived' && bill.status !== 'paid') {
      view.amountFen = w.keptFen;
      if (w.keptFen === 0) view.status = 'cancelled';
    }
  }
  return view;
}

/** Whether the bill shows something other than `view`. */
function differs(bill: BillDoc, view: FactsView): boolean {
  const time = (d: Date | undefined) => (d ? new Date(d).getTime() : undefined);
  const w = view.withdrawal;
  return (
    (view.status !== undefined && view.status !== bill.status) ||
    (view.amountFen !== undefined && view.amountFen !== bill.amountFen) ||
    (view.paidFen !== undefined && view.paidFen !== bill.paidFen) ||
    (view.paidAt !== undefined && time(view.paidAt) !== time(bill.paidAt)) ||
    (view.transactionId !== undefined && view.transactionId !== bill.transactionId) ||
    (view.paymentMethod !== undefined && view.paymentMethod !== bill.paymentMethod) ||
    (w !== undefined &&
      (bill.withdrawal?.withdrawnOn !== w.withdrawnOn ||
        bill.withdrawal.keptFen !== w.keptFen ||
        bill.withdrawal.refundFen !== w.refundFen))
  );
}

/** How many lookups by `_id` {@link byIds} keeps in flight. */
const LOOKUPS_IN_FLIGHT = 32;

/**
 * Documents by `_id`, one lookup each, a few dozen at a time: the only lookup FerretDB 1.24
 * serves from an index (ADR 0003) — an `$in` filter would scan the whole collection, which
 * holds every bill's facts of every school and month.
 */
async function byIds<T extends { _id: string }>(
  ids: string[],
  one: (id: string) => Promise<T | null>,
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  for (let i = 0; i < ids.length; i += LOOKUPS_IN_FLIGHT) {
    const docs = await Promise.all(ids.slice(i, i + LOOKUPS_IN_FLIGHT).map(one));
    for (const d of docs) if (d) found.set(d._id, d);
  }
  return found;
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
