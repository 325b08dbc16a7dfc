import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import type { ProcessPort } from '../safety/engine-port';
import { SAFETY_COLLECTIONS, safetyModels } from '../safety/safety.model';
import { CLAIM_COLLECTIONS, claimModels } from './claims.model';
import { createClaimsRouter } from './claims.router';
import { ClaimService } from './claims.service';

export { CLAIM_PROCESS } from './claims.service';

/** Creates the claims slice (ensuring its collections) and its /api/claims router. */
export async function createClaims(deps: {
  db: Database;
  engine: ProcessPort;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: ClaimService }> {
  await deps.db.ensureCollections([
    ...Object.values(CLAIM_COLLECTIONS),
    ...Object.values(SAFETY_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const service = new ClaimService(
    claimModels(deps.db.connection),
    orgModels(deps.db.connection),
    safetyModels(deps.db.connection).incidents,
    deps.engine,
  );
  return { router: createClaimsRouter(service, deps.requireSession), service };
}
