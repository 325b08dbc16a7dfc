import type { MongoQuery } from '@casl/ability';
import { abilityFor, accessibleQuery, type AppAbility } from '../../auth/abilities';
import type { SubjectName } from '../../auth/authorization-table';
import type { Principal } from '../../auth/principal';
import { UserError } from '../../lib/errors';
import { t, type MessageKey } from '../../lib/i18n';
import { EARMARKED_SPENDING } from '../../rules/fees';
import type { BillDoc, BillingModels, LedgerEntryDoc } from '../billing/billing.model';
import { FEE_PAYMENT, FEE_REFUND, categoryName } from '../billing/ledger.service';
import type { ApplicationDoc, EnrolmentModels } from '../enrolment/enrolment.model';
import type { CountyDoc, OrgModels, SchoolDoc, StudentDoc } from '../org/org.model';
import type { PlanDoc } from '../plans/plans.model';
import type { IncidentDoc, SafetyModels } from '../safety/safety.model';
import type { StaffMemberDoc, StaffModels } from '../staff/staff.model';
import type { UserDoc, UserModels } from '../users/users.model';
import type {
  DashboardQuery,
  DashboardRow,
  DashboardTable,
  DashboardView,
  Figures,
  TableKey,
} from './dashboard.schema';

/** The models the dashboard reads (it writes nothing). */
export interface DashboardModels {
  org: Pick<OrgModels, 'counties' | 'schools' | 'students'>;
  enrolment: Pick<EnrolmentModels, 'applications' | 'plans'>;
  billing: Pick<BillingModels, 'bills' | 'ledger'>;
  safety: Pick<SafetyModels, 'incidents'>;
  staff: Pick<StaffModels, 'members' | 'endings'>;
  users: Pick<UserModels, 'users'>;
}

/** A register of an annex: a title, its headers and its rows, as filed with the bureau. */
export interface Register {
  title: string;
  sheet: string;
  headers: string[];
  rows: (string | number)[][];
}

const APPLICATION_STATES = [
  'submitted',
  'placed',
  'waiting',
  'enrolled',
  'refused',
  'rejected',
  'withdrawn',
  'failed',
] as const;
const SEVERITIES = ['minor', 'moderate', 'serious', 'critical'] as const;
const PLACED = new Set(['placed', 'enrolled']);

/**
 * The bureau dashboard (docs/dashboard.md): per school, county and city — applications by
 * state, participation, priority-group placement (ELIG-PRIORITY), fees billed, paid and waived,
 * earmarked spending by category (FEE-EARMARK), incidents by severity and plans filed or missing
 * (PLAN-ONE-SCHOOL). Every figure counts only documents the caller's existing read grants reach
 * (`Application`, `LedgerEntry` for bills and the ledger, `Incident`, `Plan`, `Student`), so a
 * county bureau sees its county and the city bureau the city; nothing names a child.
 */
export class DashboardService {
  constructor(private readonly m: DashboardModels) {}

