import type { Page } from 'playwright-core';
import { DESKTOP, startWebHarness, type WebHarness } from './harness';
import { englishChrome } from './language';

/**
 * Bureau and school staff edit forms in Chinese, and parents and teachers fill them in in
 * Chinese: every palette entry, properties panel label, hint and button, every control of the
 * canvas and of the date picker is zh-CN. What the author wrote (labels, keys, option values,
 * FEEL) stays as written and is not checked; the bpmn.io attribution stays as its licence asks.
 */
const FORMS = [
  'enrolment-application', // groups, select, checkbox group, checkbox, date
  'plan-submission', // dynamic list, number, date and time, text area
  'incident-report', // tag list, radio group, date & time
];

/** Where a form on the editor's canvas shows what its author wrote. */
const AUTHORS_IN_CANVAS = [
  '.fjs-form-field-label',
  '.fjs-form-field-description',
  '.fjs-form-field-text > :not(.fjs-form-field-placeholder)', // a text view's markdown
  '.fjs-form-field-button .fjs-button',
  '.fjs-table-th',
]
  .map((s) => `.fjs-form-container .fjs-element ${s}`)
  .join(', ');

/** A text the author wrote rather than form-js: keys, FEEL, option values, the attribution. */
function isAuthorsText(text: string): boolean {
  return (
    /^=/.test(text) ||
    /^[a-z][A-Za-z0-9_]*$/.test(text) ||
    /^[a-z0-9]+(?:[-_.][a-z0-9]+)+$/.test(text) ||
    /bpmn\.io/.test(text)
  );
}

/**
 * Selects each field of the form open in the editor (the first is the form itself, whose
 * properties show while no field is), opens every group of its properties, and returns the
 * English left of the editor's own, with where it was seen (`form#field`). The canvas's fields
 * show the author's labels and texts, the panel's header and list items the author's names.
 */
async function englishOfEveryField(page: Page, form: string): Promise<[string, string][]> {
  const found: [string, string][] = [];
  const fields = page.locator('.fjs-editor-container .fjs-element');
  const count = await fields.count();
  for (let i = 0; i < count; i++) {
    const field = fields.nth(i);
    if ((await field.getAttribute('data-field-type')) !== 'default') {
      // a click event on the field itself: a click selects it, or unselects it if selected
      if (!(await field.getAttribute('class'))?.split(' ').includes('fjs-editor-selected'))
        await field.dispatchEvent('click');
      await page
        .locator(`.fjs-editor-selected[data-id="${await field.getAttribute('data-id')}"]`)
        .waitFor({ state: 'attached' });
    }
    await page.locator('.bio-properties-panel-header-type').waitFor();
    for (let round = 0; round < 3; round++) {
      const closed = page.locator('.bio-properties-panel-group-header:not(.open)');
      const n = await closed.count();
      if (n === 0) break;
      for (let k = 0; k < n; k++) await closed.first().click();
    }
    const texts = await englishChrome(
      page,
      '.fjs-palette-container, .fjs-editor-container, .fjs-properties-container',
      `${AUTHORS_IN_CANVAS}, .bio-properties-panel-header-label, .bio-properties-panel-collapsible-entry-header-title, .bio-properties-panel-list-entry-header-title`,
      isAuthorsText,
    );
    for (const text of texts) found.push([text, `${form}#${i}`]);
  }
  return found;
}

