import request from 'supertest';
import { eventually } from '../fixtures/engine';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import {
  buildStudent,
  classScope,
  signIn,
  type OrgTree,
  type SignedInClient,
} from '../fixtures/identity';
import { enrolmentModels } from '../../server/modules/enrolment/enrolment.model';
import { orgModels } from '../../server/modules/org/org.model';

/**
 * A guardian withdraws while the enrolment process's workers record its next steps (the review
 * completing: the place arranged, the fee assessed, the child enrolled). FerretDB 1.24 checks
 * an update's filter and rewrites the document apart, so a worker's status written over the
 * withdrawal made a withdrawn child enrolled again, holding a seat (regression).
 */
describe('enrolment: a withdrawal while the review completes', () => {
  let h: DomainHarness;
  let tree: OrgTree;
  let parent: SignedInClient;
  let parentId: string;
  let teacher: SignedInClient;
  let worker: { username: string; password: string };

  beforeAll(async () => {
    h = await startDomainHarness();
    tree = await h.createOrgTree();
    await h.createPlan(tree);
    const p = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(tree) }],
    });
    parentId = p._id;
    const t = await h.createUser({
      memberships: [{ role: 'classTeacher', scope: classScope(tree) }],
    });
    const w = await h.createUser({
      kind: 'service',
      memberships: [{ role: 'worker', scope: { cityId: tree.cityId } }],
    });
    worker = { username: w.username!, password: w.password };
    parent = await signIn(h.app, { phone: p.phone!, password: p.password });
    teacher = await signIn(h.app, { phone: t.phone!, password: t.password });
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  const asWorker = (path: string, body: object) =>
    request(h.app).post(path).auth(worker.username, worker.password).send(body);

  async function child() {
    const s = buildStudent(tree, {
      guardians: [{ userId: parentId, relation: 'mother', name: '张丽', phone: '13900000001' }],
    });
    await orgModels(h.db.connection).students.create(s);
    return s;
  }

  const application = (studentId: string) => ({
    studentId,
    sessionId: 'S1',
    weekdays: [1, 2, 3, 4, 5],
    midday: false,
    pickup: { name: '张丽', relation: '母亲', phone: '13900000001' },
    insurance: { insurer: '中国人寿', policyNo: 'P-2026-001', validUntil: '2027-06-30' },
    consent: true,
  });

  it('should keep a withdrawn application withdrawn, its seat and term free, whatever the workers record meanwhile', async () => {
    for (let round = 0; round < 4; round++) {
      // given an application waiting at the class teacher's review
      const s = await child();
      const submitted = await parent.post('/api/enrolment/applications', application(s._id));
      expect(submitted.status).toBe(201);
      const id = submitted.body.id as string;
      const instanceKey = (await parent.agent.get(`/api/enrolment/applications/${id}`)).body
        .instanceKey as string;
      await eventually(
        async () => {
          const res = await teacher.agent.get('/api/tasks?view=groups&size=100');
          return (res.body.items as { elementId: string; processInstanceKey: string }[]).find(
            (t) => t.elementId === 'ClassReview' && t.processInstanceKey === instanceKey,
          );
        },
        30_000,
        `review of ${id}`,
      );

      // when the guardian withdraws while workers arrange a place and record the enrolment
      const [withdrawn, arranged, recorded] = await Promise.all([
        parent.post(`/api/enrolment/applications/${id}/withdraw`),
        asWorker(`/api/enrolment/applications/${id}/arrange`, {}),
        asWorker(`/api/enrolment/applications/${id}/steps`, {
          key: `race-${round}`,
          step: 'assess-fee',
          status: 'enrolled',
          fee: { monthlyFen: 8000, free: false, middayFen: 0, citations: '' },
        }),
      ]);

      // then the withdrawal holds: the application reads withdrawn, no seat is held for it
      expect(withdrawn.status).toBe(200);
      expect(arranged.status).toBe(200);
      expect(recorded.status).toBe(204);
      const read = await parent.agent.get(`/api/enrolment/applications/${id}`);
      expect(read.body.status).toBe('withdrawn');
      const seats = await enrolmentModels(h.db.connection)
        .claims.find({ by: id, _id: /^seat:/ })
        .lean();
      expect(seats).toEqual([]);
      // and the guardian may apply for the child again this term (ELIG-VOLUNTARY)
      const again = await parent.post('/api/enrolment/applications', application(s._id));
      expect(again.status).toBe(201);
      await parent.post(`/api/enrolment/applications/${again.body.id as string}/withdraw`);
    }
  }, 180_000);
  it("should have a worker wait for the submission's instance key before writing the application", async () => {
    // given an application whose submission has not written its instance key yet (the process
    // started a moment ago; its first job already runs)
    const s = await child();
    const id = `app-pending-${s._id}`;
    const now = new Date();
    await enrolmentModels(h.db.connection).applications.create({
      _id: id,
      cityId: tree.cityId,
      countyId: tree.county._id,
      schoolId: tree.school._id,
      gradeId: tree.grade._id,
      classId: tree.class._id,
      studentId: s._id,
      studentName: s.name,
      applicantUserId: parentId,
      guardians: [{ userId: parentId }],
      planId: 'plan-pending',
      term: '2026-autumn',
      sessionId: 'S1',
      weekdays: [1, 2, 3, 4, 5],
      midday: false,
      pickup: { name: '张丽', relation: '母亲', phone: '13900000001' },
      insurance: { insurer: '中国人寿', policyNo: 'P-2026-001', validUntil: '2027-06-30' },
      status: 'submitted',
      submittedAt: now,
      updatedAt: now,
    });
    const step = { key: 'pending-1', step: 'check-eligibility', status: 'refused' };

    // when the worker records its step before the key is there, and again after
    const early = await asWorker(`/api/enrolment/applications/${id}/steps`, step);
    const before = await enrolmentModels(h.db.connection).applications.findById(id).lean();
    await enrolmentModels(h.db.connection).applications.updateOne(
      { _id: id },
      { $set: { instanceKey: '1234567890123456' } },
    );
    const late = await asWorker(`/api/enrolment/applications/${id}/steps`, step);

    // then the first is put off (503: the job retries) without writing, the retry counts
    expect(early.status).toBe(503);
    expect(early.body.code).toBe('APPLICATION_PENDING');
    expect(before?.status).toBe('submitted');
    expect(late.status).toBe(204);
    const after = await enrolmentModels(h.db.connection).applications.findById(id).lean();
    expect(after).toMatchObject({ status: 'refused', instanceKey: '1234567890123456' });
  });
});
