import { randomBytes } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { isDuplicateKey } from '../../db/models';
import type { Vars } from '../../engine/runtime/state';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  TransientError,
  UserError,
  type RuleCitation,
} from '../../lib/errors';
import { t } from '../../lib/i18n';
import type { SchoolCalendar } from '../../rules/calendar';
import type { ServiceParameters } from '../../rules/parameters';
import { checkPlanFiling, type SchoolPlan } from '../../rules/plan';
import type { OrgModels, SchoolDoc } from '../org/org.model';
import type { PlanDecision, PlansEnginePort } from './engine-port';
import { overrunningSessions, planCalendar, toSchoolPlan } from './plan-rules';
import type {
  PlanDoc,
  PlanEventDoc,
  PlanModels,
  PlanSession,
  PlanStaffMember,
  PlanStatus,
} from './plans.model';
import type {
  CreatePlanBody,
  ListPlansQuery,
  PublishPlanBody,
  RecordCheckBody,
  UpdatePlanBody,
} from './plans.schema';

/** The plan process (processes/school-service-plan.bpmn) and the step that waits for revision. */
export const PLAN_PROCESS = 'school-service-plan';
export const REVISE_STEP = 'RevisePlan';

/** How long after a submission a worker waits for its instance key (see afterSubmission). */
const SUBMISSION_SETTLE_MS = 60_000;

/** A plan's status as the API shows it: `returned` while the process waits for revision. */
export type PlanViewStatus = PlanStatus | 'returned';

/** A plan as the API shows it (see `planView` in plans.schema.ts). */
export interface PlanView {
  id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  term: string;
  termStart: string;
  termEnd: string;
  status: PlanViewStatus;
  sessions: Partial<PlanSession>[];
  feeStandardFen: number;
  middayMinutes: number;
  middayFeeConsent: boolean;
  method?: string;
  safetyMeasures?: string;
  emergencyPlan?: string;
  filing?: PlanDoc['filing'];
  dutySchedule?: string;
  staff?: PlanStaffMember[];
  instanceKey?: string;
  currentSteps?: { id: string; name?: string }[];
  submissions?: number;
  lastCheck?: PlanCheck;
  refusal?: { step: string; violations?: RuleCitation[]; reason?: string };
  createdBy?: string;
  submittedBy?: string;
  submittedAt?: string;
  updatedAt?: string;
  timeline?: { step: string; at: string; by: string; data?: unknown }[];
}

/** The outcome of the last automatic check (check-plan). */
export interface PlanCheck {
  at: string;
  ok: boolean;
  violations: RuleCitation[];
  warnings: RuleCitation[];
}

/** What the check-plan worker checks a plan against. */
export interface PlanFacts {
  planId: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  status: PlanStatus;
  plan: SchoolPlan;
  calendar: SchoolCalendar;
}

/** The parameters in force for a county (the parameters slice). */
export interface CountyParametersSource {
  effectiveFor(countyId: string): Promise<ServiceParameters>;
}

/**
 * School service plans (一校一案, PLAN-ONE-SCHOOL): a school admin drafts the school's plan for
 * a term (one per school and term), edits it, and submits it, which starts the
 * `school-service-plan` process: the rule check (check-plan), the parent committee's consent
 * (FLOW-COMMITTEE), the principal's sign-off (RESP-PRINCIPAL), the county's filing, and the
 * publication (publish-plan) that makes it the plan parents apply under. A plan sent back
 * is revised here and resubmitted (or withdrawn), which completes the process's revision
 * task. Who may read what is the CASL table's: parents see published plans of their child's
 * school without internal fields.
 */
