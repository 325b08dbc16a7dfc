/**
 * Scope variables (not a Zeebe feature): the ids named by `EngineOptions.scopeVariables`
 * (`cityId`, `countyId`, `schoolId`, `classId` by default) are copied from an instance's
 * variables at creation onto its instance document, so lists can filter instances by tenant;
 * a called instance inherits its caller's.
 */
import { Engine } from '../../server/engine/engine';
import { createLogger } from '../../server/lib/logger';
import { eventually, fixture } from '../fixtures/engine';
import { openTestDatabase } from '../setup/db';

const SCOPE = {
  cityId: 'city-1',
  countyId: 'county-1',
  schoolId: 'school-1',
  classId: 'class-1',
};

describe('instance scope variables', () => {
  const logger = createLogger('silent');
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let engine: Engine;

  beforeAll(async () => {
    db = await openTestDatabase();
    engine = new Engine(db, { logger, timerIntervalMs: 100 });
    await engine.start();
    await engine.deploy(
      ['one-task.bpmn', 'call-waiting-child.bpmn', 'scope-parent.bpmn'].map((name) => ({
        name,
        content: fixture(name),
      })),
    );
  });
  afterAll(async () => {
    await engine.stop();
    await db.drop();
  });

  async function instanceDoc(key: string): Promise<Record<string, unknown>> {
    return (await engine.collections.instances.findOne({ _id: key })) as Record<string, unknown>;
  }

  it('should copy the scope variables onto the instance document at creation', async () => {
    // when
    const created = await engine.createInstance({
      bpmnProcessId: 'one-task',
      variables: { ...SCOPE, applicant: 'Li' },
    });

    // then
    const doc = await instanceDoc(created._id);
    expect(doc).toMatchObject(SCOPE);
    expect(doc).not.toHaveProperty('applicant');
  });

  it('should copy only string and number values and leave absent ones out', async () => {
    // when
    const created = await engine.createInstance({
      bpmnProcessId: 'one-task',
      variables: { cityId: 4111, schoolId: { id: 'school-1' }, classId: null },
    });

    // then
    const doc = await instanceDoc(created._id);
    expect(doc.cityId).toBe('4111');
    expect(doc).not.toHaveProperty('countyId');
    expect(doc).not.toHaveProperty('schoolId');
    expect(doc).not.toHaveProperty('classId');
  });

  it('should keep the scope on the instance document through later commits', async () => {
    // given
    const created = await engine.createInstance({ bpmnProcessId: 'one-task', variables: SCOPE });
    const job = await eventually(async () =>
      engine.collections.jobs
        .findOne({ processInstanceKey: created._id })
        .then((j) => j ?? undefined),
    );

    // when
    await engine.activateJobs({ type: job.type, worker: 'w', timeoutMs: 10_000, max: 10 });
    await engine.completeJob(job._id, { schoolId: 'school-2' });

    // then the instance completed, and a variable changed later does not move it
    const doc = await instanceDoc(created._id);
    expect(doc.state).toBe('COMPLETED');
    expect(doc).toMatchObject(SCOPE);
  });

  it('should let a called instance inherit its caller scope, its own variables taking precedence', async () => {
    // when the caller passes no variables but a mapped classId to the child
    const parent = await engine.createInstance({
      bpmnProcessId: 'scope-parent',
      variables: { ...SCOPE, childClassId: 'class-2' },
    });

    // then
    const child = await eventually(async () =>
      engine.collections.instances
        .findOne({ parentProcessInstanceKey: parent._id })
        .then((c) => c ?? undefined),
    );
    expect(await instanceDoc(child._id)).toMatchObject({ ...SCOPE, classId: 'class-2' });
  });

  it('should restore the scope when an instance document is rebuilt from its commits', async () => {
    // given an instance whose document was lost after its first commit
    const created = await engine.createInstance({ bpmnProcessId: 'one-task', variables: SCOPE });
    await engine.collections.instances.deleteOne({ _id: created._id });

    // when
    await engine.loadInstance(created._id);

    // then
    expect(await instanceDoc(created._id)).toMatchObject(SCOPE);
  });

  it('should copy the configured scope variables only', async () => {
    // given an engine node configured with other scope variables on the same database
    const other = new Engine(db, { logger, scopeVariables: ['regionId'] });
    await other.start();
    try {
      // when
      const created = await other.createInstance({
        bpmnProcessId: 'one-task',
        variables: { ...SCOPE, regionId: 'r-9' },
      });

      // then
      const doc = await instanceDoc(created._id);
      expect(doc.regionId).toBe('r-9');
      expect(doc).not.toHaveProperty('schoolId');
    } finally {
      await other.stop();
    }
  });

  it('should refuse scope variables named like instance document fields', () => {
    // when / then
    expect(() => new Engine(db, { logger, scopeVariables: ['schoolId', 'state'] })).toThrow(
      /state/,
    );
  });
});