  /** The dashboard for the caller's place, optionally narrowed to a county or school. */
  async view(p: Principal, q: DashboardQuery): Promise<DashboardView> {
    const ability = abilityFor(p);
    const reach = reachOf(ability);
    const schools = await this.schools(reach.School!, q);
    const schoolIds = schools.map((s) => s._id);
    const inSchools = { schoolId: { $in: schoolIds } };
    const plans = await this.m.enrolment.plans
      .find({ $and: [reach.Plan ?? NONE, inSchools] })
      .lean<PlanDoc[]>();
    const term = q.term ?? latestTerm(plans);
    const termPlans = plans.filter((pl) => pl.term === term);
    const range = termRange(termPlans);
    const [applications, students, bills, ledger, incidents, counties] = await Promise.all([
      this.m.enrolment.applications
        .find(
          { $and: [reach.Application!, inSchools, ...(term ? [{ term }] : [])] },
          { schoolId: 1, studentId: 1, status: 1 },
        )
        .lean<Pick<ApplicationDoc, 'schoolId' | 'studentId' | 'status'>[]>(),
      this.m.org.students
        .find(
          { $and: [reach.Student ?? NONE, inSchools] },
          { schoolId: 1, enrolled: 1, priorityGroups: 1 },
        )
        .lean<Pick<StudentDoc, '_id' | 'schoolId' | 'enrolled' | 'priorityGroups'>[]>(),
      this.m.billing.bills
        .find({ $and: [reach.LedgerEntry!, inSchools] })
        .lean<BillDoc[]>()
        .then((rows) =>
          term ? rows.filter((b) => termPlans.some((pl) => pl._id === b.planId)) : rows,
        ),
      this.m.billing.ledger
        .find({ $and: [reach.LedgerEntry!, inSchools] })
        .lean<LedgerEntryDoc[]>()
        .then((rows) => rows.filter((e) => inRange(e.date, range))),
      this.m.safety.incidents
        .find(
          { $and: [reach.Incident ?? NONE, inSchools] },
          { schoolId: 1, severity: 1, occurredAt: 1 },
        )
        .lean<Pick<IncidentDoc, 'schoolId' | 'severity' | 'occurredAt'>[]>()
        .then((rows) => rows.filter((i) => inRange(i.occurredAt.slice(0, 10), range))),
      this.m.org.counties
        .find({ _id: { $in: [...new Set(schools.map((s) => s.countyId))] } })
        .lean<CountyDoc[]>(),
    ]);

    const bySchool = new Map(schoolIds.map((id) => [id, emptyFigures()]));
    const at = (schoolId: string) => bySchool.get(schoolId);
    const priority = new Map(
      students.map((s) => [s._id, Object.values(s.priorityGroups ?? {}).some(Boolean)]),
    );
    const participants = new Map<string, Set<string>>();
    for (const a of applications) {
      const f = at(a.schoolId);
      if (!f) continue;
      f.applications[a.status] = (f.applications[a.status] ?? 0) + 1;
      f.applicationsTotal++;
      if (PLACED.has(a.status)) {
        const set = participants.get(a.schoolId) ?? new Set<string>();
        set.add(a.studentId);
        participants.set(a.schoolId, set);
      }
      if (a.status !== 'withdrawn' && priority.get(a.studentId)) {
        f.priorityApplied++;
        if (PLACED.has(a.status)) f.priorityPlaced++;
      }
    }
    for (const s of students) {
      const f = at(s.schoolId);
      if (f && s.enrolled) f.students++;
    }
    for (const [schoolId, set] of participants) at(schoolId)!.participants = set.size;
    for (const b of bills) {
      const f = at(b.schoolId);
      if (!f || b.status === 'cancelled') continue;
      f.billCount++;
      f.billedFen += b.amountFen;
      if (b.status === 'paid') {
        f.paidCount++;
        f.paidFen += b.paidFen ?? 0;
      }
      if (b.status === 'waived') f.waivedCount++;
      if (b.status === 'open' || b.status === 'overdue')
        f.outstandingFen += b.withdrawal ? b.withdrawal.keptFen : b.amountFen;
    }
    for (const e of ledger) {
      const f = at(e.schoolId);
      if (!f) continue;
      if (e.category === FEE_REFUND) f.refundFen += e.amountFen;
      if (e.direction !== 'out' || e.category === FEE_REFUND || e.category === FEE_PAYMENT)
        continue;
      f.spending[e.category] = (f.spending[e.category] ?? 0) + e.amountFen;
      f.spendingFen += e.amountFen;
    }
    for (const i of incidents) {
      const f = at(i.schoolId);
      if (!f) continue;
      f.incidents[i.severity] = (f.incidents[i.severity] ?? 0) + 1;
      f.incidentsTotal++;
    }

    const countyName = new Map(counties.map((c) => [c._id, c.name]));
    const rows: DashboardRow[] = [];
    const byCounty = groupBy(schools, (s) => s.countyId);
    const countyIds = [...byCounty.keys()].sort((a, b) =>
      (countyName.get(a) ?? a).localeCompare(countyName.get(b) ?? b, 'zh'),
    );
    const countyTotals: Figures[] = [];
    for (const countyId of countyIds) {
      const name = countyName.get(countyId) ?? countyId;
      const own = byCounty.get(countyId)!.sort((a, b) => a.name.localeCompare(b.name, 'zh'));
      const figs: Figures[] = [];
      for (const s of own) {
        const f = at(s._id)!;
        const plan = planOf(termPlans.filter((pl) => pl.schoolId === s._id));
        if (plan.status === 'filed') f.plansFiled = 1;
        else f.plansMissing = 1;
        figs.push(finish(f));
        rows.push({
          ...f,
          level: 'school',
          countyId,
          countyName: name,
          schoolId: s._id,
          schoolName: s.name,
          plan,
        });
      }
      const total = finish(sum(figs));
      countyTotals.push(total);
      rows.push({
        ...total,
        level: 'county',
        countyId,
        countyName: name,
        schoolId: null,
        schoolName: t('dashboard.level.county'),
        plan: null,
      });
    }
    if (countyIds.length > 1)
      rows.push({
        ...finish(sum(countyTotals)),
        level: 'city',
        countyId: null,
        countyName: t('dashboard.level.all'),
        schoolId: null,
        schoolName: t('dashboard.level.city'),
        plan: null,
      });
    return {
      term: term ?? null,
      generatedAt: new Date().toISOString(),
      rows,
      tables: tablesOf(rows, term ?? ''),
    };
  }

