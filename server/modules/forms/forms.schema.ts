import { z } from 'zod';
import {
  diffResponse,
  headList,
  placeKey,
  placeLevel,
  versionSummary,
} from '../catalog/catalog.schema';
import { idSchema } from '../users/users.schema';

/** Request and response schemas of /api/catalog/forms. */

/** A form id (the `.form` file's stem, e.g. `enrolment-class-review`). */
export const formId = z.string().regex(/^[A-Za-z_][\w.-]{0,99}$/);

/** `GET /api/catalog/forms` query. */
export const listFormsQuery = z.strictObject({
  id: formId.optional(),
  place: placeKey.optional(),
  level: placeLevel.optional(),
});

/** `/api/catalog/forms/:id/:place…` path. */
export const formPlaceParams = z.strictObject({ id: formId, place: placeKey });

/** `/api/catalog/forms/:id/:place/versions/:version` path. */
export const formVersionParams = formPlaceParams.extend({
  version: z.coerce.number().int().min(1),
});

/** `GET /api/catalog/forms/:id/resolve` path and query. */
export const formResolveParams = z.strictObject({ id: formId });
export const formResolveQuery = z.strictObject({ schoolId: idSchema });

/** A form-js schema as JSON (checked in depth by the service: form-definition.ts). */
export const formJson = z.record(z.string(), z.unknown());

/** `POST /api/catalog/forms/:id/:place/versions` body: create or edit a form. */
export const deployFormBody = z.strictObject({
  schema: formJson,
  comment: z.string().trim().max(500).default(''),
  /** The version the edit started from; 409 if another version was deployed since (0: none). */
  baseVersion: z.number().int().min(0).optional(),
});
export type DeployFormBody = z.infer<typeof deployFormBody>;

/** `POST /api/catalog/forms/:id/:place/validate` body: check without saving. */
export const validateFormBody = z.strictObject({ schema: formJson });

/** `POST /api/catalog/forms/:id/:place/rollback` body. */
export { rollbackBody as formRollbackBody, diffQuery as formDiffQuery } from '../catalog/catalog.schema';

/** `GET …/versions/:version` response (a form). */
export const formVersionDetail = versionSummary.extend({ schema: formJson });

/** `POST …/versions` and `…/rollback` response. */
export const formDeployResponse = z.object({
  changed: z.boolean(),
  version: versionSummary,
});
export type FormDeployResponse = z.infer<typeof formDeployResponse>;

/** `POST …/validate` response. */
export const formValidation = z.object({
  valid: z.boolean(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});

/** `GET /api/catalog/forms/:id/resolve` response. */
export const formResolution = z.object({
  id: z.string(),
  schoolId: z.string(),
  place: placeKey,
  level: placeLevel,
  version: z.number().int().nullable(),
  formKey: z.string(),
  engineVersion: z.number().int(),
  tenantId: z.string(),
});
export type FormResolution = z.infer<typeof formResolution>;

/** `GET /api/catalog/forms/:id/usage` query: only the processes that run at `place`. */
export const formUsageQuery = z.strictObject({ place: placeKey.optional() });

/** `GET /api/catalog/forms/:id/usage` response: the steps that link the form, per process version. */
export const formUsage = z.object({
  formId: z.string(),
  items: z.array(
    z.object({
      processId: z.string(),
      processName: z.string().optional(),
      place: placeKey,
      level: placeLevel,
      version: z.number().int(),
      steps: z.array(
        z.object({
          elementId: z.string(),
          elementName: z.string().optional(),
          type: z.enum(['userTask', 'startEvent']),
        }),
      ),
    }),
  ),
});
export type FormUsage = z.infer<typeof formUsage>;
export type FormUsageQuery = z.infer<typeof formUsageQuery>;

/** `GET /api/catalog/forms` response, `GET …/diff` response. */
export { headList as formHeadList, diffResponse as formDiffResponse };
