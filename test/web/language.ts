import type { Page } from 'playwright-core';

/** NodeFilter.SHOW_TEXT (the test code is type-checked without the DOM library). */
const SHOW_TEXT = 4;

/**
 * The English texts, and `title`/`aria-label`/`placeholder` attributes, shown under the
 * elements matching `roots` — what a Chinese-speaking user would find untranslated. Text
 * under `authors` (names, labels and FEEL the author wrote; FEEL editors are always skipped)
 * is left out, and so is any text `isAuthorsText` calls the author's.
 */
export async function englishChrome(
  page: Page,
  roots: string,
  authors: string,
  isAuthorsText: (text: string) => boolean = () => false,
): Promise<string[]> {
  const texts = await page.$$eval(
    roots,
    (elements, { skip, showText }) => {
      const out: string[] = [];
      for (const root of elements) {
        const walker = root.ownerDocument.createTreeWalker(root, showText);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          if (n.parentElement?.closest(`.cm-editor, ${skip}`)) continue;
          const text = (n.textContent ?? '').trim();
          if (text) out.push(text);
        }
        for (const el of root.querySelectorAll('[title], [aria-label], [placeholder]')) {
          if (el.closest('.cm-editor')) continue;
          for (const attr of ['title', 'aria-label', 'placeholder']) {
            const value = el.getAttribute(attr)?.trim();
            if (value) out.push(value);
          }
        }
      }
      return out;
    },
    { skip: authors, showText: SHOW_TEXT },
  );
  return texts.filter(
    (t) => /[A-Za-z]{3,}/.test(t) && !/[\u4e00-\u9fff]/.test(t) && !isAuthorsText(t),
  );
}
