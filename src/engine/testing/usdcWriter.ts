/**
 * Writes USD layers as USDC "crate" files (AOUSD Core Spec, binary crate format, version 0.8.0).
 *
 * Owns: the crate byte layout (bootstrap header, table of contents and the six structural
 * sections TOKENS, STRINGS, FIELDS, FIELDSETS, PATHS, SPECS), the value encodings (inlined and
 * out-of-line values, arrays, list-ops), the integer compression used by the structural sections
 * and the LZ4 framing around it; plus a converter from a layer read by `readUsdLayer` (USDA text
 * in particular) to the writer's input, so tests can author scenes as USDA and get the same scene
 * as USDC.
 *
 * Input is a small typed description of one layer (`UsdcLayer`): layer metadata, prims with
 * their type, specifier, applied API schemas, attributes (USD value type names and default
 * values) and relationships. Composition arcs, time samples, dictionaries and half-precision
 * types are out of scope and rejected rather than dropped.
 *
 * Conventions: quaternions are given as [x, y, z, w], the order they are stored in a crate file
 * and the order both of three.js's USD parsers hand them back (USDA text writes (w, x, y, z)).
 * Matrices are 16 (9, 4) numbers, row by row, as USDA writes them.
 *
 * Compression: structural integer tables use the crate's delta + variable-width integer coding;
 * every compressed block is framed as a single-chunk TfFastCompression buffer holding an LZ4
 * block made of literals only (valid LZ4, just not smaller). Int arrays of 16 or more elements
 * are written compressed, like OpenUSD does; floating-point arrays are written plain.
 *
 * Not written (a reader does not need them): relationship-target and connection child specs,
 * `targetChildren`/`connectionChildren` fields.
 */
import { InputError } from '../errors.ts';
import { layerMetadata, readUsdLayer, type UsdLayer } from '../usd/layer.ts';
import { applyListOp, childPath, isListOp, isValueBlock, type SdfSpec } from '../usd/sdf.ts';
import { asBool, tokenList } from '../usd/stage.ts';
import { IDENTIFIER } from '../usd/typeNames.ts';

// ---------------------------------------------------------------- public description

/** A value as the writer takes it; the attribute's `typeName` says how to store it. */
export type UsdcValue =
  | boolean
  | number
  | string
  | readonly number[]
  | readonly (readonly number[])[]
  | readonly string[]
  | readonly boolean[]
  | ArrayLike<number>;

export interface UsdcListOp<T> {
  explicit?: readonly T[];
  prepended?: readonly T[];
  appended?: readonly T[];
  deleted?: readonly T[];
}

export interface UsdcAttribute {
  /** Property name, namespaces included ("physics:mass"). */
  name: string;
  /** USD value type name as in USDA: "float", "double3", "point3f[]", "token", "quatf", "matrix4d", ... */
  typeName: string;
  /** Default value; leave out for a declaration without a value. */
  value?: UsdcValue;
  uniform?: boolean;
  custom?: boolean;
  /** Connection sources (USDA `.connect`), absolute property paths. */
  connections?: readonly string[];
}

export interface UsdcRelationship {
  name: string;
  /** Absolute target paths, written as an explicit list (USDA `rel name = [...]`). */
  targets: readonly string[];
  custom?: boolean;
}

export interface UsdcPrim {
  /** Absolute prim path ("/World/Box"). Parents must be in the layer too; order among siblings is kept. */
  path: string;
  specifier?: 'def' | 'over' | 'class';
  typeName?: string;
  /** Applied API schemas; a plain list means `prepend apiSchemas = [...]`. */
  apiSchemas?: readonly string[] | UsdcListOp<string>;
  kind?: string;
  active?: boolean;
  attributes?: readonly UsdcAttribute[];
  relationships?: readonly UsdcRelationship[];
}

export interface UsdcLayerMetadata {
  defaultPrim?: string;
  metersPerUnit?: number;
  kilogramsPerUnit?: number;
  upAxis?: string;
  /** The layer's `doc` string. */
  documentation?: string;
}

export interface UsdcLayer {
  metadata?: UsdcLayerMetadata;
  prims: readonly UsdcPrim[];
}

export interface UsdcWriteOptions {
  /**
   * Inline every value OpenUSD inlines, including double-precision vectors with small integer
   * components and 64-bit integers that fit 32 bits. three's USDCParser (0.187) cannot read those
   * back (it returns the raw payload number), so by default they are written out of line, which
   * every crate reader accepts.
   */
  openUsdInlining?: boolean;
}

// ---------------------------------------------------------------- format constants

const MAGIC = 'PXR-USDC';
const VERSION = [0, 8, 0] as const;
/** Bootstrap: magic (8), version (8), TOC offset (8), reserved (8 × 8). */
const BOOTSTRAP_SIZE = 88;
const SECTION_NAME_BYTES = 16;

export const SECTION = {
  tokens: 'TOKENS',
  strings: 'STRINGS',
  fields: 'FIELDS',
  fieldSets: 'FIELDSETS',
  paths: 'PATHS',
  specs: 'SPECS',
} as const;

