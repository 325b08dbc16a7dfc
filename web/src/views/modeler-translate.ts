import { listCount, PROPERTIES_PANEL_WORDS, translateChrome } from '../translate-chrome';

/**
 * zh-CN for the modeler's own texts (palette, context pad, the properties panel's main groups
 * and fields), as a bpmn-js `translate` service. Texts not listed stay as bpmn-js spells them.
 */
const ZH: Record<string, string> = {
  // palette and context pad
  'Activate hand tool': '抓手工具',
  'Activate lasso tool': '框选工具',
  'Activate create/remove space tool': '插入/删除空间',
  'Activate global connect tool': '连线工具',
  'Create start event': '开始事件',
  'Create intermediate/boundary event': '中间/边界事件',
  'Create end event': '结束事件',
  'Create gateway': '网关',
  'Create task': '任务',
  'Create expanded sub-process': '展开的子流程',
  'Create data object reference': '数据对象',
  'Create data store reference': '数据存储',
  'Create pool/participant': '池/参与者',
  'Create group': '分组',
  'Append task': '追加任务',
  'Append end event': '追加结束事件',
  'Append gateway': '追加网关',
  'Append intermediate/boundary event': '追加中间事件',
  'Add text annotation': '添加注释',
  'Change element': '更改类型',
  'Connect to other element': '连接到其他元素',
  Delete: '删除',
  'Search in diagram': '在图中搜索',
  // properties panel
  General: '常规',
  Name: '名称',
  ID: '标识',
  Documentation: '说明',
  'Element documentation': '元素说明',
  Assignment: '分配',
  Assignee: '办理人',
  'Candidate groups': '候选组',
  'Candidate users': '候选用户',
  Form: '表单',
  Type: '类型',
  'Form ID': '表单标识',
  'Camunda Form': '关联表单',
  'External form reference': '外部表单引用',
  '<none>': '（无）',
  'User task': '用户任务',
  'Service task': '服务任务',
  Implementation: '实现方式',
  'Task definition': '任务定义',
  Inputs: '输入',
  Outputs: '输出',
  'Extension properties': '扩展属性',
  Condition: '条件',
  'Condition expression': '条件表达式',
  Timer: '定时器',
  'Execution listeners': '执行监听器',
  'Task listeners': '任务监听器',
  'Due date': '到期时间',
  'Follow up date': '跟进时间',
  Priority: '优先级',
  'Job priority': '作业优先级',
  'Example data': '示例数据',
  'Open minimap': '打开缩略图',
  'Close minimap': '关闭缩略图',
  'Input mapping': '输入映射',
  'Output mapping': '输出映射',
  Headers: '任务头',
  Binding: '绑定',
  Create: '新建',
  'Example output': '示例输出',
  'Camunda user task': 'Camunda 用户任务',
  'Job worker': '作业执行器',
  'Version tag': '版本标签',
  // names and ids: the fields and the messages of an invalid id
  'Process name': '流程名称',
  'Participant Name': '参与者名称',
  'Process ID': '流程标识',
  'ID must be unique.': '标识不能与其他元素重复。',
  'ID must not be empty.': '标识不能为空。',
  'ID must not contain spaces.': '标识不能包含空格。',
  'ID must not contain prefix.': '标识不能带前缀。',
  'ID must be a valid QName.': '标识只能以字母或下划线开头，由字母、数字、下划线、连字符和点组成。',
  // assignment: who works on a step
  'Specify more than one group as a comma separated list.': '多个组请用英文逗号分隔。',
  'Specify more than one user as a comma separated list.': '多个用户请用英文逗号分隔。',
  'Define the assignment, schedule, and priority of the user task. Assignee, candidate groups, and candidate users can be combined. Use due date and follow-up date to express deadlines and urgency. ':
    '设置用户任务的办理人、时间安排和优先级。办理人、候选组和候选用户可以同时填写；用到期时间和跟进时间表示期限和紧急程度。',
  'Implement a user task managed by Camunda. To add a custom implementation, use a job worker. ':
    '由流程引擎管理的用户任务。如需自定义实现，请使用作业执行器。',
  'Learn more.': '了解更多。',
  // form: which form a step shows
  'Camunda Forms': 'Camunda 表单',
  'Camunda Form (linked)': '关联表单（按标识）',
  'Camunda Form (embedded)': '内嵌表单',
  'Custom form key': '自定义表单键',
  'Form key': '表单键',
  'Form reference': '表单引用',
  'Version tag by which the linked form will be referenced.': '按此版本标签引用关联的表单。',
  'Link or embed a form created with the Camunda Forms editor. To associate a custom form, application, or URL to the user task, specify a form key. ':
    '关联或内嵌在表单设计中制作的表单。如需关联自定义表单、应用或网址，请填写表单键。',
  'Link a form created with the Camunda Forms editor. To associate a custom form, application, or URL to the user task, specify an external reference. ':
    '关联在表单设计中制作的表单。如需关联自定义表单、应用或网址，请填写外部引用。',
  'Link a form created with the Camunda Forms editor. Submitting this form will start a new process instance. ':
    '关联在表单设计中制作的表单。提交此表单会启动一个新的流程实例。',
  // task definition: which job worker does an automatic step
  'Job type': '作业类型',
  Retries: '重试次数',
  'Implementation type': '实现类型',
  // the properties panel's controls
  ...PROPERTIES_PANEL_WORDS,
  On: '开',
  Off: '关',
  Value: '值',
  Key: '键',
  Code: '代码',
  Executable: '可执行',
  'Process variable name': '流程变量名',
  'Local variable name': '局部变量名',
  'Variable assignment value': '变量取值',
  'Default Flow': '默认流',
  // the linked form's binding
  latest: '最新版本',
  deployment: '同一次部署',
  versionTag: '版本标签',
  'version tag': '版本标签',
  // events: timers, messages, errors
  Date: '日期',
  Duration: '时长',
  Cycle: '循环',
  Message: '消息',
  Error: '错误',
  Signal: '信号',
  Escalation: '升级',
  'Global message reference': '全局消息引用',
  'Global error reference': '全局错误引用',
  'Global signal reference': '全局信号引用',
  'Global escalation reference': '全局升级引用',
  'Subscription correlation key': '订阅关联键',
  'Correlation key': '关联键',
  // multi-instance and call activities
  'Multi-instance': '多实例',
  'Input collection': '输入集合',
  'Input element': '输入元素',
  'Output collection': '输出集合',
  'Output element': '输出元素',
  'Completion condition': '完成条件',
  'Called element': '被调用的流程',
  'Business ID': '业务标识',
  'Inherit from parent': '沿用父流程的',
  'Input propagation': '输入传递',
  'Output propagation': '输出传递',
  'Propagate all parent process variables': '传入父流程的全部变量',
  'Propagate all child process variables': '传回子流程的全部变量',
  // context pad and palette extras
  'Append element': '追加元素',
  'Create element': '创建元素',
  'Set color': '设置颜色',
  'Append receive task': '追加接收任务',
  'Append message intermediate catch event': '追加消息中间捕获事件',
  'Append timer intermediate catch event': '追加定时器中间捕获事件',
  'Append conditional intermediate catch event': '追加条件中间捕获事件',
  'Append signal intermediate catch event': '追加信号中间捕获事件',
  // the properties panel's header: the selected element's type
  Process: '流程',
  Participant: '参与者',
  Task: '任务',
  'User Task': '用户任务',
  'Service Task': '服务任务',
  'Send Task': '发送任务',
  'Receive Task': '接收任务',
  'Script Task': '脚本任务',
  'Business Rule Task': '业务规则任务',
  'Manual Task': '手工任务',
  'Call Activity': '调用活动',
  'Sub Process': '子流程',
  'Expanded Sub Process': '展开的子流程',
  'Collapsed Sub Process': '折叠的子流程',
  'Event Sub Process': '事件子流程',
  'Ad Hoc Sub Process': '自由子流程',
  'Exclusive Gateway': '排他网关',
  'Parallel Gateway': '并行网关',
  'Inclusive Gateway': '包容网关',
  'Event Based Gateway': '事件网关',
  'Complex Gateway': '复杂网关',
  'Sequence Flow': '顺序流',
  'Message Flow': '消息流',
  Association: '关联',
  'Text Annotation': '注释',
  Group: '分组',
  'Data Object Reference': '数据对象',
  'Data Store Reference': '数据存储',
};

