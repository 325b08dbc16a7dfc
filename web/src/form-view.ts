import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';
import '@bpmn-io/form-js-viewer/dist/assets/flatpickr/light.css';
import { Form } from '@bpmn-io/form-js-viewer';
import type { FieldProblem } from './api';

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

/** form-js spells a few words in English only; the app shows them in zh-CN. */
const FORM_JS_WORDS: Record<string, string> = { Select: '请选择', Search: '搜索' };

function translateFormJs(container: HTMLElement): MutationObserver {
  const fix = () => {
    // the text node itself, which preact keeps and updates, so a chosen value still shows
    container.querySelectorAll('.fjs-select-placeholder').forEach((el) => {
      const text = el.firstChild;
      const zh =
        text?.nodeType === Node.TEXT_NODE ? FORM_JS_WORDS[text.nodeValue ?? ''] : undefined;
      if (text && zh) text.nodeValue = zh;
    });
    container.querySelectorAll<HTMLInputElement>('input[placeholder]').forEach((el) => {
      const zh = FORM_JS_WORDS[el.placeholder];
      if (zh) el.placeholder = zh;
    });
  };
  fix();
  const observer = new MutationObserver(fix);
  observer.observe(container, { subtree: true, childList: true, characterData: true });
  return observer;
}
