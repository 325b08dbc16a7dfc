import './oversight.css';
import { api, ApiError, describeError, query } from '../api';
import { h, notice, replace, toast } from '../dom';
import { formatTime, t } from '../i18n';
import { navigate, type View } from '../router';

/** `GET /api/dashboard` (server/modules/dashboard/dashboard.schema.ts). */
interface DashboardRow {
  level: 'school' | 'county' | 'city';
  countyId: string | null;
  countyName: string;
  schoolId: string | null;
  schoolName: string;
  applications: Record<string, number>;
  participationRate: number | null;
  priorityShare: number | null;
  billedFen: number;
  paidFen: number;
  spending: Record<string, number>;
  incidents: Record<string, number>;
  plansFiled: number;
  plansMissing: number;
}

interface DashboardTable {
  key: string;
  title: string;
  columns: { key: string; label: string; kind: 'text' | 'int' | 'yuan' | 'percent' }[];
  rows: { level: 'school' | 'county' | 'city'; cells: (string | number | null)[] }[];
}

interface Dashboard {
  term: string | null;
  generatedAt: string;
  rows: DashboardRow[];
  tables: DashboardTable[];
}

/** One series of a bar chart: its name, colour and value per row. */
interface Series {
  name: string;
  color: string;
  values: number[];
}

const APPLICATION_STATES: [string, string][] = [
  ['submitted', '#c98a00'],
  ['placed', '#3b8c5a'],
  ['waiting', '#e0b84c'],
  ['enrolled', '#1e6b34'],
  ['refused', '#b3261e'],
  ['rejected', '#7a1711'],
  ['withdrawn', '#8a94a3'],
  ['failed', '#4f5761'],
];
const SEVERITIES: [string, string][] = [
  ['minor', '#8fb3e8'],
  ['moderate', '#e0b84c'],
  ['serious', '#d9631e'],
  ['critical', '#b3261e'],
];
const SPENDING: [string, string][] = [
  ['staff-allowance', '#1d56b3'],
  ['consumables', '#3b8c5a'],
  ['venue-upkeep', '#c98a00'],
  ['bought-in-services', '#7b4bb3'],
];