export class PlanService {
  constructor(
    private readonly m: PlanModels,
    private readonly org: Pick<OrgModels, 'schools'>,
    private readonly engine: PlansEnginePort,
    private readonly parameters: CountyParametersSource,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A school admin drafts the school's plan for a term; one plan per school and term. */
  async create(p: Principal, body: CreatePlanBody): Promise<PlanView> {
    const school = await this.org.schools.findById(body.schoolId).lean<SchoolDoc>();
    const ability = abilityFor(p);
    if (!school || !ability.can('read', subject('School', school))) throw new NotFoundError();
    const ids = { cityId: school.cityId, countyId: school.countyId, schoolId: school._id };
    if (!ability.can('create', subject('Plan', ids)) || p.kind === 'service')
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
    const now = this.now();
    const doc: PlanDoc = {
      _id: planIdOf(school._id, body.term),
      ...ids,
      term: body.term,
      status: 'draft',
      ...planContent(body),
      middayFeeConsent: false,
      submissions: 0,
      createdBy: p.userId,
      updatedAt: now,
    };
    try {
      await this.m.plans.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError(t('plan.exists'), 'PLAN_EXISTS');
      throw err;
    }
    await this.event(doc._id, 'drafted', p.userId);
    return this.view(p, doc, true);
  }

  /** Replaces the draft's content (a draft, a withdrawn plan, or one returned for revision). */
  async update(p: Principal, id: string, body: UpdatePlanBody): Promise<PlanView> {
    const doc = await this.forSchool(p, id);
    if (!(await this.isEditable(doc)))
      throw new ConflictError(t('plan.not_editable'), 'PLAN_NOT_EDITABLE');
    const set: Partial<PlanDoc> = {
      ...planContent(body),
      ...(doc.status === 'withdrawn' ? { status: 'draft' as const } : {}),
      updatedAt: this.now(),
    };
    await this.m.plans.updateOne({ _id: doc._id }, { $set: set });
    await this.event(doc._id, 'edited', p.userId);
    return this.view(p, { ...doc, ...set }, true);
  }

  /** Submits a draft (or a withdrawn plan again): the plan process starts with its values. */
  async submit(p: Principal, id: string): Promise<PlanView> {
    const doc = await this.forSchool(p, id);
    if (doc.status !== 'draft' && doc.status !== 'withdrawn')
      throw new ConflictError(t('plan.not_submittable'), 'PLAN_NOT_SUBMITTABLE');
    const n = (doc.submissions ?? 0) + 1;
    // the insert is the compare-and-swap: of two concurrent submissions one starts a process
    if (!(await this.event(doc._id, 'submitted', p.userId, `submit-${n}`)))
      throw new ConflictError(t('plan.not_submittable'), 'PLAN_NOT_SUBMITTABLE');
    // written before the process starts: its check-plan worker writes the plan as soon as it
    // runs, and FerretDB 1.24 rewrites the whole document on update, so a write of ours landing
    // at the same time could wipe out its check (or it our status); the one write left after
    // the start, the instance key, is awaited by the worker's route (recordCheck)
    const set: Partial<PlanDoc> = {
      status: 'submitted',
      submissions: n,
      submittedBy: p.userId,
      submittedAt: this.now(),
      updatedAt: this.now(),
    };
    await this.m.plans.updateOne(
      { _id: doc._id },
      { $set: set, $unset: { lastCheck: 1, instanceKey: 1 } },
    );
    let instanceKey: string;
    try {
      instanceKey = await this.engine.startProcess(PLAN_PROCESS, doc.schoolId, {
        planId: doc._id,
        cityId: doc.cityId,
        countyId: doc.countyId,
        schoolId: doc.schoolId,
        submittedBy: p.userId,
        ...formValues(doc),
      });
    } catch (err) {
      await this.m.plans.updateOne(
        { _id: doc._id },
        {
          $set: {
            status: doc.status,
            submissions: doc.submissions ?? 0,
            ...(doc.lastCheck ? { lastCheck: doc.lastCheck } : {}),
            ...(doc.instanceKey ? { instanceKey: doc.instanceKey } : {}),
          },
        },
      );
      await this.m.events.deleteOne({ _id: `${doc._id}:submit-${n}` });
      throw err;
    }
    await this.m.plans.updateOne({ _id: doc._id }, { $set: { instanceKey } });
    const { lastCheck: _cleared, ...rest } = doc;
    return this.view(p, { ...rest, ...set, instanceKey }, true);
  }

  /** Resubmits a plan returned for revision: completes the process's revision task. */
  async resubmit(p: Principal, id: string): Promise<PlanView> {
    return this.answerRevision(p, id, false);
  }

  /** Withdraws a plan returned for revision (the process ends; it may be submitted again). */
  async withdraw(p: Principal, id: string): Promise<PlanView> {
    return this.answerRevision(p, id, true);
  }

  /** The plans the caller may read, latest term first. */
  async list(p: Principal, q: ListPlansQuery): Promise<{ items: PlanView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Plan');
    if (!allowed) return { items: [], total: 0 };
    const filter = {
      $and: [
        allowed,
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.countyId ? [{ countyId: q.countyId }] : []),
        ...(q.term ? [{ term: q.term }] : []),
        ...(q.status && q.status !== 'returned' ? [{ status: q.status }] : []),
        ...(q.status === 'returned' ? [{ status: 'submitted' }] : []),
      ],
    };
    const rows = await this.m.plans.find(filter).lean<PlanDoc[]>();
    rows.sort((a, b) => b.termStart.localeCompare(a.termStart) || a._id.localeCompare(b._id));
    let views = await Promise.all(rows.map((doc) => this.view(p, doc, false)));
    if (q.status === 'returned') views = views.filter((v) => v.status === 'returned');
    return { items: views.slice(q.offset, q.offset + q.limit), total: views.length };
  }

