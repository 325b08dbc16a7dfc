import request from 'supertest';
import { catalogFixture, ENROLMENT } from '../fixtures/catalog';
import {
  type CatalogClient,
  type CatalogHarness,
  catalogWorld,
  startCatalogHarness,
} from '../fixtures/catalog/harness';
import { type OrgTree, schoolScope } from '../fixtures/identity';

interface Entry {
  action: string;
  place: string;
  by: string;
  summary: string;
  target: { type: string; id: string; version?: number };
}

describe('audit log', () => {
  let h: CatalogHarness;
  let a: OrgTree;
  let a2: OrgTree;
  let other: OrgTree;
  let city: CatalogClient;
  let countyA: CatalogClient;
  let adminA: CatalogClient;
  let principalA: CatalogClient;
  let adminA2: CatalogClient;
  let adminOther: CatalogClient;
  let teacherA: CatalogClient;

  beforeAll(async () => {
    h = await startCatalogHarness();
    ({ a, a2, other, city, countyA, adminA, principalA, adminOther, teacherA } =
      await catalogWorld(h));
    adminA2 = await h.signInAs({ memberships: [{ role: 'schoolAdmin', scope: schoolScope(a2) }] });

    const variant = catalogFixture('variants/committee-variant.bpmn');
    const deploy = (c: CatalogClient, place: string, xml = variant) =>
      c.post(`/api/catalog/processes/${ENROLMENT}/${place}/versions`, { xml, comment: '审计' });
    await deploy(
      adminA,
      `school.${a.school._id}`,
      catalogFixture('processes/catalog-enrolment.bpmn'),
    );
    await deploy(principalA, `school.${a.school._id}`);
    await adminA.post(`/api/catalog/processes/${ENROLMENT}/school.${a.school._id}/rollback`, {
      version: 1,
    });
    await deploy(adminA2, `school.${a2.school._id}`);
    await deploy(countyA, `county.${a.county._id}`);
    await deploy(adminOther, `school.${other.school._id}`);
  });

  afterAll(async () => {
    await h.close();
  });

  const entries = async (c: CatalogClient, query = '') =>
    (await c.agent.get(`/api/audit?size=100${query}`)).body.items as Entry[];
  const places = (items: Entry[]) => [...new Set(items.map((e) => e.place))].sort();

  it('should record deploys and rollbacks with who, when, where and what', async () => {
    // when
    const mine = await entries(adminA, `&place=school.${a.school._id}`);

    // then
    expect(mine.map((e) => [e.action, e.by, e.target])).toEqual([
      ['process.rollback', adminA.user._id, { type: 'process', id: ENROLMENT, version: 3 }],
      ['process.deploy', principalA.user._id, { type: 'process', id: ENROLMENT, version: 2 }],
      ['process.deploy', adminA.user._id, { type: 'process', id: ENROLMENT, version: 1 }],
    ]);
    expect(mine[0]!.summary).toBe(
      `学校 ${a.school.name}：流程「课后服务报名（测试模板）」（${ENROLMENT}）回滚到第 1 版，成为第 3 版`,
    );
    const full = (await adminA.agent.get(`/api/audit?place=school.${a.school._id}&size=1`)).body;
    expect(full).toMatchObject({ page: 1, size: 1, total: 3 });
    expect(full.items[0]).toMatchObject({
      level: 'school',
      schoolId: a.school._id,
      countyId: a.county._id,
      cityId: a.cityId,
      byName: adminA.user.displayName,
      details: { comment: '回滚到第 1 版', rollbackOf: 1, tenantId: `school.${a.school._id}` },
    });
    expect(full.items[0].at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('should show a school its own entries, a county its own and its schools, the city everything', async () => {
    // when
    const school = places(await entries(adminA));
    const principal = places(await entries(principalA));
    const county = places(await entries(countyA));
    const all = await entries(city);
    const teacher = await entries(teacherA);

    // then
    expect(school).toEqual([`school.${a.school._id}`]);
    expect(principal).toEqual(school);
    expect(county).toEqual(
      [`county.${a.county._id}`, `school.${a.school._id}`, `school.${a2.school._id}`].sort(),
    );
    expect(places(all)).toEqual(
      [
        'city',
        `county.${a.county._id}`,
        `school.${a.school._id}`,
        `school.${a2.school._id}`,
        `school.${other.school._id}`,
      ].sort(),
    );
    expect(
      all
        .filter((e) => e.place === 'city')
        .map((e) => [e.action, e.by, e.target.id])
        .sort(),
    ).toEqual([
      ['form.load', 'system', 'catalog-application'],
      ['form.load', 'system', 'catalog-class-review'],
      ['process.load', 'system', ENROLMENT],
    ]);
    expect(teacher).toEqual([]);
    expect(places(await entries(adminOther))).toEqual([`school.${other.school._id}`]);
  });

  it('should filter by action and time, newest first', async () => {
    // given
    const before = new Date(Date.now() - 1).toISOString();
    await h.audit.record({
      actor: { userId: city.user._id, displayName: city.user.displayName },
      action: 'membership.add',
      place: { level: 'school', key: `school.${a.school._id}`, ...schoolScope(a) },
      target: { type: 'user', id: 'user-x' },
      summary: '添加学校管理员',
      details: { role: 'schoolAdmin' },
    });

    // when
    const rollbacks = await entries(city, '&action=process.rollback');
    const recent = await entries(adminA, `&from=${encodeURIComponent(before)}`);
    const old = await entries(adminA, `&to=${encodeURIComponent(before)}`);

    // then
    expect(rollbacks.map((e) => e.place)).toEqual([`school.${a.school._id}`]);
    expect(recent.map((e) => [e.action, e.summary])).toEqual([
      ['membership.add', '添加学校管理员'],
    ]);
    expect(old.map((e) => e.action)).not.toContain('membership.add');
    expect(await entries(adminA2)).not.toContainEqual(
      expect.objectContaining({ action: 'membership.add' }),
    );
  });

  it('should need a session and a valid query', async () => {
    // when
    const anonymous = await request(h.app).get('/api/audit');
    const bad = await city.agent.get('/api/audit?size=1000');

    // then
    expect(anonymous.status).toBe(401);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('size');
  });
});
