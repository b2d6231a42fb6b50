/**
 * Puts USDA text into the one-statement-per-line layout that three's line-based USDA parser
 * expects (the layout usdcat writes): braces on their own lines, and prim metadata written inline
 * (`def Cube "A" (apiSchemas = [...]) {`) opened and closed on lines of its own. Strings, asset
 * paths and comments pass through untouched. Hand-written USDA is often compact; without this the
 * parser silently loses such prims.
 *
 * It also checks the bracket structure, which the parser does not: a truncated or mangled file
 * (unbalanced braces, an unterminated string) throws a `UsdaSyntaxError` with the line number
 * instead of importing as a silently partial scene.
 */
export class UsdaSyntaxError extends Error {}

const CLOSERS: Record<string, string> = { '}': '{', ']': '[', ')': '(' };
export function normalizeUsdaLayout(text: string): string {
  let out = '';
  let i = 0;
  let parens = 0;
  let brackets = 0;
  /** Paren depths at which a prim's metadata block opened. */
  const metadataParens: number[] = [];
  let lineStart = 0; // index in `out` where the current output line starts
  let line = 1;
  /** Open brackets of any kind, with the line each opened on. */
  const open: { ch: string; line: number }[] = [];
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (text.charCodeAt(k) === 10) line++;
  };
  const newline = () => {
    if (out.length > lineStart && out.slice(lineStart).trim() !== '') out += '\n';
    lineStart = out.length;
  };
  while (i < text.length) {
    const c = text[i]!;
    // Strings and asset paths are copied verbatim.
    if (c === '"' || c === "'" || c === '@') {
      const triple = text.startsWith(c.repeat(3), i);
      const delim = triple ? c.repeat(3) : c;
      let j = i + delim.length;
      while (j < text.length && !text.startsWith(delim, j)) {
        if (!triple && text[j] === '\n') break;
        j += text[j] === '\\' && c !== '@' ? 2 : 1;
      }
      if (j >= text.length || text[j] === '\n') throw new UsdaSyntaxError(`unterminated ${c === '@' ? 'asset path' : 'string'} starting on line ${line}`);
      countLines(i, j + delim.length);
      out += text.slice(i, j + delim.length);
      i = j + delim.length;
      continue;
    }
    if (c === '#') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '\n') {
      out += c;
      lineStart = out.length;
      line++;
      i++;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') open.push({ ch: c, line });
    if (c in CLOSERS) {
      const top = open.pop();
      if (!top || top.ch !== CLOSERS[c]) {
        throw new UsdaSyntaxError(top ? `"${c}" on line ${line} does not match "${top.ch}" opened on line ${top.line}` : `unexpected "${c}" on line ${line}`);
      }
    }
    if (c === '[') brackets++;
    if (c === ']') brackets = Math.max(0, brackets - 1);
    if (brackets === 0 && c === '(') {
      const line = out.slice(lineStart).trim();
      parens++;
      if (parens === 1 && /^(def|over|class)\b/.test(line)) {
        metadataParens.push(parens);
        out += '(';
        newline();
        i++;
        continue;
      }
    }
    if (brackets === 0 && c === ')') {
      if (metadataParens.at(-1) === parens) {
        metadataParens.pop();
        parens--;
        newline();
        out += ')';
        newline();
        i++;
        continue;
      }
      parens = Math.max(0, parens - 1);
    }
    if (brackets === 0 && parens === 0 && (c === '{' || c === '}')) {
      if (c === '}') newline();
      out += c;
      newline();
      i++;
      continue;
    }
    out += c;
    i++;
  }
  const unclosed = open.at(-1);
  if (unclosed) throw new UsdaSyntaxError(`"${unclosed.ch}" opened on line ${unclosed.line} is never closed (truncated file?)`);
  checkPrimBodies(out);
  return out;
}

/** Every `def`/`over`/`class` header must be followed (after optional metadata) by a `{` body. */
function checkPrimBodies(canonical: string) {
  const lines = canonical.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (let k = 0; k < lines.length; k++) {
    const header = /^(def|over|class)\b(.*)$/.exec(lines[k]!);
    if (!header) continue;
    if (lines[k]!.endsWith('{')) continue;
    let next = k + 1;
    const inlineOpen = lines[k]!.endsWith('(');
    if (inlineOpen || lines[next] === '(') {
      // Metadata block: skip to its closing ")" line.
      let depth = inlineOpen ? 1 : 0;
      for (; next < lines.length; next++) {
        if (lines[next] === '(' || lines[next]!.endsWith('(')) depth++;
        if (lines[next]!.startsWith(')') && --depth === 0) break;
      }
      next++;
    }
    if (lines[next] !== '{') throw new UsdaSyntaxError(`prim "${lines[k]}" has no { } body (truncated file?)`);
  }
}
