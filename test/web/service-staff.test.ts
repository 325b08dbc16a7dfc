import type { Page } from 'playwright-core';
import { eventually } from '../fixtures/engine';
import { describeViolations, startWebHarness, type WebHarness } from './harness';

/** Today in China, as the server decides the last day served. */
const today = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

interface Registration {
  id: string;
  instanceKey: string;
  status: string;
  staffId?: string;
}

/**
 * The school's registered service staff (附件2) in the browser on a phone, against the real
 * server, engine, job workers and demo data: people registered at 源汇区演示第一小学 (yh1)
 * through the whole registration process, listed for the school admin, one registration ended
 * with a reason (a date out of range refused in Chinese beside the form) and then found under
 * 已结束; the county bureau reads the list without the action, and a teacher gets neither.
 */
describe('the registered service staff in the browser', () => {
  let w: WebHarness;
  let admin: Page;
  let serving: { name: string; mobile: string; staffId: string };
  let external: { name: string; mobile: string; staffId: string };

  beforeAll(async () => {
    w = await startWebHarness();
    admin = await w.newPage();
    await w.signIn(admin, 'yh1.admin');
    // given two people registered at yh1 through the process: record check, the school's
    // confirmation in its inbox, register-staff
    serving = await register(admin, {
      staffName: '陈静',
      department: '教务处',
      mobile: '13812340001',
      idNumber: '411102198001010011',
      isExternal: false,
    });
    external = await register(admin, {
      staffName: '刘洋',
      department: '体育组',
      mobile: '13812340002',
      idNumber: '411102198501010022',
      isExternal: true,
      agreementNo: 'XY-2026-001',
    });
  }, 600_000);

  afterAll(async () => {
    await w?.close();
  });

  async function expectAccessible(page: Page): Promise<void> {
    expect(describeViolations(await w.seriousViolations(page))).toEqual([]);
    // nothing runs off a 375-px phone's screen sideways
    await expect(
      page.evaluate('document.documentElement.scrollWidth'),
    ).resolves.toBeLessThanOrEqual(page.viewportSize()!.width);
  }

  const card = (page: Page, staffId: string) => page.locator(`[data-member="${staffId}"]`);

  it("should let the school admin end a registration with a reason, show a bad date's problem in Chinese, and find it under 已结束", async () => {
    // when the admin opens 服务人员 from the navigation
    await admin.goto('/');
    await admin.getByRole('link', { name: '服务人员' }).first().click();
    await admin.getByRole('heading', { level: 1, name: '课后服务人员' }).waitFor();

    // then both serving people are listed with department, kind, day registered and phone
    const chen = card(admin, serving.staffId);
    const liu = card(admin, external.staffId);
    await chen.waitFor();
    await expect(chen.textContent()).resolves.toEqual(
      expect.stringMatching(
        new RegExp(`陈静.*在岗.*教务处.*校内在职教师.*登记日期${today()}.*${serving.mobile}`),
      ),
    );
    await expect(liu.textContent()).resolves.toContain('校外专业人员');
    await w.shot(admin, 'service-staff-01-list');
    await expectAccessible(admin);

    // when the admin opens 结束登记 and submits without a reason
    await chen.getByRole('button', { name: '结束登记' }).click();
    const form = chen.getByRole('form', { name: '结束 陈静 的登记' });
    await expect(form.getByLabel('最后服务日').inputValue()).resolves.toBe(today());
    await form.getByRole('button', { name: '确认结束登记' }).click();

    // then the reason is asked for beside its field, and nothing is sent
    await form.getByText('请填写结束原因').waitFor();
    await expect(form.getByLabel('结束原因').getAttribute('aria-invalid')).resolves.toBe('true');

    // when the reason is given with a last day before the registration, and confirmed
    await form.getByLabel('结束原因').fill('调往其他学校');
    await form.getByLabel('最后服务日').fill('2020-01-01');
    admin.once('dialog', (d) => void d.accept());
    await form.getByRole('button', { name: '确认结束登记' }).click();

    // then the server's refusal is shown in Chinese beside the date, and what was typed stays
    const dateError = form.locator('.field-error', { hasText: '终止日期应在登记之日' });
    await dateError.waitFor();
    await expect(dateError.textContent()).resolves.toContain(`与今天（${today()}）之间`);
    await expect(form.getByLabel('最后服务日').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(form.getByLabel('结束原因').inputValue()).resolves.toBe('调往其他学校');
    await expect(chen.getAttribute('data-status')).resolves.toBe('active');
    await w.shot(admin, 'service-staff-02-bad-date');
    await expectAccessible(admin);

    // when the last day is today and the admin confirms
    await form.getByLabel('最后服务日').fill(today());
    admin.once('dialog', (d) => void d.accept());
    await form.getByRole('button', { name: '确认结束登记' }).click();

    // then the card shows the registration ended, with the day and the reason, and no action
    await admin.locator(`[data-member="${serving.staffId}"][data-status="ended"]`).waitFor();
    await expect(chen.textContent()).resolves.toEqual(
      expect.stringMatching(new RegExp(`已结束.*最后服务日${today()}.*结束原因调往其他学校`)),
    );
    await expect(chen.getByRole('button', { name: '结束登记' }).count()).resolves.toBe(0);
    await w.shot(admin, 'service-staff-03-ended');

    // and it is listed under 已结束, no longer under 在岗
    await admin.getByRole('link', { name: '已结束' }).click();
    await admin.waitForURL((u) => u.search === '?status=ended');
    await card(admin, serving.staffId).waitFor();
    await expect(card(admin, external.staffId).count()).resolves.toBe(0);
    await expect(card(admin, serving.staffId).textContent()).resolves.toContain('调往其他学校');
    await w.shot(admin, 'service-staff-04-ended-filter');
    await expectAccessible(admin);
    await admin.getByRole('link', { name: '在岗' }).click();
    await card(admin, external.staffId).waitFor();
    await expect(card(admin, serving.staffId).count()).resolves.toBe(0);
  }, 180_000);

  it('should show the county bureau the list without the action, and a teacher neither', async () => {
    // when the county bureau opens 服务人员
    const bureau = await w.newPage();
    await w.signIn(bureau, 'yuanhui.bureau');
    await bureau.getByRole('link', { name: '服务人员' }).first().click();
    await bureau.getByRole('heading', { level: 1, name: '课后服务人员' }).waitFor();

    // then it reads the serving staff with their school, but may not end a registration
    const liu = card(bureau, external.staffId);
    await liu.waitFor();
    await expect(liu.textContent()).resolves.toContain('源汇区演示第一小学');
    await bureau.getByText('辖区各校登记在册的课后服务人员').waitFor();
    await expect(bureau.getByRole('button', { name: '结束登记' }).count()).resolves.toBe(0);
    await expectAccessible(bureau);

    // when a teacher of the school signs in
    const teacher = await w.newPage();
    await w.signIn(teacher, 'yh1.teacher1');

    // then there is no link, and the address shows no one and no action
    await expect(teacher.getByRole('link', { name: '服务人员' }).count()).resolves.toBe(0);
    await teacher.goto('/service-staff');
    await teacher.getByRole('heading', { level: 1, name: '课后服务人员' }).waitFor();
    await teacher.getByText('您没有权限查看此页面。').waitFor();
    await expect(teacher.locator('[data-member]').count()).resolves.toBe(0);
    await expect(teacher.getByRole('button', { name: '结束登记' }).count()).resolves.toBe(0);
  }, 120_000);

  // helpers //////////

  /** Registers a person as `page`'s school admin and confirms it; answers them as staff. */
  async function register(
    page: Page,
    person: {
      staffName: string;
      department: string;
      mobile: string;
      idNumber: string;
      isExternal: boolean;
      agreementNo?: string;
    },
  ): Promise<{ name: string; mobile: string; staffId: string }> {
    const csrf = (await page.context().cookies()).find((c) => c.name === 'kehou_csrf')!.value;
    const headers = { 'x-csrf-token': csrf };
    const res = await page.request.post('/api/staff/registrations', {
      headers,
      data: { schoolFullName: '源汇区演示第一小学', gender: 'female', ...person },
    });
    expect(res.status()).toBe(201);
    const reg = (await res.json()) as Registration;
    const task = await eventually(
      async () => {
        const list = (await (await page.request.get('/api/tasks?view=groups&size=100')).json()) as {
          items: { key: string; elementId: string; processInstanceKey: string }[];
        };
        return list.items.find(
          (t) => t.elementId === 'SchoolConfirmation' && t.processInstanceKey === reg.instanceKey,
        );
      },
      60_000,
      `${person.staffName}'s confirmation task`,
    );
    const done = await page.request.post(`/api/tasks/${task.key}/complete`, {
      headers,
      data: {
        variables: {
          decision: 'approve',
          ...(person.isExternal ? { agreementVerified: true } : {}),
        },
      },
    });
    expect(done.status()).toBe(204);
    const registered = await eventually(
      async () => {
        const r = (await (
          await page.request.get(`/api/staff/registrations/${reg.id}`)
        ).json()) as Registration;
        return r.status === 'registered' ? r : undefined;
      },
      60_000,
      `${person.staffName} registered`,
    );
    return { name: person.staffName, mobile: person.mobile, staffId: registered.staffId! };
  }
});
