import { randomBytes } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { insertMissing, isDuplicateKey } from '../../db/models';
import { NotFoundError, RuleViolationError, UserError, type RuleCitation } from '../../lib/errors';
import { hasMessage, t } from '../../lib/i18n';
import { cite } from '../../rules/citations';
import { shanghaiDate } from '../../rules/dates';
import { checkLedgerEntry, EARMARKED_SPENDING } from '../../rules/fees';
import type { OrgModels, SchoolDoc } from '../org/org.model';
import type { BillDoc, BillingModels, LedgerEntryDoc, SettlementDoc } from './billing.model';
import type {
  BalancesQuery,
  LedgerEntryView,
  ListLedgerQuery,
  MonthClose,
  SpendingBody,
} from './billing.schema';

/** The ledger's category of fee income and of refunds (fees.ts `LEDGER_CATEGORIES`). */
export const FEE_PAYMENT = 'fee-payment';
export const FEE_REFUND = 'fee-refund';

/**
 * A school's earmarked ledger (专款专用, FEE-EARMARK): every fee payment is an income entry,
 * every refund and every spending an entry going out, and spending only in the four
 * categories the policy names (staff allowances, consumables, venue and equipment upkeep,
 * bought-in services). Entries are append-only; a month's close sums them and reports any
 * entry outside the categories (one can only come from outside this API, e.g. an import).
 */
export class LedgerService {
  constructor(
    private readonly m: Pick<BillingModels, 'ledger' | 'monthCloses'>,
    private readonly org: Pick<OrgModels, 'schools'>,
  ) {}

  /** The income entry of a settled bill (`pay:<billId>`, once). */
  async recordIncome(bill: BillDoc, settlement: SettlementDoc): Promise<void> {
    await insertMissing(this.m.ledger, [
      {
        _id: `pay:${bill._id}`,
        cityId: bill.cityId,
        countyId: bill.countyId,
        schoolId: bill.schoolId,
        month: bill.month,
        date: shanghaiDate(settlement.at),
        direction: 'in',
        category: FEE_PAYMENT,
        amountFen: settlement.paidFen,
        description: t('billing.ledger.payment', { student: bill.studentName, month: bill.month }),
        billId: bill._id,
        by: settlement.by,
        at: settlement.at,
      },
    ]);
  }

  /**
   * The refund entry of a withdrawn child's paid bill (`refund:<billId>`, once). Answers
   * whether this call inserted it: of concurrent callers exactly one does, and that one tells
   * the refund listeners.
   */
  async recordRefund(
    bill: BillDoc,
    refundFen: number,
    withdrawnOn: string,
    by: string,
  ): Promise<boolean> {
    const entry: LedgerEntryDoc = {
      _id: `refund:${bill._id}`,
      cityId: bill.cityId,
      countyId: bill.countyId,
      schoolId: bill.schoolId,
      month: bill.month,
      date: shanghaiDate(new Date()),
      direction: 'out',
      category: FEE_REFUND,
      amountFen: refundFen,
      description: t('billing.ledger.refund', {
        student: bill.studentName,
        month: bill.month,
        date: withdrawnOn,
      }),
      billId: bill._id,
      by,
      at: new Date(),
    };
    try {
      await this.m.ledger.create(entry);
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return false;
    }
  }

