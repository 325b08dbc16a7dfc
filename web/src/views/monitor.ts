import { h, replace } from '../dom';
import { t } from '../i18n';
import type { View } from '../router';

/** The list of process instances the person may read. */
export const monitorListView: View = (main) => {
  replace(main, h('h1', {}, t('monitor.title')));
};

/** One instance on its diagram. */
export const monitorInstanceView: View = (main) => {
  replace(main, h('h1', {}, t('monitor.title')));
};
