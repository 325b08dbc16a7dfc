/**
 * What every school's or county's own settings document has in common (the WeChat Pay
 * merchant, the WeCom app): one document per place, `_id` = `<kind>:<level>:<placeId>`,
 * replaced whole by the place's administrators; the slice adds its own fields and its secrets,
 * sealed with DATA_ENCRYPTION_KEY (server/integrations/secret-box.ts) for the purpose
 * `<_id>:<field>`.
 */

/** Whose settings: a school's or a county's. */
export type SettingsLevel = 'school' | 'county';

/** The fields every place's settings document has. */
export interface PlaceSettingsDoc {
  _id: string;
  level: SettingsLevel;
  placeId: string;
  cityId: string;
  countyId: string;
  /** Set for a school's settings only. */
  schoolId?: string;
  updatedAt: Date;
  updatedBy: string;
}

/** Their schema paths, to spread into a slice's settings schema. */
export const placeSettingsFields = {
  _id: String,
  level: { type: String, enum: ['school', 'county'], required: true },
  placeId: { type: String, required: true },
  cityId: { type: String, required: true },
  countyId: { type: String, required: true },
  schoolId: String,
  updatedAt: { type: Date, required: true },
  updatedBy: { type: String, required: true },
} as const;

/** The `_id` of a place's settings of `kind` (`wechatpay`, `wecom`). */
export function placeSettingsId(kind: string, level: SettingsLevel, placeId: string): string {
  return `${kind}:${level}:${placeId}`;
}

/** The common fields of a place's settings of `kind` as `by` saves them now. */
export function placeSettingsBase(
  kind: string,
  level: SettingsLevel,
  place: { cityId: string; countyId: string; schoolId?: string },
  by: string,
): PlaceSettingsDoc {
  const placeId = level === 'school' ? place.schoolId! : place.countyId;
  return {
    _id: placeSettingsId(kind, level, placeId),
    level,
    placeId,
    cityId: place.cityId,
    countyId: place.countyId,
    ...(level === 'school' ? { schoolId: place.schoolId } : {}),
    updatedAt: new Date(),
    updatedBy: by,
  };
}
