import type { Role } from './roles';

/**
 * Who may do what, as data (DESIGN.md decision 5). The ability factory
 * (server/auth/abilities.ts) turns these grants into CASL rules, docs/authorization.md renders
 * them, and test/api/authorization-matrix.test.ts (organisation, monitor, catalog, audit) and
 * test/api/authorization-matrix-domain.test.ts (the domain modules) check every role × endpoint
 * × tenant cell against them. Change a grant here and all three follow.
 */

/** What can be done. `read` covers a list and a single document. */
export type Action = 'read' | 'create' | 'update' | 'delete';

/**
 * What it is done to. `Task` has no grant (the inbox decides by candidate groups), so nobody
 * may do anything to it through CASL. `Instance` is a process instance as the monitor shows it
 * (its scope ids are the engine's scope variables); `update` on it is retrying its incidents.
 */
export type SubjectName =
  | 'School'
  | 'Class'
  | 'Student'
  | 'User'
  | 'Task'
  | 'Application'
  | 'Plan'
  | 'Bill'
  | 'Payment'
  | 'LedgerEntry'
  | 'Instance'
  | 'CountyParameters'
  | 'WecomApp'
  | SurveySubjectName
  | SafetySubjectName
  | CatalogSubjectName;

/**
 * The parent committee's feedback surveys (FLOW-COMMITTEE): `Survey` is a survey with its
 * results (its readers see the aggregates; `comments`, the free-text answers, only those with
 * all fields); `SurveyResponse` is answering one (checked against the survey's document: its
 * school and `status`).
 */
export type SurveySubjectName = 'Survey' | 'SurveyResponse';

/**
 * The safety and staff subjects (docs/safety.md): `Attendance` is one child's attendance and
 * hand-over line of a session's day, `Incident` a safety incident, `Claim` an insurance claim
 * (each carries the ids of its place and its children's `guardians`), `Staff` a school's staff
 * registrations, service staff and their service hours, `StaffRecord` an entry of a bureau's
 * bad-record list.
 */
export type SafetySubjectName = 'Attendance' | 'Incident' | 'Claim' | 'Staff' | 'StaffRecord';

/**
 * The catalog's subjects (docs/catalog.md): `Process` and `Form` are the versions of a process
 * or form at one place (the city's template, a county's or a school's variant), `create` on them
 * is deploying a version there (and rolling back); `AuditEntry` is an entry of the audit log.
 * Their documents carry `level` (`city`, `county`, `school`) and the ids of the place; city
 * documents carry no `cityId` (the templates belong to the deployment, which serves one city).
 */
export type CatalogSubjectName = 'Process' | 'Form' | 'AuditEntry';

/**
 * Which documents a grant reaches:
 * - `scope`: those of the place the membership is in. A city or county membership matches
 *   `cityId` / `countyId`; a school membership `schoolId` (a School by its `_id`); a class
 *   membership `classId` (a Class by its `_id`, a School by the class's school, an Incident
 *   whose `classIds`, the classes of the children involved, hold the class).
 * - `guardian`: students whose guardians include the user (`guardians.userId`).
 * - `self`: the user's own user document.
 * - `place` (catalog subjects): the documents of exactly the membership's place: a school
 *   membership those of its school (`schoolId`, level school), a county membership those of the
 *   county itself (`countyId`, level county), a city membership the city's (level city).
 * - `lineage` (catalog subjects): the place's own documents, those of every place below it, and
 *   those of the places above it (a school sees its county's variant and the city's template,
 *   which it derives from): city → level city or `cityId`; county → level city or `countyId`;
 *   school → level city, `countyId` at level county, or `schoolId`.
 * - `school`: the documents of the membership's school (`schoolId`), for a class membership
 *   too (a parent or class teacher reads what their child's or class's school publishes).
 */
export type Reach = 'scope' | 'guardian' | 'self' | 'place' | 'lineage' | 'school';

