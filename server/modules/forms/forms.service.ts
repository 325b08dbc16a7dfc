import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { type AppAbility, abilityFor, accessibleQuery, subject } from '../../auth/abilities';
import type { Principal } from '../../auth/principal';
import { DEFAULT_TENANT } from '../../engine/engine';
import { ConflictError, type FieldProblem, NotFoundError, UserError } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { readModel } from '../../lint/bpmn-model';
import { assertDeploy, assertRead, subjectOf } from '../catalog/catalog.abilities';
import { type Actor, type CatalogCore, SYSTEM_ACTOR } from '../catalog/catalog-core';
import { diffElements, unifiedDiff } from '../catalog/catalog-diff';
import {
  getVersion,
  listHeads,
  listVersions,
  summaryOf,
  versionByRef,
} from '../catalog/catalog-reads';
import type { CatalogHeadDoc, VersionAction } from '../catalog/catalog.model';
import type {
  DiffResponse,
  HeadItem,
  ListQuery,
  RollbackBody,
  VersionSummary,
} from '../catalog/catalog.schema';
import type { LoadReport } from '../catalog/catalog.service';
import { CITY, type Place } from '../catalog/places';
import { checkFormDefinition, componentsOf, formTitle } from './form-definition';
import type {
  DeployFormBody,
  FormDeployResponse,
  FormResolution,
  FormUsage,
  FormUsageQuery,
} from './forms.schema';

/** A form refused by the form-js schema or our checks (400 `FORM_INVALID`), each problem by path. */
export class FormInvalidError extends UserError {
  constructor(errors: FieldProblem[]) {
    super(
      400,
      'FORM_INVALID',
      'form.def.invalid',
      errors.map((e) => `${e.path}：${e.message}`).join('；'),
      { fields: errors },
    );
  }
}

/**
 * Forms (form-js schemas) in the catalog: the city's templates from `forms/`, and county and
 * school variants, each save a version deployed to the engine tenant of its place, so user tasks
 * with `zeebe:formDefinition formId` link them. A variant form takes effect in the processes the
 * place runs from its own tenant (its process variants); ADR 0005.
 */
export class FormsService {
  constructor(
    private readonly core: CatalogCore,
    private readonly log: Logger,
  ) {}

  /** The current form versions the caller may read. */
  async list(ability: AppAbility, q: ListQuery): Promise<{ items: HeadItem[] }> {
    return listHeads(this.core, ability, 'form', q);
  }

  /** The versions of a form at a place. */
  async versions(ability: AppAbility, placeKey: string, id: string) {
    return listVersions(this.core, ability, 'form', await this.core.places.byKey(placeKey), id);
  }

  /** One version with its schema. */
  async version(
    ability: AppAbility,
    placeKey: string,
    id: string,
    version: number,
  ): Promise<VersionSummary & { schema: Record<string, unknown> }> {
    const place = await this.core.places.byKey(placeKey);
    const doc = await getVersion(this.core, ability, 'form', place, id, version);
    return { ...summaryOf(doc), schema: JSON.parse(doc.content) as Record<string, unknown> };
  }

  /** Checks a schema as a save would, without saving it. */
  async validate(
    ability: AppAbility,
    placeKey: string,
    id: string,
    schema: Record<string, unknown>,
  ): Promise<{ valid: boolean; errors: FieldProblem[] }> {
    assertRead(ability, 'form', await this.core.places.byKey(placeKey));
    const errors = prefixed(checkFormDefinition(schema, id));
    return { valid: errors.length === 0, errors };
  }

  /** Saves a new version of a form at a place (creates the form with its first version). */
  async deploy(
    p: Principal,
    placeKey: string,
    id: string,
    body: DeployFormBody,
  ): Promise<FormDeployResponse> {
    const place = await this.core.places.byKey(placeKey);
    assertDeploy(abilityFor(p), 'form', place);
    const errors = prefixed(checkFormDefinition(body.schema, id));
    if (errors.length) throw new FormInvalidError(errors);
    return this.deployAt(actorOf(p), place, id, canonical(body.schema), {
      comment: body.comment,
      action: 'deploy',
      baseVersion: body.baseVersion,
    });
  }

