import { CSRF_HEADER } from '../../server/modules/auth';
import { createAudit } from '../../server/modules/audit';
import { createParameters } from '../../server/modules/parameters';
import {
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';

/**
 * County parameters through HTTP on the real database: a county's own fee standard goes
 * county bureau → city bureau before it becomes the county's cap (FEE-CAP), a refusal keeps
 * the standard in force, values a county leaves out are the city defaults, and nobody outside
 * the county's bureaus and the city bureau changes anything.
 */
describe('county parameters', () => {
  let h: IdentityHarness;
  let a: OrgTree;
  let b: OrgTree;
  let countyA: SignedInClient;
  let countyB: SignedInClient;
  let city: SignedInClient;
  let adminA: SignedInClient;

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, _logger, auth) => {
      const audit = await createAudit({ db, requireSession: auth.requireSession });
      const parameters = await createParameters({
        db,
        audit: audit.log,
        requireSession: auth.requireSession,
      });
      return [
        { path: '/api/parameters', router: parameters.router },
        { path: '/api/audit', router: audit.router },
      ];
    });
    a = await h.createOrgTree();
    b = await h.createOrgTree();
    const as = async (role: 'countyBureau' | 'cityBureau' | 'schoolAdmin', tree: OrgTree) => {
      const scope =
        role === 'cityBureau'
          ? { cityId: tree.cityId }
          : role === 'countyBureau'
            ? { cityId: tree.cityId, countyId: tree.county._id }
            : schoolScope(tree);
      const u = await h.createUser({ memberships: [{ role, scope }] });
      return signIn(h.app, { phone: u.phone!, password: u.password });
    };
    countyA = await as('countyBureau', a);
    countyB = await as('countyBureau', b);
    city = await as('cityBureau', a);
    adminA = await as('schoolAdmin', a);
  });

  afterAll(async () => {
    await h.close();
  });

  const path = (tree: OrgTree, rest = '') => `/api/parameters/counties/${tree.county._id}${rest}`;

  it("should apply a county's own fee standard only once the county and then the city approved it", async () => {
    // given the city default in force
    const before = await countyA.agent.get(path(a, '/effective'));
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ feeCapFen: 8000, feeCapSource: 'city' });

    // when the county bureau proposes 70 yuan without its government's document
    const proposed = await countyA.post(path(a, '/fee-standard'), { monthlyFen: 7000 });

    // then it is only a proposal, and the cap is still the city's
    expect(proposed.status).toBe(200);
    expect(proposed.body.feeProposal).toMatchObject({ monthlyFen: 7000, status: 'proposed' });
    expect(proposed.body.effective).toMatchObject({ feeCapFen: 8000, feeCapSource: 'city' });

    // and the city cannot skip the county's step, nor the county record it without a document
    expect((await city.post(path(a, '/fee-standard/approve'), {})).status).toBe(403);
    const noDocument = await countyA.post(path(a, '/fee-standard/approve'), {});
    expect(noDocument.status).toBe(422);
    expect(noDocument.body.code).toBe('FEE_DOCUMENT_REQUIRED');

    // when the county records its government's document, then the city approves
    const countyApproved = await countyA.post(path(a, '/fee-standard/approve'), {
      document: '某县发改〔2026〕12号',
    });
    expect(countyApproved.status).toBe(200);
    expect(countyApproved.body.feeProposal.status).toBe('county-approved');
    expect(countyApproved.body.effective.feeCapSource).toBe('city');
    expect((await countyA.post(path(a, '/fee-standard/approve'), {})).status).toBe(403);
    const cityApproved = await city.post(path(a, '/fee-standard/approve'), {});

    // then 70 yuan is the county's cap, and the other county keeps the city default
    expect(cityApproved.status).toBe(200);
    expect(cityApproved.body.feeStandard).toMatchObject({
      monthlyFen: 7000,
      status: 'city-approved',
      document: '某县发改〔2026〕12号',
    });
    expect(cityApproved.body.feeProposal).toBeUndefined();
    expect((await countyA.agent.get(path(a, '/effective'))).body).toMatchObject({
      feeCapFen: 7000,
      feeCapSource: 'county',
    });
    expect((await countyB.agent.get(path(b, '/effective'))).body).toMatchObject({
      feeCapFen: 8000,
      feeCapSource: 'city',
    });

    // and each step is in the audit log of the county
    const audit = await countyA.agent.get('/api/audit?size=50');
    expect(audit.status).toBe(200);
    const summaries = (audit.body.items as { summary: string }[]).map((e) => e.summary);
    expect(summaries.filter((s) => s.includes('70'))).toHaveLength(3);
  });

  it('should keep the standard in force when the city refuses a new proposal, and say why', async () => {
    // given A's standard of 70 yuan in force (previous test) and a new proposal of 90 yuan
    const proposed = await countyA.post(path(a, '/fee-standard'), {
      monthlyFen: 9000,
      document: '某县发改〔2026〕30号',
    });
    expect(proposed.body.feeProposal.status).toBe('county-approved');

    // when the city bureau refuses it
    const refused = await city.post(path(a, '/fee-standard/reject'), {
      reason: '高于全市指导标准',
    });

    // then 70 yuan stays and the county sees the reason
    expect(refused.status).toBe(200);
    expect(refused.body.feeProposal).toBeUndefined();
    expect(refused.body.feeRejection).toMatchObject({
      monthlyFen: 9000,
      reason: '高于全市指导标准',
    });
    const view = await countyA.agent.get(path(a));
    expect(view.body.effective).toMatchObject({ feeCapFen: 7000, feeCapSource: 'county' });
    // a refusal with nothing proposed is a conflict, not a silent success
    const again = await city.post(path(a, '/fee-standard/reject'), { reason: '重复' });
    expect(again.status).toBe(409);
  });

  it('should take the values a county sets and the city defaults for the rest', async () => {
    // given
    const defaults = (await countyB.agent.get(path(b, '/effective'))).body;

    // when county B shortens the time after dismissal only
    const saved = await countyB.agent
      .put(path(b))
      .set(CSRF_HEADER, countyB.csrfToken)
      .send({ maxMinutesAfterDismissal: 90 });

    // then that value applies and every other one is the city's
    expect(saved.status).toBe(200);
    expect(saved.body.own).toEqual({ maxMinutesAfterDismissal: 90 });
    expect(saved.body.effective).toEqual({ ...defaults, maxMinutesAfterDismissal: 90 });
  });

  it('should refuse bad values with the field, and leave the county as it was', async () => {
    // given
    const before = (await countyB.agent.get(path(b))).body;

    // when
    const bad = await countyB.agent
      .put(path(b))
      .set(CSRF_HEADER, countyB.csrfToken)
      .send({ maxMinutesAfterDismissal: -5 });
    const badFee = await countyB.post(path(b, '/fee-standard'), { monthlyFen: 12.5 });

    // then
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('maxMinutesAfterDismissal');
    expect(badFee.status).toBe(400);
    expect((await countyB.agent.get(path(b))).body).toEqual(before);
  });

  it("should let nobody but the county's bureau and the city change a county", async () => {
    // when another county's bureau and a school admin of the county try
    const other = await countyB.post(path(a, '/fee-standard'), { monthlyFen: 1000 });
    const admin = await adminA.post(path(a, '/fee-standard'), { monthlyFen: 1000 });
    const adminRead = await adminA.agent.get(path(a));

    // then neither another county's bureau nor the school even sees it
    expect(other.status).toBe(404);
    expect(admin.status).toBe(404);
    expect(adminRead.status).toBe(404);
    expect((await countyA.agent.get(path(a))).body.feeProposal).toBeUndefined();
    const list = await countyB.agent.get('/api/parameters/counties');
    expect((list.body.items as { countyId: string }[]).map((c) => c.countyId)).toEqual([
      b.county._id,
    ]);
  });
});
