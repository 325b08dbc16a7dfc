/** The city's process templates (processes/*.bpmn), with the names people know them by. */
export const PROCESS_NAMES: Record<string, string> = {
  'after-school-enrolment': '课后服务报名',
  'insurance-claim': '意外伤害保险理赔',
  'monthly-billing': '课后服务月度收费',
  'safety-incident': '课后服务安全事故处置',
  'school-service-plan': '学校课后服务方案（一校一案）',
  'staff-registration': '课后服务教师信息登记',
};

/** The name of a process id, or the id itself. */
export function processName(id: string): string {
  return PROCESS_NAMES[id] ?? id;
}
