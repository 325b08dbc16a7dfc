import ExcelJS from 'exceljs';
import type { DashboardTable } from './dashboard.schema';
import type { Register } from './dashboard.service';

/** The media type of an .xlsx workbook. */
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const NUMBER_FORMATS: Record<DashboardTable['columns'][number]['kind'], string | undefined> = {
  text: undefined,
  int: '0',
  yuan: '#,##0.00',
  percent: '0.0%',
};

/**
 * The dashboard's tables as one workbook, a worksheet per table: a title line, the zh-CN
 * headers, then one row per school and the county and city totals (bold), numbers as numbers
 * (yuan with two decimals, shares as percentages) so the bureau can sum and chart them.
 */
export async function tablesWorkbook(tables: DashboardTable[], subtitle: string): Promise<Buffer> {
  const wb = newWorkbook();
  for (const table of tables) {
    const ws = wb.addWorksheet(sheetName(table.title));
    ws.addRow([table.title]).font = { bold: true, size: 14 };
    ws.addRow([subtitle]);
    const header = ws.addRow(table.columns.map((c) => c.label));
    header.font = { bold: true };
    for (const r of table.rows) {
      const row = ws.addRow(r.cells.map((c) => (c === null ? '' : c)));
      if (r.level !== 'school') row.font = { bold: true };
    }
    table.columns.forEach((c, i) => {
      const column = ws.getColumn(i + 1);
      column.width = Math.max(10, c.label.length * 2 + 2);
      const fmt = NUMBER_FORMATS[c.kind];
      if (fmt) column.numFmt = fmt;
    });
    ws.views = [{ state: 'frozen', ySplit: 3 }];
  }
  return write(wb);
}

/** An annex register as a workbook of one worksheet: title, headers, rows. */
export async function registerWorkbook(register: Register): Promise<Buffer> {
  const wb = newWorkbook();
  const ws = wb.addWorksheet(sheetName(register.sheet));
  ws.addRow([register.title]).font = { bold: true, size: 14 };
  ws.addRow(register.headers).font = { bold: true };
  for (const r of register.rows) ws.addRow(r);
  register.headers.forEach((h, i) => {
    ws.getColumn(i + 1).width = Math.max(8, h.length * 2 + 6);
  });
  // phones and numbers as text, so leading digits and long numbers survive a spreadsheet
  ws.getColumn(register.headers.length).numFmt = '@';
  return write(wb);
}

// helpers //////////

function newWorkbook(): ExcelJS.Workbook {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Kehou Flow';
  wb.created = new Date();
  return wb;
}

async function write(wb: ExcelJS.Workbook): Promise<Buffer> {
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A worksheet name Excel accepts: ≤ 31 characters, none of []:*?/\. */
function sheetName(title: string): string {
  return title.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31);
}
