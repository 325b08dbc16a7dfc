import type { RequestHandler, Router } from 'express';
import type { Logger } from '../../lib/logger';
import type { CatalogCore } from '../catalog';
import { createFormsRouter } from './forms.router';
import { FormsService } from './forms.service';

export { FormsService, FormInvalidError } from './forms.service';

/** Creates the forms catalog on the process catalog's core, and its router. */
export function createForms(deps: {
  core: CatalogCore;
  logger: Logger;
  requireSession: RequestHandler;
}): { router: Router; service: FormsService } {
  const service = new FormsService(deps.core, deps.logger.child({ component: 'forms' }));
  return { router: createFormsRouter(service, deps.requireSession), service };
}
