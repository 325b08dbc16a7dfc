import vm from 'node:vm';
import { isPlainObject } from '../../server/engine/feel/convert';
import {
  ADDED_FUNCTIONS,
  evaluate,
  evaluateBoolean,
  evaluateDateTime,
  evaluateDuration,
  evaluateList,
  evaluateNumber,
  evaluateStatic,
  evaluateString,
  evaluateStringList,
  isExpression,
  type FeelOptions,
  type JsonValue,
} from '../../server/engine/feel';

// 2026-03-01T23:30:00Z is already 2 March 07:30 in Beijing.
const clock: FeelOptions = { now: new Date('2026-03-01T23:30:00Z') };

function valueOf(
  expression: string,
  variables: Record<string, unknown> = {},
  options = clock,
): JsonValue {
  const result = evaluate(expression, variables, options);
  if (!result.ok) {
    throw new Error(`expected '${expression}' to evaluate, got: ${result.error}`);
  }
  return result.value;
}

describe('FEEL: expressions and static values', () => {
  it('should treat only attributes starting with = as expressions', () => {
    // given
    const attributes = ['=x > 1', ' =x', 'payment', 'a=b', ''];

    // when
    const flags = attributes.map(isExpression);

    // then
    expect(flags).toEqual([true, true, false, false, false]);
  });

  it('should evaluate a static attribute to its text and an expression to its value', () => {
    // given
    const variables = { fee: 120 };

    // when
    const static_ = evaluateStatic('assess-fee', variables);
    const dynamic = evaluateStatic('=fee * 2', variables);
    const absent = evaluateStatic(undefined, variables);

    // then
    expect(static_).toEqual({ ok: true, value: 'assess-fee' });
    expect(dynamic).toEqual({ ok: true, value: 240 });
    expect(absent).toEqual({ ok: true, value: null });
  });

  it('should tolerate a leading = on an expression', () => {
    // given
    const variables = { a: 1 };

    // when
    const result = evaluate('=a + 1', variables);

    // then
    expect(result).toEqual({ ok: true, value: 2 });
  });
});

describe('FEEL: evaluation semantics', () => {
  it('should evaluate conditions on variables', () => {
    // given
    const variables = { approved: true, fee: 150, grade: 'G3' };

    // when
    const values = [
      valueOf('approved and fee <= 200', variables),
      valueOf('grade in ["G1", "G2"]', variables),
      valueOf('if fee > 100 then "high" else "low"', variables),
    ];

    // then
    expect(values).toEqual([true, false, 'high']);
  });

  it('should evaluate a missing variable to null and report it as a warning', () => {
    // given
    const variables = { student: { name: 'Li' } };

    // when
    const missing = evaluate('applicant', variables);
    const missingPath = evaluate('student.address.city', variables);

    // then
    expect(missing).toEqual({
      ok: true,
      value: null,
      warnings: ["[NO_VARIABLE_FOUND] Variable 'applicant' not found"],
    });
    expect(missingPath.ok && missingPath.value).toBeNull();
  });

  it('should give a comparison with a missing variable null', () => {
    // given
    const variables = {};

    // when
    const value = valueOf('fee > 100', variables);

    // then
    expect(value).toBeNull();
  });

  it('should report a syntax error with its position instead of throwing', () => {
    // given
    const expression = 'fee +';

    // when
    const result = evaluate(expression, { fee: 1 });

    // then
    expect(result).toEqual({
      ok: false,
      error: 'syntax error at position 5: Incomplete <ArithmeticExpression>',
    });
  });

  it('should evaluate an unknown function to null, as Zeebe 8.3+ does', () => {
    // given
    const expression = 'fee rule(1)';

    // when
    const result = evaluate(expression, {});

    // then
    expect(result.ok && result.value).toBeNull();
    expect(result.ok && result.warnings).toContain("[NO_FUNCTION_FOUND] Cannot invoke 'null'");
  });

  it('should read names with spaces in backticks', () => {
    // given
    const variables = { 'fee per term': 300 };

    // when
    const value = valueOf('`fee per term` / 2', variables);

    // then
    expect(value).toBe(150);
  });

  it('should keep date-like input strings as strings until a function converts them', () => {
    // given
    const variables = { startDate: '2026-09-01' };

    // when
    const raw = valueOf('startDate', variables);
    const converted = valueOf('date(startDate) + duration("P1D")', variables);
    const property = valueOf('startDate.year', variables);

    // then
    expect(raw).toBe('2026-09-01');
    expect(converted).toBe('2026-09-02');
    expect(property).toBeNull();
  });

  it('should reach a built-in function even when a variable has its name', () => {
    // given
    const variables = { count: 7, date: '2026-09-01', items: [1, 2, 3] };

    // when
    const value = valueOf('count(items) + count + date(date).day', variables);

    // then
    expect(value).toBe(3 + 7 + 1);
  });

  it('should never throw, whatever the input', () => {
    // given
    const inputs = ['', ')', '{', '"unterminated', 'for x in', '1 +* 2', '@"nonsense"'];

    // when
    const results = inputs.map((input) => evaluate(input, {}));

    // then
    for (const result of results) {
      expect(typeof result.ok).toBe('boolean');
    }
    expect(results[0]?.ok).toBe(false);
  });
});

