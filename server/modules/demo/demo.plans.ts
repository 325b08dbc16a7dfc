import type { SchoolDoc } from '../org/org.model';
import type { PlanDoc } from '../enrolment/enrolment.model';

/**
 * The demo school whose service is seen in motion (demo.life.ts): applications in every state,
 * bills, an incident, a survey. Not yh1, which the browser tests walk through from scratch.
 */
export const DEMO_LIFE_SCHOOL = 'school-yh2';

/** The one-place session of DEMO_LIFE_SCHOOL's plan. */
export const SCIENCE_CLUB = 'S4';

/**
 * A filed 2026 autumn-term plan (一校一案) for each demo school: three sessions after a 16:30
 * dismissal that end at 18:30 (TIME-END-*, within TIME-2H), the city's 80-yuan standard and a
 * midday service the parent committee consented to charge for, so parents can apply at once.
 * The school the demo's enrolments run at (DEMO_LIFE_SCHOOL) also offers a science club of one
 * place, so its waiting list shows (ELIG-PRIORITY).
 */
export function demoPlans(schools: readonly SchoolDoc[]): PlanDoc[] {
  return schools.map((s) => ({
    _id: `plan-${s._id}-2026-autumn`,
    cityId: s.cityId,
    countyId: s.countyId,
    schoolId: s._id,
    term: '2026-autumn',
    termStart: '2026-09-01',
    termEnd: '2027-01-22',
    status: 'filed',
    sessions: [
      session('S1', '作业辅导', 'homework', '各班教室', '班主任', 45),
      session('S2', '阅读与书法', 'reading', '图书室、书法教室', '语文教研组长', 30),
      session('S3', '体育与艺术社团', 'sports', '操场、音乐教室', '体艺组长', 40),
      ...(s._id === DEMO_LIFE_SCHOOL
        ? [session(SCIENCE_CLUB, '科学探究小组', 'science', '科学实验室', '科学教研组长', 1)]
        : []),
    ],
    feeStandardFen: 8000,
    middayMinutes: 60,
    middayFeeConsent: true,
    safetyMeasures: '点名考勤，专人值守，放学按名单交接给家长',
    emergencyPlan: '突发疾病、意外伤害、极端天气应急预案，值班校领导负责',
  }));
}

function session(
  id: string,
  name: string,
  content: string,
  venue: string,
  personInCharge: string,
  capacity: number,
): PlanDoc['sessions'][number] {
  return {
    id,
    name,
    weekdays: [1, 2, 3, 4, 5],
    dismissal: '16:30',
    start: '16:40',
    end: '18:30',
    venue,
    personInCharge,
    content,
    capacity,
  };
}
