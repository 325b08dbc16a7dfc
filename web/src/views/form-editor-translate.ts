import { FORM_JS_WORDS, isFormJsChrome } from '../form-view';
import { listCount, PROPERTIES_PANEL_WORDS, translateChrome } from '../translate-chrome';

/**
 * zh-CN for the form-js editor's own texts (palette, canvas controls, properties panel). The
 * editor has no translation service, so its text nodes, titles, labels and placeholders are
 * rewritten as they appear (translateChrome); the form on the canvas shows what the author wrote,
 * and only the form-js viewer's own controls there are translated, as in the form view.
 */

/** The kinds of field, as the palette, the panel's header and the remove buttons name them. */
const FIELD_TYPES: Record<string, string> = {
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
  'HTML view': 'HTML 内容',
  'Document preview': '文档预览',
  Spacer: '间距',
  Separator: '分隔线',
  Group: '分组',
  'Dynamic list': '动态列表',
  iFrame: '内嵌网页',
  Button: '按钮',
  Form: '表单',
};

const ZH: Record<string, string> = {
  ...FIELD_TYPES,
  ...PROPERTIES_PANEL_WORDS,
  // palette and canvas
  Components: '组件',
  'Search components': '搜索组件',
  'Clear content': '清除',
  'No components found.': '没有找到组件。',
  Input: '输入',
  Selection: '选择',
  Presentation: '展示',
  Containers: '容器',
  Action: '操作',
  'Drag and drop components here.': '把组件拖到这里。',
  'Drag and drop components here to start designing.': '把组件拖到这里，开始设计表单。',
  'Build your form': '设计表单',
  'Use the preview window to test your form.': '可在预览中试填表单。',
  'Remove form field': '删除字段',
  Repeatable: '可重复',
  'Text view is empty': '文字为空',
  'Text view is populated by an expression': '文字由表达式生成',
  'Text view is templated': '文字含模板',
  'Html view is empty': 'HTML 内容为空',
  'Html view is populated by an expression': 'HTML 内容由表达式生成',
  'Html view is templated': 'HTML 内容含模板',
  'Expression is empty': '表达式为空',
  // the properties panel: groups
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
  'Dynamic options': '动态选项',
  'Options expression': '选项表达式',
  'Security attributes': '安全属性',
  'Header items': '表头',
  Content: '内容',
  'Select a form field to edit its properties.': '选择一个字段以编辑其属性。',
  'Multiple form fields are selected. Select a single form field to edit its properties.':
    '选中了多个字段。请只选择一个字段来编辑其属性。',
  // the properties panel: fields
  'Version tag': '版本标签',
  'Version tag by which this form can be referenced.': '可按此版本标签引用本表单。',
  'Field label': '字段标签',
  'Group label': '分组标签',
  'Table label': '表格标签',
  'Field description': '字段说明',
  Key: '键',
  'Binds to a form variable': '绑定到表单变量',
  Path: '路径',
  'Where the child variables of this component are pathed to.': '此组件内字段的数据存放的路径。',
  'Default value': '默认值',
  Checked: '勾选',
  'Not checked': '不勾选',
  '<none>': '（无）',
  Disabled: '禁用',
  'Disable this field when it should not be interactive for end-users. Its data will not be submitted. This setting takes precedence over read-only.':
    '填写人不应操作此字段时禁用它。禁用字段的数据不会提交。此设置优先于“只读”。',
  'Read only': '只读',
  'Make this field read-only when it cannot be edited by the end-user, but its content is important for them to see. Its data will still be submitted.':
    '填写人不能修改、但需要看到内容时设为只读。只读字段的数据仍会提交。',
  Required: '必填',
  'Minimum length': '最短长度',
  'Maximum length': '最长长度',
  Minimum: '最小值',
  Maximum: '最大值',
  'Validation pattern': '格式校验',
  Custom: '自定义',
  Email: '电子邮箱',
  Phone: '电话号码',
  'Custom regular expression': '自定义正则表达式',
  'Custom error message': '自定义错误提示',
  'The error message to display when the input does not match the regular expression.':
    '输入不符合正则表达式时显示的错误提示。',
  Columns: '列宽',
  Auto: '自动',
  'Hide if': '隐藏条件',
  'Condition under which the field is hidden': '满足此条件时隐藏该字段',
  'Deactivate if': '停用条件',
  'Condition under which the field is deactivated': '满足此条件时停用该字段',
  Text: '文字',
  'Supports markdown and templating.': '支持 Markdown 和模板。',
  'Supports HTML, styling, and templating. Styles are automatically scoped to the HTML component.':
    '支持 HTML、样式和模板。样式只作用于此 HTML 组件。',
  'Learn more': '了解更多',
  Type: '类型',
  Label: '标签',
  Value: '值',
  ID: '标识',
  Create: '新建',
  Searchable: '可搜索',
  Static: '固定',
  'Input data': '输入数据',
  'Input values key': '输入数据的键',
  'Define which input property to populate the values from': '选项取自输入数据中的哪个属性',
  'Define an expression to populate the options from.': '用表达式生成选项。',
  Prefix: '前缀',
  Suffix: '后缀',
  'Show outline': '显示边框',
  'Vertical alignment': '垂直对齐',
  Top: '顶部',
  Center: '居中',
  Bottom: '底部',
  Subtype: '子类型',
  Date: '日期',
  Time: '时间',
  'Date & Time': '日期和时间',
  'Date label': '日期标签',
  'Time label': '时间标签',
  'Disallow past dates': '不允许选择过去的日期',
  'Use 24h': '使用 24 小时制',
  'Time format': '时间格式',
  'Time interval': '时间间隔',
  'UTC offset': 'UTC 偏移',
  'UTC normalized': '转换为 UTC',
  'No timezone': '不带时区',
  'Decimal digits': '小数位数',
  Increment: '步长',
  'Output as string': '以字符串输出',
  'Allows arbitrary precision values': '允许任意精度的数值',
  'Allow add/delete items': '允许添加/删除项',
  'Default number of items': '默认项数',
  'Disable collapse': '不折叠',
  'Number of non-collapsing items': '不折叠的项数',
  'Compute on': '计算时机',
  'Value changes': '值变化时',
  'Form submission': '提交表单时',
  'Define an expression to calculate the value of this field': '用表达式计算此字段的值',
  'Target value': '目标值',
  'Supported file formats': '支持的文件格式',
  'Upload multiple files': '允许上传多个文件',
  'Image source': '图片来源',
  'Alternative text': '替代文字',
  'Descriptive text for screen reader accessibility.': '供读屏软件朗读的描述文字。',
  'Expression or static value (link/data URI)': '表达式或固定值（链接或 data URI）',
  'Link referring to a hosted image, or use a data URI directly to embed image data into the form.':
    '图片的链接，或直接用 data URI 把图片嵌入表单。',
  Height: '高度',
  'Height of the container in pixels.': '容器的高度（像素）。',
  URL: '网址',
  Title: '标题',
  'Data source': '数据来源',
  'Headers source': '表头来源',
  'List of items': '列表',
  Column: '列',
  'Column 1': '第 1 列',
  'Column 2': '第 2 列',
  'Column 3': '第 3 列',
  Pagination: '分页',
  'Number of rows per page': '每页行数',
  'Specify the source from which to populate the table': '表格数据的来源',
  'Specify an expression to populate column items': '用表达式生成列',
  'Document reference': '文档引用',
  'The document data source is required.': '必须填写文档的数据来源。',
  'A comma-separated list of': '用英文逗号分隔的',
  'file type specifiers': '文件类型说明符',
  'These options can incur security risks, especially if used in combination with dynamic links. Ensure that you are aware of them, that you trust the source url and only enable what your use case requires.':
    '这些选项可能带来安全风险，与动态链接一起使用时尤甚。请确认了解其风险、信任来源网址，并只开启确实需要的选项。',
  'Script execution': '允许运行脚本',
  'Allow same origin': '允许同源访问',
  'Open in fullscreen': '允许全屏',
  Geolocation: '允许获取位置',
  'Camera access': '允许使用摄像头',
  'Microphone access': '允许使用麦克风',
  'Forms submission': '允许提交表单',
  'Open modal windows': '允许打开模态窗口',
  'Open popups': '允许打开弹出窗口',
  'Top level navigation': '允许跳转顶层页面',
  'Storage access by user': '允许访问存储',
  'Max height of preview container': '预览区域的最大高度',
  Submit: '提交',
  Reset: '重置',
  'Must be unique.': '不能与其他字段重复。',
  'Must not be empty.': '不能为空。',
  'Must not be empty': '不能为空',
  'Must not contain spaces.': '不能包含空格。',
  'Must be a variable or a dot separated path.': '必须是变量名，或用点分隔的路径。',
  'Must not contain numerical path segments.': '路径中不能有纯数字的部分。',
  'Must not be a prohibited path.': '不能使用此路径。',
  'Must not cause two binding paths to collide': '不能与其他字段绑定到同一路径',
  'Should be a valid number.': '必须是有效的数字。',
  'Should be a valid number': '必须是有效的数字',
  'Should be an integer.': '必须是整数。',
  'Should be greater than zero.': '必须大于零。',
  'Should be greater than or equal to zero.': '必须大于或等于零。',
  'Value must be a number.': '必须是数字。',
  'A number is required.': '必须填写数字。',
};

