import type { Page } from 'playwright-core';
import { eventually } from '../fixtures/engine';

/**
 * What a person does on the app's pages, shared by the browser tests: opening a task from the
 * inbox, picking from a form-js select, filling in the enrolment start form.
 */

/** Opens the inbox until a task named `name` is listed, then opens it. */
export async function openTask(page: Page, name: string): Promise<void> {
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
export async function choose(page: Page, label: string, option: string): Promise<void> {
  // form-js shows a display element over a hidden input that the label names
  const id = await page.getByLabel(label).getAttribute('id');
  await page.locator(`[id="${id}-display"]`).click();
  await page.locator('.fjs-dropdownlist-item', { hasText: option }).first().click();
}

/**
 * Fills in the open enrolment start form (/apply) as the demo parent 高霞 for her child 高一诺,
 * with the insurance policy `policyNo`, up to the consent; submitting is the caller's.
 */
export async function fillApplication(page: Page, policyNo: string): Promise<void> {
  await choose(page, '报名的孩子', '高一诺');
  const session = page.getByLabel('服务时段');
  if ((await session.getAttribute('class'))?.includes('fjs-select-hidden-input'))
    await choose(page, '服务时段', '作业辅导');
  else await session.fill('S1');
  await page.getByLabel('姓名').fill('高霞');
  await choose(page, '与孩子关系', '母亲');
  await page.getByLabel('手机号').fill('13900000008');
  await page.getByLabel('承保保险公司').fill('中国人寿漯河分公司');
  await page.getByLabel('保单号').fill(policyNo);
  const until = page.getByLabel('保险有效期至');
  await until.fill('2027-08-31');
  await until.press('Enter');
  await page.getByLabel(/我自愿为孩子申请课后服务/).check();
}
