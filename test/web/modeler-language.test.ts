import type { Page } from 'playwright-core';
import { DESKTOP, startWebHarness, type WebHarness } from './harness';
import { englishChrome } from './language';

/**
 * Bureau and school staff edit processes in Chinese: every label, header, button and hint the
 * modeler shows around the diagram is zh-CN. What the author wrote (variable names, FEEL,
 * message names) stays as written and is not checked.
 */
const PLACES: { process: string; elements: string[] }[] = [
  {
    process: 'after-school-enrolment',
    elements: [
      'ApplicationSubmitted', // start event
      'CheckEligibility', // exclusive gateway
      'CheckInsurance', // service task: task definition, headers, inputs and outputs
      'ClassReview', // user task: assignment, form, outputs
      'SchoolApprovalOverdue', // non-interrupting timer boundary event
      'FeeRefused', // error boundary event
      'WaitForPlace', // event-based gateway
      'PlaceAvailable', // message catch event
      'InService', // timer catch event
      'Withdrawal', // event sub-process
      'Flow_ToRefundFee', // sequence flow with a condition
      'CoReviewEscalated', // end event
    ],
  },
  { process: 'monthly-billing', elements: ['MonthStarted', 'BillSchool'] },
  { process: 'safety-incident', elements: ['InsuranceClaim'] },
];

/** A text the author wrote rather than the modeler: identifiers, quoted FEEL strings, keywords. */
function isAuthorsText(text: string): boolean {
  return (
    /^"[^"]*"$/.test(text) ||
    /^[a-z][A-Za-z0-9]*$/.test(text) ||
    /^[a-z0-9]+(?:-[a-z0-9]+)+$/.test(text) ||
    /^kehou:/.test(text)
  );
}

describe('the modeler in Chinese', () => {
  let w: WebHarness;
  let page: Page;

  beforeAll(async () => {
    w = await startWebHarness();
    page = await w.newPage(DESKTOP);
    await w.signIn(page, 'yh1.admin');
  }, 300_000);

  afterAll(async () => {
    await w?.close();
  });

  it('should show every palette, context pad and properties panel text in Chinese', async () => {
    const english = new Map<string, string>();
    for (const { process, elements } of PLACES) {
      // given the school's version of a process open in the modeler
      await page.goto(`/modeler/${process}/school.school-yh1`);
      await page.locator(`.modeler-canvas [data-element-id="${elements[0]}"]`).waitFor();

      for (const id of elements) {
        // when an element is selected and every group of its properties is opened
        // (a click event on the shape itself: the previous element's context pad may cover it)
        await page
          .locator(`.modeler-canvas [data-element-id="${id}"]`)
          .first()
          .dispatchEvent('click');
        await page
          .locator(`.djs-element.selected[data-element-id="${id}"]`)
          .waitFor({ state: 'attached' });
        await page
          .locator(`.bio-properties-panel-header[title], .bio-properties-panel-header`)
          .first()
          .waitFor();
        for (let round = 0; round < 3; round++) {
          const closed = page.locator('.bio-properties-panel-group-header:not(.open)');
          const count = await closed.count();
          if (count === 0) break;
          for (let i = 0; i < count; i++) await closed.first().click();
        }

        // then nothing of the modeler's own is left in English
        const texts = await englishChrome(
          page,
          '.bio-properties-panel, .djs-palette, .djs-context-pad',
          // list items' titles show the author's names
          '.bio-properties-panel-collapsible-entry-header-title, .bio-properties-panel-list-entry-header-title',
          isAuthorsText,
        );
        for (const text of texts) if (!english.has(text)) english.set(text, `${process}#${id}`);
      }
    }
    expect([...english]).toEqual([]);
  });
});
