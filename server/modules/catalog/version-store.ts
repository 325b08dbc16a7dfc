import { createHash } from 'node:crypto';
import type { MongoQuery } from '@casl/ability';
import { isDuplicateKey } from '../../db/models';
import { ConflictError } from '../../lib/errors';
import type {
  CatalogHeadDoc,
  CatalogModels,
  CatalogVersionDoc,
  ResourceKind,
} from './catalog.model';

/** A version without its content, as lists show it. */
export type VersionMeta = Omit<CatalogVersionDoc, 'content'>;

/** How long a deployment lock holds before another node may take it over (a crashed deployer). */
const LOCK_LEASE_MS = 60_000;

/**
 * The version chains of the catalog: one chain per kind × place × resource, with a head
 * pointer each. Versions are appended under a per-chain lock (an inserted `_id`, the only
 * compare-and-swap FerretDB 1.24 offers), so the engine's deployment and the catalog's version
 * are taken in the same order on every node.
 */
export class VersionStore {
  constructor(
    private readonly m: CatalogModels,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The head of a chain, following newer versions if the pointer lags (a crash in between). */
  async head(
    kind: ResourceKind,
    place: string,
    resourceId: string,
  ): Promise<CatalogHeadDoc | undefined> {
    const id = chainId(kind, place, resourceId);
    let head: CatalogHeadDoc | undefined =
      (await this.m.heads.findById(id).lean<CatalogHeadDoc>()) ?? undefined;
    for (;;) {
      const next = await this.m.versions
        .findById(`${id}|${(head?.version ?? 0) + 1}`, { content: 0 })
        .lean<VersionMeta>();
      if (!next) return head;
      head = headOf(next);
    }
  }

  /** One version with its content, or undefined. */
  async get(
    kind: ResourceKind,
    place: string,
    resourceId: string,
    version: number,
  ): Promise<CatalogVersionDoc | undefined> {
    return (
      (await this.m.versions
        .findById(`${chainId(kind, place, resourceId)}|${version}`)
        .lean<CatalogVersionDoc>()) ?? undefined
    );
  }

  /** Every version of a chain without content, newest first. */
  async list(kind: ResourceKind, place: string, resourceId: string): Promise<VersionMeta[]> {
    const rows = await this.m.versions
      .find({ kind, place, resourceId }, { content: 0 })
      .lean<VersionMeta[]>();
    return rows.sort((a, b) => b.version - a.version);
  }

  /** The versions of one kind (without content) matching `filter`, e.g. every load of a template. */
  async find(kind: ResourceKind, filter: MongoQuery): Promise<VersionMeta[]> {
    return this.m.versions.find({ $and: [{ kind }, filter] }, { content: 0 }).lean<VersionMeta[]>();
  }

  /** The heads of one kind matching `filter` (an `accessibleQuery` and the caller's filters). */
  async heads(kind: ResourceKind, filter: MongoQuery): Promise<CatalogHeadDoc[]> {
    const rows = await this.m.heads.find({ $and: [{ kind }, filter] }).lean<CatalogHeadDoc[]>();
    return rows.sort(
      (a, b) => a.resourceId.localeCompare(b.resourceId) || a.place.localeCompare(b.place),
    );
  }

  /**
   * Runs `fn` holding the chain's deployment lock. A second deployment of the same chain at the
   * same time is refused (409 `DEPLOY_IN_PROGRESS`); a lock older than a minute is taken over.
   */
  async withLock<T>(
    kind: ResourceKind,
    place: string,
    resourceId: string,
    by: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    const _id = chainId(kind, place, resourceId);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.m.locks.create({ _id, by, at: this.now() });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const held = await this.m.locks.findById(_id).lean<{ at: Date }>();
        if (attempt === 0 && held && this.now().getTime() - held.at.getTime() > LOCK_LEASE_MS) {
          await this.m.locks.deleteOne({ _id, at: held.at });
          continue;
        }
        throw new ConflictError(undefined, 'DEPLOY_IN_PROGRESS');
      }
    }
    try {
      return await fn();
    } finally {
      await this.m.locks.deleteOne({ _id });
    }
  }

  /** Appends a version (call under {@link withLock}) and moves the head to it. */
  async append(doc: CatalogVersionDoc): Promise<void> {
    try {
      await this.m.versions.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError(undefined, 'VERSION_CONFLICT');
      throw err;
    }
    const head = headOf(doc);
    await this.m.heads.replaceOne({ _id: head._id }, head, { upsert: true });
  }
}

/** The id of a chain: `<kind>|<place>|<resourceId>`. */
export function chainId(kind: ResourceKind, place: string, resourceId: string): string {
  return `${kind}|${place}|${resourceId}`;
}

/** The id of a version. */
export function versionId(
  kind: ResourceKind,
  place: string,
  resourceId: string,
  version: number,
): string {
  return `${chainId(kind, place, resourceId)}|${version}`;
}

/** SHA-256 of a resource's content, hex. */
export function checksumOf(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

// helpers //////////

function headOf(v: VersionMeta): CatalogHeadDoc {
  return {
    _id: chainId(v.kind, v.place, v.resourceId),
    kind: v.kind,
    resourceId: v.resourceId,
    place: v.place,
    level: v.level,
    ...(v.cityId ? { cityId: v.cityId } : {}),
    ...(v.countyId ? { countyId: v.countyId } : {}),
    ...(v.schoolId ? { schoolId: v.schoolId } : {}),
    tenantId: v.tenantId,
    version: v.version,
    ...(v.name ? { name: v.name } : {}),
    checksum: v.checksum,
    engineKey: v.engineKey,
    engineVersion: v.engineVersion,
    by: v.by,
    byName: v.byName,
    at: v.at,
  };
}
