import { checkActivities, checkActivity, isAgency } from '../../../server/rules';
import { buildActivity } from './builders';

describe('CONTENT-ALLOWED', () => {
  it.each([
    ['作业辅导', 'homework'],
    ['自主阅读', 'reading'],
    ['足球', 'sports'],
    ['合唱', 'arts'],
    ['科学小实验', 'science'],
    ['书法社团', 'club'],
    ['校园种植', 'labour'],
    ['观看《小兵张嘎》', 'film'],
    ['学习困难学生个别辅导', 'individual-help'],
  ])('should allow %s (%s)', (title, category) => {
    expect(checkActivity(buildActivity({ title, description: undefined, category }))).toEqual({
      ok: true,
      violations: [],
      warnings: [],
    });
  });

  it('should refuse a category the policy does not name', () => {
    // given / when
    const d = checkActivity(buildActivity({ title: '直播带货', category: 'commerce' }));

    // then
    expect(d.violations).toEqual([
      {
        rule: 'CONTENT-ALLOWED',
        clause: '三(三)',
        message: '“直播带货”的类别“commerce”不在允许的服务内容之列',
      },
    ]);
  });
});

describe('CONTENT-NO-TEACHING', () => {
  it.each(['group-teaching', 'remedial', 'exam'])('should refuse the category %s', (category) => {
    // given / when
    const d = checkActivity(buildActivity({ title: '数学', description: undefined, category }));

    // then
    expect(d.violations.map((v) => v.rule)).toEqual(['CONTENT-NO-TEACHING']);
  });

  it.each([
    ['数学补课', undefined, '补课'],
    ['语文', '提前讲授新课内容', '新课'],
    ['周五单元考试', undefined, '考试'],
    ['英语', '全班集体教学', '集体教学'],
    ['数学培优', undefined, '培优'],
  ])('should find teaching in “%s” / %s though declared homework', (title, description, word) => {
    // given / when
    const d = checkActivity(buildActivity({ title, description, category: 'homework' }));

    // then
    expect(d.violations).toEqual([
      {
        rule: 'CONTENT-NO-TEACHING',
        clause: '三(三)',
        message: `“${title}”含有“${word}”，不得借课后服务名义集体教学、补课或考试`,
      },
    ]);
  });

  it('should not count a word after a negation or inside 新课标', () => {
    // given
    const activity = buildActivity({
      title: '作业辅导',
      description: '只辅导当天作业，不补课、不讲新课，严禁考试；阅读材料依据新课标选取',
    });

    // when / then
    expect(checkActivity(activity).ok).toBe(true);
  });
});

describe('CONTENT-NO-AGENCY', () => {
  it('should refuse an interest class run by an outside agency', () => {
    // given
    const activity = buildActivity({
      title: '机器人兴趣班',
      category: 'science',
      provider: { kind: 'agency', name: '某某教育' },
    });

    // when
    const d = checkActivity(activity);

    // then
    expect(d.violations).toEqual([
      {
        rule: 'CONTENT-NO-AGENCY',
        clause: '四(四)',
        message: '“机器人兴趣班”是社会机构举办的“兴趣班”，不得进校开展',
      },
    ]);
  });

  it('should treat a company declared as a professional as an agency', () => {
    // given
    const provider = { kind: 'external-professional' as const, name: '漯河某某教育科技有限公司' };

    // when / then
    expect(isAgency(provider)).toBe(true);
    expect(isAgency({ kind: 'external-professional', name: '张教练' })).toBe(false);
    expect(isAgency({ kind: 'school' })).toBe(false);
  });

  it("should allow the school's own interest class and a hired coach", () => {
    // given
    const own = buildActivity({ title: '美术兴趣班', category: 'arts' });
    const coach = buildActivity({
      title: '篮球特色班',
      category: 'sports',
      provider: { kind: 'external-professional', name: '张教练' },
    });

    // when / then
    expect(checkActivities([own, coach]).ok).toBe(true);
  });
});

describe('CONTENT-NO-BURDEN', () => {
  it('should warn, not refuse, when an activity gives homework of its own', () => {
    // given
    const flagged = buildActivity({ title: '数学思维', category: 'club', assignsHomework: true });
    const worded = buildActivity({
      title: '英语角',
      category: 'club',
      description: '每次课后布置作业一页',
    });

    // when
    const decisions = [flagged, worded].map(checkActivity);

    // then
    for (const d of decisions) {
      expect(d.ok).toBe(true);
      expect(d.warnings.map((w) => w.rule)).toEqual(['CONTENT-NO-BURDEN']);
    }
    expect(decisions[0]!.warnings[0]!.message).toBe(
      '“数学思维”可能增加学生课业负担（另行布置作业）',
    );
  });

  it('should not warn about supervising the homework students already have', () => {
    expect(checkActivity(buildActivity()).warnings).toEqual([]);
  });
});
