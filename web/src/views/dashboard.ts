import { h, replace } from '../dom';
import { t } from '../i18n';
import type { View } from '../router';

/** The bureau dashboard. */
export const dashboardView: View = (main) => {
  replace(main, h('h1', {}, t('dashboard.title')));
};