describe('FEEL: results as JSON', () => {
  it('should convert dates, times and date-times to ISO strings', () => {
    // given
    const expressions = [
      'date("2026-09-01")',
      'time("16:30:00")',
      'date and time("2026-09-01T16:30:00")',
      'date and time("2026-09-01T16:30:00Z")',
      'date and time("2026-09-01T16:30:00+08:00")',
      'date and time("2026-09-01T16:30:00@Asia/Shanghai")',
    ];

    // when
    const values = expressions.map((expression) => valueOf(expression));

    // then
    expect(values).toEqual([
      '2026-09-01',
      '16:30:00',
      '2026-09-01T16:30:00',
      '2026-09-01T16:30:00Z',
      '2026-09-01T16:30:00+08:00',
      '2026-09-01T16:30:00@Asia/Shanghai',
    ]);
  });

  it('should convert durations to ISO 8601 durations', () => {
    // given
    const expressions = [
      'duration("P1DT2H")',
      'duration("PT90M")',
      'duration("P14M")',
      'date("2026-03-01") - date("2026-01-01")',
      'duration("PT0S")',
      'duration("-PT1H")',
    ];

    // when
    const values = expressions.map((expression) => valueOf(expression));

    // then
    expect(values).toEqual(['P1DT2H', 'PT1H30M', 'P1Y2M', 'P59D', 'P0D', '-PT1H']);
  });

  it('should convert contexts and lists to plain JSON, nested values included', () => {
    // given
    const expression =
      '{name: "Li", terms: [{start: date("2026-09-01"), fee: 1.5 * 2}], note: null}';

    // when
    const value = valueOf(expression);

    // then
    expect(value).toEqual({ name: 'Li', terms: [{ start: '2026-09-01', fee: 3 }], note: null });
  });

  it('should not leak binary floating point into stored numbers', () => {
    // given
    const variables = { perLesson: 0.1, lessons: 3 };

    // when
    const values = [valueOf('0.1 + 0.2'), valueOf('perLesson * lessons', variables)];

    // then
    expect(values).toEqual([0.3, 0.3]);
  });

  it('should refuse results that have no JSON form', () => {
    // given
    const expressions = ['function(x) x + 1', '[1..10]', '{f: function(x) x}'];

    // when
    const results = expressions.map((expression) => evaluate(expression, {}));

    // then
    expect(results).toEqual([
      { ok: false, error: 'the result is a FEEL function, which cannot be stored as a variable' },
      { ok: false, error: 'the result is a FEEL range, which cannot be stored as a variable' },
      { ok: false, error: 'the result.f is a FEEL function, which cannot be stored as a variable' },
    ]);
  });
});

