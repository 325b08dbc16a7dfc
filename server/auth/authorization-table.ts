import { ROLES, type Role } from './roles';

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

/** A school's administrators: its admin and its principal. */
const SCHOOL_HEADS = ['schoolAdmin', 'principal'] as const satisfies readonly Role[];

/** The education bureaus: the county's and the city's. */
const BUREAUS = ['countyBureau', 'cityBureau'] as const satisfies readonly Role[];

/** Who oversees a place's records: the school's admin and principal and the bureaus above. */
const OVERSIGHT = [...SCHOOL_HEADS, ...BUREAUS] as const;

/** The teachers who take a session's children: the class teacher and the teachers. */
const TEACHERS = ['classTeacher', 'teacher'] as const satisfies readonly Role[];

function read(role: Role, subject: SubjectName, reach: Reach = 'scope', fields: FieldSet = 'all') {
  return { role, action: 'read', subject, reach, fields } satisfies Grant;
}

function create(role: Role, subject: SubjectName, reach: Reach) {
  return { role, action: 'create', subject, reach, fields: 'all' } satisfies Grant;
}

function update(role: Role, subject: SubjectName, reach: Reach = 'scope') {
  return { role, action: 'update', subject, reach, fields: 'all' } satisfies Grant;
}

/** {@link read} for each of `roles`, in their order. */
function readBy(
  roles: readonly Role[],
  subject: SubjectName,
  reach: Reach = 'scope',
  fields: FieldSet = 'all',
): Grant[] {
  return roles.map((role) => read(role, subject, reach, fields));
}

/** {@link create} in their own scope for each of `roles`, in their order. */
function createBy(roles: readonly Role[], subject: SubjectName): Grant[] {
  return roles.map((role) => create(role, subject, 'scope'));
}

/** {@link update} in their own scope for each of `roles`, in their order. */
function updateBy(roles: readonly Role[], subject: SubjectName): Grant[] {
  return roles.map((role) => update(role, subject));
}

/**
 * A role's reading of the organisation: the School and Class of its place and, where it may
 * see children, the Students it reaches with the fields it sees.
 */
function organisation(role: Role, students?: { reach: Reach; fields: FieldSet }): Grant[] {
  return [
    read(role, 'School'),
    read(role, 'Class'),
    ...(students ? [read(role, 'Student', students.reach, students.fields)] : []),
  ];
}

/** Every field of the children of the role's place. */
const IN_FULL = { reach: 'scope', fields: 'all' } as const;

/** The children of the role's place without their personal data. */
const WITHOUT_PERSONAL_DATA = { reach: 'scope', fields: 'public' } as const;

