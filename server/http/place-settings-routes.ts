import type { z } from 'zod';
import { abilityFor, subject } from '../auth/abilities';
import type { SubjectName } from '../auth/authorization-table';
import type { Principal } from '../auth/principal';
import type { SettingsLevel } from '../db/place-settings';
import { NotFoundError } from '../lib/errors';
import { currentPrincipal } from '../modules/auth';
import type { RouteDeclarer } from './route-registry';

/**
 * The GET/PUT routes of a school's or county's own settings with sealed secrets (the WeChat Pay
 * merchant, the WeCom app): the administrators of the place enter them, secrets go in and
 * never come out. Both slices declare them alike; only the path, the subject and the schemas
 * differ.
 */

/** Where a school or county lies, as authorization reads it. */
export interface PlaceOfSettings {
  cityId: string;
  countyId: string;
  /** Set for a school's settings only. */
  schoolId?: string;
}

/** The place (city, county) of a school or county; undefined when there is none. */
export type PlaceLookup = (
  level: SettingsLevel,
  placeId: string,
) => Promise<{ cityId: string; countyId: string } | undefined>;

/** Where a slice keeps its place settings: a safe view out, the entered settings in. */
export interface PlaceSettingsStore<Input, View> {
  get(level: SettingsLevel, placeId: string): Promise<View | undefined>;
  save(level: SettingsLevel, place: PlaceOfSettings, input: Input, by: string): Promise<View>;
}

/** What {@link declarePlaceSettingsRoutes} declares. */
export interface PlaceSettingsRoutes<B extends z.ZodType> {
  /** Express path with `:level` and `:placeId`. */
  path: string;
  /** The subject the place's settings are authorized as. */
  subject: SubjectName;
  params: z.ZodType<{ level: SettingsLevel; placeId: string }>;
  body: B;
  view: z.ZodType;
  summaries: { get: string; put: string };
  placeOf: PlaceLookup;
  store: PlaceSettingsStore<z.output<B>, unknown>;
}

/** Declares `GET path` (the safe view, 404 when none) and `PUT path` (save, answer the view). */
export function declarePlaceSettingsRoutes<B extends z.ZodType>(
  api: RouteDeclarer,
  o: PlaceSettingsRoutes<B>,
): void {
  api.get(
    o.path,
    {
      summary: o.summaries.get,
      params: o.params,
      responses: { 200: { description: 'Settings', schema: o.view } },
      errors: [404],
    },
    async ({ params }, _req, res) => {
      const p = currentPrincipal(res);
      await authorizePlace(o.placeOf, p, 'read', o.subject, params.level, params.placeId);
      const view = await o.store.get(params.level, params.placeId);
      if (!view) throw new NotFoundError();
      res.json(view);
    },
  );

  api.put(
    o.path,
    {
      summary: o.summaries.put,
      params: o.params,
      body: o.body,
      responses: { 200: { description: 'Saved', schema: o.view } },
      errors: [404, 409],
    },
    async ({ params, body }, _req, res) => {
      const p = currentPrincipal(res);
      const place = await authorizePlace(
        o.placeOf,
        p,
        'update',
        o.subject,
        params.level,
        params.placeId,
      );
      // parsed with o.body, which is always given here
      const input = body as z.output<B>;
      res.json(await o.store.save(params.level, place, input, p.userId));
    },
  );
}

/**
 * The place of a school's or county's settings if `p` may `action` them; else 404 (whether
 * the place exists is not told). A county's settings carry no schoolId, so only the county
 * bureau (and the city) reach them.
 */
export async function authorizePlace(
  placeOf: PlaceLookup,
  p: Principal,
  action: 'read' | 'update',
  subjectName: SubjectName,
  level: SettingsLevel,
  placeId: string,
): Promise<PlaceOfSettings> {
  const place = await placeOf(level, placeId);
  const doc = place && { ...place, ...(level === 'school' ? { schoolId: placeId } : {}) };
  if (!doc || !abilityFor(p).can(action, subject(subjectName, doc))) throw new NotFoundError();
  return doc;
}
