import {
  evaluateTimer,
  parseTimeCycle,
  parseTimeDate,
  parseTimeDuration,
  type TimerCycle,
} from '../../server/engine/feel';

function iso(date: Date | undefined): string | undefined {
  return date?.toISOString();
}

function cycleOf(text: string, timeZone?: string): TimerCycle {
  const result = parseTimeCycle(text, { timeZone });
  if (!result.ok) {
    throw new Error(`expected '${text}' to parse, got: ${result.error}`);
  }
  return result.value;
}

function dueDates(cycle: TimerCycle, from: string, count: number): Array<string | undefined> {
  const dates: Array<string | undefined> = [];
  let current: Date | undefined = new Date(from);
  for (let i = 0; i < count; i++) {
    current = current && cycle.next(current);
    dates.push(iso(current));
  }
  return dates;
}

describe('timers: timeDate', () => {
  it('should read date-times with Z, an offset, or a zone id', () => {
    // given
    const texts = [
      '2026-10-01T08:00:00Z',
      '2026-10-01T08:00:00+08:00',
      '2026-10-01T08:00:00.5-05:30',
      '2026-10-01T08:00:00[Asia/Shanghai]',
      '2026-10-01T08:00:00+08:00[Asia/Shanghai]',
      '2026-10-01T08:00:00@Asia/Shanghai',
      '2026-10-01T08:00Z',
    ];

    // when
    const dates = texts.map((text) => parseTimeDate(text));

    // then
    expect(dates.map((d) => d.ok && d.value.toISOString())).toEqual([
      '2026-10-01T08:00:00.000Z',
      '2026-10-01T00:00:00.000Z',
      '2026-10-01T13:30:00.500Z',
      '2026-10-01T00:00:00.000Z',
      '2026-10-01T00:00:00.000Z',
      '2026-10-01T00:00:00.000Z',
      '2026-10-01T08:00:00.000Z',
    ]);
  });

  it('should honour daylight saving time of a zone id', () => {
    // given
    const summer = '2026-07-01T09:00:00[Europe/Berlin]';
    const winter = '2026-12-01T09:00:00[Europe/Berlin]';

    // when
    const dates = [parseTimeDate(summer), parseTimeDate(winter)];

    // then
    expect(dates.map((d) => d.ok && d.value.toISOString())).toEqual([
      '2026-07-01T07:00:00.000Z',
      '2026-12-01T08:00:00.000Z',
    ]);
  });

  it('should read a zone-less date-time only in a configured zone', () => {
    // given
    const text = '2026-10-01T08:00:00';

    // when
    const without = parseTimeDate(text);
    const withZone = parseTimeDate(text, { timeZone: 'Asia/Shanghai' });

    // then
    expect(without.ok).toBe(false);
    expect(!without.ok && without.error).toContain('has no zone');
    expect(withZone.ok && withZone.value.toISOString()).toBe('2026-10-01T00:00:00.000Z');
  });

  it('should refuse dates that do not exist and text that is not a date-time', () => {
    // given
    const texts = [
      '2026-02-30T08:00:00Z',
      '2026-10-01T24:00:00Z',
      'tomorrow',
      '2026-10-01',
      '2026-10-01T08:00:00[Mars/Base]',
    ];

    // when
    const results = texts.map((text) => parseTimeDate(text));

    // then
    expect(results).toEqual([
      {
        ok: false,
        error: "invalid date-time '2026-02-30T08:00:00Z': no such calendar date or time",
      },
      {
        ok: false,
        error: "invalid date-time '2026-10-01T24:00:00Z': no such calendar date or time",
      },
      {
        ok: false,
        error:
          "invalid ISO 8601 date-time 'tomorrow' (expected e.g. '2026-10-01T08:00:00+08:00' or '2026-10-01T08:00:00[Asia/Shanghai]')",
      },
      expect.objectContaining({ ok: false }),
      {
        ok: false,
        error: "invalid date-time '2026-10-01T08:00:00[Mars/Base]': unknown time zone 'Mars/Base'",
      },
    ]);
  });
});

