/**
 * zh-CN for the form-js editor's own texts (palette, properties panel groups and fields). The
 * editor has no translation service, so its text nodes and placeholders are rewritten as they
 * appear; preact keeps the nodes, so the next render does not undo it.
 */
const ZH: Record<string, string> = {
  Components: '组件',
  'Search components': '搜索组件',
  Input: '输入',
  Selection: '选择',
  Presentation: '展示',
  Containers: '容器',
  Action: '操作',
  'Text field': '文本框',
  'Text area': '多行文本',
  Number: '数字',
  'Date time': '日期时间',
  Expression: '表达式',
  'File picker': '文件',
  Checkbox: '复选框',
  'Checkbox group': '复选组',
  'Radio group': '单选组',
  Select: '下拉选择',
  'Tag list': '标签列表',
  'Text view': '文字',
  'Image view': '图片',
  Table: '表格',
  'HTML view': 'HTML',
  'Document preview': '文档预览',
  Spacer: '间距',
  Separator: '分隔线',
  Group: '分组',
  'Dynamic list': '动态列表',
  Button: '按钮',
  General: '常规',
  Condition: '条件',
  Layout: '布局',
  Validation: '校验',
  Appearance: '外观',
  Serialization: '序列化',
  Constraints: '约束',
  'Custom properties': '自定义属性',
  'Options source': '选项来源',
  'Static options': '固定选项',
  'Field label': '字段标签',
  'Field description': '字段说明',
  Key: '键',
  'Binds to a form variable': '绑定到表单变量',
  'Default value': '默认值',
  Disabled: '禁用',
  'Read only': '只读',
  Required: '必填',
  'Minimum length': '最短长度',
  'Maximum length': '最长长度',
  Columns: '列宽',
  'Hide if': '隐藏条件',
  Text: '文字',
  Type: '类型',
  Label: '标签',
  Value: '值',
  ID: '标识',
};

/** Rewrites the editor's English texts under `container`; returns the observer to disconnect. */
export function translateFormEditor(container: HTMLElement): MutationObserver {
  const fix = () => {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const zh = ZH[n.nodeValue?.trim() ?? ''];
      // the form itself is the author's: only the editor's chrome is translated
      if (zh && !n.parentElement?.closest('.fjs-form-container, .fjs-element')) n.nodeValue = zh;
    }
    container.querySelectorAll<HTMLInputElement>('input[placeholder]').forEach((el) => {
      const zh = ZH[el.placeholder];
      if (zh) el.placeholder = zh;
    });
  };
  fix();
  const observer = new MutationObserver(fix);
  observer.observe(container, { subtree: true, childList: true, characterData: true });
  return observer;
}