/** Crate value type enum (subset that this writer produces). */
const T = {
  Bool: 1,
  UChar: 2,
  Int: 3,
  UInt: 4,
  Int64: 5,
  UInt64: 6,
  Float: 8,
  Double: 9,
  String: 10,
  Token: 11,
  AssetPath: 12,
  Matrix2d: 13,
  Matrix3d: 14,
  Matrix4d: 15,
  Quatd: 16,
  Quatf: 17,
  Vec2d: 19,
  Vec2f: 20,
  Vec2i: 22,
  Vec3d: 23,
  Vec3f: 24,
  Vec3i: 26,
  Vec4d: 27,
  Vec4f: 28,
  Vec4i: 30,
  TokenListOp: 32,
  PathListOp: 34,
  PathVector: 40,
  TokenVector: 41,
  Specifier: 42,
  Variability: 44,
} as const;

/** SdfSpecType */
import { SPEC_TYPE } from '../usd/sdf.ts';
export { SPEC_TYPE };
const SPECIFIER = { def: 0, over: 1, class: 2 } as const;
const VARIABILITY_UNIFORM = 1;

/** ValueRep flag bits in the high 32-bit word. */
const REP_ARRAY = 0x80000000;
const REP_INLINED = 0x40000000;
const REP_COMPRESSED = 0x20000000;

/** List-op header bits. */
const LISTOP = { isExplicit: 0x01, explicit: 0x02, added: 0x04, deleted: 0x08, ordered: 0x10, prepended: 0x20, appended: 0x40 } as const;

/** Field-set terminator in the FIELDSETS table. */
const FIELD_SET_END = -1;
/** Path-tree jump codes. */
const JUMP_CHILD_ONLY = -1;
const JUMP_LEAF = -2;
const JUMP_SIBLING_ONLY = 0;
/** OpenUSD compresses int arrays from this many elements on. */
const MIN_COMPRESSED_ARRAY = 16;

// ---------------------------------------------------------------- value types

type ScalarKind = 'bool' | 'uchar' | 'int' | 'uint' | 'int64' | 'uint64' | 'float' | 'double' | 'string' | 'token' | 'asset';

interface ValueType {
  crate: number;
  scalar: ScalarKind;
  /** Components per element. */
  n: number;
  shape: 'scalar' | 'vec' | 'quat' | 'matrix';
}

const scalar = (crate: number, kind: ScalarKind): ValueType => ({ crate, scalar: kind, n: 1, shape: 'scalar' });
const vec = (crate: number, kind: ScalarKind, n: number): ValueType => ({ crate, scalar: kind, n, shape: 'vec' });

const VALUE_TYPES: Record<string, ValueType> = {
  bool: scalar(T.Bool, 'bool'),
  uchar: scalar(T.UChar, 'uchar'),
  int: scalar(T.Int, 'int'),
  uint: scalar(T.UInt, 'uint'),
  int64: scalar(T.Int64, 'int64'),
  uint64: scalar(T.UInt64, 'uint64'),
  float: scalar(T.Float, 'float'),
  double: scalar(T.Double, 'double'),
  string: scalar(T.String, 'string'),
  token: scalar(T.Token, 'token'),
  asset: scalar(T.AssetPath, 'asset'),
  float2: vec(T.Vec2f, 'float', 2),
  float3: vec(T.Vec3f, 'float', 3),
  float4: vec(T.Vec4f, 'float', 4),
  double2: vec(T.Vec2d, 'double', 2),
  double3: vec(T.Vec3d, 'double', 3),
  double4: vec(T.Vec4d, 'double', 4),
  int2: vec(T.Vec2i, 'int', 2),
  int3: vec(T.Vec3i, 'int', 3),
  int4: vec(T.Vec4i, 'int', 4),
  quatf: { crate: T.Quatf, scalar: 'float', n: 4, shape: 'quat' },
  quatd: { crate: T.Quatd, scalar: 'double', n: 4, shape: 'quat' },
  matrix2d: { crate: T.Matrix2d, scalar: 'double', n: 4, shape: 'matrix' },
  matrix3d: { crate: T.Matrix3d, scalar: 'double', n: 9, shape: 'matrix' },
  matrix4d: { crate: T.Matrix4d, scalar: 'double', n: 16, shape: 'matrix' },
};

/** Role types store as their underlying value type. */
const ROLE_TYPES: Record<string, string> = {
  point3f: 'float3',
  normal3f: 'float3',
  vector3f: 'float3',
  color3f: 'float3',
  color4f: 'float4',
  texCoord2f: 'float2',
  texCoord3f: 'float3',
  point3d: 'double3',
  normal3d: 'double3',
  vector3d: 'double3',
  color3d: 'double3',
  color4d: 'double4',
  texCoord2d: 'double2',
  texCoord3d: 'double3',
  frame4d: 'matrix4d',
};

function valueType(typeName: string): { type: ValueType; isArray: boolean } | undefined {
  const isArray = typeName.endsWith('[]');
  const base = isArray ? typeName.slice(0, -2) : typeName;
  const type = VALUE_TYPES[ROLE_TYPES[base] ?? base];
  return type ? { type, isArray } : undefined;
}

/** Whether the writer can store attributes of this USD value type name. */
export function isSupportedValueType(typeName: string): boolean {
  return valueType(typeName) !== undefined;
}

// ---------------------------------------------------------------- bytes

class ByteWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  /** Grows the buffer for `n` more bytes and returns where they start. Call before touching buf/view. */
  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += n;
    return at;
  }

  u8(v: number) {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  i8(v: number) {
    const at = this.reserve(1);
    this.view.setInt8(at, v);
  }
  i16(v: number) {
    const at = this.reserve(2);
    this.view.setInt16(at, v, true);
  }
  u32(v: number) {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number) {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }
  u64(v: number) {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(v), true);
  }
  i64(v: number) {
    const at = this.reserve(8);
    this.view.setBigInt64(at, BigInt(v), true);
  }
  f32(v: number) {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  f64(v: number) {
    const at = this.reserve(8);
    this.view.setFloat64(at, v, true);
  }
  bytes(b: Uint8Array) {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }
  align(n: number) {
    while (this.length % n !== 0) this.u8(0);
  }
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();

/** A string with one character per byte, for use as a map key. */
function bytesKey(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bytes.length; i += 8192) key += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return key;
}

// ---------------------------------------------------------------- compression

/**
 * TfFastCompression framing: a chunk-count byte (0 = one chunk) and an LZ4 block. The block is a
 * single literal run: token (length nibble 15 when ≥ 15), length extension bytes, the literals.
 */
export function lz4Frame(data: Uint8Array): Uint8Array {
  const out = new ByteWriter();
  out.u8(0);
  const n = data.length;
  out.u8(Math.min(n, 15) << 4);
  if (n >= 15) {
    let rest = n - 15;
    while (rest >= 255) {
      out.u8(255);
      rest -= 255;
    }
    out.u8(rest);
  }
  out.bytes(data);
  return out.toBytes();
}

/**
 * The crate's integer coding: values become deltas from the previous one (starting at 0); the
 * most common delta is stored once, and each delta gets a 2-bit code (0 common, 1 int8, 2 int16,
 * 3 int32, four codes per byte, low bits first) followed by the variable-width deltas.
 */
export function encodeIntegers(values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const deltas = new Int32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]! | 0;
    deltas[i] = (v - prev) | 0;
    prev = v;
  }
  const counts = new Map<number, number>();
  for (const d of deltas) counts.set(d, (counts.get(d) ?? 0) + 1);
  let common = 0;
  let best = 0;
  for (const [d, c] of counts) {
    if (c > best || (c === best && d > common)) {
      common = d;
      best = c;
    }
  }
  const codes = new Uint8Array((n * 2 + 7) >> 3);
  const ints = new ByteWriter();
  for (let i = 0; i < n; i++) {
    const d = deltas[i]!;
    let code: number;
    if (d === common) code = 0;
    else if (d >= -128 && d <= 127) (code = 1), ints.i8(d);
    else if (d >= -32768 && d <= 32767) (code = 2), ints.i16(d);
    else (code = 3), ints.i32(d);
    codes[i >> 2]! |= code << ((i & 3) * 2);
  }
  const out = new ByteWriter();
  out.i32(common);
  out.bytes(codes);
  out.bytes(ints.toBytes());
  return out.toBytes();
}

/** Writes `uint64 compressedSize` and the LZ4-framed integer coding of `values`. */
function writeCompressedInts(w: ByteWriter, values: ArrayLike<number>) {
  const framed = lz4Frame(encodeIntegers(values));
  w.u64(framed.length);
  w.bytes(framed);
}

// ---------------------------------------------------------------- paths

interface ParsedPath {
  prim: string;
  property?: string;
}

const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)*$/;

function parsePath(path: string, what: string): ParsedPath {
  const dot = path.indexOf('.', path.lastIndexOf('/'));
  const prim = dot < 0 ? path : path.slice(0, dot);
  const property = dot < 0 ? undefined : path.slice(dot + 1);
  const primOk = prim === '/' || (prim.startsWith('/') && prim.slice(1).split('/').every((n) => IDENTIFIER.test(n)));
  if (!primOk || (property !== undefined && (prim === '/' || !PROPERTY_NAME.test(property)))) {
    throw new Error(`usdc-writer: ${what} "${path}" is not an absolute prim or property path`);
  }
  return property === undefined ? { prim } : { prim, property };
}

const parentOf = (prim: string) => (prim.lastIndexOf('/') <= 0 ? '/' : prim.slice(0, prim.lastIndexOf('/')));

// ---------------------------------------------------------------- the writer

interface ValueRep {
  hi: number;
  lo: number;
}

interface Field {
  token: number;
  rep: ValueRep;
}

interface PathNode {
  index: number;
  /** Element name: prim name, or property name for property paths. */
  name: string;
  isProperty: boolean;
  children: PathNode[];
}

class CrateWriter {
  private readonly out = new ByteWriter();
  private readonly tokens: string[] = [];
  private readonly tokenIndex = new Map<string, number>();
  private readonly strings: number[] = [];
  private readonly stringIndex = new Map<string, number>();
  private readonly fields: Field[] = [];
  private readonly fieldIndex = new Map<string, number>();
  private readonly fieldSets: number[] = [];
  private readonly fieldSetIndex = new Map<string, number>();
  private readonly paths = new Map<string, PathNode>();
  private readonly specs: { path: number; fieldSet: number; type: number }[] = [];
  /** Out-of-line values already written, by content, so equal values share bytes. */
  private readonly valueOffsets = new Map<string, number>();

  constructor(private readonly options: UsdcWriteOptions) {
    this.out.bytes(new Uint8Array(BOOTSTRAP_SIZE));
    // Token 0 is the empty name of the root path; property paths store negated token indices,
    // so no property name may get index 0.
    this.token('');
    this.path('/');
  }

  // ---- tables