describe('timers: timeDuration', () => {
  it('should add time durations exactly', () => {
    // given
    const from = new Date('2026-09-01T08:00:00Z');

    // when
    const dues = ['PT15M', 'PT1H30M', 'PT0.5S', 'P1DT2H', 'P1W'].map((text) =>
      parseTimeDuration(text, from),
    );

    // then
    expect(dues.map((d) => d.ok && d.value.toISOString())).toEqual([
      '2026-09-01T08:15:00.000Z',
      '2026-09-01T09:30:00.000Z',
      '2026-09-01T08:00:00.500Z',
      '2026-09-02T10:00:00.000Z',
      '2026-09-08T08:00:00.000Z',
    ]);
  });

  it('should add calendar months clamped to the end of the month', () => {
    // given
    const cases: Array<[string, string]> = [
      ['P1M', '2026-01-31T08:00:00Z'],
      ['P1M', '2024-01-31T08:00:00Z'],
      ['P1M', '2026-03-31T08:00:00Z'],
      ['P1Y', '2024-02-29T08:00:00Z'],
      ['P1M1D', '2026-01-31T08:00:00Z'],
      ['P12M', '2026-12-15T08:00:00Z'],
    ];

    // when
    const dues = cases.map(([text, from]) => parseTimeDuration(text, new Date(from)));

    // then
    expect(dues.map((d) => d.ok && d.value.toISOString())).toEqual([
      '2026-02-28T08:00:00.000Z',
      '2024-02-29T08:00:00.000Z',
      '2026-04-30T08:00:00.000Z',
      '2025-02-28T08:00:00.000Z',
      '2026-03-01T08:00:00.000Z',
      '2027-12-15T08:00:00.000Z',
    ]);
  });

  it('should count days and months on the wall clock of the configured zone', () => {
    // given
    const beforeDst = new Date('2026-03-28T08:00:00Z'); // 09:00 in Berlin, CET
    const lastOfJanInShanghai = new Date('2026-01-31T20:00:00Z'); // 1 Feb 04:00 in Shanghai

    // when
    const day = parseTimeDuration('P1D', beforeDst, { timeZone: 'Europe/Berlin' });
    const hours = parseTimeDuration('PT24H', beforeDst, { timeZone: 'Europe/Berlin' });
    const monthUtc = parseTimeDuration('P1M', lastOfJanInShanghai);
    const monthShanghai = parseTimeDuration('P1M', lastOfJanInShanghai, {
      timeZone: 'Asia/Shanghai',
    });

    // then
    expect(day.ok && day.value.toISOString()).toBe('2026-03-29T07:00:00.000Z'); // 09:00 CEST
    expect(hours.ok && hours.value.toISOString()).toBe('2026-03-29T08:00:00.000Z');
    expect(monthUtc.ok && monthUtc.value.toISOString()).toBe('2026-02-28T20:00:00.000Z');
    expect(monthShanghai.ok && monthShanghai.value.toISOString()).toBe('2026-02-28T20:00:00.000Z');
  });

  it('should refuse negative and malformed durations', () => {
    // given
    const from = new Date('2026-09-01T08:00:00Z');

    // when
    const results = ['-PT5M', 'P', 'PT', '15M', 'P1H', 'PT1.5M'].map((text) =>
      parseTimeDuration(text, from),
    );

    // then
    expect(results[0]).toEqual({
      ok: false,
      error: "invalid timer duration '-PT5M': negative durations are not allowed",
    });
    for (const result of results.slice(1)) {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toContain('invalid ISO 8601 duration');
    }
  });
});