/**
 * `Create a Text field element` → `添加文本框`; `Remove Select` → `删除下拉选择`;
 * `Expression for 'total'` → `表达式：total`.
 */
function fieldAction(text: string): string | undefined {
  const expression = /^Expression for '(.*)'$/.exec(text);
  if (expression) return `表达式：${expression[1]}`;
  const create = /^Create an? (.+) element$/.exec(text);
  if (create && FIELD_TYPES[create[1]!]) return `添加${FIELD_TYPES[create[1]!]}`;
  const remove = /^Remove (.+)$/.exec(text);
  if (remove && FIELD_TYPES[remove[1]!]) return `删除${FIELD_TYPES[remove[1]!]}`;
  return undefined;
}

function zhOf(text: string): string | undefined {
  return ZH[text] ?? fieldAction(text) ?? listCount(text);
}

/** Where the author's own words are shown in the properties panel: names, FEEL, list items. */
const AUTHORS_TEXT =
  '.cm-editor, .bio-properties-panel-header-label, .bio-properties-panel-collapsible-entry-header-title, .bio-properties-panel-list-entry-header-title';

/** The editor's own controls on the canvas, around the form the author made. */
const CANVAS_CHROME = [
  '.fjs-context-pad',
  '.fjs-empty-component',
  '.fjs-empty-editor',
  '.fjs-repeat-render-footer',
  '.fjs-form-field-placeholder',
  '.fjs-iframe-placeholder-text',
  '.fjs-documentPreview-placeholder-text',
  // the canvas shows a table's cells as "Content", not data
  '.fjs-table-td',
].join(', ');

