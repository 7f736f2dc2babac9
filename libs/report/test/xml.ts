/**
 * A small, strict XML reader for the tests: enough to say that an SVG is well-formed (every tag closed in order,
 * attributes quoted, entities known) and to find elements in it. Throws on anything malformed.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

const NAME = '[A-Za-z_][\\w.:-]*';
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function checkText(text: string, where: number): void {
  if (text.replace(ENTITY, '').includes('&')) throw new Error(`bare & at ${where}`);
  if (text.includes('<')) throw new Error(`bare < at ${where}`);
}

/** The `>` that ends the tag opened at `open` (a `>` inside a quoted attribute value does not). */
function tagEnd(text: string, open: number): number {
  let quote = '';
  for (let j = open + 1; j < text.length; j++) {
    const c = text[j]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
  }
  throw new Error(`unclosed tag at ${open}`);
}

export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [] };
  const stack: XmlElement[] = [root];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('<', i);
    if (open === -1) {
      checkText(text.slice(i), i);
      break;
    }
    checkText(text.slice(i, open), i);
    if (text.startsWith('<!--', open)) {
      const end = text.indexOf('-->', open);
      if (end === -1) throw new Error(`unclosed comment at ${open}`);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', open)) {
      const end = text.indexOf('?>', open);
      if (end === -1) throw new Error(`unclosed declaration at ${open}`);
      i = end + 2;
      continue;
    }
    const close = tagEnd(text, open);
    const tag = text.slice(open + 1, close);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const top = stack.pop();
      if (!top || top === root || top.name !== name) throw new Error(`</${name}> at ${open} closes <${top?.name}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const match = new RegExp(`^(${NAME})`).exec(body);
      if (!match) throw new Error(`bad tag name at ${open}: ${body.slice(0, 20)}`);
      const element: XmlElement = { name: match[1]!, attributes: {}, children: [] };
      let rest = body.slice(match[1]!.length);
      const attribute = new RegExp(`^\\s+(${NAME})\\s*=\\s*("([^"]*)"|'([^']*)')`);
      for (let m = attribute.exec(rest); m; m = attribute.exec(rest)) {
        const value = m[3] ?? m[4] ?? '';
        checkText(value, open);
        if (m[1]! in element.attributes) throw new Error(`duplicate attribute ${m[1]} at ${open}`);
        element.attributes[m[1]!] = value;
        rest = rest.slice(m[0].length);
      }
      if (rest.trim() !== '') throw new Error(`bad attributes at ${open}: ${rest.slice(0, 40)}`);
      stack.at(-1)!.children.push(element);
      if (!selfClosing) stack.push(element);
    }
    i = close + 1;
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (root.children.length !== 1) throw new Error(`expected one root element, got ${root.children.length}`);
  return root.children[0]!;
}

/** Every element below `element` (depth first) that `test` accepts. */
export function findAll(element: XmlElement, test: (e: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const child of e.children) {
      if (test(child)) found.push(child);
      walk(child);
    }
  };
  walk(element);
  return found;
}

/** `class` contains this word. */
export const hasClass = (word: string) => (e: XmlElement) => (e.attributes.class ?? '').split(/\s+/).includes(word);
