import type { TextKey } from '../i18n';
import { route } from '../router';
import type { Me } from '../session';
import {
  ATTENDANCE_ROLES,
  holdsAny,
  SERVICE_STAFF_READERS,
  SETTINGS_ROLES,
  STAFF_ADMIN_ROLES,
} from './daily-common';

const SURVEY_ROLES = ['parent', 'committee', 'schoolAdmin', 'principal'];

/** The school's daily screens' links in the navigation, by the person's roles. */
export function dailyLinks(me: Me): [string, TextKey, boolean][] {
  return [
    ['/attendance', 'nav.attendance', holdsAny(me, [...ATTENDANCE_ROLES, 'parent'])],
    ['/surveys', 'nav.surveys', holdsAny(me, SURVEY_ROLES)],
    ['/staff', 'nav.staff', holdsAny(me, STAFF_ADMIN_ROLES)],
    ['/service-staff', 'nav.service_staff', holdsAny(me, SERVICE_STAFF_READERS)],
    ['/settings', 'nav.settings', holdsAny(me, SETTINGS_ROLES)],
  ];
}

/**
 * Declares the routes of attendance and hand-over, incident reports, surveys, staff, the
 * registered service staff and the integration settings; each view is loaded when first opened.
 */
export function registerDailyRoutes(): void {
  route('/attendance', async (m, ctx) => (await import('./attendance')).attendanceView(m, ctx));
  route('/incidents/new', async (m, ctx) =>
    (await import('./attendance')).incidentReportView(m, ctx),
  );
  route('/surveys', async (m, ctx) => (await import('./surveys')).surveysView(m, ctx));
  route('/surveys/new', async (m, ctx) => (await import('./surveys')).surveyNewView(m, ctx));
  route('/surveys/:id/answer', async (m, ctx) =>
    (await import('./surveys')).surveyAnswerView(m, ctx),
  );
  route('/surveys/:id/results', async (m, ctx) =>
    (await import('./surveys')).surveyResultsView(m, ctx),
  );
  route('/staff', async (m, ctx) => (await import('./staff')).staffView(m, ctx));
  route('/service-staff', async (m, ctx) =>
    (await import('./service-staff')).serviceStaffView(m, ctx),
  );
  route('/settings', async (m, ctx) => (await import('./settings')).settingsView(m, ctx));
}