describe('forms in Chinese', () => {
  let w: WebHarness;

  beforeAll(async () => {
    w = await startWebHarness();
  }, 300_000);

  afterAll(async () => {
    await w?.close();
  });

  it('should show every palette, canvas and properties panel text of the form editor in Chinese', async () => {
    const page = await w.newPage(DESKTOP);
    await w.signIn(page, 'yh1.admin');
    const english = new Map<string, string>();
    for (const form of FORMS) {
      // given the school's version of a form open in the editor
      await page.goto(`/forms/${form}/school.school-yh1`);
      await page.locator('.fjs-editor-container .fjs-element').first().waitFor();

      // when each field is selected and every group of its properties is opened
      // then nothing of the editor's own is left in English
      for (const [text, where] of await englishOfEveryField(page, form))
        if (!english.has(text)) english.set(text, where);
    }
    await w.shot(page, 'form-editor-language');
    expect([...english]).toEqual([]);
  });

  it('should show the properties of every kind of field in Chinese', async () => {
    // given a form open in the editor
    const page = await w.newPage(DESKTOP);
    await w.signIn(page, 'yh1.admin');
    await page.goto('/forms/claim-request/school.school-yh1');
    await page.locator('.fjs-editor-container .fjs-element').first().waitFor();

    // when one field of every kind in the palette is added (Enter on a palette entry adds it
    // at the end), then each is selected and every group of its properties opened
    const entries = page.locator('.fjs-palette-field');
    const kinds = await entries.count();
    for (let i = 0; i < kinds; i++) {
      const before = await page.locator('.fjs-editor-container .fjs-element').count();
      await entries.nth(i).press('Enter');
      await page.locator('.fjs-editor-container .fjs-element').nth(before).waitFor();
    }

    // then nothing of the editor's own is left in English
    const english = new Map<string, string>();
    for (const [text, where] of await englishOfEveryField(page, 'claim-request'))
      if (!english.has(text)) english.set(text, where);
    await w.shot(page, 'form-editor-every-kind');
    expect([...english]).toEqual([]);
  });

  it('should start a field added from the palette with Chinese texts', async () => {
    // given a form open in the editor
    const page = await w.newPage(DESKTOP);
    await w.signIn(page, 'yh1.admin');
    await page.goto('/forms/claim-request/school.school-yh1');
    const elements = page.locator('.fjs-editor-container .fjs-element');
    await elements.first().waitFor();
    const existing = await elements.count();

    // when one field of every kind in the palette is added
    const entries = page.locator('.fjs-palette-field');
    const kinds = await entries.count();
    for (let i = 0; i < kinds; i++) {
      const before = await elements.count();
      await entries.nth(i).press('Enter');
      await elements.nth(before).waitFor();
    }

    // then their labels, texts, columns and options on the canvas are Chinese, not form-js's
    // English defaults (what the author then types is theirs)
    const added = await page.$$eval(
      '.fjs-editor-container .fjs-form-container .fjs-element',
      (els, from) =>
        els
          .slice(from)
          .map((el) => (el as { innerText?: string }).innerText ?? '')
          .join('\n'),
      existing,
    );
    const english = added
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /[A-Za-z]{3,}/.test(line) && !/[\u4e00-\u9fff]/.test(line))
      .filter((line) => !isAuthorsText(line));
    expect(english).toEqual([]);
    expect(added).toContain('文本框');
  });

  it("should show a parent the application form's controls and date picker in Chinese", async () => {
    // given a parent signed in
    const page = await w.newPage(DESKTOP);
    await w.signIn(page, '13900000008');

    // when she opens the application form and the date picker of its insurance end date
    await page.goto('/apply');
    await page.locator('.fjs-form').waitFor();
    await page.getByLabel('保险有效期至').click();
    await page.locator('.flatpickr-calendar.open').waitFor();

    await w.shot(page, 'form-date-picker');

    // then the calendar's months, weekdays and days are Chinese
    const calendar = page.locator('.flatpickr-calendar.open');
    await expect(calendar.locator('.flatpickr-weekday').first().textContent()).resolves.toMatch(
      /^\s*周[一日]\s*$/,
    );
    await expect(
      calendar.locator('.flatpickr-monthDropdown-month').first().textContent(),
    ).resolves.toMatch(/^[一二三四五六七八九十]+月$/);
    await expect(
      calendar.locator('.flatpickr-day').first().getAttribute('aria-label'),
    ).resolves.toMatch(/^\d{4}年\d{1,2}月\d{1,2}日$/);
    // and nothing else of the form's own is English
    expect(
      await englishChrome(
        page,
        '.fjs-form-container',
        '.fjs-form-field-label, .fjs-form-field-description, .fjs-form-field-text, .fjs-dropdownlist-item, .fjs-taglist-tag-label',
        isAuthorsText,
      ),
    ).toEqual([]);
  });
});
