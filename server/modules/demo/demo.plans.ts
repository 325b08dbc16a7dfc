import type { SchoolDoc } from '../org/org.model';
import type { PlanDoc } from '../enrolment/enrolment.model';

/**
 * A filed 2026 autumn-term plan (一校一案) for each demo school: three sessions after a 16:30
 * dismissal that end at 18:30 (TIME-END-*, within TIME-2H), the city's 80-yuan standard and a
 * midday service the parent committee consented to charge for, so parents can apply at once.
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
