import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';
import type { PlaceLevel } from './places';

/** The collections of the catalog, for `Database.ensureCollections`. */
export const CATALOG_COLLECTIONS = {
  versions: 'catalog_versions',
  heads: 'catalog_heads',
  locks: 'catalog_locks',
} as const;

/** What a catalog entry is: a BPMN process or a form-js form. */
export type ResourceKind = 'process' | 'form';

/** How a version came to be. */
export type VersionAction = 'load' | 'deploy' | 'rollback';

/**
 * One version of a process or form at one place. Never updated. `_id` is
 * `<kind>|<place>|<resourceId>|<version>`: inserting it allocates the version number (the
 * insert is the compare-and-swap FerretDB 1.24 offers, ADR 0003/0004).
 */
export interface CatalogVersionDoc {
  _id: string;
  kind: ResourceKind;
  /** The BPMN process id or the form id. */
  resourceId: string;
  /** `city`, `county.<id>`, `school.<id>`. */
  place: string;
  level: PlaceLevel;
  cityId?: string;
  countyId?: string;
  schoolId?: string;
  /** The engine tenant it is deployed to. */
  tenantId: string;
  version: number;
  /** The process's or form's name (or title), if any. */
  name?: string;
  /** The BPMN XML or the form-js JSON, as deployed. */
  content: string;
  /** SHA-256 of `content`. */
  checksum: string;
  /** The engine's process definition key or form key. */
  engineKey: string;
  engineVersion: number;
  comment: string;
  action: VersionAction;
  /** For a rollback: the version it restores. */
  rollbackOf?: number;
  /** The template versions a variant was checked against, e.g. `["city@3"]`. */
  basedOn: string[];
  /** Lint warnings (not refused) as JSON text. */
  warnings: string;
  by: string;
  byName: string;
  at: Date;
}

/**
 * The current version of a process or form at one place (`_id` `<kind>|<place>|<resourceId>`),
 * replaced after each new version; readers follow newer version documents if it lags.
 */
export interface CatalogHeadDoc {
  _id: string;
  kind: ResourceKind;
  resourceId: string;
  place: string;
  level: PlaceLevel;
  cityId?: string;
  countyId?: string;
  schoolId?: string;
  tenantId: string;
  version: number;
  name?: string;
  checksum: string;
  engineKey: string;
  engineVersion: number;
  by: string;
  byName: string;
  at: Date;
}

/** A deployment in progress at one place (`_id` `<kind>|<place>|<resourceId>`). */
export interface CatalogLockDoc {
  _id: string;
  by: string;
  at: Date;
}

/** The catalog's models, registered on one connection. */
export interface CatalogModels {
  versions: Model<CatalogVersionDoc>;
  heads: Model<CatalogHeadDoc>;
  locks: Model<CatalogLockDoc>;
}

const place = {
  place: { type: String, required: true },
  level: { type: String, required: true },
  cityId: String,
  countyId: String,
  schoolId: String,
  tenantId: { type: String, required: true },
};

const versionSchema = new Schema<CatalogVersionDoc>(
  {
    _id: String,
    kind: { type: String, required: true },
    resourceId: { type: String, required: true },
    ...place,
    version: { type: Number, required: true },
    name: String,
    content: { type: String, required: true },
    checksum: { type: String, required: true },
    engineKey: { type: String, required: true },
    engineVersion: { type: Number, required: true },
    comment: { type: String, default: '' },
    action: { type: String, required: true },
    rollbackOf: Number,
    basedOn: { type: [String], default: [] },
    warnings: { type: String, default: '[]' },
    by: { type: String, required: true },
    byName: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

const headSchema = new Schema<CatalogHeadDoc>(
  {
    _id: String,
    kind: { type: String, required: true },
    resourceId: { type: String, required: true },
    ...place,
    version: { type: Number, required: true },
    name: String,
    checksum: { type: String, required: true },
    engineKey: { type: String, required: true },
    engineVersion: { type: Number, required: true },
    by: { type: String, required: true },
    byName: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

const lockSchema = new Schema<CatalogLockDoc>(
  { _id: String, by: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false },
);

/** Registers (once) and returns the catalog's models on `connection`. */
export function catalogModels(connection: Connection): CatalogModels {
  return {
    versions: registerModel(
      connection,
      'CatalogVersion',
      versionSchema,
      CATALOG_COLLECTIONS.versions,
    ),
    heads: registerModel(connection, 'CatalogHead', headSchema, CATALOG_COLLECTIONS.heads),
    locks: registerModel(connection, 'CatalogLock', lockSchema, CATALOG_COLLECTIONS.locks),
  };
}
