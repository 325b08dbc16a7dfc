import { Engine } from '../../server/engine/engine';
import { createLogger } from '../../server/lib/logger';
import { fixture } from '../fixtures/engine';
import { openTestDatabase } from '../setup/db';

describe('recovery of interrupted commits', () => {
  it('should re-create a job whose write was lost, with its variables, when the engine starts', async () => {
    // given an instance waiting at a service task whose job document was lost in a crash
    const db = await openTestDatabase();
    const logger = createLogger('silent');
    const first = new Engine(db, { logger });
    await first.start();
    await first.deploy([{ name: 'one-task.bpmn', content: fixture('one-task.bpmn') }]);
    const instance = await first.createInstance({
      bpmnProcessId: 'one-task',
      variables: { a: 7, note: '课后' },
    });
    const [job] = await first.collections.jobs.find({ processInstanceKey: instance._id }).toArray();
    const original = await first.collections.jobs.findOne({ _id: job!._id });
    await first.collections.jobs.deleteOne({ _id: job!._id });
    await first.stop();

    // when an engine starts on the database
    const second = new Engine(db, { logger });
    await second.start();

    // then the job is back with the variables it had, and completing it ends the instance
    try {
      const restored = await second.collections.jobs.findOne({ _id: job!._id });
      expect(restored).toMatchObject({
        type: 'work',
        state: 'ACTIVATABLE',
        processInstanceKey: instance._id,
        bpmnProcessId: 'one-task',
        tenantId: '<default>',
      });
      expect(JSON.parse(restored!.variables)).toEqual({ a: 7, note: '课后' });
      // the whole document as it was, including values the recovery record leaves out
      expect(restored).toEqual(original);
      const [activated] = await second.activateJobs({
        type: 'work',
        worker: 't',
        timeoutMs: 10_000,
        max: 1,
        requestTimeoutMs: -1,
      });
      await second.completeJob(activated!.jobKey, {});
      expect((await second.loadInstance(instance._id))?.state).toBe('COMPLETED');
    } finally {
      await second.stop();
      await db.drop();
    }
  });
});

describe('recovery of a user task', () => {
  it('should re-create a lost user task exactly as it was, defaults included', async () => {
    // given an instance waiting at a user task and a job side by side, both documents lost
    const db = await openTestDatabase();
    const logger = createLogger('silent');
    const first = new Engine(db, { logger });
    await first.start();
    await first.deploy([{ name: 'api-cancel.bpmn', content: fixture('api-cancel.bpmn') }]);
    const instance = await first.createInstance({
      bpmnProcessId: 'api-cancel',
      variables: { child: '高一诺' },
    });
    const tasks = await first.collections.tasks
      .find({ processInstanceKey: instance._id })
      .toArray();
    const jobs = await first.collections.jobs.find({ processInstanceKey: instance._id }).toArray();
    expect(tasks).toHaveLength(1);
    await first.collections.tasks.deleteOne({ _id: tasks[0]!._id });
    for (const j of jobs) await first.collections.jobs.deleteOne({ _id: j._id });
    await first.stop();

    // when an engine starts on the database
    const second = new Engine(db, { logger });
    await second.start();

    // then both are back unchanged (fields the first write stored as null — optional fields
    // left undefined — are simply absent)
    const withoutNulls = (d: object) =>
      Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null));
    try {
      const task = await second.collections.tasks.findOne({ _id: tasks[0]!._id });
      expect(withoutNulls(task!)).toEqual(withoutNulls(tasks[0]!));
      expect(task).toMatchObject({ state: 'CREATED', candidateGroups: [], priority: 50 });
      for (const j of jobs)
        expect(await second.collections.jobs.findOne({ _id: j._id })).toEqual(j);
    } finally {
      await second.stop();
      await db.drop();
    }
  });
});

describe('claim sweep', () => {
  it('should delete the claims of finished jobs and keep those of open ones', async () => {
    // given one completed and one activated job
    const db = await openTestDatabase();
    const engine = new Engine(db, { logger: createLogger('silent') });
    await engine.start();
    try {
      await engine.deploy([{ name: 'one-task.bpmn', content: fixture('one-task.bpmn') }]);
      await engine.createInstance({ bpmnProcessId: 'one-task' });
      await engine.createInstance({ bpmnProcessId: 'one-task' });
      const [done, open] = await engine.activateJobs({
        type: 'work',
        worker: 't',
        timeoutMs: 60_000,
        max: 2,
        requestTimeoutMs: -1,
      });
      await engine.completeJob(done!.jobKey, {});

      // when the sweep runs
      const deleted = await engine.sweepClaims(0);

      // then only the finished job's claim is gone
      expect(deleted).toBe(1);
      expect(await engine.collections.claims.findOne({ _id: `job:${done!.jobKey}` })).toBeNull();
      expect(
        await engine.collections.claims.findOne({ _id: `job:${open!.jobKey}` }),
      ).not.toBeNull();
    } finally {
      await engine.stop();
      await db.drop();
    }
  });
});
