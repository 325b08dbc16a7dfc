import arrangePlaces from './arrange-places.worker';
import assessFee from './assess-fee.worker';
import checkEligibility from './check-eligibility.worker';
import checkInsurance from './check-insurance.worker';
import checkPlan from './check-plan.worker';
import checkServiceTime from './check-service-time.worker';
import notify from './notify.worker';
import publishPlan from './publish-plan.worker';
import refundFee from './refund-fee.worker';
import attachAttendance from './attach-attendance.worker';
import checkStaffRecord from './check-staff-record.worker';
import registerStaff from './register-staff.worker';
import openClaim from './open-claim.worker';
import settleClaim from './settle-claim.worker';
import createBills from './create-bills.worker';
import createPaymentOrder from './create-payment-order.worker';
import listSchools from './list-schools.worker';
import markBillsOverdue from './mark-bills-overdue.worker';
import recordLedger from './record-ledger.worker';
import resolveDiscrepancy from './resolve-discrepancy.worker';
import type { JobWorkerDefinition } from './runtime';

/** Every job type the product's processes use, one worker each (file stem = job type). */
export const WORKERS: readonly JobWorkerDefinition[] = [
  checkEligibility,
  checkInsurance,
  checkServiceTime,
  arrangePlaces,
  assessFee,
  notify,
  refundFee,
  checkPlan,
  publishPlan,
  attachAttendance,
  openClaim,
  settleClaim,
  checkStaffRecord,
  registerStaff,
  listSchools,
  createBills,
  createPaymentOrder,
  recordLedger,
  markBillsOverdue,
  resolveDiscrepancy,
];
