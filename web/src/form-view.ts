import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';
import '@bpmn-io/form-js-viewer/dist/assets/flatpickr/light.css';
import { Form } from '@bpmn-io/form-js-viewer';
import flatpickr from 'flatpickr';
import { Mandarin } from 'flatpickr/dist/l10n/zh';
import type { FieldProblem } from './api';
import { translateChrome } from './translate-chrome';

// form-js gives its date picker (flatpickr) no locale, so flatpickr's defaults are set to zh-CN:
// months, weekdays (from Monday), the labels of its controls and of each day
flatpickr.localize({
  ...Mandarin,
  firstDayOfWeek: 1,
  monthAriaLabel: '月份',
  yearAriaLabel: '年份',
  hourAriaLabel: '时',
  minuteAriaLabel: '分',
  time_24hr: true,
});
flatpickr.setDefaults({ ariaDateFormat: 'Y年n月j日' });

/** A form-js schema as the server stores it. */
export type FormSchema = Record<string, unknown> & { components?: unknown[] };

interface FieldInstance {
  id: string;
  valuePath: (string | number)[];
  indexes?: Record<string, number>;
}

/** A mounted form-js viewer with the extras the app needs. */
export interface MountedForm {
  form: Form;
  /** Validates in the browser; the values and the errors form-js found. */
  submit(): { data: Record<string, unknown>; errors: Record<string, unknown> };
  /** The current values, without validating (for drafts). */
  values(): Record<string, unknown>;
  /** Shows the server's field errors on their fields; returns those no field matched. */
  showServerErrors(problems: FieldProblem[]): FieldProblem[];
  destroy(): void;
}

/**
 * Renders a form-js schema with the form-js viewer (the bpmn.io watermark stays, as its licence
 * asks). `readOnly` shows the values without letting anyone change them.
 */
export async function mountForm(
  container: HTMLElement,
  schema: FormSchema,
  data: Record<string, unknown>,
  options: { readOnly?: boolean } = {},
): Promise<MountedForm> {
  const form = new Form({ container, properties: { readOnly: Boolean(options.readOnly) } });
  await form.importSchema(schema as never, data);
  const translator = translateFormJs(container);
  return {
    form,
    submit() {
      const { data: values, errors } = form.submit();
      return { data: values as Record<string, unknown>, errors: errors as Record<string, unknown> };
    },
    values() {
      return form._getState().data as Record<string, unknown>;
    },
    showServerErrors(problems) {
      const registry = form.get<{ getAllKeyed(): FieldInstance[] }>('formFieldInstanceRegistry');
      const byPath = new Map(registry.getAllKeyed().map((f) => [f.valuePath.join('.'), f]));
      const errors: Record<string, unknown> = {};
      const unmatched: FieldProblem[] = [];
      for (const p of problems) {
        const field = byPath.get(p.path);
        if (!field) {
          unmatched.push(p);
          continue;
        }
        const indexes = Object.values(field.indexes ?? {});
        let at: Record<string, unknown> = errors;
        for (const key of [field.id, ...indexes.slice(0, -1)]) {
          at = (at[String(key)] ??= {}) as Record<string, unknown>;
        }
        const last = indexes.length ? String(indexes[indexes.length - 1]) : field.id;
        if (!indexes.length) errors[field.id] = [p.message];
        else at[last] = [p.message];
      }
      form._setState({ errors });
      container
        .querySelector('.fjs-has-errors, [aria-invalid="true"]')
        ?.scrollIntoView({ block: 'center' });
      return unmatched;
    },
    destroy() {
      translator.disconnect();
      form.destroy();
    },
  };
}

// helpers //////////

/**
 * form-js's own words in a form (its controls, not the author's labels), in zh-CN; the date
 * picker's are flatpickr's (above).
 */
export const FORM_JS_WORDS: Record<string, string> = {
  Select: '请选择',
  Search: '搜索',
  'No results': '无匹配项',
  'All values selected': '已全部选择',
  'Remove tag': '移除',
  'Skip to search': '跳到搜索',
  Increment: '增加',
  Decrement: '减少',
  'Add new': '添加',
  Browse: '选择文件',
  'No files selected': '未选择文件',
  'Nothing to show.': '暂无内容。',
  'Previous page': '上一页',
  'Next page': '下一页',
  'yyyy/mm/dd': '年/月/日',
  'hh:mm': '时:分',
  'hh:mm --': '时:分 --',
  'No content to show.': '没有可显示的内容。',
  "External content couldn't be loaded.": '无法加载外部内容。',
};

/** Where form-js shows its own words in a form: everything else is the author's. */
const FORM_JS_CHROME =
  '.fjs-select-placeholder, .fjs-dropdownlist-empty, .fjs-repeat-render-add, .fjs-filepicker-button, .fjs-filepicker-container > .fjs-form-field-label, .fjs-table-td, .fjs-iframe-placeholder-text';

/** Whether a text under `parent` is form-js's own (a control) rather than the author's. */
export function isFormJsChrome(parent: Element): boolean {
  return parent.closest(FORM_JS_CHROME) !== null;
}

/** `3 files selected` → `已选择 3 个文件`. */
function filesSelected(text: string): string | undefined {
  const m = /^(\d+) files selected$/.exec(text);
  return m ? `已选择 ${m[1]} 个文件` : undefined;
}

/**
 * Rewrites form-js's English in the form under `container` (the text node itself, which preact
 * keeps and updates, so a chosen value still shows).
 */
function translateFormJs(container: HTMLElement): MutationObserver {
  return translateChrome(container, {
    text: (text, parent) =>
      isFormJsChrome(parent) ? (FORM_JS_WORDS[text] ?? filesSelected(text)) : undefined,
    // an iframe's title is the label the author gave it
    attribute: (value, el) => (el.tagName === 'IFRAME' ? undefined : FORM_JS_WORDS[value]),
    attributes: ['title', 'aria-label', 'placeholder'],
  });
}
