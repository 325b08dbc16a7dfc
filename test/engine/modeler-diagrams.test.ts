import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json';
import {
  awaitState,
  deployContent,
  elementsIn,
  pathOf,
  problemOf,
  rootVariables,
  start,
  worker,
  NOW,
} from '../fixtures/conformance';
import { brand, eventually, startEngineHarness, type EngineHarness } from '../fixtures/engine';

/**
 * Diagrams drawn the way Camunda Modeler 5 saves them for Camunda 8 (pools and lanes, diagram
 * interchange, generated ids, text annotations, data objects, zeebe: extensions), deployed
 * unchanged and driven down every path to its end events through the official client.
 */
describe('diagrams saved by Camunda Modeler 5', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 50 });
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  describe('human-task approval in a pool with two lanes (enrolment-approval.bpmn)', () => {
    const REVIEW = 'Activity_0r8x2mc';
    const CONFIRMED = 'Event_0v4ub3n';
    const REJECTED = 'Event_1x9d2pe';
    let reviewFormKey: string;
    beforeAll(async () => {
      const deployment = await deployModeler(
        h,
        'enrolment-request.form',
        'enrolment-review.form',
        'enrolment-approval.bpmn',
      );
      reviewFormKey = String(
        deployment.forms.find((f) => String(f.formId) === 'enrolment-review')!.formKey,
      );
    });

    it('should confirm the place when the coordinator approves', async () => {
      // given
      const confirmed: unknown[] = [];
      worker(h, 'confirm-place', (job) => {
        confirmed.push({ child: job.variables.childName, template: job.customHeaders.template });
        return job.complete({ confirmationSent: true });
      });
      const key = await start(h, 'enrolment-approval', { childName: 'Lin Yi', activity: 'chess' });
      const task = await userTaskOf(h, key, REVIEW);

      // when
      await h.client.completeUserTask({
        userTaskKey: task.userTaskKey,
        variables: { approved: true },
      });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await endEventsOf(h, key)).toEqual([CONFIRMED]);
      expect(confirmed).toEqual([{ child: 'Lin Yi', template: 'enrolment-confirmed' }]);
      expect(await rootVariables(h, key)).toMatchObject({ approved: true, confirmationSent: true });
    });

    it('should notify the parent with the comment when the coordinator rejects', async () => {
      // given
      const reasons: unknown[] = [];
      worker(h, 'notify-rejection', (job) => {
        reasons.push(job.variables.reason);
        return job.complete();
      });
      const key = await start(h, 'enrolment-approval', {
        childName: 'Zhou Tao',
        activity: 'robotics',
      });
      const task = await userTaskOf(h, key, REVIEW);

      // when
      await h.client.completeUserTask({
        userTaskKey: task.userTaskKey,
        variables: { approved: false, comment: 'The robotics group is full' },
      });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await endEventsOf(h, key)).toEqual([REJECTED]);
      expect(reasons).toEqual(['The robotics group is full']);
    });

    it('should give the review task its candidate group, priority, due date and linked form', async () => {
      // given
      const before = Date.now();

      // when
      const key = await start(h, 'enrolment-approval', { childName: 'Wu Min', activity: 'chess' });

      // then
      const task = await userTaskOf(h, key, REVIEW);
      expect(task).toMatchObject({
        name: 'Review enrolment',
        candidateGroups: ['coordinators'],
        priority: 60,
        formKey: reviewFormKey,
        processDefinitionId: 'enrolment-approval',
      });
      const due = Date.parse(String(task.dueDate));
      expect(due - before).toBeGreaterThanOrEqual(2 * 24 * 3600_000 - 60_000);
      const form = await h.client.getUserTaskForm({ userTaskKey: task.userTaskKey }, NOW);
      expect(form).toMatchObject({ formId: 'enrolment-review' });
      await h.client.cancelProcessInstance({ processInstanceKey: brand(key) });
    });

    it('should offer the form linked to the start event as the start form', async () => {
      // given
      const defs = await h.client.searchProcessDefinitions(
        { filter: { processDefinitionId: 'enrolment-approval' } },
        NOW,
      );
      const def = defs.items![0]!;

      // when
      const form = await h.client.getStartProcessForm(
        { processDefinitionKey: String(def.processDefinitionKey) },
        NOW,
      );

      // then
      expect(def.hasStartForm).toBe(true);
      expect(form).toMatchObject({ formId: 'enrolment-request', version: 1 });
      expect(JSON.stringify(form ? form.schema : undefined)).toContain('childName');
    });
  });

  describe('error handling (fee-collection.bpmn)', () => {
    const FEE_COLLECTED = 'Event_1k5s3dn';
    beforeAll(async () => {
      await deployModeler(h, 'fee-collection.bpmn');
    });

    /** Charges fail once for a technical reason (retried), or are declined when asked to. */
    function chargeWorker(retriesSeen: number[]) {
      const attempts = new Map<string, number>();
      return worker(h, 'charge-fee', (job) => {
        const pi = String(job.processInstanceKey);
        const attempt = (attempts.get(pi) ?? 0) + 1;
        attempts.set(pi, attempt);
        retriesSeen.push(job.retries);
        if (job.variables.declined)
          return job.error({
            errorCode: 'PAYMENT_DECLINED',
            errorMessage: 'the bank declined the card',
            variables: { reason: 'card expired' },
          });
        if (attempt === 1)
          return job.fail({
            errorMessage: 'payment gateway timed out',
            retries: job.retries - 1,
            retryBackOff: 0,
          });
        return job.complete({ charged: true });
      });
    }

    function completing(...jobTypes: string[]) {
      for (const t of jobTypes) worker(h, t, (job) => job.complete());
    }

    it('should retry a technical failure and collect the fee when the documents are complete', async () => {
      // given
      const retries: number[] = [];
      chargeWorker(retries);
      completing('verify-documents');

      // when
      const key = await start(h, 'fee-collection', { documentsComplete: true, late: false });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(retries).toEqual([5, 4]);
      expect(await endEventsOf(h, key)).toEqual(['Event_1b2m9vo', FEE_COLLECTED]);
    });

    it('should catch a business error of the worker at the boundary and map its variables', async () => {
      // given
      chargeWorker([]);
      completing('notify-parent');

      // when
      const key = await start(h, 'fee-collection', { declined: true });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await endEventsOf(h, key)).toEqual(['Event_0m2d4w8']);
      const vars = await rootVariables(h, key);
      expect(vars).toMatchObject({ declineReason: 'card expired' });
      // with an output mapping on the catch event only the mapped variables reach the process
      expect(vars).not.toHaveProperty('reason');
      expect(await stateOf(h, key, 'Activity_0h7m2ka')).toBe('TERMINATED');
    });

    it('should catch the error end event of the sub-process at its boundary', async () => {
      // given
      chargeWorker([]);
      completing('verify-documents', 'request-documents');

      // when
      const key = await start(h, 'fee-collection', { documentsComplete: false });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await endEventsOf(h, key)).toEqual(['Event_0e8y1jb']);
      expect(await stateOf(h, key, 'Activity_0z6y1qe')).toBe('TERMINATED');
      expect((await pathOf(h, key)).map((e) => e.elementId)).toContain('Event_0p6d9xs');
    });

    it('should flag a late submission through the escalation and still collect the fee', async () => {
      // given
      chargeWorker([]);
      completing('verify-documents', 'flag-late-submission');

      // when
      const key = await start(h, 'fee-collection', { documentsComplete: true, late: true });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect((await endEventsOf(h, key)).sort()).toEqual(
        ['Event_1c4h6wy', 'Event_1z8u2ln', FEE_COLLECTED].sort(),
      );
      expect(await stateOf(h, key, 'Event_0q1w3ds')).toBe('COMPLETED');
      expect(await stateOf(h, key, 'Activity_0z6y1qe')).toBe('COMPLETED');
    });
  });

  describe('timers and an event-based gateway (order-payment.bpmn)', () => {
    const PAYMENT = 'Event_0u7n2ck';
    const DEADLINE = 'Event_1s5a9wl';
    const REMINDER = 'Event_1h8s0qe';
    const REMINDER_SENT = 'Event_0k9b2ui';
    beforeAll(async () => {
      await deployModeler(h, 'order-payment.bpmn');
    });

    function orderWorkers() {
      for (const t of ['send-invoice', 'remind-warehouse', 'ship-order', 'cancel-order'])
        worker(h, t, (job) => job.complete());
    }

    it('should ship a paid order after the reminder cycle ran out', async () => {
      // given
      orderWorkers();
      const key = await start(h, 'order-payment', {
        orderId: 'O-1001',
        paymentTimeout: 'PT1H',
        reminderCycle: 'R2/PT0.1S',
      });

      // when
      await h.client.publishMessage({
        name: 'payment-received',
        correlationKey: 'O-1001',
        timeToLive: 60_000,
        variables: { amount: 42 },
      });
      const task = await userTaskOf(h, key, 'Activity_0a5r3dz');
      await eventually(
        async () =>
          (await elementsIn(h, key, 'COMPLETED')).filter((id) => id === REMINDER_SENT).length === 2
            ? true
            : undefined,
        15_000,
        'two reminders',
      );
      await h.client.completeUserTask({ userTaskKey: task.userTaskKey });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await endEventsOf(h, key)).toEqual([REMINDER_SENT, REMINDER_SENT, 'Event_1r4y7sm']);
      const entered = (await pathOf(h, key)).map((e) => e.elementId);
      expect(entered.filter((id) => id === REMINDER)).toHaveLength(2);
      expect(entered).not.toContain(DEADLINE);
      expect(task.candidateGroups).toEqual(['warehouse']);
      const vars = await rootVariables(h, key);
      expect(vars).toMatchObject({ paidAmount: 42 });
      expect(vars).not.toHaveProperty('amount');
    });

    it('should cancel an order that was not paid before the deadline', async () => {
      // given
      orderWorkers();

      // when
      const key = await start(h, 'order-payment', {
        orderId: 'O-1002',
        paymentTimeout: 'PT0.2S',
        reminderCycle: 'R/PT1H',
      });

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(await endEventsOf(h, key)).toEqual(['Event_0x2j8cf']);
      const entered = (await pathOf(h, key)).map((e) => e.elementId);
      expect(entered).toContain(DEADLINE);
      expect(entered).not.toContain(PAYMENT);
    });
  });

  describe('sub-processes, event sub-processes and a call activity in a second pool (term-planning.bpmn)', () => {
    const CHECK_TIMETABLE = 'Activity_1b5x9jv';
    beforeAll(async () => {
      await deployModeler(h, 'term-planning.bpmn');
    });

    function termWorkers() {
      worker(h, 'load-groups', (job) => job.complete({ groups: ['chess', 'robotics', 'choir'] }));
      worker(h, 'book-room', (job) =>
        job.complete({ room: `room-${String(job.variables.group)}` }),
      );
      worker(h, 'release-room', (job) => job.complete({ released: true }));
    }

    async function childOf(parentKey: string): Promise<string> {
      return eventually(async () => {
        const res = await h.client.searchProcessInstances(
          { filter: { parentProcessInstanceKey: brand(parentKey) } },
          NOW,
        );
        const child = res.items?.[0];
        return child ? String(child.processInstanceKey) : undefined;
      });
    }

    it('should prepare every group, handle a cancelled group on the side and finish with the approved timetable', async () => {
      // given
      termWorkers();
      const key = await start(h, 'term-planning', { termId: 'T-2025-1' });
      const child = await childOf(key);
      const task = await userTaskOf(h, child, CHECK_TIMETABLE);

      // when
      await h.client.publishMessage({ name: 'group-cancelled', correlationKey: 'T-2025-1' });
      await eventually(async () =>
        (await elementsIn(h, key, 'COMPLETED')).includes('Event_1p4s6zh') ? true : undefined,
      );
      await h.client.completeUserTask({
        userTaskKey: task.userTaskKey,
        variables: { approvedBy: 'Ms Zhou' },
      });

      // then
      await awaitState(h, key, 'COMPLETED');
      await awaitState(h, child, 'COMPLETED');
      expect((await endEventsOf(h, key)).sort()).toEqual(
        [
          'Event_0j3e9rb',
          'Event_0j3e9rb',
          'Event_0j3e9rb',
          'Event_1p4s6zh',
          'Event_1a0w8lf',
        ].sort(),
      );
      expect(await endEventsOf(h, child)).toEqual(['Event_0w3a6ne']);
      const vars = await rootVariables(h, key);
      expect(vars).toMatchObject({
        rooms: ['room-chess', 'room-robotics', 'room-choir'],
        timetableApprovedBy: 'Ms Zhou',
        released: true,
      });
      expect(vars).not.toHaveProperty('approvedBy');
      expect(vars).not.toHaveProperty('room');
    });

    it('should stop the planning and the called process when the term is cancelled', async () => {
      // given
      termWorkers();
      const key = await start(h, 'term-planning', { termId: 'T-2025-2' });
      const child = await childOf(key);
      await userTaskOf(h, child, CHECK_TIMETABLE);

      // when
      await h.client.publishMessage({ name: 'term-cancelled', correlationKey: 'T-2025-2' });

      // then
      await awaitState(h, key, 'COMPLETED');
      await awaitState(h, child, 'TERMINATED');
      expect(await endEventsOf(h, key)).toEqual(expect.arrayContaining(['Event_1i8f0ms']));
      expect(await endEventsOf(h, key)).not.toContain('Event_1a0w8lf');
      expect(await stateOf(h, key, 'Activity_0y6g2hm')).toBe('TERMINATED');
    });
  });

  describe('elements the engine does not run (unsupported-features.bpmn)', () => {
    it('should refuse the deployment, naming each unsupported element and why', async () => {
      // given
      const content = modelerFile('unsupported-features.bpmn');

      // when
      const problem = await problemOf(
        deployContent(h, { name: 'unsupported-features.bpmn', content }),
      );

      // then
      expect(problem.status).toBe(400);
      const parts = String(problem.detail).split('; ');
      const why = (id: string) => parts.filter((p) => p.includes(`element '${id}'`)).join('; ');
      expect({
        dmn: why('Activity_0c4y8ps'),
        compensationBoundary: why('Event_0g8n3kx'),
        compensationHandler: why('Activity_0m5h2yc'),
        complexGateway: why('Gateway_1k7w2dn'),
        conditionalEvent: why('Event_1a4d9hs'),
        adHocSubProcess: why('Activity_0x9v1fr'),
        transaction: why('Activity_1n8q4ze'),
        compensationThrow: why('Event_0t2j6wo'),
      }).toEqual({
        dmn: expect.stringMatching(/calledDecision/),
        compensationBoundary: expect.stringMatching(/Compensat/),
        compensationHandler: expect.stringMatching(/compensation/i),
        complexGateway: expect.stringMatching(/ComplexGateway/),
        conditionalEvent: expect.stringMatching(/Conditional/),
        adHocSubProcess: expect.stringMatching(/AdHocSubProcess/),
        transaction: expect.stringMatching(/Transaction/),
        compensationThrow: expect.stringMatching(/Compensat/),
      });
      const defs = await h.client.searchProcessDefinitions(
        { filter: { processDefinitionId: 'seat-booking' } },
        NOW,
      );
      expect(defs.items).toEqual([]);
    });
  });

  describe('bpmnlint', () => {
    it.each([
      'enrolment-approval.bpmn',
      'fee-collection.bpmn',
      'order-payment.bpmn',
      'term-planning.bpmn',
    ])('should find nothing to report in %s with bpmnlint:recommended', async (name) => {
      // given
      const { rootElement, warnings } = await new BpmnModdle({ zeebe: zeebeSchema }).fromXML(
        modelerFile(name),
      );

      // when
      const reports = await lint(rootElement);

      // then
      expect(warnings).toEqual([]);
      expect(reports).toEqual([]);
    });
  });
});

