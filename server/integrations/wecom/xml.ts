/**
 * The small XML WeCom speaks on its callbacks: one `<xml>` root with element children, text in
 * CDATA sections or escaped, sometimes nested one or two levels. No attributes that matter, no
 * namespaces, and never a DTD: a document with `<!DOCTYPE` or `<!ENTITY` is refused, so no
 * entity expansion can be smuggled in.
 */

/** An element's content: its text, or its child elements by name (repeated names → array). */
export type XmlValue = string | XmlObject | XmlValue[];

/** The children of an element by name. */
export interface XmlObject {
  [name: string]: XmlValue;
}

/** The document could not be read as WeCom's XML. */
export class XmlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlFormatError';
  }
}

/** Parses `<xml>…</xml>` into the root's children; throws {@link XmlFormatError}. */
export function parseXml(text: string): XmlObject {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlFormatError('DTDs are not accepted');
  const parser = new Parser(text.replace(/^\uFEFF/, ''));
  parser.skipProlog();
  const root = parser.element();
  parser.skipSpace();
  if (!parser.atEnd()) throw new XmlFormatError('content after the root element');
  if (typeof root.value === 'string')
    return root.value.trim() === '' ? {} : { '#text': root.value };
  return root.value as XmlObject;
}

/** The text of a child element, or undefined when absent or not text. */
export function xmlText(obj: XmlObject, name: string): string | undefined {
  const v = obj[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/**
 * Builds `<xml>` with each value in a CDATA section (numbers bare), the way WeCom's own
 * libraries reply; `]]>` inside a value is split across two sections.
 */
export function buildXml(fields: Record<string, string | number>): string {
  const parts = Object.entries(fields).map(([name, value]) => {
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) throw new XmlFormatError(`bad element name ${name}`);
    const inner =
      typeof value === 'number'
        ? String(value)
        : `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
    return `<${name}>${inner}</${name}>`;
  });
  return `<xml>${parts.join('')}</xml>`;
}

// helpers //////////

const ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  skipProlog(): void {
    this.skipSpace();
    while (this.s.startsWith('<?', this.i) || this.s.startsWith('<!--', this.i)) {
      const end = this.s.startsWith('<?', this.i) ? '?>' : '-->';
      const at = this.s.indexOf(end, this.i);
      if (at < 0) throw new XmlFormatError('unterminated prolog');
      this.i = at + end.length;
      this.skipSpace();
    }
  }

  element(): { name: string; value: XmlValue } {
    if (this.s[this.i] !== '<') throw new XmlFormatError(`expected an element at ${this.i}`);
    const m = /^<([A-Za-z_][\w.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
      this.s.slice(this.i, this.i + 512),
    );
    if (!m) throw new XmlFormatError(`bad start tag at ${this.i}`);
    const name = m[1]!;
    this.i += m[0].length;
    if (m[3] === '/') return { name, value: '' };

    let text = '';
    const children: XmlObject = {};
    let hasChildren = false;
    for (;;) {
      if (this.atEnd()) throw new XmlFormatError(`unterminated element ${name}`);
      if (this.s.startsWith('<![CDATA[', this.i)) {
        const end = this.s.indexOf(']]>', this.i);
        if (end < 0) throw new XmlFormatError('unterminated CDATA');
        text += this.s.slice(this.i + 9, end);
        this.i = end + 3;
      } else if (this.s.startsWith('<!--', this.i)) {
        const end = this.s.indexOf('-->', this.i);
        if (end < 0) throw new XmlFormatError('unterminated comment');
        this.i = end + 3;
      } else if (this.s.startsWith('</', this.i)) {
        const close = `</${name}`;
        if (!this.s.startsWith(close, this.i))
          throw new XmlFormatError(`mismatched end of ${name}`);
        this.i += close.length;
        this.skipSpace();
        if (this.s[this.i] !== '>') throw new XmlFormatError(`bad end tag of ${name}`);
        this.i++;
        break;
      } else if (this.s[this.i] === '<') {
        const child = this.element();
        hasChildren = true;
        const prev = children[child.name];
        if (prev === undefined) children[child.name] = child.value;
        else if (Array.isArray(prev)) prev.push(child.value);
        else children[child.name] = [prev, child.value];
      } else {
        const next = this.s.indexOf('<', this.i);
        const end = next < 0 ? this.s.length : next;
        text += decodeEntities(this.s.slice(this.i, end));
        this.i = end;
      }
    }
    return { name, value: hasChildren ? children : text };
  }
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}
