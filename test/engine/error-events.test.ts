import { brand, deployFixtures, startEngineHarness, type EngineHarness } from '../fixtures/engine';
import {
  elementsIn,
  jobsOf,
  rootVariables,
  startInstance,
  visits,
  waitForIncident,
  waitForInstance,
} from '../fixtures/engine-queries';

describe('error events', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'error-boundary.bpmn', 'error-subprocess.bpmn');
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });
  afterAll(async () => {
    await h.close();
  });

  it('should catch a job error with its code on an error boundary event and hand on its variables', async () => {
    // given
    const seenOnCatchPath: unknown[] = [];
    h.client.createJobWorker({
      jobType: 'charge-card',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) =>
        job.error({
          errorCode: 'PAYMENT_DECLINED',
          errorMessage: 'card expired',
          variables: { declineReason: 'expired' },
        }),
    });
    h.client.createJobWorker({
      jobType: 'notify-customer',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => {
        seenOnCatchPath.push(job.variables.declineReason);
        return job.complete();
      },
    });

    // when
    const key = await startInstance(h, 'error-boundary', { cardId: 'card-1' });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect((await visits(h, key)).map((v) => [v.elementId, v.state])).toEqual([
      ['error-boundary', 'COMPLETED'],
      ['Start', 'COMPLETED'],
      ['ChargeCard', 'TERMINATED'],
      ['PaymentDeclined', 'COMPLETED'],
      ['NotifyCustomer', 'COMPLETED'],
      ['Declined', 'COMPLETED'],
    ]);
    expect(seenOnCatchPath).toEqual(['expired']);
    expect(await rootVariables(h, key)).toEqual({ cardId: 'card-1', declineReason: 'expired' });
  });

  it('should catch any error code on a catch-all error boundary event', async () => {
    // given
    h.client.createJobWorker({
      jobType: 'book-room',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => job.error({ errorCode: 'NO_ROOM_LEFT' }),
    });

    // when
    const key = await startInstance(h, 'error-catch-all');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'error-catch-all',
      'AnyStart',
      'AnyError',
      'BookingFailed',
    ]);
    expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['BookRoom']);
  });

  it('should raise an UNHANDLED_ERROR_EVENT incident for an error code nobody catches', async () => {
    // given
    h.client.createJobWorker({
      jobType: 'charge-card',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => job.error({ errorCode: 'CARD_STOLEN', errorMessage: 'call the police' }),
    });

    // when
    const key = await startInstance(h, 'error-boundary', { cardId: 'card-2' });

    // then
    const incident = await waitForIncident(h, key);
    expect(incident).toMatchObject({
      errorType: 'UNHANDLED_ERROR_EVENT',
      elementId: 'ChargeCard',
      state: 'ACTIVE',
    });
    expect(incident.errorMessage).toContain("'CARD_STOLEN'");
    const instance = await waitForInstance(h, key, 'ACTIVE');
    expect(instance.hasIncident).toBe(true);
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['error-boundary', 'ChargeCard']);
  });

  it('should hand the job out again when an UNHANDLED_ERROR_EVENT incident is resolved', async () => {
    // given
    let calls = 0;
    h.client.createJobWorker({
      jobType: 'charge-card',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => {
        calls++;
        return calls === 1
          ? job.error({ errorCode: 'CARD_BLOCKED' })
          : job.complete({ paid: true });
      },
    });
    const key = await startInstance(h, 'error-boundary', { cardId: 'card-3' });
    const incident = await waitForIncident(h, key);

    // when
    await h.client.resolveIncident({ incidentKey: brand(String(incident.incidentKey)) });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(calls).toBe(2);
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'error-boundary',
      'Start',
      'ChargeCard',
      'Charged',
    ]);
  });

  it('should catch an error end event of an embedded sub-process on the sub-process boundary', async () => {
    // when
    const key = await startInstance(h, 'error-end-in-subprocess', { quantity: 50 });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    const path = await visits(h, key);
    expect(path.filter((v) => v.state === 'COMPLETED').map((v) => v.elementId)).toEqual([
      'error-end-in-subprocess',
      'Start',
      'ReserveStart',
      'InStock',
      'StockMissing',
      'Backordered',
    ]);
    expect(path.find((v) => v.elementId === 'ReserveStock')?.state).toBe('TERMINATED');
    expect(path.map((v) => v.elementId)).not.toContain('StockReserved');
  });

  it('should leave the sub-process normally when no error is thrown', async () => {
    // when
    const key = await startInstance(h, 'error-end-in-subprocess', { quantity: 5 });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'error-end-in-subprocess',
      'Start',
      'ReserveStock',
      'ReserveStart',
      'InStock',
      'Reserved',
      'StockReserved',
    ]);
  });

  it('should start an interrupting error event sub-process for a job error', async () => {
    // given
    const refunds: unknown[] = [];
    h.client.createJobWorker({
      jobType: 'ship-parcel',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) =>
        job.error({ errorCode: 'SHIPPING_FAILED', variables: { carrier: 'slow-post' } }),
    });
    h.client.createJobWorker({
      jobType: 'refund-customer',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => {
        refunds.push(job.variables.carrier);
        return job.complete({ refunded: true });
      },
    });

    // when
    const key = await startInstance(h, 'error-event-subprocess');

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect((await visits(h, key)).map((v) => [v.elementId, v.type, v.state])).toEqual([
      ['error-event-subprocess', 'PROCESS', 'COMPLETED'],
      ['ShipStart', 'START_EVENT', 'COMPLETED'],
      ['ShipParcel', 'SERVICE_TASK', 'TERMINATED'],
      ['ShippingFailure', 'EVENT_SUB_PROCESS', 'COMPLETED'],
      ['ShippingFailed', 'START_EVENT', 'COMPLETED'],
      ['RefundCustomer', 'SERVICE_TASK', 'COMPLETED'],
      ['Refunded', 'END_EVENT', 'COMPLETED'],
    ]);
    expect(refunds).toEqual(['slow-post']);
    expect(await jobsOf(h, key)).toEqual([]);
  });
});