  /**
   * A school admin records spending. Only the four earmarked categories are accepted; any
   * other (a refund included: those follow a withdrawal) is refused naming FEE-EARMARK.
   */
  async addSpending(p: Principal, body: SpendingBody): Promise<LedgerEntryView> {
    const school = await this.schoolOf(body.schoolId);
    const ability = abilityFor(p);
    const place = subject('LedgerEntry', placeOf(school));
    if (!ability.can('create', place)) {
      if (ability.can('read', place))
        throw new UserError(
          403,
          'FORBIDDEN',
          'error.forbidden',
          'only the school records spending',
        );
      throw new NotFoundError();
    }
    const decision = checkLedgerEntry({
      direction: 'out',
      category: body.category,
      amountFen: body.amountFen,
      description: body.description,
    });
    const violations = [...decision.violations];
    if (decision.ok && !(EARMARKED_SPENDING as readonly string[]).includes(body.category))
      violations.push(
        cite('FEE-EARMARK', 'rule.FEE-EARMARK.category', { category: body.category }),
      );
    if (violations.length) throw new RuleViolationError(violations);

    const now = new Date();
    const doc: LedgerEntryDoc = {
      _id: `spend:${body.schoolId}:${body.key ?? `${now.getTime().toString(36)}-${randomTail()}`}`,
      ...placeOf(school),
      month: body.date.slice(0, 7),
      date: body.date,
      direction: 'out',
      category: body.category,
      amountFen: body.amountFen,
      description: body.description,
      by: p.userId,
      at: now,
    };
    try {
      await this.m.ledger.create(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const before = await this.m.ledger.findById(doc._id).lean<LedgerEntryDoc>();
      if (!before || before.amountFen !== doc.amountFen || before.category !== doc.category)
        throw new UserError(
          409,
          'LEDGER_KEY_REUSED',
          'error.conflict',
          'key used for another entry',
        );
      return entryView(before);
    }
    return entryView(doc);
  }

  /** The entries the caller may read, newest first. */
  async list(
    p: Principal,
    q: ListLedgerQuery,
  ): Promise<{ items: LedgerEntryView[]; total: number }> {
    const rows = await this.readable(p, q);
    rows.sort((a, b) => (a.date === b.date ? (a.at < b.at ? 1 : -1) : a.date < b.date ? 1 : -1));
    return {
      items: rows.slice(q.offset, q.offset + q.limit).map(entryView),
      total: rows.length,
    };
  }

  /**
   * Income, refunds and spending per school and month, with the balance carried from every
   * month before (of the entries the caller may read).
   */
  async balances(p: Principal, q: BalancesQuery) {
    const rows = await this.readable(p, { schoolId: q.schoolId, countyId: q.countyId });
    const items = monthTotals(rows);
    return { items: q.month ? items.filter((i) => i.month === q.month) : items };
  }

  /**
   * Closes a school's month (worker `record-ledger`, month-close): sums the month, carries the
   * balance, and lists every entry outside FEE-EARMARK's categories as a breach.
   */
  async close(p: Principal, schoolId: string, month: string): Promise<MonthClose> {
    const school = await this.schoolOf(schoolId);
    if (
      !p.roles.includes('worker') ||
      !abilityFor(p).can('create', subject('LedgerEntry', placeOf(school)))
    )
      throw new NotFoundError();
    const rows = await this.m.ledger.find({ schoolId }).lean<LedgerEntryDoc[]>();
    const totals = monthTotals(rows.filter((r) => r.month <= month));
    const mine = totals.find((r) => r.month === month);
    const breaches = new Map<string, RuleCitation>();
    for (const entry of rows.filter((r) => r.month === month)) {
      const decision = checkLedgerEntry({
        direction: entry.direction,
        category: entry.category,
        amountFen: entry.amountFen,
      });
      for (const v of decision.violations) breaches.set(`${entry.direction}:${entry.category}`, v);
    }
    const result: MonthClose = {
      incomeFen: mine?.incomeFen ?? 0,
      refundFen: mine?.refundFen ?? 0,
      spendingFen: mine?.spendingFen ?? 0,
      netFen: mine?.netFen ?? 0,
      ledgerBalanceFen: totals.at(-1)?.balanceFen ?? 0,
      breaches: [...breaches.values()],
    };
    await this.m.monthCloses.updateOne(
      { _id: `close:${schoolId}:${month}` },
      {
        $set: {
          ...placeOf(school),
          month,
          incomeFen: result.incomeFen,
          refundFen: result.refundFen,
          spendingFen: result.spendingFen,
          netFen: result.netFen,
          balanceFen: result.ledgerBalanceFen,
          ...(result.breaches.length ? { breaches: JSON.stringify(result.breaches) } : {}),
          closedAt: new Date(),
          by: p.userId,
        },
      },
      { upsert: true },
    );
    return result;
  }

  // helpers //////////

  private async readable(
    p: Principal,
    q: { schoolId?: string; countyId?: string; month?: string; direction?: 'in' | 'out' },
  ): Promise<LedgerEntryDoc[]> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'LedgerEntry');
    if (!allowed) return [];
    return this.m.ledger
      .find({
        $and: [
          allowed,
          ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
          ...(q.countyId ? [{ countyId: q.countyId }] : []),
          ...(q.month ? [{ month: q.month }] : []),
          ...(q.direction ? [{ direction: q.direction }] : []),
        ],
      })
      .lean<LedgerEntryDoc[]>();
  }

  private async schoolOf(schoolId: string): Promise<SchoolDoc> {
    const school = await this.org.schools.findById(schoolId).lean<SchoolDoc>();
    if (!school) throw new NotFoundError();
    return school;
  }
}

