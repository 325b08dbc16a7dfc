import { abilityFor, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import type { Role } from '../../auth/roles';
import { isDuplicateKey } from '../../db/models';
import { ConflictError, NotFoundError, UserError } from '../../lib/errors';
import { t, type MessageKey } from '../../lib/i18n';
import {
  FEE_STANDARD_APPROVER,
  nextFeeStandardStatus,
  resolveParameters,
  type CountyParameters,
  type ServiceParameters,
} from '../../rules/parameters';
import { formatYuan } from '../../rules/fees';
import type { AuditLog } from '../audit';
import type { CountyDoc, OrgModels } from '../org/org.model';
import type {
  CountyParametersState,
  CountyParameterValues,
  FeeStandardRecord,
  ParameterModels,
} from './parameters.model';
import type {
  ApproveFeeStandardBody,
  ProposeFeeStandardBody,
  RejectFeeStandardBody,
  SetParametersBody,
} from './parameters.schema';

/** A county's parameters as the API shows them. */
export interface CountyParametersView {
  cityId: string;
  countyId: string;
  own: CountyParameterValues;
  feeStandard?: FeeStandardRecord;
  feeProposal?: FeeStandardRecord;
  feeRejection?: CountyParametersState['feeRejection'];
  effective: ServiceParameters;
  version: number;
  updatedBy?: string;
  updatedAt?: string;
}

/**
 * County parameters (县区参数): a county bureau sets its season dates, minimum end times and
 * the minutes after dismissal the service should end within (TIME-SEASON, TIME-END-*,
 * TIME-2H); its own fee standard (FEE-CAP) goes proposed → county-approved (the county
 * bureau records its government's approving document) → city-approved (the city bureau) and
 * only then applies ({@link resolveParameters}). Everything a county has not set is the city
 * default. Each change is a new version inserted by `_id` (the compare-and-swap), and an
 * audit-log entry.
 */
export class ParametersService {
  constructor(
    private readonly m: ParameterModels,
    private readonly org: Pick<OrgModels, 'counties'>,
    private readonly audit?: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The parameters of every county the caller may read. */
  async list(p: Principal): Promise<{ items: CountyParametersView[] }> {
    const ability = abilityFor(p);
    const counties = await this.org.counties.find({}).lean<CountyDoc[]>();
    const readable = counties.filter((c) =>
      ability.can('read', subject('CountyParameters', { cityId: c.cityId, countyId: c._id })),
    );
    const items = await Promise.all(readable.map(async (c) => view(await this.load(c))));
    return { items: items.sort((a, b) => a.countyId.localeCompare(b.countyId)) };
  }

  /** One county's parameters; 404 when the caller may not read them. */
  async get(p: Principal, countyId: string): Promise<CountyParametersView> {
    return view(await this.readable(p, countyId));
  }

  /** The parameters in force for a county (what workers check against). */
  async effective(p: Principal, countyId: string): Promise<ServiceParameters> {
    return effectiveOf(await this.readable(p, countyId));
  }

  /** The parameters in force for a county, without a caller (for other modules). */
  async effectiveFor(countyId: string): Promise<ServiceParameters> {
    const county = await this.org.counties.findById(countyId).lean<CountyDoc>();
    return county ? effectiveOf(await this.load(county)) : resolveParameters(undefined);
  }

  /** The county bureau sets its own values (each one left out is the city default). */
  async set(
    p: Principal,
    countyId: string,
    body: SetParametersBody,
  ): Promise<CountyParametersView> {
    const state = await this.writable(p, countyId, 'countyBureau');
    const next: CountyParametersState = {
      ...withoutValues(state),
      ...(body.season ? { season: body.season } : {}),
      ...(body.endNoEarlierThan ? { endNoEarlierThan: body.endNoEarlierThan } : {}),
      ...(body.maxMinutesAfterDismissal !== undefined
        ? { maxMinutesAfterDismissal: body.maxMinutesAfterDismissal }
        : {}),
      ...(body.maxExternalStaffShare !== undefined
        ? { maxExternalStaffShare: body.maxExternalStaffShare }
        : {}),
    };
    return view(await this.change(p, state, next, 'values', 'audit.summary.parameters.values'));
  }

  /**
   * The county bureau proposes its own fee standard; with its government's approving document
   * it is county-approved at once. It does not apply before the city bureau approves it.
   */
  async proposeFee(
    p: Principal,
    countyId: string,
    body: ProposeFeeStandardBody,
  ): Promise<CountyParametersView> {
    const state = await this.writable(p, countyId, 'countyBureau');
    const at = this.now().toISOString();
    const proposal: FeeStandardRecord = {
      monthlyFen: body.monthlyFen,
      status: body.document ? 'county-approved' : 'proposed',
      proposedBy: p.userId,
      proposedAt: at,
      ...(body.document
        ? { document: body.document, countyApprovedBy: p.userId, countyApprovedAt: at }
        : {}),
    };
    const { feeRejection: _dropped, ...rest } = state;
    const next = { ...rest, feeProposal: proposal };
    return view(
      await this.change(p, state, next, 'fee.propose', 'audit.summary.parameters.fee-propose', {
        yuan: formatYuan(body.monthlyFen),
      }),
    );
  }

  /**
   * Moves the proposal one step: the county bureau records its government's approval
   * (county-approved, with the document), the city bureau accepts it (city-approved), from
   * when on it is the county's cap (FEE-CAP).
   */
  async approveFee(
    p: Principal,
    countyId: string,
    body: ApproveFeeStandardBody,
  ): Promise<CountyParametersView> {
    const state = await this.writable(p, countyId);
    const proposal = state.feeProposal;
    if (!proposal) throw new ConflictError(t('parameters.no_proposal'), 'FEE_NO_PROPOSAL');
    const to = nextFeeStandardStatus(proposal.status);
    if (to !== 'county-approved' && to !== 'city-approved')
      throw new ConflictError(t('parameters.no_proposal'), 'FEE_NO_PROPOSAL');
    const approver: Role = FEE_STANDARD_APPROVER[to];
    this.requireRole(p, state, approver);
    const at = this.now().toISOString();
    let next: CountyParametersState;
    if (to === 'county-approved') {
      const document = body.document ?? proposal.document;
      if (!document)
        throw new UserError(422, 'FEE_DOCUMENT_REQUIRED', 'parameters.document_required');
      next = {
        ...state,
        feeProposal: {
          ...proposal,
          status: to,
          document,
          countyApprovedBy: p.userId,
          countyApprovedAt: at,
        },
      };
    } else {
      const { feeProposal: _applied, ...rest } = state;
      next = {
        ...rest,
        feeStandard: { ...proposal, status: to, cityApprovedBy: p.userId, cityApprovedAt: at },
      };
    }
    return view(
      await this.change(p, state, next, 'fee.approve', 'audit.summary.parameters.fee-approve', {
        yuan: formatYuan(proposal.monthlyFen),
        status: t(`parameters.fee_status.${to}`),
      }),
    );
  }

  /** The city bureau refuses the proposal; the standard in force (if any) stays. */
  async rejectFee(
    p: Principal,
    countyId: string,
    body: RejectFeeStandardBody,
  ): Promise<CountyParametersView> {
    const state = await this.writable(p, countyId, 'cityBureau');
    const proposal = state.feeProposal;
    if (!proposal) throw new ConflictError(t('parameters.no_proposal'), 'FEE_NO_PROPOSAL');
    const { feeProposal: _refused, ...rest } = state;
    const next: CountyParametersState = {
      ...rest,
      feeRejection: {
        monthlyFen: proposal.monthlyFen,
        reason: body.reason,
        by: p.userId,
        at: this.now().toISOString(),
      },
    };
    return view(
      await this.change(p, state, next, 'fee.reject', 'audit.summary.parameters.fee-reject', {
        yuan: formatYuan(proposal.monthlyFen),
        reason: body.reason,
      }),
    );
  }

  // helpers //////////

  private async county(countyId: string): Promise<CountyDoc> {
    const county = await this.org.counties.findById(countyId).lean<CountyDoc>();
    if (!county) throw new NotFoundError();
    return county;
  }

  private async readable(p: Principal, countyId: string): Promise<CountyParametersState> {
    const county = await this.county(countyId);
    const ids = { cityId: county.cityId, countyId: county._id };
    if (!abilityFor(p).can('read', subject('CountyParameters', ids))) throw new NotFoundError();
    return this.load(county);
  }

  /** The state for a change: 404 unless readable, 403 unless updatable (and, given, by `role`). */
  private async writable(
    p: Principal,
    countyId: string,
    role?: Role,
  ): Promise<CountyParametersState> {
    const state = await this.readable(p, countyId);
    const ids = { cityId: state.cityId, countyId: state.countyId };
    if (!abilityFor(p).can('update', subject('CountyParameters', ids)))
      throw new UserError(403, 'FORBIDDEN', 'error.forbidden');
    if (role) this.requireRole(p, state, role);
    return state;
  }

  /** The caller holds `role` at this county (a county bureau) or its city (the city bureau). */
  private requireRole(p: Principal, state: CountyParametersState, role: Role): void {
    const holds = p.memberships.some(
      (m) =>
        m.role === role &&
        (role === 'cityBureau'
          ? m.scope.cityId === state.cityId
          : m.scope.countyId === state.countyId),
    );
    if (!holds)
      throw new UserError(
        403,
        'FORBIDDEN',
        'error.forbidden',
        t('parameters.role_required', { role: t(`role.${role}`) }),
      );
  }

  /** The county's latest state, rolled forward past a change whose head was not written. */
  private async load(county: CountyDoc): Promise<CountyParametersState> {
    const head = await this.m.counties.findById(county._id).lean();
    let state: CountyParametersState = head
      ? (JSON.parse(head.state) as CountyParametersState)
      : { cityId: county.cityId, countyId: county._id, version: 0 };
    for (;;) {
      const later = await this.m.versions.findById(`${county._id}:${state.version + 1}`).lean();
      if (!later) break;
      state = JSON.parse(later.state) as CountyParametersState;
    }
    if (head && head.version !== state.version) await this.writeHead(state);
    return state;
  }

  private async change(
    p: Principal,
    from: CountyParametersState,
    to: CountyParametersState,
    action: string,
    summaryKey: MessageKey,
    values: Record<string, string> = {},
  ): Promise<CountyParametersState> {
    const at = this.now();
    const next: CountyParametersState = {
      ...to,
      version: from.version + 1,
      updatedBy: p.userId,
      updatedAt: at.toISOString(),
    };
    try {
      await this.m.versions.create({
        _id: `${next.countyId}:${next.version}`,
        countyId: next.countyId,
        version: next.version,
        action,
        by: p.userId,
        at,
        state: JSON.stringify(next),
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError();
      throw err;
    }
    await this.writeHead(next);
    const county = await this.org.counties.findById(next.countyId).lean<CountyDoc>();
    await this.audit?.record({
      actor: { userId: p.userId, displayName: p.displayName },
      action: `parameters.${action}`,
      place: {
        level: 'county',
        key: `county.${next.countyId}`,
        cityId: next.cityId,
        countyId: next.countyId,
      },
      target: { type: 'CountyParameters', id: next.countyId, version: next.version },
      summary: t(summaryKey, { place: county?.name ?? next.countyId, ...values }),
      details: { before: view(from), after: view(next) },
    });
    return next;
  }

  private async writeHead(state: CountyParametersState): Promise<void> {
    await this.m.counties.updateOne(
      { _id: state.countyId },
      { $set: { state: JSON.stringify(state), version: state.version } },
      { upsert: true },
    );
  }
}

/** The rule book's input for a county: its values and its fee standard (in force or not). */
export function countyParametersOf(state: CountyParametersState): CountyParameters {
  const fee = state.feeStandard ?? state.feeProposal;
  return {
    countyId: state.countyId,
    ...valuesOf(state),
    ...(fee
      ? {
          feeStandard: {
            monthlyFen: fee.monthlyFen,
            status: fee.status,
            ...(fee.document ? { document: fee.document } : {}),
          },
        }
      : {}),
  };
}

function effectiveOf(state: CountyParametersState): ServiceParameters {
  return resolveParameters(countyParametersOf(state));
}

function valuesOf(state: CountyParametersState): CountyParameterValues {
  return {
    ...(state.season ? { season: state.season } : {}),
    ...(state.endNoEarlierThan ? { endNoEarlierThan: state.endNoEarlierThan } : {}),
    ...(state.maxMinutesAfterDismissal !== undefined
      ? { maxMinutesAfterDismissal: state.maxMinutesAfterDismissal }
      : {}),
    ...(state.maxExternalStaffShare !== undefined
      ? { maxExternalStaffShare: state.maxExternalStaffShare }
      : {}),
  };
}

function withoutValues(state: CountyParametersState): CountyParametersState {
  const {
    season: _s,
    endNoEarlierThan: _e,
    maxMinutesAfterDismissal: _m,
    maxExternalStaffShare: _x,
    ...rest
  } = state;
  return rest;
}

function view(state: CountyParametersState): CountyParametersView {
  return {
    cityId: state.cityId,
    countyId: state.countyId,
    own: valuesOf(state),
    ...(state.feeStandard ? { feeStandard: state.feeStandard } : {}),
    ...(state.feeProposal ? { feeProposal: state.feeProposal } : {}),
    ...(state.feeRejection ? { feeRejection: state.feeRejection } : {}),
    effective: effectiveOf(state),
    version: state.version,
    ...(state.updatedBy ? { updatedBy: state.updatedBy } : {}),
    ...(state.updatedAt ? { updatedAt: state.updatedAt } : {}),
  };
}
