import {
  brand,
  deployFixtures,
  eventually,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';
import {
  elementsIn,
  instancesOf,
  rootVariables,
  startInstance,
  waitForElement,
  waitForInstance,
} from '../fixtures/engine-queries';

/** The HTTP status and problem title of a rejected client call. */
async function problemOf(call: Promise<unknown>): Promise<{ status?: number; title?: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { status?: number; title?: string };
    return { status: e.status, title: e.title };
  }
  throw new Error('expected the call to be rejected');
}

describe('message events', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(
      h,
      'message-catch.bpmn',
      'message-receive-task.bpmn',
      'message-boundary.bpmn',
      'message-start.bpmn',
      'message-event-subprocess.bpmn',
    );
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });
  afterAll(async () => {
    await h.close();
  });

  describe('intermediate message catch event', () => {
    it('should correlate a message by the correlation key taken from a variable', async () => {
      // given
      const key = await startInstance(h, 'message-catch', { orderId: 'order-1' });
      const other = await startInstance(h, 'message-catch', { orderId: 'order-2' });
      await waitForElement(h, key, 'PaymentReceived');

      // when
      await h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'order-1',
        variables: { amount: 12.5 },
      });

      // then
      await waitForInstance(h, key, 'COMPLETED');
      expect(await rootVariables(h, key)).toEqual({ orderId: 'order-1', amount: 12.5 });
      expect(await elementsIn(h, other, 'ACTIVE')).toEqual(['message-catch', 'PaymentReceived']);
    });

    it('should correlate a message to only one instance of a process waiting for it', async () => {
      // given
      const first = await startInstance(h, 'message-catch', { orderId: 'shared' });
      const second = await startInstance(h, 'message-catch', { orderId: 'shared' });

      // when
      await h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'shared',
        timeToLive: 60_000,
        variables: { payment: 1 },
      });

      // then
      const done = await eventually(async () => {
        const states = await Promise.all(
          [first, second].map(async (k) => (await elementsIn(h, k, 'ACTIVE')).length),
        );
        return states.includes(0) ? states : undefined;
      });
      expect(done.sort()).toEqual([0, 2]);

      // when
      await h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'shared',
        variables: { payment: 2 },
      });

      // then
      await waitForInstance(h, first, 'COMPLETED');
      await waitForInstance(h, second, 'COMPLETED');
      const payments = await Promise.all(
        [first, second].map(async (k) => (await rootVariables(h, k)).payment),
      );
      expect(payments.sort()).toEqual([1, 2]);
    });

    it('should correlate a number correlation key as its text', async () => {
      // given
      const key = await startInstance(h, 'message-catch', { orderId: 4711 });

      // when
      await h.client.publishMessage({ name: 'payment-received', correlationKey: '4711' });

      // then
      await waitForInstance(h, key, 'COMPLETED');
    });

    it('should correlate a buffered message when the instance arrives within its time to live', async () => {
      // given
      await h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'early-bird',
        timeToLive: 60_000,
        variables: { paidEarly: true },
      });

      // when
      const key = await startInstance(h, 'message-catch', { orderId: 'early-bird' });

      // then
      await waitForInstance(h, key, 'COMPLETED');
      expect(await rootVariables(h, key)).toMatchObject({ paidEarly: true });
    });

    it('should correlate the first published of several buffered messages', async () => {
      // given
      for (const which of ['first', 'second'])
        await h.client.publishMessage({
          name: 'payment-received',
          correlationKey: 'fifo',
          timeToLive: 60_000,
          variables: { which },
        });

      // when
      const key = await startInstance(h, 'message-catch', { orderId: 'fifo' });

      // then
      await waitForInstance(h, key, 'COMPLETED');
      expect(await rootVariables(h, key)).toMatchObject({ which: 'first' });
    });

    it('should not lose a buffered message published while its subscription opens', async () => {
      // given
      const orders = Array.from({ length: 12 }, (_, i) => `race-${i}`);

      // when each message is published at the same time as its instance starts
      const keys = await Promise.all(
        orders.map(async (orderId) => {
          const [, key] = await Promise.all([
            h.client.publishMessage({
              name: 'payment-received',
              correlationKey: orderId,
              timeToLive: 60_000,
              variables: { paidFor: orderId },
            }),
            startInstance(h, 'message-catch', { orderId }),
          ]);
          return key;
        }),
      );

      // then
      for (const [i, key] of keys.entries()) {
        await waitForInstance(h, key, 'COMPLETED');
        expect(await rootVariables(h, key)).toEqual({ orderId: orders[i], paidFor: orders[i] });
      }
    });

    it('should not keep a message published with time to live 0 for a later subscription', async () => {
      // given
      await h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'too-early',
        timeToLive: 0,
        variables: { which: 'first' },
      });
      const key = await startInstance(h, 'message-catch', { orderId: 'too-early' });

      // when
      await h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'too-early',
        variables: { which: 'second' },
      });

      // then
      await waitForInstance(h, key, 'COMPLETED');
      expect(await rootVariables(h, key)).toMatchObject({ which: 'second' });
    });
  });

  it('should complete a receive task when its message arrives', async () => {
    // given
    const key = await startInstance(h, 'message-receive-task', { contractId: 'C-7' });
    await waitForElement(h, key, 'ReceiveSignature');

    // when
    await h.client.publishMessage({
      name: 'contract-signed',
      correlationKey: 'C-7',
      variables: { signedBy: 'Li Wei' },
    });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'message-receive-task',
      'Start',
      'ReceiveSignature',
      'End',
    ]);
    expect(await rootVariables(h, key)).toMatchObject({ signedBy: 'Li Wei' });
  });

  describe('message boundary events', () => {
    it('should run a non-interrupting message boundary for each message while the task goes on', async () => {
      // given
      const key = await startInstance(h, 'message-boundary', { orderId: 'B-1' });

      // when
      await h.client.publishMessage({ name: 'customer-note', correlationKey: 'B-1' });
      await waitForElement(h, key, 'NoteFiled', 'COMPLETED');
      await h.client.publishMessage({ name: 'customer-note', correlationKey: 'B-1' });

      // then
      await waitForElement(h, key, 'NoteFiled', 'COMPLETED', 2);
      expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['message-boundary', 'PrepareOrder']);
      h.client.createJobWorker({
        jobType: 'prepare-order',
        jobTimeoutMs: 30_000,
        maxParallelJobs: 1,
        jobHandler: (job) => job.complete(),
      });
      await waitForInstance(h, key, 'COMPLETED');
      expect(await elementsIn(h, key, 'COMPLETED')).toContain('Prepared');
    });

    it('should cancel the task through an interrupting message boundary', async () => {
      // given
      const key = await startInstance(h, 'message-boundary', { orderId: 'B-2' });

      // when
      await h.client.publishMessage({
        name: 'order-cancelled',
        correlationKey: 'B-2',
        variables: { cancelReason: 'changed mind' },
      });

      // then
      await waitForInstance(h, key, 'COMPLETED');
      expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['PrepareOrder']);
      expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
        'message-boundary',
        'Start',
        'OrderCancelled',
        'Cancelled',
      ]);
      expect(await rootVariables(h, key)).toMatchObject({ cancelReason: 'changed mind' });
    });
  });

  it('should create an instance with the message variables from a message start event', async () => {
    // given
    expect(await instancesOf(h, 'message-start')).toEqual([]);

    // when
    await h.client.publishMessage({
      name: 'order-placed',
      correlationKey: '',
      variables: { orderId: 'S-1', total: 99 },
    });

    // then
    const [instance] = await eventually(async () => {
      const found = await instancesOf(h, 'message-start');
      return found.length ? found : undefined;
    });
    const key = String(instance!.processInstanceKey);
    expect(await rootVariables(h, key)).toEqual({ orderId: 'S-1', total: 99 });
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['message-start', 'ReviewOrder']);
  });

  it('should refuse a second publication with the same message id', async () => {
    // given
    await h.client.publishMessage({
      name: 'payment-received',
      correlationKey: 'dedupe',
      messageId: 'payment-42',
      timeToLive: 60_000,
    });

    // when
    const problem = await problemOf(
      h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'dedupe',
        messageId: 'payment-42',
        timeToLive: 60_000,
      }),
    );

    // then
    expect(problem).toEqual({ status: 409, title: 'ALREADY_EXISTS' });
  });

  it('should accept the same message id again for another correlation key', async () => {
    // given
    await h.client.publishMessage({
      name: 'payment-received',
      correlationKey: 'dedupe-a',
      messageId: 'payment-43',
      timeToLive: 60_000,
    });

    // when
    const published = await h.client.publishMessage({
      name: 'payment-received',
      correlationKey: 'dedupe-b',
      messageId: 'payment-43',
      timeToLive: 60_000,
    });

    // then
    expect(published.messageKey).toBeTruthy();
  });

  it('should accept the same message id again once the first message left the buffer', async () => {
    // given a message that was never buffered (time to live 0)
    await h.client.publishMessage({
      name: 'payment-received',
      correlationKey: 'dedupe-c',
      messageId: 'payment-44',
      timeToLive: 0,
    });

    // when
    const published = await h.client.publishMessage({
      name: 'payment-received',
      correlationKey: 'dedupe-c',
      messageId: 'payment-44',
      timeToLive: 60_000,
    });

    // then
    expect(published.messageKey).toBeTruthy();
  });

  describe('message correlation (POST /messages/correlation)', () => {
    it('should return the key of the instance the message was correlated to', async () => {
      // given
      const key = await startInstance(h, 'message-catch', { orderId: 'sync-1' });

      // when
      const result = await h.client.correlateMessage({
        name: 'payment-received',
        correlationKey: 'sync-1',
        variables: { paidSync: true },
      });

      // then
      expect(String(result.processInstanceKey)).toBe(key);
      await waitForInstance(h, key, 'COMPLETED');
      expect(await rootVariables(h, key)).toMatchObject({ paidSync: true });
    });

    it('should answer 404 when nothing waits for the message', async () => {
      // when
      const problem = await problemOf(
        h.client.correlateMessage({ name: 'payment-received', correlationKey: 'nobody-waits' }),
      );

      // then
      expect(problem).toEqual({ status: 404, title: 'NOT_FOUND' });
    });
  });

  it('should run a non-interrupting message event sub-process for each message', async () => {
    // given
    const key = await startInstance(h, 'message-event-subprocess', { orderId: 'E-1' });

    // when
    await h.client.publishMessage({ name: 'status-requested', correlationKey: 'E-1' });
    await waitForElement(h, key, 'StatusSent', 'COMPLETED');
    await h.client.publishMessage({ name: 'status-requested', correlationKey: 'E-1' });

    // then
    await waitForElement(h, key, 'StatusSent', 'COMPLETED', 2);
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['message-event-subprocess', 'ShipOrder']);
    h.client.createJobWorker({
      jobType: 'ship-order',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => job.complete(),
    });
    await waitForInstance(h, key, 'COMPLETED');
    expect((await elementsIn(h, key, 'COMPLETED')).filter((id) => id === 'StatusRequest')).toEqual([
      'StatusRequest',
      'StatusRequest',
    ]);
  });

  it('should cancel the process through an interrupting message event sub-process', async () => {
    // given
    const key = await startInstance(h, 'message-event-subprocess-interrupting', {
      orderId: 'W-1',
    });

    // when
    await h.client.publishMessage({
      name: 'order-withdrawn',
      correlationKey: 'W-1',
      variables: { withdrawnBy: 'customer' },
    });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(await elementsIn(h, key, 'TERMINATED')).toEqual(['PackOrder']);
    expect(await elementsIn(h, key, 'COMPLETED')).toEqual([
      'message-event-subprocess-interrupting',
      'IStart',
      'Withdrawal',
      'OrderWithdrawn',
      'Unpacked',
    ]);
    expect(await rootVariables(h, key)).toMatchObject({ withdrawnBy: 'customer' });
  });

  it('should return the new instance when a correlated message starts one', async () => {
    // when
    const result = await h.client.correlateMessage({
      name: 'order-placed',
      correlationKey: '',
      variables: { orderId: 'S-2' },
    });

    // then
    const key = String(result.processInstanceKey);
    expect(await rootVariables(h, key)).toEqual({ orderId: 'S-2' });
    expect(await elementsIn(h, key, 'ACTIVE')).toEqual(['message-start', 'ReviewOrder']);
  });
});