describe('timers: timeCycle with repeating intervals', () => {
  it('should repeat an interval from each firing', () => {
    // given
    const cycle = cycleOf('R5/PT10S');

    // when
    const dates = dueDates(cycle, '2026-09-01T08:00:00Z', 2);

    // then
    expect(cycle.repetitions).toBe(5);
    expect(dates).toEqual(['2026-09-01T08:00:10.000Z', '2026-09-01T08:00:20.000Z']);
  });

  it('should repeat for ever without a count', () => {
    // given
    const cycle = cycleOf('R/P1D');

    // when
    const dates = dueDates(cycle, '2026-09-01T08:00:00Z', 1);

    // then
    expect(cycle.repetitions).toBe('infinite');
    expect(dates).toEqual(['2026-09-02T08:00:00.000Z']);
  });

  it('should start at the start date and stay on its grid', () => {
    // given
    const cycle = cycleOf('R3/2026-01-01T00:00:00Z/PT1H');

    // when
    const fromBefore = dueDates(cycle, '2025-12-31T12:00:00Z', 4);
    const fromBetween = iso(cycle.next(new Date('2026-01-01T00:59:59Z')));
    const fromLate = iso(cycle.next(new Date('2026-01-01T05:00:00Z')));

    // then
    expect(cycle.repetitions).toBe(3);
    expect(fromBefore).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
      undefined,
    ]);
    expect(fromBetween).toBe('2026-01-01T01:00:00.000Z');
    expect(fromLate).toBeUndefined();
  });

  it('should keep a monthly cycle anchored on the 31st', () => {
    // given
    const cycle = cycleOf('R/2026-01-31T09:00:00+08:00/P1M');

    // when
    const dates = dueDates(cycle, '2026-01-31T00:00:00Z', 4);

    // then
    expect(dates).toEqual([
      '2026-01-31T01:00:00.000Z',
      '2026-02-28T01:00:00.000Z',
      '2026-03-31T01:00:00.000Z',
      '2026-04-30T01:00:00.000Z',
    ]);
  });

  it('should refuse repeating intervals it cannot schedule', () => {
    // given
    const texts = [
      'R5/P0D',
      'R5/-PT1H',
      'R5/nonsense',
      'R/PT1H/2026-01-01T00:00:00Z',
      'R5/a/b/c',
      'every day',
    ];

    // when
    const results = texts.map((text) => parseTimeCycle(text));

    // then
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false, false, false]);
    expect(results[0]).toEqual({
      ok: false,
      error: "invalid repeating interval 'R5/P0D': the interval must be positive",
    });
    expect(results[5]).toEqual({
      ok: false,
      error:
        "invalid timer cycle 'every day' (expected an ISO 8601 repeating interval like 'R5/PT10S' or a cron expression like '0 0 9 * * MON-FRI')",
    });
  });
});

describe('timers: timeCycle with cron expressions', () => {
  it('should fire at 9:00 on weekdays in the school zone', () => {
    // given
    const cycle = cycleOf('0 0 9 * * MON-FRI', 'Asia/Shanghai');

    // when — Friday 2 January 2026, 10:00 in Shanghai
    const dates = dueDates(cycle, '2026-01-02T02:00:00Z', 3);

    // then — Monday to Wednesday, 09:00 in Shanghai
    expect(cycle.repetitions).toBe('infinite');
    expect(dates).toEqual([
      '2026-01-05T01:00:00.000Z',
      '2026-01-06T01:00:00.000Z',
      '2026-01-07T01:00:00.000Z',
    ]);
  });

  it('should read lists, ranges, steps, names and ?', () => {
    // given
    const cycle = cycleOf('0 */15 8-9 ? JAN,MAR *');

    // when
    const dates = dueDates(cycle, '2026-01-31T09:40:00Z', 3);

    // then
    expect(dates).toEqual([
      '2026-01-31T09:45:00.000Z',
      '2026-03-01T08:00:00.000Z',
      '2026-03-01T08:15:00.000Z',
    ]);
  });

  it('should fire strictly after the given time', () => {
    // given
    const cycle = cycleOf('*/30 * * * * *');

    // when
    const onTheDot = iso(cycle.next(new Date('2026-09-01T08:00:30.000Z')));
    const justAfter = iso(cycle.next(new Date('2026-09-01T08:00:30.001Z')));

    // then
    expect(onTheDot).toBe('2026-09-01T08:01:00.000Z');
    expect(justAfter).toBe('2026-09-01T08:01:00.000Z');
  });

  it('should read last days, n-th weekdays and macros', () => {
    // given
    const from = '2026-02-10T00:00:00Z';

    // when
    const lastDay = dueDates(cycleOf('0 0 12 L * ?'), from, 2);
    const dayBeforeLast = dueDates(cycleOf('0 0 12 L-1 * ?'), from, 1);
    const firstMonday = dueDates(cycleOf('0 0 8 ? * MON#1'), from, 2);
    const lastFriday = dueDates(cycleOf('0 0 8 ? * FRIL'), from, 1);
    const daily = dueDates(cycleOf('@daily'), from, 1);
    const weekend = dueDates(cycleOf('0 0 10 ? * SAT-SUN'), from, 2);

    // then
    expect(lastDay).toEqual(['2026-02-28T12:00:00.000Z', '2026-03-31T12:00:00.000Z']);
    expect(dayBeforeLast).toEqual(['2026-02-27T12:00:00.000Z']);
    expect(firstMonday).toEqual(['2026-03-02T08:00:00.000Z', '2026-04-06T08:00:00.000Z']);
    expect(lastFriday).toEqual(['2026-02-27T08:00:00.000Z']);
    expect(daily).toEqual(['2026-02-11T00:00:00.000Z']);
    expect(weekend).toEqual(['2026-02-14T10:00:00.000Z', '2026-02-15T10:00:00.000Z']);
  });

  it('should require both the day of month and the day of week to match, as Spring does', () => {
    // given — Friday the 13th
    const cycle = cycleOf('0 0 0 13 * FRI');

    // when
    const dates = dueDates(cycle, '2026-01-01T00:00:00Z', 2);

    // then
    expect(dates).toEqual(['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z']);
  });

  it('should refuse cron expressions it cannot read, with the reason', () => {
    // given
    const texts = [
      '0 9 * * MON-FRI',
      '0 0 25 * * *',
      '0 0 9 15W * ?',
      '0 0 0 30 FEB ?',
      '0 0 9 * * FUNDAY',
    ];

    // when
    const results = texts.map((text) => parseTimeCycle(text));

    // then
    expect(results).toEqual([
      {
        ok: false,
        error:
          "invalid cron expression '0 9 * * MON-FRI': expected 6 fields (second minute hour day-of-month month day-of-week), found 5",
      },
      {
        ok: false,
        error:
          "invalid cron expression '0 0 25 * * *': '25' is out of range 0-23 in the hour field",
      },
      {
        ok: false,
        error:
          "invalid cron expression '0 0 9 15W * ?': 'W' (nearest weekday) in the day-of-month field is not supported",
      },
      { ok: false, error: "invalid cron expression '0 0 0 30 FEB ?': it never fires" },
      {
        ok: false,
        error:
          "invalid cron expression '0 0 9 * * FUNDAY': cannot read 'FUNDAY' in the day-of-week field",
      },
    ]);
  });
});