  /** One plan with its timeline; 404 for those who may not read it. */
  async get(p: Principal, id: string): Promise<PlanView> {
    return this.view(p, await this.readable(p, id), true);
  }

  /** What the check-plan worker checks (workers only). */
  async facts(p: Principal, id: string): Promise<PlanFacts> {
    const doc = await this.forWorker(p, id);
    return {
      planId: doc._id,
      cityId: doc.cityId,
      countyId: doc.countyId,
      schoolId: doc.schoolId,
      status: doc.status,
      plan: toSchoolPlan(doc),
      calendar: planCalendar(doc),
    };
  }

  /** The check-plan worker records its outcome (idempotent by key). */
  async recordCheck(p: Principal, id: string, body: RecordCheckBody): Promise<void> {
    const doc = await this.forWorker(p, id);
    this.afterSubmission(doc);
    const check: PlanCheck = {
      at: this.now().toISOString(),
      ok: body.ok,
      violations: body.violations,
      warnings: body.warnings,
    };
    const data = { ok: body.ok, violations: body.violations, warnings: body.warnings };
    if (!(await this.event(doc._id, 'checked', p.userId, `check:${body.key}`, data))) return;
    await this.m.plans.updateOne({ _id: doc._id }, { $set: { lastCheck: JSON.stringify(check) } });
  }