describe('FEEL: typed helpers', () => {
  it('should evaluate a condition to a boolean', () => {
    // given
    const variables = { fee: 80 };

    // when
    const result = evaluateBoolean('fee < 100', variables);

    // then
    expect(result).toEqual({ ok: true, value: true });
  });

  it('should refuse a condition whose result is not a boolean, naming both types', () => {
    // given
    const variables = { decision: 'approve' };

    // when
    const result = evaluateBoolean('=decision', variables);

    // then
    expect(result).toEqual({
      ok: false,
      error: "Expected result of the expression 'decision' to be 'BOOLEAN', but was 'STRING'",
    });
  });

  it('should explain a null condition with the warnings that caused it', () => {
    // given
    const variables = {};

    // when
    const result = evaluateBoolean('approved and fee > 0', variables);

    // then
    expect(result).toEqual({
      ok: false,
      error:
        "Expected result of the expression 'approved and fee > 0' to be 'BOOLEAN', but was 'NULL'. " +
        'The evaluation reported the following warnings:\n' +
        "[NO_VARIABLE_FOUND] Variable 'approved' not found\n" +
        "[NO_VARIABLE_FOUND] Variable 'fee' not found",
    });
  });

  it('should evaluate an input collection to a list and refuse anything else', () => {
    // given
    const variables = { students: [{ id: 's1' }, { id: 's2' }], student: { id: 's1' } };

    // when
    const list = evaluateList('students', variables);
    const notList = evaluateList('student', variables);

    // then
    expect(list).toEqual({ ok: true, value: [{ id: 's1' }, { id: 's2' }] });
    expect(notList).toEqual({
      ok: false,
      error: "Expected result of the expression 'student' to be 'ARRAY', but was 'OBJECT'",
    });
  });

  it('should evaluate string attributes, static or FEEL', () => {
    // given
    const variables = { schoolId: 'S01', fee: 3 };

    // when
    const results = [
      evaluateString('notify-parent', variables),
      evaluateString('="fee-" + schoolId', variables),
      evaluateString('=fee', variables),
    ];

    // then
    expect(results).toEqual([
      { ok: true, value: 'notify-parent' },
      { ok: true, value: 'fee-S01' },
      {
        ok: false,
        error: "Expected result of the expression 'fee' to be 'STRING', but was 'NUMBER'",
      },
    ]);
  });

  it('should evaluate number attributes, static or FEEL', () => {
    // given
    const variables = { retries: 5 };

    // when
    const results = [
      evaluateNumber('3', variables),
      evaluateNumber('=retries + 1', variables),
      evaluateNumber('three', variables),
      evaluateNumber('="3"', variables),
    ];

    // then
    expect(results).toEqual([
      { ok: true, value: 3 },
      { ok: true, value: 6 },
      { ok: false, error: "Expected a number but found 'three'" },
      {
        ok: false,
        error: "Expected result of the expression '\"3\"' to be 'NUMBER', but was 'STRING'",
      },
    ]);
  });

  it('should read candidate groups from a comma-separated value or a FEEL list of strings', () => {
    // given
    const variables = { classId: 'c-3-2', reviewers: ['wang', 'li'] };

    // when
    const results = [
      evaluateStringList('class-teachers, school-office,', variables),
      evaluateStringList('=["class-" + classId, "principal"]', variables),
      evaluateStringList('=reviewers', variables),
      evaluateStringList(undefined, variables),
    ];

    // then
    expect(results).toEqual([
      { ok: true, value: ['class-teachers', 'school-office'] },
      { ok: true, value: ['class-c-3-2', 'principal'] },
      { ok: true, value: ['wang', 'li'] },
      { ok: true, value: [] },
    ]);
  });

  it('should refuse candidate lists that are not lists of strings', () => {
    // given
    const variables = { reviewer: 'wang', ids: ['a', 1] };

    // when
    const single = evaluateStringList('=reviewer', variables);
    const mixed = evaluateStringList('=ids', variables);

    // then
    expect(single).toEqual({
      ok: false,
      error: "Expected result of the expression 'reviewer' to be 'ARRAY', but was 'STRING'",
    });
    expect(mixed).toEqual({
      ok: false,
      error:
        "Expected result of the expression 'ids' to be 'ARRAY' containing 'STRING' items, but was 'ARRAY' containing at least one non-'STRING' item",
    });
  });

  it('should evaluate date-times from static text, FEEL date-times and strings', () => {
    // given
    const variables = { deadline: '2026-09-01T18:00:00+08:00' };

    // when
    const results = [
      evaluateDateTime('2026-09-01T10:00:00Z', variables),
      evaluateDateTime('=date and time(deadline) + duration("PT1H")', variables),
      evaluateDateTime('=deadline', variables),
    ];

    // then
    expect(results.map((r) => r.ok && r.value.toISOString())).toEqual([
      '2026-09-01T10:00:00.000Z',
      '2026-09-01T11:00:00.000Z',
      '2026-09-01T10:00:00.000Z',
    ]);
  });

  it('should read a zone-less date-time only when a time zone is configured', () => {
    // given
    const attr = '=date and time(date("2026-09-01"), time("08:00:00"))';

    // when
    const without = evaluateDateTime(attr, {});
    const withZone = evaluateDateTime(attr, {}, { timeZone: 'Asia/Shanghai' });

    // then
    expect(without).toEqual({
      ok: false,
      error:
        "date-time '2026-09-01T08:00:00' has no zone; add 'Z', an offset like '+08:00' or a zone id like '[Asia/Shanghai]'",
    });
    expect(withZone.ok && withZone.value.toISOString()).toBe('2026-09-01T00:00:00.000Z');
  });

  it('should refuse a date where a date-time is expected', () => {
    // given
    const attr = '=date("2026-09-01")';

    // when
    const result = evaluateDateTime(attr, {});

    // then
    expect(result).toEqual({
      ok: false,
      error:
        "Expected result of the expression 'date(\"2026-09-01\")' to be 'DATE_TIME', but was 'DATE'",
    });
  });

  it('should evaluate durations from static text, FEEL durations and strings', () => {
    // given
    const variables = { reminder: 'P2D' };

    // when
    const results = [
      evaluateDuration('PT15M', variables),
      evaluateDuration('=duration("P1DT2H")', variables),
      evaluateDuration('=reminder', variables),
      evaluateDuration('=3', variables),
    ];

    // then
    expect(results[0]).toEqual({
      ok: true,
      value: { negative: false, years: 0, months: 0, days: 0, hours: 0, minutes: 15, seconds: 0 },
    });
    expect(results[1]?.ok && results[1].value).toMatchObject({ days: 1, hours: 2 });
    expect(results[2]?.ok && results[2].value).toMatchObject({ days: 2 });
    expect(results[3]).toEqual({
      ok: false,
      error: "Expected result of the expression '3' to be 'DURATION', but was 'NUMBER'",
    });
  });
});

