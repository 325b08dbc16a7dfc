import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import type { PlansEnginePort } from './engine-port';
import { PLAN_COLLECTIONS, planModels } from './plans.model';
import { createPlansRouter } from './plans.router';
import { PlanService, type CountyParametersSource } from './plans.service';

export { PLAN_PROCESS, PlanService, planIdOf } from './plans.service';
export { plansEnginePort, type PlansEnginePort } from './engine-port';

/** Creates the plans slice (ensuring its collections) and its /api/plans router. */
export async function createPlans(deps: {
  db: Database;
  engine: PlansEnginePort;
  /** The county parameters in force (the parameters slice's service). */
  parameters: CountyParametersSource;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: PlanService }> {
  await deps.db.ensureCollections([
    ...Object.values(PLAN_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const service = new PlanService(
    planModels(deps.db.connection),
    orgModels(deps.db.connection),
    deps.engine,
    deps.parameters,
  );
  return { router: createPlansRouter(service, deps.requireSession), service };
}
