import './oversight.css';
import { api, describeError, query } from '../api';
import type { Diagram } from '../diagram';
import { h, notice, replace, toast } from '../dom';
import { formatTime, t, tOr } from '../i18n';
import { PROCESS_NAMES, processName } from '../processes';
import { navigate, type View } from '../router';

/** `GET /api/monitor/statistics`: one version of a process and its counts per element. */
interface VersionStatistics {
  processDefinitionKey: string;
  processId: string;
  processName: string;
  processVersion: number;
  tenantId: string;
  instances: { active: number; completed: number; terminated: number; withIncident: number };
  elements: { elementId: string; elementName: string; active: number; incidents: number }[];
}

interface CurrentStep {
  elementId: string;
  elementName: string;
  count: number;
  hasIncident: boolean;
}

/** An instance as the monitor lists it. */
interface InstanceSummary {
  key: string;
  processId: string;
  processName: string;
  processVersion: number;
  processDefinitionKey: string;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  hasIncident: boolean;
  startDate: string;
  endDate: string | null;
  currentSteps: CurrentStep[];
}

interface InstanceDetail extends InstanceSummary {
  actions: { retry: boolean };
}

interface TimelineEntry {
  at: string;
  text: string;
  events: { elementId: string; transition: 'ACTIVATED' | 'COMPLETED' | 'TERMINATED' }[];
}

interface Incident {
  key: string;
  elementId: string;
  elementName: string;
  errorType: string;
  errorMessage: string;
  state: 'ACTIVE' | 'RESOLVED';
  creationTime: string;
  jobRetries: number | null;
}

const loadDiagram = () => import('../diagram');

function tenantName(tenantId: string): string {
  if (tenantId.startsWith('school.')) return t('monitor.tenant.school');
  if (tenantId.startsWith('county.')) return t('monitor.tenant.county');
  return t('monitor.tenant.default');
}

function stateBadge(state: string): HTMLElement {
  return h(
    'span',
    { class: `status status-${state.toLowerCase()}`, 'data-state': state },
    tOr(`monitor.state.${state}`, state),
  );
}

/**
 * A process's diagram with, on each element, how many of the readable active instances stand
 * there and how many of those have an incident; below it, the instances themselves.
 */
