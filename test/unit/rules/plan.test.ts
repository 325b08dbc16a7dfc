import {
  checkPlan,
  checkPlanFiling,
  citedRules,
  resolveParameters,
  schoolPlanSchema,
  type PlanSession,
  type SchoolPlan,
} from '../../../server/rules';
import { buildActivity, buildCalendar, buildPlan, buildStaff } from './builders';

const city = resolveParameters(undefined);
const calendar = buildCalendar();
const consent = { reference: '家委会 2026-09 会议纪要', recordedAt: '2026-09-05T10:00:00+08:00' };
const signOff = {
  userId: 'yh1.principal',
  role: 'principal',
  signedAt: '2026-09-06T09:00:00+08:00',
};

/** The plan's only session with some fields replaced. */
function withSession(overrides: Partial<PlanSession>): SchoolPlan {
  const plan = buildPlan();
  return { ...plan, sessions: [{ ...plan.sessions[0]!, ...overrides }] };
}

describe('checkPlan (PLAN-ONE-SCHOOL)', () => {
  it('should pass a complete plan that keeps every rule', () => {
    // given
    const plan = schoolPlanSchema.parse(buildPlan());

    // when
    const d = checkPlan(plan, city, calendar);

    // then
    expect(d).toEqual({ ok: true, violations: [], warnings: [] });
  });

  it('should name each missing part of the plan', () => {
    // given
    const plan = buildPlan({
      method: ' ',
      sessions: [],
      fee: undefined,
      staff: [],
      safetyMeasures: undefined,
      emergencyPlan: undefined,
    });

    // when
    const d = checkPlan(plan, city, calendar);

    // then
    expect(d.violations.map((v) => `${v.rule} ${v.message}`)).toEqual([
      'PLAN-ONE-SCHOOL 方案缺少服务时段安排',
      'PLAN-ONE-SCHOOL 方案缺少服务方式',
      'PLAN-ONE-SCHOOL 方案缺少收费标准',
      'PLAN-ONE-SCHOOL 方案缺少安全措施',
      'PLAN-ONE-SCHOOL 方案缺少工作人员名单',
      'SAFE-ATTEND 方案缺少安全应急预案',
    ]);
  });

  it('should refuse a term the school calendar does not have', () => {
    expect(citedRules(checkPlan(buildPlan({ termId: '2027-spring' }), city, calendar))).toEqual([
      'PLAN-ONE-SCHOOL',
    ]);
  });

  it('should need times for both seasons of an autumn term, and only winter in a spring term', () => {
    // given: a winter-only timetable
    const winterOnly = withSession({
      timetable: { winter: { dismissalTime: '16:10', startTime: '16:20', endTime: '18:00' } },
    });
    const spring = buildCalendar({
      terms: [{ id: '2026-autumn', name: '寒假前', from: '2027-01-04', to: '2027-01-22' }],
    });

    // when
    const autumn = checkPlan(winterOnly, city, calendar);
    const january = checkPlan(winterOnly, city, spring);

    // then
    expect(autumn.violations.map((v) => v.message)).toEqual(['“三年级课后服务”没有夏季作息时间']);
    expect(january.ok).toBe(true);
  });

  it('should check each timetable against the time rules', () => {
    // given: the winter timetable ends 17:40 and the summer one runs 2½ hours unapproved
    const plan = withSession({
      timetable: {
        summer: { dismissalTime: '16:00', startTime: '16:10', endTime: '18:30' },
        winter: { dismissalTime: '16:10', startTime: '16:20', endTime: '17:40' },
      },
    });

    // when
    const d = checkPlan(plan, city, calendar);

    // then
    expect(citedRules(d)).toEqual(['TIME-2H', 'TIME-END-WINTER']);
  });

  it('should refuse weekend sessions (TIME-SCHOOLDAY)', () => {
    expect(citedRules(checkPlan(withSession({ weekdays: [6] }), city, calendar))).toEqual([
      'TIME-SCHOOLDAY',
    ]);
  });

  it('should check content, venue and people of each session', () => {
    // given
    const plan = withSession({
      activities: [buildActivity({ title: '数学补课' })],
      venue: undefined,
      personInChargeId: 'nobody',
    });

    // when
    const d = checkPlan(plan, city, calendar);

    // then
    expect(citedRules(d)).toEqual(['SAFE-STAFF', 'CONTENT-NO-TEACHING', 'VENUE-RECORDS']);
  });

  it('should refuse a session without content', () => {
    expect(checkPlan(withSession({ activities: [] }), city, calendar).violations).toEqual([
      { rule: 'PLAN-ONE-SCHOOL', clause: '三(五)', message: '“三年级课后服务”没有服务内容' },
    ]);
  });

  it('should refuse a fee standard above the cap and staff with a bad record', () => {
    // given
    const plan = buildPlan({
      fee: { monthlyStandardFen: 9000 },
      staff: [buildStaff(), buildStaff({ staffId: 't2', name: '李某', recordCheck: 'bad' })],
    });

    // when
    const d = checkPlan(plan, city, calendar);

    // then
    expect(citedRules(d)).toEqual(['FEE-CAP', 'SAFE-STAFF']);
  });

  it('should only warn while a midday fee awaits the committee, then filing needs it', () => {
    // given
    const draft = buildPlan({
      fee: { monthlyStandardFen: 8000, extras: [{ kind: 'midday', minutesPerDay: 60 }] },
      committeeConsent: consent,
      principalSignOff: signOff,
    });

    // when
    const checked = checkPlan(draft, city, calendar);
    const filing = checkPlanFiling(draft, city, calendar);

    // then
    expect(checked.ok).toBe(true);
    expect(checked.warnings.map((w) => w.message)).toEqual(['午间服务收费尚待家长委员会同意']);
    expect(filing.ok).toBe(false);
    expect(filing.violations.map((v) => v.rule)).toEqual(['FEE-PRORATE']);
    expect(filing.warnings).toEqual([]);
  });
});

describe('checkPlanFiling (FLOW-COMMITTEE, RESP-PRINCIPAL)', () => {
  it('should file a checked plan with the committee’s consent and the principal’s sign-off', () => {
    // given
    const plan = buildPlan({ committeeConsent: consent, principalSignOff: signOff });

    // when / then
    expect(checkPlanFiling(plan, city, calendar).ok).toBe(true);
  });

  it('should refuse filing without consent or sign-off', () => {
    // given / when
    const d = checkPlanFiling(buildPlan(), city, calendar);

    // then
    expect(d.violations).toEqual([
      { rule: 'FLOW-COMMITTEE', clause: '三(五)', message: '方案尚未征得家长委员会同意' },
      { rule: 'RESP-PRINCIPAL', clause: '四(一)', message: '方案尚未经校长签发' },
    ]);
  });

  it('should refuse a sign-off by anyone but the principal', () => {
    // given
    const plan = buildPlan({
      committeeConsent: consent,
      principalSignOff: { ...signOff, userId: 'yh1.admin', role: 'schoolAdmin' },
    });

    // when / then
    expect(checkPlanFiling(plan, city, calendar).violations.map((v) => v.message)).toEqual([
      '方案须由校长签发',
    ]);
  });

  it('should still refuse a plan that fails the checks', () => {
    // given
    const plan = buildPlan({
      committeeConsent: consent,
      principalSignOff: signOff,
      fee: { monthlyStandardFen: 8500 },
    });

    // when / then
    expect(citedRules(checkPlanFiling(plan, city, calendar))).toEqual(['FEE-CAP']);
  });
});