  /**
   * Annex 1 (附件1 企业微信平台管理员信息表): the platform administrators of the caller's
   * counties (the county bureau's accounts, for a bureau) and schools (the school admins), with
   * the mobile phone the platform is opened with. Needs the `read Staff` reach.
   */
  async annex1(p: Principal, q: DashboardQuery): Promise<Register> {
    const ability = abilityFor(p);
    const staffReach = accessibleQuery(ability, 'read', 'Staff');
    if (!staffReach) throw forbidden();
    const schools = await this.schools(reachOf(ability).School!, q);
    const schoolIds = new Set(schools.map((s) => s._id));
    const isBureau = p.memberships.some(
      (m) => m.role === 'countyBureau' || m.role === 'cityBureau',
    );
    const countyIds = new Set(isBureau ? schools.map((s) => s.countyId) : []);
    const counties = await this.m.org.counties
      .find({ _id: { $in: [...countyIds] } })
      .lean<CountyDoc[]>();
    const countyName = new Map(counties.map((c) => [c._id, c.name]));
    const schoolById = new Map(schools.map((s) => [s._id, s]));
    const users = await this.m.users.users
      .find(
        { 'memberships.role': { $in: ['countyBureau', 'schoolAdmin'] }, disabled: { $ne: true } },
        { displayName: 1, phone: 1, memberships: 1 },
      )
      .lean<Pick<UserDoc, '_id' | 'displayName' | 'phone' | 'memberships'>[]>();
    const lines: {
      county: string;
      unit: string;
      order: number;
      name: string;
      post: string;
      mobile: string;
    }[] = [];
    for (const u of users)
      for (const m of u.memberships) {
        if (m.role === 'countyBureau' && m.scope.countyId && countyIds.has(m.scope.countyId)) {
          const county = countyName.get(m.scope.countyId) ?? m.scope.countyId;
          lines.push({
            county,
            unit: `${county}教育局`,
            order: 0,
            name: u.displayName,
            post: t('dashboard.annex1.post.countyBureau'),
            mobile: u.phone ?? '',
          });
        }
        if (m.role === 'schoolAdmin' && m.scope.schoolId && schoolIds.has(m.scope.schoolId)) {
          const school = schoolById.get(m.scope.schoolId)!;
          lines.push({
            county: countyNameOf(school, countyName),
            unit: school.name,
            order: 1,
            name: u.displayName,
            post: t('dashboard.annex1.post.schoolAdmin'),
            mobile: u.phone ?? '',
          });
        }
      }
    lines.sort(
      (a, b) =>
        a.county.localeCompare(b.county, 'zh') ||
        a.order - b.order ||
        a.unit.localeCompare(b.unit, 'zh') ||
        a.name.localeCompare(b.name, 'zh'),
    );
    return {
      title: t('dashboard.annex1.title'),
      sheet: t('dashboard.annex1.sheet'),
      headers: (['no', 'county', 'unit', 'name', 'post', 'mobile'] as const).map((k) =>
        t(`dashboard.annex1.col.${k}`),
      ),
      rows: lines.map((l, i) => [i + 1, l.county, l.unit, l.name, l.post, l.mobile]),
    };
  }

