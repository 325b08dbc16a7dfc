import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';
import type { FeeStandardStatus } from '../../rules/parameters';

/** The collections of this slice, for `Database.ensureCollections`. */
export const PARAMETER_COLLECTIONS = {
  counties: 'county_parameters',
  versions: 'county_parameter_versions',
} as const;

/** A county's own fee standard as recorded, with who moved it through its approval. */
export interface FeeStandardRecord {
  /** Per student per month, in fen. */
  monthlyFen: number;
  status: FeeStandardStatus;
  /** The county government's approving document (县区政府批复). */
  document?: string;
  proposedBy: string;
  proposedAt: string;
  countyApprovedBy?: string;
  countyApprovedAt?: string;
  cityApprovedBy?: string;
  cityApprovedAt?: string;
}

/** What a county bureau has set; anything left out is the city default (TIME-SEASON, TIME-*). */
export interface CountyParameterValues {
  season?: { summerFrom: string; summerTo: string };
  endNoEarlierThan?: { summer?: string; winter?: string };
  maxMinutesAfterDismissal?: number;
  maxExternalStaffShare?: number;
}

/** The state of one county's parameters at one version. */
export interface CountyParametersState extends CountyParameterValues {
  cityId: string;
  countyId: string;
  /** The county's own fee standard in force: city-approved (FEE-CAP). */
  feeStandard?: FeeStandardRecord;
  /** A proposal on its way (proposed or county-approved); it does not apply yet. */
  feeProposal?: FeeStandardRecord;
  /** The last proposal the city bureau refused. */
  feeRejection?: { monthlyFen: number; reason: string; by: string; at: string };
  version: number;
  updatedBy?: string;
  updatedAt?: string;
}

/**
 * The current parameters of a county (`_id` = county id): a copy of its latest version, read
 * by `_id` alone.
 */
export interface CountyParametersDoc {
  _id: string;
  /** JSON of {@link CountyParametersState}. */
  state: string;
  version: number;
}

/**
 * One change of a county's parameters (`_id` = `<countyId>:<version>`). Inserting it is the
 * compare-and-swap of a change (FerretDB has no atomic conditional update, ADR 0004), so two
 * concurrent changes cannot both win; the versions are the history of the county's settings.
 */
export interface CountyParametersVersionDoc {
  _id: string;
  countyId: string;
  version: number;
  /** What changed: `values`, `fee.propose`, `fee.approve`, `fee.reject`. */
  action: string;
  by: string;
  at: Date;
  /** JSON of {@link CountyParametersState} after the change. */
  state: string;
}

/** This slice's models. */
export interface ParameterModels {
  counties: Model<CountyParametersDoc>;
  versions: Model<CountyParametersVersionDoc>;
}

const opts = { versionKey: false } as const;

const countySchema = new Schema<CountyParametersDoc>(
  {
    _id: String,
    state: { type: String, required: true },
    version: { type: Number, required: true },
  },
  opts,
);

const versionSchema = new Schema<CountyParametersVersionDoc>(
  {
    _id: String,
    countyId: { type: String, required: true },
    version: { type: Number, required: true },
    action: { type: String, required: true },
    by: { type: String, required: true },
    at: { type: Date, required: true },
    state: { type: String, required: true },
  },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function parameterModels(connection: Connection): ParameterModels {
  return {
    counties: registerModel(
      connection,
      'CountyParameters',
      countySchema,
      PARAMETER_COLLECTIONS.counties,
    ),
    versions: registerModel(
      connection,
      'CountyParametersVersion',
      versionSchema,
      PARAMETER_COLLECTIONS.versions,
    ),
  };
}