  token(s: string): number {
    let i = this.tokenIndex.get(s);
    if (i === undefined) {
      if (s.includes('\u0000')) throw new Error(`usdc-writer: token ${JSON.stringify(s)} contains a NUL character`);
      i = this.tokens.push(s) - 1;
      this.tokenIndex.set(s, i);
    }
    return i;
  }

  private string(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.push(this.token(s)) - 1;
      this.stringIndex.set(s, i);
    }
    return i;
  }

  /** Index of a path in the PATHS table, adding it and its ancestors. */
  path(path: string): number {
    const known = this.paths.get(path);
    if (known) return known.index;
    if (path === '/') {
      this.paths.set(path, { index: 0, name: '', isProperty: false, children: [] });
      return 0;
    }
    const { prim, property } = parsePath(path, 'path');
    const parent = property !== undefined ? prim : parentOf(prim);
    this.path(parent);
    const name = property ?? prim.slice(prim.lastIndexOf('/') + 1);
    this.token(name);
    const node: PathNode = { index: this.paths.size, name, isProperty: property !== undefined, children: [] };
    this.paths.get(parent)!.children.push(node);
    this.paths.set(path, node);
    return node.index;
  }

  // ---- values

  private writeOutOfLine(key: string, write: (w: ByteWriter) => void): number {
    const scratch = new ByteWriter();
    write(scratch);
    const bytes = scratch.toBytes();
    const dedupeKey = `${key}|${bytesKey(bytes)}`;
    const known = this.valueOffsets.get(dedupeKey);
    if (known !== undefined) return known;
    this.out.align(8);
    const at = this.out.length;
    this.out.bytes(bytes);
    this.valueOffsets.set(dedupeKey, at);
    return at;
  }

  private rep(type: number, payload: number, flags = 0): ValueRep {
    return { hi: (flags | (type << 16) | Math.floor(payload / 2 ** 32)) >>> 0, lo: payload >>> 0 };
  }

  private writeScalars(w: ByteWriter, kind: ScalarKind, values: readonly (number | string)[]) {
    for (const v of values) {
      switch (kind) {
        case 'bool':
        case 'uchar':
          w.u8(v as number);
          break;
        case 'int':
          w.i32(v as number);
          break;
        case 'uint':
          w.u32(v as number);
          break;
        case 'int64':
          w.i64(v as number);
          break;
        case 'uint64':
          w.u64(v as number);
          break;
        case 'float':
          w.f32(v as number);
          break;
        case 'double':
          w.f64(v as number);
          break;
        case 'token':
          w.u32(this.token(v as string));
          break;
        // Out of line (in arrays), OpenUSD writes an asset path as its string, not as a token
        // (crateFile.cpp: Write(SdfAssetPath) → Write(std::string)); inlined, as a token.
        case 'asset':
        case 'string':
          w.u32(this.string(v as string));
          break;
      }
    }
  }

  /** The 32-bit inline payload for a single value, or undefined when it must go out of line. */
  private inlinePayload(type: ValueType, values: readonly (number | string)[]): number | undefined {
    const bits = new DataView(new ArrayBuffer(4));
    if (type.shape === 'scalar') {
      const v = values[0]!;
      switch (type.scalar) {
        case 'bool':
        case 'uchar':
        case 'uint':
          return v as number;
        case 'int':
          return (v as number) >>> 0;
        case 'float':
          bits.setFloat32(0, v as number, true);
          return bits.getUint32(0, true);
        case 'double':
          if (Math.fround(v as number) !== v) return undefined;
          bits.setFloat32(0, v as number, true);
          return bits.getUint32(0, true);
        case 'int64':
          return this.options.openUsdInlining && Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31 ? (v as number) >>> 0 : undefined;
        case 'uint64':
          return this.options.openUsdInlining && (v as number) < 2 ** 32 ? (v as number) : undefined;
        case 'token':
        case 'asset':
          return this.token(v as string);
        case 'string':
          return this.string(v as string);
      }
    }
    const int8 = (x: number | string) => typeof x === 'number' && Number.isInteger(x) && x >= -128 && x <= 127 && !Object.is(x, -0);
    if (type.shape === 'vec') {
      if (type.scalar === 'double' && !this.options.openUsdInlining) return undefined;
      if (!values.every(int8)) return undefined;
      values.forEach((x, i) => bits.setInt8(i, x as number));
      return bits.getUint32(0, true);
    }
    if (type.shape === 'matrix') {
      const dim = Math.sqrt(type.n);
      for (let r = 0; r < dim; r++) {
        for (let c = 0; c < dim; c++) {
          const x = values[r * dim + c]!;
          if (r === c ? !int8(x) : x !== 0) return undefined;
          if (r === c) bits.setInt8(r, x as number);
        }
      }
      return bits.getUint32(0, true);
    }
    return undefined; // quaternions are never inlined
  }

  /** Packs an attribute value; `where` names it in errors. */
  packValue(typeName: string, value: UsdcValue, where: string): ValueRep {
    const resolved = valueType(typeName);
    if (!resolved) throw new Error(`usdc-writer: ${where}: value type "${typeName}" is not supported`);
    const { type, isArray } = resolved;
    const items = normalizeValue(type, isArray, value, `${where} (${typeName})`);
    if (!isArray) {
      const payload = this.inlinePayload(type, items);
      if (payload !== undefined) return this.rep(type.crate, payload, REP_INLINED);
      const at = this.writeOutOfLine(`${type.crate}`, (w) => this.writeScalars(w, type.scalar, items));
      return this.rep(type.crate, at);
    }
    const count = items.length / type.n;
    if (count === 0) return this.rep(type.crate, 0, REP_ARRAY); // payload 0: the empty array
    const compress = type.shape === 'scalar' && (type.scalar === 'int' || type.scalar === 'uint') && count >= MIN_COMPRESSED_ARRAY;
    const at = this.writeOutOfLine(`${type.crate}[]${compress ? 'z' : ''}`, (w) => {
      w.u64(count);
      if (compress) writeCompressedInts(w, items as number[]);
      else this.writeScalars(w, type.scalar, items);
    });
    return this.rep(type.crate, at, REP_ARRAY | (compress ? REP_COMPRESSED : 0));
  }

  packTokenVector(tokens: readonly string[]): ValueRep {
    const at = this.writeOutOfLine(`${T.TokenVector}`, (w) => {
      w.u64(tokens.length);
      for (const t of tokens) w.u32(this.token(t));
    });
    return this.rep(T.TokenVector, at);
  }

  packListOp(type: typeof T.TokenListOp | typeof T.PathListOp, op: UsdcListOp<string>, isExplicit: boolean): ValueRep {
    const index = (s: string) => (type === T.TokenListOp ? this.token(s) : this.path(s));
    // Resolve indices first: adding a path can add tokens but never writes value bytes.
    const lists = (['explicit', 'prepended', 'appended', 'deleted'] as const).map((k) => (op[k] ?? []).map(index));
    const [explicit, prepended, appended, deleted] = lists as [number[], number[], number[], number[]];
    let header = isExplicit ? LISTOP.isExplicit : 0;
    if (explicit.length) header |= LISTOP.explicit;
    if (prepended.length) header |= LISTOP.prepended;
    if (appended.length) header |= LISTOP.appended;
    if (deleted.length) header |= LISTOP.deleted;
    const at = this.writeOutOfLine(`${type}`, (w) => {
      w.u8(header);
      // Item lists follow in the order explicit, added, prepended, appended, deleted, ordered.
      for (const list of [explicit, prepended, appended, deleted]) {
        if (!list.length) continue;
        w.u64(list.length);
        for (const i of list) w.u32(i);
      }
    });
    return this.rep(type, at);
  }

  inlineEnum(type: number, value: number): ValueRep {
    return this.rep(type, value, REP_INLINED);
  }

  // ---- specs

  addSpec(path: string, specType: number, fields: [string, ValueRep][]) {
    const indices = fields.map(([name, rep]) => {
      const token = this.token(name);
      const key = `${token}:${rep.hi}:${rep.lo}`;
      let i = this.fieldIndex.get(key);
      if (i === undefined) {
        i = this.fields.push({ token, rep }) - 1;
        this.fieldIndex.set(key, i);
      }
      return i;
    });
    const setKey = indices.join(',');
    let fieldSet = this.fieldSetIndex.get(setKey);
    if (fieldSet === undefined) {
      fieldSet = this.fieldSets.length;
      this.fieldSets.push(...indices, FIELD_SET_END);
      this.fieldSetIndex.set(setKey, fieldSet);
    }
    this.specs.push({ path: this.path(path), fieldSet, type: specType });
  }

  // ---- sections

  finish(): Uint8Array {
    const out = this.out;
    const sections: { name: string; start: number; size: number }[] = [];
    const section = (name: string, write: () => void) => {
      out.align(8);
      const start = out.length;
      write();
      sections.push({ name, start, size: out.length - start });
    };
    // PATHS is encoded first in memory: encoding can add no tokens (names were added with the
    // paths), but doing it before TOKENS keeps that obviously true.
    const pathTree = this.encodePathTree();

    section(SECTION.tokens, () => {
      const blob = new ByteWriter();
      for (const t of this.tokens) {
        blob.bytes(utf8.encode(t));
        blob.u8(0);
      }
      const framed = lz4Frame(blob.toBytes());
      out.u64(this.tokens.length);
      out.u64(blob.length);
      out.u64(framed.length);
      out.bytes(framed);
    });
    section(SECTION.strings, () => {
      out.u64(this.strings.length);
      for (const s of this.strings) out.u32(s);
    });
    section(SECTION.fields, () => {
      out.u64(this.fields.length);
      writeCompressedInts(out, this.fields.map((f) => f.token));
      const reps = new ByteWriter();
      for (const { rep } of this.fields) {
        reps.u32(rep.lo);
        reps.u32(rep.hi);
      }
      const framed = lz4Frame(reps.toBytes());
      out.u64(framed.length);
      out.bytes(framed);
    });
    section(SECTION.fieldSets, () => {
      out.u64(this.fieldSets.length);
      writeCompressedInts(out, this.fieldSets);
    });
    section(SECTION.paths, () => {
      out.u64(this.paths.size);
      out.u64(pathTree.pathIndices.length);
      writeCompressedInts(out, pathTree.pathIndices);
      writeCompressedInts(out, pathTree.elementTokens);
      writeCompressedInts(out, pathTree.jumps);
    });
    section(SECTION.specs, () => {
      out.u64(this.specs.length);
      writeCompressedInts(out, this.specs.map((s) => s.path));
      writeCompressedInts(out, this.specs.map((s) => s.fieldSet));
      writeCompressedInts(out, this.specs.map((s) => s.type));
    });

    out.align(8);
    const tocOffset = out.length;
    out.u64(sections.length);
    for (const s of sections) {
      const name = new Uint8Array(SECTION_NAME_BYTES);
      name.set(utf8.encode(s.name));
      out.bytes(name);
      out.i64(s.start);
      out.i64(s.size);
    }

    const bytes = out.toBytes();
    bytes.set(utf8.encode(MAGIC), 0);
    bytes.set(VERSION, 8);
    new DataView(bytes.buffer).setBigUint64(16, BigInt(tocOffset), true);
    return bytes;
  }

  /**
   * Depth-first path tree: per entry its path index, element token (negated for property
   * paths) and a jump: -1 child follows, 0 sibling follows, -2 leaf, > 0 child follows and the
   * next sibling is that many entries ahead.
   */
  private encodePathTree() {
    const pathIndices: number[] = [];
    const elementTokens: number[] = [];
    const jumps: number[] = [];
    const visit = (siblings: PathNode[]) => {
      siblings.forEach((node, i) => {
        const entry = pathIndices.length;
        const token = this.token(node.name);
        pathIndices.push(node.index);
        elementTokens.push(node.isProperty ? -token : token);
        jumps.push(0);
        const hasChild = node.children.length > 0;
        const hasSibling = i < siblings.length - 1;
        if (hasChild) visit(node.children);
        jumps[entry] = hasChild && hasSibling ? pathIndices.length - entry : hasChild ? JUMP_CHILD_ONLY : hasSibling ? JUMP_SIBLING_ONLY : JUMP_LEAF;
      });
    };
    visit([this.paths.get('/')!]);
    return { pathIndices, elementTokens, jumps };
  }
}

