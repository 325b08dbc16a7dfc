import type { Principal } from '../../auth/principal';

/**
 * What payments need of billing, and nothing more (billing stays ignorant of WeChat Pay).
 * Billing makes the bills and keeps the earmarked ledger; payments turn a bill into a WeChat
 * Pay order, report each payment once, and pay back what a withdrawal refunds.
 */

/** A bill as payments take it. */
export interface PayableBill {
  billId: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  studentId: string;
  amountFen: number;
  /** What the payer sees (≤ 127 bytes; cut here when longer). */
  description: string;
  /** Only `open` (and `overdue`) bills are ordered. */
  payable: boolean;
  /** The number billing derived for the bill's order, if any (the first attempt uses it). */
  outTradeNo?: string;
  /** The payer's openid under the merchant's AppID, when known (JSAPI). */
  payerOpenId?: string;
}

/** A payment WeChat Pay confirmed, as reported to billing. */
export interface PaymentSettlement {
  billId: string;
  outTradeNo: string;
  paidFen: number;
  /** WeChat Pay's transaction_id: billing settles the same transaction once. */
  transactionId: string;
  paidAt: Date;
}

/** What billing answered: settled now, settled before (same transaction), or not payable. */
export type SettlementOutcome = 'settled' | 'already-settled' | 'duplicate-payment' | 'not-payable';

/** Billing as payments call it. */
export interface BillingPort {
  /** The bill the caller may read (a parent: their child's); NotFoundError otherwise. */
  billFor(p: Principal, billId: string): Promise<PayableBill>;
  /**
   * Settles the bill with this payment; must be idempotent by `transactionId` (the same
   * payment may be reported again after a crash). `duplicate-payment`: the bill was settled
   * by another transaction, so this one is paid back.
   */
  settle(s: PaymentSettlement): Promise<SettlementOutcome>;
}

/**
 * A bill's payment services as billing's own service offers them (structural, so payments do
 * not import billing): `get` with the caller's authorization, `settleBill` once per bill.
 */
export interface BillingServiceLike {
  get(
    p: Principal,
    billId: string,
  ): Promise<{
    id: string;
    schoolId: string;
    studentId: string;
    studentName: string;
    month: string;
    amountFen: number;
    status: string;
    outTradeNo?: string;
  }>;
  settleBill(
    billId: string,
    paidFen: number,
    transactionId: string,
  ): Promise<{ settled: boolean; transactionId: string }>;
}

/**
 * Adapts billing's service to {@link BillingPort}. `placeOf` gives the city and county of a
 * school (billing's bill view has only the school); `describe` the payer's line.
 */
export function billingPortOf(
  billing: BillingServiceLike,
  placeOf: (schoolId: string) => Promise<{ cityId: string; countyId: string }>,
  describe: (bill: { studentName: string; month: string }) => string,
): BillingPort {
  return {
    async billFor(p, billId) {
      const bill = await billing.get(p, billId);
      const place = await placeOf(bill.schoolId);
      return {
        billId: bill.id,
        ...place,
        schoolId: bill.schoolId,
        studentId: bill.studentId,
        amountFen: bill.amountFen,
        description: describe(bill),
        payable: bill.status === 'open' || bill.status === 'overdue',
        ...(bill.outTradeNo ? { outTradeNo: bill.outTradeNo } : {}),
      };
    },
    async settle(s) {
      try {
        const r = await billing.settleBill(s.billId, s.paidFen, s.transactionId);
        if (r.transactionId !== s.transactionId) return 'duplicate-payment';
        return r.settled ? 'settled' : 'already-settled';
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'BILL_NOT_PAYABLE' || code === 'PAYMENT_AMOUNT_MISMATCH') return 'not-payable';
        if (code === 'BILL_ALREADY_PAID') return 'duplicate-payment';
        throw err;
      }
    },
  };
}
