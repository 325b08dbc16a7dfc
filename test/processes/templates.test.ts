import fs from 'node:fs';
import path from 'node:path';
import { Linter } from 'bpmnlint';
import NodeResolver from 'bpmnlint/lib/resolver/node-resolver';
import { isRuleId } from '../../server/rules/citations';
import { startEngineHarness, type EngineHarness } from '../fixtures/engine';
import {
  ROOT,
  allElements,
  deployTemplates,
  extension,
  formFields,
  formFiles,
  parseProcess,
  processFiles,
  properties,
  readForm,
  type ModdleElement,
} from './templates';

/**
 * The city's templates as data: every file deploys, passes bpmnlint's recommended rules, renders
 * (has DI), names its forms and job types consistently, and carries the policy markers the
 * variant lint reads.
 */

const EXPECTED = [
  'after-school-enrolment',
  'insurance-claim',
  'monthly-billing',
  'payment-discrepancy',
  'safety-incident',
  'school-service-plan',
  'staff-registration',
];

/** The steps a school's variant may not drop, with the rule each enforces (docs/processes.md). */
const MANDATORY: Record<string, Record<string, string>> = {
  'after-school-enrolment': {
    CheckEligibility: 'ELIG-ENROLLED',
    CheckInsurance: 'SAFE-INSURE',
    CheckServiceTime: 'TIME-SCHOOLDAY',
    ClassReview: 'FLOW-CHAIN',
    SchoolApproval: 'FLOW-CHAIN',
    ArrangePlaces: 'ELIG-PRIORITY',
    AssessFee: 'FEE-CAP',
    Withdrawal: 'ELIG-VOLUNTARY',
    RefundFee: 'FEE-PRORATE',
  },
  'school-service-plan': {
    CheckPlan: 'FEE-CAP',
    ApproveTimeException: 'TIME-2H',
    CommitteeConsent: 'FLOW-COMMITTEE',
    PrincipalSignOff: 'RESP-PRINCIPAL',
    CountyFiling: 'PLAN-ONE-SCHOOL',
    PublishPlan: 'PLAN-ONE-SCHOOL',
  },
  'monthly-billing': {
    CreateBills: 'FEE-CAP',
    RecordPayments: 'FEE-EARMARK',
    CloseLedgerMonth: 'FEE-EARMARK',
  },
  'safety-incident': {
    AttachAttendance: 'SAFE-ATTEND',
    PrincipalReview: 'RESP-PRINCIPAL',
    InsuranceClaim: 'SAFE-CLAIM',
  },
  'insurance-claim': { SettleClaim: 'SAFE-CLAIM' },
  'staff-registration': { CheckStaffRecord: 'SAFE-STAFF' },
  'payment-discrepancy': { ReviewDiscrepancy: 'FEE-EARMARK', ResolveDiscrepancy: 'FEE-EARMARK' },
};

/**
 * Templates the product starts itself, with variables and no start form: the payments slice
 * starts one `payment-discrepancy` per difference the reconciliation finds.
 */
const STARTED_BY_THE_SYSTEM = new Set(['payment-discrepancy']);


