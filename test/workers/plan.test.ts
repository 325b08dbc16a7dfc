import { eventually } from '../fixtures/engine';
import { taskOf } from '../fixtures/inbox-tasks';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import {
  buildStudent,
  classScope,
  schoolScope,
  signIn,
  type SignedInClient,
} from '../fixtures/identity';
import { planBody, planContent } from '../fixtures/plan';
import { orgModels } from '../../server/modules/org/org.model';
import { CSRF_HEADER } from '../../server/modules/auth';

/**
 * The school service plan (一校一案) end to end: drafted and submitted through /api/plans,
 * checked by the real check-plan worker against the county's parameters, consented, signed
 * and filed through the inbox, published by the publish-plan worker; then enrolment accepts
 * it. Refusals by hard rules name their ids; TIME-2H passes only with the principal's written
 * reason.
 */
describe('school service plan end to end (engine, workers, inbox, real database)', () => {
  let h: DomainHarness;

  beforeAll(async () => {
    h = await startDomainHarness();
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  /** A school with its admin, principal, committee member, county bureau and a parent. */
  async function school() {
    const tree = await h.createOrgTree();
    const as = async (role: string, scope: object, kind: 'staff' | 'parent' = 'staff') => {
      const u = await h.createUser({ kind, memberships: [{ role, scope } as never] });
      return { id: u._id, client: await signIn(h.app, { phone: u.phone!, password: u.password }) };
    };
    return {
      tree,
      admin: await as('schoolAdmin', schoolScope(tree)),
      principal: await as('principal', schoolScope(tree)),
      committee: await as('committee', schoolScope(tree)),
      county: await as('countyBureau', { cityId: tree.cityId, countyId: tree.county._id }),
      parent: await as('parent', classScope(tree), 'parent'),
    };
  }

  async function complete(
    client: SignedInClient,
    instanceKey: string,
    elementId: string,
    variables: Record<string, unknown>,
  ) {
    const task = await taskOf(client, instanceKey, elementId);
    return client.post(`/api/tasks/${task.key}/complete`, { variables });
  }

  async function planIn(client: SignedInClient, id: string, status: string) {
    return eventually(
      async () => {
        const res = await client.agent.get(`/api/plans/${id}`);
        return res.body.status === status ? (res.body as Record<string, unknown>) : undefined;
      },
      30_000,
      `plan ${id} ${status}`,
    );
  }

  async function draftAndSubmit(s: Awaited<ReturnType<typeof school>>, overrides = {}) {
    const drafted = await s.admin.client.post('/api/plans', planBody(s.tree, overrides));
    expect(drafted.status).toBe(201);
    const submitted = await s.admin.client.post(`/api/plans/${drafted.body.id}/submit`);
    expect(submitted.status).toBe(200);
    return submitted.body as { id: string; instanceKey: string; status: string };
  }

  /** The committee, the principal and the county approve; the plan is then published. */
  async function approveToPublished(
    s: Awaited<ReturnType<typeof school>>,
    plan: { id: string; instanceKey: string },
  ) {
    const key = plan.instanceKey;
    expect(
      (
        await complete(s.committee.client, key, 'CommitteeConsent', {
          decision: 'approve',
          middayFeeConsent: true,
          opinions: '家长普遍支持',
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await complete(s.principal.client, key, 'PrincipalSignOff', {
          decision: 'approve',
          responsibilityAccepted: true,
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await complete(s.county.client, key, 'CountyFiling', {
          decision: 'approve',
          filingNo: 'YH-2026-017',
        })
      ).status,
    ).toBe(204);
    return planIn(s.admin.client, plan.id, 'published');
  }

  it('should take a drafted plan through the checks, committee consent, principal sign-off and county filing to published, which enrolment accepts', async () => {
    // given
    const s = await school();

    // when
    const plan = await draftAndSubmit(s);
    const published = await approveToPublished(s, plan);

    // then the plan is filed with who consented, signed and filed
    expect(plan.status).toBe('submitted');
    expect(published.filing).toMatchObject({
      filingNo: 'YH-2026-017',
      committeeConsentBy: s.committee.id,
      principalSignOffBy: s.principal.id,
      filedBy: s.county.id,
    });
    expect(published.middayFeeConsent).toBe(true);
    expect((published.lastCheck as { ok: boolean }).ok).toBe(true);
    expect((published.timeline as { step: string }[]).map((e) => e.step)).toEqual([
      'drafted',
      'submitted',
      'checked',
      'published',
    ]);
    // and parents of the school see it, without the staff list and record checks
    const seen = await s.parent.client.agent.get(`/api/plans/${plan.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.staff).toBeUndefined();
    expect(seen.body.lastCheck).toBeUndefined();
    expect(seen.body.sessions[0].personInChargeId).toBeUndefined();
    expect(seen.body.sessions[0].personInCharge).toBe('王老师');
    expect(seen.body.filing).toEqual({
      filingNo: 'YH-2026-017',
      publishedAt: published.filing && (published.filing as { publishedAt: string }).publishedAt,
    });
    // and a parent may apply under it
    const child = buildStudent(s.tree, {
      guardians: [{ userId: s.parent.id, relation: 'mother', name: '张丽', phone: '13900000001' }],
    });
    await orgModels(h.db.connection).students.create(child);
    const applied = await s.parent.client.post('/api/enrolment/applications', {
      studentId: child._id,
      sessionId: 'S1',
      weekdays: [1, 2, 3, 4, 5],
      midday: false,
      pickup: { name: '张丽', relation: '母亲', phone: '13900000001' },
      insurance: { insurer: '中国人寿', policyNo: 'P-2026-101', validUntil: '2027-06-30' },
      consent: true,
    });
    expect(applied.status).toBe(201);
  }, 120_000);

  it('should not show a plan to parents before it is published, nor accept applications under it', async () => {
    // given
    const s = await school();
    const plan = await draftAndSubmit(s);
    await taskOf(s.committee.client, plan.instanceKey, 'CommitteeConsent');

    const child = buildStudent(s.tree, {
      guardians: [{ userId: s.parent.id, relation: 'mother', name: '张丽', phone: '13900000001' }],
    });
    await orgModels(h.db.connection).students.create(child);

    // when
    const read = await s.parent.client.agent.get(`/api/plans/${plan.id}`);
    const list = await s.parent.client.agent.get('/api/plans');
    const applied = await s.parent.client.post('/api/enrolment/applications', {
      studentId: child._id,
      sessionId: 'S1',
      weekdays: [1, 2, 3, 4, 5],
      midday: false,
      pickup: { name: '张丽', relation: '母亲', phone: '13900000001' },
      insurance: { insurer: '中国人寿', policyNo: 'P-2026-103', validUntil: '2027-06-30' },
      consent: true,
    });

    // then
    expect(read.status).toBe(404);
    expect(list.body.items).toEqual([]);
    expect(applied.status).toBe(422);
    expect(applied.body.rules.map((r: { rule: string }) => r.rule)).toEqual(['PLAN-ONE-SCHOOL']);
  }, 60_000);

  it('should refuse a plan breaking hard rules with their ids, send it back, and pass it once revised', async () => {
    // given a plan ending too early, above the fee cap, with remedial teaching
    const s = await school();
    const plan = await draftAndSubmit(s, {
      end: '17:50',
      feeStandardFen: 9000,
      activities: [{ title: '数学补课', category: 'homework' }],
    });

    // when the check refuses it
    const returned = await planIn(s.admin.client, plan.id, 'returned');

    // then the refusal names each rule and its clause
    const refusal = returned.refusal as { step: string; violations: { rule: string }[] };
    expect(refusal.step).toBe('CheckPlan');
    expect(refusal.violations.map((v) => v.rule)).toEqual(
      expect.arrayContaining([
        'TIME-END-SUMMER',
        'TIME-END-WINTER',
        'CONTENT-NO-TEACHING',
        'FEE-CAP',
      ]),
    );
    expect((returned.lastCheck as { ok: boolean }).ok).toBe(false);
    expect((await taskOf(s.admin.client, plan.instanceKey, 'RevisePlan')).key).toBeDefined();

    // when the school revises it and resubmits
    const edited = await s.admin.client.agent
      .put(`/api/plans/${plan.id}`)
      .set(CSRF_HEADER, s.admin.client.csrfToken)
      .send(planContent());
    expect(edited.status).toBe(200);
    const resubmitted = await s.admin.client.post(`/api/plans/${plan.id}/resubmit`);
    expect(resubmitted.status).toBe(200);

    // then the second check passes and the committee is asked
    await taskOf(s.committee.client, plan.instanceKey, 'CommitteeConsent');
    const checked = await eventually(async () => {
      const res = await s.admin.client.agent.get(`/api/plans/${plan.id}`);
      return res.body.lastCheck?.ok === true ? res.body : undefined;
    });
    expect(checked.status).toBe('submitted');
    expect(
      (checked.timeline as { step: string }[]).filter((e) => e.step === 'checked'),
    ).toHaveLength(2);
  }, 120_000);

  it('should pass a session beyond two hours after dismissal (TIME-2H) only with the principal’s written reason, which enrolment then honours', async () => {
    // given a session from a 16:00 dismissal to 18:30
    const s = await school();
    const plan = await draftAndSubmit(s, { dismissal: '16:00', start: '16:10' });

    // when the principal approves without a written reason
    const task = await taskOf(s.principal.client, plan.instanceKey, 'ApproveTimeException');
    const bare = await s.principal.client.post(`/api/tasks/${task.key}/complete`, {
      variables: { decision: 'approve' },
    });

    // then the approval is refused, the plan waits
    expect(bare.status).toBe(400);
    expect(bare.body.code).toBe('FORM_INVALID');
    const waiting = await s.admin.client.agent.get(`/api/plans/${plan.id}`);
    expect(waiting.body.lastCheck.warnings.map((w: { rule: string }) => w.rule)).toContain(
      'TIME-2H',
    );
    expect(waiting.body.currentSteps).toEqual([
      expect.objectContaining({ id: 'ApproveTimeException' }),
    ]);

    // when the principal gives the reason in writing
    const reason = '多数家长下班较晚，经家委会征求意见延长至 18:30';
    const approved = await s.principal.client.post(`/api/tasks/${task.key}/complete`, {
      variables: { decision: 'approve', reason },
    });
    expect(approved.status).toBe(204);
    const published = await approveToPublished(s, plan);

    // then the session carries the approved reason
    const session = (published.sessions as Record<string, unknown>[])[0]!;
    expect(session.approvedReason).toMatchObject({ text: reason, approvedBy: s.principal.id });
    // and an application for it passes the service-time check with TIME-2H as a warning
    const child = buildStudent(s.tree, {
      guardians: [{ userId: s.parent.id, relation: 'father', name: '李强', phone: '13900000002' }],
    });
    await orgModels(h.db.connection).students.create(child);
    const applied = await s.parent.client.post('/api/enrolment/applications', {
      studentId: child._id,
      sessionId: 'S1',
      weekdays: [1, 3, 5],
      midday: false,
      pickup: { name: '李强', relation: '父亲', phone: '13900000002' },
      insurance: { insurer: '中国人寿', policyNo: 'P-2026-102', validUntil: '2027-06-30' },
      consent: true,
    });
    expect(applied.status).toBe(201);
    const timeStep = await eventually(async () => {
      const res = await s.parent.client.agent.get(`/api/enrolment/applications/${applied.body.id}`);
      return (res.body.timeline as { step: string; data?: { rules?: { rule: string }[] } }[]).find(
        (e) => e.step === 'check-service-time',
      );
    });
    expect(timeStep.data?.rules?.map((r) => r.rule)).toEqual(['TIME-2H']);
  }, 120_000);

  it('should send the plan back when the principal refuses the time exception, and let the school withdraw it', async () => {
    // given
    const s = await school();
    const plan = await draftAndSubmit(s, { dismissal: '16:00', start: '16:10' });

    // when
    expect(
      (
        await complete(s.principal.client, plan.instanceKey, 'ApproveTimeException', {
          decision: 'reject',
          reason: '不同意延长，请按放学后两小时安排',
        })
      ).status,
    ).toBe(204);
    const returned = await planIn(s.admin.client, plan.id, 'returned');
    const withdrawn = await s.admin.client.post(`/api/plans/${plan.id}/withdraw`);

    // then
    expect(returned.refusal).toEqual({
      step: 'ApproveTimeException',
      reason: '不同意延长，请按放学后两小时安排',
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('withdrawn');
    // and it may be edited and submitted again
    const again = await s.admin.client.post(`/api/plans/${plan.id}/submit`);
    expect(again.status).toBe(200);
    expect(again.body.instanceKey).not.toBe(plan.instanceKey);
  }, 120_000);
});
