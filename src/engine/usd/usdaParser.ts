/**
 * Reads USDA text (OpenUSD's Sdf text format: `#usda 1.0`, or `#sdf 1.4.32` in OpenUSD's own test
 * files) into the spec table of sdf.ts, following its field names and value conventions. Owns the
 * text grammar only: no composition, no schema knowledge beyond value types and the types of
 * Sdf's own metadata. Malformed input throws InputError naming the line; nothing else is thrown,
 * and nothing is logged.
 */
import { InputError } from '../errors.ts';
import {
  SPEC_TYPE,
  VALUE_BLOCK,
  childPath,
  isListOp,
  makeAbsolutePath,
  namespaceDepth,
  propertyNameOf,
  propertyPath,
  variantPath,
  variantSetPath,
  type LayerOffset,
  type SdfListOp,
  type SdfReference,
  type SdfSpec,
  type SdfSpecs,
  type TimeSamples,
} from './sdf.ts';

export function parseUsda(text: string, file: string): SdfSpecs {
  const parser = new UsdaParser(text, file);
  try {
    return parser.parseLayer();
  } catch (error) {
    if (error instanceof InputError) throw error;
    // Only a parser bug gets here (the nesting limit keeps the stack in bounds); still an InputError.
    const what = error instanceof RangeError ? 'input nested too deeply' : `internal error (${String(error)})`;
    throw new InputError(file, `line ${parser.tokLine}: ${what}`);
  }
}

// ---------------------------------------------------------------- characters and tokens

const T_EOF = 0;
const T_IDENT = 1;
const T_NUMBER = 2;
const T_STRING = 3;
const T_ASSET = 4;
const T_PATH = 5;
const T_PUNCT = 6;

const C_TAB = 9;
const C_LF = 10;
const C_CR = 13;
const C_SPACE = 32;
const C_DQUOTE = 34;
const C_HASH = 35;
const C_SQUOTE = 39;
const C_LPAREN = 40;
const C_RPAREN = 41;
const C_STAR = 42;
const C_COMMA = 44;
const C_MINUS = 45;
const C_DOT = 46;
const C_SLASH = 47;
const C_COLON = 58;
const C_SEMI = 59;
const C_LT = 60;
const C_EQUALS = 61;
const C_GT = 62;
const C_AT = 64;
const C_LBRACKET = 91;
const C_BACKSLASH = 92;
const C_RBRACKET = 93;
const C_LBRACE = 123;
const C_RBRACE = 125;

/** Punctuation the format uses (`$`, `&` and `-` only inside splines, which are skipped). */
const PUNCT = new Set([C_EQUALS, C_COMMA, C_COLON, C_SEMI, 36 /* $ */, C_DOT, C_LBRACKET, C_RBRACKET, C_LPAREN, C_RPAREN, C_LBRACE, C_RBRACE, 38 /* & */, C_MINUS]);

/** 1e0 … 1e22, each exact in a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Combined nesting of prims, variants, dictionaries and lists that a layer may use. */
const MAX_DEPTH = 400;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** ASCII letters, "_", and any non-ASCII character (checked against XID later). */
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 128 && c !== 0xfeff);
}

function isIdentChar(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

const XID_IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;

/** An identifier: ASCII letters, digits and "_" not starting with a digit, or a Unicode (XID) identifier. */
function isIdentifier(name: string): boolean {
  if (!name || !isIdentStart(name.charCodeAt(0))) return false;
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128) ascii = false;
    else if (!isIdentChar(c)) return false;
  }
  return ascii || XID_IDENTIFIER.test(name);
}

/** A variant set name: an identifier that may also hold "-". */
function isVariantSetName(name: string): boolean {
  if (!name || !isIdentStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isIdentChar(c) && c !== C_MINUS) return false;
  }
  return true;
}

/** A variant name: an optional leading ".", then letters, digits, "_", "|" and "-". */
function isVariantName(name: string): boolean {
  for (let i = name.charCodeAt(0) === C_DOT ? 1 : 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isIdentChar(c) && c !== C_MINUS && c !== 124 /* | */) return false;
  }
  return true;
}

/** Sdf path syntax: "/", "/A/B", "/A{set=sel}B", "../A", "A/B", ".x", "/A.ns:x", "/A.rel[/B].x". */
const PATH_SYNTAX = (() => {
  const id = '[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_\\u0080-\\uffff]*';
  const ns = `${id}(?::${id})*`;
  const selection = '\\{[A-Za-z_\\u0080-\\uffff][\\w\\-\\u0080-\\uffff]*=\\.?[\\w|\\-\\u0080-\\uffff]*\\}';
  const element = `${id}(?:${selection})*`;
  const elements = `${element}(?:(?:/|(?<=\\}))${element})*`;
  const property = `\\.${ns}(?:\\[[^\\]]*\\](?:\\.${ns})?)?`;
  return new RegExp(`^(?:(?:/(?:${elements})?|\\.\\.(?:/\\.\\.)*(?:/${elements})?|${elements})(?:${property})?|${property}|\\.)$`);
})();

// ---------------------------------------------------------------- value types

type ValueKind = 'float' | 'int' | 'bool' | 'string' | 'dictionary' | 'opaque';

interface ValueType {
  kind: ValueKind;
  /** Tuple shape: [] for a scalar, [3] for float3, [4, 4] for matrix4d. */
  dims: readonly number[];
  /** Written (w, x, y, z), held (x, y, z, w). */
  quat: boolean;
  /** Range of an integer type. */
  min: number;
  max: number;
}

const VALUE_TYPES = new Map<string, ValueType>();
{
  const add = (names: string[], kind: ValueKind, dims: number[] = [], quat = false, min = -Infinity, max = Infinity) => {
    for (const name of names) VALUE_TYPES.set(name, { kind, dims, quat, min, max });
  };
  add(['bool'], 'bool');
  add(['uchar'], 'int', [], false, 0, 255);
  add(['int', 'PointIndex', 'EdgeIndex', 'FaceIndex'], 'int', [], false, -(2 ** 31), 2 ** 31 - 1);
  add(['uint'], 'int', [], false, 0, 2 ** 32 - 1);
  add(['int64'], 'int', [], false, -(2 ** 63), 2 ** 63);
  add(['uint64'], 'int', [], false, 0, 2 ** 64);
  add(['half', 'float', 'double', 'timecode'], 'float');
  add(['string', 'token', 'asset', 'pathExpression'], 'string');
  add(['dictionary'], 'dictionary');
  add(['opaque'], 'opaque');
  for (const n of [2, 3, 4]) {
    add([`double${n}`, `float${n}`, `half${n}`, `Vec${n}d`, `Vec${n}f`, `Vec${n}h`], 'float', [n]);
    add([`int${n}`, `Vec${n}i`], 'int', [n], false, -(2 ** 31), 2 ** 31 - 1);
    add([`matrix${n}d`, `Matrix${n}d`], 'float', [n, n]);
  }
  add(['quath', 'quatf', 'quatd', 'Quath', 'Quatf', 'Quatd'], 'float', [4], true);
  for (const suffix of ['h', 'f', 'd']) {
    add([`point3${suffix}`, `normal3${suffix}`, `vector3${suffix}`, `color3${suffix}`, `texCoord3${suffix}`], 'float', [3]);
    add([`color4${suffix}`], 'float', [4]);
    add([`texCoord2${suffix}`], 'float', [2]);
  }
  add(['Point', 'PointFloat', 'Normal', 'NormalFloat', 'Vector', 'VectorFloat', 'Color', 'ColorFloat'], 'float', [3]);
  add(['frame4d', 'Frame', 'Transform'], 'float', [4, 4]);
}

/** Sdf's own metadata whose value must have a given shape. */
type FieldKind = 'string' | 'number' | 'bool' | 'dictionary' | 'strings';

const FIELD_KINDS = new Map<string, FieldKind>();
{
  const add = (names: string[], kind: FieldKind) => names.forEach((name) => FIELD_KINDS.set(name, kind));
  add(['customData', 'customLayerData', 'assetInfo', 'symmetryArguments', 'clips', 'expressionVariables'], 'dictionary');
  add(
    ['comment', 'defaultPrim', 'upAxis', 'displayName', 'displayGroup', 'interpolation', 'colorSpace', 'colorConfiguration', 'colorManagementSystem', 'renderType', 'connectability', 'symmetricPeer', 'prefix', 'suffix', 'owner', 'sessionOwner'],
    'string',
  );
  add(['metersPerUnit', 'kilogramsPerUnit', 'startTimeCode', 'endTimeCode', 'timeCodesPerSecond', 'framesPerSecond', 'framePrecision', 'elementSize', 'startFrame', 'endFrame'], 'number');
  add(['active', 'instanceable', 'hidden', 'hasOwnedSubLayers'], 'bool');
  add(['allowedTokens', 'payloadAssetDependencies'], 'strings');
}