  /**
   * Annex 2 (附件2 学校教师信息登记表): the serving staff of the caller's schools (not those
   * whose registration the school ended) —
   * school full name, name, gender, department, mobile — through the `read Staff` reach.
   */
  async annex2(p: Principal, q: DashboardQuery): Promise<Register> {
    const ability = abilityFor(p);
    const staffReach = accessibleQuery(ability, 'read', 'Staff');
    if (!staffReach) throw forbidden();
    const schools = await this.schools(reachOf(ability).School!, q);
    const counties = await this.m.org.counties
      .find({ _id: { $in: [...new Set(schools.map((s) => s.countyId))] } })
      .lean<CountyDoc[]>();
    const countyName = new Map(counties.map((c) => [c._id, c.name]));
    const order = new Map(
      [...schools]
        .sort(
          (a, b) =>
            countyNameOf(a, countyName).localeCompare(countyNameOf(b, countyName), 'zh') ||
            a.name.localeCompare(b.name, 'zh'),
        )
        .map((s, i) => [s._id, i]),
    );
    const inSchools = { schoolId: { $in: [...order.keys()] } };
    // an ending (inserted once) is the truth; the member's own copy of it may not be written yet
    const ended = new Set(
      (await this.m.staff.endings.find(inSchools, { _id: 1 }).lean<{ _id: string }[]>()).map(
        (e) => e._id,
      ),
    );
    const members = (
      await this.m.staff.members.find({ $and: [staffReach, inSchools] }).lean<StaffMemberDoc[]>()
    ).filter((m) => !m.endedAt && !ended.has(m._id));
    members.sort(
      (a, b) =>
        order.get(a.schoolId)! - order.get(b.schoolId)! ||
        a.department.localeCompare(b.department, 'zh') ||
        a.name.localeCompare(b.name, 'zh'),
    );
    return {
      title: t('dashboard.annex2.title'),
      sheet: t('dashboard.annex2.sheet'),
      headers: (['school', 'name', 'gender', 'department', 'mobile'] as const).map((k) =>
        t(`dashboard.annex2.col.${k}`),
      ),
      rows: members.map((m) => [
        m.schoolFullName,
        m.name,
        t(`dashboard.gender.${m.gender}`),
        m.department,
        m.mobile,
      ]),
    };
  }

  // helpers //////////

  /** The schools the caller reads, narrowed to the query's county or school. */
  private async schools(reach: MongoQuery, q: DashboardQuery): Promise<SchoolDoc[]> {
    return this.m.org.schools
      .find({
        $and: [
          reach,
          ...(q.countyId ? [{ countyId: q.countyId }] : []),
          ...(q.schoolId ? [{ _id: q.schoolId }] : []),
        ],
      })
      .lean<SchoolDoc[]>();
  }
}

/** A filter no document matches (for a subject the caller has no grant on). */
const NONE: MongoQuery = { _id: { $in: [] } };

type Reach = Partial<Record<SubjectName, MongoQuery>>;

/**
 * The caller's reach per subject the dashboard counts. Only those who oversee the money
 * (`read LedgerEntry`: school admins, principals, the bureaus) and read applications see it.
 */
