import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { eventually } from '../fixtures/engine';
import { describeViolations, DESKTOP, startWebHarness, type WebHarness } from './harness';

/**
 * The monitor and the bureau dashboard in the browser against the real server, engine, job
 * workers and demo data: a school admin sees instance and incident counts on the enrolment
 * diagram, follows an instance's path and retries its incident; the city bureau sees the
 * dashboard's charts and tables and exports a table and an annex register as workbooks that
 * open with the rows shown; a parent sees their child's bill on a phone and the payment step.
 */
describe('monitor and dashboard in the browser', () => {
  let w: WebHarness;
  let admin: Page;
  let bureau: Page;
  let instanceKeys: string[];
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'kehou-downloads-'));

  beforeAll(async () => {
    w = await startWebHarness();
    admin = await w.newPage(DESKTOP);
    bureau = await w.newPage(DESKTOP);
  }, 600_000);

  afterAll(async () => {
    await w?.close();
    fs.rmSync(downloads, { recursive: true, force: true });
  });

  it('should show a school admin the active instances and incidents on the diagram', async () => {
    // given two enrolments at yh1 without the child's facts: the eligibility check's job fails
    // without retries (malformed variables), two incidents
    const school = await w.server.db.connection
      .collection<{ _id: string; cityId: string; countyId: string }>('schools')
      .findOne({ _id: 'school-yh1' });
    const scope = { cityId: school!.cityId, countyId: school!.countyId, schoolId: school!._id };
    instanceKeys = [];
    let definitionKey = '';
    for (let i = 0; i < 2; i++) {
      const instance = await w.server.engine.createInstance({
        bpmnProcessId: 'after-school-enrolment',
        variables: { ...scope, applicationId: `app-monitor-test-${i}` },
      });
      instanceKeys.push(instance._id);
      definitionKey = instance.processDefinitionKey;
    }
    await eventually(
      async () =>
        (await w.server.engine.collections.incidents.countDocuments({
          processInstanceKey: { $in: instanceKeys },
          state: 'ACTIVE',
        })) === 2 || undefined,
      60_000,
      'two incidents',
    );
    await w.signIn(admin, 'yh1.admin');

    // when
    await admin.goto(`/monitor?process=after-school-enrolment&version=${definitionKey}`);
    const active = admin.locator('.diagram-badge-active[data-element="CheckEligibility"]');
    const failed = admin.locator('.diagram-badge-incident[data-element="CheckEligibility"]');
    await admin.locator('.diagram-badge-incident, .notice-error').first().waitFor();
    await expect(admin.locator('.notice-error').allTextContents()).resolves.toEqual([]);

    // then the badges say what the monitor's statistics say, and count both new instances
    const stats = (await (
      await admin.request.get('/api/monitor/statistics?process=after-school-enrolment')
    ).json()) as {
      items: {
        processDefinitionKey: string;
        elements: { elementId: string; active: number; incidents: number }[];
      }[];
    };
    const version = stats.items.find((v) => v.processDefinitionKey === definitionKey)!;
    const check = version.elements.find((e) => e.elementId === 'CheckEligibility')!;
    expect(check.active).toBeGreaterThanOrEqual(2);
    expect(check.incidents).toBeGreaterThanOrEqual(2);
    await expect(active.textContent()).resolves.toBe(String(check.active));
    await expect(failed.textContent()).resolves.toBe(String(check.incidents));
    await expect(active.getAttribute('aria-label')).resolves.toBe(
      `资格审查：进行中 ${check.active}`,
    );
    await expect(admin.locator('.bjs-powered-by').count()).resolves.toBe(1); // bpmn.io watermark
    for (const key of instanceKeys)
      await expect(admin.locator(`tr[data-key="${key}"]`).textContent()).resolves.toContain(
        '有故障',
      );
    await w.shot(admin, '20-monitor-diagram');
    expect(describeViolations(await w.seriousViolations(admin))).toEqual([]);
  });

  it("should show an instance's path and history, and let the admin retry its incident", async () => {
    // given
    const key = instanceKeys[0]!;
    await admin.locator(`tr[data-key="${key}"] a`).click();
    await admin.getByRole('heading', { level: 1, name: new RegExp(key) }).waitFor();
    await admin.locator('[data-element-id="CheckEligibility"].path-incident').waitFor();
    await expect(admin.locator('.path-done').count()).resolves.toBeGreaterThan(0);
    await expect(admin.locator('.timeline li').first().textContent()).resolves.toContain(
      '启动流程',
    );
    await w.shot(admin, '21-monitor-instance');
    expect(describeViolations(await w.seriousViolations(admin))).toEqual([]);

    // when
    await admin.locator('li[data-state="ACTIVE"] button[data-action="retry"]').click();

    // then the incident is resolved (and the still malformed step fails again: a new one)
    await admin.locator('.toast', { hasText: '已重新执行' }).waitFor();
    await eventually(
      async () => {
        await admin.goto(`/monitor/${key}`);
        await admin.locator('.incident-list').waitFor();
        return (await admin.locator('li[data-state="RESOLVED"]').count()) === 1 || undefined;
      },
      60_000,
      'the retried incident resolved',
    );
    await expect(admin.locator('.timeline').textContent()).resolves.toContain('重试故障');
  });

  it('should show the city bureau the dashboard with charts and a table per figure', async () => {
    // given
    await w.signIn(bureau, 'luohe.bureau');

    // when
    await bureau.goto('/dashboard');
    await bureau.locator('.dashboard-table').first().waitFor();

    // then every demo school is in each table, with the counties' and the city's totals
    const firstColumn = await bureau
      .locator('[data-table="applications"] tbody tr th:nth-child(2)')
      .allTextContents();
    expect(firstColumn.at(-1)).toBe('全市合计');
    expect(firstColumn.filter((c) => c === '县区合计')).toHaveLength(2);
    expect(new Set(firstColumn)).toEqual(
      new Set([
        '源汇区演示第一小学',
        '源汇区演示实验学校',
        '郾城区演示第二小学',
        '县区合计',
        '全市合计',
      ]),
    );
    await expect(bureau.locator('.chart svg').count()).resolves.toBe(6);
    await expect(bureau.locator('.dashboard-table').count()).resolves.toBe(6);
    await w.shot(bureau, '22-dashboard');
    expect(describeViolations(await w.seriousViolations(bureau))).toEqual([]);
  });

  it('should export a table as a workbook that opens with the rows the dashboard shows', async () => {
    // given the participation table as the server reports it
    const view = (await (await bureau.request.get('/api/dashboard')).json()) as {
      tables: { key: string; columns: { label: string }[]; rows: { cells: unknown[] }[] }[];
    };
    const table = view.tables.find((x) => x.key === 'participation')!;

    // when
    const [download] = await Promise.all([
      bureau.waitForEvent('download'),
      bureau.getByRole('button', { name: '导出「参与率与优先保障群体安排」' }).click(),
    ]);
    const file = path.join(downloads, download.suggestedFilename());
    await download.saveAs(file);

    // then the file is named for the table, shows the progress as done, and holds its rows
    expect(download.suggestedFilename()).toBe('参与率与优先保障群体安排.xlsx');
    await bureau.locator('#export-progress', { hasText: '已导出' }).waitFor();
    await expect(bureau.locator('#export-progress progress').getAttribute('value')).resolves.toBe(
      '100',
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.getWorksheet('参与率与优先保障群体安排')!;
    const n = table.columns.length;
    expect(cells(ws.getRow(3), n)).toEqual(table.columns.map((c) => c.label));
    const rows = table.rows.map((_r, i) => cells(ws.getRow(4 + i), n));
    expect(rows).toEqual(table.rows.map((r) => r.cells.map((c) => (c === '' ? null : c))));
    expect(rows.find((r) => r[1] === '源汇区演示第一小学')![2]).toBeGreaterThan(0); // its students
    const shown = await bureau
      .locator('[data-table="participation"] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.children[1]!.textContent));
    expect(rows.map((r) => r[1])).toEqual(shown);
  });

  it('should export the Annex 1 register with the platform administrators', async () => {
    // when
    const [download] = await Promise.all([
      bureau.waitForEvent('download'),
      bureau.getByRole('button', { name: '导出附件1 企业微信平台管理员信息表' }).click(),
    ]);
    const file = path.join(downloads, download.suggestedFilename());
    await download.saveAs(file);

    // then
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.worksheets[0]!;
    expect(cells(ws.getRow(2), 6)).toEqual([
      '序号',
      '县区',
      '单位全称',
      '管理员姓名',
      '职务',
      '手机号',
    ]);
    const units = [];
    for (let i = 3; i <= ws.rowCount; i++) units.push(ws.getRow(i).getCell(3).value);
    expect(units).toEqual(
      expect.arrayContaining(['源汇区演示第一小学', '源汇区演示实验学校', '郾城区演示第二小学']),
    );
  });

  it("should show a parent their child's bill on a phone, and the payment step's answer", async () => {
    // given an open bill of the child of the parent of two (13900000008)
    const db = w.server.db.connection;
    const user = await db.collection<{ _id: string }>('users').findOne({ phone: '13900000008' });
    const child = await db
      .collection<{
        _id: string;
        name: string;
        cityId: string;
        countyId: string;
        schoolId: string;
        gradeId: string;
        classId: string;
      }>('students')
      .findOne({ 'guardians.userId': user!._id });
    const billId = `bill:app-web-${child!._id}:2026-09`;
    await db.collection('billing_bills').insertOne({
      _id: billId as never,
      cityId: child!.cityId,
      countyId: child!.countyId,
      schoolId: child!.schoolId,
      gradeId: child!.gradeId,
      classId: child!.classId,
      studentId: child!._id,
      studentName: child!.name,
      applicationId: `app-web-${child!._id}`,
      planId: 'plan-web',
      guardians: [{ userId: user!._id }],
      month: '2026-09',
      billingRunKey: `${child!.schoolId}:2026-09`,
      lines: [{ item: 'after-school', name: '课后服务', fen: 8000, days: 20 }],
      amountFen: 8000,
      serviceDays: [],
      schoolDaysInMonth: 20,
      applied: [],
      notCharged: [],
      status: 'open',
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const parent = await w.newPage();
    await w.signIn(parent, '13900000008');

    // when
    await parent.goto('/applications');
    const bill = parent.locator(`li[data-bill="${billId}"]`);
    await bill.waitFor();
    await bill.getByRole('button', { name: '去缴费' }).click();

    // then the bill shows its amount and status, and paying gives an order or says why not
    await expect(bill.textContent()).resolves.toContain(`${child!.name} · 2026-09 月账单`);
    await expect(bill.textContent()).resolves.toContain('金额 80.00 元');
    await expect(bill.locator('.status').textContent()).resolves.toBe('待缴费');
    await bill.locator('.pay-order, .notice:not(:has-text("正在生成"))').first().waitFor();
    const answer = (await bill.locator('.form-status').textContent()) ?? '';
    expect(answer).toMatch(/支付订单 \S+：80\.00 元|在线缴费暂未开通/);
    await parent.locator('#incidents').waitFor();
    await w.shot(parent, '23-parent-bills');
    expect(describeViolations(await w.seriousViolations(parent))).toEqual([]);
  });
});

/** A worksheet row's values (empty cells as null). */
function cells(row: ExcelJS.Row, count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => {
    const v = row.getCell(i + 1).value;
    return v === undefined || v === '' ? null : v;
  });
}