describe('process templates', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('should hold exactly the seven city templates, one process each named after its file', async () => {
    // given
    const files = processFiles();

    // when
    const ids = await Promise.all(
      files.map(async (f) => {
        const { rootElement } = await parseProcess(f);
        const procs = (rootElement.rootElements as ModdleElement[]).filter(
          (e) => e.$type === 'bpmn:Process',
        );
        return procs.map((p) => `${p.id}.bpmn`);
      }),
    );

    // then
    expect(files).toEqual(EXPECTED.map((id) => `${id}.bpmn`));
    expect(ids.flat()).toEqual(files);
  });

  it('should deploy every template with every form to the engine', async () => {
    // when
    const result = await deployTemplates(h);

    // then
    const processes = result.deployments.flatMap((d) =>
      'processDefinition' in d ? [d.processDefinition.processDefinitionId] : [],
    );
    const forms = result.deployments.flatMap((d) => ('form' in d ? [d.form.formId] : []));
    expect(processes.sort()).toEqual(EXPECTED);
    expect(forms.sort()).toEqual(formFiles().map((f) => f.replace(/\.form$/, '')));
  });

  it.each(EXPECTED)('should pass bpmnlint recommended without errors or warnings: %s', async (id) => {
    // given
    const { rootElement, warnings } = await parseProcess(`${id}.bpmn`);
    const linter = new Linter({
      config: { extends: 'bpmnlint:recommended' },
      resolver: new NodeResolver(),
    });

    // when
    const results = await linter.lint(rootElement);

    // then
    expect(warnings).toEqual([]);
    const reports = Object.entries(results).flatMap(([rule, rs]) =>
      rs.map((r) => `${r.category} ${rule} ${r.id ?? ''}: ${r.message}`),
    );
    expect(reports).toEqual([]);
  });

  it.each(EXPECTED)(
    'should open in Camunda Modeler 5 (Zeebe 8.8 platform) and render (DI for every element): %s',
    async (id) => {
      // given
      const { rootElement } = await parseProcess(`${id}.bpmn`);
      const elements = allElements(rootElement);

      // when
      const shapes = new Set(
        elements
          .filter((e) => e.$type === 'bpmndi:BPMNShape' || e.$type === 'bpmndi:BPMNEdge')
          .map((e) => (e.bpmnElement as ModdleElement).id),
      );
      const drawable = elements.filter(
        (e) =>
          e.$type.startsWith('bpmn:') &&
          (e.$type === 'bpmn:SequenceFlow' ||
            /Task|Event|Gateway|SubProcess|CallActivity/.test(e.$type)) &&
          !e.$type.endsWith('EventDefinition'),
      );

      // then
      const attrs = rootElement.$attrs as Record<string, string>;
      expect(attrs['modeler:executionPlatform']).toBe('Camunda Cloud');
      expect(attrs['modeler:executionPlatformVersion']).toBe('8.8.0');
      expect(drawable.length).toBeGreaterThan(10);
      expect(drawable.filter((e) => !shapes.has(e.id)).map((e) => e.id)).toEqual([]);
    },
  );

  it.each(EXPECTED)(
    'should give every start event and user task a form that exists, with readable ids and zh-CN names: %s',
    async (id) => {
      // given
      const { rootElement } = await parseProcess(`${id}.bpmn`);
      const nodes = allElements(rootElement).filter(
        (e) =>
          /^bpmn:(UserTask|ServiceTask|StartEvent|EndEvent|SubProcess|CallActivity)$/.test(e.$type),
      );

      // when
      const needingForm = nodes.filter(
        (e) =>
          e.$type === 'bpmn:UserTask' ||
          (e.$type === 'bpmn:StartEvent' &&
            !STARTED_BY_THE_SYSTEM.has(id) &&
            !(e.eventDefinitions as unknown[] | undefined)?.length &&
            (e.$parent as ModdleElement).$type === 'bpmn:Process'),
      );
      const missing = needingForm.flatMap((e) => {
        const formId = extension(e, 'zeebe:FormDefinition')?.formId as string | undefined;
        if (!formId) return [`${e.id}: no form`];
        return fs.existsSync(path.join(ROOT, 'forms', `${formId}.form`))
          ? []
          : [`${e.id}: ${formId}.form missing`];
      });

      // then
      expect(missing).toEqual([]);
      for (const e of nodes) {
        expect(e.id).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(e.name).toMatch(/[\u4e00-\u9fff]/);
      }
      for (const e of needingForm.filter((n) => n.$type === 'bpmn:UserTask')) {
        expect(extension(e, 'zeebe:UserTask')).toBeDefined();
        const assignment = extension(e, 'zeebe:AssignmentDefinition');
        expect(assignment?.candidateGroups ?? assignment?.assignee).toMatch(/^=/);
      }
    },
  );

  it('should mark the mandatory steps with the rule they enforce and lock the rule checks', async () => {
    for (const id of EXPECTED) {
      // given
      const { rootElement } = await parseProcess(`${id}.bpmn`);
      const marked = allElements(rootElement).filter((e) => properties(e)['kehou:mandatory']);

      // when
      const mandatory = Object.fromEntries(
        marked.map((e) => [e.id!, properties(e)['kehou:mandatory']!]),
      );
      const locked = allElements(rootElement)
        .filter((e) => properties(e)['kehou:locked'] === 'true')
        .map((e) => e.id);

      // then
      expect(mandatory).toEqual(MANDATORY[id]);
      for (const rule of Object.values(mandatory)) expect(isRuleId(rule)).toBe(true);
      for (const e of marked.filter((m) => m.$type === 'bpmn:ServiceTask'))
        expect(locked).toContain(e.id);
    }
  });

  it('should name every job type of the templates in docs/processes.md', async () => {
    // given
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'processes.md'), 'utf8');
    const types = new Set<string>();
    for (const f of processFiles()) {
      const { rootElement } = await parseProcess(f);
      for (const e of allElements(rootElement)) {
        const type = extension(e, 'zeebe:TaskDefinition')?.type;
        if (typeof type === 'string') types.add(type);
      }
    }

    // when
    const undocumented = [...types].filter((t) => !doc.includes(`\`${t}\``));

    // then
    expect(types.size).toBeGreaterThanOrEqual(15);
    for (const t of types) expect(t).toMatch(/^[a-z]+(-[a-z]+)+$|^notify$/);
    expect(undocumented).toEqual([]);
  });

  it('should have form schemas that parse, are named after their file and declare each key once', () => {
    for (const file of formFiles()) {
      // given
      const id = file.replace(/\.form$/, '');

      // when
      const schema = readForm(id);
      const fields = formFields(schema);
      const paths = fields.map((f) => f.path);
      const ids: string[] = [];
      const collectIds = (cs: { id?: string; components?: unknown[] }[]) => {
        for (const c of cs) {
          if (c.id) ids.push(c.id);
          collectIds((c.components ?? []) as { id?: string; components?: unknown[] }[]);
        }
      };
      collectIds(schema.components as { id?: string }[]);

      // then
      expect(schema.id).toBe(id);
      expect(schema.type).toBe('default');
      expect(schema.schemaVersion).toBe(16);
      expect(fields.length).toBeGreaterThan(0);
      expect(new Set(paths).size).toBe(paths.length);
      expect(new Set(ids).size).toBe(ids.length);
      for (const f of fields) {
        expect(f.path).toMatch(/^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/);
        const label = f.component.label ?? (f.component as { dateLabel?: string }).dateLabel ??
          (f.component as { timeLabel?: string }).timeLabel;
        expect(label).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it('should ask for a reason whenever a review decision is "reject"', () => {
    for (const file of formFiles()) {
      const schema = readForm(file.replace(/\.form$/, ''));
      for (const { component } of formFields(schema)) {
        // given a decision radio offering approve/reject
        const values = (component.values ?? []).map((v) => v.value);
        if (component.type !== 'radio' || !values.includes('reject')) continue;
        const reasonKey = component.key === 'decision' ? 'reason' : component.key!.replace(/Decision$/, 'Reason');
        const reason = formFields(schema).find((f) => f.path === reasonKey)?.component;

        // then a required reason shows at least when rejecting
        expect(values).toEqual(['approve', 'reject']);
        expect(reason?.type).toBe('textarea');
        expect(reason?.validate?.required).toBe(true);
        expect([undefined, `=${component.key} != "reject"`]).toContain(reason?.conditional?.hide);
      }
    }
  });

  it('should use every form from a template', async () => {
    // given
    const used = new Set<string>();
    for (const f of processFiles()) {
      const { rootElement } = await parseProcess(f);
      for (const e of allElements(rootElement)) {
        const formId = extension(e, 'zeebe:FormDefinition')?.formId;
        if (typeof formId === 'string') used.add(formId);
      }
    }

    // then
    expect(formFiles().map((f) => f.replace(/\.form$/, ''))).toEqual([...used].sort());
  });
});
