/**
 * zh-CN for the English that bpmn.io's libraries render without a translation service: their
 * text nodes and attributes are rewritten as they appear. Preact and bpmn-js keep the nodes and
 * only write an attribute again when its value changes, so a later render does not undo it, and
 * when it does, the observer rewrites it again.
 */

/** Which words of a library to rewrite, and where. */
export interface ChromeWords {
  /** The zh-CN of text node `text` under `parent`, or undefined to leave it as it is. */
  text(text: string, parent: Element): string | undefined;
  /** The zh-CN of attribute `name` of `el`, or undefined to leave it as it is. */
  attribute(value: string, el: Element, name: string): string | undefined;
  /** The attributes to rewrite, e.g. `title` and `aria-label`. */
  attributes: readonly string[];
}

/** Rewrites the library's English under `container` now and as it changes; returns the observer. */
export function translateChrome(container: HTMLElement, words: ChromeWords): MutationObserver {
  const selector = words.attributes.map((a) => `[${a}]`).join(', ');
  const fix = () => {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.nodeValue?.trim();
      const zh = text && n.parentElement ? words.text(text, n.parentElement) : undefined;
      if (zh) n.nodeValue = zh;
    }
    container.querySelectorAll(selector).forEach((el) => {
      for (const name of words.attributes) {
        const value = el.getAttribute(name);
        const zh = value ? words.attribute(value, el, name) : undefined;
        if (zh) el.setAttribute(name, zh);
      }
    });
  };
  fix();
  const observer = new MutationObserver(fix);
  observer.observe(container, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: [...words.attributes],
  });
  return observer;
}

/**
 * The controls of @bpmn-io/properties-panel (the modeler's and the form editor's properties
 * panel): sections, lists, FEEL toggles, the pop-up editor.
 */
export const PROPERTIES_PANEL_WORDS: Record<string, string> = {
  'Section contains edits': '此部分有修改',
  'Toggle section': '展开/收起',
  'Open pop-up editor': '在弹出窗口中编辑',
  'Create new list item': '新增一项',
  'Toggle list item': '展开/收起此项',
  'Delete item': '删除此项',
  'List contains {numOfItems} item': '共 {numOfItems} 项',
  'List contains {numOfItems} items': '共 {numOfItems} 项',
  'FEEL expression is mandatory': '此处必须填写 FEEL 表达式',
  'Click to set a dynamic value with FEEL expression': '点击改为 FEEL 表达式（动态值）',
  'Click to remove dynamic value with FEEL expression': '点击改回固定值',
  'Create new ...': '新建…',
};

/** `List contains 3 items` → `共 3 项`: the panel builds this title around its count. */
export function listCount(text: string): string | undefined {
  const m = /^List contains (\d+) items?$/.exec(text);
  return m ? `共 ${m[1]} 项` : undefined;
}