export const monitorListView: View = async (main, ctx) => {
  let diagram: Diagram | undefined;
  const done = () => {
    diagram?.destroy();
    main.classList.remove('wide');
  };
  main.classList.add('wide');
  const process = ctx.query.get('process') ?? Object.keys(PROCESS_NAMES)[0]!;
  const state = ctx.query.get('state') ?? '';
  const page = Math.max(1, Number(ctx.query.get('page') ?? '1') || 1);
  const heading = h('h1', {}, t('monitor.title'));
  const go = (changes: Record<string, string>) => {
    const next = { process, state, ...changes };
    navigate(`/monitor${query(next)}`);
  };
  const processSelect = h(
    'select',
    {
      id: 'monitor-process',
      onchange: (e: Event) => go({ process: (e.target as HTMLSelectElement).value, page: '1' }),
    },
    Object.entries(PROCESS_NAMES).map(([id, name]) =>
      h('option', { value: id, selected: id === process }, name),
    ),
  );
  const stateSelect = h(
    'select',
    {
      id: 'monitor-state',
      onchange: (e: Event) => go({ state: (e.target as HTMLSelectElement).value, page: '1' }),
    },
    h('option', { value: '' }, t('monitor.all')),
    (['ACTIVE', 'COMPLETED', 'TERMINATED'] as const).map((s) =>
      h('option', { value: s, selected: s === state }, t(`monitor.state.${s}`)),
    ),
  );
  const filters = h(
    'div',
    { class: 'filters' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'monitor-process' }, t('monitor.process')),
      processSelect,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'monitor-state' }, t('monitor.filter_state')),
      stateSelect,
    ),
  );
  replace(main, heading, filters, h('p', {}, t('app.loading')));

  let stats: VersionStatistics[];
  let list: { items: InstanceSummary[]; total: number; size: number };
  try {
    [stats, list] = await Promise.all([
      api<{ items: VersionStatistics[] }>(
        'GET',
        `/api/monitor/statistics${query({ process })}`,
      ).then((r) => r.items),
      api<{ items: InstanceSummary[]; total: number; size: number }>(
        'GET',
        `/api/monitor/instances${query({ process, state, page, size: 20 })}`,
      ),
    ]);
  } catch (err) {
    replace(main, heading, filters, notice(describeError(err), 'error'));
    return done;
  }
  if (ctx.signal.aborted) return done;

  // the asked-for version, else the one most instances run on (a school's own variant, say)
  const busiest = [...stats].sort((a, b) => b.instances.active - a.instances.active)[0];
  const versionKey = ctx.query.get('version') ?? busiest?.processDefinitionKey;
  const current = stats.find((s) => s.processDefinitionKey === versionKey) ?? busiest;
  const diagramHost = h('div', {
    class: 'diagram',
    id: 'monitor-diagram',
    role: 'group',
    'aria-label': t('monitor.diagram'),
  });
  const diagramSection = current
    ? h(
        'section',
        { class: 'card', 'aria-labelledby': 'diagram-h' },
        h(
          'div',
          { class: 'section-head' },
          h('h2', { id: 'diagram-h' }, `${t('monitor.diagram')} · ${current.processName}`),
          stats.length > 1
            ? h(
                'label',
                {},
                `${t('monitor.version')} `,
                h(
                  'select',
                  {
                    id: 'monitor-version',
                    onchange: (e: Event) => go({ version: (e.target as HTMLSelectElement).value }),
                  },
                  stats.map((s) =>
                    h(
                      'option',
                      { value: s.processDefinitionKey, selected: s === current },
                      t('monitor.version_of', {
                        v: s.processVersion,
                        tenant: tenantName(s.tenantId),
                      }),
                    ),
                  ),
                ),
              )
            : h(
                'span',
                { class: 'meta' },
                t('monitor.version_of', {
                  v: current.processVersion,
                  tenant: tenantName(current.tenantId),
                }),
              ),
        ),
        h(
          'p',
          { class: 'meta', id: 'monitor-counts' },
          t('monitor.counts', {
            active: current.instances.active,
            completed: current.instances.completed,
            terminated: current.instances.terminated,
            incidents: current.instances.withIncident,
          }),
        ),
        diagramHost,
        h('p', { class: 'hint' }, t('monitor.diagram_hint')),
        h(
          'ul',
          { class: 'visually-hidden', id: 'monitor-element-counts' },
          current.elements.map((e) =>
            h(
              'li',
              {},
              `${e.elementName}：${t('monitor.active_here', { n: e.active })}${
                e.incidents ? `，${t('monitor.incident_here', { n: e.incidents })}` : ''
              }`,
            ),
          ),
        ),
      )
    : h('p', { class: 'empty' }, t('monitor.no_instances_of'));

  const pages = Math.max(1, Math.ceil(list.total / list.size));
  replace(
    main,
    heading,
    filters,
    diagramSection,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'instances-h' },
      h('h2', { id: 'instances-h' }, t('monitor.instances')),
      list.items.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'data' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  (['instance', 'state', 'steps', 'started', 'incident'] as const).map((c) =>
                    h('th', { scope: 'col' }, t(`monitor.col.${c}`)),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                list.items.map((i) =>
                  h(
                    'tr',
                    { 'data-key': i.key },
                    h('td', {}, h('a', { href: `/monitor/${i.key}` }, i.key)),
                    h('td', {}, stateBadge(i.state)),
                    h('td', {}, i.currentSteps.map((s) => s.elementName).join('、')),
                    h('td', {}, formatTime(i.startDate)),
                    h(
                      'td',
                      {},
                      i.hasIncident
                        ? h('span', { class: 'status status-incident' }, t('monitor.has_incident'))
                        : '',
                    ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('monitor.empty')),
      h(
        'nav',
        { class: 'pager', 'aria-label': t('monitor.instances') },
        h(
          'button',
          { type: 'button', disabled: page <= 1, onclick: () => go({ page: String(page - 1) }) },
          t('monitor.prev'),
        ),
        h('span', {}, t('monitor.page', { page, total: list.total })),
        h(
          'button',
          {
            type: 'button',
            disabled: page >= pages,
            onclick: () => go({ page: String(page + 1) }),
          },
          t('monitor.next'),
        ),
      ),
    ),
  );

  if (!current) return done;
  try {
    const [{ showDiagram }, def] = await Promise.all([
      loadDiagram(),
      api<{ xml: string }>('GET', `/api/monitor/definitions/${current.processDefinitionKey}`),
    ]);
    if (ctx.signal.aborted) return done;
    diagram = await showDiagram(diagramHost, def.xml);
    diagram.badges(
      current.elements.flatMap((e) => [
        ...(e.active
          ? [
              {
                elementId: e.elementId,
                text: String(e.active),
                kind: 'active' as const,
                label: `${e.elementName}：${t('monitor.active_here', { n: e.active })}`,
              },
            ]
          : []),
        ...(e.incidents
          ? [
              {
                elementId: e.elementId,
                text: String(e.incidents),
                kind: 'incident' as const,
                label: `${e.elementName}：${t('monitor.incident_here', { n: e.incidents })}`,
              },
            ]
          : []),
      ]),
    );
  } catch (err) {
    diagramHost.replaceWith(
      notice(t('monitor.diagram_failed', { error: describeError(err) }), 'error'),
    );
  }
  return done;
};

