import { type FormComponent, validateSubmission } from '../../server/modules/forms/form-validation';

/** A schema of the given components. */
function form(...components: FormComponent[]) {
  return { id: 'test-form', components };
}

describe('form-js validation of task completions', () => {
  it('should check lengths, email, number limits and FEEL limits', () => {
    // given
    const schema = form(
      { type: 'textfield', key: 'name', validate: { minLength: 2, maxLength: 4 } },
      { type: 'textfield', key: 'email', validate: { validationType: 'email' } },
      { type: 'number', key: 'fee', validate: { max: 300 } },
      { type: 'number', key: 'places', validate: { max: '=capacity' } },
      { type: 'textarea', key: 'note', validate: { maxLength: 3 } },
    );

    // when
    const { errors } = validateSubmission(
      schema,
      { name: '张', email: 'not-mail', fee: 301, places: 41, note: '太长的说明' },
      { capacity: 40 },
    );

    // then
    expect(errors).toEqual([
      { path: 'name', message: '至少 2 个字符' },
      { path: 'email', message: '请输入有效的电子邮箱地址' },
      { path: 'fee', message: '不能大于 300' },
      { path: 'places', message: '不能大于 40' },
      { path: 'note', message: '最多 3 个字符' },
    ]);
  });

  it('should check value types and the options of radio, checklist and taglist', () => {
    // given
    const options = [{ value: 'art' }, { value: 'sport' }];
    const schema = form(
      { type: 'radio', key: 'kind', values: options },
      { type: 'checklist', key: 'clubs', values: options },
      { type: 'taglist', key: 'tags', values: options },
      { type: 'checkbox', key: 'agreed' },
      { type: 'datetime', key: 'day', subtype: 'date' },
      { type: 'datetime', key: 'at', subtype: 'time' },
      { type: 'number', key: 'count' },
    );

    // when
    const { errors } = validateSubmission(schema, {
      kind: 'music',
      clubs: ['art', 'chess'],
      tags: 'art',
      agreed: 'yes',
      day: '2026/09/01',
      at: 'noon',
      count: 'many',
    });

    // then
    expect(errors.map((e) => e.path)).toEqual([
      'kind',
      'clubs',
      'tags',
      'agreed',
      'day',
      'at',
      'count',
    ]);
    expect(errors[0]!.message).toBe('所选值不在可选范围内');
  });

  it('should take options from a valuesKey variable', () => {
    // given
    const schema = form({ type: 'select', key: 'slot', valuesKey: 'slots' });

    // when
    const ok = validateSubmission(schema, { slot: 'a' }, { slots: [{ value: 'a' }] });
    const bad = validateSubmission(schema, { slot: 'z' }, { slots: [{ value: 'a' }] });

    // then
    expect(ok.errors).toEqual([]);
    expect(bad.errors).toEqual([{ path: 'slot', message: '所选值不在可选范围内' }]);
  });

  it('should not require or store hidden, read-only and undeclared fields', () => {
    // given
    const schema = form(
      { type: 'checkbox', key: 'needsBus' },
      {
        type: 'textfield',
        key: 'busStop',
        validate: { required: true },
        conditional: { hide: '=needsBus != true' },
      },
      { type: 'textfield', key: 'studentName', readonly: true },
    );

    // when
    const { errors, data } = validateSubmission(schema, {
      needsBus: false,
      busStop: '东门',
      studentName: '改过的名字',
      feeWaived: true,
    });

    // then
    expect(errors).toEqual([]);
    expect(data).toEqual({ needsBus: false });
  });

  it('should validate groups with a path and dynamic lists item by item', () => {
    // given
    const schema = form(
      {
        type: 'group',
        path: 'guardian',
        components: [
          {
            type: 'textfield',
            key: 'phone',
            validate: { required: true, validationType: 'phone' },
          },
        ],
      },
      {
        type: 'dynamiclist',
        path: 'pickups',
        components: [{ type: 'textfield', key: 'name', validate: { required: true } }],
      },
      { type: 'group', components: [{ type: 'textfield', key: 'flat' }] },
    );

    // when
    const bad = validateSubmission(schema, {
      guardian: { phone: '123' },
      pickups: [{ name: '李梅' }, {}],
    });
    const good = validateSubmission(schema, {
      guardian: { phone: '+86 138-0013-8000' },
      pickups: [{ name: '李梅' }],
      flat: 'x',
    });

    // then
    expect(bad.errors).toEqual([
      { path: 'guardian.phone', message: '请输入有效的手机号' },
      { path: 'pickups.1.name', message: '此项为必填项' },
    ]);
    expect(good.errors).toEqual([]);
    expect(good.data).toEqual({
      guardian: { phone: '+86 138-0013-8000' },
      pickups: [{ name: '李梅' }],
      flat: 'x',
    });
  });
});
