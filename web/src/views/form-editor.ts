import '@bpmn-io/form-js-editor/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js-editor/dist/assets/properties-panel.css';
import './modeler.css';
import { FormEditor } from '@bpmn-io/form-js-editor';
import { api, ApiError, describeError } from '../api';
import { type DiffResponse, placeName, type Place, type VersionSummary } from '../catalog';
import { h, notice, replace, toast } from '../dom';
import { mountForm, type FormSchema, type MountedForm } from '../form-view';
import { hasText, t } from '../i18n';
import { setLeaveGuard, type View } from '../router';
import { localizeNewFields, translateFormEditor } from './form-editor-translate';
import { showCatalogList } from './catalog-list';
import { openAtPlace } from './open-at-place';
import { versionsPanel } from './versions-panel';

/** `GET /api/catalog/forms/:id/:place/versions/:version`. */
interface FormVersion extends VersionSummary {
  schema: FormSchema;
}

/** `POST …/versions` and `…/rollback`. */
interface SaveResponse {
  changed: boolean;
  version: VersionSummary;
}

/** A user task or start event that links a form (`zeebe:formDefinition formId`). */
interface FormUse {
  processId: string;
  processName: string;
  place: Place;
  version: number;
  elementId: string;
  elementName: string;
}

/** `GET /api/catalog/forms/:id/usage`: per process version, the steps that link the form. */
interface FormUsage {
  items: {
    processId: string;
    processName?: string;
    place: Place;
    version: number;
    steps: { elementId: string; elementName?: string }[];
  }[];
}

const PREVIEW_DELAY_MS = 300;

function formPath(id: string, place: Place): string {
  return `/api/catalog/forms/${encodeURIComponent(id)}/${encodeURIComponent(place)}`;
}

/** The forms the person may tailor. */
export const formListView: View = (main, ctx) =>
  showCatalogList(main, ctx, {
    kind: 'forms',
    editorHref: '/forms',
    title: t('forms.title'),
    listTitle: t('forms.list'),
    emptyText: t('forms.empty'),
    nameOf: (heads) => heads.find((x) => x.name)?.name,
  });

/**
 * The form-js editor on one form at one place, with a live preview in the form-js viewer (as
 * parents and teachers will see it), saving versions with a comment, the versions so far, and
 * the process steps that link the form.
 */
