import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { Engine } from '../../engine/engine';
import type { Logger } from '../../lib/logger';
import type { AuditLog } from '../audit';
import { CatalogCore } from './catalog-core';
import { CATALOG_COLLECTIONS, catalogModels } from './catalog.model';
import { createCatalogRouter } from './catalog.router';
import { CatalogService, type LoadReport } from './catalog.service';
import { CITY, Places } from './places';
import { VersionStore } from './version-store';

export { CatalogCore, SYSTEM_ACTOR, type Actor } from './catalog-core';
export { CatalogService, actorOf, type LoadReport } from './catalog.service';
export type { Resolution } from './catalog.schema';

/** The catalog of processes, assembled for the composition root. */
export interface Catalog {
  /** Mounted at /api/catalog/processes. */
  router: Router;
  /** Processes: deploy, versions, diff, rollback, `resolveForSchool`. */
  service: CatalogService;
  /** What processes and forms share (the forms module builds on it). */
  core: CatalogCore;
}

/** Creates the process catalog (ensuring its collections) and its router. */
export async function createCatalog(deps: {
  db: Database;
  engine: Engine;
  audit: AuditLog;
  logger: Logger;
  requireSession: RequestHandler;
}): Promise<Catalog> {
  await deps.db.ensureCollections(Object.values(CATALOG_COLLECTIONS));
  const log = deps.logger.child({ component: 'catalog' });
  const core = new CatalogCore(
    deps.engine,
    new VersionStore(catalogModels(deps.db.connection)),
    new Places(deps.db),
    deps.audit,
    log,
  );
  const service = new CatalogService(core, log);
  return { router: createCatalogRouter(service, deps.requireSession), service, core };
}

/** Where the city's templates are read from at start. */
export interface TemplateDirs {
  processes: string;
  forms: string;
}

/**
 * Deploys the city's templates at start: the forms first (processes link them), then the
 * processes, then brings every variant's tenant up to date with what changed.
 */
export async function loadCityTemplates(
  dirs: TemplateDirs,
  catalog: Catalog,
  forms: { loadTemplates(dir: string): Promise<LoadReport> },
  logger: Logger,
): Promise<{ processes: LoadReport; forms: LoadReport }> {
  const started = Date.now();
  const formReport = await forms.loadTemplates(dirs.forms);
  const processReport = await catalog.service.loadTemplates(dirs.processes);
  await catalog.core.syncBelow(CITY);
  logger.info(
    {
      processes: { loaded: processReport.loaded, unchanged: processReport.unchanged.length },
      forms: { loaded: formReport.loaded, unchanged: formReport.unchanged.length },
      failed: [...formReport.failed, ...processReport.failed],
      ms: Date.now() - started,
    },
    'city templates loaded',
  );
  return { processes: processReport, forms: formReport };
}
