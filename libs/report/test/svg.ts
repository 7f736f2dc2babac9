/**
 * SVG as a tree for the tests, read by fast-xml-parser: its validator says the file is well-formed XML (every tag
 * closed in order, attributes quoted, entities known), then its parser gives elements in document order.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, trimValues: true });

function elements(nodes: readonly OrderedNode[]): XmlElement[] {
  return nodes.flatMap((node) => {
    const name = Object.keys(node).find((key) => key !== ':@');
    if (name === undefined || name === '#text' || name.startsWith('?')) return [];
    return [{ name, attributes: node[':@'] ?? {}, children: elements(node[name] as OrderedNode[]) }];
  });
}

/** The root element of an XML document; throws with the validator's message when it is not well-formed. */
export function parseXml(text: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`malformed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const [root, ...more] = elements(parser.parse(text) as OrderedNode[]);
  if (!root || more.length) throw new Error(`expected one root element, got ${more.length + (root ? 1 : 0)}`);
  return root;
}

/** Every element below `root` (depth first, document order) for which `test` holds. */
export function findAll(root: XmlElement, test: (e: XmlElement) => boolean): XmlElement[] {
  return root.children.flatMap((child) => [...(test(child) ? [child] : []), ...findAll(child, test)]);
}

export const hasClass = (name: string) => (e: XmlElement) => (e.attributes.class ?? '').split(/\s+/).includes(name);