/** Metadata that is a list-op even when written without a prefix. */
const LIST_OP_FIELDS = new Set(['apiSchemas', 'clipSets']);

type ListOpKey = 'explicit' | 'added' | 'prepended' | 'appended' | 'deleted' | 'ordered';

const LIST_OP_PREFIX: Record<string, ListOpKey> = {
  add: 'added',
  prepend: 'prepended',
  append: 'appended',
  delete: 'deleted',
  reorder: 'ordered',
};

function listOpPrefix(word: string): ListOpKey | undefined {
  return Object.hasOwn(LIST_OP_PREFIX, word) ? LIST_OP_PREFIX[word] : undefined;
}

const PREFIX_WORD: Record<ListOpKey, string> = {
  explicit: '',
  added: 'add',
  prepended: 'prepend',
  appended: 'append',
  deleted: 'delete',
  ordered: 'reorder',
};

/** Sdf's reading of a word as a bool (case ignored); undefined when it is none. */
function boolFromWord(word: string): boolean | undefined {
  switch (word.toLowerCase()) {
    case 'true':
    case 'yes':
    case '1':
      return true;
    case 'false':
    case 'no':
    case '0':
      return false;
  }
  return undefined;
}

// ---------------------------------------------------------------- helpers on fields

/** Sets a key on a record, also when the key is "__proto__". */
function setKey(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

function getKey(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function pushName(fields: Record<string, unknown>, key: string, name: string): void {
  const list = fields[key];
  if (Array.isArray(list)) list.push(name);
  else fields[key] = [name];
}

function flattenInto(out: unknown[], value: unknown): void {
  if (Array.isArray(value)) for (const item of value) flattenInto(out, item);
  else out.push(value);
}

function itemKey(item: unknown): string {
  return typeof item === 'string' ? item : JSON.stringify(item) ?? String(item);
}

function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(short);
}

// ---------------------------------------------------------------- the parser

class UsdaParser {
  private readonly src: string;
  private readonly file: string;
  private readonly specs: SdfSpecs = new Map();
  private pos = 0;
  private line = 1;
  private depth = 0;

  // The current token.
  private kind = T_EOF;
  private punct = 0;
  /** Identifier text, decoded string, asset path or path. */
  private text = '';
  private num = 0;
  private start = 0;
  /** 1-based line the current token starts on. */
  tokLine = 1;
  /** Line the previous token ended on. */
  private prevLine = 1;
  /** A line break lies between the previous token and this one. */
  private nl = false;

  constructor(src: string, file: string) {
    this.src = src;
    this.file = file;
  }

  // ------------------------------------------------------------ errors

  private fail(detail: string, line = this.tokLine): never {
    throw new InputError(this.file, `line ${line}: ${detail}`);
  }

  private found(): string {
    switch (this.kind) {
      case T_EOF:
        return 'end of file';
      case T_IDENT:
        return quote(this.text);
      case T_NUMBER:
        return quote(this.src.slice(this.start, this.pos));
      case T_STRING:
        return `the string ${quote(this.text)}`;
      case T_ASSET:
        return `the asset path @${this.text}@`;
      case T_PATH:
        return `the path <${this.text}>`;
      default:
        return quote(String.fromCharCode(this.punct));
    }
  }

  private expected(what: string): never {
    const found = this.found();
    return this.fail(`expected ${what}, found ${found}${found === 'end of file' ? ' (truncated file?)' : ''}`);
  }

  /** The grammar wants the current token on the line of the one before. */
  private sameLine(what: string): void {
    if (this.nl) this.fail(`expected ${what} on the same line, found a line break`, this.prevLine);
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
  }

  private leave(): void {
    this.depth--;
  }

  // ------------------------------------------------------------ lexer

  /** Moves to the next token, skipping blanks, line breaks and comments. */
  private advance(): void {
    const src = this.src;
    let p = this.pos;
    let nl = false;
    this.prevLine = this.line;
    for (;;) {
      const c = src.charCodeAt(p);
      if (c === C_SPACE || c === C_TAB) p++;
      else if (c === C_LF) {
        p++;
        this.line++;
        nl = true;
      } else if (c === C_CR) {
        p++;
        if (src.charCodeAt(p) !== C_LF) this.line++;
        nl = true;
      } else if (c === C_HASH || (c === C_SLASH && src.charCodeAt(p + 1) === C_SLASH)) {
        while (p < src.length && src.charCodeAt(p) !== C_LF && src.charCodeAt(p) !== C_CR) p++;
      } else if (c === C_SLASH && src.charCodeAt(p + 1) === C_STAR) {
        const end = src.indexOf('*/', p + 2);
        if (end < 0) this.fail('unterminated /* comment', this.line);
        const lines = countLines(src, p, end);
        this.line += lines;
        if (lines > 0) nl = true;
        p = end + 2;
      } else break;
    }
    this.pos = p;
    this.start = p;
    this.tokLine = this.line;
    this.nl = nl;
    if (p >= src.length) {
      this.kind = T_EOF;
      return;
    }
    const c = src.charCodeAt(p);
    if (isIdentStart(c)) {
      this.lexIdentifier();
      return;
    }
    if (isDigit(c) || ((c === C_MINUS || c === C_DOT) && this.startsNumber(p))) {
      this.lexNumber();
      return;
    }
    switch (c) {
      case C_DQUOTE:
      case C_SQUOTE:
        this.lexString(c);
        return;
      case C_AT:
        this.lexAsset();
        return;
      case C_LT:
        this.lexPath();
        return;
    }
    if (PUNCT.has(c)) {
      this.kind = T_PUNCT;
      this.punct = c;
      this.pos = p + 1;
      return;
    }
    this.fail(`unexpected character ${quote(String.fromCodePoint(src.codePointAt(p) ?? c))}`);
  }

  private startsNumber(p: number): boolean {
    const src = this.src;
    const c = src.charCodeAt(p);
    const next = src.charCodeAt(p + 1);
    if (c === C_DOT) return isDigit(next);
    // "-": a digit, ".digit" or "inf" follows
    if (isDigit(next)) return true;
    if (next === C_DOT) return isDigit(src.charCodeAt(p + 2));
    return src.startsWith('inf', p + 1) && !isIdentChar(src.charCodeAt(p + 4));
  }

  private lexIdentifier(): void {
    const src = this.src;
    let p = this.pos + 1;
    let ascii = src.charCodeAt(this.pos) < 128;
    for (;;) {
      let c = src.charCodeAt(p);
      while (isIdentChar(c)) {
        if (c >= 128) ascii = false;
        c = src.charCodeAt(++p);
      }
      // Namespaces ("a:b") and C++ names ("a::b") continue the identifier.
      if (c !== C_COLON) break;
      const colons = src.charCodeAt(p + 1) === C_COLON ? 2 : 1;
      if (!isIdentStart(src.charCodeAt(p + colons))) break;
      p += colons;
    }
    this.kind = T_IDENT;
    this.text = src.slice(this.pos, p);
    this.pos = p;
    if (!ascii) {
      for (const part of this.text.split(':')) {
        if (part && !isIdentifier(part)) this.fail(`${quote(this.text)} is not a valid identifier`);
      }
    }
  }

  private lexNumber(): void {
    const src = this.src;
    const start = this.pos;
    let p = start;
    let negative = false;
    if (src.charCodeAt(p) === C_MINUS) {
      negative = true;
      p++;
      if (src.charCodeAt(p) === 105 /* i */) {
        this.kind = T_NUMBER;
        this.num = -Infinity;
        this.pos = p + 3;
        return;
      }
    }
    // Digits gather into an integer mantissa; with at most 15 digits and a power of ten up to 22,
    // one multiplication or division is correctly rounded (the fast path of strtod).
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let c = src.charCodeAt(p);
    while (isDigit(c)) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      c = src.charCodeAt(++p);
    }
    if (c === C_DOT) {
      c = src.charCodeAt(++p);
      while (isDigit(c)) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        scale--;
        c = src.charCodeAt(++p);
      }
    }
    if (c === 101 || c === 69) {
      let q = p + 1;
      let sign = 1;
      const s = src.charCodeAt(q);
      if (s === 43 || s === C_MINUS) {
        if (s === C_MINUS) sign = -1;
        q++;
      }
      if (isDigit(src.charCodeAt(q))) {
        let exponent = 0;
        while (isDigit(src.charCodeAt(q))) {
          if (exponent < 100000) exponent = exponent * 10 + (src.charCodeAt(q) - 48);
          q++;
        }
        scale += sign * exponent;
        p = q;
      }
    }
    let value: number;
    if (digits > 15 || scale < -22 || scale > 22) value = Number(src.slice(start, p));
    else {
      value = scale < 0 ? mantissa / POWERS_OF_TEN[-scale]! : scale > 0 ? mantissa * POWERS_OF_TEN[scale]! : mantissa;
      if (negative) value = -value;
    }
    this.kind = T_NUMBER;
    this.num = value;
    this.pos = p;
  }

  private lexString(q: number): void {
    const src = this.src;
    const p = this.pos;
    if (src.charCodeAt(p + 1) === q && src.charCodeAt(p + 2) === q) {
      // Triple-quoted: may span lines.
      let i = p + 3;
      let escapes = false;
      for (;;) {
        if (i >= src.length) this.fail(`unterminated ${q === C_DQUOTE ? '"""' : "'''"} string`);
        const c = src.charCodeAt(i);
        if (c === C_BACKSLASH) {
          escapes = true;
          i += 2;
        } else if (c === q && src.charCodeAt(i + 1) === q && src.charCodeAt(i + 2) === q) break;
        else i++;
      }
      const raw = src.slice(p + 3, i);
      this.kind = T_STRING;
      this.text = escapes ? unescape(raw) : raw;
      this.line += countLines(src, p, i);
      this.pos = i + 3;
      return;
    }
    let i = p + 1;
    let escapes = false;
    for (;;) {
      const c = src.charCodeAt(i);
      if (c === q) break;
      if (c === C_BACKSLASH) {
        escapes = true;
        const next = src.charCodeAt(i + 1);
        if (next === C_LF || next === C_CR) this.fail('unterminated string (a string in single quotes ends on its line)');
        i += 2;
      } else if (c === C_LF || c === C_CR || i >= src.length) {
        this.fail('unterminated string (a string in single quotes ends on its line)');
      } else i++;
    }
    const raw = src.slice(p + 1, i);
    this.kind = T_STRING;
    this.text = escapes ? unescape(raw) : raw;
    this.pos = i + 1;
  }

  private lexAsset(): void {
    const src = this.src;
    const p = this.pos;
    if (src.startsWith('@@@', p)) {
      let i = p + 3;
      let out = '';
      let from = i;
      for (;;) {
        const c = src.charCodeAt(i);
        if (i >= src.length || c === C_LF || c === C_CR) this.fail('unterminated @@@ asset path');
        if (c === C_BACKSLASH && src.startsWith('@@@', i + 1)) {
          out += `${src.slice(from, i)}@@@`;
          i += 4;
          from = i;
        } else if (c === C_AT && src.startsWith('@@@', i)) {
          // The longest run of "@" ends it; up to two belong to the path.
          let run = 3;
          while (src.charCodeAt(i + run) === C_AT) run++;
          if (run > 5) this.fail('too many "@" closing an @@@ asset path');
          out += src.slice(from, i) + '@'.repeat(run - 3);
          this.pos = i + run;
          break;
        } else i++;
      }
      this.kind = T_ASSET;
      this.text = out;
      return;
    }
    let i = p + 1;
    for (;;) {
      const c = src.charCodeAt(i);
      if (c === C_AT) break;
      if (i >= src.length || c === C_LF || c === C_CR) this.fail('unterminated @ asset path');
      i++;
    }
    this.kind = T_ASSET;
    this.text = src.slice(p + 1, i);
    this.pos = i + 1;
  }

  private lexPath(): void {
    const src = this.src;
    const p = this.pos;
    let i = p + 1;
    // Brackets (target paths, "</A.rel[</B>]>") may hold "<" and ">".
    let brackets = 0;
    for (;;) {
      const c = src.charCodeAt(i);
      if (i >= src.length || c === C_LF || c === C_CR) this.fail('unterminated path (expected ">")');
      if (c === C_LBRACKET) brackets++;
      else if (c === C_RBRACKET && brackets > 0) brackets--;
      else if (brackets === 0 && c === C_GT) break;
      else if (brackets === 0 && c === C_LT) this.fail('unexpected "<" inside a path');
      i++;
    }
    const raw = src.slice(p + 1, i);
    this.kind = T_PATH;
    this.text = raw.includes('\\') ? unescape(raw) : raw;
    this.pos = i + 1;
  }

  // ------------------------------------------------------------ token tests

  /** The current token is of `kind` (a method, so that checks after advance() are not narrowed away). */
  private at(kind: number): boolean {
    return this.kind === kind;
  }

  private isPunct(c: number): boolean {
    return this.kind === T_PUNCT && this.punct === c;
  }

  private isWord(word: string): boolean {
    return this.kind === T_IDENT && this.text === word;
  }

  private expectPunct(c: number, context: string): void {
    if (!this.isPunct(c)) this.expected(`"${String.fromCharCode(c)}"${context ? ` ${context}` : ''}`);
    this.advance();
  }

  /** "=" on the line of the token before, and the value starting on that line too. */
  private expectEquals(after: string): void {
    this.sameLine(`"=" after ${after}`);
    this.expectPunct(C_EQUALS, `after ${after}`);
    this.sameLine(`a value after ${after} =`);
  }

  private expectString(what: string): string {
    if (this.kind !== T_STRING) this.expected(what);
    const text = this.text;
    this.advance();
    return text;
  }

  private expectIdentifier(what: string): string {
    if (this.kind !== T_IDENT) this.expected(what);
    const text = this.text;
    this.advance();
    return text;
  }

  private expectPath(what: string): string {
    if (this.kind !== T_PATH) this.expected(what);
    const text = this.text;
    this.advance();
    return text;
  }

  /** After a statement in a prim: a line break or a ";". */
  private endStatement(after: string): void {
    if (this.isPunct(C_SEMI)) this.advance();
    else if (!this.nl && this.kind !== T_EOF) this.expected(`a new line or ";" after ${after}`);
  }

  /** After an item in (metadata) or a {dictionary}: a line break, a ";" or the closing bracket. */
  private endItem(close: number, after: string): void {
    if (this.isPunct(C_SEMI)) this.advance();
    else if (!this.nl && this.kind !== T_EOF && !this.isPunct(close)) this.expected(`a new line, ";" or "${String.fromCharCode(close)}" after ${after}`);
  }

  /** Between list items: a "," on the item's line (trailing ones allowed), or the closing bracket. */
  private listSeparator(close: number, what: string): boolean {
    if (this.isPunct(C_COMMA)) {
      this.sameLine(`"," in ${what}`);
      this.advance();
      return !this.isPunct(close);
    }
    if (!this.isPunct(close)) this.expected(`"," or "${String.fromCharCode(close)}" in ${what}`);
    return false;
  }

  // ------------------------------------------------------------ paths and list-ops

  /** A path just read, checked and made absolute against `anchor` (a prim path). */
  private absolutePath(path: string, anchor: string, what: string, rule: 'prim' | 'target'): string {
    const fail = (detail: string) => this.fail(detail, this.prevLine);
    if (!path || !PATH_SYNTAX.test(path)) fail(`<${path}> is not a valid path in ${what}`);
    // Composition reports variant selections in arcs and relocates; targets may not hold them.
    if (rule === 'target' && path.includes('{')) fail(`<${path}> in ${what} may not hold a variant selection`);
    if (!path.startsWith('/')) {
      let ups = 0;
      for (let i = 0; path.startsWith('..', i); i += 3) {
        const next = path.charCodeAt(i + 2);
        if (i + 2 < path.length && next !== C_SLASH && next !== C_DOT) break;
        ups++;
      }
      if (ups > namespaceDepth(anchor)) fail(`<${path}> in ${what} reaches above the root from <${anchor}>`);
    }
    const absolute = makeAbsolutePath(path, anchor);
    if (rule === 'prim' && (absolute === '/' || propertyNameOf(absolute) !== null)) fail(`<${path}> in ${what} is not a prim path`);
    return absolute;
  }

  /**
   * Sets one list of a list-op field as Sdf's SetItems does: switching between explicit and
   * list-editing starts afresh. An item listed twice is kept once (OpenUSD refuses the file;
   * applying the list would drop the repeat anyway).
   */
  private setListOp<T>(fields: Record<string, unknown>, key: string, op: ListOpKey, items: T[], what: string | null): void {
    if (what !== null && items.length > 1) {
      const seen = new Set<string>();
      items = items.filter((item) => {
        const k = itemKey(item);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    const old = getKey(fields, key);
    let listOp: SdfListOp<T>;
    if (isListOp<T>(old) && (op === 'explicit') === (old.explicit !== undefined)) listOp = old;
    else {
      listOp = { listOp: true };
      setKey(fields, key, listOp);
    }
    listOp[op] = items;
  }

  /** A list-op of paths; None and [] only set a list outright. */
  private setPathListOp(fields: Record<string, unknown>, key: string, op: ListOpKey, items: string[], what: string): void {
    if (!items.length && op !== 'explicit') this.fail(`None or [] only sets ${what} outright, it cannot be used with "${PREFIX_WORD[op]}"`, this.prevLine);
    this.setListOp(fields, key, op, items, what);
  }

  // ------------------------------------------------------------ layer

  parseLayer(): SdfSpecs {
    const src = this.src;
    const start = src.charCodeAt(0) === 0xfeff ? 1 : 0;
    if (!/^#(usda|sdf)[ \t]+\S/.test(src.slice(start, start + 16))) this.fail(`not a USDA layer: expected '#usda 1.0'`, 1);
    let p = start;
    while (p < src.length && src.charCodeAt(p) !== C_LF && src.charCodeAt(p) !== C_CR) p++;
    this.pos = p;
    this.advance();

    const root: SdfSpec = { specType: SPEC_TYPE.pseudoRoot, fields: { primChildren: [] } };
    this.specs.set('/', root);
    if (this.isPunct(C_LPAREN)) this.parseMetadata(root.fields, '/', 'layer', 'the layer');
    while (this.kind !== T_EOF) {
      if (this.isWord('def') || this.isWord('over') || this.isWord('class')) this.parsePrim('/', root);
      else if (this.isWord('reorder')) {
        this.advance();
        this.sameLine('"rootPrims" after "reorder"');
        if (!this.isWord('rootPrims')) this.expected('"rootPrims" after "reorder"');
        this.advance();
        this.expectEquals('"reorder rootPrims"');
        root.fields['primOrder'] = this.parseNameList('reorder rootPrims', false);
      } else this.expected('"def", "over" or "class"');
      this.endStatement('a root prim');
    }
    return this.specs;
  }

  // ------------------------------------------------------------ prims

  /** `def|over|class [Type] "name" (metadata) { body }`, the specifier current. */
  private parsePrim(parent: string, parentSpec: SdfSpec): void {
    this.enter();
    const specifier = this.text;
    this.advance();
    let typeName: string | undefined;
    if (this.kind === T_IDENT) {
      this.sameLine(`a type or prim name after "${specifier}"`);
      typeName = this.text;
      this.advance();
      while (this.isPunct(C_DOT)) {
        this.advance();
        typeName += `.${this.expectIdentifier(`a type name after "${typeName}."`)}`;
      }
    }
    this.sameLine(`the prim name after "${specifier}${typeName ? ` ${typeName}` : ''}"`);
    if (this.kind !== T_STRING) this.expected(`a prim name in quotes after "${specifier}${typeName ? ` ${typeName}` : ''}"`);
    const name = this.text;
    if (!isIdentifier(name)) this.fail(`${quote(name)} is not a valid prim name`);
    const path = childPath(parent, name);
    if (this.specs.has(path)) this.fail(`duplicate prim "${path}"`);
    this.advance();
    const fields: Record<string, unknown> = { specifier };
    if (typeName !== undefined) fields['typeName'] = typeName;
    const spec: SdfSpec = { specType: SPEC_TYPE.prim, fields };
    this.specs.set(path, spec);
    pushName(parentSpec.fields, 'primChildren', name);
    if (this.isPunct(C_LPAREN)) this.parseMetadata(fields, path, 'prim', `prim "${path}"`);
    this.expectPunct(C_LBRACE, `to open prim "${path}"`);
    this.parsePrimBody(path, spec, `prim "${path}"`);
    this.leave();
  }

  /** Properties, child prims, variant sets and reorder statements, up to and past the "}". */
  private parsePrimBody(path: string, spec: SdfSpec, what: string): void {
    for (;;) {
      if (this.isPunct(C_RBRACE)) {
        this.advance();
        return;
      }
      if (this.kind !== T_IDENT) this.expected(`"}" to close ${what}`);
      const word = this.text;
      let after = 'a property';
      if (word === 'def' || word === 'over' || word === 'class') {
        this.parsePrim(path, spec);
        after = 'a prim';
      } else if (word === 'variantSet') {
        this.parseVariantSet(path, spec);
        after = 'a variantSet';
      } else if (word === 'reorder') {
        this.advance();
        this.sameLine('what to reorder');
        if (this.isWord('nameChildren') || this.isWord('properties')) {
          const which = this.text;
          this.advance();
          this.expectEquals(`"reorder ${which}"`);
          spec.fields[which === 'nameChildren' ? 'primOrder' : 'propertyOrder'] = this.parseNameList(`reorder ${which}`, false);
          after = `"reorder ${which}"`;
        } else this.parseProperty(path, spec, 'ordered');
      } else {
        const op = listOpPrefix(word);
        if (op) {
          this.advance();
          this.sameLine(`a property after "${word}"`);
        }
        this.parseProperty(path, spec, op);
      }
      if (this.at(T_EOF)) this.expected(`"}" to close ${what}`);
      // Lenient where OpenUSD is strict: the last statement of a body may end on the "}" that
      // closes it (`def Sphere "S" { double radius = 1 }`), as hand-written files often do.
      if (!this.isPunct(C_RBRACE)) this.endStatement(after);
    }
  }

  /** `variantSet "name" = { "variant" (metadata) { body } ... }` */
  private parseVariantSet(primPath: string, primSpec: SdfSpec): void {
    this.enter();
    this.advance();
    this.sameLine('a variant set name after "variantSet"');
    const setName = this.expectString('a variant set name in quotes after "variantSet"');
    if (!isVariantSetName(setName)) this.fail(`${quote(setName)} is not a valid variant set name`, this.prevLine);
    this.sameLine(`"=" after variantSet ${quote(setName)}`);
    this.expectPunct(C_EQUALS, `after variantSet ${quote(setName)}`);
    this.expectPunct(C_LBRACE, `to open variantSet ${quote(setName)}`);
    const setPath = variantSetPath(primPath, setName);
    let setSpec = this.specs.get(setPath);
    if (!setSpec) {
      setSpec = { specType: SPEC_TYPE.variantSet, fields: { variantChildren: [] } };
      this.specs.set(setPath, setSpec);
      pushName(primSpec.fields, 'variantSetChildren', setName);
    }
    const children = setSpec.fields['variantChildren'] as string[];
    if (this.isPunct(C_RBRACE)) this.expected(`a variant name in variantSet ${quote(setName)}`);
    while (!this.isPunct(C_RBRACE)) {
      const name = this.expectString(`a variant name in quotes or "}" to close variantSet ${quote(setName)}`);
      if (!isVariantName(name)) this.fail(`${quote(name)} is not a valid variant name`, this.prevLine);
      const path = variantPath(primPath, setName, name);
      let spec = this.specs.get(path);
      if (!spec) {
        spec = { specType: SPEC_TYPE.variant, fields: {} };
        this.specs.set(path, spec);
        children.push(name);
      }
      const what = `variant "${path}"`;
      if (this.isPunct(C_LPAREN)) this.parseMetadata(spec.fields, path, 'prim', what);
      this.expectPunct(C_LBRACE, `to open ${what}`);
      this.parsePrimBody(path, spec, what);
    }
    this.advance();
    this.leave();
  }

  // ------------------------------------------------------------ properties

  /** An attribute or relationship statement; `op` is its list-op prefix, already read. */
  private parseProperty(primPath: string, primSpec: SdfSpec, op: ListOpKey | undefined): void {
    let custom = false;
    let uniform = false;
    if (this.isWord('custom')) {
      custom = true;
      this.advance();
      this.sameLine('a property type after "custom"');
    }
    if (this.isWord('uniform') || this.isWord('config') || this.isWord('varying')) {
      uniform = this.text !== 'varying';
      this.advance();
      this.sameLine('a property type');
    }
    if (this.kind !== T_IDENT) this.expected(`a property type or "rel"`);
    if (this.isWord('rel')) {
      this.advance();
      this.parseRelationship(primPath, primSpec, op, custom, uniform);
      return;
    }
    let typeName = this.text;
    this.advance();
    let isArray = false;
    if (this.isPunct(C_LBRACKET) && !this.nl) {
      this.advance();
      this.expectPunct(C_RBRACKET, `after "${typeName}["`);
      isArray = true;
      typeName += '[]';
    }
    this.sameLine(`an attribute name after "${typeName}"`);
    const name = this.propertyName(`an attribute name after "${typeName}"`);
    const path = propertyPath(primPath, name);
    const [fields, isNew] = this.propertySpec(path, primSpec, name, SPEC_TYPE.attribute);
    const oldType = fields['typeName'];
    if (oldType === undefined) fields['typeName'] = typeName;
    else if (oldType !== typeName) this.fail(`attribute "${path}" already has type "${String(oldType)}", cannot change to "${typeName}"`, this.prevLine);
    if (!isNew && (fields['variability'] === 'uniform') !== uniform) {
      this.fail(`attribute "${path}" is already ${uniform ? 'varying' : 'uniform'}, cannot change to ${uniform ? 'uniform' : 'varying'}`, this.prevLine);
    }
    if (custom) fields['custom'] = true;
    if (uniform) fields['variability'] = 'uniform';
    const baseType = isArray ? typeName.slice(0, -2) : typeName;

    if (this.isPunct(C_DOT) && !this.nl) {
      this.advance();
      this.sameLine(`"connect", "timeSamples" or "spline" after "${name}."`);
      const member = this.expectIdentifier(`"connect", "timeSamples" or "spline" after "${name}."`);
      if (op && member !== 'connect') this.fail(`"${PREFIX_WORD[op]}" only applies to "${name}.connect", not "${name}.${member}"`);
      this.expectEquals(`"${name}.${member}"`);
      if (member === 'connect') {
        const what = `the connections of "${path}"`;
        this.setPathListOp(fields, 'connectionPaths', op ?? 'explicit', this.parsePathList(primPath, what, false), what);
      } else if (member === 'timeSamples') {
        fields['timeSamples'] = this.parseTimeSamples(baseType, isArray, path);
      } else if (member === 'spline') {
        if (!this.isPunct(C_LBRACE)) this.expected(`"{" to open the spline of "${path}"`);
        this.skipBlock();
      } else if (member === 'default') {
        fields['default'] = this.parseAttributeValue(baseType, isArray, path);
      } else this.fail(`expected "connect", "timeSamples" or "spline" after "${name}.", found ${quote(member)}`);
      return;
    }
    if (op) this.expected(`".connect" after "${PREFIX_WORD[op]} ${typeName} ${name}"`);
    if (this.isPunct(C_EQUALS) && !this.nl) {
      this.advance();
      this.sameLine(`a value after "${name} ="`);
      fields['default'] = this.parseAttributeValue(baseType, isArray, path);
    }
    if (this.isPunct(C_LPAREN) && !this.nl) this.parseMetadata(fields, primPath, 'property', `attribute "${path}"`);
  }

  private parseRelationship(primPath: string, primSpec: SdfSpec, op: ListOpKey | undefined, custom: boolean, uniform: boolean): void {
    this.sameLine('a relationship name after "rel"');
    const name = this.propertyName('a relationship name after "rel"');
    const path = propertyPath(primPath, name);
    const [fields] = this.propertySpec(path, primSpec, name, SPEC_TYPE.relationship);
    if (custom) fields['custom'] = true;
    if (uniform) fields['variability'] = 'uniform';
    const what = `the targets of "${path}"`;
    if (this.isPunct(C_DOT) && !this.nl) {
      this.advance();
      this.sameLine(`"default" or "timeSamples" after "${name}."`);
      const member = this.expectIdentifier(`"default" or "timeSamples" after "${name}."`);
      if (op) this.fail(`"${PREFIX_WORD[op]}" does not apply to "${name}.${member}"`);
      this.expectEquals(`"${name}.${member}"`);
      if (member === 'default') fields['default'] = this.absolutePath(this.expectPath(`a path for "${name}.default"`), primPath, `"${path}"`, 'target');
      else if (member === 'timeSamples') fields['timeSamples'] = this.parseTimeSamples('', false, path);
      else this.fail(`expected "default" or "timeSamples" after "${name}.", found ${quote(member)}`);
      return;
    }
    if (this.isPunct(C_LBRACKET) && !this.nl) {
      // `rel r[</Target>] { relational attributes }`, from old files: declares a target only.
      if (op) this.expected(`"=" after "${PREFIX_WORD[op]} rel ${name}"`);
      this.advance();
      this.absolutePath(this.expectPath(`a target path after "${name}["`), primPath, what, 'target');
      this.expectPunct(C_RBRACKET, `after the target of "${name}["`);
      if (this.isPunct(C_LBRACE)) this.skipBlock();
      return;
    }
    if (this.isPunct(C_EQUALS) && !this.nl) {
      this.advance();
      this.sameLine(`targets after "${name} ="`);
      const blocksAllowed = op !== 'deleted' && op !== 'ordered';
      this.setPathListOp(fields, 'targetPaths', op ?? 'explicit', this.parsePathList(primPath, what, blocksAllowed), what);
    } else if (op) this.expected(`"=" after "${PREFIX_WORD[op]} rel ${name}"`);
    if (!op && this.isPunct(C_LPAREN) && !this.nl) this.parseMetadata(fields, primPath, 'property', `relationship "${path}"`);
  }

  private propertyName(what: string): string {
    if (this.kind !== T_IDENT) this.expected(what);
    const name = this.text;
    if (name.includes('::')) this.fail(`${quote(name)} is not a valid property name`);
    this.advance();
    return name;
  }

  /** The fields of a property's spec, created (and listed on its prim) the first time it is named. */
  private propertySpec(path: string, primSpec: SdfSpec, name: string, specType: number): [Record<string, unknown>, boolean] {
    const spec = this.specs.get(path);
    if (spec) {
      if (spec.specType !== specType) this.fail(`"${path}" is already ${spec.specType === SPEC_TYPE.relationship ? 'a relationship' : 'an attribute'}`, this.prevLine);
      return [spec.fields, false];
    }
    const fields: Record<string, unknown> = {};
    this.specs.set(path, { specType, fields });
    pushName(primSpec.fields, 'properties', name);
    return [fields, true];
  }

  /**
   * `None`, `</p>` or `[</p>, ...]`, made absolute against the prim. Old files' relational attributes
   * (`</p> { ... }`) are skipped where `blocksAllowed`.
   */
  private parsePathList(anchor: string, what: string, blocksAllowed: boolean): string[] {
    const skipBlock = () => {
      if (!this.isPunct(C_LBRACE) || this.nl) return;
      if (!blocksAllowed) this.fail(`relational attributes are not allowed in ${what} when deleting or reordering`);
      this.skipBlock();
    };
    if (this.isWord('None')) {
      this.advance();
      return [];
    }
    if (this.kind === T_PATH) {
      const path = this.absolutePath(this.expectPath(what), anchor, what, 'target');
      skipBlock();
      return [path];
    }
    if (!this.isPunct(C_LBRACKET)) this.expected(`a path, a [list] of paths or None for ${what}`);
    this.advance();
    const out: string[] = [];
    while (!this.isPunct(C_RBRACKET)) {
      out.push(this.absolutePath(this.expectPath(`a path or "]" in ${what}`), anchor, what, 'target'));
      skipBlock();
      if (!this.listSeparator(C_RBRACKET, what)) break;
    }
    this.advance();
    return out;
  }

  private parseTimeSamples(baseType: string, isArray: boolean, path: string): TimeSamples {
    const what = `the time samples of "${path}"`;
    this.enter();
    this.expectPunct(C_LBRACE, `to open ${what}`);
    const times: number[] = [];
    const values: unknown[] = [];
    let sorted = true;
    while (!this.isPunct(C_RBRACE)) {
      const time = this.parseNumberAtom(`a time or "}" in ${what}`);
      this.sameLine(`":" after time ${time}`);
      this.expectPunct(C_COLON, `after time ${time} in ${what}`);
      this.sameLine(`a value after time ${time}:`);
      const value = this.parseAttributeValue(baseType, isArray, path);
      if (times.length && !(time > times[times.length - 1]!)) sorted = false;
      times.push(time);
      values.push(value);
      if (!this.listSeparator(C_RBRACE, what)) break;
    }
    this.advance();
    this.leave();
    if (sorted) return { times, values };
    // Out of order or repeated: sorted by time, the last sample written at a time winning.
    const byTime = new Map<number, unknown>();
    times.forEach((time, i) => byTime.set(time, values[i]));
    const order = [...byTime.keys()].sort((a, b) => a - b);
    return { times: order, values: order.map((time) => byTime.get(time)) };
  }

  /** An attribute's value: `None` (a block) or a value of its type. */
  private parseAttributeValue(baseType: string, isArray: boolean, path: string): unknown {
    if (this.isWord('None')) {
      this.advance();
      return VALUE_BLOCK;
    }
    if (!baseType) return this.parseGenericValue();
    return this.parseTypedValue(baseType, isArray, `"${path}"`);
  }

  // ------------------------------------------------------------ metadata

  /** `( "doc" ; key = value ; prepend key = [...] ... )`, the "(" current. */
  private parseMetadata(fields: Record<string, unknown>, anchor: string, owner: 'layer' | 'prim' | 'property', what: string): void {
    this.enter();
    this.advance();
    for (;;) {
      if (this.isPunct(C_RPAREN)) {
        this.advance();
        break;
      }
      let after = 'the documentation string';
      if (this.kind === T_STRING) {
        fields['documentation'] = this.text;
        this.advance();
      } else if (this.kind === T_IDENT) {
        after = `metadata "${this.parseMetadataItem(fields, anchor, owner, what)}"`;
      } else this.expected(`metadata or ")" to close the metadata of ${what}`);
      if (this.at(T_EOF)) this.expected(`")" to close the metadata of ${what}`);
      this.endItem(C_RPAREN, after);
    }
    this.leave();
  }

  /** One `[prefix] key = value`; returns the key. */
  private parseMetadataItem(fields: Record<string, unknown>, anchor: string, owner: 'layer' | 'prim' | 'property', what: string): string {
    const op = listOpPrefix(this.text);
    if (op) {
      this.advance();
      this.sameLine(`a metadata name after "${PREFIX_WORD[op]}"`);
    }
    const key = this.expectIdentifier(op ? `a metadata name after "${PREFIX_WORD[op]}"` : 'a metadata name');
    this.sameLine(`"=" after metadata "${key}"`);
    this.expectPunct(C_EQUALS, `after metadata "${key}"`);
    if (key === 'symmetryFunction' && (this.nl || this.isPunct(C_SEMI) || this.isPunct(C_RPAREN) || this.at(T_EOF))) {
      // `symmetryFunction =` with nothing after it clears the function.
      if (op) this.fail(`metadata "${key}" cannot be list-edited with "${PREFIX_WORD[op]}"`);
      fields[key] = '';
      return key;
    }
    this.sameLine(`a value for metadata "${key}"`);
    const noListOp = () => {
      if (op) this.fail(`metadata "${key}" cannot be list-edited with "${PREFIX_WORD[op]}"`);
    };
    const where = `"${key}" of ${what}`;
    if (op === 'ordered' && owner === 'prim' && (key === 'nameChildren' || key === 'properties')) {
      // Lenient: older Simloop exports wrote `reorder nameChildren` among a prim's metadata; it
      // belongs in the body, where it means the same.
      fields[key === 'nameChildren' ? 'primOrder' : 'propertyOrder'] = this.parseNameList(`reorder ${key}`, false);
      return key;
    }
    switch (key) {
      case 'doc':
        noListOp();
        fields['documentation'] = this.expectString(`a string for "doc"`);
        return key;
      case 'kind':
        noListOp();
        fields['kind'] = this.expectString(`a string for "kind"`);
        return key;
      case 'permission':
      case 'symmetryFunction':
      case 'displayUnit': {
        noListOp();
        if (this.kind !== T_IDENT && this.kind !== T_STRING) this.expected(`a name for "${key}"`);
        const value = this.text;
        if (key === 'permission' && value !== 'public' && value !== 'private') this.fail(`${quote(value)} is not a permission (expected public or private)`);
        fields[key] = value;
        this.advance();
        return key;
      }
      case 'subLayers':
        if (owner !== 'layer') break;
        noListOp();
        this.parseSubLayers(fields);
        return key;
      case 'relocates': {
        noListOp();
        const pairs = this.parseRelocates(owner === 'layer' ? '/' : anchor);
        const field = owner === 'layer' ? 'layerRelocates' : 'relocates';
        const old = fields[field];
        fields[field] = Array.isArray(old) ? [...(old as [string, string][]), ...pairs] : pairs;
        return key;
      }
      case 'prefixSubstitutions':
      case 'suffixSubstitutions':
        noListOp();
        fields[key] = this.parseStringDictionary(key);
        return key;
    }
    if (owner === 'prim') {
      switch (key) {
        case 'references':
        case 'payload': {
          const refs = this.parseReferences(key, anchor);
          if (!refs.length && op && op !== 'explicit') this.fail(`None or [] only sets ${key} outright, it cannot be used with "${PREFIX_WORD[op]}"`, this.prevLine);
          this.setListOp(fields, key, op ?? 'explicit', refs, where);
          return key;
        }
        case 'inherits':
        case 'specializes': {
          const paths = this.parsePrimPathList(anchor, where);
          this.setPathListOp(fields, key === 'inherits' ? 'inheritPaths' : 'specializes', op ?? 'explicit', paths, where);
          return key;
        }
        case 'variantSets': {
          const names = this.parseNameList('variantSets', true);
          for (const name of names) if (!isVariantSetName(name)) this.fail(`${quote(name)} is not a valid variant set name`, this.prevLine);
          this.setListOp(fields, 'variantSetNames', op ?? 'explicit', names, where);
          return key;
        }
        case 'variants': {
          noListOp();
          const selections = this.parseDictionary('"variants"');
          const old = fields['variantSelection'];
          const merged: Record<string, string> = old && typeof old === 'object' ? (old as Record<string, string>) : {};
          for (const [set, selection] of Object.entries(selections)) {
            if (typeof selection !== 'string') this.fail(`the selection for variant set ${quote(set)} must be a string`, this.prevLine);
            if (!isVariantSetName(set)) this.fail(`${quote(set)} is not a valid variant set name`, this.prevLine);
            if (!isVariantName(selection) && !/^`.*`$/s.test(selection)) this.fail(`${quote(selection)} is not a valid variant selection for ${quote(set)}`, this.prevLine);
            setKey(merged, set, selection);
          }
          fields['variantSelection'] = merged;
          return key;
        }
      }
    }
    // Any other metadata: a dictionary, a value, or a list-op of values.
    if (op || LIST_OP_FIELDS.has(key)) {
      let items: unknown[];
      if (this.isWord('None')) {
        this.advance();
        items = [];
      } else {
        const value = this.parseGenericValue();
        items = Array.isArray(value) ? value : [value];
      }
      // Sdf checks the list-ops it knows for repeats; other metadata it keeps as text.
      this.setListOp(fields, key, op ?? 'explicit', items, LIST_OP_FIELDS.has(key) ? where : null);
      return key;
    }
    const expected = FIELD_KINDS.get(key);
    let value: unknown;
    if (this.isWord('None')) {
      if (expected) this.fail(`None is not a value for "${key}"`);
      this.advance();
      value = VALUE_BLOCK;
    } else if (this.isPunct(C_LBRACE)) value = this.parseDictionary(`"${key}"`);
    else value = this.parseGenericValue();
    if (expected) value = this.checkField(key, expected, value);
    setKey(fields, key, value);
    return key;
  }

  /** A value of Sdf's own metadata, checked against (and for bools, read as) the field's kind. */
  private checkField(key: string, kind: FieldKind, value: unknown): unknown {
    let checked: unknown;
    switch (kind) {
      case 'dictionary':
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) checked = value;
        break;
      case 'string':
        if (typeof value === 'string') checked = value;
        break;
      case 'number':
        if (typeof value === 'number') checked = value;
        break;
      case 'strings':
        if (Array.isArray(value) && value.every((item) => typeof item === 'string')) checked = value;
        break;
      case 'bool':
        if (typeof value === 'boolean') checked = value;
        else if (typeof value === 'number') checked = value !== 0;
        else if (typeof value === 'string') checked = boolFromWord(value);
        break;
    }
    if (checked === undefined) {
      const article = kind === 'dictionary' ? 'a dictionary' : kind === 'strings' ? 'a list of strings' : kind === 'bool' ? 'true or false' : `a ${kind}`;
      this.fail(`metadata "${key}" must be ${article}`, this.prevLine);
    }
    return checked;
  }

  /** `[ @a.usda@ (offset = 1; scale = 2), @b.usda@ ]` */
  private parseSubLayers(fields: Record<string, unknown>): void {
    this.expectPunct(C_LBRACKET, 'to open "subLayers"');
    const layers: string[] = [];
    const offsets: LayerOffset[] = [];
    while (!this.isPunct(C_RBRACKET)) {
      if (this.kind !== T_ASSET) this.expected('an @asset path@ or "]" in "subLayers"');
      layers.push(this.text);
      this.advance();
      const offset: LayerOffset = { offset: 0, scale: 1 };
      if (this.isPunct(C_LPAREN) && !this.nl) this.parseLayerOffset(offset, null, 'a sublayer');
      offsets.push(offset);
      if (!this.listSeparator(C_RBRACKET, '"subLayers"')) break;
    }
    this.advance();
    fields['subLayers'] = layers;
    fields['subLayerOffsets'] = offsets;
  }

  /** `( offset = 1; scale = 2; customData = {...} )`, the "(" current. */
  private parseLayerOffset(offset: LayerOffset, ref: SdfReference | null, what: string): void {
    this.enter();
    this.advance();
    while (!this.isPunct(C_RPAREN)) {
      const key = this.expectIdentifier(`"offset", "scale"${ref ? ', "customData"' : ''} or ")" for ${what}`);
      this.expectEquals(`"${key}"`);
      if (key === 'offset' || key === 'scale') {
        if (this.kind !== T_NUMBER) this.expected(`a number for "${key}"`);
        offset[key] = this.num;
        this.advance();
      } else if (key === 'customData' && ref) {
        ref.customData = this.parseDictionary('"customData"');
      } else this.fail(`expected "offset", "scale"${ref ? ' or "customData"' : ''} for ${what}, found ${quote(key)}`);
      if (this.at(T_EOF)) this.expected(`")" to close the offset of ${what}`);
      this.endItem(C_RPAREN, `"${key}"`);
    }
    this.advance();
    this.leave();
  }

  /** `None`, one item, or a [list] of `@asset@</Prim> (offset = 1)` and `</Prim>` items. */
  private parseReferences(key: string, anchor: string): SdfReference[] {
    if (this.isWord('None')) {
      this.advance();
      return [];
    }
    if (!this.isPunct(C_LBRACKET)) return [this.parseReference(key, anchor)];
    this.advance();
    const out: SdfReference[] = [];
    while (!this.isPunct(C_RBRACKET)) {
      out.push(this.parseReference(key, anchor));
      if (!this.listSeparator(C_RBRACKET, `"${key}"`)) break;
    }
    this.advance();
    return out;
  }

  private parseReference(key: string, anchor: string): SdfReference {
    const ref: SdfReference = { assetPath: '', primPath: '' };
    const checkPrimPath = (path: string) => {
      // Checked as a prim path; kept as written.
      if (path) this.absolutePath(path, path.startsWith('/') ? '/' : anchor, `"${key}"`, 'prim');
      return path;
    };
    if (this.kind === T_ASSET) {
      if (!this.text) this.fail(`empty asset path @@ in "${key}" (an internal reference is written </Prim>, without @s)`);
      ref.assetPath = this.text;
      this.advance();
      if (this.at(T_PATH) && !this.nl) ref.primPath = checkPrimPath(this.expectPath(`"${key}"`));
    } else if (this.kind === T_PATH) {
      ref.primPath = checkPrimPath(this.expectPath(`"${key}"`));
    } else this.expected(`an @asset path@ or a </prim path> in "${key}"`);
    if (this.isPunct(C_LPAREN) && !this.nl) {
      const offset: LayerOffset = { offset: 0, scale: 1 };
      this.parseLayerOffset(offset, ref, `a ${key === 'payload' ? 'payload' : 'reference'}`);
      if (offset.offset !== 0 || offset.scale !== 1) ref.layerOffset = offset;
    }
    return ref;
  }

  /** `None`, `</A>` or `[</A>, </B>]` of prim paths (inherits, specializes), made absolute. */
  private parsePrimPathList(anchor: string, what: string): string[] {
    if (this.isWord('None')) {
      this.advance();
      return [];
    }
    if (this.kind === T_PATH) return [this.absolutePath(this.expectPath(what), anchor, what, 'prim')];
    if (!this.isPunct(C_LBRACKET)) this.expected(`a </path>, a [list] of paths or None for ${what}`);
    this.advance();
    const out: string[] = [];
    while (!this.isPunct(C_RBRACKET)) {
      out.push(this.absolutePath(this.expectPath(`a </path> or "]" in ${what}`), anchor, what, 'prim'));
      if (!this.listSeparator(C_RBRACKET, what)) break;
    }
    this.advance();
    return out;
  }

  /** `{ </a>: </b>, ... }`, paths made absolute against `anchor`; an empty target stays "". */
  private parseRelocates(anchor: string): [string, string][] {
    this.enter();
    this.expectPunct(C_LBRACE, 'to open "relocates"');
    const pairs: [string, string][] = [];
    while (!this.isPunct(C_RBRACE)) {
      const source = this.absolutePath(this.expectPath('a </source path> or "}" in "relocates"'), anchor, '"relocates"', 'prim');
      this.sameLine('":" after a relocates source');
      this.expectPunct(C_COLON, 'after a relocates source');
      this.sameLine('the target after a relocates source');
      const target = this.expectPath('a </target path> in "relocates"');
      pairs.push([source, target ? this.absolutePath(target, anchor, '"relocates"', 'prim') : '']);
      if (!this.listSeparator(C_RBRACE, '"relocates"')) break;
    }
    this.advance();
    this.leave();
    return pairs;
  }

  /** `{ "from": "to", ... }` */
  private parseStringDictionary(key: string): Record<string, string> {
    this.expectPunct(C_LBRACE, `to open "${key}"`);
    const out: Record<string, string> = {};
    while (!this.isPunct(C_RBRACE)) {
      const from = this.expectString(`a string or "}" in "${key}"`);
      this.sameLine(`":" after ${quote(from)}`);
      this.expectPunct(C_COLON, `after ${quote(from)} in "${key}"`);
      this.sameLine(`a string after ${quote(from)}:`);
      setKey(out, from, this.expectString(`a string after ${quote(from)}: in "${key}"`));
      if (!this.listSeparator(C_RBRACE, `"${key}"`)) break;
    }
    this.advance();
    return out;
  }

  /** `"a"` or `["a", "b"]` (None or [] give [] where `allowEmpty`). */
  private parseNameList(what: string, allowEmpty: boolean): string[] {
    if (allowEmpty && this.isWord('None')) {
      this.advance();
      return [];
    }
    if (this.kind === T_STRING) {
      const name = this.text;
      this.advance();
      return [name];
    }
    if (!this.isPunct(C_LBRACKET)) this.expected(`a string or a [list] of strings for "${what}"`);
    this.advance();
    const out: string[] = [];
    while (!this.isPunct(C_RBRACKET)) {
      out.push(this.expectString(`a string or "]" in "${what}"`));
      if (!this.listSeparator(C_RBRACKET, `"${what}"`)) break;
    }
    if (!out.length && !allowEmpty) this.expected(`at least one name in "${what}"`);
    this.advance();
    return out;
  }

  // ------------------------------------------------------------ values

  /** `{ type name = value; dictionary name = { ... } }` */
  private parseDictionary(what: string): Record<string, unknown> {
    this.enter();
    this.expectPunct(C_LBRACE, `to open the dictionary ${what}`);
    const out: Record<string, unknown> = {};
    while (!this.isPunct(C_RBRACE)) {
      const type = this.expectIdentifier(`a value type or "}" in the dictionary ${what}`);
      let isArray = false;
      if (this.isPunct(C_LBRACKET) && !this.nl) {
        this.advance();
        this.expectPunct(C_RBRACKET, `after "${type}["`);
        isArray = true;
      }
      this.sameLine(`a key after "${type}${isArray ? '[]' : ''}"`);
      let key: string;
      if (this.kind === T_STRING || this.kind === T_IDENT) {
        key = this.text;
        this.advance();
      } else this.expected(`a key after "${type}${isArray ? '[]' : ''}" in the dictionary ${what}`);
      this.expectEquals(`key ${quote(key)}`);
      const value = type === 'dictionary' && !isArray ? this.parseDictionary(quote(key)) : this.parseTypedValue(type, isArray, quote(key));
      setKey(out, key, value);
      if (this.at(T_EOF)) this.expected(`"}" to close the dictionary ${what}`);
      this.endItem(C_RBRACE, `entry ${quote(key)}`);
    }
    this.advance();
    this.leave();
    return out;
  }

  /** A value of a declared type, following sdf.ts's conventions. */
  private parseTypedValue(baseType: string, isArray: boolean, what: string): unknown {
    const type = VALUE_TYPES.get(baseType);
    if (!type) return this.parseGenericValue();
    const typeName = isArray ? `${baseType}[]` : baseType;
    if (type.kind === 'opaque') this.fail(`${what} is opaque and cannot have a value`);
    if (type.kind === 'dictionary' && !isArray) return this.parseDictionary(what);
    if (!isArray) {
      if (this.isPunct(C_LBRACKET)) this.expected(`a ${typeName} value for ${what} (not a list)`);
      return this.parseTypedItem(type, typeName, what);
    }
    if (!this.isPunct(C_LBRACKET)) this.expected(`"[" to open the ${typeName} value of ${what}`);
    this.enter();
    this.advance();
    let out: unknown[];
    if (type.kind === 'float' || type.kind === 'int') {
      // The hot path: meshes' points and indices.
      const numbers: number[] = [];
      const dims = type.dims;
      const context = `the ${typeName} value of ${what}`;
      while (!this.isPunct(C_RBRACKET)) {
        const at = numbers.length;
        if (dims.length === 0) numbers.push(this.parseNumberAtom(`a number or "]" in ${context}`));
        else {
          this.parseTuple(numbers, dims, 0, typeName, what);
          if (type.quat) reorderQuat(numbers, at);
        }
        if (type.kind === 'int') this.checkIntegers(numbers, at, type, typeName, what);
        if (this.kind !== T_PUNCT || this.punct !== C_COMMA || this.nl) {
          if (!this.listSeparator(C_RBRACKET, context)) break;
        } else {
          this.advance();
        }
      }
      out = numbers;
    } else {
      out = [];
      while (!this.isPunct(C_RBRACKET)) {
        out.push(this.parseTypedItem(type, typeName, what));
        if (!this.listSeparator(C_RBRACKET, `the ${typeName} value of ${what}`)) break;
      }
    }
    this.advance();
    this.leave();
    return out;
  }

  /** One scalar or tuple of a type (an array's item, or a whole non-array value). */
  private parseTypedItem(type: ValueType, typeName: string, what: string): unknown {
    switch (type.kind) {
      case 'float':
      case 'int': {
        const out: number[] = [];
        if (type.dims.length === 0) out.push(this.parseNumberAtom(`a number for ${what} (${typeName})`));
        else this.parseTuple(out, type.dims, 0, typeName, what);
        if (type.quat) reorderQuat(out, 0);
        if (type.kind === 'int') this.checkIntegers(out, 0, type, typeName, what);
        return type.dims.length === 0 ? out[0] : out;
      }
      case 'bool': {
        if (this.kind === T_NUMBER) {
          const value = this.num !== 0;
          this.advance();
          return value;
        }
        const value = this.kind === T_IDENT || this.kind === T_STRING ? boolFromWord(this.text) : undefined;
        if (value === undefined) this.expected(`true, false, 1 or 0 for ${what} (${typeName})`);
        this.advance();
        return value;
      }
      case 'string': {
        // As in OpenUSD, any text literal will do: "a string", @an asset@, a <path>, a word.
        if (this.kind !== T_STRING && this.kind !== T_ASSET && this.kind !== T_PATH && this.kind !== T_IDENT) {
          this.expected(`${typeName === 'asset' ? 'an @asset path@' : 'a string in quotes'} for ${what} (${typeName})`);
        }
        const text = this.text;
        this.advance();
        return text;
      }
      default:
        return this.parseGenericValue();
    }
  }

  /** Integer types take finite numbers in their range (from `from` on, just read), truncated toward zero. */
  private checkIntegers(numbers: number[], from: number, type: ValueType, typeName: string, what: string): void {
    for (let i = from; i < numbers.length; i++) {
      const n = numbers[i]!;
      if (!(n >= type.min && n <= type.max)) this.fail(`${n} is not a ${typeName} value, for ${what}`, this.prevLine);
      if (!Number.isInteger(n)) numbers[i] = Math.trunc(n);
    }
  }

  /** `(a, b, c)` of shape dims[level...], numbers appended to `out`. */
  private parseTuple(out: number[], dims: readonly number[], level: number, typeName: string, what: string): void {
    const count = dims[level]!;
    if (!this.isPunct(C_LPAREN)) this.expected(`"(" to open a tuple of ${count} for ${what} (${typeName})`);
    this.advance();
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        if (!this.isPunct(C_COMMA)) this.expected(`"," and ${count} values in a tuple for ${what} (${typeName})`);
        this.sameLine(`"," in a tuple for ${what}`);
        this.advance();
      }
      if (level + 1 < dims.length) this.parseTuple(out, dims, level + 1, typeName, what);
      else out.push(this.parseNumberAtom(`a number in a tuple for ${what} (${typeName})`));
    }
    if (this.isPunct(C_COMMA)) {
      this.sameLine(`"," in a tuple for ${what}`);
      this.advance();
    }
    if (!this.isPunct(C_RPAREN)) this.expected(`")" after ${count} values in a tuple for ${what} (${typeName})`);
    this.advance();
  }

  /** A number, or `inf`, `-inf`, `nan`. */
  private parseNumberAtom(what: string): number {
    if (this.kind === T_NUMBER) {
      const value = this.num;
      this.advance();
      return value;
    }
    if (this.kind === T_IDENT) {
      const word = this.text;
      if (word === 'inf' || word === 'nan') {
        this.advance();
        return word === 'inf' ? Infinity : NaN;
      }
    }
    return this.expected(what);
  }

  /**
   * A value without a declared type (metadata, unknown types): numbers, strings, asset paths and
   * paths as they are, true/false as booleans, other words as strings; tuples flattened, lists as
   * arrays (tuples in them flattened into the list).
   */
  private parseGenericValue(): unknown {
    switch (this.kind) {
      case T_NUMBER: {
        const value = this.num;
        this.advance();
        return value;
      }
      case T_STRING:
      case T_ASSET:
      case T_PATH: {
        const value = this.text;
        this.advance();
        return value;
      }
      case T_IDENT: {
        const word = this.text;
        if (word === 'None') this.expected('a value');
        this.advance();
        if (word === 'true' || word === 'false') return word === 'true';
        if (word === 'inf') return Infinity;
        if (word === 'nan') return NaN;
        return word;
      }
    }
    if (this.isPunct(C_LPAREN) || this.isPunct(C_LBRACKET)) {
      const close = this.isPunct(C_LPAREN) ? C_RPAREN : C_RBRACKET;
      const what = close === C_RPAREN ? 'a tuple' : 'a list';
      this.enter();
      this.advance();
      const out: unknown[] = [];
      while (!this.isPunct(close)) {
        if (close === C_RBRACKET && this.isPunct(C_LBRACKET)) out.push(this.parseGenericValue());
        else flattenInto(out, this.parseGenericValue());
        if (!this.listSeparator(close, what)) break;
      }
      this.advance();
      this.leave();
      return out;
    }
    if (this.isPunct(C_LBRACE)) return this.parseDictionary('value');
    return this.expected('a value');
  }

  /** Skips a `{ ... }` block (splines, old relational attributes), the "{" current. */
  private skipBlock(): void {
    const line = this.tokLine;
    let depth = 0;
    do {
      if (this.kind === T_EOF) this.fail('expected "}" to close the block opened here', line);
      if (this.isPunct(C_LBRACE)) depth++;
      else if (this.isPunct(C_RBRACE)) depth--;
      this.advance();
    } while (depth > 0);
  }
}

