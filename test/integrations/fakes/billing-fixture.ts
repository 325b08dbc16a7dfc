import type { Principal } from '../../../server/auth/principal';
import type { Database } from '../../../server/db/connection';
import { isDuplicateKey } from '../../../server/db/models';
import { NotFoundError } from '../../../server/lib/errors';
import type {
  BillingPort,
  PayableBill,
  PaymentSettlement,
  SettlementOutcome,
} from '../../../server/modules/payments/billing-port';

/**
 * A small billing of our own behind {@link BillingPort}, on this test file's real database:
 * bills a guardian may read, settled once per bill by inserting `settle:<billId>` (the same
 * compare-and-swap billing uses), each settlement booked as one ledger income entry.
 */
export interface FixtureBill extends PayableBill {
  _id: string;
  guardianUserIds: string[];
  status: 'open' | 'paid' | 'cancelled';
}

/** The fixture billing and what it recorded. */
export interface FixtureBilling extends BillingPort {
  addBill(bill: Omit<FixtureBill, '_id' | 'payable' | 'status'>): Promise<FixtureBill>;
  bill(billId: string): Promise<FixtureBill | null>;
  settlements(billId: string): Promise<{ _id: string; transactionId: string; paidFen: number }[]>;
  ledger(billId: string): Promise<{ _id: string; amountFen: number }[]>;
  /** How often settle was called (repeats included). */
  calls: PaymentSettlement[];
}

/** Creates the fixture billing on `db`. */
export async function createFixtureBilling(db: Database): Promise<FixtureBilling> {
  await db.ensureCollections(['fixture_bills', 'fixture_settlements', 'fixture_ledger']);
  const bills = db.connection.collection<FixtureBill>('fixture_bills');
  const settlements = db.connection.collection<{
    _id: string;
    billId: string;
    transactionId: string;
    paidFen: number;
  }>('fixture_settlements');
  const ledger = db.connection.collection<{ _id: string; billId: string; amountFen: number }>(
    'fixture_ledger',
  );
  const calls: PaymentSettlement[] = [];
  return {
    calls,
    async addBill(input) {
      const bill: FixtureBill = { ...input, _id: input.billId, payable: true, status: 'open' };
      await bills.insertOne(bill);
      return bill;
    },
    bill: (billId) => bills.findOne({ _id: billId }),
    settlements: (billId) => settlements.find({ billId }).toArray(),
    ledger: (billId) => ledger.find({ billId }).toArray(),
    async billFor(p: Principal, billId: string) {
      const bill = await bills.findOne({ _id: billId });
      const isStaff = p.memberships.some(
        (m) => m.role === 'schoolAdmin' && m.scope.schoolId === bill?.schoolId,
      );
      if (!bill || (!bill.guardianUserIds.includes(p.userId) && !isStaff))
        throw new NotFoundError();
      return { ...bill, payable: bill.status === 'open' };
    },
    async settle(s): Promise<SettlementOutcome> {
      calls.push(s);
      const bill = await bills.findOne({ _id: s.billId });
      if (!bill) throw new NotFoundError();
      try {
        await settlements.insertOne({
          _id: `settle:${s.billId}`,
          billId: s.billId,
          transactionId: s.transactionId,
          paidFen: s.paidFen,
        });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const won = await settlements.findOne({ _id: `settle:${s.billId}` });
        return won?.transactionId === s.transactionId ? 'already-settled' : 'duplicate-payment';
      }
      if (bill.status !== 'open' || s.paidFen !== bill.amountFen) return 'not-payable';
      await bills.updateOne({ _id: s.billId }, { $set: { status: 'paid' } });
      try {
        await ledger.insertOne({ _id: `pay:${s.billId}`, billId: s.billId, amountFen: s.paidFen });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      return 'settled';
    },
  };
}
