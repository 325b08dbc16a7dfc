/**
 * County parameters (县区参数) as data, with the city's defaults. The policy lets each county
 * set its season dates and service times (季节弹性, TIME-SEASON) and, with its government's
 * approval, its own fee standard (FEE-CAP); where a county has set nothing the city default
 * applies.
 */
import { z } from 'zod';
import {
  minutesOfDay,
  monthDaySchema,
  timeOfDaySchema,
  type IsoDate,
  type MonthDay,
  type TimeOfDay,
} from './dates';

/** The two timetables of the year (TIME-SEASON). */
export type Season = 'summer' | 'winter';

/**
 * Where a county's own fee standard stands: proposed by the county bureau, approved by the
 * county (its government), then accepted by the city bureau. Only `city-approved` applies.
 */
export const FEE_STANDARD_STATUSES = ['proposed', 'county-approved', 'city-approved'] as const;

/** A status of a county's own fee standard. */
export type FeeStandardStatus = (typeof FEE_STANDARD_STATUSES)[number];

/** A county's own monthly fee standard and how far its approval has come. */
export const countyFeeStandardSchema = z.strictObject({
  /** Per student per month, in fen (分). */
  monthlyFen: z.number().int().positive(),
  status: z.enum(FEE_STANDARD_STATUSES),
  /** The approving document, e.g. the county government's reply. */
  document: z.string().max(200).optional(),
});

/** The summer timetable's first and last day; every other day is winter (TIME-SEASON). */
export const seasonDatesSchema = z
  .strictObject({ summerFrom: monthDaySchema, summerTo: monthDaySchema })
  .refine((s) => s.summerFrom <= s.summerTo, { path: ['summerTo'] });

/** What a county may set; anything left out falls back to the city default. */
export const countyParametersSchema = z.strictObject({
  countyId: z.string().min(1).max(64).optional(),
  feeStandard: countyFeeStandardSchema.optional(),
  season: seasonDatesSchema.optional(),
  /** The earliest the service may end in each timetable (TIME-END-SUMMER, TIME-END-WINTER). */
  endNoEarlierThan: z
    .strictObject({ summer: timeOfDaySchema.optional(), winter: timeOfDaySchema.optional() })
    .optional(),
  /** How long after dismissal the service should end, in minutes (TIME-2H). */
  maxMinutesAfterDismissal: z.number().int().min(30).max(360).optional(),
  /** Above this share of external staff a plan is warned (SAFE-STAFF: mainly own staff). */
  maxExternalStaffShare: z.number().min(0).max(1).optional(),
});

/** A county's parameters as stored (input of {@link resolveParameters}). */
export type CountyParameters = z.infer<typeof countyParametersSchema>;

/** A county's own fee standard (see {@link countyFeeStandardSchema}). */
export type CountyFeeStandard = z.infer<typeof countyFeeStandardSchema>;

/** The parameters in force for one county, every field filled. */
export interface ServiceParameters {
  /** The most a school may charge per student per month, in fen (FEE-CAP). */
  feeCapFen: number;
  /** Whether the cap is the city's or the county's own approved standard. */
  feeCapSource: 'city' | 'county';
  /** Minutes of service per working day the monthly standard pays for (FEE-CAP: 2 hours). */
  feeBasisMinutesPerDay: number;
  season: { summerFrom: MonthDay; summerTo: MonthDay };
  endNoEarlierThan: Record<Season, TimeOfDay>;
  maxMinutesAfterDismissal: number;
  maxExternalStaffShare: number;
}

/** The city's defaults (漯教〔2021〕64号 三(二), 四(二)). */
export const CITY_DEFAULTS: Readonly<ServiceParameters> = Object.freeze({
  feeCapFen: 8000,
  feeCapSource: 'city',
  feeBasisMinutesPerDay: 120,
  season: { summerFrom: '05-01', summerTo: '09-30' },
  endNoEarlierThan: { summer: '18:30', winter: '18:00' },
  maxMinutesAfterDismissal: 120,
  maxExternalStaffShare: 0.5,
});

/**
 * The parameters in force for a county: each value the county set, else the city's. The
 * county's own fee standard counts only once the city has approved it.
 */
export function resolveParameters(
  county: CountyParameters | undefined,
  city: Readonly<ServiceParameters> = CITY_DEFAULTS,
): ServiceParameters {
  const ownFee = county?.feeStandard?.status === 'city-approved' ? county.feeStandard : undefined;
  return {
    feeCapFen: ownFee?.monthlyFen ?? city.feeCapFen,
    feeCapSource: ownFee ? 'county' : city.feeCapSource,
    feeBasisMinutesPerDay: city.feeBasisMinutesPerDay,
    season: county?.season ?? { ...city.season },
    endNoEarlierThan: {
      summer: county?.endNoEarlierThan?.summer ?? city.endNoEarlierThan.summer,
      winter: county?.endNoEarlierThan?.winter ?? city.endNoEarlierThan.winter,
    },
    maxMinutesAfterDismissal: county?.maxMinutesAfterDismissal ?? city.maxMinutesAfterDismissal,
    maxExternalStaffShare: county?.maxExternalStaffShare ?? city.maxExternalStaffShare,
  };
}

/** The timetable a date falls in (TIME-SEASON). */
export function seasonOf(date: IsoDate, params: Pick<ServiceParameters, 'season'>): Season {
  const monthDay = date.slice(5);
  const { summerFrom, summerTo } = params.season;
  return monthDay >= summerFrom && monthDay <= summerTo ? 'summer' : 'winter';
}

/** The earliest end time in a timetable, in minutes since midnight (TIME-END-*). */
export function minimumEndMinutes(season: Season, params: ServiceParameters): number {
  return minutesOfDay(params.endNoEarlierThan[season]);
}

/** The status a county's fee standard moves to next, or undefined once city-approved. */
export function nextFeeStandardStatus(status: FeeStandardStatus): FeeStandardStatus | undefined {
  return FEE_STANDARD_STATUSES[FEE_STANDARD_STATUSES.indexOf(status) + 1];
}

/**
 * Who moves a county's fee standard into a status: the county bureau records its government's
 * approval, the city bureau accepts it (role names of docs/identity.md).
 */
export const FEE_STANDARD_APPROVER = {
  'county-approved': 'countyBureau',
  'city-approved': 'cityBureau',
} as const satisfies Partial<Record<FeeStandardStatus, string>>;

/** Whether a fee standard may move from one status to another: one step forward only. */
export function canAdvanceFeeStandard(from: FeeStandardStatus, to: FeeStandardStatus): boolean {
  return nextFeeStandardStatus(from) === to;
}
