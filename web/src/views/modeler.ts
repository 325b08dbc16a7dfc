import 'camunda-bpmn-js/dist/assets/camunda-cloud-modeler.css';
import 'camunda-bpmn-js/dist/assets/camunda-cloud-navigated-viewer.css';
import './modeler.css';
import Modeler from 'camunda-bpmn-js/lib/camunda-cloud/Modeler';
import NavigatedViewer from 'camunda-bpmn-js/lib/camunda-cloud/NavigatedViewer';
import { api, ApiError, describeError } from '../api';
import {
  placeName,
  type DiffResponse,
  type LintProblem,
  type Place,
  type VersionSummary,
} from '../catalog';
import { h, notice, replace, toast } from '../dom';
import { t } from '../i18n';
import { setLeaveGuard, type View } from '../router';
import { translatePanelChrome, zhTranslate } from './modeler-translate';
import { showCatalogList } from './catalog-list';
import { openAtPlace } from './open-at-place';
import { versionsPanel } from './versions-panel';

/** `GET /api/catalog/processes/:id/:place/versions/:version`. */
interface ProcessVersion extends VersionSummary {
  xml: string;
}

/** `POST …/lint`. */
interface LintReport {
  errors: LintProblem[];
  warnings: LintProblem[];
}

/** `POST …/versions` and `…/rollback`. */
interface DeployResponse {
  changed: boolean;
  version: VersionSummary;
  warnings: LintProblem[];
  /** Variants below (a city or county deploy) that the policy lint now refuses. */
  affectedVariants?: { place: Place; version: number; errors: LintProblem[] }[];
}

/** The diagram services the view uses (bpmn-js's injector hands them out untyped). */
interface Canvas {
  zoom(level: 'fit-viewport' | number, center?: 'auto'): number;
  addMarker(element: string, marker: string): void;
  removeMarker(element: string, marker: string): void;
  scrollToElement(element: unknown): void;
}
interface ElementRegistry {
  get(id: string): unknown;
}
interface Selection {
  select(element: unknown): void;
}
type Diagram = Modeler | NavigatedViewer;

const LINT_DELAY_MS = 500;

function canvasOf(d: Diagram): Canvas {
  return d.get<Canvas>('canvas');
}

function processPath(id: string, place: Place): string {
  return `/api/catalog/processes/${encodeURIComponent(id)}/${encodeURIComponent(place)}`;
}

/** The processes the person may tailor, each with the places it has versions at. */
export const modelerListView: View = (main, ctx) =>
  showCatalogList(main, ctx, {
    kind: 'processes',
    editorHref: '/modeler',
    title: t('modeler.title'),
    listTitle: t('modeler.list'),
    emptyText: t('modeler.empty'),
    // only the city's templates, named as the city names them
    isListed: (heads) => heads.some((x) => x.place === 'city'),
    nameOf: (heads) => heads.find((x) => x.place === 'city')?.name,
    showAuthor: true,
    linkOthers: true,
  });

/**
 * The Camunda 8 modeler (camunda-bpmn-js with its properties panel) on one process at one
 * place: the place's current version, or the nearest one above it for a new variant. The
 * server's policy lint runs as the diagram changes; deploying needs a comment; versions can be
 * compared (coloured on two diagrams) and rolled back.
 */
