/**
 * Every text the browser app shows, zh-CN, in one table. Code and comments stay English; a
 * view asks for `t('inbox.title')` and never spells a Chinese string itself.
 */
const zh = {
  'app.name': '课后流程',
  'app.tagline': '课后服务报名、审核与流程管理',
  'app.loading': '正在加载…',
  'app.skip': '跳到主要内容',
  'app.not_found': '页面不存在',
  'app.back_home': '返回首页',
  'app.error': '出错了',
  'app.retry': '重试',
  'app.offline': '无法连接服务器，请检查网络后重试。',
  'app.forbidden': '您没有权限查看此页面。',
  'app.saved': '已保存',
  'app.cancel': '取消',
  'app.confirm': '确定',
  'app.close': '关闭',
  'app.more': '加载更多',
  'app.none': '无',
  'app.request_id': '请求编号',

  'nav.home': '首页',
  'nav.inbox': '待办',
  'nav.apply': '报名',
  'nav.applications': '我的申请',
  'nav.notifications': '通知',
  'nav.modeler': '流程设计',
  'nav.forms': '表单设计',
  'nav.monitor': '流程监控',
  'nav.dashboard': '数据看板',
  'nav.signout': '退出',
  'nav.menu': '主导航',

  'signin.title': '登录',
  'signin.by_phone': '手机号登录',
  'signin.by_username': '用户名登录',
  'signin.phone': '手机号',
  'signin.username': '用户名',
  'signin.password': '密码',
  'signin.submit': '登录',
  'signin.busy': '正在登录…',
  'signin.hint': '演示账号密码均为 Kehou@2026',

  'home.greeting': '您好，{name}',
  'home.roles': '身份：{roles}',
  'home.parent': '家长服务',
  'home.parent_text': '为孩子报名课后服务，查看审核进度和通知。',
  'home.work': '工作台',
  'home.work_text': '处理报名审核等待办事项。',
  'home.admin': '流程与表单',
  'home.admin_text': '按本校、本区需要调整审批流程和表单，查看运行情况。',
  'home.bureau': '教育局',
  'home.bureau_text': '查看各校课后服务报名、安排和收费情况。',
  'home.inbox_count': '我的待办 {n} 项，组内待办 {g} 项',

  'inbox.title': '待办',
  'inbox.view.assigned': '我的待办',
  'inbox.view.groups': '组内待办',
  'inbox.view.completed': '已办',
  'inbox.filter': '筛选',
  'inbox.filter.q': '搜索任务名称',
  'inbox.filter.process': '流程',
  'inbox.filter.process_all': '全部流程',
  'inbox.filter.class': '班级',
  'inbox.filter.class_all': '全部班级',
  'inbox.filter.due': '截止日期早于',
  'inbox.filter.sort': '排序',
  'inbox.sort.-created': '最新创建',
  'inbox.sort.created': '最早创建',
  'inbox.sort.due': '截止日期',
  'inbox.sort.-priority': '优先级',
  'inbox.apply': '应用',
  'inbox.empty': '没有待办事项。',
  'inbox.empty_completed': '还没有办理过的事项。',
  'inbox.total': '共 {n} 项',
  'inbox.assignee': '处理人：{name}',
  'inbox.unassigned': '未认领',
  'inbox.created': '创建于 {at}',
  'inbox.due': '截止 {at}',
  'inbox.select': '选择',
  'inbox.select_all': '全选本页',
  'inbox.bulk_approve': '批量通过（{n}）',
  'inbox.bulk_confirm': '确认通过所选的 {n} 项初审？',
  'inbox.bulk_progress': '正在处理 {done}/{n}…',
  'inbox.bulk_done': '已通过 {ok} 项，未通过 {failed} 项。',
  'inbox.prev': '上一页',
  'inbox.next': '下一页',
  'inbox.page': '第 {page} 页',

  'task.back': '返回待办',
  'task.claim': '认领',
  'task.unclaim': '退回组内',
  'task.complete': '提交',
  'task.save_draft': '暂存',
  'task.draft_saved': '草稿已暂存（{at}）',
  'task.claimed': '已认领',
  'task.unclaimed': '已退回组内',
  'task.completed': '已提交',
  'task.not_open': '此任务已办结。',
  'task.fix_errors': '请按提示修改标红的内容后再提交。',
  'task.no_form': '此任务没有表单，直接提交即可。',
  'task.comments': '留言',
  'task.comment_placeholder': '写下留言（同组成员可见）',
  'task.comment_send': '发送留言',
  'task.timeline': '处理记录',
  'task.history': '流程记录',
  'task.process': '流程：{name}',
  'task.state.CREATED': '待办理',
  'task.state.COMPLETED': '已完成',
  'task.state.CANCELED': '已取消',
  'task.state.FAILED': '失败',
  'task.event.claim': '认领',
  'task.event.unclaim': '退回',
  'task.event.draft': '暂存草稿',
  'task.event.comment': '留言',
  'task.event.complete': '提交',

  'apply.title': '课后服务报名',
  'apply.no_children': '您的账号下没有可报名的孩子。请联系班主任核对家长信息。',
  'apply.submit': '提交报名',
  'apply.submitting': '正在提交…',
  'apply.submitted': '报名已提交，请留意审核进度。',
  'apply.sessions_missing':
    '暂时无法读取学校已备案方案中的服务时段，请填写学校公示的时段编号（如 S1）。',
  'apply.session_code': '服务时段编号',
  'apply.refused': '报名未被受理：',

  'applications.title': '我的申请',
  'applications.empty': '还没有报名申请。',
  'applications.new': '为孩子报名',
  'applications.submitted_at': '提交于 {at}',
  'applications.current': '当前环节：{steps}',
  'applications.withdraw': '撤回申请',
  'applications.withdraw_confirm': '确认撤回这份申请？撤回后如需参加须重新报名。',
  'applications.withdrawn': '申请已撤回',
  'applications.timeline': '办理进度',
  'applications.arrangement': '安排结果',
  'applications.fee': '收费',
  'applications.fee_monthly': '每月 {yuan} 元',
  'applications.fee_free': '免费（建档立卡家庭）',
  'applications.fee_midday': '午间服务每月 {yuan} 元',
  'applications.rank': '候补第 {rank} 位',
  'applications.weekdays': '上学日：{days}',
  'applications.pickup': '接送人：{name}（{relation}）',
  'applications.refusal': '不符合的规定',
  'applications.bills': '缴费',
  'applications.bills_pending':
    '缴费功能尚未开通（等待支付接口），请以学校通知为准。核定的收费标准见上方。',

  'status.submitted': '审核中',
  'status.placed': '已安排',
  'status.waiting': '候补中',
  'status.enrolled': '已录取',
  'status.refused': '未受理',
  'status.rejected': '未通过',
  'status.withdrawn': '已撤回',
  'status.failed': '处理失败',

  'notifications.title': '通知',
  'notifications.empty': '暂无通知。',
  'notifications.unread': '未读 {n} 条',
  'notifications.new': '新',

  'weekday.1': '周一',
  'weekday.2': '周二',
  'weekday.3': '周三',
  'weekday.4': '周四',
  'weekday.5': '周五',

  'modeler.title': '流程设计',
  'modeler.list': '可调整的流程',
  'modeler.place': '适用范围',
  'modeler.open': '打开',
  'modeler.deploy': '部署',
  'modeler.comment': '部署说明',
  'modeler.comment_required': '请填写部署说明。',
  'modeler.deployed': '已部署为第 {v} 版',
  'modeler.problems': '问题',
  'modeler.no_problems': '未发现问题',
  'modeler.linting': '正在检查…',
  'modeler.versions': '版本',
  'modeler.version': '第 {v} 版',
  'modeler.rollback': '回滚到此版本',
  'modeler.rollback_confirm': '确认回滚到第 {v} 版？将作为新版本部署。',
  'modeler.rolled_back': '已回滚',
  'modeler.diff': '与当前版本比较',
  'modeler.diff_title': '第 {a} 版 → 第 {b} 版',
  'modeler.no_versions': '此范围还没有版本，部署后将成为第 1 版（以上级版本为起点）。',
  'modeler.empty': '没有可调整的流程。',
  'modeler.blocked': '存在必须修正的问题，不能部署。',
  'modeler.severity.error': '错误',
  'modeler.severity.warn': '警告',
  'modeler.source': '起点：{source}',
  'modeler.diff_added': '新增',
  'modeler.diff_removed': '删除',
  'modeler.diff_changed': '修改',

  'forms.title': '表单设计',
  'forms.list': '表单',
  'forms.save': '保存新版本',
  'forms.saved': '已保存为第 {v} 版',
  'forms.preview': '预览',
  'forms.used_by': '使用此表单的任务',
  'forms.not_used': '未发现使用此表单的任务。',

  'monitor.title': '流程监控',
  'monitor.instances': '流程实例',
  'monitor.empty': '没有可查看的流程实例。',
  'monitor.state.ACTIVE': '运行中',
  'monitor.state.COMPLETED': '已完成',
  'monitor.state.TERMINATED': '已终止',
  'monitor.incidents': '故障',
  'monitor.no_incidents': '没有故障。',
  'monitor.retry': '重试',
  'monitor.retried': '已重新执行',
  'monitor.path': '执行路径',
  'monitor.active_here': '进行中 {n}',
  'monitor.incident_here': '故障 {n}',
  'monitor.filter_state': '状态',
  'monitor.all': '全部',
  'monitor.started': '开始于 {at}',

  'dashboard.title': '数据看板',
  'dashboard.missing':
    '看板汇总接口尚未提供。以下数据来自已有接口：各校报名申请的状态分布（按可查看的申请统计）。',
  'dashboard.by_state': '报名申请状态（按学校）',
  'dashboard.school': '学校',
  'dashboard.total': '合计',
  'dashboard.export': '导出 Excel',
  'dashboard.exporting': '正在导出…',
  'dashboard.not_yet': '暂无数据来源（待接口）：{items}',

  'role.parent': '家长',
  'role.classTeacher': '班主任',
  'role.teacher': '教师',
  'role.committee': '家委会成员',
  'role.schoolAdmin': '学校管理员',
  'role.principal': '校长',
  'role.countyBureau': '县区教育局',
  'role.cityBureau': '市教育局',
  'role.worker': '服务账号',

  'step.submitted': '提交申请',
  'step.check-eligibility': '资格审查',
  'step.check-insurance': '保险核验',
  'step.check-service-time': '服务时段核验',
  'step.arrange-places': '统筹安排',
  'step.assess-fee': '核定费用',
  'step.place-available': '候补转正',
  'step.withdrawn': '撤回申请',
  'step.refund-fee': '退费',

  'error.field_required': '此项为必填',
} as const;

/** A key of the text table. */
export type TextKey = keyof typeof zh;

/** The text of `key`, with `{name}` placeholders filled from `params`. */
export function t(key: TextKey, params: Record<string, string | number> = {}): string {
  return zh[key].replace(/\{(\w+)\}/g, (m, name: string) =>
    params[name] === undefined ? m : String(params[name]),
  );
}

/** Whether `key` is in the table (for texts keyed by data, such as states). */
export function hasText(key: string): key is TextKey {
  return key in zh;
}

/** The text of a key built from data, or `fallback` when the table has none. */
export function tOr(key: string, fallback: string): string {
  return hasText(key) ? t(key) : fallback;
}

/** A date-time as people in China read it: 2026-09-01 16:40. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

/** Fen as yuan with two decimals. */
export function yuan(fen: number): string {
  return (fen / 100).toFixed(2);
}
