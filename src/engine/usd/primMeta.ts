/**
 * What three's line-based USDA parser drops and composition needs, read from the canonical layout
 * (usda-layout.ts) before that parser sees it: each prim's specifier (`def`, `over`, `class`),
 * its metadata statements with their list-op (`prepend references = @a.usda@</Robot>`,
 * `active = false`, `delete apiSchemas = [...]`), the properties a layer blocks (`float x =
 * None`, `rel r = None` or `= []`), and the `interpolation` of primvars. The text handed on to the
 * parser has `over` prims turned into `def` prims (so it keeps their properties), and metadata
 * statements, blocks and property metadata on a value's line taken out (the parser would misread
 * them as attributes or values). Values stay text; layer.ts and compose.ts read them.
 */

export type ListOp = 'explicit' | 'prepend' | 'append' | 'add' | 'delete' | 'reorder';

export interface MetadataStatement {
  op: ListOp;
  /** The value as written, on one line. */
  value: string;
}

export interface PrimMeta {
  specifier: 'def' | 'over' | 'class';
  /** Metadata name → statements, in the order written. */
  metadata: Map<string, MetadataStatement[]>;
  /** Properties this layer blocks: attributes set to None, relationships set to None or []. */
  blocked: Set<string>;
  /** Property name → the `interpolation` its metadata gives (primvars, normals). */
  interpolation: Map<string, string>;
}

export interface ScannedLayer {
  /** The text for three's parser. */
  text: string;
  /** Prim path → what the parser does not keep. */
  prims: Map<string, PrimMeta>;
}

const HEADER = /^(def|over|class)\s+(?:([A-Za-z_]\w*)\s+)?"([^"]+)"\s*([({])?$/;
const STATEMENT = /^(?:(prepend|append|add|delete|reorder)\s+)?([A-Za-z_][\w:]*)\s*=\s*([\s\S]*)$/;
const PROPERTY = /^(?:(?:uniform|custom|varying)\s+)*[A-Za-z_][\w:]*(?:\[\])?\s+([A-Za-z_][\w:]*)\s*(?:=|\(|$)/;
const INLINE_METADATA = /(?<=[\]\)"'@>\w.])\s*\(\s*[A-Za-z_]\w*\s*=[^()]*\)\s*$/;
const INTERPOLATION = /\binterpolation\s*=\s*"(\w+)"/;
const BLOCK = /^(?:(?:uniform|custom|varying)\s+)*(?:rel\s+([A-Za-z_][\w:]*)\s*=\s*(?:None|\[\s*\])|[A-Za-z_][\w:]*(?:\[\])?\s+([A-Za-z_][\w:]*)\s*=\s*None)$/;

/** Bracket depth change of a line, ignoring strings and asset paths. */
function depthChange(line: string): number {
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"' || c === "'" || c === '@') {
      const end = line.indexOf(c, i + 1);
      i = end < 0 ? line.length : end;
    } else if (c === '[' || c === '(' || c === '{') depth++;
    else if (c === ']' || c === ')' || c === '}') depth--;
  }
  return depth;
}