/**
 * Which fields a grant shows: `all`, or `public` (for a Student: no ID number, guardians and
 * their phones, poverty registration or priority-group flags such as disability; for a Plan:
 * what parents are told, without the staff list, record checks, checks and process data).
 */
export type FieldSet = 'all' | 'public';

/** One grant: a role may do `action` to `subject` where `reach` holds, seeing `fields`. */
export interface Grant {
  role: Role;
  action: Action;
  subject: SubjectName;
  reach: Reach;
  fields: FieldSet;
  /** Further equality conditions on the document (a parent reads only `published` plans). */
  where?: Readonly<Record<string, string | boolean>>;
}

/** A Student's fields everyone who may read the student sees. */
export const STUDENT_PUBLIC_FIELDS = [
  'id',
  'cityId',
  'countyId',
  'schoolId',
  'gradeId',
  'classId',
  'name',
  'gender',
  'studentNo',
  'enrolled',
  'isInsured',
] as const;

/**
 * A Student's personal fields: only the child's class teacher, the school's admin and
 * principal, and the child's own guardians see them, one student at a time, never in a list.
 */
export const STUDENT_SENSITIVE_FIELDS = [
  'idNumber',
  'guardians',
  'povertyRegistered',
  'priorityGroups',
] as const;

/** Every field of a Student as the API shows it. */
export const STUDENT_FIELDS: readonly string[] = [
  ...STUDENT_PUBLIC_FIELDS,
  ...STUDENT_SENSITIVE_FIELDS,
];

/** A Plan's fields everyone who may read the plan sees (the published 一校一案 for parents). */
export const PLAN_PUBLIC_FIELDS = [
  'id',
  'cityId',
  'countyId',
  'schoolId',
  'term',
  'termStart',
  'termEnd',
  'status',
  'sessions',
  'feeStandardFen',
  'middayMinutes',
  'middayFeeConsent',
  'method',
  'safetyMeasures',
  'emergencyPlan',
  'filing',
] as const;

/**
 * A Survey's fields every reader sees (the county bureau): the questionnaire and the
 * aggregated results, without who drafted it and without the free-text answers (`comments`),
 * which may name a child or a teacher.
 */
export const SURVEY_PUBLIC_FIELDS = [
  'id',
  'cityId',
  'countyId',
  'schoolId',
  'title',
  'description',
  'questions',
  'status',
  'openedAt',
  'closedAt',
  'responses',
  'results',
] as const;

/** Every role may read its own user document (`GET /api/auth/me`). */
const SELF: Grant['role'][] = [
  'parent',
  'classTeacher',
  'teacher',
  'committee',
  'schoolAdmin',
  'principal',
  'countyBureau',
  'cityBureau',
  'worker',
];

function read(role: Role, subject: SubjectName, reach: Reach = 'scope', fields: FieldSet = 'all') {
  return { role, action: 'read', subject, reach, fields } satisfies Grant;
}

function create(role: Role, subject: SubjectName, reach: Reach) {
  return { role, action: 'create', subject, reach, fields: 'all' } satisfies Grant;
}

function update(role: Role, subject: SubjectName) {
  return { role, action: 'update', subject, reach: 'scope', fields: 'all' } satisfies Grant;
}

