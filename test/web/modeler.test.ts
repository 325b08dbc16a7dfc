import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { eventually } from '../fixtures/engine';
import {
  DESKTOP,
  SCREENSHOTS,
  describeViolations,
  startWebHarness,
  type WebHarness,
} from './harness';
import { fillApplication, openTask } from './page-steps';

const PROCESS = 'after-school-enrolment';
const SCHOOL = 'school.school-yh1';
/** The README's screenshots (docs/screenshots), taken from this run. */
const DOCS_SHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * The process modeler and the form editor in the browser, against the real server, engine,
 * job workers and demo data: a school admin adds a committee review to the school's enrolment
 * variant and deploys it, and the next application goes through it; a lint problem blocks a
 * deploy; versions are compared and rolled back; the form editor saves a version, compares two
 * versions field by field and rolls back; leaving either with unsaved changes asks first; the city
 * bureau is told which variants a new mandatory step of the template puts out of policy.
 */
describe('process modeler and form editor in the browser', () => {
  let w: WebHarness;
  let admin: Page;

  beforeAll(async () => {
    w = await startWebHarness();
    admin = await w.newPage(DESKTOP);
    await w.signIn(admin, 'yh1.admin');
  }, 300_000);

  afterAll(async () => {
    await w?.close();
  });

  // helpers //////////

  /** The on-screen box of a diagram element in the modeler. */
  async function box(page: Page, id: string) {
    const b = await page.locator(`.modeler-canvas [data-element-id="${id}"]`).boundingBox();
    if (!b) throw new Error(`element ${id} is not on the canvas`);
    return b;
  }

  /** Opens the modeler on the school's enrolment variant and waits for the first lint. */
  async function openModeler(page: Page): Promise<void> {
    await page.goto('/modeler');
    // the city's template can be read, the school's own version edited
    await page
      .locator(`.catalog-item[data-id="${PROCESS}"]`)
      .getByRole('link', { name: '查看：全市模板' })
      .waitFor();
    await page
      .locator(`.catalog-item[data-id="${PROCESS}"]`)
      .getByRole('link', { name: /学校版本/ })
      .click();
    await page.waitForURL(new RegExp(`/modeler/${PROCESS}/${SCHOOL.replace('.', '\\.')}$`));
    await page.locator('.modeler-canvas [data-element-id="SchoolApproval"]').waitFor();
    await lintDone(page);
  }

  /** Waits until the problems panel shows the lint's answer. */
  async function lintDone(page: Page): Promise<void> {
    await page.locator('.problems [role="status"]', { hasNotText: '正在检查' }).waitFor();
  }

  /** Expands a properties panel group (`assignment`, `form`, …) if it is closed. */
  async function openGroup(page: Page, group: string): Promise<void> {
    const header = page.locator(
      `[data-group-id="group-${group}"] .bio-properties-panel-group-header`,
    );
    if (!(await header.getAttribute('class'))?.includes('open')) await header.click();
  }

  /** Relabels a form field in the form editor (the label is a templating CodeMirror field). */
  async function relabel(page: Page, fieldId: string, label: string): Promise<void> {
    await page.locator(`.form-editor-host [data-id="${fieldId}"]`).click();
    await openGroup(page, 'general');
    await page.locator('#bio-properties-panel-label').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(label);
  }

  /** How many school approvals the school admin's groups have open. */
  async function schoolApprovals(): Promise<number> {
    const res = await admin.request.get('/api/tasks?view=groups&size=100');
    const page = (await res.json()) as { items: { name?: string }[] };
    return page.items.filter((task) => task.name === '学校核准').length;
  }

  /**
   * Saves a screenshot for review and, with UPDATE_DOC_SCREENSHOTS=1, a copy for the README (so
   * that ordinary runs leave the tracked files alone).
   */
  async function docShot(page: Page, name: string): Promise<void> {
    await w.shot(page, name);
    if (process.env.UPDATE_DOC_SCREENSHOTS !== '1') return;
    fs.mkdirSync(DOCS_SHOTS, { recursive: true });
    fs.copyFileSync(path.join(SCREENSHOTS, `${name}.png`), path.join(DOCS_SHOTS, `${name}.png`));
  }

  // tests //////////

  it('should let a school admin add a committee review to the enrolment variant and deploy it', async () => {
    // given the modeler on the school's variant, which starts from the city's template
    await openModeler(admin);
    await expect(admin.getByTestId('modeler-source').textContent()).resolves.toMatch(/全市模板/);
    await expect(admin.locator('.versions').textContent()).resolves.toMatch(/还没有版本/);
    expect(describeViolations(await w.seriousViolations(admin))).toEqual([]);

    // when the admin makes room before the school approval with the space tool …
    const merge = await box(admin, 'SchoolApprovalMerge');
    const approval = await box(admin, 'SchoolApproval');
    const y = approval.y + approval.height / 2;
    const x = (merge.x + merge.width + approval.x) / 2;
    await admin.locator('.djs-palette [data-action="space-tool"]').click();
    await admin.mouse.move(x, y + 200);
    await admin.mouse.down();
    await admin.mouse.move(x + 40, y + 200, { steps: 5 });
    await admin.mouse.move(x + 160, y + 200, { steps: 10 });
    await admin.mouse.up();
    // … drops a new task onto the flow into it, names it …
    const flow = await box(admin, 'Flow_ToSchoolApproval');
    await admin.locator('.djs-palette [data-action="create.task"]').click();
    await admin.mouse.move(flow.x + flow.width / 2 - 30, flow.y + flow.height / 2, { steps: 5 });
    await admin.mouse.move(flow.x + flow.width / 2, flow.y + flow.height / 2, { steps: 5 });
    await admin.mouse.down();
    await admin.mouse.up();
    await admin.locator('.djs-direct-editing-parent').waitFor();
    await admin.keyboard.type('家委会审核');
    await admin.keyboard.press('Enter');
    // … makes it a user task for the school's committee with the co-review form
    await admin.locator('.djs-context-pad [data-action="replace"]').click();
    await admin.locator('.djs-popup [data-id="replace-with-user-task"]').click();
    await openGroup(admin, 'assignmentDefinition');
    await admin
      .locator('#bio-properties-panel-assignmentDefinitionCandidateGroups')
      .fill('school:school-yh1:committee');
    await openGroup(admin, 'form');
    // the panel's choices read in zh-CN for a school admin
    await expect(
      admin.locator('#bio-properties-panel-formType option').allTextContents(),
    ).resolves.toEqual(['（无）', '关联表单', '外部表单引用']);
    await admin.locator('#bio-properties-panel-formType').selectOption('camunda-form-linked');
    await admin.locator('#bio-properties-panel-formId').fill('enrolment-co-review');
    await admin.locator('.modeler-canvas').click({ position: { x: 20, y: 20 } });
    await lintDone(admin);
    await expect(admin.locator('.problem-error').count()).resolves.toBe(0);

    // and deploys it with a comment
    await admin.getByLabel('部署说明').fill('家委会参与报名审核');
    await admin.getByRole('button', { name: '部署', exact: true }).click();

    // then it is the school's first version, with the new step
    await admin.getByText('已部署为第 1 版').first().waitFor();
    await admin
      .locator('.versions tr[data-version="1"]', { hasText: '家委会参与报名审核' })
      .waitFor();
    // zoomed in (ctrl + wheel) on the new step, for the README
    const zoomAt = await box(admin, 'SchoolApproval');
    await admin.mouse.move(zoomAt.x - 40, zoomAt.y + zoomAt.height / 2);
    await admin.keyboard.down('Control');
    for (let i = 0; i < 6; i++) await admin.mouse.wheel(0, -120);
    await admin.keyboard.up('Control');
    await admin.locator('.toast').first().waitFor({ state: 'detached' });
    await docShot(admin, 'modeler');

    // when the admin compares it with the template it came from
    await admin.locator('.versions tr[data-version="1"] [data-action="diff"]').click();

    // then the new task is shown as added, on the diagram and in the list
    await admin.locator('.diff-list .diff-added', { hasText: '家委会审核' }).waitFor();
    await admin.locator('.diff-canvas .djs-element.diff-added').first().waitFor();
    await w.shot(admin, 'modeler-diff');
  }, 240_000);

  it('should take the next application through the new committee review', async () => {
    // given a parent who applies after the deploy
    const approvalsBefore = await schoolApprovals();
    const parent = await w.newPage();
    await w.signIn(parent, '13900000008');
    await parent.goto('/apply');
    await parent.locator('.fjs-form').waitFor();
    await fillApplication(parent, 'PICC-2026-0002');
    await parent.getByRole('button', { name: '提交报名' }).click();
    await parent.waitForURL(/\/applications\/[^/]+$/);
    await parent.getByRole('heading', { level: 1, name: /高一诺/ }).waitFor();

    // and the class teacher approves the class review
    const teacher = await w.newPage();
    await w.signIn(teacher, 'yh1.g1c2');
    await openTask(teacher, '班级初审');
    await teacher.getByLabel('通过', { exact: true }).check();
    await teacher.getByRole('button', { name: '提交' }).click();
    await teacher.waitForURL(/\/inbox$/);

    // when the school's committee member opens the new step
    const committee = await w.newPage();
    await w.signIn(committee, 'yh1.committee');
    await eventually(
      async () => {
        await committee.goto('/inbox?view=groups');
        await committee.locator('.task-list').waitFor();
        return (
          (await committee.locator('.task-item', { hasText: '家委会审核' }).count()) > 0 ||
          undefined
        );
      },
      60_000,
      'the committee review in the inbox',
    );
    await docShot(committee, 'inbox');
    expect(describeViolations(await w.seriousViolations(committee))).toEqual([]);
    await openTask(committee, '家委会审核');
    await w.shot(committee, 'modeler-committee-review');

    // then the school approval waits for it
    await expect(schoolApprovals()).resolves.toBe(approvalsBefore);

    // when the committee member approves
    await committee.getByLabel('通过', { exact: true }).check();
    await committee.getByRole('button', { name: '提交' }).click();
    await committee.waitForURL(/\/inbox$/);

    // then the school admin gets the school approval
    await eventually(
      async () => ((await schoolApprovals()) === approvalsBefore + 1 ? true : undefined),
      60_000,
      'the school approval after the committee review',
    );
    await openTask(admin, '学校核准');
  }, 240_000);

  it('should block a deploy that removes a mandatory step, naming the rule', async () => {
    // given the modeler on the school's variant
    await openModeler(admin);

    // when the admin deletes the class review (FLOW-CHAIN makes it mandatory)
    await admin.locator('.modeler-canvas [data-element-id="ClassReview"]').click();
    await admin.locator('.djs-context-pad [data-action="delete"]').click();

    // then the problems panel names the rule, live
    await admin.locator('.problem-error[data-rule="FLOW-CHAIN"]').first().waitFor();
    await lintDone(admin);

    // when the admin tries to deploy anyway
    await admin.getByLabel('部署说明').fill('去掉班级初审');
    await admin.getByRole('button', { name: '部署', exact: true }).click();

    // then the deploy is refused and shown, and no version is added
    await admin.getByRole('alert').filter({ hasText: '不能部署' }).waitFor();
    await w.shot(admin, 'modeler-lint-blocked');
    await expect(admin.locator('.versions tbody tr').count()).resolves.toBe(1);
    expect(describeViolations(await w.seriousViolations(admin))).toEqual([]);
  }, 180_000);

  it('should roll back to an earlier version as a new version', async () => {
    // given a second version that renames a step, deployed from a link to the modeler
    await admin.goto(`/modeler/${PROCESS}/${SCHOOL}`);
    await admin.locator('.modeler-canvas [data-element-id="SchoolApproval"]').waitFor();
    await lintDone(admin);
    await admin.locator('.modeler-canvas [data-element-id="SchoolApproval"]').click();
    await openGroup(admin, 'general');
    await admin.locator('#bio-properties-panel-name').fill('学校核准（校长室）');
    await lintDone(admin);
    await admin.getByLabel('部署说明').fill('改名');
    await admin.getByRole('button', { name: '部署', exact: true }).click();
    await admin.getByText('已部署为第 2 版').first().waitFor();

    // when the admin rolls back to version 1
    admin.once('dialog', (d) => void d.accept());
    await admin.locator('.versions tr[data-version="1"] [data-action="rollback"]').click();

    // then version 3 is version 1 again, and the modeler shows it
    await admin.locator('.versions tr[data-version="3"]', { hasText: '回滚到第 1 版' }).waitFor();
    await expect(
      admin.locator('.modeler-canvas [data-element-id="SchoolApproval"]').textContent(),
    ).resolves.toBe('学校核准');
  }, 180_000);

  it('should save a form version in the form editor with a live preview, and list the tasks that use it', async () => {
    // given the form editor on the co-review form at the school
    await admin.goto('/forms');
    await admin
      .locator('.catalog-item[data-id="enrolment-co-review"]')
      .getByRole('link', { name: /学校版本/ })
      .click();
    await admin.locator('.form-editor-host .fjs-editor-container').waitFor();
    await admin.locator('.form-preview .fjs-form').waitFor();
    await admin.locator('.form-uses li[data-element="CommitteeCoReview"]').waitFor();
    await admin.locator('.form-uses li', { hasText: '家委会审核' }).waitFor();

    // when the admin relabels the decision field
    await admin.locator('.form-editor-host [data-id="Field_coReviewDecision"]').click();
    await openGroup(admin, 'general');
    // the label is a templating (CodeMirror) field
    await admin.locator('#bio-properties-panel-label').click();
    await admin.keyboard.press('ControlOrMeta+A');
    await admin.keyboard.type('家委会意见');

    // then the live preview shows the new label, and the server's checks find nothing wrong
    await admin.locator('.form-preview').getByText('家委会意见').waitFor();
    await admin.locator('.form-problems [role="status"]', { hasText: '未发现问题' }).waitFor();
    await expect(admin.locator('.form-preview').getByText('共审意见').count()).resolves.toBe(0);

    // when it is saved with a comment
    await admin.getByLabel('部署说明').fill('原因写得更清楚');
    await admin.getByRole('button', { name: '保存新版本' }).click();

    // then it is the school's first version of the form
    await admin.getByText('已保存为第 1 版').first().waitFor();
    await admin.locator('.versions tr[data-version="1"]', { hasText: '原因写得更清楚' }).waitFor();
    await w.shot(admin, 'form-editor');
    expect(describeViolations(await w.seriousViolations(admin))).toEqual([]);
  }, 180_000);

  it('should compare two versions of a form field by field and roll the form back', async () => {
    // given the school's co-review form at version 1 (家委会意见), relabelled again and saved
    await admin.goto('/forms/enrolment-co-review/school.school-yh1');
    await admin.locator('.form-editor-host [data-id="Field_coReviewDecision"]').waitFor();
    await admin.locator('.versions tr[data-version="1"]').waitFor();
    await relabel(admin, 'Field_coReviewDecision', '家委会结论');
    await admin.locator('.form-preview').getByText('家委会结论').waitFor();
    await admin.getByLabel('部署说明').fill('再改一次');
    await admin.getByRole('button', { name: '保存新版本' }).click();
    await admin.getByText('已保存为第 2 版').first().waitFor();

    // when the admin compares version 2 with the one before
    await admin.locator('.versions tr[data-version="2"] [data-action="diff"]').click();

    // then the changed field is named with its old and new label, and nothing else changed
    const diff = admin.locator('.form-diff');
    await diff.getByRole('heading', { name: /第 1 版 → .*第 2 版/ }).waitFor();
    const label = diff.locator(
      '.diff-changed[data-field="coReviewDecision"] [data-attribute="label"]',
    );
    await expect(label.locator('del').textContent()).resolves.toBe('家委会意见');
    await expect(label.locator('ins').textContent()).resolves.toBe('家委会结论');
    await expect(diff.locator('.diff-added, .diff-removed').count()).resolves.toBe(0);
    await w.shot(admin, 'form-versions-diff');
    expect(describeViolations(await w.seriousViolations(admin))).toEqual([]);

    // when the admin rolls back to version 1
    admin.once('dialog', (d) => void d.accept());
    await admin.locator('.versions tr[data-version="1"] [data-action="rollback"]').click();

    // then version 3 is version 1 again, in the editor and in the preview
    await admin.locator('.versions tr[data-version="3"]', { hasText: '回滚自第 1 版' }).waitFor();
    await admin.locator('.form-preview').getByText('家委会意见').waitFor();
    await expect(admin.locator('.form-preview').getByText('家委会结论').count()).resolves.toBe(0);
    const v3 = await admin.request.get(
      '/api/catalog/forms/enrolment-co-review/school.school-yh1/versions/3',
    );
    expect(JSON.stringify((await v3.json()).schema)).toContain('家委会意见');
  }, 180_000);

  it('should ask before leaving the form editor or the modeler with unsaved changes, and not otherwise', async () => {
    const page = await w.newPage(DESKTOP);
    await w.signIn(page, 'yh1.admin');
    const asked: string[] = [];
    let answer: 'accept' | 'dismiss' = 'dismiss';
    page.on('dialog', (d) => {
      asked.push(`${d.type()}:${d.message()}`);
      void (answer === 'accept' ? d.accept() : d.dismiss());
    });

    // given the form editor with a field relabelled but not saved
    await page.goto('/forms/enrolment-co-review/school.school-yh1');
    await page.locator('.form-editor-host [data-id="Field_coReviewDecision"]').waitFor();
    await relabel(page, 'Field_coReviewDecision', '未保存的标签');
    await page.locator('.form-preview').getByText('未保存的标签').waitFor();

    // when the admin follows the back link and chooses to stay
    await page.locator('.back a').click();

    // then the app asked, and the editor is still there with the change
    expect(asked).toEqual([expect.stringMatching(/^confirm:表单有尚未保存的修改/)]);
    expect(new URL(page.url()).pathname).toBe('/forms/enrolment-co-review/school.school-yh1');
    await page.locator('.form-preview').getByText('未保存的标签').waitFor();

    // when the admin follows it again and confirms, the form list shows
    answer = 'accept';
    await page.locator('.back a').click();
    await page.waitForURL(/\/forms$/);
    await page.getByRole('heading', { level: 2, name: '表单' }).waitFor();

    // when the form is opened from the list, changed, and the browser's back button pressed
    await page
      .locator('.catalog-item[data-id="enrolment-co-review"]')
      .getByRole('link', { name: /学校版本/ })
      .click();
    await page.locator('.form-editor-host [data-id="Field_coReviewDecision"]').waitFor();
    await relabel(page, 'Field_coReviewDecision', '又一个未保存的标签');
    await page.locator('.form-preview').getByText('又一个未保存的标签').waitFor();
    asked.length = 0;
    answer = 'dismiss';
    await page.goBack();

    // then the app asked, and choosing to stay keeps the editor and its address
    await eventually(async () => asked.length > 0 || undefined, 10_000, 'the question');
    expect(asked).toEqual([expect.stringMatching(/^confirm:表单有尚未保存的修改/)]);
    await page.waitForURL(/\/forms\/enrolment-co-review\/school\.school-yh1$/);
    await page.locator('.form-preview').getByText('又一个未保存的标签').waitFor();
    answer = 'accept';
    await page.locator('.back a').click();
    await page.waitForURL(/\/forms$/);

    // given the modeler, untouched: leaving asks nothing
    await page.goto(`/modeler/${PROCESS}/${SCHOOL}`);
    await page.locator('.modeler-canvas [data-element-id="SchoolApproval"]').waitFor();
    await lintDone(page);
    asked.length = 0;
    await page.locator('.back a').click();
    await page.waitForURL(/\/modeler$/);
    expect(asked).toEqual([]);

    // when a step is renamed and the admin tries to leave, staying
    await page.goto(`/modeler/${PROCESS}/${SCHOOL}`);
    await page.locator('.modeler-canvas [data-element-id="SchoolApproval"]').click();
    await lintDone(page);
    await openGroup(page, 'general');
    await page.locator('#bio-properties-panel-name').fill('学校核准（未部署）');
    await lintDone(page);
    answer = 'dismiss';
    await page.locator('.back a').click();

    // then the app asked about the undeployed change and stayed
    expect(asked).toEqual([expect.stringMatching(/^confirm:流程图有尚未部署的修改/)]);
    expect(new URL(page.url()).pathname).toBe(`/modeler/${PROCESS}/${SCHOOL}`);
    await expect(page.locator('#bio-properties-panel-name').inputValue()).resolves.toBe(
      '学校核准（未部署）',
    );

    // and closing the tab asks the browser's own question (beforeunload)
    answer = 'accept';
    const closing = page.waitForEvent('dialog');
    await page.close({ runBeforeUnload: true });
    expect((await closing).type()).toBe('beforeunload');
  }, 180_000);

  it("should tell the city bureau which schools' variants a new mandatory step puts out of policy", async () => {
    // given the city bureau in the modeler on the city's template
    const city = await w.newPage(DESKTOP);
    await w.signIn(city, 'luohe.bureau');
    await city.goto(`/modeler/${PROCESS}/city`);
    await city.locator('.modeler-canvas [data-element-id="ArrangePlaces"]').waitFor();
    await lintDone(city);

    // when it adds a step before the arrangement …
    const merge = await box(city, 'ArrangeMerge');
    const arrange = await box(city, 'ArrangePlaces');
    const y = arrange.y + arrange.height / 2 + 200;
    const x = (merge.x + merge.width + arrange.x) / 2;
    await city.locator('.djs-palette [data-action="space-tool"]').click();
    await city.mouse.move(x, y);
    await city.mouse.down();
    await city.mouse.move(x + 40, y, { steps: 5 });
    await city.mouse.move(x + 160, y, { steps: 10 });
    await city.mouse.up();
    const flow = await box(city, 'Flow_ToArrangePlaces');
    await city.locator('.djs-palette [data-action="create.task"]').click();
    await city.mouse.move(flow.x + flow.width / 2 - 30, flow.y + flow.height / 2, { steps: 5 });
    await city.mouse.move(flow.x + flow.width / 2, flow.y + flow.height / 2, { steps: 5 });
    await city.mouse.down();
    await city.mouse.up();
    await city.locator('.djs-direct-editing-parent').waitFor();
    await city.keyboard.type('安全告知');
    await city.keyboard.press('Enter');
    // … marks it mandatory (FLOW-CHAIN) …
    const properties = city.locator('[data-group-id="group-Zeebe__ExtensionProperties"]');
    await properties.locator('.bio-properties-panel-add-entry').click();
    await properties.locator('[id$="-extensionProperty-0-name"]').fill('kehou:mandatory');
    await properties.locator('[id$="-extensionProperty-0-value"]').fill('FLOW-CHAIN');

    // and deploys the template
    await city.getByLabel('部署说明').fill('报名后增加安全告知');
    await city.getByRole('button', { name: '部署', exact: true }).click();

    // then the deploy goes through and names the school's variant that now lacks the step
    await city.getByText('已部署为第 2 版').first().waitFor();
    await city
      .locator('.deploy-status [role="alert"]', { hasText: '源汇区演示第一小学' })
      .waitFor();
    await w.shot(city, 'modeler-city-affected-variants');

    // and a county's place is named by the county, not its id
    await city.goto(`/modeler/${PROCESS}/county.county-411102`);
    await city.getByRole('heading', { level: 1, name: /县区版本（源汇区）/ }).waitFor();
  }, 180_000);
});
