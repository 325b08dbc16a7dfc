import { mandatoryOrder, readModel } from '../../server/lint/bpmn-model';
import { lintProcess } from '../../server/lint/policy-lint';
import { catalogFixture, enrolmentTemplate } from '../fixtures/catalog';

describe('policy lint', () => {
  const city = () => ({ label: 'city v1', xml: enrolmentTemplate() });

  it('should pass the template itself and an allowed variant', async () => {
    // when
    const template = await lintProcess(enrolmentTemplate());
    const variant = await lintProcess(catalogFixture('variants/committee-variant.bpmn'), {
      bases: [city()],
    });

    // then
    expect(template).toEqual({ errors: [], warnings: [] });
    expect(variant).toEqual({ errors: [], warnings: [] });
  });

  it('should refuse a variant that drops the class review, naming FLOW-CHAIN and the element', async () => {
    // when
    const report = await lintProcess(catalogFixture('variants/drop-class-review.bpmn'), {
      bases: [city()],
    });

    // then
    expect(report.errors).toEqual([
      {
        elementId: 'ClassReview',
        rule: 'FLOW-CHAIN',
        lintRule: 'kehou/mandatory-elements',
        severity: 'error',
        message: '删除了模板规定的必需步骤「班级初审」（ClassReview）',
      },
    ]);
  });

  it('should refuse a way around the class review to the school approval', async () => {
    // when
    const report = await lintProcess(catalogFixture('variants/bypass-class-review.bpmn'), {
      bases: [city()],
    });

    // then
    expect(report.errors.map((e) => [e.elementId, e.rule, e.lintRule])).toEqual([
      ['ClassReview', 'FLOW-CHAIN', 'kehou/mandatory-order'],
      ['ClassReview', 'FLOW-CHAIN', 'kehou/mandatory-order'],
    ]);
    expect(report.errors[0]!.message).toBe(
      '流程可以不经过必需步骤「班级初审」（ClassReview）到达「学校核准」（SchoolApproval）',
    );
    expect(report.warnings.map((w) => w.rule)).toEqual(['fake-join']);
  });

  it('should refuse changes to locked elements, naming the changed attributes', async () => {
    // when
    const report = await lintProcess(catalogFixture('variants/change-locked.bpmn'), {
      bases: [city()],
    });

    // then
    expect(report.errors.map((e) => [e.elementId, e.rule, e.lintRule, e.message])).toEqual([
      [
        'AssessFee',
        'FEE-CAP',
        'kehou/mandatory-elements',
        '必需步骤「核定收费」（AssessFee）的任务类型不能改变：模板为 assess-fee，此处为 assess-fee-free',
      ],
      [
        'CheckEligibility',
        'ELIG-ENROLLED',
        'kehou/locked-elements',
        '修改了模板锁定的元素「资格与保险核验」（CheckEligibility）：zeebe:IoMapping.outputParameters[eligible].source',
      ],
      [
        'AssessFee',
        'FEE-CAP',
        'kehou/locked-elements',
        '修改了模板锁定的元素「核定收费」（AssessFee）：zeebe:TaskDefinition.type',
      ],
    ]);
  });

  it('should report a problem once when a county variant repeats the city markers', async () => {
    // given a county variant that adds a step, and a school variant that drops the class review
    const county = { label: 'county v1', xml: catalogFixture('variants/committee-variant.bpmn') };

    // when
    const report = await lintProcess(catalogFixture('variants/drop-class-review.bpmn'), {
      bases: [city(), county],
    });

    // then
    expect(report.errors.map((e) => [e.elementId, e.rule])).toEqual([
      ['ClassReview', 'FLOW-CHAIN'],
    ]);
  });

  it('should keep the county variant steps mandatory where the county marks them', async () => {
    // given a county that makes its committee step mandatory
    const countyXml = catalogFixture('variants/committee-variant.bpmn').replace(
      /(<bpmn:userTask id="CommitteeReview"[\s\S]*?<zeebe:userTask \/>)/,
      '$1<zeebe:properties><zeebe:property name="kehou:mandatory" value="FLOW-COMMITTEE" /></zeebe:properties>',
    );

    // when a school variant of the city template leaves it out
    const report = await lintProcess(enrolmentTemplate(), {
      bases: [city(), { label: 'county v1', xml: countyXml }],
    });

    // then
    expect(report.errors.map((e) => [e.elementId, e.rule, e.lintRule])).toEqual([
      ['CommitteeReview', 'FLOW-COMMITTEE', 'kehou/mandatory-elements'],
    ]);
  });

  it('should refuse what the engine cannot run, by element id', async () => {
    // given a variant with a complex gateway
    const xml = catalogFixture('variants/committee-variant.bpmn').replace(
      /<bpmn:exclusiveGateway id="ClassDecision"([\s\S]*?)<\/bpmn:exclusiveGateway>/,
      '<bpmn:complexGateway id="ClassDecision"$1</bpmn:complexGateway>',
    );

    // when
    const report = await lintProcess(xml, { bases: [city()] });

    // then
    const engine = report.errors.filter((e) => e.lintRule === 'engine/compile');
    expect(engine.map((e) => e.elementId)).toEqual(['ClassDecision']);
    expect(engine[0]!.message).toMatch(/^流程引擎不支持此元素或配置有误：/);
    expect(report.errors.map((e) => e.rule)).toContain('no-complex-gateway');
  });

  it('should report what the template already does wrong as a warning, not an error', async () => {
    // given a template whose gateway has no name (label-required), kept by the variant
    const unnamed = (xml: string) => xml.replace(' name="初审通过？"', '');
    const base = { label: 'city v1', xml: unnamed(enrolmentTemplate()) };

    // when
    const report = await lintProcess(unnamed(catalogFixture('variants/committee-variant.bpmn')), {
      bases: [base],
    });

    // then
    expect(report.errors).toEqual([]);
    expect(report.warnings.map((w) => [w.elementId, w.rule])).toEqual([
      ['ClassDecision', 'label-required'],
    ]);
    expect(report.warnings[0]!.message).toBe('元素缺少名称（模板中已有此问题，不阻止部署）');
  });

  it('should refuse a file that is not BPMN, and a dangling reference', async () => {
    // when
    const garbage = await lintProcess('<nope/>');
    const dangling = await lintProcess(
      enrolmentTemplate().replace('targetRef="SchoolApproval"', 'targetRef="Missing"'),
    );

    // then
    expect(garbage.errors.map((e) => [e.elementId, e.rule])).toEqual([['(file)', 'bpmn/xml']]);
    expect(dangling.errors.map((e) => [e.elementId, e.rule])).toContainEqual([
      'toSchoolApproval',
      'bpmn/xml',
    ]);
  });

  it('should read the order of the mandatory steps from the template', async () => {
    // when
    const order = mandatoryOrder(await readModel(enrolmentTemplate()));

    // then
    expect(order).toEqual([
      ['CheckEligibility', 'ClassReview'],
      ['CheckEligibility', 'SchoolApproval'],
      ['CheckEligibility', 'AssessFee'],
      ['ClassReview', 'SchoolApproval'],
      ['ClassReview', 'AssessFee'],
      ['SchoolApproval', 'AssessFee'],
    ]);
  });
});
