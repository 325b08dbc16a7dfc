import fs from 'node:fs';
import path from 'node:path';
import { eventually } from '../fixtures/engine';
import { completeTask as complete, taskOf, type InboxTask } from '../fixtures/inbox-tasks';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import { classScope, schoolScope, type SignedInClient } from '../fixtures/identity';
import { notifiedAbout, readWhen, safetyWorld } from '../fixtures/safety-world';

/**
 * Accident-insurance claims end to end (SAFE-CLAIM): a claim from an incident's principal
 * review and one a school admin requests go through documents, the insurer's decision and a
 * settlement shared among insurer, school and other parties that the real settle-claim worker
 * checks in integer fen (an unbalanced or unshared proposal is refused naming SAFE-CLAIM);
 * the guardians are told, may appeal to the county bureau, and late documents or insurers are
 * escalated by the diagram's timers.
 */

const GUARDIAN_PHONE = '13900000201';

/**
 * A school with its staff, a county bureau, the injured child with a parent, another parent
 * and a stranger school's admin.
 */
async function world(h: DomainHarness) {
  const {
    families: [family],
    as,
    other,
    ...school
  } = await safetyWorld(h, [
    { name: '刘小明', guardian: { relation: 'mother', name: '刘芳', phone: GUARDIAN_PHONE } },
  ]);
  return {
    ...school,
    kid: family.kid,
    parent: family.parent,
    otherParent: await as('parent', classScope(school.tree), 'parent'),
    strangerAdmin: await as('schoolAdmin', schoolScope(other)),
  };
}

type World = Awaited<ReturnType<typeof world>>;

function notified(client: SignedInClient, template: string, claimId: string) {
  return notifiedAbout(client, template, 'claimId', claimId);
}

function claimWhere(
  client: SignedInClient,
  id: string,
  what: string,
  ok: (body: Record<string, unknown>) => boolean,
) {
  return readWhen(client, `/api/claims/${id}`, `claim ${what}`, ok);
}

const atStep = (step: string) => (b: Record<string, unknown>) =>
  ((b.currentSteps as { id: string }[] | undefined) ?? []).some((s) => s.id === step);

function request(w: World, overrides: Record<string, unknown> = {}) {
  return w.admin.client.post('/api/claims', {
    studentId: w.kid._id,
    claimantName: '刘芳',
    claimantPhone: GUARDIAN_PHONE,
    injuryDescription: '课后篮球活动中扭伤右脚踝',
    medicalCostYuan: 1234.56,
    insurer: '中国人寿',
    policyNo: 'P-2026-0101',
    ...overrides,
  });
}

async function documentsAndDecision(w: World, instanceKey: string, medicalCostYuan = 1234.56) {
  await complete(w.admin.client, instanceKey, 'CollectDocuments', {
    claimantName: '刘芳',
    claimantPhone: GUARDIAN_PHONE,
    medicalCostYuan,
    documents: [
      { docType: 'diagnosis', docRef: '诊断证明 2026-118' },
      { docType: 'invoice', docRef: '医疗费用发票 0012' },
    ],
    documentsSubmitted: true,
  });
  await complete(w.admin.client, instanceKey, 'InsurerDecision', {
    insurerDecision: 'partial',
    insurerPaysYuan: 800,
    insurerReference: 'RB-2026-77',
    insurerNote: '自付部分不予赔付',
  });
}

/** A split of 1,234.56 yuan that covers it to the fen. */
const EXACT = {
  schoolShareYuan: 300.33,
  otherParties: [{ partyName: '相撞学生家长', partyShareYuan: 100.11 }],
  guardianShareYuan: 34.12,
  settlementNote: '学校看护责任三成，相撞学生家长承担一部分',
};

