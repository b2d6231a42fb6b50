/**
 * XML files as the importers read them (URDF, MJCF): fast-xml-parser's tree with attributes under
 * "@name" and every child element in an array, so one element and several read the same way.
 * Malformed XML is an InputError naming the file, line and column.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InputError } from './errors.ts';

/** An element: attributes under "@name", child elements by tag as arrays. */
export type XmlNode = { [key: string]: unknown };

/** Parses the text into its document node (whose one child element is the root). */
export function parseXml(text: string, file: string): XmlNode {
  if (text.trim() === '') throw new InputError(file, 'file is empty');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new InputError(file, `not valid XML (line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg})`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  });
  try {
    return parser.parse(text) as XmlNode;
  } catch (e) {
    // The validator passed it, but the parser refuses some names (such as "__proto__").
    throw new InputError(file, `XML that cannot be read (${(e as Error).message})`);
  }
}

export function elements(node: XmlNode, tag: string): XmlNode[] {
  const list = node[tag];
  if (!Array.isArray(list)) return [];
  // An element with neither attributes nor children parses as a string; treat it as empty.
  return list.map((e) => (typeof e === 'object' && e !== null ? (e as XmlNode) : {}));
}

export const firstElement = (node: XmlNode, tag: string): XmlNode | undefined => elements(node, tag)[0];

export function attribute(node: XmlNode, name: string): string | undefined {
  const value = node[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** The element's attributes, by name. */
export function attributes(node: XmlNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(node)) if (key.startsWith('@') && typeof value === 'string') out[key.slice(1)] = value;
  return out;
}

/** Child element names, without attributes, text and processing instructions. */
export const childTags = (node: XmlNode) => Object.keys(node).filter((k) => !k.startsWith('@') && k !== '#text' && !k.startsWith('?'));