  /** Saves an older version again as the newest. */
  async rollback(
    p: Principal,
    placeKey: string,
    id: string,
    body: RollbackBody,
  ): Promise<FormDeployResponse> {
    const place = await this.core.places.byKey(placeKey);
    const ability = abilityFor(p);
    assertDeploy(ability, 'form', place);
    const old = await getVersion(this.core, ability, 'form', place, id, body.version);
    const head = await this.core.store.head('form', place.key, id);
    if (head?.checksum === old.checksum)
      throw new ConflictError(t('catalog.rollback_current'), 'ALREADY_CURRENT');
    return this.deployAt(actorOf(p), place, id, old.content, {
      comment: body.comment ?? t('catalog.rollback_comment', { version: body.version }),
      action: 'rollback',
      rollbackOf: body.version,
      baseVersion: body.baseVersion,
    });
  }

  /** Component-level and text diff between two versions (`3`, or `city@3` for another place). */
  async diff(
    ability: AppAbility,
    placeKey: string,
    id: string,
    fromRef: string,
    toRef: string,
  ): Promise<DiffResponse> {
    const place = await this.core.places.byKey(placeKey);
    const [from, to] = await Promise.all([
      versionByRef(this.core, ability, 'form', place, id, fromRef),
      versionByRef(this.core, ability, 'form', place, id, toRef),
    ]);
    return {
      from: { place: from.place, version: from.version },
      to: { place: to.place, version: to.version },
      elements: diffElements(
        componentsOf(JSON.parse(from.content)),
        componentsOf(JSON.parse(to.content)),
      ),
      unified: unifiedDiff(
        `${from.place}@${from.version}/${id}.form`,
        `${to.place}@${to.version}/${id}.form`,
        from.content,
        to.content,
      ),
    };
  }

  /** Which version of a form applies at a school: the school's, else its county's, else the city's. */
  async resolveForSchool(id: string, schoolId: string): Promise<FormResolution> {
    const school = await this.core.places.school(schoolId);
    for (const place of [school, ...(await this.core.places.ancestors(school))]) {
      const head = await this.core.store.head('form', place.key, id);
      if (head)
        return {
          id,
          schoolId,
          place: place.key,
          level: place.level,
          version: head.version,
          formKey: head.engineKey,
          engineVersion: head.engineVersion,
          tenantId: head.tenantId,
        };
    }
    const form = await this.core.engine.form(id, DEFAULT_TENANT);
    if (!form || form.formId !== id) throw new NotFoundError(`form ${id}`, 'CATALOG_NOT_FOUND');
    return {
      id,
      schoolId,
      place: CITY.key,
      level: 'city',
      version: null,
      formKey: form._id,
      engineVersion: form.version,
      tenantId: form.tenantId,
    };
  }

  /** {@link resolveForSchool} for a caller who may see the school (404 otherwise). */
  async resolveFor(ability: AppAbility, id: string, schoolId: string): Promise<FormResolution> {
    const school = await this.core.places.school(schoolId);
    if (!ability.can('read', subject('School', { _id: school.schoolId!, ...school })))
      throw new NotFoundError(`school ${schoolId}`, 'SCHOOL_NOT_FOUND');
    return this.resolveForSchool(id, schoolId);
  }

