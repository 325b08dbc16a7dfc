import type { Page } from 'playwright-core';
import { eventually } from '../fixtures/engine';
import { describeViolations, startWebHarness, type WebHarness } from './harness';
import { fillApplication, openTask } from './page-steps';

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
    await fillApplication(parent, 'PICC-2026-0001');
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