export const modelerView: View = async (main, ctx) => {
  const opened = await openAtPlace<ProcessVersion>(main, ctx, {
    kind: 'processes',
    listHref: '/modeler',
    title: t('modeler.title'),
    emptyText: t('modeler.empty'),
    sourceAttrs: { 'data-testid': 'modeler-source' },
  });
  if (!opened) return;
  const { id, place, back, heading, start, canSave: canDeploy, source, showSource } = opened;
  const base = processPath(id, place);
  let baseVersion = start.baseVersion;

  const canvasHost = h('div', {
    class: 'modeler-canvas',
    role: 'region',
    'aria-label': t('modeler.canvas'),
  });
  const propertiesHost = h('div', {
    class: 'modeler-properties',
    role: 'region',
    'aria-label': t('modeler.properties'),
  });
  const problemsList = h('ul', { class: 'problems-list' });
  const problemsStatus = h('p', { class: 'meta', role: 'status' }, t('modeler.linting'));
  const comment = h('textarea', {
    id: 'deploy-comment',
    rows: 2,
    maxlength: 500,
    placeholder: t('modeler.comment_hint'),
  });
  const deployStatus = h('div', { class: 'deploy-status' });
  const deployButton = h(
    'button',
    { type: 'submit', class: 'primary', 'data-action': 'deploy' },
    t('modeler.deploy'),
  );
  const versions = versionsPanel<ProcessVersion>({
    base,
    signal: ctx.signal,
    titleId: 'versions-title',
    emptyText: t('modeler.no_versions'),
    canRollback: canDeploy,
    rollbackQuestion: (v) => t('modeler.rollback_confirm', { v }),
    status: deployStatus,
    savedText: (v) => t('modeler.deployed', { v }),
    onDiff: (from, to) => void showDiff(from, to),
    onNewHead: (v) => {
      baseVersion = v;
    },
    load: (detail) => load(detail.xml),
    showSource: (v) => showSource(place, v),
  });
  const diffHost = h('section', { class: 'diff', 'aria-labelledby': 'diff-title', hidden: true });

  main.classList.add('wide');
  replace(
    main,
    back,
    heading,
    source,
    h('div', { class: 'modeler-layout' }, canvasHost, propertiesHost),
    h(
      'div',
      { class: 'modeler-side' },
      h(
        'section',
        { class: 'card problems', 'aria-labelledby': 'problems-title' },
        h('h2', { id: 'problems-title' }, t('modeler.problems')),
        problemsStatus,
        problemsList,
      ),
      canDeploy
        ? h(
            'form',
            {
              class: 'card deploy',
              onsubmit: (e: Event) => {
                e.preventDefault();
                void deploy();
              },
            },
            h('h2', {}, t('modeler.deploy_title')),
            h('label', { for: 'deploy-comment' }, t('modeler.comment')),
            comment,
            h('p', { class: 'actions' }, deployButton),
            deployStatus,
          )
        : h(
            'section',
            { class: 'card deploy' },
            h('h2', {}, t('modeler.deploy_title')),
            notice(t('modeler.read_only'), 'info'),
          ),
    ),
    versions.element,
    diffHost,
  );

  const modeler = new Modeler({
    container: canvasHost,
    propertiesPanel: { parent: propertiesHost },
    additionalModules: [zhTranslate],
  });
  const panelTranslator = translatePanelChrome(propertiesHost);
  const viewers: NavigatedViewer[] = [];
  let marked: string[] = [];
  let lintRun = 0;
  let lintTimer: ReturnType<typeof setTimeout> | undefined;
  let lastReport: LintReport | undefined;
  // edits since the diagram was loaded, deployed or rolled back
  let unsaved = false;
  setLeaveGuard(() => (unsaved ? t('modeler.leave_unsaved') : undefined));

  async function load(xml: string): Promise<void> {
    await modeler.importXML(xml);
    unsaved = false;
    canvasOf(modeler).zoom('fit-viewport', 'auto');
    scheduleLint(0);
  }

  function scheduleLint(delay = LINT_DELAY_MS): void {
    clearTimeout(lintTimer);
    problemsStatus.textContent = t('modeler.linting');
    lintTimer = setTimeout(() => void lint(), delay);
  }

  async function currentXml(): Promise<string> {
    const { xml } = await modeler.saveXML({ format: true });
    return xml ?? '';
  }

  async function lint(): Promise<LintReport | undefined> {
    const run = ++lintRun;
    let report: LintReport;
    try {
      report = await api<LintReport>('POST', `${base}/lint`, { xml: await currentXml() });
    } catch (err) {
      if (run !== lintRun || ctx.signal.aborted) return undefined;
      // a diagram the server cannot even read is one problem, on no element
      report = {
        errors: [
          {
            elementId: '',
            rule: err instanceof ApiError ? err.code : 'ERROR',
            lintRule: '',
            severity: 'error',
            message: describeError(err),
          },
        ],
        warnings: [],
      };
    }
    if (run !== lintRun || ctx.signal.aborted) return undefined;
    showProblems(report);
    return report;
  }

  function showProblems(report: LintReport): void {
    lastReport = report;
    const canvas = canvasOf(modeler);
    const registry = modeler.get<ElementRegistry>('elementRegistry');
    for (const m of marked) {
      canvas.removeMarker(m, 'lint-error');
      canvas.removeMarker(m, 'lint-warn');
    }
    marked = [];
    const all = [...report.errors, ...report.warnings];
    for (const p of all) {
      if (!p.elementId || !registry.get(p.elementId)) continue;
      canvas.addMarker(p.elementId, p.severity === 'error' ? 'lint-error' : 'lint-warn');
      marked.push(p.elementId);
    }
    problemsStatus.textContent = all.length
      ? t('modeler.problem_count', { e: report.errors.length, w: report.warnings.length })
      : t('modeler.no_problems');
    replace(
      problemsList,
      all.map((p) =>
        h(
          'li',
          { class: `problem problem-${p.severity}`, 'data-rule': p.rule },
          h('span', { class: 'severity' }, t(`modeler.severity.${p.severity}`)),
          ' ',
          p.elementId && registry.get(p.elementId)
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  onclick: () => {
                    const el = registry.get(p.elementId);
                    modeler.get<Selection>('selection').select(el);
                    canvas.scrollToElement(el);
                  },
                },
                p.elementId,
              )
            : null,
          ' ',
          h('span', { class: 'message' }, p.message),
          ' ',
          h('code', { class: 'rule' }, p.rule),
        ),
      ),
    );
  }

  async function deploy(): Promise<void> {
    const text = comment.value.trim();
    if (!text) {
      replace(deployStatus, notice(t('modeler.comment_required'), 'error'));
      comment.focus();
      return;
    }
    deployButton.disabled = true;
    replace(deployStatus, h('p', { class: 'meta', role: 'status' }, t('modeler.deploying')));
    try {
      const result = await api<DeployResponse>('POST', `${base}/versions`, {
        xml: await currentXml(),
        comment: text,
        baseVersion,
      });
      if (ctx.signal.aborted) return;
      unsaved = false;
      if (!result.changed) {
        replace(deployStatus, notice(t('modeler.unchanged'), 'info'));
        return;
      }
      baseVersion = result.version.version;
      comment.value = '';
      showSource(place, baseVersion);
      const affected = result.affectedVariants ?? [];
      replace(
        deployStatus,
        notice(t('modeler.deployed', { v: result.version.version }), 'ok'),
        affected.length
          ? notice(
              t('modeler.affected', {
                places: affected
                  .map((a) => `${placeName(a.place)} ${t('modeler.version', { v: a.version })}`)
                  .join('、'),
              }),
              'error',
            )
          : null,
      );
      toast(t('modeler.deployed', { v: result.version.version }));
      await versions.show();
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (err instanceof ApiError && err.code === 'POLICY_LINT_FAILED') {
        const errors = (err.problem.errors ?? []) as unknown as LintProblem[];
        showProblems({ errors, warnings: lastReport?.warnings ?? [] });
        replace(deployStatus, notice(`${t('modeler.blocked')} ${describeError(err)}`, 'error'));
      } else replace(deployStatus, notice(describeError(err), 'error'));
    } finally {
      deployButton.disabled = false;
    }
  }

  /** Two diagrams side by side: removed and changed elements on the older, added and changed on the newer. */
  async function showDiff(from: string, to: string): Promise<void> {
    let diff: DiffResponse;
    let older: ProcessVersion;
    let newer: ProcessVersion;
    try {
      diff = await api<DiffResponse>(
        'GET',
        `${base}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      );
      [older, newer] = await Promise.all([
        api<ProcessVersion>(
          'GET',
          `${processPath(id, diff.from.place)}/versions/${diff.from.version}`,
        ),
        api<ProcessVersion>('GET', `${processPath(id, diff.to.place)}/versions/${diff.to.version}`),
      ]);
    } catch (err) {
      diffHost.hidden = false;
      replace(diffHost, notice(describeError(err), 'error'));
      return;
    }
    if (ctx.signal.aborted) return;
    for (const v of viewers.splice(0)) v.destroy();
    const label = (r: { place: Place; version: number }) =>
      `${placeName(r.place)} ${t('modeler.version', { v: r.version })}`;
    const oldHost = h('div', { class: 'diff-canvas', role: 'img', 'aria-label': label(diff.from) });
    const newHost = h('div', { class: 'diff-canvas', role: 'img', 'aria-label': label(diff.to) });
    const { added, removed, changed } = diff.elements;
    const entry = (
      kind: 'added' | 'removed' | 'changed',
      e: { id: string; name?: string },
      more?: string,
    ) =>
      h(
        'li',
        { class: `diff-${kind}`, 'data-element': e.id },
        h('span', { class: 'badge' }, t(`modeler.diff_${kind}`)),
        ` ${e.name ?? ''} `,
        h('code', {}, e.id),
        more ? h('span', { class: 'meta' }, ` ${more}`) : null,
      );
    diffHost.hidden = false;
    replace(
      diffHost,
      h(
        'h2',
        { id: 'diff-title' },
        t('modeler.diff_between', { a: label(diff.from), b: label(diff.to) }),
      ),
      h(
        'p',
        { class: 'legend' },
        h('span', { class: 'diff-added' }, t('modeler.diff_added')),
        h('span', { class: 'diff-removed' }, t('modeler.diff_removed')),
        h('span', { class: 'diff-changed' }, t('modeler.diff_changed')),
      ),
      h(
        'div',
        { class: 'diff-canvases' },
        h('figure', {}, h('figcaption', {}, label(diff.from)), oldHost),
        h('figure', {}, h('figcaption', {}, label(diff.to)), newHost),
      ),
      added.length + removed.length + changed.length
        ? h(
            'ul',
            { class: 'diff-list' },
            added.map((e) => entry('added', e)),
            removed.map((e) => entry('removed', e)),
            changed.map((e) =>
              entry(
                'changed',
                e,
                e.attributes
                  .map((a) => `${a.name}: ${a.before ?? '∅'} → ${a.after ?? '∅'}`)
                  .join('；'),
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('modeler.diff_none')),
    );
    const render = async (host: HTMLElement, xml: string, marks: [string[], string][]) => {
      const viewer = new NavigatedViewer({ container: host });
      viewers.push(viewer);
      await viewer.importXML(xml);
      const canvas = canvasOf(viewer);
      const registry = viewer.get<ElementRegistry>('elementRegistry');
      canvas.zoom('fit-viewport', 'auto');
      for (const [ids, marker] of marks)
        for (const elementId of ids)
          if (registry.get(elementId)) canvas.addMarker(elementId, marker);
    };
    const changedIds = changed.map((e) => e.id);
    await render(oldHost, older.xml, [
      [removed.map((e) => e.id), 'diff-removed'],
      [changedIds, 'diff-changed'],
    ]);
    await render(newHost, newer.xml, [
      [added.map((e) => e.id), 'diff-added'],
      [changedIds, 'diff-changed'],
    ]);
    diffHost.scrollIntoView({ block: 'start' });
  }

  modeler.on('commandStack.changed', (e: { trigger?: string | null }) => {
    // `clear` is the import of a version, not an edit
    if (e.trigger !== 'clear') unsaved = true;
    scheduleLint();
  });
  try {
    await load(start.detail.xml);
  } catch (err) {
    replace(canvasHost, notice(describeError(err), 'error'));
  }
  await versions.show();

  return () => {
    clearTimeout(lintTimer);
    lintRun++;
    for (const v of viewers) v.destroy();
    panelTranslator.disconnect();
    modeler.destroy();
    main.classList.remove('wide');
  };
};
