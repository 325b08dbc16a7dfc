import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import type { AuditLog } from '../audit';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { PARAMETER_COLLECTIONS, parameterModels } from './parameters.model';
import { createParametersRouter } from './parameters.router';
import { ParametersService } from './parameters.service';

export { ParametersService, type CountyParametersView } from './parameters.service';

/** Creates the county parameters slice (ensuring its collections) and its /api/parameters router. */
export async function createParameters(deps: {
  db: Database;
  requireSession: RequestHandler;
  /** Where changes are recorded; none in tests that do not need it. */
  audit?: AuditLog;
}): Promise<{ router: Router; service: ParametersService }> {
  await deps.db.ensureCollections([
    ...Object.values(PARAMETER_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const service = new ParametersService(
    parameterModels(deps.db.connection),
    orgModels(deps.db.connection),
    deps.audit,
  );
  return { router: createParametersRouter(service, deps.requireSession), service };
}
