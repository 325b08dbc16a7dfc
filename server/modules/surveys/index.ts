import type { RequestHandler, Router } from 'express';
import type { Database } from '../../db/connection';
import { ENROLMENT_COLLECTIONS, enrolmentModels } from '../enrolment/enrolment.model';
import { ORG_COLLECTIONS, orgModels } from '../org/org.model';
import { SURVEY_COLLECTIONS, surveyModels } from './surveys.model';
import { createSurveysRouter } from './surveys.router';
import { SurveyService } from './surveys.service';

export { SurveyService } from './surveys.service';
export { SURVEY_COLLECTIONS, surveyModels } from './surveys.model';

/** Creates the surveys slice (ensuring its collections) and its /api/surveys router. */
export async function createSurveys(deps: {
  db: Database;
  requireSession: RequestHandler;
}): Promise<{ router: Router; service: SurveyService }> {
  await deps.db.ensureCollections([
    ...Object.values(SURVEY_COLLECTIONS),
    ...Object.values(ENROLMENT_COLLECTIONS),
    ...Object.values(ORG_COLLECTIONS),
  ]);
  const service = new SurveyService(
    surveyModels(deps.db.connection),
    orgModels(deps.db.connection),
    enrolmentModels(deps.db.connection),
  );
  return { router: createSurveysRouter(service, deps.requireSession), service };
}