  /**
   * The publish-plan worker files and publishes the plan after the county's filing: the
   * principal's written reason goes onto each session beyond TIME-2H, the committee's consent
   * to a midday fee (FEE-PRORATE) and who consented (FLOW-COMMITTEE), signed (RESP-PRINCIPAL)
   * and filed are recorded; from then on parents see it and may apply. Refused when the
   * committee's consent or the principal's sign-off is not on record. Idempotent.
   */
  async publish(
    p: Principal,
    id: string,
    body: PublishPlanBody,
  ): Promise<{ status: string; publishedAt: string }> {
    const doc = await this.forWorker(p, id);
    if (doc.status === 'published' && doc.filing)
      return { status: doc.status, publishedAt: doc.filing.publishedAt };
    if (doc.status !== 'submitted' || !doc.instanceKey)
      throw new ConflictError(t('plan.not_publishable'), 'PLAN_NOT_PUBLISHABLE');
    const decisions = await this.engine.decisions(doc.instanceKey);
    const last = (elementId: string): PlanDecision | undefined =>
      decisions.filter((d) => d.elementId === elementId).at(-1);
    const committee = last('CommitteeConsent');
    const principal = body.responsibilityAccepted ? last('PrincipalSignOff') : undefined;
    const county = last('CountyFiling');
    const exception = last('ApproveTimeException');
    const params = await this.parameters.effectiveFor(doc.countyId);
    const overrunning = new Set(overrunningSessions(doc.sessions, params).map((s) => s.id));
    const reason = body.timeExceptionReason?.trim();
    const sessions = doc.sessions.map((s) =>
      overrunning.has(s.id) && reason && exception
        ? {
            ...s,
            approvedReason: { text: reason, approvedBy: exception.by, approvedAt: exception.at },
          }
        : s,
    );
    const published: PlanDoc = {
      ...doc,
      sessions,
      middayFeeConsent: doc.middayMinutes > 0 && body.middayFeeConsent === true,
    };
    const filingCheck = checkPlanFiling(
      toSchoolPlan(published, {
        ...(committee
          ? {
              committeeConsent: {
                reference: `${doc.instanceKey}:CommitteeConsent`,
                recordedAt: committee.at,
              },
            }
          : {}),
        ...(principal ? { principal: { userId: principal.by, signedAt: principal.at } } : {}),
      }),
      params,
      planCalendar(doc),
    );
    const missing = filingCheck.violations.filter(
      (v) => v.rule === 'FLOW-COMMITTEE' || v.rule === 'RESP-PRINCIPAL',
    );
    if (missing.length) throw new RuleViolationError(missing);
    const publishedAt = this.now().toISOString();
    const filing: NonNullable<PlanDoc['filing']> = {
      filingNo: body.filingNo,
      ...(county ? { filedBy: county.by, filedAt: county.at } : {}),
      ...(committee ? { committeeConsentBy: committee.by, committeeConsentAt: committee.at } : {}),
      ...(principal ? { principalSignOffBy: principal.by, principalSignOffAt: principal.at } : {}),
      publishedAt,
    };
    await this.m.plans.updateOne(
      { _id: doc._id },
      {
        $set: {
          status: 'published',
          sessions,
          middayFeeConsent: published.middayFeeConsent,
          filing,
          updatedAt: this.now(),
        },
      },
    );
    await this.event(doc._id, 'published', p.userId, `publish:${body.key}`, {
      filingNo: body.filingNo,
    });
    return { status: 'published', publishedAt };
  }

  // helpers //////////

  private async answerRevision(p: Principal, id: string, abandon: boolean): Promise<PlanView> {
    const doc = await this.forSchool(p, id);
    const taskKey =
      doc.status === 'submitted' && doc.instanceKey
        ? await this.engine.openTask(doc.instanceKey, REVISE_STEP)
        : undefined;
    if (!taskKey) throw new ConflictError(t('plan.not_returned'), 'PLAN_NOT_RETURNED');
    const step = abandon ? 'withdrawn' : 'resubmitted';
    if (!(await this.event(doc._id, step, p.userId, `revise:${taskKey}`)))
      throw new ConflictError(t('plan.not_returned'), 'PLAN_NOT_RETURNED');
    // the old check is cleared before the task completes: the check-plan worker runs again
    // right after, and a clearing landing after (or over) its write would wipe out the new check
    const set: Partial<PlanDoc> = { updatedAt: this.now() };
    if (!abandon)
      await this.m.plans.updateOne({ _id: doc._id }, { $set: set, $unset: { lastCheck: 1 } });
    try {
      await this.engine.completeTask(
        taskKey,
        { ...formValues(doc), abandonPlan: abandon },
        p.userId,
      );
    } catch (err) {
      if (!abandon && doc.lastCheck)
        await this.m.plans.updateOne({ _id: doc._id }, { $set: { lastCheck: doc.lastCheck } });
      await this.m.events.deleteOne({ _id: `${doc._id}:revise:${taskKey}` });
      throw err;
    }
    // a withdrawal ends the process: no worker writes the plan after it
    if (abandon) {
      set.status = 'withdrawn';
      await this.m.plans.updateOne({ _id: doc._id }, { $set: set });
    }
    const { lastCheck, ...rest } = doc;
    return this.view(p, { ...rest, ...(abandon && lastCheck ? { lastCheck } : {}), ...set }, true);
  }