// helpers //////////

const MODELER_DIR = path.join(__dirname, '..', 'fixtures', 'modeler');

function modelerFile(name: string): string {
  return fs.readFileSync(path.join(MODELER_DIR, name), 'utf8');
}

/** Deploys files of test/fixtures/modeler byte for byte through the official client. */
async function deployModeler(h: EngineHarness, ...names: string[]) {
  return deployContent(h, ...names.map((name) => ({ name, content: modelerFile(name) })));
}

async function userTaskOf(h: EngineHarness, processInstanceKey: string, elementId: string) {
  return eventually(
    async () => {
      const res = await h.client.searchUserTasks(
        {
          filter: {
            processInstanceKey: brand(processInstanceKey),
            elementId: brand(elementId),
            state: 'CREATED',
          },
        },
        NOW,
      );
      return res.items?.[0];
    },
    15_000,
    `user task ${elementId} of ${processInstanceKey}`,
  );
}

/** The end events an instance completed, oldest first (as the element instance search shows them). */
async function endEventsOf(h: EngineHarness, key: string): Promise<string[]> {
  return (await pathOf(h, key))
    .filter((e) => e.type === 'END_EVENT' && e.state === 'COMPLETED')
    .map((e) => e.elementId);
}

/** The state of the (last) element instance of `elementId`. */
async function stateOf(h: EngineHarness, key: string, elementId: string): Promise<string> {
  const all = (await pathOf(h, key)).filter((e) => e.elementId === elementId);
  return all.at(-1)?.state ?? 'NOT ENTERED';
}

interface LintReport {
  id?: string;
  message: string;
  category: string;
}

/** bpmnlint (no type declarations) with the `bpmnlint:recommended` rules. */
async function lint(definitions: unknown): Promise<string[]> {
  const load = createRequire(__filename);
  const { Linter } = load('bpmnlint') as {
    Linter: new (opts: { config: object; resolver: unknown }) => {
      lint(definitions: unknown): Promise<Record<string, LintReport[]>>;
    };
  };
  const NodeResolver = load('bpmnlint/lib/resolver/node-resolver') as new () => unknown;
  const linter = new Linter({
    config: { extends: 'bpmnlint:recommended' },
    resolver: new NodeResolver(),
  });
  const results = await linter.lint(definitions);
  return Object.entries(results).flatMap(([rule, reports]) =>
    reports.map((r) => `${r.category} ${rule} ${r.id ?? ''}: ${r.message}`),
  );
}
