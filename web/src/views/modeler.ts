import { h, replace } from '../dom';
import { t } from '../i18n';
import type { View } from '../router';

/** The processes the person may tailor. */
export const modelerListView: View = (main) => {
  replace(main, h('h1', {}, t('modeler.title')));
};

/** The modeler on one process and place. */
export const modelerView: View = (main) => {
  replace(main, h('h1', {}, t('modeler.title')));
};
