import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { type AppAbility, abilityFor, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { DEFAULT_TENANT } from '../../engine/engine';
import { EngineError } from '../../engine/errors';
import { ConflictError, NotFoundError, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { type BpmnModel, BpmnParseError, readModel } from '../../lint/bpmn-model';
import { type LintBase, type LintReport, lintProcess } from '../../lint/policy-lint';
import { assertDeploy, assertRead } from './catalog.abilities';
import { type Actor, type CatalogCore, SYSTEM_ACTOR } from './catalog-core';
import { diffBpmn, unifiedDiff } from './catalog-diff';
import { PolicyLintError } from './catalog.errors';
import type { VersionAction } from './catalog.model';
import { getVersion, listHeads, listVersions, summaryOf, versionByRef } from './catalog-reads';
import type {
  DeployProcessBody,
  DeployResponse,
  DiffResponse,
  HeadItem,
  ListQuery,
  Resolution,
  RollbackBody,
  VersionSummary,
} from './catalog.schema';
import { CITY, type Place } from './places';

/** What loading the template directory did. */
export interface LoadReport {
  loaded: { id: string; version: number }[];
  unchanged: string[];
  failed: { file: string; message: string }[];
}

/**
 * Processes in the catalog (DESIGN.md decision 6, ADR 0005): the city's templates, county and
 * school variants, their versions, the policy lint that guards a variant, diffs, rollbacks,
 * and which version a school starts.
 */
export class CatalogService {
  constructor(
    private readonly core: CatalogCore,
    private readonly log: Logger,
  ) {}

  /** The current process versions the caller may read. */
  async list(ability: AppAbility, q: ListQuery): Promise<{ items: HeadItem[] }> {
    return listHeads(this.core, ability, 'process', q);
  }

  /** The versions of a process at a place. */
  async versions(ability: AppAbility, placeKey: string, id: string) {
    return listVersions(this.core, ability, 'process', await this.core.places.byKey(placeKey), id);
  }

  /** One version with its XML. */
  async version(
    ability: AppAbility,
    placeKey: string,
    id: string,
    version: number,
  ): Promise<VersionSummary & { xml: string }> {
    const place = await this.core.places.byKey(placeKey);
    const doc = await getVersion(this.core, ability, 'process', place, id, version);
    return { ...summaryOf(doc), xml: doc.content };
  }

  /** Deploys a new version of a process at a place (a template at the city, else a variant). */
  async deploy(
    p: Principal,
    placeKey: string,
    id: string,
    body: DeployProcessBody,
  ): Promise<DeployResponse> {
    const place = await this.core.places.byKey(placeKey);
    assertDeploy(abilityFor(p), 'process', place);
    return this.deployAt(actorOf(p), place, id, body.xml, {
      comment: body.comment,
      action: 'deploy',
      baseVersion: body.baseVersion,
      strict: true,
    });
  }

  /** Deploys an older version again as the newest (a rollback). */
  async rollback(
    p: Principal,
    placeKey: string,
    id: string,
    body: RollbackBody,
  ): Promise<DeployResponse> {
    const place = await this.core.places.byKey(placeKey);
    const ability = abilityFor(p);
    assertDeploy(ability, 'process', place);
    const old = await getVersion(this.core, ability, 'process', place, id, body.version);
    const head = await this.core.store.head('process', place.key, id);
    if (head?.checksum === old.checksum)
      throw new ConflictError(t('catalog.rollback_current'), 'ALREADY_CURRENT');
    return this.deployAt(actorOf(p), place, id, old.content, {
      comment: body.comment ?? t('catalog.rollback_comment', { version: body.version }),
      action: 'rollback',
      rollbackOf: body.version,
      baseVersion: body.baseVersion,
      strict: true,
    });
  }

  /** Lints a process as a deployment at the place would, without deploying it. */
  async lint(ability: AppAbility, placeKey: string, id: string, xml: string): Promise<LintReport> {
    const place = await this.core.places.byKey(placeKey);
    assertRead(ability, 'process', place);
    const { report } = await this.check(place, id, xml, true);
    return report;
  }

  /** The element-level and text diff between two versions (`3`, or `city@3` for another place). */
  async diff(
    ability: AppAbility,
    placeKey: string,
    id: string,
    fromRef: string,
    toRef: string,
  ): Promise<DiffResponse> {
    const place = await this.core.places.byKey(placeKey);
    const [from, to] = await Promise.all([
      versionByRef(this.core, ability, 'process', place, id, fromRef),
      versionByRef(this.core, ability, 'process', place, id, toRef),
    ]);
    return {
      from: { place: from.place, version: from.version },
      to: { place: to.place, version: to.version },
      elements: await diffBpmn(from.content, to.content),
      unified: unifiedDiff(
        `${from.place}@${from.version}/${id}.bpmn`,
        `${to.place}@${to.version}/${id}.bpmn`,
        from.content,
        to.content,
      ),
    };
  }

  /**
   * Which process definition a school starts for `id`: the school's variant, else its county's,
   * else the city's template (else a definition deployed to the engine's default tenant outside
   * the catalog). For the modules that start instances; no authorization.
   */
  async resolveForSchool(id: string, schoolId: string): Promise<Resolution> {
    const school = await this.core.places.school(schoolId);
    for (const place of [school, ...(await this.core.places.ancestors(school))]) {
      const head = await this.core.store.head('process', place.key, id);
      if (head)
        return {
          id,
          schoolId,
          place: place.key,
          level: place.level,
          version: head.version,
          processDefinitionKey: head.engineKey,
          engineVersion: head.engineVersion,
          tenantId: head.tenantId,
        };
    }
    try {
      const { def } = await this.core.engine.resolveDefinition(id, undefined, DEFAULT_TENANT);
      return {
        id,
        schoolId,
        place: CITY.key,
        level: 'city',
        version: null,
        processDefinitionKey: def._id,
        engineVersion: def.version,
        tenantId: def.tenantId,
      };
    } catch (err) {
      if (err instanceof EngineError && err.status === 404)
        throw new NotFoundError(`process ${id}`, 'CATALOG_NOT_FOUND');
      throw err;
    }
  }

  /** {@link resolveForSchool} for a caller who may see the school (404 otherwise). */
  async resolveFor(ability: AppAbility, id: string, schoolId: string): Promise<Resolution> {
    const school = await this.core.places.school(schoolId);
    if (!ability.can('read', subject('School', { _id: school.schoolId!, ...school })))
      throw new NotFoundError(`school ${schoolId}`, 'SCHOOL_NOT_FOUND');
    return this.resolveForSchool(id, schoolId);
  }

  /**
   * Deploys every `.bpmn` file of `dir` as the city's template, as the server itself. A file
   * whose content is the current version, or unchanged since it was last loaded (the city's
   * later edits through the API stay), is skipped; a file the engine refuses is reported and
   * the others still load.
   */
  async loadTemplates(dir: string): Promise<LoadReport> {
    const report: LoadReport = { loaded: [], unchanged: [], failed: [] };
    let files: string[];
    try {
      files = (await fs.readdir(dir)).filter((f) => f.endsWith('.bpmn')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return report;
      throw err;
    }
    for (const file of files) {
      try {
        const xml = await fs.readFile(path.join(dir, file), 'utf8');
        const model = await readModel(xml);
        for (const id of executableProcesses(model)) {
          if (await this.core.isLoaded('process', id, xml)) {
            report.unchanged.push(id);
            continue;
          }
          const result = await this.deployAt(SYSTEM_ACTOR, CITY, id, xml, {
            comment: t('catalog.loaded_comment', { file: `processes/${file}` }),
            action: 'load',
            strict: false,
          });
          report.loaded.push({ id, version: result.version.version });
        }
      } catch (err) {
        if (!(err instanceof UserError) && !(err instanceof BpmnParseError)) throw err;
        report.failed.push({ file, message: err.message });
        this.log.error({ file, err: err.message }, 'catalog: a process template was not loaded');
      }
    }
    return report;
  }

  // helpers //////////

  /**
   * The deployment itself: check the file (the process id, the lint against the templates it
   * derives from), publish it with the forms and called processes its tenant needs, then tell
   * which variants below no longer pass against it and bring their tenants up to date.
   */
  private async deployAt(
    actor: Actor,
    place: Place,
    id: string,
    xml: string,
    opts: {
      comment: string;
      action: VersionAction;
      rollbackOf?: number;
      baseVersion?: number;
      /** Refuse lint errors (API) rather than log them (templates at start). */
      strict: boolean;
    },
  ): Promise<DeployResponse> {
    const { report, basedOn, model } = await this.check(place, id, xml, opts.strict);
    if (report.errors.length) {
      if (opts.strict) throw new PolicyLintError(report.errors);
      this.log.warn(
        {
          id,
          problems: report.errors.map(
            (e) => `${e.elementId}: [${e.rule}] ${e.detail ?? e.message}`,
          ),
        },
        'catalog: the template has lint errors; deployed as the city wrote it',
      );
    }
    const result = await this.core.publish({
      kind: 'process',
      place,
      resourceId: id,
      name: model.elements.get(id)?.name,
      content: xml,
      comment: opts.comment,
      action: opts.action,
      rollbackOf: opts.rollbackOf,
      basedOn,
      warnings: [...report.warnings, ...(opts.strict ? [] : report.errors)],
      baseVersion: opts.baseVersion,
      actor,
      companions: await this.core.companions(place, xml),
    });
    const affectedVariants =
      result.changed && place.level !== 'school' ? await this.lintBelow(place, id) : [];
    if (result.changed && place.level !== 'school') await this.core.syncBelow(place);
    return {
      changed: result.changed,
      version: summaryOf(result.version),
      warnings: report.warnings,
      affectedVariants,
    };
  }

  /** Lints `xml` as a version of `id` at `place`: against the templates above the place. */
  private async check(
    place: Place,
    id: string,
    xml: string,
    strict: boolean,
  ): Promise<{ report: LintReport; basedOn: string[]; model: BpmnModel }> {
    let model: BpmnModel;
    try {
      model = await readModel(xml);
    } catch {
      return { report: await lintProcess(xml), basedOn: [], model: emptyModel() };
    }
    const executable = executableProcesses(model);
    if (strict && (executable.length !== 1 || executable[0] !== id))
      throw new UserError(
        400,
        'PROCESS_MISMATCH',
        'catalog.process_mismatch',
        t('catalog.process_mismatch', { id }),
      );
    const bases = await this.basesOf(place, id);
    return {
      report: await lintProcess(xml, { bases }),
      basedOn: bases.map((b) => b.label),
      model,
    };
  }

  /** The templates a version at `place` derives from, nearest last: the city's, a county's. */
  private async basesOf(place: Place, id: string): Promise<LintBase[]> {
    if (place.level === 'city') return [];
    const bases: LintBase[] = [];
    for (const above of (await this.core.places.ancestors(place)).reverse()) {
      const head = await this.core.store.head('process', above.key, id);
      const v = head && (await this.core.store.get('process', above.key, id, head.version));
      if (v) bases.push({ label: `${above.key}@${v.version}`, xml: v.content });
      else if (above.level === 'city') {
        const xml = await this.core.engineContent('process', DEFAULT_TENANT, id);
        if (xml) bases.push({ label: 'city@engine', xml });
      }
    }
    if (!bases.some((b) => b.label.startsWith('city@')))
      throw new NotFoundError(t('catalog.template_missing'), 'TEMPLATE_MISSING');
    return bases;
  }

  /** The variants of `id` below `place` that the policy lint now refuses, with their errors. */
  private async lintBelow(place: Place, id: string): Promise<DeployResponse['affectedVariants']> {
    const affected: DeployResponse['affectedVariants'] = [];
    for (const below of await this.core.placesWithVariants(place)) {
      const head = await this.core.store.head('process', below.key, id);
      const v = head && (await this.core.store.get('process', below.key, id, head.version));
      if (!v) continue;
      const report = await lintProcess(v.content, { bases: await this.basesOf(below, id) });
      if (report.errors.length)
        affected.push({ place: below.key, version: v.version, errors: report.errors });
    }
    return affected;
  }
}

/** The actor of a signed-in principal. */
export function actorOf(p: Principal): Actor {
  return { userId: p.userId, displayName: p.displayName };
}

// helpers //////////

function executableProcesses(model: BpmnModel): string[] {
  return model.processIds.filter(
    (id) => model.elements.get(id)?.attributes.isExecutable === 'true',
  );
}

function emptyModel(): BpmnModel {
  return { processIds: [], elements: new Map(), edges: new Map() };
}