describe('message start event with a correlation key', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'message-start-single.bpmn');
  });
  afterAll(async () => {
    await h.close();
  });

  /** The shift variable of each instance of the process, oldest first. */
  async function shifts(): Promise<unknown[]> {
    const found = await instancesOf(h, 'message-start-single');
    return Promise.all(
      found.map(async (i) => (await rootVariables(h, String(i.processInstanceKey))).shift),
    );
  }

  it('should start one instance per correlation key at a time, and a buffered one once it ended', async () => {
    // given
    await h.client.publishMessage({
      name: 'shift-opened',
      correlationKey: 'line-1',
      variables: { shift: 'line-1 early' },
    });

    // when a second message for the same key arrives while that instance is active
    await h.client.publishMessage({
      name: 'shift-opened',
      correlationKey: 'line-1',
      variables: { shift: 'line-1 dropped' },
    });
    await h.client.publishMessage({
      name: 'shift-opened',
      correlationKey: 'line-2',
      variables: { shift: 'line-2 early' },
    });
    await h.client.publishMessage({
      name: 'shift-opened',
      correlationKey: 'line-1',
      timeToLive: 60_000,
      variables: { shift: 'line-1 late' },
    });

    // then
    expect(await shifts()).toEqual(['line-1 early', 'line-2 early']);

    // when the active instance for line-1 ends
    const [first] = await instancesOf(h, 'message-start-single');
    const tasks = await h.client.searchUserTasks(
      { filter: { processInstanceKey: brand(String(first!.processInstanceKey)) } },
      { consistency: { waitUpToMs: 0 } },
    );
    await h.client.completeUserTask({ userTaskKey: tasks.items[0]!.userTaskKey });

    // then the buffered message starts the next one
    await waitForInstance(h, String(first!.processInstanceKey), 'COMPLETED');
    await eventually(async () => ((await shifts()).length === 3 ? true : undefined));
    expect(await shifts()).toEqual(['line-1 early', 'line-2 early', 'line-1 late']);
  });
});
