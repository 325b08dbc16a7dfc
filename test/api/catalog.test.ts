import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { catalogFixture, ENROLMENT, enrolmentTemplate } from '../fixtures/catalog';
import {
  type CatalogClient,
  type CatalogHarness,
  catalogWorld,
  startCatalogHarness,
} from '../fixtures/catalog/harness';
import { classScope, type OrgTree, schoolScope } from '../fixtures/identity';

const variant = () => catalogFixture('variants/committee-variant.bpmn');

describe('process catalog', () => {
  let h: CatalogHarness;
  let a: OrgTree;
  let a2: OrgTree;
  let other: OrgTree;
  let city: CatalogClient;
  let countyA: CatalogClient;
  let adminA: CatalogClient;
  let principalA: CatalogClient;
  let adminOther: CatalogClient;
  let teacherA: CatalogClient;

  beforeAll(async () => {
    h = await startCatalogHarness();
    ({ a, a2, other, city, countyA, adminA, principalA, adminOther, teacherA } =
      await catalogWorld(h));
  });

  afterAll(async () => {
    await h.close();
  });

  const school = (tree: OrgTree) => `school.${tree.school._id}`;
  const versionsPath = (place: string, id = ENROLMENT) =>
    `/api/catalog/processes/${id}/${place}/versions`;

  it('should deploy the template directory as the city versions at start, once', async () => {
    // when
    const list = await city.agent.get('/api/catalog/processes');
    const versions = await city.agent.get(versionsPath('city'));
    const again = await h.reload();

    // then
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        id: ENROLMENT,
        place: 'city',
        level: 'city',
        version: 1,
        name: '课后服务报名（测试模板）',
        tenantId: '<default>',
        by: 'system',
      }),
    ]);
    expect(versions.body.items).toEqual([
      expect.objectContaining({
        version: 1,
        action: 'load',
        comment: '从 processes/catalog-enrolment.bpmn 载入',
        byName: '系统',
        engineVersion: 1,
      }),
    ]);
    expect(again.processes).toEqual({ loaded: [], unchanged: [ENROLMENT], failed: [] });
    expect(again.forms.unchanged.sort()).toEqual(['catalog-application', 'catalog-class-review']);
    const forms = await h.forms.resolveForSchool('catalog-class-review', a.school._id);
    expect(forms).toMatchObject({ place: 'city', version: 1, tenantId: '<default>' });
  });

  it('should deploy a school variant, resolve school → county → city, and keep the other schools on theirs', async () => {
    // when
    const res = await adminA.post(versionsPath(school(a)), {
      xml: variant(),
      comment: '加家委会意见',
    });

    // then
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      changed: true,
      version: {
        id: ENROLMENT,
        place: school(a),
        level: 'school',
        version: 1,
        tenantId: school(a),
        comment: '加家委会意见',
        action: 'deploy',
        basedOn: ['city@1'],
        by: adminA.user._id,
      },
      warnings: [],
      affectedVariants: [],
    });
    const ownResolve = await adminA.agent.get(
      `/api/catalog/processes/${ENROLMENT}/resolve?schoolId=${a.school._id}`,
    );
    expect(ownResolve.body).toEqual({
      id: ENROLMENT,
      schoolId: a.school._id,
      place: school(a),
      level: 'school',
      version: 1,
      processDefinitionKey: res.body.version.engineKey,
      engineVersion: 1,
      tenantId: school(a),
    });
    const sibling = await h.catalog.service.resolveForSchool(ENROLMENT, a2.school._id);
    expect(sibling).toMatchObject({
      place: 'city',
      level: 'city',
      version: 1,
      tenantId: '<default>',
    });

    // when the county adopts a variant too
    const county = await countyA.post(versionsPath(`county.${a.county._id}`), {
      xml: variant().replace('name="家委会意见"', 'name="家委会意见（县区）"'),
    });

    // then the sibling school runs the county's, the school keeps its own
    expect(county.status).toBe(201);
    expect(county.body.version).toMatchObject({
      basedOn: ['city@1'],
      tenantId: `county.${a.county._id}`,
    });
    expect(await h.catalog.service.resolveForSchool(ENROLMENT, a2.school._id)).toMatchObject({
      place: `county.${a.county._id}`,
      processDefinitionKey: county.body.version.engineKey,
    });
    expect(await h.catalog.service.resolveForSchool(ENROLMENT, a.school._id)).toMatchObject({
      place: school(a),
    });
    expect(await h.catalog.service.resolveForSchool(ENROLMENT, other.school._id)).toMatchObject({
      place: 'city',
    });
  });

  it('should refuse a school variant that drops the class review, naming FLOW-CHAIN and the element', async () => {
    // given
    const before = await adminA.agent.get(versionsPath(school(a)));

    // when
    const res = await adminA.post(versionsPath(school(a)), {
      xml: catalogFixture('variants/drop-class-review.bpmn'),
    });

    // then
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'POLICY_LINT_FAILED', title: '流程未通过政策检查' });
    expect(res.body.errors).toEqual([
      {
        path: 'ClassReview',
        elementId: 'ClassReview',
        rule: 'FLOW-CHAIN',
        lintRule: 'kehou/mandatory-elements',
        severity: 'error',
        message: '删除了模板规定的必需步骤「班级初审」（ClassReview）',
      },
    ]);
    expect(res.body.rules).toEqual([
      {
        rule: 'FLOW-CHAIN',
        clause: '三(五)',
        message: '删除了模板规定的必需步骤「班级初审」（ClassReview）',
      },
    ]);
    const after = await adminA.agent.get(versionsPath(school(a)));
    expect(after.body).toEqual(before.body);
  });

  it('should name each problem of a variant that bypasses the review and changes a locked step', async () => {
    // when
    const bypass = await adminA.post(versionsPath(school(a)), {
      xml: catalogFixture('variants/bypass-class-review.bpmn'),
    });
    const locked = await adminA.post(versionsPath(school(a)), {
      xml: catalogFixture('variants/change-locked.bpmn'),
    });
    const dryRun = await adminA.post(`/api/catalog/processes/${ENROLMENT}/${school(a)}/lint`, {
      xml: catalogFixture('variants/change-locked.bpmn'),
    });

    // then
    expect(bypass.status).toBe(422);
    expect(
      bypass.body.errors.map((e: { elementId: string; rule: string }) => [e.elementId, e.rule]),
    ).toEqual([
      ['ClassReview', 'FLOW-CHAIN'],
      ['ClassReview', 'FLOW-CHAIN'],
    ]);
    expect(locked.status).toBe(422);
    expect(locked.body.rules.map((r: { rule: string }) => r.rule).sort()).toEqual([
      'ELIG-ENROLLED',
      'FEE-CAP',
    ]);
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.errors.map((e: { elementId: string }) => e.elementId)).toEqual(
      locked.body.errors.map((e: { elementId: string }) => e.elementId),
    );
  });

  it('should refuse a file that does not define the process of the URL', async () => {
    // when
    const res = await adminA.post(versionsPath(school(a), 'another-process'), { xml: variant() });

    // then
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PROCESS_MISMATCH');
  });

  it('should keep a running instance on its version when a new one is deployed', async () => {
    // given a school with the city's template, and an instance started on the school's resolution
    const tree = await h.createOrgTree();
    const admin = await h.signInAs({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    const first = await admin.post(versionsPath(school(tree)), { xml: enrolmentTemplate() });
    const v1 = await h.catalog.service.resolveForSchool(ENROLMENT, tree.school._id);
    const instance = await h.engine.createInstance({
      processDefinitionKey: v1.processDefinitionKey,
      variables: { ...classScope(tree), studentId: 'stu-1' },
    });
    await h.completeJobs(instance._id, 'check-eligibility', { eligible: true });
    const review = await h.taskAt(instance._id, 'ClassReview');

    // when v2 (the committee step) is deployed
    const second = await admin.post(versionsPath(school(tree)), { xml: variant(), comment: 'v2' });
    await h.engine.completeUserTask(review._id, { approved: true });

    // then the running instance goes on as v1 did (no committee step) ...
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.version.version).toBe(2);
    const approval = await h.taskAt(instance._id, 'SchoolApproval');
    expect(approval.processDefinitionKey).toBe(first.body.version.engineKey);
    expect((await h.engine.loadInstance(instance._id))!.processDefinitionKey).toBe(
      first.body.version.engineKey,
    );
    // ... its class review was linked to the city's form in the school's tenant
    expect(review.tenantId).toBe(school(tree));
    expect(review.formKey).toBeDefined();
    // ... and a new instance starts on v2
    const v2 = await h.catalog.service.resolveForSchool(ENROLMENT, tree.school._id);
    expect(v2).toMatchObject({ version: 2, processDefinitionKey: second.body.version.engineKey });
  });

  it('should list versions with who, when and comment, show one, and diff two element by element', async () => {
    // given
    const tree = await h.createOrgTree();
    const admin = await h.signInAs({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    await admin.post(versionsPath(school(tree)), { xml: enrolmentTemplate(), comment: '照搬模板' });
    await admin.post(versionsPath(school(tree)), { xml: variant(), comment: '家委会参与' });

    // when
    const list = await admin.agent.get(versionsPath(school(tree)));
    const one = await admin.agent.get(`${versionsPath(school(tree))}/1`);
    const diff = await admin.agent.get(
      `/api/catalog/processes/${ENROLMENT}/${school(tree)}/diff?from=1&to=2`,
    );
    const vsTemplate = await admin.agent.get(
      `/api/catalog/processes/${ENROLMENT}/${school(tree)}/diff?from=city@1&to=2`,
    );

    // then
    expect(
      list.body.items.map((v: { version: number; comment: string; byName: string }) => [
        v.version,
        v.comment,
        v.byName,
      ]),
    ).toEqual([
      [2, '家委会参与', admin.user.displayName],
      [1, '照搬模板', admin.user.displayName],
    ]);
    expect(list.body.items[0].at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(one.body).toMatchObject({ version: 1, xml: enrolmentTemplate() });
    expect(diff.status).toBe(200);
    expect(diff.body.from).toEqual({ place: school(tree), version: 1 });
    expect(diff.body.elements.added).toEqual([
      { id: 'CommitteeReview', type: 'bpmn:UserTask', name: '家委会意见' },
      { id: 'toCommitteeReview', type: 'bpmn:SequenceFlow', name: '通过' },
    ]);
    expect(diff.body.elements.removed).toEqual([]);
    const changed = Object.fromEntries(
      diff.body.elements.changed.map((c: { id: string; attributes: { name: string }[] }) => [
        c.id,
        c.attributes.map((x) => x.name),
      ]),
    );
    expect(changed).toEqual({
      ClassReview: ['name'],
      toSchoolApproval: ['conditionExpression.body', 'name', 'sourceRef'],
    });
    const review = diff.body.elements.changed.find((c: { id: string }) => c.id === 'ClassReview');
    expect(review.attributes).toEqual([
      { name: 'name', before: '班级初审', after: '班级初审（班主任）' },
    ]);
    expect(diff.body.unified).toContain(
      '+    <bpmn:userTask id="CommitteeReview" name="家委会意见">',
    );
    expect(vsTemplate.body.from).toEqual({ place: 'city', version: 1 });
    expect(vsTemplate.body.elements.added).toEqual(diff.body.elements.added);
  });

  it('should roll back as a new version equal to the old one', async () => {
    // given
    const tree = await h.createOrgTree();
    const admin = await h.signInAs({
      memberships: [{ role: 'principal', scope: schoolScope(tree) }],
    });
    const v1 = await admin.post(versionsPath(school(tree)), { xml: enrolmentTemplate() });
    const v2 = await admin.post(versionsPath(school(tree)), { xml: variant() });

    // when
    const back = await admin.post(`/api/catalog/processes/${ENROLMENT}/${school(tree)}/rollback`, {
      version: 1,
    });
    const again = await admin.post(`/api/catalog/processes/${ENROLMENT}/${school(tree)}/rollback`, {
      version: 1,
    });

    // then
    expect(back.status).toBe(201);
    expect(back.body.version).toMatchObject({
      version: 3,
      action: 'rollback',
      rollbackOf: 1,
      comment: '回滚到第 1 版',
      engineVersion: 3,
    });
    expect(back.body.version.engineKey).not.toBe(v1.body.version.engineKey);
    const v3 = await admin.agent.get(`${versionsPath(school(tree))}/3`);
    expect(v3.body.xml).toBe(enrolmentTemplate());
    expect(v2.body.version.version).toBe(2);
    expect(await h.catalog.service.resolveForSchool(ENROLMENT, tree.school._id)).toMatchObject({
      version: 3,
      processDefinitionKey: back.body.version.engineKey,
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_CURRENT');
  });

  it('should answer an unchanged deploy with the current version, and refuse a stale edit', async () => {
    // given
    const tree = await h.createOrgTree();
    const admin = await h.signInAs({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(tree) }],
    });
    await admin.post(versionsPath(school(tree)), { xml: enrolmentTemplate() });

    // when
    const same = await admin.post(versionsPath(school(tree)), { xml: enrolmentTemplate() });
    const stale = await admin.post(versionsPath(school(tree)), { xml: variant(), baseVersion: 0 });

    // then
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ changed: false, version: { version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      code: 'VERSION_CONFLICT',
      detail: '已有更新的版本（第 1 版），请刷新后重试',
    });
  });

  it('should let only the place own administrators deploy there', async () => {
    // when
    const cases = {
      teacher: await teacherA.post(versionsPath(school(a)), { xml: variant() }),
      otherSchool: await adminOther.post(versionsPath(school(a)), { xml: variant() }),
      countyAtSchool: await countyA.post(versionsPath(school(a)), { xml: variant() }),
      schoolAtCounty: await principalA.post(versionsPath(`county.${a.county._id}`), {
        xml: variant(),
      }),
      schoolAtCity: await adminA.post(versionsPath('city'), { xml: enrolmentTemplate() }),
      countyElsewhere: await countyA.post(versionsPath(`county.${other.county._id}`), {
        xml: variant(),
      }),
      cityAtSchool: await city.post(versionsPath(school(other)), { xml: variant() }),
      noSession: await request(h.app)
        .post(versionsPath(school(a)))
        .send({ xml: variant() }),
      noCsrf: await adminA.agent.post(versionsPath(school(a))).send({ xml: variant() }),
      unknownSchool: await city.post(versionsPath('school.nowhere'), { xml: variant() }),
    };

    // then
    expect(Object.fromEntries(Object.entries(cases).map(([k, r]) => [k, r.status]))).toEqual({
      teacher: 404,
      otherSchool: 404,
      countyAtSchool: 403,
      schoolAtCounty: 403,
      schoolAtCity: 403,
      countyElsewhere: 404,
      cityAtSchool: 201,
      noSession: 401,
      noCsrf: 403,
      unknownSchool: 404,
    });
    expect(cases.countyAtSchool.body.code).toBe('CATALOG_FORBIDDEN');
  });

  it('should show each administrator their place, the places below and the templates above', async () => {
    // when
    const places = async (c: CatalogClient) =>
      (
        (await c.agent.get(`/api/catalog/processes?id=${ENROLMENT}`)).body.items as {
          place: string;
        }[]
      )
        .map((i) => i.place)
        .sort();

    // then
    expect(await places(adminA)).toEqual(['city', `county.${a.county._id}`, school(a)].sort());
    expect(await places(adminOther)).toEqual(['city', school(other)].sort());
    expect(await places(countyA)).toEqual(['city', `county.${a.county._id}`, school(a)].sort());
    expect(await places(city)).toContain(school(other));
    expect(await places(teacherA)).toEqual([]);
    const foreign = await adminOther.agent.get(versionsPath(school(a)));
    expect(foreign.status).toBe(404);
  });

  it('should let anyone who sees a school resolve its process, and nobody else', async () => {
    // when
    const teacher = await teacherA.agent.get(
      `/api/catalog/processes/${ENROLMENT}/resolve?schoolId=${a.school._id}`,
    );
    const foreign = await teacherA.agent.get(
      `/api/catalog/processes/${ENROLMENT}/resolve?schoolId=${other.school._id}`,
    );
    const unknown = await teacherA.agent.get(
      `/api/catalog/processes/no-such-process/resolve?schoolId=${a.school._id}`,
    );

    // then
    expect(teacher.status).toBe(200);
    expect(teacher.body.place).toBe(school(a));
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
  });

  it('should tell the city which variants a new template version refuses', async () => {
    // given a template that makes the committee step mandatory
    const template = variant()
      .replace('name="班级初审（班主任）"', 'name="班级初审"')
      .replace(
        /(<bpmn:userTask id="CommitteeReview"[\s\S]*?<zeebe:userTask \/>)/,
        '$1<zeebe:properties><zeebe:property name="kehou:mandatory" value="FLOW-COMMITTEE" /></zeebe:properties>',
      );
    const withoutCommittee = await h.createOrgTree();
    const admin = await h.signInAs({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(withoutCommittee) }],
    });
    await admin.post(versionsPath(school(withoutCommittee)), { xml: enrolmentTemplate() });

    // when
    const res = await city.post(versionsPath('city'), { xml: template, comment: '家委会全程参与' });

    // then
    expect(res.status).toBe(201);
    expect(res.body.version).toMatchObject({ version: 2, action: 'deploy' });
    const affected = res.body.affectedVariants as {
      place: string;
      errors: { elementId: string; rule: string }[];
    }[];
    const mine = affected.find((v) => v.place === school(withoutCommittee));
    expect(mine?.errors.map((e) => [e.elementId, e.rule])).toEqual([
      ['CommitteeReview', 'FLOW-COMMITTEE'],
    ]);
    expect(affected.map((v) => v.place)).not.toContain(school(a));
  });

  it('should load a changed template file as a new city version, and keep the city API edits otherwise', async () => {
    // given the city edited the template through the API (the previous test), then a restart
    const before = await h.reload();
    const head = await city.agent.get(versionsPath('city'));

    // when the file changes
    const file = path.join(h.dirs.processes, 'catalog-enrolment.bpmn');
    fs.writeFileSync(file, enrolmentTemplate().replace('报名成功', '报名完成'));
    const after = await h.reload();

    // then
    expect(before.processes.unchanged).toEqual([ENROLMENT]);
    expect(head.body.items[0]).toMatchObject({ version: 2, action: 'deploy' });
    expect(after.processes.loaded).toEqual([{ id: ENROLMENT, version: 3 }]);
  });
});
