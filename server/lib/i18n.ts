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
} as const;

/** A key of the zh-CN message table. */
export type MessageKey = keyof typeof zhCN;

/** Looks up the zh-CN text for a key, filling `{name}` placeholders from `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return zhCN[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