describe('FEEL: Camunda built-in functions added to feelin', () => {
  it('should list what it adds or replaces', () => {
    // given
    const expected = ['now', 'today', 'is defined', 'get or else', 'assert', 'string join'];

    // when
    const added: readonly string[] = ADDED_FUNCTIONS;

    // then
    expect(added).toEqual(expect.arrayContaining(expected));
  });

  it('should read now() and today() from the injected clock in the configured zone', () => {
    // given
    const options: FeelOptions = { ...clock, timeZone: 'Asia/Shanghai' };

    // when
    const values = [
      valueOf('now()', {}, options),
      valueOf('today()', {}, options),
      valueOf('now()', {}, clock),
      valueOf('today()', {}, clock),
      valueOf('now() + duration("P1D") > now()', {}, options),
    ];

    // then
    expect(values).toEqual([
      '2026-03-02T07:30:00@Asia/Shanghai',
      '2026-03-02',
      '2026-03-01T23:30:00Z',
      '2026-03-01',
      true,
    ]);
  });

  it('should give the same now() on every re-evaluation', () => {
    // given
    const options: FeelOptions = { now: new Date('2026-09-01T00:00:00.250Z') };

    // when
    const first = evaluate('now()', {}, options);
    const second = evaluate('now()', {}, options);

    // then
    expect(first).toEqual({ ok: true, value: '2026-09-01T00:00:00.25Z' });
    expect(second).toEqual(first);
  });

  it('should refuse an unknown time zone', () => {
    // given
    const options: FeelOptions = { timeZone: 'Mars/Olympus' };

    // when
    const result = evaluate('today()', {}, options);

    // then
    expect(result).toEqual({ ok: false, error: "unknown time zone 'Mars/Olympus'" });
  });

  it('should check for defined values and fall back to defaults', () => {
    // given
    const variables = { note: null, fee: 0 };

    // when
    const values = [
      valueOf('is defined(fee)', variables),
      valueOf('is defined(note)', variables),
      valueOf('is defined(missing)', variables),
      valueOf('is defined(missing.deeper)', variables),
      valueOf('get or else(note, "none")', variables),
      valueOf('get or else(fee, 100)', variables),
    ];

    // then
    expect(values).toEqual([true, false, false, false, 'none', 0]);
  });

  it('should pass a value through assert or fail the evaluation', () => {
    // given
    const variables = { fee: 250 };

    // when
    const passed = evaluate('assert(fee, fee > 0)', variables);
    const failed = evaluate('assert(fee, fee <= 200)', variables);
    const withCause = evaluate('assert(fee, fee <= 200, "fee above cap")', variables);

    // then
    expect(passed).toEqual({ ok: true, value: 250 });
    expect(failed).toEqual({
      ok: false,
      error: 'assertion failed: The condition is not fulfilled',
    });
    expect(withCause).toEqual({ ok: false, error: 'assertion failed: fee above cap' });
  });

  it('should provide the Camunda string functions', () => {
    // given
    const variables = { phone: ' 138-1234-5678 ', name: '王小明' };

    // when
    const values = [
      valueOf('trim(phone)', variables),
      valueOf('extract(phone, "[0-9]+")', variables),
      valueOf('is blank("  ")', variables),
      valueOf('is blank(name)', variables),
      valueOf('to base64("Kehou")', variables),
      valueOf('string join(["a", "b", "c"])', variables),
      valueOf('string join(["a", null, "c"], ", ")', variables),
      valueOf('string join(["a", "b"], ", ", "[", "]")', variables),
      valueOf('string join(["a", 1], ", ")', variables),
    ];

    // then
    expect(values).toEqual([
      '138-1234-5678',
      ['138', '1234', '5678'],
      true,
      false,
      'S2Vob3U=',
      'abc',
      'a, c',
      '[a, b]',
      null,
    ]);
  });

  it('should take uuid() and random number() from injected sources', () => {
    // given
    const options: FeelOptions = { uuid: () => 'fixed-uuid', random: () => 0.25 };

    // when
    const values = [valueOf('uuid()', {}, options), valueOf('random number()', {}, options)];
    const generated = valueOf('uuid()');

    // then
    expect(values).toEqual(['fixed-uuid', 0.25]);
    expect(generated).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('should provide the Camunda list functions', () => {
    // given
    const variables = { ids: ['a', 'b', 'a', 'c', 'b'] };

    // when
    const values = [
      valueOf('is empty([])'),
      valueOf('is empty(ids)', variables),
      valueOf('partition([1, 2, 3, 4, 5], 2)'),
      valueOf('duplicate values(ids)', variables),
    ];

    // then
    expect(values).toEqual([true, false, [[1, 2], [3, 4], [5]], ['a', 'b']]);
  });

  it('should compare dates and contexts by value in list contains and index of', () => {
    // given
    const variables = { holidays: ['2026-10-01', '2026-10-02'], day: '2026-10-02' };

    // when
    const values = [
      valueOf('list contains(for h in holidays return date(h), date(day))', variables),
      valueOf('list contains([{a: 1}], {a: 1})'),
      valueOf('list contains([1, 2], 3)'),
      valueOf('index of([date("2026-01-01"), 1, date("2026-01-01")], date("2026-01-01"))'),
    ];

    // then
    expect(values).toEqual([true, true, false, [1, 3]]);
  });

  it('should get values by key or by path', () => {
    // given
    const variables = { application: { student: { name: 'Li' } } };

    // when
    const values = [
      valueOf('get value(application, "student")', variables),
      valueOf('get value(application, ["student", "name"])', variables),
      valueOf('get value(application, ["student", "age"])', variables),
    ];

    // then
    expect(values).toEqual([{ name: 'Li' }, 'Li', null]);
  });

  it('should give the last day of a month and whole months between dates', () => {
    // given
    const expressions = [
      'last day of month(date("2024-02-10"))',
      'last day of month(date and time("2026-04-15T10:00:00Z"))',
      'years and months duration(date("2026-01-31"), date("2026-03-01"))',
      'years and months duration(date("2011-12-22"), date("2013-08-24"))',
      'years and months duration(date("2026-03-01"), date("2026-01-01"))',
    ];

    // when
    const values = expressions.map((expression) => valueOf(expression));

    // then
    expect(values).toEqual(['2024-02-29', '2026-04-30', 'P1M', 'P1Y8M', '-P2M']);
  });

  it('should convert from and to JSON text', () => {
    // given
    const variables = { payload: '{"amount": 120, "items": ["a"]}' };

    // when
    const values = [
      valueOf('from json(payload).amount', variables),
      valueOf('from json("not json")'),
      valueOf('to json({paid: true, on: date("2026-09-01")})'),
    ];

    // then
    expect(values).toEqual([120, null, '{"paid":true,"on":"2026-09-01"}']);
  });

  it.each([
    ['upper case("abc")', 'ABC'],
    ['contains("after-school", "school")', true],
    ['starts with("S01-G3", "S01")', true],
    ['substring("foobar", 3, 2)', 'ob'],
    ['split("a,b", ",")', ['a', 'b']],
    ['sum([1, 2, 3])', 6],
    ['count([1, 2])', 2],
    ['max([1, 5, 3])', 5],
    ['distinct values([1, 1, 2])', [1, 2]],
    ['flatten([[1, [2]], 3])', [1, 2, 3]],
    ['sort([3, 1, 2], function(x, y) x < y)', [1, 2, 3]],
    ['round half up(2.5, 0)', 3],
    ['decimal(1 / 3, 2)', 0.33],
    ['modulo(7, 3)', 1],
    ['day of week(date("2026-09-01"))', 'Tuesday'],
    ['context put({a: 1}, "b", 2)', { a: 1, b: 2 }],
    ['context merge([{a: 1}, {b: 2}])', { a: 1, b: 2 }],
    ['get entries({a: 1})', [{ key: 'a', value: 1 }]],
    ['string(12)', '12'],
    ['number("12.5")', 12.5],
  ])("should keep feelin's own built-in: %s", (expression, expected) => {
    // given
    const variables = {};

    // when
    const value = valueOf(expression, variables);

    // then
    expect(value).toEqual(expected);
  });
});

describe('objects of another realm', () => {
  it('should treat a plain object made in another realm (vm context) as a FEEL context', () => {
    // given an object whose Object.prototype is another realm's, as structuredClone under jest makes
    const foreign: unknown = vm.runInNewContext('({ a: 1, b: { c: 2 } })');

    // when / then
    expect(isPlainObject(foreign)).toBe(true);
    expect(isPlainObject(new Date())).toBe(false);
    expect(isPlainObject([1])).toBe(false);
  });
});