/** Flattens a value into scalars, checking its shape and ranges against the value type. */
function normalizeValue(type: ValueType, isArray: boolean, value: UsdcValue, where: string): (number | string)[] {
  const fail = (why: string): never => {
    throw new Error(`usdc-writer: ${where}: ${why}`);
  };
  let items: unknown[];
  if (!isArray && type.n === 1) items = [value];
  else if (typeof value === 'object' && value !== null && 'length' in value) {
    items = Array.from(value as ArrayLike<unknown>).flatMap((v) => (Array.isArray(v) ? v : [v]));
  } else items = fail(`expected ${isArray ? 'an array' : `${type.n} components`}, got ${JSON.stringify(value)}`);
  if (!isArray && items.length !== type.n) fail(`expected ${type.n} components, got ${items.length}`);
  if (isArray && items.length % type.n !== 0) fail(`array length ${items.length} is not a multiple of ${type.n}`);
  const text = type.scalar === 'string' || type.scalar === 'token' || type.scalar === 'asset';
  return items.map((v) => {
    if (text) return typeof v === 'string' ? v : fail(`expected a string, got ${JSON.stringify(v)}`);
    if (type.scalar === 'bool') return typeof v === 'boolean' || v === 0 || v === 1 ? Number(v) : fail(`expected a boolean, got ${JSON.stringify(v)}`);
    if (typeof v !== 'number') return fail(`expected a number, got ${JSON.stringify(v)}`);
    const range: Partial<Record<ScalarKind, [number, number]>> = {
      uchar: [0, 255],
      int: [-(2 ** 31), 2 ** 31 - 1],
      uint: [0, 2 ** 32 - 1],
      int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
      uint64: [0, Number.MAX_SAFE_INTEGER],
    };
    const r = range[type.scalar];
    if (r && !(Number.isInteger(v) && v >= r[0] && v <= r[1])) fail(`${v} is not a valid ${type.scalar}`);
    return v;
  });
}

