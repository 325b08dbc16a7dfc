import {
  awaitIncident,
  awaitState,
  deployContent,
  problemOf,
  raw,
  rootVariables,
  start,
  timesEntered,
  worker,
  NOW,
} from '../fixtures/conformance';
import {
  brand,
  deployFixtures,
  eventually,
  fixture,
  startEngineHarness,
  type EngineHarness,
} from '../fixtures/engine';

type Client = EngineHarness['client'];
type TaskFilter = NonNullable<Parameters<Client['searchUserTasks']>[0]['filter']>;

describe('user tasks', () => {
  let h: EngineHarness;
  let formKey: string;
  beforeAll(async () => {
    h = await startEngineHarness();
    const deployment = await deployFixtures(
      h,
      'review-form.form',
      'ut-static.bpmn',
      'ut-feel.bpmn',
      'ut-job.bpmn',
      'mi-user-task.bpmn',
    );
    formKey = String(deployment.forms[0]!.formKey);
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });

  async function tasks(filter: TaskFilter) {
    const res = await h.client.searchUserTasks({ filter }, NOW);
    return res.items ?? [];
  }

  async function taskOf(key: string, elementId: string) {
    return eventually(
      async () => (await tasks({ processInstanceKey: brand(key), elementId: brand(elementId) }))[0],
      15_000,
      `user task ${elementId} of ${key}`,
    );
  }

  describe('creation', () => {
    it('should create a native user task with static assignee, candidates, schedule, priority and form', async () => {
      // given
      const variables = { child: 'Xiaoming' };

      // when
      const key = await start(h, 'ut-static', variables);

      // then
      const task = await taskOf(key, 'Review');
      expect(task).toMatchObject({
        state: 'CREATED',
        name: 'Review enrolment',
        assignee: 'wang',
        candidateGroups: ['teachers', 'office'],
        candidateUsers: ['li', 'zhao'],
        priority: 80,
        dueDate: '2030-05-01T10:00:00.000Z',
        followUpDate: '2030-04-28T10:00:00.000Z',
        formKey,
        processDefinitionId: 'ut-static',
        processInstanceKey: key,
      });
    });

    it('should evaluate FEEL assignee, candidates, schedule and priority', async () => {
      // given
      const variables = {
        owner: 'zhao',
        groups: ['office'],
        opened: '2030-03-01T08:00:00Z',
        level: 7,
      };

      // when
      const key = await start(h, 'ut-feel', variables);

      // then
      const task = await taskOf(key, 'Review');
      expect(task).toMatchObject({
        assignee: 'zhao',
        candidateGroups: ['office'],
        candidateUsers: ['zhao', 'deputy'],
        priority: 70,
        dueDate: '2030-03-03T08:00:00.000Z',
        followUpDate: '2030-03-01T08:00:00.000Z',
      });
    });

    it('should raise an incident when a date is not an ISO 8601 date-time', async () => {
      // given
      const variables = { owner: 'zhao', groups: [], opened: 'next week', level: 1 };

      // when
      const key = await start(h, 'ut-feel', variables);

      // then
      const incident = await awaitIncident(h, key);
      expect(incident).toMatchObject({ elementId: 'Review', errorType: 'EXTRACT_VALUE_ERROR' });
      expect(incident.errorMessage).toContain('followUpDate');
      expect(await tasks({ processInstanceKey: brand(key) })).toEqual([]);
    });

    it.each([
      ['a priority above 100', { level: 11 }, 'priority'],
      ['an assignee that is not a string', { owner: 42 }, 'assignee'],
    ])('should raise an incident for %s', async (_what, override, attribute) => {
      // given
      const variables = {
        owner: 'zhao',
        groups: [],
        opened: '2030-03-01T08:00:00Z',
        level: 1,
        ...override,
      };

      // when
      const key = await start(h, 'ut-feel', variables);

      // then
      const incident = await awaitIncident(h, key);
      expect(incident).toMatchObject({ elementId: 'Review', errorType: 'EXTRACT_VALUE_ERROR' });
      expect(incident.errorMessage).toContain(attribute);
    });

    it('should return the deployed form linked by formId, and no form for a task without one', async () => {
      // given
      const key = await start(h, 'ut-static');
      const review = await taskOf(key, 'Review');

      // when
      const form = await h.client.getUserTaskForm({ userTaskKey: review.userTaskKey }, NOW);
      if (!form) throw new Error('expected a form');

      // then
      expect(form).toMatchObject({ formId: 'review-form', formKey, version: 1 });
      expect(form.schema).toMatchObject({
        id: 'review-form',
        components: [{ key: 'comment' }, { key: 'approved' }],
      });
      await h.client.completeUserTask({ userTaskKey: review.userTaskKey });
      const archive = await taskOf(key, 'Archive');
      const none = await raw(h, 'GET', `/user-tasks/${String(archive.userTaskKey)}/form`);
      expect(none.status).toBe(204);
    });

    it('should hand a job-based user task to workers as a job with the assignment in its headers', async () => {
      // given
      const seen: Record<string, string>[] = [];
      worker(h, 'io.camunda.zeebe:userTask', (job) => {
        seen.push({ ...(job.customHeaders as Record<string, string>) });
        return job.complete({ reviewed: true });
      });

      // when
      const key = await start(h, 'ut-job');

      // then
      await awaitState(h, key, 'COMPLETED');
      expect(seen).toEqual([
        expect.objectContaining({
          'io.camunda.zeebe:assignee': 'wang',
          'io.camunda.zeebe:candidateGroups': '["teachers"]',
        }),
      ]);
      expect(await rootVariables(h, key)).toEqual({ reviewed: true });
    });
  });

  describe('search', () => {
    it('should filter by state, assignee, candidate group, process instance and element', async () => {
      // given
      const a = await start(h, 'ut-static');
      const b = await start(h, 'ut-feel', {
        owner: 'zhao',
        groups: ['office'],
        opened: '2030-03-01T08:00:00Z',
        level: 1,
      });
      const taskA = await taskOf(a, 'Review');
      const taskB = await taskOf(b, 'Review');
      const keys = (items: { userTaskKey?: unknown }[]) => items.map((t) => String(t.userTaskKey));

      // when
      const byAssignee = await tasks({ state: 'CREATED', assignee: 'wang' });
      const byGroup = await tasks({ candidateGroup: 'teachers' });
      const byOffice = await tasks({ candidateGroup: 'office', state: 'CREATED' });
      const byInstance = await tasks({ processInstanceKey: brand(b) });
      const byElement = await tasks({ elementId: brand('Archive'), processInstanceKey: brand(a) });
      const completed = await tasks({ state: 'COMPLETED', processInstanceKey: brand(a) });

      // then
      expect(keys(byAssignee)).toContain(String(taskA.userTaskKey));
      expect(keys(byAssignee)).not.toContain(String(taskB.userTaskKey));
      expect(keys(byGroup)).toContain(String(taskA.userTaskKey));
      expect(keys(byGroup)).not.toContain(String(taskB.userTaskKey));
      expect(keys(byOffice)).toEqual(
        expect.arrayContaining([String(taskA.userTaskKey), String(taskB.userTaskKey)]),
      );
      expect(keys(byInstance)).toEqual([String(taskB.userTaskKey)]);
      expect(byElement).toEqual([]);
      expect(completed).toEqual([]);
    });
  });

  describe('assignment', () => {
    it('should refuse to take over an assigned task when allowOverride is false, and assign once unassigned', async () => {
      // given
      const key = await start(h, 'ut-static');
      const task = await taskOf(key, 'Review');

      // when
      const refused = await problemOf(
        h.client.assignUserTask({
          userTaskKey: task.userTaskKey,
          assignee: 'li',
          allowOverride: false,
        }),
      );

      // then
      expect(refused.status).toBe(409);
      const still = await h.client.getUserTask({ userTaskKey: task.userTaskKey }, NOW);
      expect(still.assignee).toBe('wang');

      // when
      await h.client.unassignUserTask({ userTaskKey: task.userTaskKey });

      // then
      const unassigned = await h.client.getUserTask({ userTaskKey: task.userTaskKey }, NOW);
      expect(unassigned.assignee).toBeUndefined();
      await h.client.assignUserTask({
        userTaskKey: task.userTaskKey,
        assignee: 'li',
        allowOverride: false,
      });
      await h.client.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'zhao' });
      const reassigned = await h.client.getUserTask({ userTaskKey: task.userTaskKey }, NOW);
      expect(reassigned.assignee).toBe('zhao');
    });
  });

  describe('completion', () => {
    it('should continue the instance with the completion variables', async () => {
      // given
      const key = await start(h, 'ut-static', { child: 'Xiaohong' });
      const review = await taskOf(key, 'Review');

      // when
      await h.client.completeUserTask({
        userTaskKey: review.userTaskKey,
        variables: { approved: true, comment: 'fine' },
      });

      // then
      const archive = await taskOf(key, 'Archive');
      expect(archive.state).toBe('CREATED');
      const done = await h.client.getUserTask({ userTaskKey: review.userTaskKey }, NOW);
      expect(done.state).toBe('COMPLETED');
      expect(done.completionDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(await rootVariables(h, key)).toEqual({
        child: 'Xiaohong',
        approved: true,
        comment: 'fine',
      });
    });

    it('should refuse a second completion and change nothing', async () => {
      // given
      const key = await start(h, 'ut-static', { child: 'Xiaogang' });
      const review = await taskOf(key, 'Review');
      await h.client.completeUserTask({
        userTaskKey: review.userTaskKey,
        variables: { approved: true },
      });
      await taskOf(key, 'Archive');

      // when
      const again = await problemOf(
        h.client.completeUserTask({
          userTaskKey: review.userTaskKey,
          variables: { approved: false, sneaky: 1 },
        }),
      );

      // then
      expect([404, 409]).toContain(again.status);
      expect(await rootVariables(h, key)).toEqual({ child: 'Xiaogang', approved: true });
      expect(await timesEntered(h, key, 'Archive')).toBe(1);
      expect(await timesEntered(h, key, 'Review')).toBe(1);
    });

    it('should show the variables a user task sees', async () => {
      // given
      const key = await start(h, 'ut-static', { child: 'Xiaoli', grade: 3 });
      const review = await taskOf(key, 'Review');

      // when
      const all = await h.client.searchUserTaskVariables({ userTaskKey: review.userTaskKey }, NOW);
      const named = await h.client.searchUserTaskVariables(
        { userTaskKey: review.userTaskKey, filter: { name: 'grade' } },
        NOW,
      );

      // then
      expect(
        Object.fromEntries((all.items ?? []).map((v) => [v.name, JSON.parse(String(v.value))])),
      ).toEqual({ child: 'Xiaoli', grade: 3 });
      expect((named.items ?? []).map((v) => [v.name, v.value])).toEqual([['grade', '3']]);
    });

    it('should show each multi-instance user task its own input element only', async () => {
      // given
      const key = await start(h, 'mi-user-task', { reviewers: ['wang', 'li', 'zhao'] });
      const review = await eventually(
        async () => (await tasks({ processInstanceKey: brand(key), assignee: 'li' }))[0],
      );

      // when
      const vars = await h.client.searchUserTaskVariables({ userTaskKey: review.userTaskKey }, NOW);

      // then
      const byName = (vars.items ?? []).map((v) => [v.name, JSON.parse(String(v.value))]);
      expect(byName.filter(([name]) => name === 'reviewer')).toEqual([['reviewer', 'li']]);
      expect(byName).toContainEqual(['reviewers', ['wang', 'li', 'zhao']]);
    });
  });

  describe('form versions', () => {
    it('should keep the form version a task was created with when the form changes', async () => {
      // given
      const before = await start(h, 'ut-static');
      const oldTask = await taskOf(before, 'Review');
      const changed = fixture('review-form.form').replace('"Comment"', '"Remarks"');
      const deployed = await deployContent(h, { name: 'review-form.form', content: changed });
      const newFormKey = String(deployed.forms[0]!.formKey);

      // when
      const after = await start(h, 'ut-static');
      const newTask = await taskOf(after, 'Review');

      // then
      expect(deployed.forms[0]!.version).toBe(2);
      expect(String(newTask.formKey)).toBe(newFormKey);
      expect(String(oldTask.formKey)).toBe(formKey);
      const oldForm = await h.client.getUserTaskForm({ userTaskKey: oldTask.userTaskKey }, NOW);
      const newForm = await h.client.getUserTaskForm({ userTaskKey: newTask.userTaskKey }, NOW);
      expect(oldForm && oldForm.version).toBe(1);
      expect(newForm && newForm.version).toBe(2);
      expect(JSON.stringify(newForm && newForm.schema)).toContain('Remarks');
    });
  });
});