/** Rewrites the editor's English texts under `container`; returns the observer to disconnect. */
export function translateFormEditor(container: HTMLElement): MutationObserver {
  return translateChrome(container, {
    text: (text, parent) => {
      if (parent.closest(AUTHORS_TEXT)) return undefined;
      if (!parent.closest('.fjs-form-container') || parent.closest(CANVAS_CHROME))
        return zhOf(text);
      return isFormJsChrome(parent) ? FORM_JS_WORDS[text] : undefined;
    },
    attribute: (value, el) => {
      if (el.closest('.cm-editor')) return undefined;
      if (!el.closest('.fjs-form-container') || el.closest(CANVAS_CHROME)) return zhOf(value);
      return el.tagName === 'IFRAME' ? undefined : FORM_JS_WORDS[value];
    },
    attributes: ['title', 'aria-label', 'placeholder'],
  });
}

/** form-js's English defaults of a field added from the palette, as the author sees them. */
const NEW_FIELD_LABELS: Record<string, string> = {
  'Text field': '文本框',
  'Text area': '多行文本',
  Number: '数字',
  Checkbox: '复选框',
  'Checkbox group': '复选组',
  'Radio group': '单选组',
  Select: '下拉选择',
  'Tag list': '标签列表',
  Button: '按钮',
  Group: '分组',
  'Dynamic list': '动态列表',
  iFrame: '内嵌页面',
  Table: '表格',
  'Document preview': '文档预览',
  'File picker': '文件',
  Date: '日期',
  Time: '时间',
  ID: '编号',
  Name: '名称',
  Value: '选项',
};

/** The part of form-js's field factory this module wraps. */
interface FieldFactory {
  create(attrs: Record<string, unknown>, isNewField?: boolean): Record<string, unknown>;
}

/** `label` (or a date time's `dateLabel`/`timeLabel`) in Chinese when it is form-js's default. */
function withZhLabels<T extends Record<string, unknown>>(item: T): T {
  const out: Record<string, unknown> = { ...item };
  for (const key of ['label', 'dateLabel', 'timeLabel']) {
    const zh = typeof out[key] === 'string' ? NEW_FIELD_LABELS[out[key]] : undefined;
    if (zh) out[key] = zh;
  }
  return out as T;
}

/**
 * A field added from the palette starts with Chinese texts instead of form-js's English
 * defaults ("Text field", "# Text", a table's ID/Name/Date columns, an option "Value"):
 * what the author then edits is theirs, fields loaded from a schema are left as they are.
 */
export function localizeNewFields(editor: { get<T>(name: string): T }): void {
  const factory = editor.get<FieldFactory>('fieldFactory');
  const create = factory.create.bind(factory);
  factory.create = (attrs, isNewField = true) => {
    const field = create(attrs, isNewField);
    if (!isNewField) return field;
    const zh = withZhLabels(field);
    if (zh.text === '# Text') zh.text = '# 文字';
    for (const key of ['columns', 'values'])
      if (Array.isArray(zh[key]))
        zh[key] = (zh[key] as Record<string, unknown>[]).map((item) => withZhLabels(item));
    // the factory registered `field` by identity: change it in place
    Object.assign(field, zh);
    return field;
  };
}