// ---------------------------------------------------------------- layer → bytes

/** Writes one layer as USDC crate bytes. Throws Error for descriptions it cannot write. */
export function writeUsdc(layer: UsdcLayer, options: UsdcWriteOptions = {}): Uint8Array {
  const w = new CrateWriter(options);
  const byPath = new Map<string, UsdcPrim>();
  const children = new Map<string, string[]>([['/', []]]);
  for (const prim of layer.prims) {
    const { property } = parsePath(prim.path, 'prim path');
    if (prim.path === '/' || property !== undefined) throw new Error(`usdc-writer: prim path "${prim.path}" must name a prim below the root`);
    if (byPath.has(prim.path)) throw new Error(`usdc-writer: prim ${prim.path} is listed twice`);
    byPath.set(prim.path, prim);
    children.set(prim.path, []);
  }
  for (const prim of layer.prims) {
    const siblings = children.get(parentOf(prim.path));
    if (!siblings) throw new Error(`usdc-writer: prim ${prim.path} has no parent prim ${parentOf(prim.path)} in the layer`);
    siblings.push(prim.path);
  }
  const names = (paths: string[]) => paths.map((p) => p.slice(p.lastIndexOf('/') + 1));

  // Pseudo-root: layer metadata and the root prims.
  const meta = layer.metadata ?? {};
  const root: [string, ValueRep][] = [];
  if (meta.documentation !== undefined) root.push(['documentation', w.packValue('string', meta.documentation, 'layer documentation')]);
  if (meta.defaultPrim !== undefined) root.push(['defaultPrim', w.packValue('token', meta.defaultPrim, 'layer defaultPrim')]);
  if (meta.metersPerUnit !== undefined) root.push(['metersPerUnit', w.packValue('double', meta.metersPerUnit, 'layer metersPerUnit')]);
  if (meta.kilogramsPerUnit !== undefined) root.push(['kilogramsPerUnit', w.packValue('double', meta.kilogramsPerUnit, 'layer kilogramsPerUnit')]);
  if (meta.upAxis !== undefined) root.push(['upAxis', w.packValue('token', meta.upAxis, 'layer upAxis')]);
  if (children.get('/')!.length) root.push(['primChildren', w.packTokenVector(names(children.get('/')!))]);
  w.addSpec('/', SPEC_TYPE.pseudoRoot, root);

  // Prims depth-first, each followed by its properties.
  const writePrim = (path: string) => {
    const prim = byPath.get(path)!;
    const attributes = prim.attributes ?? [];
    const relationships = prim.relationships ?? [];
    const propertyNames = [...attributes.map((a) => a.name), ...relationships.map((r) => r.name)];
    const seen = new Set<string>();
    for (const name of propertyNames) {
      if (!PROPERTY_NAME.test(name)) throw new Error(`usdc-writer: ${path}: "${name}" is not a valid property name`);
      if (seen.has(name)) throw new Error(`usdc-writer: ${path}: property "${name}" is listed twice`);
      seen.add(name);
    }

    const fields: [string, ValueRep][] = [['specifier', w.inlineEnum(T.Specifier, SPECIFIER[prim.specifier ?? 'def'])]];
    if (prim.typeName) fields.push(['typeName', w.packValue('token', prim.typeName, `${path} typeName`)]);
    if (prim.apiSchemas !== undefined) {
      const op = Array.isArray(prim.apiSchemas) ? { prepended: prim.apiSchemas as readonly string[] } : (prim.apiSchemas as UsdcListOp<string>);
      fields.push(['apiSchemas', w.packListOp(T.TokenListOp, op, op.explicit !== undefined)]);
    }
    if (prim.kind !== undefined) fields.push(['kind', w.packValue('token', prim.kind, `${path} kind`)]);
    if (prim.active !== undefined) fields.push(['active', w.packValue('bool', prim.active, `${path} active`)]);
    if (propertyNames.length) fields.push(['properties', w.packTokenVector(propertyNames)]);
    const kids = children.get(path)!;
    if (kids.length) fields.push(['primChildren', w.packTokenVector(names(kids))]);
    w.addSpec(path, SPEC_TYPE.prim, fields);

    for (const attr of attributes) {
      const where = `${path}.${attr.name}`;
      if (!isSupportedValueType(attr.typeName)) throw new Error(`usdc-writer: ${where}: value type "${attr.typeName}" is not supported`);
      const f: [string, ValueRep][] = [['typeName', w.packValue('token', attr.typeName, where)]];
      if (attr.custom) f.push(['custom', w.packValue('bool', true, where)]);
      if (attr.uniform) f.push(['variability', w.inlineEnum(T.Variability, VARIABILITY_UNIFORM)]);
      if (attr.value !== undefined) f.push(['default', w.packValue(attr.typeName, attr.value, where)]);
      if (attr.connections) {
        for (const c of attr.connections) parsePath(c, `${where} connection`);
        f.push(['connectionPaths', w.packListOp(T.PathListOp, { explicit: attr.connections }, true)]);
      }
      w.addSpec(where, SPEC_TYPE.attribute, f);
    }
    for (const rel of relationships) {
      const where = `${path}.${rel.name}`;
      for (const t of rel.targets) parsePath(t, `${where} target`);
      const f: [string, ValueRep][] = [];
      if (rel.custom) f.push(['custom', w.packValue('bool', true, where)]);
      f.push(['targetPaths', w.packListOp(T.PathListOp, { explicit: rel.targets }, true)]);
      w.addSpec(where, SPEC_TYPE.relationship, f);
    }
    for (const child of kids) writePrim(child);
  };
  for (const top of children.get('/')!) writePrim(top);
  return w.finish();
}