export function scanPrimMetadata(canonical: string): ScannedLayer {
  const lines = canonical.split('\n');
  const out: string[] = [];
  const prims = new Map<string, PrimMeta>();
  /** Open braces: the prim path a body belongs to, or null for any other brace. */
  const stack: (string | null)[] = [];
  let pendingPrim: string | null = null; // header seen, body `{` not yet
  let metadataOf: string | null = null; // inside this prim's `( … )`
  let statement = '';
  let statementDepth = 0;
  let lastProperty: string | null = null;

  const currentPrim = () => {
    for (let k = stack.length - 1; k >= 0; k--) if (stack[k] !== null) return stack[k]!;
    return '';
  };
  const addStatement = (path: string, text: string) => {
    const m = STATEMENT.exec(text.trim());
    if (!m) return;
    const meta = prims.get(path)!;
    const name = m[2]!;
    const list = meta.metadata.get(name) ?? [];
    list.push({ op: (m[1] as ListOp | undefined) ?? 'explicit', value: m[3]!.trim() });
    meta.metadata.set(name, list);
  };

  for (const raw of lines) {
    const line = raw.trim();
    if (metadataOf !== null) {
      if (statement) {
        statement += ` ${line}`;
        statementDepth += depthChange(line);
        if (statementDepth <= 0) {
          addStatement(metadataOf, statement);
          statement = '';
        }
        continue;
      }
      if (line === ')') {
        metadataOf = null;
        out.push(raw);
        continue;
      }
      if (line === '' || line.startsWith('#')) continue;
      const depth = depthChange(line);
      if (depth > 0) {
        statement = line;
        statementDepth = depth;
      } else {
        addStatement(metadataOf, line);
      }
      continue;
    }
    const header = HEADER.exec(line);
    if (header) {
      const parent = currentPrim();
      const path = `${parent === '/' ? '' : parent}/${header[3]}`;
      prims.set(path, { specifier: header[1] as PrimMeta['specifier'], metadata: new Map(), blocked: new Set(), interpolation: new Map() });
      out.push(header[1] === 'over' ? raw.replace(/\bover\b/, 'def') : raw);
      if (header[4] === '{') stack.push(path);
      else if (header[4] === '(') metadataOf = path;
      pendingPrim = header[4] === '{' ? null : path;
      continue;
    }
    if (line === '(' && pendingPrim !== null) {
      metadataOf = pendingPrim;
      out.push(raw);
      continue;
    }
    if (line === '{' || line.endsWith('{')) {
      stack.push(line === '{' && pendingPrim !== null ? pendingPrim : null);
      pendingPrim = null;
      out.push(raw);
      continue;
    }
    if (line === '}') {
      stack.pop();
      out.push(raw);
      continue;
    }
    const block = BLOCK.exec(line);
    if (block && stack.length && stack.at(-1) !== null) {
      prims.get(stack.at(-1)!)?.blocked.add((block[1] ?? block[2])!);
      continue;
    }
    // Property metadata (`( interpolation = "faceVarying" )`), on the declaration's line or after it.
    if (stack.length && stack.at(-1) !== null) {
      const property = PROPERTY.exec(line);
      if (property) lastProperty = property[1]!;
      const interpolation = INTERPOLATION.exec(line);
      if (interpolation && lastProperty) prims.get(stack.at(-1)!)?.interpolation.set(lastProperty, interpolation[1]!);
      // Metadata on the value's own line would be read as part of the value; the parser gets the value alone.
      if (property) {
        const inline = INLINE_METADATA.exec(raw);
        if (inline) {
          out.push(raw.slice(0, inline.index));
          continue;
        }
      }
    }
    out.push(raw);
  }
  return { text: out.join('\n'), prims };
}

/** One item of a `references` or `payload` list: `@asset@</Prim>`, `@asset@` or `</Prim>`. */
export interface ReferenceItem {
  /** The asset path as written (without @), or null for a reference within the layer. */
  asset: string | null;
  /** The prim path, or null for the asset's default prim. */
  target: string | null;
}

/** Parses a references / payload value. Returns null for text that is not such a list. */
export function parseReferenceList(value: string): ReferenceItem[] | null {
  const text = value.trim();
  if (text === 'None' || text === '[]') return [];
  const items: ReferenceItem[] = [];
  const item = /(@@@[\s\S]*?@@@|@[^@]*@)?\s*(<[^>]*>)?\s*(\([^)]*\))?/y;
  let i = text.startsWith('[') ? 1 : 0;
  const end = text.startsWith('[') ? text.lastIndexOf(']') : text.length;
  if (end < 0) return null;
  while (i < end) {
    while (i < end && /[\s,]/.test(text[i]!)) i++;
    if (i >= end) break;
    item.lastIndex = i;
    const m = item.exec(text);
    if (!m || m[0] === '' || (!m[1] && !m[2])) return null;
    const asset = m[1] ? m[1].replace(/^@@@|@@@$/g, '').replace(/^@|@$/g, '') : null;
    const target = m[2] ? m[2].slice(1, -1) : null;
    items.push({ asset, target: target || null });
    i = item.lastIndex;
  }
  return items;
}

/** The tokens of a `["A", "B"]` list (or one quoted token). */
export function parseTokenList(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
}
