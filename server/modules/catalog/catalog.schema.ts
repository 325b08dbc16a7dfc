import { z } from 'zod';
import { idSchema } from '../users/users.schema';

/**
 * Request and response schemas of /api/catalog/processes (and the parts /api/catalog/forms
 * shares). The OpenAPI document is generated from these.
 */

/** A place as URLs name it: `city`, `county.<countyId>`, `school.<schoolId>`. */
export const placeKey = z.string().regex(/^(city|county\.[\w.-]{1,64}|school\.[\w.-]{1,64})$/, {
  error: 'city、county.<县区编号> 或 school.<学校编号>',
});

/** A BPMN process id (an XML NCName as Camunda uses them). */
export const processId = z.string().regex(/^[A-Za-z_][\w.-]{0,99}$/);

/** `city`, `county` or `school`. */
export const placeLevel = z.enum(['city', 'county', 'school']);

/** `GET /api/catalog/processes` query. */
export const listProcessesQuery = z.strictObject({
  id: processId.optional(),
  place: placeKey.optional(),
  level: placeLevel.optional(),
});
export type ListQuery = z.infer<typeof listProcessesQuery>;

/** `/api/catalog/processes/:id/:place…` path. */
export const processPlaceParams = z.strictObject({ id: processId, place: placeKey });

/** `/api/catalog/processes/:id/:place/versions/:version` path. */
export const processVersionParams = processPlaceParams.extend({
  version: z.coerce.number().int().min(1),
});

/** `GET /api/catalog/processes/:id/resolve` path and query. */
export const resolveParams = z.strictObject({ id: processId });
export const resolveQuery = z.strictObject({ schoolId: idSchema });

/** `POST /api/catalog/processes/:id/:place/versions` body: deploy a new version. */
export const deployProcessBody = z.strictObject({
  xml: z.string().min(1).max(2_000_000),
  comment: z.string().trim().max(500).default(''),
  /** The version the edit started from; 409 if another version was deployed since (0: none). */
  baseVersion: z.number().int().min(0).optional(),
});
export type DeployProcessBody = z.infer<typeof deployProcessBody>;

/** `POST /api/catalog/processes/:id/:place/lint` body: check without deploying. */
export const lintProcessBody = z.strictObject({ xml: z.string().min(1).max(2_000_000) });

/** `POST …/rollback` body: a new version equal to an older one. */
export const rollbackBody = z.strictObject({
  version: z.number().int().min(1),
  comment: z.string().trim().max(500).optional(),
  baseVersion: z.number().int().min(0).optional(),
});
export type RollbackBody = z.infer<typeof rollbackBody>;

/** A version to diff: `3` (at the same place) or `city@3`, `county.<id>@2`. */
export const versionRef = z
  .string()
  .regex(/^((city|county\.[\w.-]{1,64}|school\.[\w.-]{1,64})@)?[1-9]\d{0,8}$/);

/** `GET …/diff` query. */
export const diffQuery = z.strictObject({ from: versionRef, to: versionRef });

/** One problem of the policy lint. */
export const lintProblem = z.object({
  elementId: z.string(),
  rule: z.string(),
  lintRule: z.string(),
  severity: z.enum(['error', 'warn']),
  message: z.string(),
  detail: z.string().optional(),
});

/** `POST …/lint` response. */
export const lintReport = z.object({
  errors: z.array(lintProblem),
  warnings: z.array(lintProblem),
});

/** A version as lists show it. */
export const versionSummary = z.object({
  id: z.string(),
  place: placeKey,
  level: placeLevel,
  version: z.number().int(),
  name: z.string().optional(),
  tenantId: z.string(),
  engineKey: z.string(),
  engineVersion: z.number().int(),
  comment: z.string(),
  action: z.enum(['load', 'deploy', 'rollback']),
  rollbackOf: z.number().int().optional(),
  basedOn: z.array(z.string()),
  warnings: z.array(lintProblem),
  by: z.string(),
  byName: z.string(),
  at: z.iso.datetime(),
});
export type VersionSummary = z.infer<typeof versionSummary>;

/** `GET …/versions` response. */
export const versionList = z.object({ items: z.array(versionSummary) });

/** `GET …/versions/:version` response (a process). */
export const processVersionDetail = versionSummary.extend({ xml: z.string() });

/** The current version of a process or form at one place. */
export const headItem = z.object({
  id: z.string(),
  place: placeKey,
  level: placeLevel,
  version: z.number().int(),
  name: z.string().optional(),
  tenantId: z.string(),
  engineKey: z.string(),
  engineVersion: z.number().int(),
  by: z.string(),
  byName: z.string(),
  at: z.iso.datetime(),
});
export type HeadItem = z.infer<typeof headItem>;

/** `GET /api/catalog/processes` response. */
export const headList = z.object({ items: z.array(headItem) });

/** A variant below a changed template that the changed template's policy now refuses. */
export const affectedVariant = z.object({
  place: placeKey,
  version: z.number().int(),
  errors: z.array(lintProblem),
});

/** `POST …/versions` and `POST …/rollback` response. */
export const deployResponse = z.object({
  /** False when the content equals the current version (nothing deployed). */
  changed: z.boolean(),
  version: versionSummary,
  warnings: z.array(lintProblem),
  /** Variants below the place that no longer pass the policy lint against this version. */
  affectedVariants: z.array(affectedVariant),
});
export type DeployResponse = z.infer<typeof deployResponse>;

/** `GET /api/catalog/processes/:id/resolve` response: what a school starts. */
export const resolution = z.object({
  id: z.string(),
  schoolId: z.string(),
  /** Where the version comes from: the school, its county or the city. */
  place: placeKey,
  level: placeLevel,
  /** The catalog version, or null for a process deployed to the engine outside the catalog. */
  version: z.number().int().nullable(),
  processDefinitionKey: z.string(),
  engineVersion: z.number().int(),
  tenantId: z.string(),
});
export type Resolution = z.infer<typeof resolution>;

/** `GET …/diff` response. */
export const diffResponse = z.object({
  from: z.object({ place: placeKey, version: z.number().int() }),
  to: z.object({ place: placeKey, version: z.number().int() }),
  elements: z.object({
    added: z.array(z.object({ id: z.string(), type: z.string(), name: z.string().optional() })),
    removed: z.array(z.object({ id: z.string(), type: z.string(), name: z.string().optional() })),
    changed: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        name: z.string().optional(),
        typeBefore: z.string().optional(),
        attributes: z.array(
          z.object({
            name: z.string(),
            before: z.string().nullable(),
            after: z.string().nullable(),
          }),
        ),
      }),
    ),
  }),
  unified: z.string(),
});
export type DiffResponse = z.infer<typeof diffResponse>;