  /**
   * The process steps (user tasks and start events with `zeebe:formDefinition formId`) that
   * link form `id`, in the current version of every process the caller may read (a school its
   * own variants, its county's and the city's templates). With `place`, only the processes that
   * run there: per process, the place's own version, else the nearest above it (404 if the
   * caller may not read processes at `place`).
   */
  async usage(ability: AppAbility, id: string, q: FormUsageQuery): Promise<FormUsage> {
    const place = q.place ? await this.core.places.byKey(q.place) : undefined;
    if (place) assertRead(ability, 'process', place);
    const allowed = accessibleQuery(ability, 'read', subjectOf('process'));
    if (!allowed) return { formId: id, items: [] };
    let heads = await this.core.store.heads('process', allowed);
    if (place) {
      const chain = [place, ...(await this.core.places.ancestors(place))].map((p) => p.key);
      const running = new Map<string, CatalogHeadDoc>();
      for (const at of chain)
        for (const head of heads)
          if (head.place === at && !running.has(head.resourceId)) running.set(head.resourceId, head);
      heads = [...running.values()];
    }
    const items: FormUsage['items'] = [];
    for (const head of heads) {
      const version = await this.core.store.get('process', head.place, head.resourceId, head.version);
      if (!version) continue;
      const steps: FormUsage['items'][number]['steps'] = [];
      for (const el of (await readModel(version.content)).elements.values()) {
        if (el.attributes['zeebe:FormDefinition.formId'] !== id) continue;
        if (el.type !== 'bpmn:UserTask' && el.type !== 'bpmn:StartEvent') continue;
        steps.push({
          elementId: el.id,
          ...(el.name ? { elementName: el.name } : {}),
          type: el.type === 'bpmn:UserTask' ? 'userTask' : 'startEvent',
        });
      }
      if (steps.length === 0) continue;
      items.push({
        processId: head.resourceId,
        ...(head.name ? { processName: head.name } : {}),
        place: head.place,
        level: head.level,
        version: head.version,
        steps,
      });
    }
    items.sort(
      (a, b) => a.processId.localeCompare(b.processId) || a.place.localeCompare(b.place),
    );
    return { formId: id, items };
  }

  /**
   * Saves every `.form` file of `dir` as the city's template, as the server itself (skipping
   * unchanged files like the process templates). A form with problems is logged and saved as
   * written unless the engine refuses it.
   */
  async loadTemplates(dir: string): Promise<LoadReport> {
    const report: LoadReport = { loaded: [], unchanged: [], failed: [] };
    let files: string[];
    try {
      files = (await fs.readdir(dir)).filter((f) => f.endsWith('.form')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return report;
      throw err;
    }
    for (const file of files) {
      const stem = file.replace(/\.form$/, '');
      try {
        const text = await fs.readFile(path.join(dir, file), 'utf8');
        let schema: unknown;
        try {
          schema = JSON.parse(text);
        } catch (err) {
          throw new FormInvalidError([
            { path: '(form)', message: t('form.def.not_json', { detail: (err as Error).message }) },
          ]);
        }
        const problems = checkFormDefinition(schema, stem);
        if (problems.length)
          this.log.warn({ file, problems }, 'catalog: the form template has problems; saved as written');
        const id = (schema as { id?: unknown }).id;
        if (typeof id !== 'string' || !id) throw new FormInvalidError(problems);
        const content = canonical(schema as Record<string, unknown>);
        if (await this.core.isLoaded('form', id, content)) {
          report.unchanged.push(id);
          continue;
        }
        const result = await this.deployAt(SYSTEM_ACTOR, CITY, id, content, {
          comment: t('catalog.loaded_comment', { file: `forms/${file}` }),
          action: 'load',
        });
        report.loaded.push({ id, version: result.version.version });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        report.failed.push({ file, message: err.message });
        this.log.error({ file, err: err.message }, 'catalog: a form template was not loaded');
      }
    }
    return report;
  }

  // helpers //////////

  private async deployAt(
    actor: Actor,
    place: Place,
    id: string,
    content: string,
    opts: { comment: string; action: VersionAction; rollbackOf?: number; baseVersion?: number },
  ): Promise<FormDeployResponse> {
    const name = formTitle(JSON.parse(content));
    const result = await this.core.publish({
      kind: 'form',
      place,
      resourceId: id,
      ...(name ? { name } : {}),
      content,
      comment: opts.comment,
      action: opts.action,
      rollbackOf: opts.rollbackOf,
      basedOn: [],
      warnings: [],
      baseVersion: opts.baseVersion,
      actor,
    });
    if (result.changed && place.level !== 'school') await this.core.syncBelow(place);
    return { changed: result.changed, version: summaryOf(result.version) };
  }
}

// helpers //////////

function actorOf(p: Principal): Actor {
  return { userId: p.userId, displayName: p.displayName };
}

/** One text for one schema: stable key order as written, two-space indent, final newline. */
function canonical(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Problems of the schema as paths of the request body (`schema.components.2.key`). */
function prefixed(problems: FieldProblem[]): FieldProblem[] {
  return problems.map((p) => ({ ...p, path: p.path === '(form)' ? 'schema' : `schema.${p.path}` }));
}
