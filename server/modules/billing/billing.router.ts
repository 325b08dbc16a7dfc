import express, { type RequestHandler, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { currentPrincipal } from '../auth';
import {
  balancesQuery,
  balancesView,
  billingFacts,
  billList,
  billParams,
  billView,
  closeParams,
  createBillsBody,
  createBillsResponse,
  ledgerEntryView,
  ledgerList,
  listBillsQuery,
  listLedgerQuery,
  listSchoolsQuery,
  monthClose,
  monthQuery,
  payBillBody,
  requestRunBody,
  requestRunResponse,
  runParams,
  runSummary,
  schoolParams,
  schoolsToBill,
  settlementView,
  spendingBody,
  summaryQuery,
  summaryView,
  withdrawalBody,
} from './billing.schema';
import type { BillingService } from './billing.service';
import type { LedgerService } from './ledger.service';

/**
 * /api/billing: bills (parents their children's, the school its own), cash payments the school
 * records, totals for those who oversee the money, the earmarked ledger (FEE-EARMARK), and the
 * worker-facing steps of the monthly billing process (facts, bills, payment orders, payments,
 * overdue, the month's close, a withdrawal's refund). Who may do what: CASL, per document.
 */
export function createBillingRouter(
  billing: BillingService,
  ledger: LedgerService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'billing' });
  const runPart = { params: runParams, errors: [403, 404] };

  // people //////////

  api.post(
    '/runs',
    {
      summary: 'Request a billing run now (message billing-run-requested)',
      body: requestRunBody,
      responses: { 202: { description: 'Requested', schema: requestRunResponse } },
      errors: [403, 404],
    },
    async ({ body }, _req, res) => {
      res.status(202).json(await billing.requestRun(currentPrincipal(res), body));
    },
  );

  api.get(
    '/bills',
    {
      summary: "The bills the caller may read (a parent: their children's), newest month first",
      query: listBillsQuery,
      responses: { 200: { description: 'One page of bills', schema: billList } },
    },
    async ({ query }, _req, res) => {
      res.json(await billing.list(currentPrincipal(res), query));
    },
  );

  api.get(
    '/bills/:id',
    {
      summary: 'One bill with its lines and the rules that shaped it',
      params: billParams,
      responses: { 200: { description: 'The bill', schema: billView } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await billing.get(currentPrincipal(res), params.id));
    },
  );

  api.post(
    '/bills/:id/pay',
    {
      summary: 'Record a cash or bank payment the school received (school admin; settles once)',
      params: billParams,
      body: payBillBody,
      responses: { 200: { description: 'Settled', schema: settlementView } },
      errors: [403, 404, 409],
    },
    async ({ params, body }, _req, res) => {
      res.json(await billing.pay(currentPrincipal(res), params.id, body));
    },
  );

  api.get(
    '/summary',
    {
      summary: 'Bills in totals per school and month (school, county and city bureaus)',
      query: summaryQuery,
      responses: { 200: { description: 'Totals', schema: summaryView } },
    },
    async ({ query }, _req, res) => {
      res.json(await billing.summary(currentPrincipal(res), query));
    },
  );

  api.get(
    '/ledger/entries',
    {
      summary: "The earmarked ledger's entries the caller may read, newest first",
      query: listLedgerQuery,
      responses: { 200: { description: 'One page of entries', schema: ledgerList } },
    },
    async ({ query }, _req, res) => {
      res.json(await ledger.list(currentPrincipal(res), query));
    },
  );

  api.post(
    '/ledger/entries',
    {
      summary: 'Record spending in one of the four earmarked categories (FEE-EARMARK)',
      body: spendingBody,
      responses: { 201: { description: 'Recorded', schema: ledgerEntryView } },
      errors: [403, 404, 409, 422],
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await ledger.addSpending(currentPrincipal(res), body));
    },
  );

  api.get(
    '/ledger/balances',
    {
      summary: 'Income, refunds, spending and balance per school and month',
      query: balancesQuery,
      responses: { 200: { description: 'Balances', schema: balancesView } },
    },
    async ({ query }, _req, res) => {
      res.json(await ledger.balances(currentPrincipal(res), query));
    },
  );

  // job workers //////////

  api.get(
    '/schools',
    {
      summary: 'The schools to bill in a month: a filed plan overlapping it (workers)',
      query: listSchoolsQuery,
      responses: { 200: { description: 'The schools', schema: schoolsToBill } },
      errors: [403],
    },
    async ({ query }, _req, res) => {
      res.json(await billing.schoolsToBill(currentPrincipal(res), query));
    },
  );

  api.get(
    '/schools/:schoolId/facts',
    {
      summary: "What a school's month is assessed from: plans and enrolled children (workers)",
      params: schoolParams,
      query: monthQuery,
      responses: { 200: { description: 'The facts', schema: billingFacts } },
      errors: [403, 404],
    },
    async ({ params, query }, _req, res) => {
      res.json(await billing.facts(currentPrincipal(res), params.schoolId, query.month));
    },
  );

  api.post(
    '/bills',
    {
      summary: 'Record assessed bills, one per child and month (workers; idempotent)',
      body: createBillsBody,
      responses: { 200: { description: 'Recorded', schema: createBillsResponse } },
      errors: [403, 404, 422],
    },
    async ({ body }, _req, res) => {
      res.json(await billing.createBills(currentPrincipal(res), body));
    },
  );

  api.get(
    '/runs/:schoolId/:month',
    {
      ...runPart,
      summary: "Where a school's billing run of a month stands (workers)",
      responses: { 200: { description: 'Counts', schema: runSummary } },
    },
    async ({ params }, _req, res) => {
      res.json(await billing.runSummary(currentPrincipal(res), params.schoolId, params.month));
    },
  );

  api.post(
    '/runs/:schoolId/:month/payment-orders',
    {
      ...runPart,
      summary: 'A payment order for every unpaid bill of the run (workers; idempotent)',
      responses: {
        200: { description: 'Ordered', schema: runSummary.pick({ paymentOrderCount: true }) },
      },
      errors: [403, 404, 422],
    },
    async ({ params }, _req, res) => {
      res.json(
        await billing.createPaymentOrders(currentPrincipal(res), params.schoolId, params.month),
      );
    },
  );

  api.post(
    '/runs/:schoolId/:month/payments',
    {
      ...runPart,
      summary: "The run's payments so far, each in the earmarked ledger (workers)",
      responses: {
        200: {
          description: 'Paid and unpaid',
          schema: runSummary.pick({ paidFen: true, unpaidBillCount: true, unpaidStudentIds: true }),
        },
      },
    },
    async ({ params }, _req, res) => {
      res.json(await billing.recordPayments(currentPrincipal(res), params.schoolId, params.month));
    },
  );

  api.post(
    '/runs/:schoolId/:month/overdue',
    {
      ...runPart,
      summary: "The run's unpaid bills become overdue (workers)",
      responses: {
        200: { description: 'Overdue', schema: runSummary.pick({ overdueBillCount: true }) },
      },
    },
    async ({ params }, _req, res) => {
      res.json(await billing.markOverdue(currentPrincipal(res), params.schoolId, params.month));
    },
  );

  api.post(
    '/ledger/:schoolId/:month/close',
    {
      params: closeParams,
      summary: "Close a school's month of the earmarked ledger, listing breaches (workers)",
      responses: { 200: { description: 'The close', schema: monthClose } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      res.json(await ledger.close(currentPrincipal(res), params.schoolId, params.month));
    },
  );

  api.post(
    '/bills/:id/withdrawal',
    {
      summary: 'What a withdrawal does to a bill: refund or smaller amount due (workers; once)',
      params: billParams,
      body: withdrawalBody,
      responses: { 200: { description: 'Recorded', schema: billView } },
      errors: [403, 404],
    },
    async ({ params, body }, _req, res) => {
      res.json(await billing.recordWithdrawal(currentPrincipal(res), params.id, body));
    },
  );

  return r;
}