/** The grants. Anything not granted here is refused. */
export const AUTHORIZATION_TABLE: readonly Grant[] = [
  ...SELF.map((role) => read(role, 'User', 'self')),

  // Parents (家长): their child's school and class, and their own children in full.
  read('parent', 'School'),
  read('parent', 'Class'),
  read('parent', 'Student', 'guardian', 'all'),

  // Class teacher (班主任): the class's children in full.
  read('classTeacher', 'School'),
  read('classTeacher', 'Class'),
  read('classTeacher', 'Student', 'scope', 'all'),

  // Teacher (教师): the students of the school or class served, without personal data.
  read('teacher', 'School'),
  read('teacher', 'Class'),
  read('teacher', 'Student', 'scope', 'public'),

  // Parent committee (家委会): the school or class, no children but their own (as parents).
  read('committee', 'School'),
  read('committee', 'Class'),

  // School admin and principal (学校管理员, 校长): the school's children in full.
  read('schoolAdmin', 'School'),
  read('schoolAdmin', 'Class'),
  read('schoolAdmin', 'Student', 'scope', 'all'),
  read('principal', 'School'),
  read('principal', 'Class'),
  read('principal', 'Student', 'scope', 'all'),

  // Bureaus (县区/市教育局): their county's or city's schools, without personal data.
  read('countyBureau', 'School'),
  read('countyBureau', 'Class'),
  read('countyBureau', 'Student', 'scope', 'public'),
  read('cityBureau', 'School'),
  read('cityBureau', 'Class'),
  read('cityBureau', 'Student', 'scope', 'public'),

  // Job workers (服务账号): the city's organisation through the API, without personal data.
  read('worker', 'School'),
  read('worker', 'Class'),
  read('worker', 'Student', 'scope', 'public'),

  // Process instances in the monitor (/api/monitor): the bureaus, the school's admin and
  // principal and a class teacher (their class's, read-only) see them; only administrators
  // retry incidents: a school admin in their school, the city bureau in the city.
  read('cityBureau', 'Instance'),
  read('countyBureau', 'Instance'),
  read('schoolAdmin', 'Instance'),
  read('principal', 'Instance'),
  read('classTeacher', 'Instance'),
  update('schoolAdmin', 'Instance'),
  update('cityBureau', 'Instance'),

  // The catalog (/api/catalog): administrators read their place, the places below and the
  // templates above; they deploy at their own place only: a school's admin and principal the
  // school's variants, a county bureau the county's, the city bureau the templates and any
  // variant in its city. Others only learn which process their school runs (resolve, through
  // `read School`).
  ...(['cityBureau', 'countyBureau', 'schoolAdmin', 'principal'] as const).flatMap((role) => [
    read(role, 'Process', 'lineage'),
    read(role, 'Form', 'lineage'),
    create(role, 'Process', 'place'),
    create(role, 'Form', 'place'),
  ]),
  create('cityBureau', 'Process', 'scope'),
  create('cityBureau', 'Form', 'scope'),

  // The audit log (/api/audit): a school's admin and principal their school's entries, a county
  // bureau its county's (and its schools'), the city bureau everything.
  read('cityBureau', 'AuditEntry', 'lineage'),
  read('countyBureau', 'AuditEntry'),
  read('schoolAdmin', 'AuditEntry'),
  read('principal', 'AuditEntry'),

  // Applications (/api/enrolment): a guardian their child's; the class teacher, the parent
  // committee, the school's admin and principal and the bureaus those of their place (pick-up
  // phone and insurance only for the guardians, the class teacher, admin and principal); the
  // job workers read and update them (facts, steps, arrangement) city-wide.
  read('parent', 'Application', 'guardian'),
  read('classTeacher', 'Application'),
  read('committee', 'Application'),
  read('schoolAdmin', 'Application'),
  read('principal', 'Application'),
  read('countyBureau', 'Application'),
  read('cityBureau', 'Application'),
  read('worker', 'Application'),
  update('worker', 'Application'),

  // Plans (/api/plans, 一校一案): the school's admin and principal, its teachers and its parent
  // committee (which consents to it, FLOW-COMMITTEE) read the school's plans in full; parents
  // read their child's school's published plan without internal fields; the bureaus their
  // county's or city's. The school admin drafts, edits, submits and withdraws; the job workers
  // read and update them (facts, checks, publication; only workers may call those routes).
  read('schoolAdmin', 'Plan'),
  read('principal', 'Plan'),
  read('teacher', 'Plan', 'school'),
  read('classTeacher', 'Plan', 'school'),
  read('committee', 'Plan', 'school'),
  { ...read('parent', 'Plan', 'school', 'public'), where: { status: 'published' } },
  read('countyBureau', 'Plan'),
  read('cityBureau', 'Plan'),
  read('worker', 'Plan'),
  create('schoolAdmin', 'Plan', 'scope'),
  update('schoolAdmin', 'Plan'),
  update('worker', 'Plan'),

  // County parameters (/api/parameters): the bureaus and the job workers read their county's or
  // city's; the county bureau sets its own values and proposes a fee standard, the city bureau
  // approves or refuses it (the step's role is checked by the service, FEE_STANDARD_APPROVER).
  read('countyBureau', 'CountyParameters'),
  read('cityBureau', 'CountyParameters'),
  read('worker', 'CountyParameters'),
  update('countyBureau', 'CountyParameters'),
  update('cityBureau', 'CountyParameters'),

  // Feedback surveys (/api/surveys, FLOW-COMMITTEE): the parent committee (of the school or of
  // a class, for its school) drafts, opens and closes its school's surveys and reads their
  // results; the school's admin and principal read them; the county bureau reads its schools'
  // in aggregates, without the free-text answers. A parent answers an open survey of their
  // child's school (the service also requires a child placed or enrolled there).
  read('committee', 'Survey', 'school'),
  create('committee', 'Survey', 'school'),
  { role: 'committee', action: 'update', subject: 'Survey', reach: 'school', fields: 'all' },
  read('schoolAdmin', 'Survey'),
  read('principal', 'Survey'),
  read('countyBureau', 'Survey', 'scope', 'public'),
  { ...create('parent', 'SurveyResponse', 'school'), where: { status: 'open' } },

  // Bills (/api/billing): a guardian their children's; the school's admin and principal the
  // school's, the admin records cash payments (update) and requests a billing run (create);
  // the city bureau may request a run for its schools. The bureaus see bills only in totals,
  // through the ledger's reach (a waived bill would tell a family's poverty registration).
  // The job workers create bills and move them on (orders, payments, overdue, withdrawals).
  read('parent', 'Bill', 'guardian'),
  read('schoolAdmin', 'Bill'),
  read('principal', 'Bill'),
  read('worker', 'Bill'),
  create('schoolAdmin', 'Bill', 'scope'),
  create('cityBureau', 'Bill', 'scope'),
  create('worker', 'Bill', 'scope'),
  update('schoolAdmin', 'Bill'),
  update('worker', 'Bill'),

  // The earmarked ledger (FEE-EARMARK): the school's admin records spending, the principal and
  // the bureaus read their place's entries, balances and bill totals (fund supervision); the
  // job workers book payments and close months.
  read('schoolAdmin', 'LedgerEntry'),
  read('principal', 'LedgerEntry'),
  read('countyBureau', 'LedgerEntry'),
  read('cityBureau', 'LedgerEntry'),
  read('worker', 'LedgerEntry'),
  create('schoolAdmin', 'LedgerEntry', 'scope'),
  create('worker', 'LedgerEntry', 'scope'),

  // Attendance and hand-over (/api/safety/attendance, SAFE-ATTEND): the teachers of a school or
  // class and the class teacher check their children in and hand them over, as does the school
  // admin; the principal reads the school's; a guardian reads their own child's lines.
  read('parent', 'Attendance', 'guardian'),
  read('classTeacher', 'Attendance'),
  read('teacher', 'Attendance'),
  read('schoolAdmin', 'Attendance'),
  read('principal', 'Attendance'),
  create('classTeacher', 'Attendance', 'scope'),
  create('teacher', 'Attendance', 'scope'),
  create('schoolAdmin', 'Attendance', 'scope'),
  update('classTeacher', 'Attendance'),
  update('teacher', 'Attendance'),
  update('schoolAdmin', 'Attendance'),

  // Incidents (/api/safety/incidents): the school's staff report and read them (a class teacher
  // those involving a child of their class, by `classIds`, their class's children's part only),
  // the bureaus read their place's, a guardian those their child was involved in (their child's
  // part only); the job workers attach the attendance.
  read('parent', 'Incident', 'guardian'),
  read('classTeacher', 'Incident'),
  read('teacher', 'Incident'),
  read('schoolAdmin', 'Incident'),
  read('principal', 'Incident'),
  read('countyBureau', 'Incident'),
  read('cityBureau', 'Incident'),
  read('worker', 'Incident'),
  create('classTeacher', 'Incident', 'scope'),
  create('teacher', 'Incident', 'scope'),
  create('schoolAdmin', 'Incident', 'scope'),
  create('principal', 'Incident', 'scope'),
  update('worker', 'Incident'),

  // Insurance claims (/api/claims, SAFE-CLAIM): the school admin requests them, the principal
  // and the bureaus read their place's, a guardian their child's; the job workers record the
  // settlement (and the claims an incident's process called).
  read('parent', 'Claim', 'guardian'),
  read('schoolAdmin', 'Claim'),
  read('principal', 'Claim'),
  read('countyBureau', 'Claim'),
  read('cityBureau', 'Claim'),
  read('worker', 'Claim'),
  create('schoolAdmin', 'Claim', 'scope'),
  create('worker', 'Claim', 'scope'),
  update('worker', 'Claim'),

  // Service staff (/api/staff): the school's admin and principal register staff (附件2) and read
  // registrations, staff and teachers' service hours; the bureaus read their place's; the job
  // workers check records and register. The bad-record list (SAFE-STAFF) is the bureaus'; the
  // job workers look people up on it.
  read('schoolAdmin', 'Staff'),
  read('principal', 'Staff'),
  read('countyBureau', 'Staff'),
  read('cityBureau', 'Staff'),
  read('worker', 'Staff'),
  create('schoolAdmin', 'Staff', 'scope'),
  create('principal', 'Staff', 'scope'),
  create('worker', 'Staff', 'scope'),
  update('worker', 'Staff'),
  read('countyBureau', 'StaffRecord'),
  read('cityBureau', 'StaffRecord'),
  read('worker', 'StaffRecord'),
  create('countyBureau', 'StaffRecord', 'scope'),
  create('cityBureau', 'StaffRecord', 'scope'),

  // WeChat Pay (/api/payments, docs/integrations.md): the school's admin and principal and the
  // bureaus read their place's payment discrepancies and merchant settings (never a secret); a
  // school's admin enters the school's merchant and records how a discrepancy was resolved, a
  // county bureau its county's and its schools'; the job workers and the city bureau run the
  // daily reconciliation; the job workers also record the resolution entered in a
  // discrepancy's inbox task (payment-discrepancy). Payers order a bill through its `read Bill`
  // grant.
  read('schoolAdmin', 'Payment'),
  read('principal', 'Payment'),
  read('countyBureau', 'Payment'),
  read('cityBureau', 'Payment'),
  update('schoolAdmin', 'Payment'),
  update('countyBureau', 'Payment'),
  create('worker', 'Payment', 'scope'),
  update('worker', 'Payment'),
  create('cityBureau', 'Payment', 'scope'),

  // WeCom (/api/wecom, docs/integrations.md): a school's admin enters the school's WeCom app
  // (CorpID, AgentId, Secret, callback Token and EncodingAESKey; secrets never shown again), a
  // county bureau its county's and its schools'; the principal and the city bureau read the
  // settings and the recorded deliveries.
  read('schoolAdmin', 'WecomApp'),
  read('principal', 'WecomApp'),
  read('countyBureau', 'WecomApp'),
  read('cityBureau', 'WecomApp'),
  update('schoolAdmin', 'WecomApp'),
  update('countyBureau', 'WecomApp'),
];