describe('insurance claim end to end (engine, workers, inbox, real database)', () => {
  let h: DomainHarness;
  let w: World;

  beforeAll(async () => {
    h = await startDomainHarness();
    w = await world(h);
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  it("should take a claim from an incident's principal review through documents, the insurer and a shared settlement in exact fen", async () => {
    // given an incident whose principal starts a claim for the injured child
    const reported = await w.teacher.client.post('/api/safety/incidents', {
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      location: '篮球场',
      involvedStudentIds: [w.kid._id],
      description: '两名学生抢球相撞',
      injured: true,
      injuries: '右脚踝扭伤',
      severity: 'moderate',
      reporterPhone: '13800000225',
    });
    expect(reported.status).toBe(201);
    const incidentId = reported.body.id as string;
    const incidentKey = reported.body.instanceKey as string;
    await complete(w.teacher.client, incidentKey, 'DutyTeacherReview', {
      dutyTeacherAccount: '抢球相撞',
      measuresTaken: '送医拍片',
      severity: 'moderate',
    });
    await complete(w.admin.client, incidentKey, 'SafetyOfficerReview', {
      safetyFindings: '场地无隐患',
      severity: 'moderate',
    });
    await complete(w.principal.client, incidentKey, 'PrincipalReview', {
      principalConclusion: '启动意外伤害保险理赔',
      severity: 'moderate',
      claimRequired: true,
      studentId: w.kid._id,
    });

    // when the school collects the documents and records the insurer's decision
    const claimId = `claim-${incidentId}`;
    const claimKey = await eventually(async () => {
      const res = await w.admin.client.agent.get('/api/tasks?view=groups&size=100');
      return (res.body.items as InboxTask[]).find((t) => t.elementId === 'CollectDocuments')
        ?.processInstanceKey;
    });
    // then the claim is listed from the start, open, to the school and the child's guardian
    for (const client of [w.admin.client, w.parent.client]) {
      const early = await client.agent.get(`/api/claims?incidentId=${incidentId}`);
      expect(early.body.items).toEqual([
        expect.objectContaining({
          id: claimId,
          status: 'open',
          origin: 'incident',
          studentId: w.kid._id,
          instanceKey: claimKey,
        }),
      ]);
    }
    await documentsAndDecision(w, claimKey);
    // and first proposes shares that leave 10 yuan uncovered
    await complete(w.admin.client, claimKey, 'ProposeSettlement', {
      ...EXACT,
      guardianShareYuan: 24.12,
    });

    // then the settlement is refused naming SAFE-CLAIM, and the proposal comes back
    const refused = await claimWhere(
      w.admin.client,
      claimId,
      'refused',
      (b) => Boolean(b.refusal) && atStep('ProposeSettlement')(b),
    );
    expect(refused).toMatchObject({ incidentId, origin: 'incident', studentId: w.kid._id });
    const refusal = refused.refusal as { rule: string; clause: string; message: string }[];
    expect(refusal.map((r) => r.rule)).toEqual(['SAFE-CLAIM']);
    expect(refusal[0]!.clause).toBe('四(三)');
    expect(refusal[0]!.message).toContain('1224.56');

    // when the shares cover the loss to the fen
    await complete(w.admin.client, claimKey, 'ProposeSettlement', EXACT);

    // then the settlement is recorded in integer fen, exactly
    const settled = await claimWhere(w.admin.client, claimId, 'settled', (b) =>
      Boolean(b.settlement),
    );
    expect(settled.settlement).toMatchObject({
      totalFen: 123456,
      insurerFen: 80000,
      schoolFen: 30033,
      othersFen: 10011,
      guardianFen: 3412,
      otherParties: [{ partyName: '相撞学生家长', fen: 10011 }],
      note: EXACT.settlementNote,
    });
    // and the guardian is told the amounts
    const told = await notified(w.parent.client, 'claim-settled', claimId);
    expect(told.title).toBe('理赔结算方案已确定');
    expect(told.body).toContain('1234.56');
    expect(told.body).toContain('800.00');
    expect(told.body).toContain('300.33');

    // when the guardian accepts it in their own inbox
    await complete(w.parent.client, claimKey, 'ClaimantResponse', { claimantResponse: 'accept' });

    // then the claim and the incident close, the incident holding the claim's outcome
    const closed = await claimWhere(
      w.parent.client,
      claimId,
      'closed',
      (b) => b.status === 'closed',
    );
    expect(closed.outcome).toMatchObject({ response: 'accept', settlement: { totalFen: 123456 } });
    const incident = await eventually(async () => {
      const res = await w.principal.client.agent.get(`/api/safety/incidents/${incidentId}`);
      return res.body.status === 'closed' ? (res.body as Record<string, unknown>) : undefined;
    });
    expect(incident.reviews).toMatchObject({
      claimRequired: true,
      claimOutcome: { response: 'accept' },
    });
    // and the incident's claim is listed under it
    const listed = await w.admin.client.agent.get(`/api/claims?incidentId=${incidentId}`);
    expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([claimId]);
  }, 180_000);

  it('should refuse a settlement that leaves the loss to the family alone (SAFE-CLAIM)', async () => {
    // given a claim the insurer declined
    const requested = await request(w, { medicalCostYuan: 500 });
    expect(requested.status).toBe(201);
    const id = requested.body.id as string;
    const key = requested.body.instanceKey as string;
    await complete(w.admin.client, key, 'CollectDocuments', {
      claimantName: '刘芳',
      claimantPhone: GUARDIAN_PHONE,
      medicalCostYuan: 500,
      documents: [{ docType: 'invoice', docRef: '发票 0099' }],
      documentsSubmitted: true,
    });
    // and an insurer's payment above the loss is refused at the form, so no proposal is stuck
    const decision = await taskOf(w.admin.client, key, 'InsurerDecision');
    const above = await w.admin.client.post(`/api/tasks/${decision.key}/complete`, {
      variables: { insurerDecision: 'partial', insurerPaysYuan: 600, insurerNote: '笔误' },
    });
    expect(above.status).toBe(400);
    expect(above.body.errors).toEqual([{ path: 'insurerPaysYuan', message: '不能大于 500' }]);
    await complete(w.admin.client, key, 'InsurerDecision', {
      insurerDecision: 'declined',
      insurerNote: '不属于保险责任',
    });

    // when the school proposes that the family pays it all
    await complete(w.admin.client, key, 'ProposeSettlement', {
      schoolShareYuan: 0,
      otherParties: [],
      guardianShareYuan: 500,
      settlementNote: '由家长自行承担',
    });

    // then it is refused naming SAFE-CLAIM, and nothing is settled
    const refused = await claimWhere(
      w.admin.client,
      id,
      'refused',
      (b) => Boolean(b.refusal) && atStep('ProposeSettlement')(b),
    );
    expect((refused.refusal as { rule: string }[]).map((r) => r.rule)).toEqual(['SAFE-CLAIM']);
    expect(refused.settlement).toBeUndefined();
    expect(refused.status).toBe('open');
  }, 120_000);

  it('should let the guardian appeal to the county bureau, which has the shares revised', async () => {
    // given a settled claim the school requested for a guardian with an account
    const requested = await request(w);
    expect(requested.status).toBe(201);
    const id = requested.body.id as string;
    const key = requested.body.instanceKey as string;
    await documentsAndDecision(w, key);
    await complete(w.admin.client, key, 'ProposeSettlement', EXACT);
    await notified(w.parent.client, 'claim-settled', id);

    // when the guardian appeals and the county bureau orders a revision
    await complete(w.parent.client, key, 'ClaimantResponse', {
      claimantResponse: 'appeal',
      appealReason: '家长不应承担费用',
    });
    await complete(w.county.client, key, 'ReviewAppeal', {
      appealDecision: 'revise',
      appealReviewReason: '学校看护责任较大，家长不承担',
    });
    await complete(w.admin.client, key, 'ProposeSettlement', {
      ...EXACT,
      schoolShareYuan: 334.45,
      guardianShareYuan: 0,
    });

    // then the revised settlement replaces the first one
    const revised = await claimWhere(
      w.admin.client,
      id,
      'revised',
      (b) => (b.settlement as { schoolFen: number } | undefined)?.schoolFen === 33445,
    );
    expect(revised.settlement).toMatchObject({ totalFen: 123456, guardianFen: 0 });

    // when the guardian appeals again and the county upholds it
    await complete(w.parent.client, key, 'ClaimantResponse', {
      claimantResponse: 'appeal',
      appealReason: '仍有异议',
    });
    await complete(w.county.client, key, 'ReviewAppeal', {
      appealDecision: 'uphold',
      appealReviewReason: '分担合理，维持',
    });

    // then the guardian is told and the claim closes
    const upheld = await notified(w.parent.client, 'claim-appeal-upheld', id);
    expect(upheld.title).toBe('理赔申诉复核结果');
    const closed = await claimWhere(w.admin.client, id, 'closed', (b) => b.status === 'closed');
    expect(closed.outcome).toMatchObject({ response: 'appeal', appealDecision: 'uphold' });
  }, 180_000);

  it('should let the guardian and the school read the claim, and no one else', async () => {
    // given
    const requested = await request(w);
    const id = requested.body.id as string;

    // when / then
    const read: Record<string, { status: number; body: { claimantPhone?: string } }> = {};
    for (const [who, reader] of Object.entries({
      admin: w.admin,
      principal: w.principal,
      county: w.county,
    }))
      read[who] = await reader.client.agent.get(`/api/claims/${id}`);
    for (const r of Object.values(read)) expect(r.status).toBe(200);
    // the school handling the claim calls the claimant; the county sees the phone masked
    expect(read.admin!.body.claimantPhone).toBe(GUARDIAN_PHONE);
    expect(read.principal!.body.claimantPhone).toBe(GUARDIAN_PHONE);
    expect(read.county!.body.claimantPhone).toBe(
      `${GUARDIAN_PHONE.slice(0, 3)}****${GUARDIAN_PHONE.slice(7)}`,
    );
    expect((await w.parent.client.agent.get(`/api/claims/${id}`)).status).toBe(200);
    for (const stranger of [w.otherParent, w.strangerAdmin, w.teacher]) {
      expect((await stranger.client.agent.get(`/api/claims/${id}`)).status).toBe(404);
      const list = await stranger.client.agent.get('/api/claims');
      expect((list.body.items as { id: string }[]).map((c) => c.id)).not.toContain(id);
    }
    // and only a school admin requests claims
    const byParent = await w.parent.client.post('/api/claims', {
      studentId: w.kid._id,
      claimantName: '刘芳',
      claimantPhone: GUARDIAN_PHONE,
      injuryDescription: '自行申请',
      medicalCostYuan: 10,
      insurer: '中国人寿',
      policyNo: 'P-2026-0101',
    });
    expect(byParent.status).toBe(403);
  }, 60_000);
});

describe('insurance claim deadlines (timer escalation)', () => {
  let h: DomainHarness;
  let w: World;

  beforeAll(async () => {
    h = await startDomainHarness();
    w = await world(h);
    // the school's own variant with deadlines of a second (as a school tailors its template)
    const xml = fs
      .readFileSync(path.resolve(__dirname, '../../processes/insurance-claim.bpmn'), 'utf8')
      .replace('"P15D"', '"PT1S"')
      .replace('"P30D"', '"PT1S"');
    // with the forms its tenant needs, as the catalog supplies them
    const forms = path.resolve(__dirname, '../../forms');
    await h.engine.deploy(
      fs
        .readdirSync(forms)
        .filter((f) => f.startsWith('claim-'))
        .map((f) => ({ name: f, content: fs.readFileSync(path.join(forms, f), 'utf8') })),
      `school.${w.tree.school._id}`,
    );
    await h.deploySchoolVariant(w.tree.school._id, 'insurance-claim.bpmn', xml);
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  it('should escalate late documents to the principal and a late insurer to the county bureau', async () => {
    // given
    const requested = await request(w);
    expect(requested.status).toBe(201);
    const id = requested.body.id as string;
    const key = requested.body.instanceKey as string;

    // then the principal is told the documents are late, and the task stays open
    const late = await notified(w.principal.client, 'claim-documents-overdue', id);
    expect(late.title).toBe('理赔材料收集超时');
    await taskOf(w.admin.client, key, 'CollectDocuments');

    // when the documents are in but the insurer takes too long
    await complete(w.admin.client, key, 'CollectDocuments', {
      claimantName: '刘芳',
      claimantPhone: GUARDIAN_PHONE,
      medicalCostYuan: 1234.56,
      documents: [{ docType: 'invoice', docRef: '发票 0012' }],
      documentsSubmitted: true,
    });

    // then the county bureau is asked to mediate
    const insurer = await notified(w.county.client, 'claim-insurer-overdue', id);
    expect(insurer.title).toBe('保险公司理赔决定超时');
    await taskOf(w.admin.client, key, 'InsurerDecision');
  }, 120_000);
});
