import type { Page } from 'playwright-core';
import { eventually } from '../fixtures/engine';
import { describeViolations, startWebHarness, type WebHarness } from './harness';

/**
 * The enrolment chain in the browser, on a phone-sized screen, against the real server, engine,
 * job workers and demo data: a parent applies → the class teacher reviews in the inbox → the
 * school admin approves → the parent sees the arrangement.
 */
describe('enrolment in the browser', () => {
  let w: WebHarness;
  let parent: Page;
  let applicationPath: string;

  beforeAll(async () => {
    w = await startWebHarness();
    parent = await w.newPage();
  }, 300_000);

  afterAll(async () => {
    await w?.close();
  });

  /** Opens the inbox until a task named `name` is listed, then opens it. */
  async function openTask(page: Page, name: string): Promise<void> {
    await eventually(
      async () => {
        await page.goto('/inbox?view=groups');
        await page.locator('.task-list').waitFor();
        return (await page.locator('.task-item', { hasText: name }).count()) > 0 || undefined;
      },
      60_000,
      `the task ${name} in the inbox`,
    );
    await page.locator('.task-item', { hasText: name }).first().getByRole('link').click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    await page.locator('.fjs-form').waitFor();
  }

  /** Picks an option of a form-js select by its label. */
  async function choose(page: Page, label: string, option: string): Promise<void> {
    // form-js shows a display element over a hidden input that the label names
    const id = await page.getByLabel(label).getAttribute('id');
    await page.locator(`[id="${id}-display"]`).click();
    await page.locator('.fjs-dropdownlist-item', { hasText: option }).first().click();
  }

  it('should let a parent sign in on a phone and see the parent home', async () => {
    // given
    await parent.goto('/');
    await parent.getByRole('button', { name: '登录' }).waitFor();
    await w.shot(parent, '01-sign-in');
    expect(describeViolations(await w.seriousViolations(parent))).toEqual([]);

    // when
    await w.signIn(parent, '13900000008');

    // then
    await expect(parent.getByRole('heading', { name: '家长服务' }).isVisible()).resolves.toBe(true);
    await w.shot(parent, '02-parent-home');
    expect(describeViolations(await w.seriousViolations(parent))).toEqual([]);
  });

  it('should submit an application with the start form', async () => {
    // given
    await parent.goto('/apply');
    await parent.locator('.fjs-form').waitFor();

    // when
    await choose(parent, '报名的孩子', '高一诺');
    const session = parent.getByLabel('服务时段');
    if ((await session.getAttribute('class'))?.includes('fjs-select-hidden-input'))
      await choose(parent, '服务时段', '作业辅导');
    else await session.fill('S1');
    await parent.getByLabel('姓名').fill('高霞');
    await choose(parent, '与孩子关系', '母亲');
    await parent.getByLabel('手机号').fill('13900000008');
    await parent.getByLabel('承保保险公司').fill('中国人寿漯河分公司');
    await parent.getByLabel('保单号').fill('PICC-2026-0001');
    const until = parent.getByLabel('保险有效期至');
    await until.fill('2027-08-31');
    await until.press('Enter');
    await parent.getByLabel(/我自愿为孩子申请课后服务/).check();
    await w.shot(parent, '03-apply-form');
    expect(describeViolations(await w.seriousViolations(parent))).toEqual([]);
    await parent.getByRole('button', { name: '提交报名' }).click();

    // then
    await parent.waitForURL(/\/applications\/[^/]+$/);
    applicationPath = new URL(parent.url()).pathname;
    await parent.getByRole('heading', { level: 1, name: /高一诺/ }).waitFor();
    await expect(parent.locator('h1 .status').getAttribute('data-status')).resolves.toBe(
      'submitted',
    );
    await w.shot(parent, '04-application-submitted');
  }, 120_000);

  it('should show the class teacher the review in the inbox, with server errors on the fields', async () => {
    // given
    const teacher = await w.newPage();
    await w.signIn(teacher, 'yh1.g1c2');
    await openTask(teacher, '班级初审');
    await w.shot(teacher, '05-inbox-task-class-review');
    expect(describeViolations(await w.seriousViolations(teacher))).toEqual([]);

    // when the server refuses a field (as it would for a rule the browser does not know)
    await teacher.getByLabel('通过', { exact: true }).check();
    await teacher.route('**/complete', (route) =>
      route.fulfill({
        status: 400,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'urn:kehou:problem:FORM_INVALID',
          title: '表单内容有误',
          status: 400,
          code: 'FORM_INVALID',
          errors: [{ path: 'decision', message: '服务器：请重新选择初审意见' }],
        }),
      }),
    );
    await teacher.getByRole('button', { name: '提交' }).click();

    // then
    await teacher.getByText('服务器：请重新选择初审意见').waitFor();
    await teacher.unroute('**/complete');

    // when the teacher leaves a comment and approves
    await teacher.getByLabel('留言').fill('接送人信息已核对');
    await teacher.getByRole('button', { name: '发送留言' }).click();
    await teacher.locator('.comments li', { hasText: '接送人信息已核对' }).waitFor();
    await teacher.getByLabel('通过', { exact: true }).check();
    await teacher.getByRole('button', { name: '提交' }).click();

    // then
    await teacher.waitForURL(/\/inbox$/);
    await teacher.goto('/inbox?view=completed');
    await teacher.locator('.task-item', { hasText: '班级初审' }).waitFor();
    await w.shot(teacher, '06-inbox-completed');
  }, 180_000);

  it('should let the school admin approve, and the parent see the arrangement', async () => {
    // given
    const admin = await w.newPage();
    await w.signIn(admin, 'yh1.admin');
    await openTask(admin, '学校核准');

    // when
    await admin.getByLabel('核准', { exact: true }).check();
    await w.shot(admin, '07-school-approval');
    await admin.getByRole('button', { name: '提交' }).click();
    await admin.waitForURL(/\/inbox$/);

    // then
    await eventually(
      async () => {
        await parent.goto(applicationPath);
        await parent.locator('h1 .status').waitFor();
        return (await parent.locator('h1 .status').getAttribute('data-status')) === 'enrolled'
          ? true
          : undefined;
      },
      60_000,
      'the application enrolled',
    );
    await expect(parent.getByRole('heading', { name: '安排结果' }).isVisible()).resolves.toBe(true);
    await expect(parent.locator('.fee').textContent()).resolves.toMatch(/元|免费/);
    await w.shot(parent, '08-parent-enrolled');
    expect(describeViolations(await w.seriousViolations(parent))).toEqual([]);

    await parent.goto('/notifications');
    await parent.getByRole('heading', { level: 1, name: '通知' }).waitFor();
    await w.shot(parent, '09-parent-notifications');
  }, 180_000);
});