// ---------------------------------------------------------------- USD layer → description

const LIST_OP_KEYWORDS = new Set(['prepend', 'append', 'add', 'delete']);

/** Relationship targets as the text parser leaves them: "/A", "</A>", or "[/A, /B]" for lists. */
function targetList(value: unknown): string[] {
  const raw = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
  return raw
    .flatMap((t) => (t.trim().startsWith('[') ? t.trim().slice(1, -1).split(',') : [t]))
    .map((t) => t.trim().replace(/^<|>$/g, ''))
    .filter(Boolean);
}

/** Typed arrays and plain arrays as a plain array; a scalar stays a scalar. */
function plainValue(typeName: string, value: unknown, fail: (why: string) => never): UsdcValue {
  const resolved = valueType(typeName);
  if (!resolved) return fail(`value type "${typeName}" is not supported`);
  const { type, isArray } = resolved;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (type.scalar === 'bool') {
    if (isArray) return (value as unknown[]).map((v) => asBool(v) ?? fail(`not a boolean: ${JSON.stringify(v)}`));
    return asBool(value) ?? fail(`not a boolean: ${JSON.stringify(value)}`);
  }
  if (!isArray && type.n === 1 && typeof value === 'string' && type.scalar !== 'string' && type.scalar !== 'token' && type.scalar !== 'asset') {
    const n = Number(value);
    return Number.isNaN(n) ? fail(`not a number: ${JSON.stringify(value)}`) : n;
  }
  return value as UsdcValue;
}

