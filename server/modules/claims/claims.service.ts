import { randomBytes } from 'node:crypto';
import { abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { isDuplicateKey } from '../../db/models';
import { NotFoundError, RuleViolationError, UserError, type RuleCitation } from '../../lib/errors';
import { maskValue } from '../../lib/logger';
import type { OrgModels, StudentDoc } from '../org/org.model';
import { guardianIds } from '../safety/attendance.service';
import type { ProcessPort } from '../safety/engine-port';
import type { IncidentDoc, SafetyModels } from '../safety/safety.model';
import type { ClaimDoc, ClaimEventDoc, ClaimModels } from './claims.model';
import type {
  ListClaimsQuery,
  OpenClaimBody,
  RequestClaimBody,
  SettlementBody,
} from './claims.schema';
import { settleClaim, toFen, type Settlement } from './settlement';

/** The claim process (processes/insurance-claim.bpmn). */
export const CLAIM_PROCESS = 'insurance-claim';

/** A claim as the API shows it. */
export interface ClaimView {
  id: string;
  schoolId: string;
  classId?: string;
  incidentId?: string;
  studentId: string;
  studentName: string;
  origin: ClaimDoc['origin'];
  claimantName?: string;
  claimantPhone?: string;
  injuryDescription?: string;
  medicalCostFen?: number;
  insurer?: string;
  policyNo?: string;
  status: 'open' | 'settled' | 'closed' | 'cancelled';
  instanceKey?: string;
  currentSteps?: { id: string; name?: string }[];
  settlement?: Settlement & { note?: string; settledAt: string };
  refusal?: RuleCitation[];
  outcome?: unknown;
  createdAt: string;
  timeline?: { step: string; at: string; by: string; data?: unknown }[];
}

/**
 * Accident-insurance claims (SAFE-CLAIM): a school admin requests one, or an incident's process
 * calls `insurance-claim`; the `settle-claim` job records the shared settlement among insurer,
 * school, other parties and family once it adds up and is shared, and refuses it otherwise. The
 * school, the bureaus and the child's guardians read them.
 */
export class ClaimService {
  constructor(
    private readonly m: ClaimModels,
    private readonly org: Pick<OrgModels, 'students'>,
    private readonly incidents: SafetyModels['incidents'],
    private readonly engine: ProcessPort,
  ) {}

  /** A school admin requests a claim (the start form `claim-request`) and starts its process. */
  async request(p: Principal, body: RequestClaimBody): Promise<ClaimView> {
    const student = await this.org.students.findById(body.studentId).lean<StudentDoc>();
    if (!student || !abilityFor(p).can('read', subject('Student', student)))
      throw new NotFoundError();
    if (body.incidentId) {
      const incident = await this.incidents.findById(body.incidentId).lean<IncidentDoc>();
      if (!incident || incident.schoolId !== student.schoolId)
        throw new NotFoundError(`no incident ${body.incidentId} at the child's school`);
    }
    const claimant = student.guardians?.find((g) => g.userId && g.phone === body.claimantPhone);
    const now = new Date();
    const doc: ClaimDoc = {
      _id: `claim-${randomBytes(9).toString('base64url')}`,
      cityId: student.cityId,
      countyId: student.countyId,
      schoolId: student.schoolId,
      classId: student.classId,
      ...(body.incidentId ? { incidentId: body.incidentId } : {}),
      studentId: student._id,
      studentName: student.name,
      guardians: guardianIds(student).map((userId) => ({ userId })),
      origin: 'school',
      claimantName: body.claimantName,
      claimantPhone: body.claimantPhone,
      ...(claimant?.userId ? { claimantUserId: claimant.userId } : {}),
      injuryDescription: body.injuryDescription,
      medicalCostFen: toFen(body.medicalCostYuan),
      insurer: body.insurer,
      policyNo: body.policyNo,
      requestedBy: p.userId,
      createdAt: now,
      updatedAt: now,
    };
    if (!abilityFor(p).can('create', subject('Claim', doc)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden', 'may not request claims here');
    await this.m.claims.create(doc);
    try {
      doc.instanceKey = await this.engine.startProcess(CLAIM_PROCESS, doc.schoolId, {
        ...body,
        claimId: doc._id,
        cityId: doc.cityId,
        countyId: doc.countyId,
        schoolId: doc.schoolId,
        ...(doc.classId ? { classId: doc.classId } : {}),
        studentName: doc.studentName,
        ...(doc.claimantUserId ? { claimantUserId: doc.claimantUserId } : {}),
      });
    } catch (err) {
      await this.m.claims.deleteOne({ _id: doc._id });
      throw err;
    }
    await this.m.claims.updateOne({ _id: doc._id }, { $set: { instanceKey: doc.instanceKey } });
    await this.event(doc._id, 'requested', p.userId, `requested:${doc._id}`);
    return this.view(p, doc, true);
  }

  /** The claims the caller may read, newest first. */
  async list(p: Principal, q: ListClaimsQuery): Promise<{ items: ClaimView[]; total: number }> {
    const allowed = accessibleQuery(abilityFor(p), 'read', 'Claim');
    if (!allowed) return { items: [], total: 0 };
    const filter = {
      $and: [
        allowed,
        ...(q.schoolId ? [{ schoolId: q.schoolId }] : []),
        ...(q.incidentId ? [{ incidentId: q.incidentId }] : []),
      ],
    };
    const rows = await this.m.claims.find(filter).lean<ClaimDoc[]>();
    rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const page = rows.slice(q.offset, q.offset + q.limit);
    return {
      items: await Promise.all(page.map((c) => this.view(p, c, false))),
      total: rows.length,
    };
  }

  /** One claim with its timeline; 404 for those who may not read it. */
  async get(p: Principal, id: string): Promise<ClaimView> {
    const doc = await this.m.claims.findById(id).lean<ClaimDoc>();
    if (!doc || !abilityFor(p).can('read', subject('Claim', doc))) throw new NotFoundError();
    return this.view(p, doc, true);
  }

  /**
   * The `open-claim` job (workers), as the claim's process starts: the claim is recorded as
   * open, so it is listed from the start. A claim the school requested is recorded already;
   * one an incident's process called (`claim-<incidentId>`) is recorded here from the incident
   * and the child the principal named. Idempotent: a second delivery finds the record.
   */
  async open(p: Principal, id: string, body: OpenClaimBody): Promise<{ claimId: string }> {
    const existing = await this.m.claims.findById(id).lean<ClaimDoc>();
    const doc = existing ?? (await this.fromIncident(p, id, body));
    if (!abilityFor(p).can('update', subject('Claim', doc))) throw new NotFoundError();
    if (!doc.instanceKey && body.instanceKey)
      await this.m.claims.updateOne(
        { _id: id },
        { $set: { instanceKey: body.instanceKey, updatedAt: new Date() } },
      );
    if (!existing) await this.event(id, 'opened', p.userId, `opened:${id}`);
    return { claimId: id };
  }

  /**
   * The `settle-claim` job (workers): the shares are checked under SAFE-CLAIM; a refusal is
   * recorded and answered 422 with the rules (the worker turns it into the BPMN error), an
   * accepted settlement is recorded. A claim an incident's process called is normally recorded
   * by `open-claim`; one whose process started without that step (a variant deployed before
   * it) is recorded here on its first settlement, from the incident. Idempotent by `key`.
   */
  async settle(
    p: Principal,
    id: string,
    body: SettlementBody,
  ): Promise<{ settlement: Settlement; claimantUserId?: string }> {
    const doc =
      (await this.m.claims.findById(id).lean<ClaimDoc>()) ?? (await this.fromIncident(p, id, body));
    if (!abilityFor(p).can('update', subject('Claim', doc))) throw new NotFoundError();
    const claimant = await this.claimantOf(doc, body);
    const { decision, settlement } = settleClaim(body);
    if (!decision.ok) {
      await this.event(id, 'settlement-refused', p.userId, body.key, {
        rules: decision.violations,
        settlement,
      });
      throw new RuleViolationError(decision.violations);
    }
    const recorded = await this.event(id, 'settled', p.userId, body.key, { settlement });
    if (recorded || !doc.settlement) {
      await this.m.claims.updateOne(
        { _id: id },
        {
          $set: {
            settlement: {
              ...settlement,
              ...(body.settlementNote ? { note: body.settlementNote } : {}),
              settledAt: new Date(),
            },
            medicalCostFen: settlement.totalFen,
            ...claimant,
            ...(!doc.instanceKey && body.instanceKey ? { instanceKey: body.instanceKey } : {}),
            updatedAt: new Date(),
          },
        },
      );
    }
    return {
      settlement,
      ...(claimant.claimantUserId ? { claimantUserId: claimant.claimantUserId } : {}),
    };
  }

  // helpers //////////

  /**
   * The claimant the documents form names: when their phone is a guardian's of the child with
   * an account, that guardian is the one told of the settlement and who may appeal (a claim an
   * incident's process called learns its claimant only here).
   */
  private async claimantOf(
    doc: ClaimDoc,
    body: SettlementBody,
  ): Promise<Pick<ClaimDoc, 'claimantName' | 'claimantPhone' | 'claimantUserId'>> {
    const phone = body.claimantPhone ?? doc.claimantPhone;
    const name = body.claimantName ?? doc.claimantName;
    if (!phone) return {};
    const student = await this.org.students.findById(doc.studentId).lean<StudentDoc>();
    const guardian = student?.guardians?.find((g) => g.userId && g.phone === phone);
    return {
      ...(name ? { claimantName: name } : {}),
      claimantPhone: phone,
      ...(guardian?.userId ? { claimantUserId: guardian.userId } : {}),
    };
  }

  /** The claim an incident's process called, recorded from the incident and the child. */
  private async fromIncident(
    p: Principal,
    id: string,
    body: Pick<SettlementBody, 'incidentId' | 'studentId' | 'schoolId' | 'instanceKey'> & {
      medicalCostYuan?: number;
    },
  ): Promise<ClaimDoc> {
    const incident = body.incidentId
      ? await this.incidents.findById(body.incidentId).lean<IncidentDoc>()
      : null;
    const student = await this.org.students.findById(body.studentId).lean<StudentDoc>();
    const schoolId = incident?.schoolId ?? body.schoolId;
    if (!student || !schoolId || student.schoolId !== schoolId) throw new NotFoundError();
    const now = new Date();
    const doc: ClaimDoc = {
      _id: id,
      cityId: student.cityId,
      countyId: student.countyId,
      schoolId: student.schoolId,
      classId: student.classId,
      ...(incident ? { incidentId: incident._id } : {}),
      studentId: student._id,
      studentName: student.name,
      guardians: guardianIds(student).map((userId) => ({ userId })),
      origin: incident ? 'incident' : 'school',
      ...(incident?.injuries ? { injuryDescription: incident.injuries } : {}),
      ...(body.medicalCostYuan !== undefined
        ? { medicalCostFen: toFen(body.medicalCostYuan) }
        : {}),
      ...(body.instanceKey ? { instanceKey: body.instanceKey } : {}),
      createdAt: now,
      updatedAt: now,
    };
    if (!abilityFor(p).can('create', subject('Claim', doc))) throw new NotFoundError();
    try {
      await this.m.claims.create(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return (await this.m.claims.findById(id).lean<ClaimDoc>())!;
    }
    return doc;
  }

  /** Records an event once per key; false when it was recorded before. */
  private async event(
    claimId: string,
    step: string,
    by: string,
    key: string,
    data?: object,
  ): Promise<boolean> {
    try {
      await this.m.events.create({
        _id: `${claimId}:${key}`,
        claimId,
        step,
        at: new Date(),
        by,
        ...(data ? { data: JSON.stringify(data) } : {}),
      } satisfies ClaimEventDoc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  private async view(p: Principal, c: ClaimDoc, detail: boolean): Promise<ClaimView> {
    const snap = c.instanceKey ? await this.engine.snapshot(c.instanceKey) : undefined;
    const events = await this.m.events
      .find({ claimId: c._id })
      .sort({ at: 1 })
      .lean<ClaimEventDoc[]>();
    const last = events
      .filter((e) => e.step === 'settled' || e.step === 'settlement-refused')
      .at(-1);
    const refusal =
      last?.step === 'settlement-refused' && last.data
        ? (JSON.parse(last.data) as { rules: RuleCitation[] }).rules
        : undefined;
    const status =
      snap?.state === 'COMPLETED'
        ? 'closed'
        : snap?.state === 'TERMINATED'
          ? 'cancelled'
          : c.settlement
            ? 'settled'
            : 'open';
    const { settledAt, ...settlement } =
      c.settlement ?? ({} as Partial<NonNullable<ClaimDoc['settlement']>>);
    return {
      id: c._id,
      schoolId: c.schoolId,
      ...(c.classId ? { classId: c.classId } : {}),
      ...(c.incidentId ? { incidentId: c.incidentId } : {}),
      studentId: c.studentId,
      studentName: c.studentName,
      origin: c.origin,
      ...(c.claimantName ? { claimantName: c.claimantName } : {}),
      ...(c.claimantPhone
        ? { claimantPhone: handlesClaim(p, c) ? c.claimantPhone : maskValue(c.claimantPhone) }
        : {}),
      ...(c.injuryDescription ? { injuryDescription: c.injuryDescription } : {}),
      ...(c.medicalCostFen !== undefined ? { medicalCostFen: c.medicalCostFen } : {}),
      ...(c.insurer ? { insurer: c.insurer } : {}),
      ...(c.policyNo ? { policyNo: c.policyNo } : {}),
      status,
      ...(c.instanceKey ? { instanceKey: c.instanceKey } : {}),
      ...(snap?.state === 'ACTIVE' ? { currentSteps: snap.steps } : {}),
      ...(c.settlement
        ? {
            settlement: {
              ...(settlement as Settlement & { note?: string }),
              settledAt: new Date(settledAt!).toISOString(),
            },
          }
        : {}),
      ...(refusal ? { refusal } : {}),
      ...(snap?.variables.claimOutcome ? { outcome: snap.variables.claimOutcome } : {}),
      createdAt: new Date(c.createdAt).toISOString(),
      ...(detail
        ? {
            timeline: events.map((e) => ({
              step: e.step,
              at: e.at.toISOString(),
              by: e.by,
              ...(e.data ? { data: JSON.parse(e.data) as unknown } : {}),
            })),
          }
        : {}),
    };
  }
}

/**
 * Who sees the claimant's phone in full: the claimant and the school handling the claim (its
 * admin and principal), who call them. The bureaus reviewing an appeal see it masked.
 */
function handlesClaim(p: Principal, c: Pick<ClaimDoc, 'schoolId' | 'claimantUserId'>): boolean {
  if (c.claimantUserId && c.claimantUserId === p.userId) return true;
  return p.memberships.some(
    (m) => (m.role === 'schoolAdmin' || m.role === 'principal') && m.scope.schoolId === c.schoolId,
  );
}
