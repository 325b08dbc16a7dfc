import express, { type RequestHandler, type Response, type Router } from 'express';
import { declareRoutes } from '../../http/route-registry';
import { t } from '../../lib/i18n';
import { currentPrincipal } from '../auth';
import { annexParams, dashboardQuery, dashboardView, exportParams } from './dashboard.schema';
import type { DashboardService } from './dashboard.service';
import { registerWorkbook, tablesWorkbook, XLSX_TYPE } from './dashboard.workbook';

/**
 * /api/dashboard: the bureau dashboard's figures per school, county and city, each of its
 * tables as an Excel workbook, and the registers of Annex 1 and Annex 2 (docs/dashboard.md).
 * Who sees what follows the existing read grants (see DashboardService); others get 403.
 */
export function createDashboardRouter(
  service: DashboardService,
  requireSession: RequestHandler,
): Router {
  const r = express.Router();
  r.use(requireSession);
  const api = declareRoutes(r, { tag: 'dashboard' });
  const xlsx = { description: 'The workbook (.xlsx)', contentType: XLSX_TYPE };

  api.get(
    '/',
    {
      summary:
        'Figures per school, county and city: applications, participation, fees, spending, incidents, plans',
      query: dashboardQuery,
      responses: { 200: { description: 'The dashboard', schema: dashboardView } },
      errors: [403],
    },
    async ({ query }, _req, res) => {
      res.json(await service.view(currentPrincipal(res), query));
    },
  );

  api.get(
    '/export/:table',
    {
      summary: 'One table of the dashboard (or all of them) as an Excel workbook',
      params: exportParams,
      query: dashboardQuery,
      responses: { 200: xlsx },
      errors: [403],
    },
    async ({ params, query }, _req, res) => {
      const view = await service.view(currentPrincipal(res), query);
      const tables =
        params.table === 'all' ? view.tables : view.tables.filter((x) => x.key === params.table);
      const subtitle = `${t('dashboard.col.term')}：${view.term ?? ''} · ${view.generatedAt.slice(0, 10)}`;
      const name = params.table === 'all' ? '课后服务数据看板' : tables[0]!.title;
      sendWorkbook(res, await tablesWorkbook(tables, subtitle), `${name}.xlsx`);
    },
  );

  api.get(
    '/annex/:annex',
    {
      summary: 'The register of Annex 1 (platform administrators) or Annex 2 (teachers) as Excel',
      params: annexParams,
      query: dashboardQuery,
      responses: { 200: xlsx },
      errors: [403],
    },
    async ({ params, query }, _req, res) => {
      const p = currentPrincipal(res);
      const register =
        params.annex === '1' ? await service.annex1(p, query) : await service.annex2(p, query);
      sendWorkbook(
        res,
        await registerWorkbook(register),
        `附件${params.annex} ${register.title}.xlsx`,
      );
    },
  );

  return r;
}

/** Sends a workbook with its length (the browser shows the download's progress from it). */
function sendWorkbook(res: Response, body: Buffer, fileName: string): void {
  res.setHeader('content-type', XLSX_TYPE);
  res.setHeader('content-length', String(body.length));
  res.setHeader(
    'content-disposition',
    `attachment; filename="export.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
  );
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}
