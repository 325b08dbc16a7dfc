/**
 * The trade bill (交易账单) WeChat Pay offers for download per day: a CSV whose first line
 * names the columns, one line per payment or refund with each value prefixed by a backquote
 * (so spreadsheets keep long numbers as text), then a summary header line and its values.
 * Amounts are yuan with two decimals; we read them as integer fen without floating point.
 */

/** One payment or refund line of the bill. */
export interface TradeBillRow {
  tradeTime: string;
  appId: string;
  mchId: string;
  transactionId: string;
  outTradeNo: string;
  openId: string;
  tradeType: string;
  /** `SUCCESS` (a payment), `REFUND` (a refund line), `REVOKED`. */
  tradeState: string;
  currency: string;
  /** 应结订单金额 in fen (a refund line carries its payment's amount here or 0). */
  settlementTotalFen: number;
  /** 订单金额 in fen. */
  orderAmountFen: number;
  refundId: string;
  outRefundNo: string;
  /** 退款金额 in fen (refund lines). */
  refundFen: number;
  /** 退款状态 (refund lines): `SUCCESS`, `PROCESSING`, … */
  refundStatus: string;
  productName: string;
  attach: string;
  /** 手续费 in fen. */
  feeFen: number;
}

/** The bill's closing summary. */
export interface TradeBillSummary {
  tradeCount: number;
  settlementTotalFen: number;
  refundTotalFen: number;
  feeTotalFen: number;
  orderTotalFen: number;
}

/** A parsed trade bill. */
export interface TradeBill {
  rows: TradeBillRow[];
  summary?: TradeBillSummary;
}

/** The bill did not have the documented shape. */
export class TradeBillFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TradeBillFormatError';
  }
}

/** '12.30' → 1230; '' → 0. Refuses anything but a decimal with at most two places. */
export function yuanToFen(yuan: string): number {
  const s = yuan.trim();
  if (s === '') return 0;
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw new TradeBillFormatError(`not an amount: ${yuan}`);
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/** 1230 → '12.30'. */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The detail columns of an `ALL` bill, in WeChat Pay's order. */
export const TRADE_BILL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const;

/** The summary columns. */
export const TRADE_BILL_SUMMARY_COLUMNS = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
] as const;

/** Parses a trade bill; columns are found by their names, so their order does not matter. */
export function parseTradeBill(text: string): TradeBill {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) return { rows: [] };
  const header = splitLine(lines[0]!);
  const at = (name: string) => header.indexOf(name);
  for (const required of ['交易时间', '商户订单号', '交易状态', '应结订单金额'])
    if (at(required) < 0) throw new TradeBillFormatError(`no column ${required}`);

  const rows: TradeBillRow[] = [];
  let i = 1;
  for (; i < lines.length; i++) {
    const cells = splitLine(lines[i]!);
    if (cells[0] === '总交易单数') break;
    const get = (name: string) => {
      const k = at(name);
      return k < 0 ? '' : (cells[k] ?? '');
    };
    rows.push({
      tradeTime: get('交易时间'),
      appId: get('公众账号ID'),
      mchId: get('商户号'),
      transactionId: get('微信订单号'),
      outTradeNo: get('商户订单号'),
      openId: get('用户标识'),
      tradeType: get('交易类型'),
      tradeState: get('交易状态'),
      currency: get('货币种类'),
      settlementTotalFen: yuanToFen(get('应结订单金额')),
      orderAmountFen: yuanToFen(get('订单金额')),
      refundId: get('微信退款单号'),
      outRefundNo: get('商户退款单号'),
      refundFen: yuanToFen(get('退款金额')),
      refundStatus: get('退款状态'),
      productName: get('商品名称'),
      attach: get('商户数据包'),
      feeFen: yuanToFen(get('手续费')),
    });
  }
  let summary: TradeBillSummary | undefined;
  if (i < lines.length - 1) {
    const names = splitLine(lines[i]!);
    const values = splitLine(lines[i + 1]!);
    const v = (name: string) => values[names.indexOf(name)] ?? '';
    summary = {
      tradeCount: Number(v('总交易单数') || 0),
      settlementTotalFen: yuanToFen(v('应结订单总金额')),
      refundTotalFen: yuanToFen(v('退款总金额')),
      feeTotalFen: yuanToFen(v('手续费总金额')),
      orderTotalFen: yuanToFen(v('订单总金额')),
    };
  }
  return { rows, summary };
}

/** Writes a bill in WeChat Pay's format (contract servers and tests). */
export function formatTradeBill(rows: TradeBillRow[]): string {
  const line = (r: TradeBillRow) => {
    const cells: Record<(typeof TRADE_BILL_COLUMNS)[number], string> = {
      交易时间: r.tradeTime,
      公众账号ID: r.appId,
      商户号: r.mchId,
      特约商户号: '0',
      设备号: '',
      微信订单号: r.transactionId,
      商户订单号: r.outTradeNo,
      用户标识: r.openId,
      交易类型: r.tradeType,
      交易状态: r.tradeState,
      付款银行: 'OTHERS',
      货币种类: r.currency,
      应结订单金额: fenToYuan(r.settlementTotalFen),
      代金券金额: '0.00',
      微信退款单号: r.refundId || '0',
      商户退款单号: r.outRefundNo || '0',
      退款金额: fenToYuan(r.refundFen),
      充值券退款金额: '0.00',
      退款类型: r.refundId ? 'ORIGINAL' : '',
      退款状态: r.refundStatus,
      商品名称: r.productName,
      商户数据包: r.attach,
      手续费: fenToYuan(r.feeFen),
      费率: '0.60%',
      订单金额: fenToYuan(r.orderAmountFen),
      申请退款金额: fenToYuan(r.refundFen),
      费率备注: '',
    };
    return TRADE_BILL_COLUMNS.map((c) => `\`${cells[c]}`).join(',');
  };
  const payments = rows.filter((r) => r.tradeState !== 'REFUND');
  const summary = [
    String(rows.length),
    fenToYuan(payments.reduce((s, r) => s + r.settlementTotalFen, 0)),
    fenToYuan(rows.reduce((s, r) => s + r.refundFen, 0)),
    '0.00',
    fenToYuan(rows.reduce((s, r) => s + r.feeFen, 0)),
    fenToYuan(payments.reduce((s, r) => s + r.orderAmountFen, 0)),
    fenToYuan(rows.reduce((s, r) => s + r.refundFen, 0)),
  ];
  return [
    TRADE_BILL_COLUMNS.join(','),
    ...rows.map(line),
    TRADE_BILL_SUMMARY_COLUMNS.join(','),
    summary.map((v) => `\`${v}`).join(','),
    '',
  ].join('\r\n');
}

// helpers //////////

/** Splits on commas and drops the leading backquote of each value. */
function splitLine(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^`/, ''));
}
