/** `/api/billing/runs/<schoolId>/<YYYY-MM>`: one school's billing run of a month. */
export function runPath(schoolId: string, month: string): string {
  return `/api/billing/runs/${encodeURIComponent(schoolId)}/${encodeURIComponent(month)}`;
}
