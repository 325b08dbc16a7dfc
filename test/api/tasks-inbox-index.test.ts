import { Engine } from '../../server/engine/engine';
import type { UserTaskDoc } from '../../server/engine/runtime/commands';
import { createLogger } from '../../server/lib/logger';
import { createInboxIndex, createTasks } from '../../server/modules/tasks';
import {
  assignedList,
  groupList,
  InboxIndex,
  type InboxIndexDoc,
} from '../../server/modules/tasks/inbox-index';
import { TASK_COLLECTIONS } from '../../server/modules/tasks/tasks.model';
import { eventually } from '../fixtures/engine';
import { classScope, schoolScope, signIn, type SignedInClient } from '../fixtures/identity';
import {
  buildOrgTree,
  REVIEW_PROCESS,
  startInboxHarness,
  type InboxHarness,
} from '../fixtures/inbox';

/**
 * The inbox's index of open tasks (server/modules/tasks/inbox-index.ts): lists by `_id` that
 * concurrent writers change by inserting the next version. These tests hit it with concurrent
 * task creations and completions, from one and from two engine nodes, and check that every
 * list ends exactly right.
 */
describe('inbox index', () => {
  let h: InboxHarness;

  beforeAll(async () => {
    h = await startInboxHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  const index = () =>
    new InboxIndex(
      h.db.connection.db!.collection<InboxIndexDoc>(TASK_COLLECTIONS.index),
      () => null,
    );

  async function openTasksOf(instanceKeys: string[]): Promise<UserTaskDoc[]> {
    return Promise.all(
      instanceKeys.map((key) =>
        eventually(async () => {
          const t = await h.engine.collections.tasks.findOne({
            processInstanceKey: key,
            state: 'CREATED',
          });
          return t ?? undefined;
        }),
      ),
    );
  }

  async function teacherOf(tree: ReturnType<typeof buildOrgTree>): Promise<SignedInClient> {
    const user = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(tree) }],
    });
    return signIn(h.app, { phone: user.phone!, password: user.password });
  }

  it('should list every task of a class created concurrently, and none once they are done', async () => {
    // given 40 applications of one class started at once
    const tree = buildOrgTree();
    const teacher = await teacherOf(tree);
    const admin = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    const adminClient = await signIn(h.app, { phone: admin.phone!, password: admin.password });
    const keys = await Promise.all(Array.from({ length: 40 }, () => h.startReview(tree)));
    const tasks = await openTasksOf(keys);

    // when
    const before = await teacher.agent.get('/api/tasks?view=groups&size=100');
    await Promise.all(tasks.map((t) => h.engine.completeUserTask(t._id, { approved: true })));
    const after = await teacher.agent.get('/api/tasks?view=groups&size=100');
    const approvals = await adminClient.agent.get('/api/tasks?view=groups&size=100');

    // then the class's list held all 40, then none; the school's approvals arrived, all 40
    expect(before.body.total).toBe(40);
    expect(before.body.items.map((i: { key: string }) => i.key).sort()).toEqual(
      tasks.map((t) => t._id).sort(),
    );
    expect(after.body).toMatchObject({ total: 0, items: [] });
    expect(approvals.body.total).toBe(40);
    const list = await index().read(groupList(`class:${tree.class._id}:teacher`));
    expect(list.entries.size).toBe(0);
  });

  it('should stay exact when two engine nodes add tasks of one class at the same time', async () => {
    // given a second engine node on the same database with its own index writer
    const tree = buildOrgTree();
    const second = new Engine(h.db, { logger: createLogger('silent') });
    await createInboxIndex({ db: h.db, engine: second });
    await second.start();
    try {
      const variables = { classId: tree.class._id, schoolId: tree.school._id, priority: 50 };

      // when both start 20 applications at once
      await Promise.all([
        ...Array.from({ length: 20 }, () =>
          h.engine.createInstance({ bpmnProcessId: REVIEW_PROCESS, variables }),
        ),
        ...Array.from({ length: 20 }, () =>
          second.createInstance({ bpmnProcessId: REVIEW_PROCESS, variables }),
        ),
      ]);

      // then
      const list = await index().read(groupList(`class:${tree.class._id}:teacher`));
      expect(list.entries.size).toBe(40);
    } finally {
      await second.stop();
    }
  });

  it('should follow claims into the assignee list and out again', async () => {
    // given
    const tree = buildOrgTree();
    const teacher = await teacherOf(tree);
    const [task] = await openTasksOf([await h.startReview(tree)]);
    const me = (await teacher.agent.get('/api/auth/me')).body.user.id as string;

    // when
    await teacher.post(`/api/tasks/${task!._id}/claim`);
    const claimed = await teacher.agent.get('/api/tasks?view=assigned');
    await teacher.post(`/api/tasks/${task!._id}/unclaim`);
    const released = await teacher.agent.get('/api/tasks?view=assigned');

    // then
    expect(claimed.body.items.map((i: { key: string }) => i.key)).toEqual([task!._id]);
    expect(claimed.body.counts).toMatchObject({ assigned: 1, groups: 1 });
    expect(released.body).toMatchObject({ total: 0, counts: { assigned: 0, groups: 1 } });
    expect((await index().read(assignedList(me))).entries.size).toBe(0);
  });

  it('should drop an entry left behind for a finished task when a list shows it', async () => {
    // given a finished task whose entry came back (effects re-applied after it finished)
    const tree = buildOrgTree();
    const teacher = await teacherOf(tree);
    const [task] = await openTasksOf([await h.startReview(tree)]);
    await h.engine.completeUserTask(task!._id, { approved: true });
    await index().addOpen(task!);

    // when
    const res = await teacher.agent.get('/api/tasks?view=groups');

    // then
    expect(res.body).toMatchObject({ total: 0, items: [], counts: { groups: 0 } });
    const list = await index().read(groupList(`class:${tree.class._id}:teacher`));
    expect(list.entries.size).toBe(0);
  });

  it('should find the latest version when the pointer lags behind dropped versions', async () => {
    // given a list changed 40 times, whose pointer went back to version 3
    const idx = index();
    const list = 'g|test:lagging:list';
    for (let i = 0; i < 40; i++)
      await idx.add(list, {
        key: `k${i}`,
        processId: 'p',
        classId: null,
        due: null,
        priority: 0,
        name: 'n',
        elementId: 'e',
        created: i,
      });
    const c = h.db.connection.db!.collection<InboxIndexDoc>(TASK_COLLECTIONS.index);
    await c.replaceOne({ _id: list }, { v: 3 });

    // when
    const read = await idx.read(list);
    await idx.remove(list, 'k0');

    // then
    expect(read.entries.size).toBe(40);
    expect(await c.findOne({ _id: `${list}@3` })).toEqual({ _id: `${list}@3`, v: 3, gone: true });
    expect((await idx.read(list)).entries.size).toBe(39);
  });

  it('should not lose a change of a writer that last saw the list many versions ago', async () => {
    // given a node that saw the list empty, and another node that changed it 40 times since
    const list = 'g|test:stale:writer';
    const entry = (key: string) => ({
      key,
      processId: 'p',
      classId: null,
      due: null,
      priority: 0,
      name: 'n',
      elementId: 'e',
      created: 0,
    });
    const stale = index();
    expect((await stale.read(list)).entries.size).toBe(0);
    const busy = index();
    for (let i = 0; i < 40; i++) await busy.add(list, entry(`k${i}`));

    // when the first node adds one more
    await stale.add(list, entry('late'));

    // then nothing was lost
    expect((await busy.read(list)).entries.size).toBe(41);
  });

  it('should fall back to querying the tasks when a list overflows', async () => {
    // given a list kept with at most 2 entries, holding 3 tasks
    const tree = buildOrgTree();
    const small = new InboxIndex(
      h.db.connection.db!.collection<InboxIndexDoc>(TASK_COLLECTIONS.index),
      () => null,
      2,
    );
    const tasks = await openTasksOf(await Promise.all([1, 2, 3].map(() => h.startReview(tree))));
    const group = groupList(`class:${tree.class._id}:teacher`);
    await h.db.connection
      .db!.collection(TASK_COLLECTIONS.index)
      .deleteMany({ _id: { $regex: `^${group.replace(/[.|]/g, '\\$&')}` } } as never);
    for (const t of tasks) await small.addOpen(t);
    const teacher = await teacherOf(tree);

    // when
    const res = await teacher.agent.get('/api/tasks?view=groups');

    // then
    expect((await small.read(group)).overflow).toBe(true);
    expect(res.body.total).toBe(3);
  });

  it('should fill the index from the open tasks on the first start with it', async () => {
    // given open tasks in a database whose index was never filled
    const tree = buildOrgTree();
    const [task] = await openTasksOf([await h.startReview(tree)]);
    const c = h.db.connection.db!.collection(TASK_COLLECTIONS.index);
    await c.deleteMany({});

    // when the inbox starts again
    await createTasks({
      db: h.db,
      engine: h.engine,
      requireSession: (_req, _res, next) => next(),
      index: index(),
    });

    // then
    const list = await index().read(groupList(`class:${tree.class._id}:teacher`));
    expect([...list.entries.keys()]).toEqual([task!._id]);
  });
});
