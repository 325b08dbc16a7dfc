import fs from 'node:fs';
import path from 'node:path';
import { eventually } from '../fixtures/engine';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import {
  buildStudent,
  classScope,
  schoolScope,
  signIn,
  type OrgTree,
  type SignedInClient,
} from '../fixtures/identity';
import { orgModels } from '../../server/modules/org/org.model';

/**
 * A review that waits too long is escalated by the diagram's timer to the next level, and the
 * review itself stays open for its owner: a class review past its time reaches the school's
 * admins, a school approval past its time the county bureau and the principal. The school's
 * own variant of the template shortens the time (the template says three days), as a school
 * tailors it; everything else is the real engine, workers, inbox and database.
 */
describe('escalation of a stale review by timer', () => {
  let h: DomainHarness;
  let tree: OrgTree;
  let parent: SignedInClient;
  let parentId: string;
  let teacher: SignedInClient;
  let admin: SignedInClient;
  let principal: SignedInClient;
  let county: SignedInClient;

  beforeAll(async () => {
    h = await startDomainHarness();
    tree = await h.createOrgTree();
    await h.createPlan(tree);
    const as = async (m: Parameters<typeof h.createUser>[0]) => {
      const u = await h.createUser(m);
      return { u, client: await signIn(h.app, { phone: u.phone!, password: u.password }) };
    };
    const p = await as({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(tree) }],
    });
    parentId = p.u._id;
    parent = p.client;
    teacher = (await as({ memberships: [{ role: 'classTeacher', scope: classScope(tree) }] }))
      .client;
    admin = (await as({ memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }] })).client;
    principal = (await as({ memberships: [{ role: 'principal', scope: schoolScope(tree) }] }))
      .client;
    county = (
      await as({
        memberships: [
          { role: 'countyBureau', scope: { cityId: tree.cityId, countyId: tree.county._id } },
        ],
      })
    ).client;
    // the school's variant: reviews escalate after two seconds instead of three days
    const root = path.resolve(__dirname, '../..');
    const xml = fs
      .readFileSync(path.join(root, 'processes/after-school-enrolment.bpmn'), 'utf8')
      .replaceAll('"P3D"', '"PT2S"');
    expect(xml).toContain('"PT2S"');
    const forms = path.join(root, 'forms');
    await h.engine.deploy(
      fs
        .readdirSync(forms)
        .filter((f) => f.startsWith('enrolment-'))
        .map((f) => ({ name: f, content: fs.readFileSync(path.join(forms, f), 'utf8') })),
      `school.${tree.school._id}`,
    );
    await h.deploySchoolVariant(tree.school._id, 'after-school-enrolment.bpmn', xml);
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  async function notified(client: SignedInClient, template: string) {
    return eventually(
      async () => {
        const res = await client.agent.get('/api/notifications');
        return (res.body.items as { template: string; title: string }[] | undefined)?.find(
          (n) => n.template === template,
        );
      },
      30_000,
      `a ${template} notification`,
    );
  }

  async function openTask(client: SignedInClient, instanceKey: string, elementId: string) {
    return eventually(
      async () => {
        const res = await client.agent.get('/api/tasks?view=groups&size=100');
        return (
          res.body.items as { key: string; elementId: string; processInstanceKey: string }[]
        ).find((t) => t.elementId === elementId && t.processInstanceKey === instanceKey);
      },
      30_000,
      `${elementId} task`,
    );
  }

  it('should tell the school admins of a late class review and the county of a late approval, the reviews staying open', async () => {
    // given an application waiting at the class review
    const child = buildStudent(tree, {
      guardians: [{ userId: parentId, relation: 'father', name: '高强', phone: '13900000021' }],
    });
    await orgModels(h.db.connection).students.create(child);
    const submitted = await parent.post('/api/enrolment/applications', {
      studentId: child._id,
      sessionId: 'S1',
      weekdays: [1, 3, 5],
      midday: false,
      pickup: { name: '高强', relation: '父亲', phone: '13900000021' },
      insurance: { insurer: '中国人寿', policyNo: 'P-2026-077', validUntil: '2027-06-30' },
      consent: true,
    });
    expect(submitted.status).toBe(201);
    const app = await parent.agent.get(`/api/enrolment/applications/${submitted.body.id}`);
    const instanceKey = app.body.instanceKey as string;
    const review = await openTask(teacher, instanceKey, 'ClassReview');

    // when nobody reviews it in time
    const lateReview = await notified(admin, 'enrolment-review-overdue');

    // then the school's admins are told, and the teacher's review is still there to do
    expect(lateReview.title).toBe('课后服务报名初审超时');
    expect((await openTask(teacher, instanceKey, 'ClassReview')).key).toBe(review.key);
    expect(
      (
        await teacher.post(`/api/tasks/${review.key}/complete`, {
          variables: { decision: 'approve' },
        })
      ).status,
    ).toBe(204);

    // when the school approval waits too long as well
    const approval = await openTask(admin, instanceKey, 'SchoolApproval');
    const lateApproval = await notified(county, 'enrolment-approval-overdue');

    // then the county bureau and the principal are told, and the admin can still approve
    expect(lateApproval.title).toBe('课后服务报名核准超时');
    await notified(principal, 'enrolment-approval-overdue');
    expect(
      (
        await admin.post(`/api/tasks/${approval.key}/complete`, {
          variables: { decision: 'approve' },
        })
      ).status,
    ).toBe(204);
    await eventually(
      async () => {
        const res = await parent.agent.get(`/api/enrolment/applications/${submitted.body.id}`);
        return res.body.status === 'enrolled' ? res.body : undefined;
      },
      30_000,
      'the application enrolled',
    );
    // and the parent was not bothered with the escalations
    const parentInbox = await parent.agent.get('/api/notifications');
    expect((parentInbox.body.items as { template: string }[]).map((n) => n.template)).not.toContain(
      'enrolment-review-overdue',
    );
  }, 120_000);
});
