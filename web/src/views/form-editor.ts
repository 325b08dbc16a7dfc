import { h, replace } from '../dom';
import { t } from '../i18n';
import type { View } from '../router';

/** The forms the person may tailor. */
export const formListView: View = (main) => {
  replace(main, h('h1', {}, t('forms.title')));
};

/** The form editor on one form and place. */
export const formEditorView: View = (main) => {
  replace(main, h('h1', {}, t('forms.title')));
};
