/**
 * The clause of 漯教〔2021〕64号 each RULES.md id comes from, for rule citations
 * (`FLOW-CHAIN (漯教〔2021〕64号 三(五))`). Read off the sections of ../shared/RULES.md and the
 * original text.
 */
const CLAUSES: Record<string, string> = {
  'ELIG-ENROLLED': '三(一)',
  'ELIG-PRIORITY': '三(一)',
  'ELIG-VOLUNTARY': '二(三)',
  'TIME-SCHOOLDAY': '三(二)',
  'TIME-END-SUMMER': '三(二)',
  'TIME-END-WINTER': '三(二)',
  'TIME-2H': '三(二)',
  'TIME-SEASON': '三(二)',
  'CONTENT-ALLOWED': '三(三)',
  'CONTENT-NO-TEACHING': '三(三)',
  'CONTENT-NO-AGENCY': '四(四)',
  'CONTENT-NO-BURDEN': '四(四)',
  'PLAN-ONE-SCHOOL': '三(五)',
  'FLOW-CHAIN': '三(五)',
  'FLOW-COMMITTEE': '三(五)',
  'VENUE-RECORDS': '三(四)',
  'RESP-PRINCIPAL': '四(一)',
  'FEE-CAP': '四(二)',
  'FEE-FREE-POOR': '四(二)',
  'FEE-PRORATE': '四(二)',
  'FEE-EXTERNAL': '四(二)',
  'FEE-EARMARK': '四(二)',
  'FEE-NO-ABUSE': '四(二)',
  'SAFE-ATTEND': '四(三)',
  'SAFE-STAFF': '四(三)',
  'SAFE-INSURE': '四(三)',
  'SAFE-CLAIM': '四(三)',
  'SAFE-COMMUTE': '四(三)',
  'PLATFORM-WECOM': '四(四)',
  'PLATFORM-ADMIN': '附件',
};

/** The clause of a RULES.md id, or undefined for ids that are not policy rules. */
export function clauseOf(ruleId: string): string | undefined {
  return CLAUSES[ruleId];
}
