import type { MongoQuery } from '@casl/ability';
import type { Logger } from 'pino';
import { DEFAULT_TENANT, type DeployResource, type Engine } from '../../engine/engine';
import { EngineError } from '../../engine/errors';
import { ConflictError, NotFoundError } from '../../lib/errors';
import { t, type MessageKey } from '../../lib/i18n';
import { readModel } from '../../lint/bpmn-model';
import type { LintProblem } from '../../lint/policy-lint';
import type { AuditLog } from '../audit';
import type { CatalogVersionDoc, ResourceKind, VersionAction } from './catalog.model';
import { CITY, type Place, placeFields, placeName, type Places } from './places';
import { checksumOf, type VersionMeta, type VersionStore, versionId } from './version-store';

/** Who deploys: a signed-in person, or the server itself (templates at start). */
export interface Actor {
  userId: string;
  displayName: string;
}

/** The server itself, loading the city's templates. */
export const SYSTEM_ACTOR: Actor = { userId: 'system', displayName: t('catalog.system_actor') };

/** What {@link CatalogCore.publish} takes. */
export interface PublishInput {
  kind: ResourceKind;
  place: Place;
  resourceId: string;
  name?: string;
  content: string;
  comment: string;
  action: VersionAction;
  rollbackOf?: number;
  basedOn: string[];
  warnings: LintProblem[];
  /** The version the caller edited; refused with 409 if the head has moved on since. */
  baseVersion?: number;
  actor: Actor;
  /** The engine resources to deploy besides the content itself (a variant's forms). */
  companions?: DeployResource[];
}

/** What a publish did: a new version, or nothing because the content is the head's. */
export interface PublishResult {
  changed: boolean;
  version: VersionMeta;
}

/**
 * What processes and forms share: the version chains, deploying a version to the engine tenant
 * of its place, the audit entry, and keeping the tenants of variants supplied with the forms
 * and called processes they resolve to (ADR 0005).
 */