/** The items of a list-op field (or plain list) as the writer's list-op. */
function writerListOp(value: unknown): UsdcListOp<string> {
  if (!isListOp<string>(value)) return { prepended: tokenList(value) };
  if (value.explicit) return { explicit: value.explicit };
  const op: UsdcListOp<string> = {};
  const prepended = [...(value.prepended ?? [])];
  const appended = [...(value.appended ?? []), ...(value.added ?? [])];
  if (prepended.length) op.prepended = prepended;
  if (appended.length) op.appended = appended;
  if (value.deleted?.length) op.deleted = value.deleted;
  return op;
}

/** A list-op of paths (targets, connections) as the explicit list it composes to on its own. */
function pathItems(value: unknown): string[] {
  if (isListOp<string>(value)) return applyListOp(value, [], (p) => p);
  return tokenList(value);
}

/**
 * Turns a layer read by `readUsdLayer` (USDA text, or a crate file) into the writer's input.
 * Throws InputError naming the layer's file for content the writer cannot express (composition
 * arcs, variants, time samples, dictionaries).
 */
export function usdcLayerFromUsdLayer(layer: UsdLayer): UsdcLayer {
  const specs = layer.specs;
  const fail = (path: string, why: string): never => {
    throw new InputError(layer.file, `${path}: ${why}; cannot convert to USDC`);
  };
  const prims: UsdcPrim[] = [];
  const visit = (path: string) => {
    const names = specs.get(path)?.fields['primChildren'];
    for (const name of Array.isArray(names) ? names : []) {
      const child = childPath(path, String(name));
      const spec = specs.get(child);
      if (!spec || spec.specType !== SPEC_TYPE.prim) fail(child, 'listed in primChildren but has no prim spec');
      prims.push(convertPrim(child, spec!));
      visit(child);
    }
  };

  const convertPrim = (path: string, spec: SdfSpec): UsdcPrim => {
    const prim: UsdcPrim & { attributes: UsdcAttribute[]; relationships: UsdcRelationship[] } = { path, attributes: [], relationships: [] };
    for (const [key, value] of Object.entries(spec.fields)) {
      switch (key) {
        case 'typeName':
          if (value) prim.typeName = String(value);
          break;
        case 'primChildren':
        case 'properties':
        case 'documentation':
        case 'comment':
          break;
        case 'specifier':
          prim.specifier = value === 'over' ? 'over' : value === 'class' ? 'class' : 'def';
          break;
        case 'apiSchemas':
          prim.apiSchemas = writerListOp(value);
          break;
        case 'kind':
          prim.kind = String(value);
          break;
        case 'active':
          prim.active = asBool(value) ?? fail(path, `active is ${JSON.stringify(value)}`);
          break;
        default:
          fail(path, `prim field "${key}" is not supported`);
      }
    }
    const names = spec.fields['properties'];
    for (const name of Array.isArray(names) ? (names as string[]) : []) {
      const where = `${path}.${name}`;
      const prop = specs.get(where);
      if (!prop) continue;
      const f = prop.fields;
      if (prop.specType === SPEC_TYPE.relationship) {
        const unknown = Object.keys(f).filter((k) => k !== 'targetPaths' && k !== 'custom' && k !== 'variability' && k !== 'documentation');
        if (unknown.length) fail(where, `relationship fields ${unknown.join(', ')} are not supported`);
        prim.relationships.push({ name, targets: pathItems(f['targetPaths']), ...(f['custom'] === true ? { custom: true } : {}) });
        continue;
      }
      if (prop.specType !== SPEC_TYPE.attribute) fail(where, `spec type ${prop.specType} is not supported`);
      const typeName = String(f['typeName'] ?? '');
      const unknown = Object.keys(f).filter((k) => !['typeName', 'default', 'connectionPaths', 'variability', 'custom', 'documentation'].includes(k));
      if (unknown.length) fail(where, `attribute fields ${unknown.join(', ')} are not supported`);
      if (!isSupportedValueType(typeName)) fail(where, `value type "${typeName}" is not supported`);
      const attr: UsdcAttribute = { name, typeName };
      if (f['default'] !== undefined && f['default'] !== null && !isValueBlock(f['default'])) attr.value = plainValue(typeName, f['default'], (why) => fail(where, why));
      if (f['variability'] === 'uniform') attr.uniform = true;
      if (f['custom'] === true) attr.custom = true;
      if (f['connectionPaths'] !== undefined) attr.connections = pathItems(f['connectionPaths']);
      prim.attributes.push(attr);
    }
    return prim;
  };

  visit('/');
  const m = layerMetadata(specs);
  const metadata: UsdcLayerMetadata = {};
  if (m.defaultPrim !== undefined) metadata.defaultPrim = m.defaultPrim;
  if (m.metersPerUnit !== undefined) metadata.metersPerUnit = m.metersPerUnit;
  if (m.kilogramsPerUnit !== undefined) metadata.kilogramsPerUnit = m.kilogramsPerUnit;
  if (m.upAxis !== undefined) metadata.upAxis = m.upAxis;
  return { metadata, prims };
}

/** USDA text → USDC bytes: parses with `readUsdLayer` and writes a crate. */
export function usdaToUsdc(text: string, file = '<memory>.usda', options: UsdcWriteOptions = {}): Uint8Array {
  return writeUsdc(usdcLayerFromUsdLayer(readUsdLayer(text, file)), options);
}
