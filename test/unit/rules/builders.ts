/**
 * Data builders for the rule book's unit tests: a school calendar for the 2026 autumn term
 * and a complete, valid 一校一案 plan; each takes overrides.
 */
import type { Activity, SchoolCalendar, SchoolPlan, StaffMember } from '../../../server/rules';

/** The autumn term 2026 (2026-09-01 … 2027-01-22) of a school. */
export function buildCalendar(overrides: Partial<SchoolCalendar> = {}): SchoolCalendar {
  return {
    schoolId: 'yh1',
    terms: [{ id: '2026-autumn', name: '2026 年秋季学期', from: '2026-09-01', to: '2027-01-22' }],
    ...overrides,
  };
}

/** An in-service teacher with a clear record. */
export function buildStaff(overrides: Partial<StaffMember> = {}): StaffMember {
  return {
    staffId: 't1',
    name: '王老师',
    employment: 'in-service',
    recordCheck: 'clear',
    ...overrides,
  };
}

/** Supervised homework run by the school. */
export function buildActivity(overrides: Partial<Activity> = {}): Activity {
  return {
    title: '作业辅导',
    description: '组织学生完成当天书面作业，教师答疑',
    category: 'homework',
    provider: { kind: 'school' },
    ...overrides,
  };
}

/** A complete plan for the autumn term 2026 that passes every check under city defaults. */
export function buildPlan(overrides: Partial<SchoolPlan> = {}): SchoolPlan {
  return {
    schoolId: 'yh1',
    termId: '2026-autumn',
    method: '按年级分班，家长自愿报名，班级初审、学校核准后统筹安排',
    sessions: [
      {
        id: 'g3',
        name: '三年级课后服务',
        kind: 'after-school',
        weekdays: [1, 2, 3, 4, 5],
        timetable: {
          summer: { dismissalTime: '16:40', startTime: '16:50', endTime: '18:30' },
          winter: { dismissalTime: '16:10', startTime: '16:20', endTime: '18:00' },
        },
        venue: '三年级（2）班教室',
        personInChargeId: 't1',
        staffIds: ['t1', 't2'],
        capacity: 40,
        activities: [buildActivity(), buildActivity({ title: '阅读', category: 'reading' })],
      },
    ],
    fee: { monthlyStandardFen: 8000 },
    staff: [buildStaff(), buildStaff({ staffId: 't2', name: '李老师' })],
    safetyMeasures: '校门专人值守，逐一交接，放学清点人数',
    emergencyPlan: '突发事件报告值班领导，十分钟内通知家长',
    ...overrides,
  };
}
