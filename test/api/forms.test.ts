import request from 'supertest';
import { catalogFixture, ENROLMENT } from '../fixtures/catalog';
import {
  type CatalogClient,
  type CatalogHarness,
  startCatalogHarness,
} from '../fixtures/catalog/harness';
import { classScope, type OrgTree, schoolScope } from '../fixtures/identity';

const REVIEW_FORM = 'catalog-class-review';

/** A small valid form-js schema. */
function buildForm(id: string, extra: Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    id,
    type: 'default',
    schemaVersion: 16,
    components: [
      { type: 'text', id: 'Intro', text: '请填写' },
      { type: 'textfield', key: 'pickupName', label: '接送人', id: 'Field_pickup' },
      ...extra,
    ],
  };
}

describe('form catalog', () => {
  let h: CatalogHarness;
  let a: OrgTree;
  let city: CatalogClient;
  let adminA: CatalogClient;
  let countyA: CatalogClient;
  let teacherA: CatalogClient;

  beforeAll(async () => {
    h = await startCatalogHarness();
    a = await h.createOrgTree();
    city = await h.signInAs({ memberships: [{ role: 'cityBureau', scope: { cityId: a.cityId } }] });
    adminA = await h.signInAs({ memberships: [{ role: 'schoolAdmin', scope: schoolScope(a) }] });
    countyA = await h.signInAs({
      memberships: [{ role: 'countyBureau', scope: { cityId: a.cityId, countyId: a.county._id } }],
    });
    teacherA = await h.signInAs({ memberships: [{ role: 'classTeacher', scope: classScope(a) }] });
  });

  afterAll(async () => {
    await h.close();
  });

  const versions = (id: string, place = 'city') => `/api/catalog/forms/${id}/${place}/versions`;

  it('should create a form, edit it as a new version, list, show and diff the versions', async () => {
    // when
    const created = await city.post(versions('pickup-form'), {
      schema: buildForm('pickup-form'),
      comment: '新建',
    });
    const edited = await city.post(versions('pickup-form'), {
      schema: buildForm('pickup-form', [
        {
          type: 'select',
          key: 'relation',
          label: '关系',
          id: 'Field_relation',
          values: [
            { label: '父亲', value: 'father' },
            { label: '母亲', value: 'mother' },
          ],
        },
      ]),
      comment: '加关系',
    });
    const list = await city.agent.get(versions('pickup-form'));
    const first = await city.agent.get(`${versions('pickup-form')}/1`);
    const diff = await city.agent.get('/api/catalog/forms/pickup-form/city/diff?from=1&to=2');

    // then
    expect(created.status).toBe(201);
    expect(created.body.version).toMatchObject({
      id: 'pickup-form',
      place: 'city',
      version: 1,
      tenantId: '<default>',
      comment: '新建',
      by: city.user._id,
    });
    expect(edited.status).toBe(201);
    expect(edited.body.version.version).toBe(2);
    expect(list.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(first.body.schema).toEqual(buildForm('pickup-form'));
    expect(diff.body.elements).toEqual({
      added: [{ id: 'relation', type: 'select', name: '关系' }],
      removed: [],
      changed: [],
    });
    expect(diff.body.unified).toContain('+      "key": "relation",');
    const deployed = await h.engine.form('pickup-form');
    expect(deployed).toMatchObject({ _id: edited.body.version.engineKey, version: 2 });
  });

  it('should name a form by the heading that opens it, in the list and in its versions', async () => {
    // given a form whose opening text view starts with a heading, and one without
    const titled = {
      ...buildForm('late-pickup'),
      components: [
        { type: 'text', id: 'Intro', text: '## 延时接送登记（SAFE-ATTEND）\n\n家长晚到时填写。' },
        { type: 'textfield', key: 'pickupName', label: '接送人', id: 'Field_pickup' },
      ],
    };

    // when
    const created = await city.post(versions('late-pickup'), { schema: titled, comment: '新建' });
    await city.post(versions('plain-pickup'), {
      schema: buildForm('plain-pickup'),
      comment: '新建',
    });
    const list = await city.agent.get('/api/catalog/forms');

    // then
    expect(created.status).toBe(201);
    expect(created.body.version.name).toBe('延时接送登记（SAFE-ATTEND）');
    const item = (id: string) =>
      (list.body.items as { id: string; name?: string }[]).find((x) => x.id === id);
    expect(item('late-pickup')?.name).toBe('延时接送登记（SAFE-ATTEND）');
    expect(item('plain-pickup')).toBeDefined();
    expect(item('plain-pickup')?.name).toBeUndefined();
  });

  it('should refuse a form that breaks the form-js schema or our checks, naming each path', async () => {
    // given
    const schema = {
      id: 'broken-form',
      type: 'default',
      components: [
        { type: 'textfield', label: '没有键', id: 'a' },
        { type: 'textfield', key: 'name', label: '姓名', id: 'b', values: [{ value: 1 }] },
        { type: 'number', key: 'name', label: '重复', id: 'b' },
        { type: 'slider', key: 'x' },
        { type: 'select', key: 'choice', label: '选择', id: 'c' },
        { type: 'text', key: 'notAllowed', text: '说明', id: 'd' },
        { type: 'textfield', key: 'cond', id: 'e', conditional: { hide: '=a >' } },
      ],
    };

    // when
    const res = await city.post(versions('broken-form'), { schema });
    const wrongId = await city.post(versions('other-id'), { schema: buildForm('broken-form') });
    const notAForm = await city.post(versions('broken-form'), { schema: { id: 'broken-form' } });

    // then
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('FORM_INVALID');
    expect(res.body.errors).toEqual([
      { path: 'schema.components.0.key', message: 'textfield 组件需要字段键（key）' },
      { path: 'schema.components.1.values', message: 'textfield 组件不能有 values 属性' },
      { path: 'schema.components.2.id', message: '组件编号「b」重复' },
      {
        path: 'schema.components.2.key',
        message: '字段键「name」重复（已在 components.1 使用）',
      },
      { path: 'schema.components.3.type', message: '未知的组件类型 slider' },
      {
        path: 'schema.components.4.values',
        message: '选项须且只能用 values、valuesKey 或 valuesExpression 其中之一',
      },
      { path: 'schema.components.5.key', message: 'text 组件不能有 key 属性' },
      {
        path: 'schema.components.6.conditional.hide',
        message: expect.stringMatching(/^FEEL 表达式有语法错误：/),
      },
    ]);
    expect(wrongId.body.errors).toEqual([{ path: 'schema.id', message: '表单编号应为 other-id' }]);
    expect(notAForm.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'schema.type',
      'schema.components',
    ]);
    expect((await city.agent.get(versions('broken-form'))).status).toBe(404);
  });

  it('should check a form without saving it', async () => {
    // when
    const ok = await city.post('/api/catalog/forms/pickup-form/city/validate', {
      schema: buildForm('pickup-form'),
    });
    const bad = await city.post('/api/catalog/forms/pickup-form/city/validate', {
      schema: buildForm('pickup-form', [{ type: 'textfield', key: 'pickupName', id: 'x' }]),
    });

    // then
    expect(ok.body).toEqual({ valid: true, errors: [] });
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors[0].path).toBe('schema.components.2.key');
  });

  it('should answer an unchanged save with the current version and roll back as a new version', async () => {
    // given
    await city.post(versions('rollback-form'), { schema: buildForm('rollback-form') });
    await city.post(versions('rollback-form'), {
      schema: buildForm('rollback-form', [{ type: 'checkbox', key: 'agree', id: 'Field_agree' }]),
    });

    // when
    const same = await city.post(versions('rollback-form'), {
      schema: buildForm('rollback-form', [{ type: 'checkbox', key: 'agree', id: 'Field_agree' }]),
    });
    const back = await city.post('/api/catalog/forms/rollback-form/city/rollback', { version: 1 });
    const shown = await city.agent.get(`${versions('rollback-form')}/3`);

    // then
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ changed: false, version: { version: 2 } });
    expect(back.status).toBe(201);
    expect(back.body.version).toMatchObject({ version: 3, action: 'rollback', rollbackOf: 1 });
    expect(shown.body.schema).toEqual(buildForm('rollback-form'));
    expect((await h.engine.form('rollback-form'))!.version).toBe(3);
  });

  it("should give a school's variant its own form, and the city's changes to the others", async () => {
    // given a school running its own variant of the enrolment, with its own review form
    const variant = catalogFixture('variants/committee-variant.bpmn');
    const deployed = await adminA.post(
      `/api/catalog/processes/${ENROLMENT}/school.${a.school._id}/versions`,
      {
        xml: variant,
      },
    );
    const ownForm = buildForm(REVIEW_FORM, [{ type: 'checkbox', key: 'approved', id: 'Field_ok' }]);
    const saved = await adminA.post(versions(REVIEW_FORM, `school.${a.school._id}`), {
      schema: ownForm,
    });
    // and a sibling school on a variant without its own form
    const b = await h.createOrgTree({ countyOf: a });
    const adminB = await h.signInAs({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(b) }],
    });
    await adminB.post(`/api/catalog/processes/${ENROLMENT}/school.${b.school._id}/versions`, {
      xml: variant,
    });

    // when the city changes its review form
    const cityForm = JSON.parse(catalogFixture('forms/catalog-class-review.form')) as {
      components: Record<string, unknown>[];
    };
    cityForm.components.push({ type: 'textfield', key: 'note', label: '备注', id: 'Field_note' });
    const cityV2 = await city.post(versions(REVIEW_FORM), { schema: cityForm });

    // then school a's instances use its own form, school b's the city's new one
    expect(deployed.status).toBe(201);
    expect(saved.status).toBe(201);
    expect(saved.body.version).toMatchObject({ place: `school.${a.school._id}`, version: 1 });
    expect(cityV2.status).toBe(201);
    const taskIn = async (tree: OrgTree) => {
      const r = await h.catalog.service.resolveForSchool(ENROLMENT, tree.school._id);
      const instance = await h.engine.createInstance({
        processDefinitionKey: r.processDefinitionKey,
        variables: { ...classScope(tree), studentId: 's' },
      });
      await h.completeJobs(instance._id, 'check-eligibility', { eligible: true });
      const task = await h.taskAt(instance._id, 'ClassReview');
      return JSON.parse((await h.engine.form(task.formKey!))!.schema) as Record<string, unknown>;
    };
    expect(await taskIn(a)).toEqual(ownForm);
    expect(await taskIn(b)).toEqual(cityForm);
    expect(await h.forms.resolveForSchool(REVIEW_FORM, a.school._id)).toMatchObject({
      place: `school.${a.school._id}`,
      version: 1,
    });
    expect(await h.forms.resolveForSchool(REVIEW_FORM, b.school._id)).toMatchObject({
      place: 'city',
      version: 2,
    });
  });

  it('should let only the place own administrators save forms there', async () => {
    // when
    const cases = {
      teacher: await teacherA.post(versions('x-form', `school.${a.school._id}`), {
        schema: buildForm('x-form'),
      }),
      countyAtSchool: await countyA.post(versions('x-form', `school.${a.school._id}`), {
        schema: buildForm('x-form'),
      }),
      schoolAtCity: await adminA.post(versions('x-form'), { schema: buildForm('x-form') }),
      county: await countyA.post(versions('x-form', `county.${a.county._id}`), {
        schema: buildForm('x-form'),
      }),
      noSession: await request(h.app).get('/api/catalog/forms'),
    };
    const resolveTeacher = await teacherA.agent.get(
      `/api/catalog/forms/${REVIEW_FORM}/resolve?schoolId=${a.school._id}`,
    );

    // then
    expect(Object.fromEntries(Object.entries(cases).map(([k, r]) => [k, r.status]))).toEqual({
      teacher: 404,
      countyAtSchool: 403,
      schoolAtCity: 403,
      county: 201,
      noSession: 401,
    });
    expect(resolveTeacher.status).toBe(200);
    expect((await teacherA.agent.get('/api/catalog/forms')).body.items).toEqual([]);
  });

  it('should list the process steps that link a form, within the caller’s reach', async () => {
    // given a school of its own county running its own variant of the enrolment, and another
    // school (in another county) running another
    const c = await h.createOrgTree();
    const adminC = await h.signInAs({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(c) }],
    });
    const d = await h.createOrgTree();
    const adminD = await h.signInAs({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(d) }],
    });
    const variant = catalogFixture('variants/committee-variant.bpmn');
    for (const [client, tree] of [
      [adminC, c],
      [adminD, d],
    ] as const)
      expect(
        (
          await client.post(
            `/api/catalog/processes/${ENROLMENT}/school.${tree.school._id}/versions`,
            { xml: variant },
          )
        ).status,
      ).toBe(201);
    const usage = (client: CatalogClient, formId: string, place?: string) =>
      client.agent.get(
        `/api/catalog/forms/${formId}/usage${place ? `?place=${encodeURIComponent(place)}` : ''}`,
      );
    const placesOf = (body: { items: { processId: string; place: string }[] }) =>
      body.items.filter((i) => i.processId === ENROLMENT).map((i) => i.place);

    // when the school's admin asks which steps use the class review form
    const all = await usage(adminC, REVIEW_FORM);
    const here = await usage(adminC, REVIEW_FORM, `school.${c.school._id}`);

    // then they see the city template's and their own variant's step, not the other school's
    expect(all.status).toBe(200);
    expect(placesOf(all.body).sort()).toEqual(['city', `school.${c.school._id}`].sort());
    const own = (all.body.items as { place: string; steps: unknown[] }[]).find(
      (i) => i.place === `school.${c.school._id}`,
    );
    expect(own).toMatchObject({
      processId: ENROLMENT,
      level: 'school',
      version: 1,
      // the variant's own name of the step
      steps: [{ elementId: 'ClassReview', elementName: '班级初审（班主任）', type: 'userTask' }],
    });
    // and at their school only the variant it runs (its own, not the template above it)
    expect(placesOf(here.body)).toEqual([`school.${c.school._id}`]);
    // and a start form is found at the start event
    const start = await usage(adminC, 'catalog-application', 'city');
    expect(start.body.items).toEqual([
      expect.objectContaining({
        processId: ENROLMENT,
        place: 'city',
        steps: [{ elementId: 'Applied', elementName: '家长提交申请', type: 'startEvent' }],
      }),
    ]);
    // and the city bureau sees every school's variant
    const byCity = await usage(city, REVIEW_FORM);
    expect(placesOf(byCity.body)).toEqual(
      expect.arrayContaining([`school.${c.school._id}`, `school.${d.school._id}`, 'city']),
    );
    // and a form no step links is used nowhere
    expect((await usage(adminC, 'pickup-form')).body).toEqual({ formId: 'pickup-form', items: [] });
    // and nobody learns of places beyond their reach: another school (404), a teacher (nothing)
    expect((await usage(adminC, REVIEW_FORM, `school.${d.school._id}`)).status).toBe(404);
    expect((await usage(teacherA, REVIEW_FORM)).body.items).toEqual([]);
    expect((await usage(teacherA, REVIEW_FORM, `school.${a.school._id}`)).status).toBe(404);
  });
});
