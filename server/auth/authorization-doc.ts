import {
  AUTHORIZATION_TABLE,
  type Grant,
  PLAN_PUBLIC_FIELDS,
  STUDENT_PUBLIC_FIELDS,
  STUDENT_SENSITIVE_FIELDS,
  SURVEY_PUBLIC_FIELDS,
} from './authorization-table';

/**
 * Renders the grants of server/auth/authorization-table.ts as the Markdown table that
 * docs/authorization.md holds between its `authorization-table` markers. A test compares the
 * two; `node --import tsx scripts/render-authorization.ts` rewrites the doc.
 */

/** The marker lines around the generated table in docs/authorization.md. */
export const TABLE_BEGIN = '<!-- authorization-table:begin (generated; do not edit) -->';
export const TABLE_END = '<!-- authorization-table:end -->';

const SCOPE_TEXT =
  'the membership’s place and the places below it: `cityId` / `countyId` / `schoolId` by level';
const PLACE_TEXT =
  'exactly the membership’s place: school → `schoolId` at level school, county → `countyId` at level county, city → level city';
const LINEAGE_TEXT =
  'the membership’s place, the places below and above it: city → level city or `cityId`; county → level city or `countyId`; school → level city, `countyId` at level county, or `schoolId`';

const SCHOOL_TEXT =
  '`schoolId` = the membership’s school (a class membership counts as its school)';

const REACH_TEXT: Record<Grant['reach'], Record<string, string>> = {
  scope: {
    School:
      'the membership’s place: city → `cityId`, county → `countyId`, school/class → `_id` = its school',
    Class:
      'the membership’s place: city → `cityId`, county → `countyId`, school → `schoolId`, class → `_id`',
    Student: 'the membership’s place: `cityId` / `countyId` / `schoolId` / `classId` by level',
    Instance:
      'the membership’s place: `cityId` / `countyId` / `schoolId` / `classId` by level (the instance’s scope variables)',
    Process: SCOPE_TEXT,
    Form: SCOPE_TEXT,
    AuditEntry: SCOPE_TEXT,
    Plan: SCOPE_TEXT,
    Survey: SCOPE_TEXT,
    CountyParameters: 'the membership’s place: `cityId` / `countyId` by level',
    Incident:
      'the membership’s place: `cityId` / `countyId` / `schoolId` by level; class → `classIds` (the classes of the children involved) holds it, or `classId` is it',
  },
  guardian: { Student: '`guardians.userId` = the user (their own children)' },
  self: { User: '`_id` = the user' },
  place: {
    Process: PLACE_TEXT,
    Form: PLACE_TEXT,
  },
  lineage: {
    Process: LINEAGE_TEXT,
    Form: LINEAGE_TEXT,
    AuditEntry: LINEAGE_TEXT,
  },
  school: {
    Plan: SCHOOL_TEXT,
    Survey: SCHOOL_TEXT,
    SurveyResponse: SCHOOL_TEXT,
  },
};

function conditionsText(g: Grant): string {
  const reach = REACH_TEXT[g.reach][g.subject] ?? g.reach;
  const where = Object.entries(g.where ?? {}).map(([k, v]) => ` and \`${k}\` = ${String(v)}`);
  return reach + where.join('');
}

function fieldsText(g: Grant): string {
  if (g.subject === 'Plan' || g.subject === 'Survey')
    return g.fields === 'all' ? 'all' : 'public only';
  if (g.subject !== 'Student') return 'all';
  return g.fields === 'all' ? 'all, incl. personal' : 'public only';
}

/** The Markdown table: role × action × subject × conditions × fields. */
export function renderAuthorizationTable(): string {
  const lines = [
    '| role | action | subject | conditions | fields |',
    '|---|---|---|---|---|',
    ...AUTHORIZATION_TABLE.map(
      (g) => `| ${g.role} | ${g.action} | ${g.subject} | ${conditionsText(g)} | ${fieldsText(g)} |`,
    ),
    '',
    `Public Student fields: ${STUDENT_PUBLIC_FIELDS.map((f) => `\`${f}\``).join(', ')}.`,
    `Personal Student fields: ${STUDENT_SENSITIVE_FIELDS.map((f) => `\`${f}\``).join(', ')}.`,
    `Public Plan fields: ${PLAN_PUBLIC_FIELDS.map((f) => `\`${f}\``).join(', ')} (sessions without staff ids and approvals).`,
    `Public Survey fields: ${SURVEY_PUBLIC_FIELDS.map((f) => `\`${f}\``).join(', ')} (no free-text answers).`,
  ];
  return lines.join('\n');
}

/** `doc` with the text between the markers replaced by the rendered table. */
export function withRenderedTable(doc: string): string {
  const begin = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error('docs/authorization.md lacks the table markers');
  return `${doc.slice(0, begin + TABLE_BEGIN.length)}\n${renderAuthorizationTable()}\n${doc.slice(end)}`;
}
