import {
  awaitState,
  deployContent,
  elementsIn,
  problemOf,
  rawDeploy,
  worker,
  NOW,
} from '../fixtures/conformance';
import {
  brand,
  eventually,
  fixture,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';

describe('deployments', () => {
  let h: EngineHarness;
  const v1 = fixture('dep-versioned.bpmn');
  const v2 = v1.replace(
    '<bpmn:sequenceFlow id="toEnd" sourceRef="Wait" targetRef="End" />',
    `<bpmn:sequenceFlow id="toExtra" sourceRef="Wait" targetRef="Extra" />
    <bpmn:task id="Extra" />
    <bpmn:sequenceFlow id="toEnd" sourceRef="Extra" targetRef="End" />`,
  );
  beforeAll(async () => {
    h = await startEngineHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  describe('versions', () => {
    it('should keep key and version when the same content is deployed again', async () => {
      // given
      const first = await deployContent(h, { name: 'dep-versioned.bpmn', content: v1 });

      // when
      const again = await deployContent(h, { name: 'dep-versioned.bpmn', content: v1 });

      // then
      expect(first.processes[0]).toMatchObject({
        processDefinitionId: 'dep-versioned',
        processDefinitionVersion: 1,
      });
      expect(again.processes[0]!.processDefinitionKey).toBe(
        first.processes[0]!.processDefinitionKey,
      );
      expect(again.processes[0]!.processDefinitionVersion).toBe(1);
    });

    it('should create version 2 for changed content: new instances use it, running ones stay on version 1', async () => {
      // given
      await deployContent(h, { name: 'dep-versioned.bpmn', content: v1 });
      const old = await h.client.createProcessInstance({
        processDefinitionId: brand('dep-versioned'),
      });

      // when
      const deployed = await deployContent(h, { name: 'dep-versioned.bpmn', content: v2 });
      const fresh = await h.client.createProcessInstance({
        processDefinitionId: brand('dep-versioned'),
      });
      const pinned = await h.client.createProcessInstance({
        processDefinitionId: brand('dep-versioned'),
        processDefinitionVersion: 1,
      });

      // then
      expect(deployed.processes[0]!.processDefinitionVersion).toBe(2);
      expect(old.processDefinitionVersion).toBe(1);
      expect(fresh.processDefinitionVersion).toBe(2);
      expect(String(fresh.processDefinitionKey)).toBe(
        String(deployed.processes[0]!.processDefinitionKey),
      );
      expect(pinned.processDefinitionVersion).toBe(1);
      worker(h, 'dep-wait', (job) => job.complete());
      const keys = [old, fresh, pinned].map((i) => String(i.processInstanceKey));
      for (const key of keys) await awaitState(h, key, 'COMPLETED');
      const paths = await Promise.all(keys.map((key) => elementsIn(h, key, 'COMPLETED')));
      expect(paths.map((p) => p.includes('Extra'))).toEqual([false, true, false]);
      const searched = await h.client.searchProcessInstances(
        { filter: { processDefinitionId: 'dep-versioned' }, sort: [{ field: 'startDate' }] },
        NOW,
      );
      expect(
        Object.fromEntries(
          (searched.items ?? []).map((i) => [
            String(i.processInstanceKey),
            i.processDefinitionVersion,
          ]),
        ),
      ).toEqual({ [keys[0]!]: 1, [keys[1]!]: 2, [keys[2]!]: 1 });
      const latest = await h.client.searchProcessDefinitions(
        { filter: { processDefinitionId: 'dep-versioned', isLatestVersion: true } },
        NOW,
      );
      expect((latest.items ?? []).map((d) => d.version)).toEqual([2]);
      const missing = await problemOf(
        h.client.createProcessInstance({
          processDefinitionId: brand('dep-versioned'),
          processDefinitionVersion: 7,
        }),
      );
      expect(missing.status).toBe(404);
    });
  });

  describe('forms', () => {
    it('should deploy a form', async () => {
      // given
      const form = { name: 'review-form.form', content: fixture('review-form.form') };

      // when
      const deployed = await deployContent(h, form);

      // then
      expect(deployed.forms[0]).toMatchObject({
        formId: 'review-form',
        version: 1,
        resourceName: 'review-form.form',
      });
      expect(String(deployed.forms[0]!.formKey)).toMatch(/^\d+$/);
    });
  });

  describe('refusals', () => {
    it('should refuse unsupported elements, naming each element and why', async () => {
      // given
      const resources = ['dep-unsupported.bpmn'];

      // when
      const res = await rawDeploy(h, resources);

      // then
      expect(res.status).toBe(400);
      const detail = String(res.body.detail);
      for (const [id, why] of [
        ['Complex', /ComplexGateway/],
        ['Compensate', /Compensat/i],
        ['WaitForCondition', /Conditional/i],
        ['AdHoc', /AdHocSubProcess|ad-hoc/i],
      ] as const) {
        const part = detail.split(';').find((p) => p.includes(`'${id}'`));
        expect([id, part]).toEqual([id, expect.stringMatching(why)]);
      }
      const after = await h.client.searchProcessDefinitions(
        { filter: { processDefinitionId: 'dep-unsupported' } },
        NOW,
      );
      expect(after.items).toEqual([]);
    });

    it('should refuse a FEEL expression with a syntax error, naming the element', async () => {
      // given
      const resources = ['dep-bad-expression.bpmn'];

      // when
      const res = await rawDeploy(h, resources);

      // then
      expect(res.status).toBe(400);
      expect(String(res.body.detail)).toContain("'whenBig'");
    });

    it('should refuse a sequence flow to an element that does not exist, naming the flow', async () => {
      // given
      const resources = ['dep-dangling-flow.bpmn'];

      // when
      const res = await rawDeploy(h, resources);

      // then
      expect(res.status).toBe(400);
      expect(String(res.body.detail)).toContain("'ToNowhere'");
    });

    it('should refuse two resources defining the same process id', async () => {
      // given
      const content = v1.replace(/dep-versioned/g, 'dep-twice');

      // when
      const res = await rawDeploy(h, [
        { name: 'first.bpmn', content },
        { name: 'second.bpmn', content: content.replace('name="Versioned process"', '') },
      ]);

      // then
      expect(res.status).toBe(400);
      expect(String(res.body.detail)).toContain('dep-twice');
      const defs = await h.client.searchProcessDefinitions(
        { filter: { processDefinitionId: 'dep-twice' } },
        NOW,
      );
      expect(defs.items).toEqual([]);
    });

    it('should refuse a file that is not XML', async () => {
      // given
      const resources = [{ name: 'broken.bpmn', content: '<bpmn:definitions><bpmn:process' }];

      // when
      const res = await rawDeploy(h, resources);

      // then
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400 });
      expect(String(res.body.detail)).toContain('broken.bpmn');
    });

    it('should deploy nothing when one resource of a deployment is refused', async () => {
      // given
      const good = { name: 'dep-atomic.bpmn', content: v1.replace(/dep-versioned/g, 'dep-atomic') };

      // when
      const res = await rawDeploy(h, [good, 'dep-unsupported.bpmn']);

      // then
      expect(res.status).toBe(400);
      const defs = await eventually(async () =>
        h.client.searchProcessDefinitions({ filter: { processDefinitionId: 'dep-atomic' } }, NOW),
      );
      expect(defs.items).toEqual([]);
    });
  });
});