describe('timers: evaluating timer definitions', () => {
  const created = new Date('2026-09-01T08:00:00Z');

  it('should schedule a FEEL duration once', () => {
    // given
    const variables = { reviewDays: 3 };

    // when
    const result = evaluateTimer(
      'duration',
      '=duration("P" + string(reviewDays) + "D")',
      variables,
      created,
    );

    // then
    expect(result.ok && iso(result.value.dueDate)).toBe('2026-09-04T08:00:00.000Z');
    expect(result.ok && result.value.repetitions).toBe(1);
    expect(result.ok && result.value.next(created)).toBeUndefined();
  });

  it('should schedule a FEEL date-time and a static date', () => {
    // given
    const variables = { deadline: '2026-09-10T17:00:00+08:00' };

    // when
    const fromFeel = evaluateTimer('date', '=date and time(deadline)', variables, created);
    const fromText = evaluateTimer(
      'date',
      '2026-09-10T17:00:00[Asia/Shanghai]',
      variables,
      created,
    );

    // then
    expect(fromFeel.ok && iso(fromFeel.value.dueDate)).toBe('2026-09-10T09:00:00.000Z');
    expect(fromText.ok && iso(fromText.value.dueDate)).toBe('2026-09-10T09:00:00.000Z');
  });

  it('should schedule a cycle from a static or FEEL text', () => {
    // given
    const variables = { every: 'PT1H' };

    // when
    const fromText = evaluateTimer('cycle', 'R2/PT30M', variables, created);
    const fromFeel = evaluateTimer('cycle', '="R/" + every', variables, created);

    // then
    expect(fromText.ok && [iso(fromText.value.dueDate), fromText.value.repetitions]).toEqual([
      '2026-09-01T08:30:00.000Z',
      2,
    ]);
    expect(fromFeel.ok && [iso(fromFeel.value.dueDate), fromFeel.value.repetitions]).toEqual([
      '2026-09-01T09:00:00.000Z',
      'infinite',
    ]);
  });

  it('should report a timer expression of the wrong type or with a missing variable', () => {
    // given
    const variables = { days: 3 };

    // when
    const wrongType = evaluateTimer('duration', '=days', variables, created);
    const missing = evaluateTimer('date', '=deadline', variables, created);
    const over = evaluateTimer('cycle', 'R1/2026-01-01T00:00:00Z/PT1H', variables, created);

    // then
    expect(wrongType).toEqual({
      ok: false,
      error: "Expected result of the expression 'days' to be 'DURATION', but was 'NUMBER'",
    });
    expect(missing).toEqual({
      ok: false,
      error:
        "Expected result of the expression 'deadline' to be 'DATE_TIME', but was 'NULL'. The evaluation reported the following warnings:\n[NO_VARIABLE_FOUND] Variable 'deadline' not found",
    });
    expect(over).toEqual({
      ok: false,
      error:
        "timer cycle 'R1/2026-01-01T00:00:00Z/PT1H' has no due date after 2026-09-01T08:00:00.000Z",
    });
  });
});