/** The ids of a school's place, as every billing document carries them. */
export function placeOf(school: SchoolDoc): { cityId: string; countyId: string; schoolId: string } {
  return { cityId: school.cityId, countyId: school.countyId, schoolId: school._id };
}

/** The zh-CN name of a ledger category (the category itself when it has none). */
export function categoryName(category: string): string {
  const key = `billing.category.${category}`;
  return hasMessage(key) ? t(key) : category;
}

function entryView(e: LedgerEntryDoc): LedgerEntryView {
  return {
    id: e._id,
    schoolId: e.schoolId,
    countyId: e.countyId,
    month: e.month,
    date: e.date,
    direction: e.direction,
    category: e.category,
    categoryName: categoryName(e.category),
    amountFen: e.amountFen,
    ...(e.description ? { description: e.description } : {}),
    ...(e.billId ? { billId: e.billId } : {}),
    by: e.by,
    at: new Date(e.at).toISOString(),
  };
}

/** Totals per school and month, oldest first, each with the school's running balance. */
function monthTotals(rows: LedgerEntryDoc[]) {
  const byKey = new Map<
    string,
    {
      schoolId: string;
      countyId: string;
      month: string;
      incomeFen: number;
      refundFen: number;
      spendingFen: number;
      netFen: number;
      balanceFen: number;
      spendingByCategory: Record<string, number>;
    }
  >();
  for (const r of rows) {
    const key = `${r.schoolId}|${r.month}`;
    const row = byKey.get(key) ?? {
      schoolId: r.schoolId,
      countyId: r.countyId,
      month: r.month,
      incomeFen: 0,
      refundFen: 0,
      spendingFen: 0,
      netFen: 0,
      balanceFen: 0,
      spendingByCategory: {},
    };
    if (r.direction === 'in') row.incomeFen += r.amountFen;
    else if (r.category === FEE_REFUND) row.refundFen += r.amountFen;
    else {
      row.spendingFen += r.amountFen;
      row.spendingByCategory[r.category] = (row.spendingByCategory[r.category] ?? 0) + r.amountFen;
    }
    row.netFen = row.incomeFen - row.refundFen - row.spendingFen;
    byKey.set(key, row);
  }
  const items = [...byKey.values()].sort((a, b) =>
    a.schoolId === b.schoolId
      ? a.month.localeCompare(b.month)
      : a.schoolId.localeCompare(b.schoolId),
  );
  const carried = new Map<string, number>();
  for (const item of items) {
    item.balanceFen = (carried.get(item.schoolId) ?? 0) + item.netFen;
    carried.set(item.schoolId, item.balanceFen);
  }
  return items;
}

function randomTail(): string {
  return randomBytes(4).toString('hex');
}
