/**
 * The one table of user-visible text (zh-CN). Code refers to messages by key; nothing a
 * user reads is written inline elsewhere.
 */
export const zhCN = {
  'error.internal': '服务器内部错误',
  'error.not_found': '请求的资源不存在',
  'error.route_not_found': '接口不存在',
  'error.validation': '输入数据不合法',
  'error.payload_too_large': '请求内容过大',
  'error.bad_json': '请求内容不是合法的 JSON',
  'error.unauthenticated': '请先登录',
  'error.forbidden': '无权执行此操作',
  'error.conflict': '数据已被他人修改，请刷新后重试',
  'error.db_unavailable': '数据库暂不可用',
  'error.transient': '服务暂时不可用，请稍后重试',
  'error.rule_violation': '不符合课后服务政策规定',
  'health.ok': '运行正常',
  'ready.ok': '服务就绪',
  'auth.invalid_credentials': '账号或密码错误',
  'auth.account_locked': '账号已临时锁定',
  'auth.account_locked_detail': '连续 {count} 次密码错误，账号已锁定，请 {minutes} 分钟后再试',
  'auth.rate_limited': '尝试次数过多，请稍后再试',
  'auth.rate_limited_detail': '登录尝试过于频繁，请 {seconds} 秒后再试',
  'auth.csrf_invalid': '安全校验失败，请刷新页面后重试',
  'auth.login_identifier': '请填写手机号或用户名（二选一）',
  'auth.wrong_old_password': '原密码不正确',
  'auth.password_policy': '密码至少 8 位，且须同时包含字母和数字',
  'auth.password_same': '新密码不能与原密码相同',
  'auth.password_changed': '密码已修改，其他设备上的登录已失效',
  'auth.logged_out': '已退出登录',
  'auth.logged_in': '登录成功',
  'validation.phone': '请输入 11 位手机号',
  'validation.username': '用户名为 3–32 位字母、数字、点、下划线或连字符，以字母开头',
  'validation.id': '编号只能包含字母、数字、点、下划线或连字符',
  'user.phone_taken': '该手机号已被其他账号使用',
  'user.username_taken': '该用户名已被其他账号使用',
  'user.external_taken': '该企业微信身份已绑定其他账号',
  'user.membership_invalid': '角色与所属单位不匹配',
  'role.parent': '家长',
  'role.classTeacher': '班主任',
  'role.teacher': '教师',
  'role.committee': '家委会成员',
  'role.schoolAdmin': '学校管理员',
  'role.principal': '校长',
  'role.countyBureau': '县区教育局',
  'role.cityBureau': '市教育局',
  'role.worker': '服务账号',
} as const;

/** A key of the zh-CN message table. */
export type MessageKey = keyof typeof zhCN;

/** Looks up the zh-CN text for a key, filling `{name}` placeholders from `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return zhCN[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
