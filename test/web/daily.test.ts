import { generateKeyPairSync } from 'node:crypto';
import type { Page } from 'playwright-core';
import { eventually } from '../fixtures/engine';
import { describeViolations, startWebHarness, type WebHarness } from './harness';

/** A day of the demo's autumn term (the filed plans run 2026-09-01 to 2027-01-22). */
const DAY = '2026-11-27';

interface EnrolledApplication {
  studentId: string;
  studentName: string;
  classId: string;
  sessionId: string;
  pickup?: { name: string; relation: string; phone: string };
}

/**
 * The school's daily work in the browser on a phone, against the real server, engine, job
 * workers and demo data: attendance and hand-over seen by the parent, an incident reported from
 * the roster, a committee survey answered by a parent, a teacher's account opened by the school
 * admin, and the integration settings whose secrets are never shown back.
 */
describe('the school day in the browser', () => {
  let w: WebHarness;

  beforeAll(async () => {
    w = await startWebHarness();
    // the demo school's enrolled children (yh2) come from the demo's life, driven at start
    await w.server.demoLife;
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

  /** An enrolled child of yh2's homework session (S1) with the parent who applied. */
  async function enrolledChild(): Promise<
    EnrolledApplication & { pickup: { name: string; phone: string } }
  > {
    const admin = await w.newPage();
    await w.signIn(admin, 'yh2.admin');
    const apps = (await (
      await admin.request.get('/api/enrolment/applications?status=enrolled&limit=200')
    ).json()) as { items: EnrolledApplication[] };
    const child = apps.items.find((a) => a.sessionId === 'S1' && a.pickup);
    expect(child).toBeDefined();
    return child as EnrolledApplication & { pickup: { name: string; phone: string } };
  }

  it('should let a class teacher check a child in and hand them over, and the parent see it', async () => {
    // given an enrolled child of the homework session, their class teacher and their parent
    const child = await enrolledChild();
    const [, grade, klass] = /-g(\d+)-c(\d+)$/.exec(child.classId)!;
    const teacher = await w.newPage();
    await w.signIn(teacher, `yh2.g${grade}c${klass}`);

    // when the teacher opens the day's roster and checks the child in
    await teacher.goto(`/attendance?date=${DAY}&session=S1`);
    const row = teacher.locator(`.roster-item[data-student="${child.studentId}"]`);
    await row.waitFor();
    await expect(row.locator('.status').getAttribute('data-state')).resolves.toBe('none');
    await w.shot(teacher, 'daily-01-roster');
    await expectAccessible(teacher);
    await row.getByRole('button', { name: '签到', exact: true }).click();

    // then the child is present and flagged until handed over (SAFE-ATTEND)
    await row.locator('.status[data-state="missing"]').waitFor();
    await expect(teacher.locator('#missing-h + .notice').textContent()).resolves.toContain(
      child.studentName,
    );
    await w.shot(teacher, 'daily-02-roster-checked-in');
    await expectAccessible(teacher);

    // when the teacher hands the child over to the named guardian at a time
    await row.getByLabel('接走的监护人').fill(child.pickup.name);
    await row.getByLabel('交接时间').fill('17:45');
    await row.getByRole('button', { name: '交接' }).click();

    // then the line shows the hand-over and nothing is missing any more
    await row.locator('.status[data-state="handed"]').waitFor();
    await expect(row.textContent()).resolves.toContain(`17:45 交给 ${child.pickup.name}`);
    await teacher.getByText('本时段已签到的孩子都已交接。').waitFor();
    await w.shot(teacher, 'daily-03-roster-handed-over');

    // and the parent sees it on their phone
    const parent = await w.newPage();
    await w.signIn(parent, child.pickup.phone);
    await parent.goto('/attendance');
    const line = parent.locator(`.roster-item[data-student="${child.studentId}"]`).first();
    await line.waitFor();
    await expect(line.locator('.status').getAttribute('data-state')).resolves.toBe('handed');
    await expect(line.textContent()).resolves.toContain(`17:45 交给 ${child.pickup.name}`);
    await w.shot(parent, 'daily-04-parent-attendance');
    await expectAccessible(parent);

    // when the teacher reports an incident from the roster
    await teacher.getByRole('link', { name: '报告安全事件' }).click();
    await teacher.getByRole('heading', { level: 1, name: '报告安全事件' }).waitFor();
    await teacher.getByLabel('发生时间').fill(`${DAY}T17:20`);
    await teacher.getByLabel(child.studentName).check();
    await teacher.getByLabel('经过').fill('跳绳时摔倒，膝盖擦伤');
    await teacher.getByLabel('有人受伤').check();
    await teacher.getByLabel('伤情').fill('左膝擦伤，已消毒');
    await teacher.getByLabel('严重程度').selectOption('minor');
    await w.shot(teacher, 'daily-05-incident-form');
    await expectAccessible(teacher);
    await teacher.getByRole('button', { name: '提交报告' }).click();

    // then it is reported, and the parent reads their child's part
    await teacher.getByText('已报告').waitFor();
    await eventually(
      async () => {
        await parent.goto('/applications');
        // the section loads its list after it appears: wait for the list (or its empty line)
        // before reading it, so a slow answer is not cut short by the next reload
        const loaded = parent.locator('#incidents').locator('.incident-list, .empty, .notice');
        await loaded.first().waitFor({ timeout: 30_000 });
        return (
          (await parent.locator('#incidents').textContent())?.includes('左膝擦伤') || undefined
        );
      },
      90_000,
      "the incident in the parent's portal",
    );
    await w.shot(parent, 'daily-06-parent-incident');
  }, 240_000);

  it("should let a school's teacher who cannot read the enrolments add a child to the roster", async () => {
    // given a teacher of the school's programme on the reading session, with nobody checked in
    const teacher = await w.newPage();
    await w.signIn(teacher, 'yh2.teacher1');
    await teacher.goto(`/attendance?date=${DAY}&session=S2`);
    await teacher.locator('.roster .empty').waitFor();

    // when they add a child from the school's students and check them in
    await teacher.locator('summary', { hasText: '名单外的孩子' }).click();
    const select = teacher.getByLabel('孩子', { exact: true });
    await select.locator('option').first().waitFor({ state: 'attached' });
    const name = (await select.locator('option').first().textContent())!;
    await select.selectOption({ index: 0 });
    await teacher.locator('.add-child').getByRole('button', { name: '签到' }).click();

    // then the child is on the roster, present and waiting to be handed over
    const row = teacher.locator('.roster-item', { hasText: name });
    await row.locator('.status[data-state="missing"]').waitFor();
    await w.shot(teacher, 'daily-05b-roster-teacher');
    await expectAccessible(teacher);
  }, 120_000);

  /** The parents of yh2's enrolled children, whom the school's surveys are for. */
  async function servedParents(): Promise<string[]> {
    const admin = await w.newPage();
    await w.signIn(admin, 'yh2.admin');
    const apps = (await (
      await admin.request.get('/api/enrolment/applications?status=enrolled&limit=200')
    ).json()) as { items: EnrolledApplication[] };
    return [...new Set(apps.items.flatMap((a) => (a.pickup ? [a.pickup.phone] : [])))];
  }

  /** A parent answers the survey `title` on their phone. */
  async function answer(
    phone: string,
    title: string,
    choice: string,
    rating: number,
    text: string,
    shot?: string,
  ): Promise<Page> {
    const parent = await w.newPage();
    await w.signIn(parent, phone);
    await parent.goto('/surveys');
    await parent
      .locator('.survey-item', { hasText: title })
      .getByRole('link', { name: '填写' })
      .click();
    await parent.getByRole('heading', { level: 1, name: title }).waitFor();
    await parent.getByLabel(choice, { exact: true }).check();
    await parent.getByLabel(`${rating} 分`).check();
    if (text) await parent.getByLabel(/其他建议/).fill(text);
    if (shot) {
      await w.shot(parent, shot);
      await expectAccessible(parent);
    }
    await parent.getByRole('button', { name: '提交答卷' }).click();
    await parent.getByText('感谢填写').waitFor();
    return parent;
  }

  it('should let a committee member open a survey that parents answer once each, with the results', async () => {
    // given a committee member's new survey and the parents whose children the school serves
    const parents = await servedParents();
    expect(parents.length).toBeGreaterThanOrEqual(3);
    const title = '十一月课后服务满意度';
    const committee = await w.newPage();
    await w.signIn(committee, 'yh2.committee');
    await committee.goto('/surveys/new');
    await committee.getByLabel('问卷标题').fill(title);
    const questions = committee.locator('fieldset.survey-question');
    await questions.nth(0).getByLabel('题目').fill('您对作业辅导满意吗？');
    await questions.nth(0).getByLabel('选项（每行一个）').fill('满意\n一般\n不满意');
    await committee.getByRole('button', { name: '添加题目' }).click();
    await questions.nth(1).getByLabel('题目').fill('请为看护老师打分');
    await questions.nth(1).getByLabel('题型').selectOption('rating');
    await committee.getByRole('button', { name: '添加题目' }).click();
    await questions.nth(2).getByLabel('题目').fill('其他建议');
    await questions.nth(2).getByLabel('题型').selectOption('text');
    await w.shot(committee, 'daily-07-survey-new');
    await expectAccessible(committee);
    await committee.getByRole('button', { name: '保存草稿' }).click();

    // when they open it
    const item = committee.locator('.survey-item', { hasText: title });
    await item.waitFor();
    await expect(item.locator('.status').getAttribute('data-status')).resolves.toBe('draft');
    await item.getByRole('button', { name: '开放填写' }).click();
    await committee
      .locator('.survey-item', { hasText: title })
      .locator('.status[data-status="open"]')
      .waitFor();
    await w.shot(committee, 'daily-08-surveys-committee');

    // then a parent answers it, once
    const first = await answer(
      parents[0]!,
      title,
      '满意',
      5,
      '希望增加阅读时间',
      'daily-09-survey-answer',
    );
    await first.goto('/surveys');
    const answered = first.locator('.survey-item', { hasText: title });
    await answered.locator('[data-answered="true"]').waitFor();
    await expect(answered.getByRole('link', { name: '填写' }).count()).resolves.toBe(0);

    // and the committee's results show one answer, without a breakdown that would tell whose
    const results = async () => {
      await committee.goto('/surveys');
      await committee
        .locator('.survey-item', { hasText: title })
        .getByRole('link', { name: '查看结果' })
        .click();
      await committee.locator('[data-responses]').waitFor();
    };
    await results();
    await expect(
      committee.locator('[data-responses]').getAttribute('data-responses'),
    ).resolves.toBe('1');
    await expect(committee.locator('main').textContent()).resolves.toContain('答卷满 3 份后');
    await expect(committee.locator('main').textContent()).resolves.not.toContain(
      '希望增加阅读时间',
    );
    await w.shot(committee, 'daily-10-survey-results-withheld');

    // when two more parents answer
    await answer(parents[1]!, title, '满意', 4, '');
    await answer(parents[2]!, title, '一般', 3, '');

    // then the results show each question's aggregate
    await results();
    await expect(
      committee.locator('[data-responses]').getAttribute('data-responses'),
    ).resolves.toBe('3');
    const single = committee.locator('.survey-result').nth(0);
    await expect(
      single.locator('tr', { hasText: /^满意/ }).locator('td.num').textContent(),
    ).resolves.toBe('2');
    await expect(
      single.locator('tr', { hasText: /^一般/ }).locator('td.num').textContent(),
    ).resolves.toBe('1');
    await expect(committee.locator('.survey-result').nth(1).textContent()).resolves.toContain(
      '平均 4 分',
    );
    await expect(committee.locator('.survey-result').nth(2).textContent()).resolves.toContain(
      '希望增加阅读时间',
    );
    await w.shot(committee, 'daily-11-survey-results');
    await expectAccessible(committee);
  }, 300_000);

  it('should let a school admin open a teacher account whose one-time password signs in', async () => {
    // given
    const admin = await w.newPage();
    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await w.signIn(admin, 'yh1.admin');
    await admin.goto('/staff');
    await admin.locator('.staff-table').waitFor();
    await expect(admin.locator('.staff-table td.phone').first().textContent()).resolves.toMatch(
      /^1\d{2}\*{4}\d{4}$/,
    );
    await w.shot(admin, 'daily-12-staff');
    await expectAccessible(admin);

    // when the admin opens an account for a new teacher
    await admin.getByLabel('姓名', { exact: true }).fill('宋佳怡');
    await admin.getByLabel('手机号（登录名）').fill('13800000099');
    await admin.locator('#new-role').selectOption('teacher');
    await admin.getByRole('button', { name: '开通账号' }).click();

    // then the one-time password is shown once, with a copy button
    const code = admin.locator('.one-time-password');
    await code.waitFor();
    const password = (await code.textContent())!.trim();
    expect(password.length).toBeGreaterThanOrEqual(8);
    await admin.getByRole('button', { name: '复制' }).click();
    await expect(admin.evaluate('navigator.clipboard.readText()')).resolves.toBe(password);
    await expect(
      admin.locator('.staff-table tr', { hasText: '宋佳怡' }).textContent(),
    ).resolves.toContain('138****0099');
    await w.shot(admin, 'daily-13-staff-created');
    await admin.reload();
    await admin.locator('.staff-table').waitFor();
    await expect(admin.locator('.one-time-password').count()).resolves.toBe(0);

    // and the teacher signs in with it
    const teacher = await w.newPage();
    await w.signIn(teacher, '13800000099', password);
    await teacher.getByRole('heading', { level: 1, name: /宋佳怡/ }).waitFor();
    await expect(teacher.getByRole('link', { name: '考勤交接' }).first().isVisible()).resolves.toBe(
      true,
    );

    // when the admin makes them the class teacher of 一年级（2）班
    const row = admin.locator('.staff-table tr', { hasText: '宋佳怡' });
    await row.locator('summary', { hasText: '角色' }).click();
    await row.getByLabel('角色').selectOption('classTeacher');
    await row.getByLabel('班级').selectOption({ label: '一年级（2）班' });
    await row.getByRole('button', { name: '授予' }).click();

    // then the list shows it, and the teacher's next request has it
    await row.locator('li[data-role="classTeacher"]').waitFor();
    await expect(row.locator('li[data-role="classTeacher"]').textContent()).resolves.toContain(
      '一年级（2）班',
    );
    await w.shot(admin, 'daily-14-staff-granted');
    await teacher.goto('/');
    await expect(teacher.locator('.lead').textContent()).resolves.toContain('班主任');

    // when the admin takes the role away again
    admin.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: '取消「班主任」' }).click();

    // then it is gone
    await row.locator('li[data-role="classTeacher"]').waitFor({ state: 'detached' });
    await row.locator('li[data-role="teacher"]').waitFor();
    await expect(row.locator('li[data-role="classTeacher"]').count()).resolves.toBe(0);
  }, 180_000);

  it('should keep the WeChat Pay and WeCom secrets write-only, showing 已设置 when set', async () => {
    // given
    const admin = await w.newPage();
    await w.signIn(admin, 'yh1.admin');
    await admin.goto('/settings');
    const pay = admin.locator('#merchant-form');
    const wecom = admin.locator('#wecom-form');
    await pay.waitFor();
    await expect(pay.locator('.secret-state').first().getAttribute('data-set')).resolves.toBe(
      'false',
    );
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    // when the admin enters both
    await pay.getByLabel('商户号（mchid）').fill('1900000109');
    await pay.getByLabel('公众号或小程序 AppID').fill('wx8888888888888888');
    await pay.getByLabel('API 证书序列号').fill('5157F09EFDC096DE15EBE81A47057A72');
    await pay
      .getByLabel(/API 证书私钥/)
      .fill(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    await pay.getByLabel(/APIv3 密钥/).fill('0123456789abcdef0123456789abcdef');
    await pay.getByRole('button', { name: '保存' }).click();
    await pay.getByText('已保存').waitFor();
    await wecom.getByLabel('企业 ID（CorpID）').fill('ww1234567890abcdef');
    await wecom.getByLabel('应用 AgentId').fill('1000002');
    await wecom.getByLabel(/应用 Secret/).fill('a-wecom-app-secret-0123456789');
    await wecom.getByRole('button', { name: '保存' }).click();
    await wecom.getByText('已保存').waitFor();

    // then after a reload the secrets are set and never shown back
    await admin.reload();
    await pay.waitFor();
    await expect(pay.getByLabel(/API 证书私钥/).inputValue()).resolves.toBe('');
    await expect(pay.getByLabel(/APIv3 密钥/).inputValue()).resolves.toBe('');
    await expect(wecom.getByLabel(/应用 Secret/).inputValue()).resolves.toBe('');
    await expect(pay.getByLabel('商户号（mchid）').inputValue()).resolves.toBe('1900000109');
    await expect(pay.locator('.secret-state[data-set="true"]').count()).resolves.toBe(2);
    await expect(
      wecom.locator('label', { hasText: '应用 Secret' }).textContent(),
    ).resolves.toContain('已设置');
    await expect(admin.content()).resolves.not.toContain('a-wecom-app-secret-0123456789');
    await w.shot(admin, 'daily-15-settings');
    await expectAccessible(admin);
  }, 180_000);
});