export class CatalogCore {
  constructor(
    readonly engine: Engine,
    readonly store: VersionStore,
    readonly places: Places,
    readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Deploys `content` as the next version of its chain under the chain's lock: to the engine
   * tenant of the place (with its companions), then as a catalog version and the new head, then
   * an audit entry. Content equal to the head's is not deployed again.
   */
  async publish(input: PublishInput): Promise<PublishResult> {
    const { kind, place, resourceId } = input;
    return this.store.withLock(kind, place.key, resourceId, input.actor.userId, async () => {
      const head = await this.store.head(kind, place.key, resourceId);
      if (input.baseVersion !== undefined && (head?.version ?? 0) !== input.baseVersion)
        throw new ConflictError(
          t('catalog.version_conflict', { version: head?.version ?? 0 }),
          'VERSION_CONFLICT',
        );
      const checksum = checksumOf(input.content);
      if (head && head.checksum === checksum) {
        const current = await this.store.get(kind, place.key, resourceId, head.version);
        if (current) {
          const { content: _content, ...meta } = current;
          return { changed: false, version: meta };
        }
      }
      const fileName = `${resourceId}.${kind === 'process' ? 'bpmn' : 'form'}`;
      const deployed = await this.engine.deploy(
        [{ name: fileName, content: input.content }, ...(input.companions ?? [])],
        place.tenantId,
        input.actor.userId,
      );
      const engineEntry = engineIdentity(deployed.deployments, kind, resourceId);
      const version = (head?.version ?? 0) + 1;
      const doc: CatalogVersionDoc = {
        _id: versionId(kind, place.key, resourceId, version),
        kind,
        resourceId,
        place: place.key,
        ...placeFields(place),
        tenantId: place.tenantId,
        version,
        ...(input.name ? { name: input.name } : {}),
        content: input.content,
        checksum,
        engineKey: engineEntry.key,
        engineVersion: engineEntry.version,
        comment: input.comment,
        action: input.action,
        ...(input.rollbackOf !== undefined ? { rollbackOf: input.rollbackOf } : {}),
        basedOn: input.basedOn,
        warnings: JSON.stringify(input.warnings),
        by: input.actor.userId,
        byName: input.actor.displayName,
        at: this.now(),
      };
      await this.store.append(doc);
      await this.audit.record({
        actor: input.actor,
        action: `${kind}.${input.action}`,
        place: { ...placeFields(place), key: place.key },
        target: { type: kind, id: resourceId, version },
        summary: t(`audit.summary.${kind}.${input.action}` as MessageKey, {
          place: placeName(place),
          name: input.name ?? resourceId,
          id: resourceId,
          version,
          from: input.rollbackOf ?? '',
        }),
        details: {
          comment: input.comment,
          engineKey: engineEntry.key,
          engineVersion: engineEntry.version,
          tenantId: place.tenantId,
          ...(input.rollbackOf !== undefined ? { rollbackOf: input.rollbackOf } : {}),
          ...(input.basedOn.length ? { basedOn: input.basedOn } : {}),
        },
      });
      const { content: _content, ...meta } = doc;
      return { changed: true, version: meta };
    });
  }

  /**
   * True when a template file's content needs no loading: it is the city's current version, or
   * the one last loaded from the file (the city changed it through the API since, and that stays).
   */
  async isLoaded(kind: ResourceKind, resourceId: string, content: string): Promise<boolean> {
    const checksum = checksumOf(content);
    const head = await this.store.head(kind, CITY.key, resourceId);
    if (!head) return false;
    if (head.checksum === checksum) return true;
    const loads = await this.store.find(kind, { place: CITY.key, resourceId, action: 'load' });
    const last = loads.sort((a, b) => b.version - a.version)[0];
    return last?.checksum === checksum;
  }

  /**
   * The content a place resolves a process or form to: its own head, else the nearest place
   * above with one, else what the engine's default tenant holds (deployed outside the catalog).
   */
  async resolveContent(
    kind: ResourceKind,
    place: Place,
    resourceId: string,
  ): Promise<{ content: string; place: Place; version?: number } | undefined> {
    for (const p of [place, ...(await this.places.ancestors(place))]) {
      const head = await this.store.head(kind, p.key, resourceId);
      if (!head) continue;
      const v = await this.store.get(kind, p.key, resourceId, head.version);
      if (v) return { content: v.content, place: p, version: v.version };
    }
    const content = await this.engineContent(kind, DEFAULT_TENANT, resourceId);
    return content === undefined ? undefined : { content, place: CITY };
  }

  /**
   * What a deployment of `xml` at `place` needs in the place's tenant besides the file itself:
   * the forms its user tasks and start events link (resolved for the place), and the processes
   * its call activities name statically when the place has no variant of its own (resolved,
   * with their forms). Only what differs from the tenant's current content is returned.
   */
  async companions(place: Place, xml: string): Promise<DeployResource[]> {
    if (place.level === 'city') return [];
    const resources = new Map<string, DeployResource>();
    const seenProcesses = new Set<string>();
    const queue = [xml];
    while (queue.length) {
      const model = await readModel(queue.pop()!);
      model.processIds.forEach((id) => seenProcesses.add(id));
      const formIds = new Set<string>();
      const called = new Set<string>();
      for (const el of model.elements.values()) {
        const formId = el.attributes['zeebe:FormDefinition.formId'];
        if (formId) formIds.add(formId);
        if (el.calledProcessId && !el.calledProcessId.startsWith('='))
          called.add(el.calledProcessId);
      }
      for (const formId of formIds) {
        const name = `${formId}.form`;
        if (resources.has(name)) continue;
        const resolved = await this.resolveContent('form', place, formId);
        if (!resolved) continue;
        if ((await this.engineContent('form', place.tenantId, formId)) !== resolved.content)
          resources.set(name, { name, content: resolved.content });
      }
      for (const processId of called) {
        if (seenProcesses.has(processId)) continue;
        seenProcesses.add(processId);
        if (await this.store.head('process', place.key, processId)) continue;
        const resolved = await this.resolveContent('process', place, processId);
        if (!resolved) continue;
        queue.push(resolved.content);
        if ((await this.engineContent('process', place.tenantId, processId)) !== resolved.content)
          resources.set(`${processId}.bpmn`, {
            name: `${processId}.bpmn`,
            content: resolved.content,
          });
      }
    }
    return [...resources.values()];
  }

  /**
   * Brings a place's tenant up to date with what its variants resolve to (a city or county
   * changed a form or a called process). Best effort: a failure is logged, and every start
   * repeats it.
   */
  async syncPlace(place: Place): Promise<number> {
    if (place.level === 'city') return 0;
    const resources = new Map<string, DeployResource>();
    for (const head of await this.store.heads('process', { place: place.key })) {
      const v = await this.store.get('process', place.key, head.resourceId, head.version);
      if (!v) continue;
      for (const r of await this.companions(place, v.content)) resources.set(r.name, r);
    }
    if (resources.size === 0) return 0;
    try {
      await this.engine.deploy([...resources.values()], place.tenantId, SYSTEM_ACTOR.userId);
    } catch (err) {
      this.log.warn(
        { err, place: place.key },
        'catalog: bringing a variant tenant up to date failed',
      );
      return 0;
    }
    this.log.info(
      { place: place.key, resources: [...resources.keys()] },
      'catalog: variant tenant brought up to date',
    );
    return resources.size;
  }

  /** Brings every place below `place` that has variants up to date (after the place changed). */
  async syncBelow(place: Place): Promise<void> {
    for (const p of await this.placesWithVariants(place)) await this.syncPlace(p);
  }

  /** The places below `place` (every place for the city) that hold variants. */
  async placesWithVariants(place: Place = CITY): Promise<Place[]> {
    const filter: MongoQuery =
      place.level === 'city'
        ? { level: { $in: ['county', 'school'] } }
        : place.level === 'county'
          ? { countyId: place.countyId!, level: 'school' }
          : { place: '(none)' };
    const keys = new Set(
      [
        ...(await this.store.heads('process', filter)),
        ...(await this.store.heads('form', filter)),
      ].map((h) => h.place),
    );
    const places: Place[] = [];
    for (const key of [...keys].sort()) {
      try {
        places.push(await this.places.byKey(key));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // a school or county removed from the organisation keeps its history, nothing more
      }
    }
    return places;
  }

  /** The content the engine holds for a process or form in a tenant (its latest version). */
  async engineContent(
    kind: ResourceKind,
    tenantId: string,
    resourceId: string,
  ): Promise<string | undefined> {
    if (kind === 'form') {
      const form = await this.engine.form(resourceId, tenantId);
      return form?.formId === resourceId ? form.schema : undefined;
    }
    try {
      return (await this.engine.resolveDefinition(resourceId, undefined, tenantId)).def.xml;
    } catch (err) {
      if (err instanceof EngineError && err.status === 404) return undefined;
      throw err;
    }
  }
}

// helpers //////////

function engineIdentity(
  deployments: Awaited<ReturnType<Engine['deploy']>>['deployments'],
  kind: ResourceKind,
  resourceId: string,
): { key: string; version: number } {
  for (const d of deployments) {
    if (
      kind === 'process' &&
      'processDefinition' in d &&
      d.processDefinition.processDefinitionId === resourceId
    )
      return {
        key: d.processDefinition.processDefinitionKey,
        version: d.processDefinition.processDefinitionVersion,
      };
    if (kind === 'form' && 'form' in d && d.form.formId === resourceId)
      return { key: d.form.formKey, version: d.form.version };
  }
  throw new Error(`the engine did not deploy ${kind} ${resourceId}`);
}