function reorderQuat(out: number[], at: number): void {
  const w = out[at]!;
  out[at] = out[at + 1]!;
  out[at + 1] = out[at + 2]!;
  out[at + 2] = out[at + 3]!;
  out[at + 3] = w;
}

/** Line breaks in src[from, to): "\r\n", "\n" and "\r" each count once. */
function countLines(src: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = src.charCodeAt(i);
    if (c === C_LF) n++;
    else if (c === C_CR && src.charCodeAt(i + 1) !== C_LF) n++;
  }
  return n;
}

let utf8: TextDecoder | undefined;

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Sdf's escapes: \\ \" \' \a \b \f \n \r \t \v, \xNN (up to two hex digits) and \NNN (up to three
 * octal digits) giving bytes (runs of them read as UTF-8); any other escaped character stands for itself.
 */
function unescape(raw: string): string {
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (!bytes.length) return;
    if (bytes.every((b) => b < 0x80)) out += String.fromCharCode(...bytes);
    else out += (utf8 ??= new TextDecoder()).decode(new Uint8Array(bytes));
    bytes = [];
  };
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw.charCodeAt(i) !== C_BACKSLASH) continue;
    if (i > from) {
      flush();
      out += raw.slice(from, i);
    }
    const c = raw[i + 1] ?? '';
    i++;
    if (c === 'x') {
      let n = 0;
      let digits = 0;
      while (digits < 2 && i + 1 < raw.length && /[0-9a-fA-F]/.test(raw[i + 1]!)) {
        n = n * 16 + parseInt(raw[i + 1]!, 16);
        i++;
        digits++;
      }
      bytes.push(n);
    } else if (c >= '0' && c <= '7') {
      let n = 0;
      let digits = 0;
      i--;
      while (digits < 3 && i + 1 < raw.length && raw[i + 1]! >= '0' && raw[i + 1]! <= '7') {
        n = n * 8 + (raw.charCodeAt(i + 1) - 48);
        i++;
        digits++;
      }
      bytes.push(n & 0xff);
    } else {
      flush();
      out += Object.hasOwn(ESCAPES, c) ? ESCAPES[c] : c;
    }
    from = i + 1;
  }
  flush();
  return out + raw.slice(from);
}