/** The grants. Anything not granted here is refused. */
export const AUTHORIZATION_TABLE: readonly Grant[] = [
  // Every role may read its own user document (`GET /api/auth/me`).
  ...ROLES.map((role) => read(role, 'User', 'self')),

  // Parents (家长): their child's school and class, and their own children in full.
  ...organisation('parent', { reach: 'guardian', fields: 'all' }),

  // Class teacher (班主任): the class's children in full.
  ...organisation('classTeacher', IN_FULL),

  // Teacher (教师): the students of the school or class served, without personal data.
  ...organisation('teacher', WITHOUT_PERSONAL_DATA),

  // Parent committee (家委会): the school or class, no children but their own (as parents).
  ...organisation('committee'),

  // School admin and principal (学校管理员, 校长): the school's children in full.
  ...SCHOOL_HEADS.flatMap((role) => organisation(role, IN_FULL)),

  // Bureaus (县区/市教育局): their county's or city's schools, without personal data.
  ...BUREAUS.flatMap((role) => organisation(role, WITHOUT_PERSONAL_DATA)),

  // Job workers (服务账号): the city's organisation through the API, without personal data.
  ...organisation('worker', WITHOUT_PERSONAL_DATA),

  // Process instances in the monitor (/api/monitor): the bureaus, the school's admin and
  // principal and a class teacher (their class's, read-only) see them; only administrators
  // retry incidents: a school admin in their school, the city bureau in the city.
  ...readBy(['cityBureau', 'countyBureau', ...SCHOOL_HEADS, 'classTeacher'], 'Instance'),
  ...updateBy(['schoolAdmin', 'cityBureau'], 'Instance'),

  // The catalog (/api/catalog): administrators read their place, the places below and the
  // templates above; they deploy at their own place only: a school's admin and principal the
  // school's variants, a county bureau the county's, the city bureau the templates and any
  // variant in its city. Others only learn which process their school runs (resolve, through
  // `read School`).
  ...(['cityBureau', 'countyBureau', ...SCHOOL_HEADS] as const).flatMap((role) => [
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
  ...readBy(['countyBureau', ...SCHOOL_HEADS], 'AuditEntry'),

  // Applications (/api/enrolment): a guardian their child's; the class teacher, the parent
  // committee, the school's admin and principal and the bureaus those of their place (pick-up
  // phone and insurance only for the guardians, the class teacher, admin and principal); the
  // job workers read and update them (facts, steps, arrangement) city-wide.
  read('parent', 'Application', 'guardian'),
  ...readBy(['classTeacher', 'committee', ...OVERSIGHT, 'worker'], 'Application'),
  update('worker', 'Application'),

  // Plans (/api/plans, 一校一案): the school's admin and principal, its teachers and its parent
  // committee (which consents to it, FLOW-COMMITTEE) read the school's plans in full; parents
  // read their child's school's published plan without internal fields; the bureaus their
  // county's or city's. The school admin drafts, edits, submits and withdraws; the job workers
  // read and update them (facts, checks, publication; only workers may call those routes).
  ...readBy(SCHOOL_HEADS, 'Plan'),
  ...readBy(['teacher', 'classTeacher', 'committee'], 'Plan', 'school'),
  { ...read('parent', 'Plan', 'school', 'public'), where: { status: 'published' } },
  ...readBy([...BUREAUS, 'worker'], 'Plan'),
  create('schoolAdmin', 'Plan', 'scope'),
  ...updateBy(['schoolAdmin', 'worker'], 'Plan'),

  // County parameters (/api/parameters): the bureaus and the job workers read their county's or
  // city's; the county bureau sets its own values and proposes a fee standard, the city bureau
  // approves or refuses it (the step's role is checked by the service, FEE_STANDARD_APPROVER).
  ...readBy([...BUREAUS, 'worker'], 'CountyParameters'),
  ...updateBy(BUREAUS, 'CountyParameters'),

  // Feedback surveys (/api/surveys, FLOW-COMMITTEE): the parent committee (of the school or of
  // a class, for its school) drafts, opens and closes its school's surveys and reads their
  // results; the school's admin and principal read them; the county bureau reads its schools'
  // in aggregates, without the free-text answers. A parent answers an open survey of their
  // child's school (the service also requires a child placed or enrolled there).
  read('committee', 'Survey', 'school'),
  create('committee', 'Survey', 'school'),
  update('committee', 'Survey', 'school'),
  ...readBy(SCHOOL_HEADS, 'Survey'),
  read('countyBureau', 'Survey', 'scope', 'public'),
  { ...create('parent', 'SurveyResponse', 'school'), where: { status: 'open' } },

  // Bills (/api/billing): a guardian their children's; the school's admin and principal the
  // school's, the admin records cash payments (update) and requests a billing run (create);
  // the city bureau may request a run for its schools. The bureaus see bills only in totals,
  // through the ledger's reach (a waived bill would tell a family's poverty registration).
  // The job workers create bills and move them on (orders, payments, overdue, withdrawals).
  read('parent', 'Bill', 'guardian'),
  ...readBy([...SCHOOL_HEADS, 'worker'], 'Bill'),
  ...createBy(['schoolAdmin', 'cityBureau', 'worker'], 'Bill'),
  ...updateBy(['schoolAdmin', 'worker'], 'Bill'),

  // The earmarked ledger (FEE-EARMARK): the school's admin records spending, the principal and
  // the bureaus read their place's entries, balances and bill totals (fund supervision); the
  // job workers book payments and close months.
  ...readBy([...OVERSIGHT, 'worker'], 'LedgerEntry'),
  ...createBy(['schoolAdmin', 'worker'], 'LedgerEntry'),

  // Attendance and hand-over (/api/safety/attendance, SAFE-ATTEND): the teachers of a school or
  // class and the class teacher check their children in and hand them over, as does the school
  // admin; the principal reads the school's; a guardian reads their own child's lines.
  read('parent', 'Attendance', 'guardian'),
  ...readBy([...TEACHERS, ...SCHOOL_HEADS], 'Attendance'),
  ...createBy([...TEACHERS, 'schoolAdmin'], 'Attendance'),
  ...updateBy([...TEACHERS, 'schoolAdmin'], 'Attendance'),

  // Incidents (/api/safety/incidents): the school's staff report and read them (a class teacher
  // those involving a child of their class, by `classIds`, their class's children's part only),
  // the bureaus read their place's, a guardian those their child was involved in (their child's
  // part only); the job workers attach the attendance.
  read('parent', 'Incident', 'guardian'),
  ...readBy([...TEACHERS, ...OVERSIGHT, 'worker'], 'Incident'),
  ...createBy([...TEACHERS, ...SCHOOL_HEADS], 'Incident'),
  update('worker', 'Incident'),

  // Insurance claims (/api/claims, SAFE-CLAIM): the school admin requests them, the principal
  // and the bureaus read their place's, a guardian their child's; the job workers record the
  // settlement (and the claims an incident's process called).
  read('parent', 'Claim', 'guardian'),
  ...readBy([...OVERSIGHT, 'worker'], 'Claim'),
  ...createBy(['schoolAdmin', 'worker'], 'Claim'),
  update('worker', 'Claim'),

  // Service staff (/api/staff): the school's admin and principal register staff (附件2) and read
  // registrations, staff and teachers' service hours; the bureaus read their place's; the job
  // workers check records and register. The bad-record list (SAFE-STAFF) is the bureaus'; the
  // job workers look people up on it.
  ...readBy([...OVERSIGHT, 'worker'], 'Staff'),
  ...createBy([...SCHOOL_HEADS, 'worker'], 'Staff'),
  update('worker', 'Staff'),
  ...readBy([...BUREAUS, 'worker'], 'StaffRecord'),
  ...createBy(BUREAUS, 'StaffRecord'),

  // WeChat Pay (/api/payments, docs/integrations.md): the school's admin and principal and the
  // bureaus read their place's payment discrepancies and merchant settings (never a secret); a
  // school's admin enters the school's merchant and records how a discrepancy was resolved, a
  // county bureau its county's and its schools'; the job workers and the city bureau run the
  // daily reconciliation; the job workers also record the resolution entered in a
  // discrepancy's inbox task (payment-discrepancy). Payers order a bill through its `read Bill`
  // grant.
  ...readBy(OVERSIGHT, 'Payment'),
  ...updateBy(['schoolAdmin', 'countyBureau'], 'Payment'),
  create('worker', 'Payment', 'scope'),
  update('worker', 'Payment'),
  create('cityBureau', 'Payment', 'scope'),

  // WeCom (/api/wecom, docs/integrations.md): a school's admin enters the school's WeCom app
  // (CorpID, AgentId, Secret, callback Token and EncodingAESKey; secrets never shown again), a
  // county bureau its county's and its schools'; the principal and the city bureau read the
  // settings and the recorded deliveries.
  ...readBy(OVERSIGHT, 'WecomApp'),
  ...updateBy(['schoolAdmin', 'countyBureau'], 'WecomApp'),
];