function reachOf(ability: AppAbility): Reach {
  const reach: Reach = {};
  for (const s of [
    'School',
    'Application',
    'LedgerEntry',
    'Incident',
    'Plan',
    'Student',
  ] as const) {
    const q = accessibleQuery(ability, 'read', s);
    if (q) reach[s] = q;
  }
  if (!reach.School || !reach.Application || !reach.LedgerEntry) throw forbidden();
  return reach;
}

function forbidden(): UserError {
  return new UserError(403, 'DASHBOARD_FORBIDDEN', 'dashboard.forbidden');
}

function emptyFigures(): Figures {
  return {
    applications: {},
    applicationsTotal: 0,
    students: 0,
    participants: 0,
    participationRate: null,
    priorityApplied: 0,
    priorityPlaced: 0,
    priorityShare: null,
    billCount: 0,
    billedFen: 0,
    paidCount: 0,
    paidFen: 0,
    waivedCount: 0,
    outstandingFen: 0,
    refundFen: 0,
    spending: {},
    spendingFen: 0,
    incidents: {},
    incidentsTotal: 0,
    plansFiled: 0,
    plansMissing: 0,
  };
}

/** Fills in the rates from the counts. */
function finish(f: Figures): Figures {
  f.participationRate = f.students ? f.participants / f.students : null;
  f.priorityShare = f.priorityApplied ? f.priorityPlaced / f.priorityApplied : null;
  return f;
}

/** The figures summed (rates recomputed by {@link finish}). */
function sum(all: Figures[]): Figures {
  const total = emptyFigures();
  for (const f of all) {
    for (const [k, v] of Object.entries(f) as [keyof Figures, unknown][]) {
      if (typeof v === 'number' && k !== 'participationRate' && k !== 'priorityShare')
        (total[k] as number) += v;
    }
    for (const key of ['applications', 'spending', 'incidents'] as const)
      for (const [k, v] of Object.entries(f[key])) total[key][k] = (total[key][k] ?? 0) + v;
  }
  return total;
}

/** The term of the plan that starts last (the current or coming term). */
function latestTerm(plans: PlanDoc[]): string | undefined {
  return [...plans].sort((a, b) => b.termStart.localeCompare(a.termStart))[0]?.term;
}

/** The days the term's plans cover (first start … last end), if any plan is known. */
function termRange(plans: PlanDoc[]): { from: string; to: string } | undefined {
  if (!plans.length) return undefined;
  return {
    from: plans.map((p) => p.termStart).sort()[0]!,
    to: plans
      .map((p) => p.termEnd)
      .sort()
      .at(-1)!,
  };
}

function inRange(day: string, range: { from: string; to: string } | undefined): boolean {
  return !range || (day >= range.from && day <= range.to);
}

/** A school's plan for the term as the dashboard reports it. */
function planOf(plans: PlanDoc[]): NonNullable<DashboardRow['plan']> {
  const filed = plans.find((p) => p.status === 'filed' || p.status === 'published');
  if (filed) return { status: 'filed', filingNo: filed.filing?.filingNo ?? null };
  if (plans.some((p) => p.status === 'submitted')) return { status: 'submitted', filingNo: null };
  if (plans.some((p) => p.status === 'draft' || p.status === 'withdrawn'))
    return { status: 'draft', filingNo: null };
  return { status: 'missing', filingNo: null };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}

function countyNameOf(school: SchoolDoc, names: Map<string, string>): string {
  return names.get(school.countyId) ?? school.countyId;
}

type Column = DashboardTable['columns'][number];
type Cell = DashboardTable['rows'][number]['cells'][number];

/** One column of a dashboard table with what each row shows in it. */
interface Field {
  column: Column;
  value: (r: DashboardRow) => Cell;
}

function field(
  key: string,
  label: MessageKey | string,
  kind: Column['kind'],
  value: Field['value'],
): Field {
  return { column: { key, label, kind }, value };
}

const yuanOf = (fen: number) => Math.round(fen) / 100;