export const formEditorView: View = async (main, ctx) => {
  const opened = await openAtPlace<FormVersion>(main, ctx, {
    kind: 'forms',
    listHref: '/forms',
    title: t('forms.title'),
    emptyText: t('forms.empty'),
  });
  if (!opened) return;
  const { id, place, back, heading, start, canSave, source, showSource } = opened;
  const base = formPath(id, place);
  let baseVersion = start.baseVersion;

  const editorHost = h('div', {
    class: 'form-editor-host',
    role: 'region',
    'aria-label': t('forms.editor'),
  });
  const previewHost = h('div', { class: 'form-preview-host' });
  const comment = h('textarea', {
    id: 'form-comment',
    rows: 2,
    maxlength: 500,
    placeholder: t('modeler.comment_hint'),
  });
  const saveStatus = h('div', { class: 'deploy-status' });
  const saveButton = h(
    'button',
    { type: 'submit', class: 'primary', 'data-action': 'save' },
    t('forms.save'),
  );
  const diffHost = h('section', {
    class: 'card diff form-diff',
    'aria-labelledby': 'form-diff-title',
    hidden: true,
  });
  const usesHost = h('div', { class: 'form-uses' });
  const checkStatus = h('p', { class: 'meta', role: 'status' }, t('modeler.linting'));
  const checkList = h('ul', { class: 'problems-list' });
  const versions = versionsPanel<FormVersion>({
    base,
    signal: ctx.signal,
    titleId: 'form-versions-title',
    emptyText: t('forms.no_versions'),
    canRollback: canSave,
    diffWithCurrent: true,
    rollbackQuestion: (v) => t('forms.rollback_confirm', { v }),
    status: saveStatus,
    savedText: (v) => t('forms.saved', { v }),
    onDiff: (from, to) => void showDiff(from, to),
    onNewHead: (v) => {
      baseVersion = v;
    },
    load: (detail) => load(detail.schema),
    showSource: (v) => showSource(place, v),
    redraw: showPreview,
  });

  main.classList.add('wide');
  replace(
    main,
    back,
    heading,
    source,
    h(
      'div',
      { class: 'form-editor-layout' },
      editorHost,
      h(
        'section',
        { class: 'card form-preview', 'aria-labelledby': 'preview-title' },
        h('h2', { id: 'preview-title' }, t('forms.preview')),
        previewHost,
      ),
    ),
    h(
      'div',
      { class: 'modeler-side' },
      h(
        'form',
        {
          class: 'card deploy',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void save();
          },
        },
        h('h2', {}, t('forms.save')),
        h('div', { class: 'form-problems' }, checkStatus, checkList),
        h('label', { for: 'form-comment' }, t('modeler.comment')),
        comment,
        h('p', { class: 'actions' }, saveButton),
        saveStatus,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'uses-title' },
        h('h2', { id: 'uses-title' }, t('forms.used_by')),
        usesHost,
      ),
    ),
    versions.element,
    diffHost,
  );

  const editor = new FormEditor({ container: editorHost });
  localizeNewFields(editor);
  const translator = translateFormEditor(editorHost);
  let preview: MountedForm | undefined;
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  // the schema as last loaded or saved: anything else on screen is unsaved
  let savedSchema = '';
  const currentSchema = () => JSON.stringify(editor.saveSchema());
  setLeaveGuard(() =>
    savedSchema && currentSchema() !== savedSchema ? t('forms.leave_unsaved') : undefined,
  );

  /** Shows `schema` in the editor as the saved state. */
  async function load(schema: FormSchema): Promise<void> {
    await editor.importSchema(schema);
    savedSchema = currentSchema();
  }

  let checkRun = 0;

  /** The server's checks of the schema as a save would run them, shown above the save button. */
  async function check(schema: FormSchema): Promise<void> {
    const run = ++checkRun;
    checkStatus.textContent = t('modeler.linting');
    let result: { valid: boolean; errors: { path: string; message: string }[] };
    try {
      result = await api('POST', `${base}/validate`, { schema });
    } catch (err) {
      result = { valid: false, errors: [{ path: '', message: describeError(err) }] };
    }
    if (run !== checkRun || ctx.signal.aborted) return;
    checkStatus.textContent = result.errors.length
      ? t('modeler.problem_count', { e: result.errors.length, w: 0 })
      : t('modeler.no_problems');
    replace(
      checkList,
      result.errors.map((e) =>
        h(
          'li',
          { class: 'problem problem-error' },
          h('span', { class: 'severity' }, t('modeler.severity.error')),
          ' ',
          e.path ? h('code', {}, e.path) : null,
          ' ',
          e.message,
        ),
      ),
    );
  }

  async function showPreview(): Promise<void> {
    const schema = editor.saveSchema() as FormSchema;
    void check(schema);
    preview?.destroy();
    preview = undefined;
    try {
      preview = await mountForm(previewHost, schema, {});
    } catch (err) {
      replace(previewHost, notice(describeError(err), 'error'));
    }
  }

  async function save(): Promise<void> {
    const text = comment.value.trim();
    if (!text) {
      replace(saveStatus, notice(t('modeler.comment_required'), 'error'));
      comment.focus();
      return;
    }
    saveButton.disabled = true;
    replace(saveStatus, h('p', { class: 'meta', role: 'status' }, t('forms.saving')));
    try {
      const schema = editor.saveSchema();
      const result = await api<SaveResponse>('POST', `${base}/versions`, {
        schema,
        comment: text,
        baseVersion,
      });
      if (ctx.signal.aborted) return;
      savedSchema = JSON.stringify(schema);
      if (!result.changed) {
        replace(saveStatus, notice(t('modeler.unchanged'), 'info'));
        return;
      }
      baseVersion = result.version.version;
      comment.value = '';
      showSource(place, baseVersion);
      replace(saveStatus, notice(t('forms.saved', { v: baseVersion }), 'ok'));
      toast(t('forms.saved', { v: baseVersion }));
      await versions.show();
    } catch (err) {
      if (ctx.signal.aborted) return;
      const fields =
        err instanceof ApiError && err.problem.errors?.length
          ? h(
              'ul',
              { class: 'problems-list' },
              err.problem.errors.map((e) =>
                h('li', { class: 'problem problem-error' }, h('code', {}, e.path), ' ', e.message),
              ),
            )
          : null;
      replace(saveStatus, notice(describeError(err), 'error'), fields);
    } finally {
      saveButton.disabled = false;
    }
  }

  /**
   * The fields of two versions compared: added, removed and changed (with each changed
   * property, old → new), from the server's diff of the schemas.
   */
  async function showDiff(from: string, to: string): Promise<void> {
    let diff: DiffResponse;
    try {
      diff = await api<DiffResponse>(
        'GET',
        `${base}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      );
    } catch (err) {
      diffHost.hidden = false;
      replace(diffHost, notice(describeError(err), 'error'));
      return;
    }
    if (ctx.signal.aborted) return;
    const label = (r: { place: Place; version: number }) =>
      `${placeName(r.place)} ${t('modeler.version', { v: r.version })}`;
    const { added, removed, changed } = diff.elements;
    const field = (e: { id: string; name?: string }) =>
      e.id === '(form)'
        ? [t('forms.diff_form')]
        : [e.name ? `${e.name} ` : '', h('code', {}, e.id)];
    const entry = (kind: 'added' | 'removed', e: { id: string; name?: string }) =>
      h(
        'li',
        { class: `diff-${kind}`, 'data-field': e.id },
        h('span', { class: 'badge' }, t(`modeler.diff_${kind}`)),
        ' ',
        ...field(e),
      );
    diffHost.hidden = false;
    replace(
      diffHost,
      h(
        'h2',
        { id: 'form-diff-title' },
        t('modeler.diff_between', { a: label(diff.from), b: label(diff.to) }),
      ),
      added.length + removed.length + changed.length
        ? h(
            'ul',
            { class: 'diff-list' },
            added.map((e) => entry('added', e)),
            removed.map((e) => entry('removed', e)),
            changed.map((e) =>
              h(
                'li',
                { class: 'diff-changed', 'data-field': e.id },
                h('span', { class: 'badge' }, t('modeler.diff_changed')),
                ' ',
                ...field(e),
                h(
                  'ul',
                  { class: 'diff-attributes' },
                  e.attributes.map((a) =>
                    h(
                      'li',
                      { 'data-attribute': a.name },
                      attributeName(a.name),
                      '：',
                      h('del', {}, readable(a.before)),
                      ' → ',
                      h('ins', {}, readable(a.after)),
                    ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('forms.diff_none')),
    );
    diffHost.scrollIntoView({ block: 'start' });
  }

  async function showUses(): Promise<void> {
    let uses: FormUse[];
    try {
      uses = await formUses(id, place);
    } catch (err) {
      replace(usesHost, notice(describeError(err), 'error'));
      return;
    }
    if (ctx.signal.aborted) return;
    replace(
      usesHost,
      uses.length
        ? h(
            'ul',
            { class: 'uses-list' },
            uses.map((u) =>
              h(
                'li',
                { 'data-element': u.elementId },
                h(
                  'a',
                  {
                    href: `/modeler/${encodeURIComponent(u.processId)}/${encodeURIComponent(place)}`,
                  },
                  u.processName,
                ),
                ` › ${u.elementName} `,
                h(
                  'span',
                  { class: 'meta' },
                  `（${placeName(u.place)} ${t('modeler.version', { v: u.version })}）`,
                ),
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('forms.not_used')),
    );
  }

  editor.on('changed', () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => void showPreview(), PREVIEW_DELAY_MS);
  });
  try {
    await load(start.detail.schema);
  } catch (err) {
    replace(editorHost, notice(describeError(err), 'error'));
  }
  await Promise.all([showPreview(), versions.show(), showUses()]);

  return () => {
    clearTimeout(previewTimer);
    checkRun++;
    translator.disconnect();
    preview?.destroy();
    editor.destroy();
    main.classList.remove('wide');
  };
};

// helpers //////////

/** A changed property as the diff names it: its name in the panel and its path. */
function attributeName(path: string): HTMLElement {
  const key = `forms.attr.${path}`;
  return hasText(key) ? h('span', {}, `${t(key)} `, h('code', {}, path)) : h('code', {}, path);
}

/** A property value of the server's diff (JSON text) as a person reads it; ∅ when unset. */
function readable(value: string | null): string {
  if (value === null) return '∅';
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'string') return parsed;
    if (typeof parsed === 'boolean') return t(parsed ? 'forms.yes' : 'forms.no');
  } catch {
    // not JSON: shown as it is
  }
  return value;
}

/**
 * The steps that link form `id` in the processes that run at `place`: for each process, the
 * version the place resolves to (its own, else the nearest above), as the server reads them.
 */
async function formUses(id: string, place: Place): Promise<FormUse[]> {
  const usage = await api<FormUsage>(
    'GET',
    `/api/catalog/forms/${encodeURIComponent(id)}/usage?place=${encodeURIComponent(place)}`,
  );
  return usage.items.flatMap((p) =>
    p.steps.map((step) => ({
      processId: p.processId,
      processName: p.processName ?? p.processId,
      place: p.place,
      version: p.version,
      elementId: step.elementId,
      elementName: step.elementName ?? step.elementId,
    })),
  );
}
