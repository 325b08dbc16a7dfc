import {
  AUTHORIZATION_TABLE,
  type Grant,
  STUDENT_PUBLIC_FIELDS,
  STUDENT_SENSITIVE_FIELDS,
} from './authorization-table';

/**
 * Renders the grants of server/auth/authorization-table.ts as the Markdown table that
 * docs/authorization.md holds between its `authorization-table` markers. A test compares the
 * two; `node --import tsx scripts/render-authorization.ts` rewrites the doc.
 */

/** The marker lines around the generated table in docs/authorization.md. */
export const TABLE_BEGIN = '<!-- authorization-table:begin (generated; do not edit) -->';
export const TABLE_END = '<!-- authorization-table:end -->';

const REACH_TEXT: Record<Grant['reach'], Record<string, string>> = {
  scope: {
    School:
      'the membership’s place: city → `cityId`, county → `countyId`, school/class → `_id` = its school',
    Class:
      'the membership’s place: city → `cityId`, county → `countyId`, school → `schoolId`, class → `_id`',
    Student: 'the membership’s place: `cityId` / `countyId` / `schoolId` / `classId` by level',
    Instance:
      'the membership’s place: `cityId` / `countyId` / `schoolId` / `classId` by level (the instance’s scope variables)',
  },
  guardian: { Student: '`guardians.userId` = the user (their own children)' },
  self: { User: '`_id` = the user' },
};

function fieldsText(g: Grant): string {
  if (g.subject !== 'Student') return 'all';
  return g.fields === 'all' ? 'all, incl. personal' : 'public only';
}

/** The Markdown table: role × action × subject × conditions × fields. */
export function renderAuthorizationTable(): string {
  const lines = [
    '| role | action | subject | conditions | fields |',
    '|---|---|---|---|---|',
    ...AUTHORIZATION_TABLE.map(
      (g) =>
        `| ${g.role} | ${g.action} | ${g.subject} | ${REACH_TEXT[g.reach][g.subject] ?? g.reach} | ${fieldsText(g)} |`,
    ),
    '',
    `Public Student fields: ${STUDENT_PUBLIC_FIELDS.map((f) => `\`${f}\``).join(', ')}.`,
    `Personal Student fields: ${STUDENT_SENSITIVE_FIELDS.map((f) => `\`${f}\``).join(', ')}.`,
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