/** One instance: its path on the diagram, its history, its incidents and retrying them. */
export const monitorInstanceView: View = async (main, ctx) => {
  let diagram: Diagram | undefined;
  const done = () => {
    diagram?.destroy();
    main.classList.remove('wide');
  };
  main.classList.add('wide');
  const key = ctx.params.key!;
  const back = h('p', { class: 'back' }, h('a', { href: '/monitor' }, `‹ ${t('monitor.back')}`));
  replace(main, back, h('p', {}, t('app.loading')));
  let detail: InstanceDetail;
  let timeline: TimelineEntry[];
  let incidents: Incident[];
  try {
    [detail, timeline, incidents] = await Promise.all([
      api<InstanceDetail>('GET', `/api/monitor/instances/${encodeURIComponent(key)}`),
      api<{ entries: TimelineEntry[] }>(
        'GET',
        `/api/monitor/instances/${encodeURIComponent(key)}/timeline`,
      ).then((r) => r.entries),
      api<{ items: Incident[] }>(
        'GET',
        `/api/monitor/instances/${encodeURIComponent(key)}/incidents`,
      ).then((r) => r.items),
    ]);
  } catch (err) {
    replace(main, back, h('h1', {}, t('app.error')), notice(describeError(err), 'error'));
    return done;
  }
  if (ctx.signal.aborted) return done;

  const diagramHost = h('div', {
    class: 'diagram',
    id: 'instance-diagram',
    role: 'group',
    'aria-label': t('monitor.path'),
  });
  const status = h('div', { class: 'form-status' });
  const retry = (inc: Incident) =>
    h(
      'button',
      {
        type: 'button',
        class: 'primary',
        'data-action': 'retry',
        onclick: (e: Event) => {
          const button = e.currentTarget as HTMLButtonElement;
          button.disabled = true;
          void api('POST', `/api/monitor/incidents/${inc.key}/retry`, { retries: 1 }).then(
            () => {
              toast(t('monitor.retried'));
              navigate(`/monitor/${encodeURIComponent(key)}`, { replace: true });
            },
            (err: unknown) => {
              button.disabled = false;
              replace(status, notice(describeError(err), 'error'));
            },
          );
        },
      },
      t('monitor.retry'),
    );

  replace(
    main,
    back,
    h(
      'h1',
      {},
      t('monitor.instance_title', { name: detail.processName, key }),
      ' ',
      stateBadge(detail.state),
    ),
    h(
      'p',
      { class: 'meta' },
      h('span', {}, t('monitor.started', { at: formatTime(detail.startDate) })),
      h(
        'span',
        {},
        `${processName(detail.processId)} · ${t('monitor.version')} ${detail.processVersion}`,
      ),
    ),
    detail.currentSteps.length
      ? h(
          'p',
          { class: 'current' },
          `${t('monitor.col.steps')}：${detail.currentSteps.map((s) => s.elementName).join('、')}`,
        )
      : null,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'path-h' },
      h('h2', { id: 'path-h' }, t('monitor.path')),
      diagramHost,
      h(
        'ul',
        { class: 'legend' },
        (['done', 'active', 'incident'] as const).map((k) =>
          h(
            'li',
            {},
            h('span', { class: `swatch swatch-${k}`, 'aria-hidden': 'true' }),
            t(`monitor.legend.${k}`),
          ),
        ),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'incidents-h' },
      h('h2', { id: 'incidents-h' }, t('monitor.incidents')),
      incidents.length
        ? h(
            'ul',
            { class: 'incident-list' },
            incidents.map((inc) =>
              h(
                'li',
                { 'data-incident': inc.key, 'data-state': inc.state },
                h(
                  'strong',
                  {},
                  t('monitor.incident_line', {
                    element: inc.elementName,
                    message: inc.errorMessage,
                  }),
                ),
                ' ',
                h(
                  'span',
                  { class: `status status-${inc.state.toLowerCase()}` },
                  t(`monitor.incident_state.${inc.state}`),
                ),
                h(
                  'p',
                  { class: 'meta' },
                  h('span', {}, formatTime(inc.creationTime)),
                  h('span', {}, inc.errorType),
                  inc.jobRetries !== null
                    ? h('span', {}, t('monitor.retries_left', { n: inc.jobRetries }))
                    : null,
                ),
                inc.state === 'ACTIVE' && detail.actions.retry ? retry(inc) : null,
              ),
            ),
          )
        : h('p', { class: 'empty' }, t('monitor.no_incidents')),
      status,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'timeline-h' },
      h('h2', { id: 'timeline-h' }, t('monitor.timeline')),
      h(
        'ol',
        { class: 'timeline' },
        timeline.map((e) => h('li', {}, h('time', {}, formatTime(e.at)), ' ', e.text)),
      ),
    ),
  );

  try {
    const [{ showDiagram }, def] = await Promise.all([
      loadDiagram(),
      api<{ xml: string }>('GET', `/api/monitor/definitions/${detail.processDefinitionKey}`),
    ]);
    if (ctx.signal.aborted) return done;
    diagram = await showDiagram(diagramHost, def.xml);
    const completed = new Set<string>();
    for (const entry of timeline)
      for (const ev of entry.events) if (ev.transition === 'COMPLETED') completed.add(ev.elementId);
    const active = detail.currentSteps.filter((s) => !s.hasIncident).map((s) => s.elementId);
    const failed = [
      ...new Set([
        ...detail.currentSteps.filter((s) => s.hasIncident).map((s) => s.elementId),
        ...incidents.filter((i) => i.state === 'ACTIVE').map((i) => i.elementId),
      ]),
    ];
    diagram.mark([...completed], 'path-done');
    diagram.mark(active, 'path-active');
    diagram.mark(failed, 'path-incident');
  } catch (err) {
    diagramHost.replaceWith(
      notice(t('monitor.diagram_failed', { error: describeError(err) }), 'error'),
    );
  }
  return done;
};
