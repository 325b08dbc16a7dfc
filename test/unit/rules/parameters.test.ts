import {
  CITY_DEFAULTS,
  canAdvanceFeeStandard,
  countyParametersSchema,
  nextFeeStandardStatus,
  resolveParameters,
  seasonOf,
} from '../../../server/rules';

describe('county parameters', () => {
  it('should fall back to the city defaults where a county has set nothing', () => {
    // given / when
    const params = resolveParameters(undefined);

    // then
    expect(params).toEqual({
      feeCapFen: 8000,
      feeCapSource: 'city',
      feeBasisMinutesPerDay: 120,
      season: { summerFrom: '05-01', summerTo: '09-30' },
      endNoEarlierThan: { summer: '18:30', winter: '18:00' },
      maxMinutesAfterDismissal: 120,
      maxExternalStaffShare: 0.5,
    });
  });

  it('should apply a county fee standard once the city has approved it', () => {
    // given
    const county = countyParametersSchema.parse({
      countyId: 'yancheng',
      feeStandard: { monthlyFen: 6000, status: 'city-approved', document: '郾政文〔2026〕1号' },
    });

    // when
    const params = resolveParameters(county);

    // then
    expect(params.feeCapFen).toBe(6000);
    expect(params.feeCapSource).toBe('county');
  });

  it.each(['proposed', 'county-approved'] as const)(
    'should keep the city cap while the county standard is only %s',
    (status) => {
      // given
      const county = countyParametersSchema.parse({ feeStandard: { monthlyFen: 6000, status } });

      // when
      const params = resolveParameters(county);

      // then
      expect(params.feeCapFen).toBe(CITY_DEFAULTS.feeCapFen);
      expect(params.feeCapSource).toBe('city');
    },
  );

  it("should take a county's own season and end times, keeping the rest", () => {
    // given
    const county = countyParametersSchema.parse({
      season: { summerFrom: '05-15', summerTo: '09-15' },
      endNoEarlierThan: { winter: '17:50' },
    });

    // when
    const params = resolveParameters(county);

    // then
    expect(params.season).toEqual({ summerFrom: '05-15', summerTo: '09-15' });
    expect(params.endNoEarlierThan).toEqual({ summer: '18:30', winter: '17:50' });
    expect(params.maxMinutesAfterDismissal).toBe(120);
  });

  it('should refuse malformed parameters', () => {
    // given
    const bad = [
      { season: { summerFrom: '09-30', summerTo: '05-01' } },
      { season: { summerFrom: '02-30', summerTo: '09-30' } },
      { endNoEarlierThan: { summer: '18.30' } },
      { feeStandard: { monthlyFen: 80.5, status: 'city-approved' } },
      { feeStandard: { monthlyFen: 8000, status: 'approved' } },
      { maxMinutesAfterDismissal: 0 },
      { somethingElse: true },
    ];

    // when
    const results = bad.map((p) => countyParametersSchema.safeParse(p).success);

    // then
    expect(results).toEqual(bad.map(() => false));
  });

  it('should tell the season of a date from the county season dates (TIME-SEASON)', () => {
    // given
    const city = resolveParameters(undefined);
    const county = resolveParameters({ season: { summerFrom: '05-15', summerTo: '09-15' } });

    // when / then
    expect(seasonOf('2026-05-01', city)).toBe('summer');
    expect(seasonOf('2026-09-30', city)).toBe('summer');
    expect(seasonOf('2026-10-01', city)).toBe('winter');
    expect(seasonOf('2027-04-30', city)).toBe('winter');
    expect(seasonOf('2026-05-10', county)).toBe('winter');
    expect(seasonOf('2026-09-16', county)).toBe('winter');
  });

  it('should move a county fee standard one approval step at a time', () => {
    expect(nextFeeStandardStatus('proposed')).toBe('county-approved');
    expect(nextFeeStandardStatus('county-approved')).toBe('city-approved');
    expect(nextFeeStandardStatus('city-approved')).toBeUndefined();
    expect(canAdvanceFeeStandard('proposed', 'county-approved')).toBe(true);
    expect(canAdvanceFeeStandard('proposed', 'city-approved')).toBe(false);
    expect(canAdvanceFeeStandard('city-approved', 'proposed')).toBe(false);
  });
});