const EVENT_KINDS: Record<string, string> = {
  Message: '消息',
  Timer: '定时器',
  Signal: '信号',
  Error: '错误',
  Escalation: '升级',
  Compensation: '补偿',
  Conditional: '条件',
  Link: '链接',
  Terminate: '终止',
};
const EVENT_PLACES: Record<string, string> = {
  Start: '开始事件',
  'Intermediate Catch': '中间捕获事件',
  'Intermediate Throw': '中间抛出事件',
  Boundary: '边界事件',
  End: '结束事件',
};

/** `Timer Boundary Event (Non Interrupting)` → `定时器边界事件（非中断）`, and the like. */
function eventType(template: string): string | undefined {
  const m =
    /^(?:(Message|Timer|Signal|Error|Escalation|Compensation|Conditional|Link|Terminate) )?(Start|Intermediate Catch|Intermediate Throw|Boundary|End) Event( \(Non Interrupting\))?$/.exec(
      template,
    );
  if (!m) return undefined;
  const [, kind, place, nonInterrupting] = m;
  return `${kind ? EVENT_KINDS[kind] : ''}${EVENT_PLACES[place!]}${nonInterrupting ? '（非中断）' : ''}`;
}

function translate(template: string, replacements: Record<string, string> = {}): string {
  return (zhOf(template) ?? template).replace(/{([^}]+)}/g, (_m, key: string) =>
    replacements[key] === undefined ? `{${key}}` : replacements[key],
  );
}

/** The zh-CN of one of the modeler's own texts, or undefined when it has none. */
function zhOf(text: string): string | undefined {
  return ZH[text] ?? eventType(text) ?? listCount(text);
}

/** Where the author's own words are shown: names, expressions, list items' titles. */
const AUTHORS_TEXT =
  '.cm-editor, .bio-properties-panel-header-label, .bio-properties-panel-collapsible-entry-header-title, .bio-properties-panel-list-entry-header-title';

/**
 * Some of the properties panel's controls (list items' buttons, FEEL toggles, pop-up editor
 * buttons) are rendered without the `translate` service, so their English titles and texts
 * are rewritten as they appear, as the form editor does. Returns the observer to disconnect.
 */
export function translatePanelChrome(container: HTMLElement): MutationObserver {
  return translateChrome(container, {
    text: (text, parent) => {
      const zh = zhOf(text);
      return zh && !parent.closest(AUTHORS_TEXT) ? zh : undefined;
    },
    attribute: (value, el) => (el.closest('.cm-editor') ? undefined : zhOf(value)),
    attributes: ['title', 'aria-label'],
  });
}

/** The bpmn-js module that overrides the default (English) `translate` service. */
export const zhTranslate = { translate: ['value', translate] };
