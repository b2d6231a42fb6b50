/**
 * Which XML dialect a file is, from its first bytes: kept apart from xml.ts (and its parser) so
 * that recognising a file (load.ts's table) loads no XML parser.
 */

/**
 * The root element's name from the start of a file (bytes or text) (after a BOM, the XML declaration,
 * comments and a DOCTYPE), without parsing it all; null when the bytes do not start like XML.
 */
export function xmlRootName(data: Uint8Array | string): string | null {
  let text = (typeof data === 'string' ? data.slice(0, 65536) : new TextDecoder().decode(data.subarray(0, 65536))).replace(/^\uFEFF/, '');
  for (;;) {
    text = text.trimStart();
    if (text.startsWith('<?')) text = text.slice(text.indexOf('?>') + 2 || text.length);
    else if (text.startsWith('<!--')) text = text.slice(text.indexOf('-->') + 3 || text.length);
    else if (text.startsWith('<!')) text = text.slice(text.indexOf('>') + 1 || text.length);
    else break;
    if (text === '') return null;
  }
  return /^<([A-Za-z_][\w:.-]*)/.exec(text)?.[1] ?? null;
}