/** The dashboard's tables, one per export, built from its rows in their order. */
export function tablesOf(rows: DashboardRow[], term: string): DashboardTable[] {
  const place = [
    field('county', t('dashboard.col.county'), 'text', (r) => r.countyName),
    field('school', t('dashboard.col.school'), 'text', (r) => r.schoolName),
  ];
  const otherSpending = (r: DashboardRow) =>
    Object.entries(r.spending)
      .filter(([k]) => !(EARMARKED_SPENDING as readonly string[]).includes(k))
      .reduce((s, [, v]) => s + v, 0);
  const defs: Record<TableKey, Field[]> = {
    applications: [
      ...APPLICATION_STATES.map((s) =>
        field(s, t(`dashboard.col.app.${s}`), 'int', (r) => r.applications[s] ?? 0),
      ),
      field('total', t('dashboard.col.app.total'), 'int', (r) => r.applicationsTotal),
    ],
    participation: [
      field('students', t('dashboard.col.students'), 'int', (r) => r.students),
      field('participants', t('dashboard.col.participants'), 'int', (r) => r.participants),
      field(
        'participationRate',
        t('dashboard.col.participation_rate'),
        'percent',
        (r) => r.participationRate,
      ),
      field(
        'priorityApplied',
        t('dashboard.col.priority_applied'),
        'int',
        (r) => r.priorityApplied,
      ),
      field('priorityPlaced', t('dashboard.col.priority_placed'), 'int', (r) => r.priorityPlaced),
      field('priorityShare', t('dashboard.col.priority_share'), 'percent', (r) => r.priorityShare),
    ],
    fees: [
      field('bills', t('dashboard.col.bills'), 'int', (r) => r.billCount),
      field('billed', t('dashboard.col.billed'), 'yuan', (r) => yuanOf(r.billedFen)),
      field('paidCount', t('dashboard.col.paid_count'), 'int', (r) => r.paidCount),
      field('paid', t('dashboard.col.paid'), 'yuan', (r) => yuanOf(r.paidFen)),
      field('waivedCount', t('dashboard.col.waived_count'), 'int', (r) => r.waivedCount),
      field('outstanding', t('dashboard.col.outstanding'), 'yuan', (r) => yuanOf(r.outstandingFen)),
      field('refunded', t('dashboard.col.refunded'), 'yuan', (r) => yuanOf(r.refundFen)),
    ],
    spending: [
      ...EARMARKED_SPENDING.map((c) =>
        field(c, `${categoryName(c)}（元）`, 'yuan', (r) => yuanOf(r.spending[c] ?? 0)),
      ),
      field('other', t('dashboard.col.spending_other'), 'yuan', (r) => yuanOf(otherSpending(r))),
      field('total', t('dashboard.col.spending_total'), 'yuan', (r) => yuanOf(r.spendingFen)),
    ],
    incidents: [
      ...SEVERITIES.map((s) =>
        field(s, t(`safety.severity.${s}`), 'int', (r) => r.incidents[s] ?? 0),
      ),
      field('total', t('dashboard.col.incidents_total'), 'int', (r) => r.incidentsTotal),
    ],
    plans: [
      field('term', t('dashboard.col.term'), 'text', () => term),
      field('status', t('dashboard.col.plan_status'), 'text', (r) =>
        r.plan ? t(`dashboard.plan.${r.plan.status}`) : '',
      ),
      field('filingNo', t('dashboard.col.plan_filing_no'), 'text', (r) => r.plan?.filingNo ?? ''),
      field('filed', t('dashboard.plan.filed'), 'int', (r) => r.plansFiled),
      field('missing', t('dashboard.plan.missing'), 'int', (r) => r.plansMissing),
    ],
  };
  return (Object.keys(defs) as TableKey[]).map((key) => {
    const fields = [...place, ...defs[key]];
    return {
      key,
      title: t(`dashboard.table.${key}`),
      columns: fields.map((f) => f.column),
      rows: rows.map((r) => ({ level: r.level, cells: fields.map((f) => f.value(r)) })),
    };
  });
}