/** The bureau dashboard: charts per school, the tables, and their Excel exports. */
export const dashboardView: View = async (main, ctx) => {
  const countyId = ctx.query.get('countyId') ?? '';
  const term = ctx.query.get('term') ?? '';
  const heading = h('h1', {}, t('dashboard.title'));
  replace(main, heading, h('p', {}, t('app.loading')));
  let d: Dashboard;
  try {
    d = await api<Dashboard>('GET', `/api/dashboard${query({ countyId, term })}`);
  } catch (err) {
    replace(main, heading, notice(describeError(err), 'error'));
    return;
  }
  if (ctx.signal.aborted) return;
  const progress = h('div', { class: 'export-progress', id: 'export-progress' });
  const filter = { countyId, term };
  const exportButton = (path: string, label: string, name: string) =>
    h(
      'button',
      {
        type: 'button',
        class: 'button',
        'data-export': path,
        onclick: (e: Event) =>
          void download(
            e.currentTarget as HTMLButtonElement,
            `${path}${query(filter)}`,
            name,
            progress,
          ),
      },
      label,
    );
  const tableHead = d.tables[0]?.columns.slice(0, 2) ?? [];
  const schools = d.rows.filter((r) => r.level === 'school');
  const counties = [
    ...new Map(d.rows.filter((r) => r.countyId).map((r) => [r.countyId!, r.countyName])).entries(),
  ];

  replace(
    main,
    heading,
    h(
      'p',
      { class: 'lead' },
      t('dashboard.lead', { term: d.term ?? '', at: formatTime(d.generatedAt) }),
    ),
    h(
      'form',
      {
        class: 'filters dashboard-filters',
        role: 'search',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const form = e.currentTarget as HTMLFormElement;
          const data = new FormData(form);
          navigate(
            `/dashboard${query({ countyId: String(data.get('countyId') ?? ''), term: String(data.get('term') ?? '') })}`,
          );
        },
      },
      counties.length > 1 || countyId
        ? h(
            'div',
            { class: 'field' },
            h('label', { for: 'dash-county' }, t('dashboard.filter_county')),
            h(
              'select',
              { id: 'dash-county', name: 'countyId' },
              h('option', { value: '' }, t('dashboard.all_counties')),
              counties.map(([id, name]) =>
                h('option', { value: id, selected: id === countyId }, name),
              ),
            ),
          )
        : null,
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'dash-term' }, t('dashboard.filter_term')),
        h('input', {
          id: 'dash-term',
          name: 'term',
          value: d.term ?? '',
          pattern: '[A-Za-z0-9._-]{1,40}',
        }),
      ),
      h('div', { class: 'field' }, h('button', { type: 'submit' }, t('dashboard.filter_apply'))),
    ),
    h(
      'div',
      { class: 'export-bar' },
      exportButton('/api/dashboard/export/all', t('dashboard.export_all'), '课后服务数据看板.xlsx'),
      exportButton(
        '/api/dashboard/annex/1',
        t('dashboard.annex1'),
        '附件1 企业微信平台管理员信息表.xlsx',
      ),
      exportButton(
        '/api/dashboard/annex/2',
        t('dashboard.annex2'),
        '附件2 学校教师信息登记表.xlsx',
      ),
      progress,
    ),
    h(
      'section',
      { 'aria-labelledby': 'charts-h' },
      h('h2', { id: 'charts-h' }, t('dashboard.charts')),
      h(
        'div',
        { class: 'charts' },
        chart(
          'chart-applications',
          t('dashboard.chart.applications'),
          schools,
          APPLICATION_STATES.map(([s, color]) => ({
            name: tableLabel(d, 'applications', s),
            color,
            values: schools.map((r) => r.applications[s] ?? 0),
          })),
          { stacked: true },
        ),
        chart(
          'chart-participation',
          t('dashboard.chart.participation'),
          schools,
          [
            {
              name: t('dashboard.series.participation'),
              color: '#1d56b3',
              values: schools.map((r) => r.participationRate ?? 0),
            },
            {
              name: t('dashboard.series.priority'),
              color: '#3b8c5a',
              values: schools.map((r) => r.priorityShare ?? 0),
            },
          ],
          { percent: true },
        ),
        chart(
          'chart-fees',
          t('dashboard.chart.fees'),
          schools,
          [
            {
              name: t('dashboard.series.billed'),
              color: '#8a94a3',
              values: schools.map((r) => r.billedFen / 100),
            },
            {
              name: t('dashboard.series.paid'),
              color: '#1e6b34',
              values: schools.map((r) => r.paidFen / 100),
            },
          ],
          {},
        ),
        chart(
          'chart-spending',
          t('dashboard.chart.spending'),
          schools,
          SPENDING.map(([c, color]) => ({
            name: tableLabel(d, 'spending', c).replace('（元）', ''),
            color,
            values: schools.map((r) => (r.spending[c] ?? 0) / 100),
          })),
          { stacked: true },
        ),
        chart(
          'chart-incidents',
          t('dashboard.chart.incidents'),
          schools,
          SEVERITIES.map(([s, color]) => ({
            name: tableLabel(d, 'incidents', s),
            color,
            values: schools.map((r) => r.incidents[s] ?? 0),
          })),
          { stacked: true },
        ),
        chart(
          'chart-plans',
          t('dashboard.chart.plans'),
          schools,
          [
            {
              name: tableLabel(d, 'plans', 'filed'),
              color: '#1e6b34',
              values: schools.map((r) => r.plansFiled),
            },
            {
              name: tableLabel(d, 'plans', 'missing'),
              color: '#b3261e',
              values: schools.map((r) => r.plansMissing),
            },
          ],
          { stacked: true },
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'tables-h' },
      h('h2', { id: 'tables-h' }, t('dashboard.tables')),
      d.tables.map((table) =>
        h(
          'section',
          {
            class: 'card dashboard-table',
            'data-table': table.key,
            'aria-labelledby': `table-${table.key}`,
          },
          h(
            'div',
            { class: 'section-head' },
            h('h3', { id: `table-${table.key}` }, table.title),
            exportButton(
              `/api/dashboard/export/${table.key}`,
              t('dashboard.export_table', { title: table.title }),
              `${table.title}.xlsx`,
            ),
          ),
          h(
            'div',
            {
              class: 'table-wrap',
              tabindex: '0',
              role: 'region',
              'aria-labelledby': `table-${table.key}`,
            },
            h(
              'table',
              { class: 'data' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  table.columns.map((c) =>
                    h(
                      'th',
                      { scope: 'col', class: c.kind === 'text' ? undefined : 'num' },
                      c.label,
                    ),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                table.rows.map((r) =>
                  h(
                    'tr',
                    { class: `row-${r.level}` },
                    r.cells.map((cell, i) => {
                      const c = table.columns[i]!;
                      const text = formatCell(cell, c.kind);
                      return i < tableHead.length
                        ? h('th', { scope: 'row' }, text)
                        : h('td', { class: c.kind === 'text' ? undefined : 'num' }, text);
                    }),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
};

// helpers //////////

/** A column's label in one of the server's tables (so charts and tables say the same). */
function tableLabel(d: Dashboard, table: string, column: string): string {
  return (
    d.tables.find((x) => x.key === table)?.columns.find((c) => c.key === column)?.label ?? column
  );
}

function formatCell(
  cell: string | number | null,
  kind: DashboardTable['columns'][number]['kind'],
): string {
  if (cell === null || cell === '') return kind === 'percent' ? '—' : '';
  if (typeof cell === 'string') return cell;
  if (kind === 'percent') return `${(cell * 100).toFixed(1)}%`;
  if (kind === 'yuan') return cell.toFixed(2);
  return String(cell);
}

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/**
 * A horizontal bar chart in plain SVG, one band per school: stacked series (states,
 * categories) or side by side (billed and paid, two rates). Its figures are also in the
 * tables below, so the chart is an image with a title for screen readers.
 */
function chart(
  id: string,
  title: string,
  rows: DashboardRow[],
  series: Series[],
  opts: { stacked?: boolean; percent?: boolean },
): HTMLElement {
  const labelWidth = 170;
  const width = 560;
  const plot = width - labelWidth - 60;
  const band = opts.stacked ? 26 : 14 * series.length + 8;
  const height = rows.length * band + 8;
  const totals = rows.map((_, i) =>
    opts.stacked
      ? series.reduce((s, x) => s + (x.values[i] ?? 0), 0)
      : Math.max(...series.map((x) => x.values[i] ?? 0)),
  );
  const max = opts.percent ? 1 : Math.max(1, ...totals);
  const scale = (v: number) => (v / max) * plot;
  const fmt = (v: number) =>
    opts.percent ? `${Math.round(v * 100)}%` : Number.isInteger(v) ? String(v) : v.toFixed(2);
  const bars: SVGElement[] = [];
  rows.forEach((r, i) => {
    const y = i * band + 4;
    bars.push(
      svg(
        'text',
        {
          x: labelWidth - 6,
          y: y + band / 2,
          'text-anchor': 'end',
          'dominant-baseline': 'middle',
          class: 'chart-label',
        },
        r.schoolName,
      ),
    );
    let x = labelWidth;
    series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      const w = scale(v);
      if (opts.stacked) {
        if (w > 0)
          bars.push(
            svg(
              'rect',
              { x, y: y + 3, width: w, height: band - 8, fill: s.color },
              svg('title', {}, `${r.schoolName} ${s.name}：${fmt(v)}`),
            ),
          );
        x += w;
      } else {
        const yy = y + 2 + k * 14;
        bars.push(
          svg(
            'rect',
            { x: labelWidth, y: yy, width: Math.max(w, 0.5), height: 12, fill: s.color },
            svg('title', {}, `${r.schoolName} ${s.name}：${fmt(v)}`),
          ),
        );
        bars.push(
          svg(
            'text',
            {
              x: labelWidth + w + 4,
              y: yy + 6,
              'dominant-baseline': 'middle',
              class: 'chart-value',
            },
            fmt(v),
          ),
        );
      }
    });
    if (opts.stacked)
      bars.push(
        svg(
          'text',
          { x: x + 4, y: y + band / 2, 'dominant-baseline': 'middle', class: 'chart-value' },
          fmt(totals[i] ?? 0),
        ),
      );
  });
  const titleId = `${id}-title`;
  return h(
    'figure',
    { class: 'card chart', id },
    h('figcaption', { id: titleId }, title),
    rows.length
      ? (() => {
          const el = svg(
            'svg',
            {
              viewBox: `0 0 ${width} ${height}`,
              role: 'img',
              'aria-labelledby': titleId,
              class: 'chart-svg',
            },
            ...bars,
          );
          return el as unknown as HTMLElement;
        })()
      : h('p', { class: 'empty' }, t('dashboard.chart_empty')),
    h(
      'ul',
      { class: 'chart-legend' },
      series.map((s) =>
        h(
          'li',
          {},
          h('span', { class: 'swatch', style: `background:${s.color}`, 'aria-hidden': 'true' }),
          s.name,
        ),
      ),
    ),
  );
}

/**
 * Downloads an export, showing its progress (the server sends the workbook's length), then
 * hands the file to the browser under its zh-CN name.
 */
async function download(
  button: HTMLButtonElement,
  path: string,
  name: string,
  host: HTMLElement,
): Promise<void> {
  button.disabled = true;
  const bar = h('progress', { max: 100, value: 0, 'aria-label': t('dashboard.exporting') });
  const label = h('span', { role: 'status' }, t('dashboard.exporting'));
  replace(host, bar, label);
  try {
    const res = await fetch(path, { credentials: 'same-origin' });
    if (!res.ok) {
      const problem = (await res.json().catch(() => null)) as ApiError['problem'] | null;
      throw new ApiError(
        problem ?? { title: `HTTP ${res.status}`, status: res.status, code: `HTTP_${res.status}` },
      );
    }
    const total = Number(res.headers.get('content-length') ?? 0);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (total) {
        bar.value = Math.round((received / total) * 100);
        label.textContent = t('dashboard.progress', { name, percent: `${bar.value}%` });
      } else {
        bar.removeAttribute('value');
        label.textContent = t('dashboard.progress_bytes', {
          name,
          kb: Math.round(received / 1024),
        });
      }
    }
    const blob = new Blob(chunks as BlobPart[], {
      type: res.headers.get('content-type') ?? 'application/octet-stream',
    });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    bar.value = 100;
    label.textContent = t('dashboard.exported', { name });
    toast(t('dashboard.exported', { name }));
  } catch (err) {
    replace(host, notice(describeError(err), 'error'));
  } finally {
    button.disabled = false;
  }
}