  /** Whether the school may change the plan now. */
  private async isEditable(doc: PlanDoc): Promise<boolean> {
    if (doc.status === 'draft' || doc.status === 'withdrawn') return true;
    if (doc.status !== 'submitted' || !doc.instanceKey) return false;
    return (await this.engine.openTask(doc.instanceKey, REVISE_STEP)) !== undefined;
  }

  private async readable(p: Principal, id: string): Promise<PlanDoc> {
    const doc = await this.m.plans.findById(id).lean<PlanDoc>();
    if (!doc || !abilityFor(p).can('read', subject('Plan', doc))) throw new NotFoundError();
    return doc;
  }

  /** A plan the school (not a service account) may change: 404 unless readable, else 403. */
  private async forSchool(p: Principal, id: string): Promise<PlanDoc> {
    const doc = await this.readable(p, id);
    if (p.kind === 'service' || !abilityFor(p).can('update', subject('Plan', doc)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
    return doc;
  }

  /**
   * A worker's write waits for the submission's last write, the instance key, which lands just
   * after the process starts: FerretDB 1.24 rewrites the whole plan on update, so two writes at
   * once could lose one. Until it is there (a minute at most; after that the submission is
   * taken to have died between the two) the worker is told to retry (503, its job's retries).
   */
  private afterSubmission(doc: PlanDoc): void {
    const submittedAt = doc.submittedAt ? new Date(doc.submittedAt).getTime() : 0;
    if (!doc.instanceKey && Math.abs(this.now().getTime() - submittedAt) < SUBMISSION_SETTLE_MS)
      throw new TransientError(
        'PLAN_SUBMISSION_PENDING',
        'error.transient',
        'instance key not yet written',
      );
  }

  /** A plan for the job workers' routes: only a worker account may call them. */
  private async forWorker(p: Principal, id: string): Promise<PlanDoc> {
    const doc = await this.m.plans.findById(id).lean<PlanDoc>();
    if (!doc || !abilityFor(p).can('read', subject('Plan', doc))) throw new NotFoundError();
    if (!p.roles.includes('worker') || !abilityFor(p).can('update', subject('Plan', doc)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', t('plan.workers_only'));
    return doc;
  }

  /** Records an event once per key; false when it was recorded before. */
  private async event(
    planId: string,
    step: string,
    by: string,
    key = `${step}:${Date.now()}:${randomBytes(3).toString('hex')}`,
    data?: object,
  ): Promise<boolean> {
    try {
      await this.m.events.create({
        _id: `${planId}:${key}`,
        planId,
        step,
        at: this.now(),
        by,
        ...(data ? { data: JSON.stringify(data) } : {}),
      } satisfies PlanEventDoc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** The plan's status, read through its process while submitted. */
  private async statusOf(doc: PlanDoc): Promise<{
    status: PlanViewStatus;
    steps?: { id: string; name?: string }[];
    refusal?: PlanView['refusal'];
  }> {
    if (doc.status !== 'submitted' || !doc.instanceKey) return { status: doc.status };
    const progress = await this.engine.progress(doc.instanceKey);
    if (progress.state === 'ACTIVE') {
      const returned = progress.steps.some((s) => s.id === REVISE_STEP);
      const refusal = returned ? refusalOf(progress.refusal) : undefined;
      return {
        status: returned ? 'returned' : 'submitted',
        steps: progress.steps,
        ...(refusal ? { refusal } : {}),
      };
    }
    // ended without publication (withdrawn in the inbox's revision task, or cancelled): the
    // publication writes the status before its job completes, so read the plan once more
    const fresh = await this.m.plans.findById(doc._id).lean<PlanDoc>();
    if (fresh && fresh.status !== 'submitted') return { status: fresh.status };
    await this.m.plans.updateOne(
      { _id: doc._id },
      { $set: { status: 'withdrawn', updatedAt: this.now() } },
    );
    return { status: 'withdrawn' };
  }

  private async view(p: Principal, doc: PlanDoc, detail: boolean): Promise<PlanView> {
    const full = abilityFor(p).can('read', subject('Plan', doc), 'staff');
    const { status, steps, refusal } = await this.statusOf(doc);
    const base: PlanView = {
      id: doc._id,
      cityId: doc.cityId,
      countyId: doc.countyId,
      schoolId: doc.schoolId,
      term: doc.term,
      termStart: doc.termStart,
      termEnd: doc.termEnd,
      status,
      sessions: doc.sessions.map((s) => sessionView(s, full)),
      feeStandardFen: doc.feeStandardFen,
      middayMinutes: doc.middayMinutes ?? 0,
      middayFeeConsent: doc.middayFeeConsent ?? false,
      ...(doc.method ? { method: doc.method } : {}),
      ...(doc.safetyMeasures ? { safetyMeasures: doc.safetyMeasures } : {}),
      ...(doc.emergencyPlan ? { emergencyPlan: doc.emergencyPlan } : {}),
      ...(doc.filing ? { filing: full ? doc.filing : publicFiling(doc.filing) } : {}),
    };
    if (!full) return base;
    const view: PlanView = {
      ...base,
      ...(doc.dutySchedule ? { dutySchedule: doc.dutySchedule } : {}),
      staff: doc.staff ?? [],
      ...(doc.instanceKey ? { instanceKey: doc.instanceKey } : {}),
      ...(steps ? { currentSteps: steps } : {}),
      submissions: doc.submissions ?? 0,
      ...(doc.lastCheck ? { lastCheck: JSON.parse(doc.lastCheck) as PlanCheck } : {}),
      ...(refusal ? { refusal } : {}),
      ...(doc.createdBy ? { createdBy: doc.createdBy } : {}),
      ...(doc.submittedBy ? { submittedBy: doc.submittedBy } : {}),
      ...(doc.submittedAt ? { submittedAt: new Date(doc.submittedAt).toISOString() } : {}),
      ...(doc.updatedAt ? { updatedAt: new Date(doc.updatedAt).toISOString() } : {}),
    };
    if (detail) {
      const events = await this.m.events.find({ planId: doc._id }).lean<PlanEventDoc[]>();
      view.timeline = events
        .sort((a, b) => a.at.getTime() - b.at.getTime() || a._id.localeCompare(b._id))
        .map((e) => ({
          step: e.step,
          at: e.at.toISOString(),
          by: e.by,
          ...(e.data ? { data: JSON.parse(e.data) as unknown } : {}),
        }));
    }
    return view;
  }
}

/** The id of a school's plan for a term: one per school and term (PLAN-ONE-SCHOOL). */
export function planIdOf(schoolId: string, term: string): string {
  return `plan-${schoolId}-${term}`;
}

/** The start and revision forms' values of a plan (what the process's forms show). */
export function formValues(doc: PlanDoc): Vars {
  return {
    term: doc.term,
    termStart: doc.termStart,
    termEnd: doc.termEnd,
    sessions: doc.sessions.map((s) => ({
      name: s.name,
      weekdays: s.weekdays,
      dismissal: s.dismissal,
      start: s.start,
      end: s.end,
      content: s.content,
      venue: s.venue,
      personInCharge: s.personInCharge,
      capacity: s.capacity,
    })),
    feeStandardYuan: doc.feeStandardFen / 100,
    middayMinutes: doc.middayMinutes,
    safetyMeasures: doc.safetyMeasures,
    emergencyPlan: doc.emergencyPlan,
    ...(doc.dutySchedule ? { dutySchedule: doc.dutySchedule } : {}),
    ...(doc.method ? { method: doc.method } : {}),
  };
}

// helpers //////////

type PlanContent = Pick<
  PlanDoc,
  | 'termStart'
  | 'termEnd'
  | 'sessions'
  | 'staff'
  | 'feeStandardFen'
  | 'middayMinutes'
  | 'safetyMeasures'
  | 'emergencyPlan'
  | 'method'
  | 'dutySchedule'
>;

/** The stored content of a draft: sessions get ids, names of their person in charge. */
function planContent(body: UpdatePlanBody): PlanContent {
  const staff: PlanStaffMember[] = body.staff.map((m) => ({ ...m }));
  const taken = new Set(body.sessions.flatMap((s) => (s.id ? [s.id] : [])));
  let n = 0;
  const nextId = () => {
    do n += 1;
    while (taken.has(`S${n}`));
    return `S${n}`;
  };
  const sessions: PlanSession[] = body.sessions.map((s) => ({
    id: s.id ?? nextId(),
    name: s.name,
    weekdays: [...new Set(s.weekdays)].sort((a, b) => a - b),
    dismissal: s.dismissal,
    start: s.start,
    end: s.end,
    venue: s.venue ?? '',
    personInCharge: staff.find((m) => m.staffId === s.personInChargeId)?.name ?? '',
    content: s.activities[0]?.category ?? '',
    capacity: s.capacity,
    ...(s.personInChargeId ? { personInChargeId: s.personInChargeId } : {}),
    ...(s.staffIds?.length ? { staffIds: [...s.staffIds] } : {}),
    activities: s.activities.map((a) => ({ ...a })),
  }));
  return {
    termStart: body.termStart,
    termEnd: body.termEnd,
    sessions,
    staff,
    feeStandardFen: body.feeStandardFen,
    middayMinutes: body.middayMinutes,
    safetyMeasures: body.safetyMeasures ?? '',
    emergencyPlan: body.emergencyPlan ?? '',
    ...(body.method !== undefined ? { method: body.method } : {}),
    ...(body.dutySchedule !== undefined ? { dutySchedule: body.dutySchedule } : {}),
  };
}

/** A session as the API shows it; parents get neither staff ids nor approvals. */
function sessionView(s: PlanSession, full: boolean): Partial<PlanSession> {
  const base = {
    id: s.id,
    name: s.name,
    weekdays: s.weekdays,
    dismissal: s.dismissal,
    start: s.start,
    end: s.end,
    venue: s.venue ?? '',
    personInCharge: s.personInCharge ?? '',
    content: s.content ?? '',
    capacity: s.capacity,
    activities: s.activities ?? (s.content ? [{ title: s.name, category: s.content }] : []),
  };
  if (!full) return base;
  return {
    ...base,
    ...(s.personInChargeId ? { personInChargeId: s.personInChargeId } : {}),
    ...(s.staffIds?.length ? { staffIds: s.staffIds } : {}),
    ...(s.approvedReason ? { approvedReason: s.approvedReason } : {}),
  };
}

function publicFiling(f: NonNullable<PlanDoc['filing']>): NonNullable<PlanDoc['filing']> {
  return { filingNo: f.filingNo, publishedAt: f.publishedAt };
}

/** The process's `refusal` variable (`{ step, violations }` or `{ step, reason }`), if well-formed. */
function refusalOf(value: unknown): PlanView['refusal'] {
  if (!value || typeof value !== 'object') return undefined;
  const r = value as { step?: unknown; violations?: unknown; reason?: unknown };
  if (typeof r.step !== 'string') return undefined;
  return {
    step: r.step,
    ...(Array.isArray(r.violations) ? { violations: r.violations as RuleCitation[] } : {}),
    ...(typeof r.reason === 'string' && r.reason ? { reason: r.reason } : {}),
  };
}
