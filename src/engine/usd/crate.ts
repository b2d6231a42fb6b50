/**
 * Reads USDC crate files (OpenUSD's binary layer format, "PXR-USDC", versions 0.0.1 to 0.11) into
 * the Sdf data model of sdf.ts. Owns the crate byte layout: bootstrap, table of contents, the six
 * structural sections, LZ4 and integer decompression, and every value encoding up to version
 * 0.11. Must not interpret specs (that is composition's job), must not write to the console, and
 * must let bad bytes out only as an InputError: every count, offset and index is checked before
 * it is used, and decoding works against a budget so hostile files cannot exhaust memory or time.
 */
import { InputError } from '../errors.ts';
import { VALUE_BLOCK, type LayerOffset, type SdfListOp, type SdfReference, type SdfSpec, type SdfSpecs, type TimeSamples } from './sdf.ts';

export interface CrateReadResult {
  specs: SdfSpecs;
  /** Fields left out because their value type cannot be read, e.g. `/A.x: field spline: value of type Spline is not read`. */
  warnings: string[];
}

/** Reads a crate file's specs. Throws InputError naming `file` on malformed bytes. */
export function readCrate(bytes: Uint8Array, file: string): SdfSpecs {
  return readCrateWithWarnings(bytes, file).specs;
}

/** Reads a crate file's specs and says which fields it had to leave out. */
export function readCrateWithWarnings(bytes: Uint8Array, file: string): CrateReadResult {
  try {
    return new CrateReader(bytes, file).read();
  } catch (e) {
    if (e instanceof InputError) throw e;
    const why = e instanceof Corrupt ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw Object.assign(new InputError(file, `corrupt or truncated USDC crate file (${why})`), { cause: e });
  }
}

// ---------------------------------------------------------------- format constants

/** Value type names by crate type number (crateDataTypes.h; 59 and 60 come after OpenUSD 24.08). */
const TYPE_NAMES = [
  'Invalid', 'Bool', 'UChar', 'Int', 'UInt', 'Int64', 'UInt64', 'Half', 'Float', 'Double', 'String', 'Token', 'AssetPath',
  'Matrix2d', 'Matrix3d', 'Matrix4d', 'Quatd', 'Quatf', 'Quath', 'Vec2d', 'Vec2f', 'Vec2h', 'Vec2i', 'Vec3d', 'Vec3f', 'Vec3h',
  'Vec3i', 'Vec4d', 'Vec4f', 'Vec4h', 'Vec4i', 'Dictionary', 'TokenListOp', 'StringListOp', 'PathListOp', 'ReferenceListOp',
  'IntListOp', 'Int64ListOp', 'UIntListOp', 'UInt64ListOp', 'PathVector', 'TokenVector', 'Specifier', 'Permission',
  'Variability', 'VariantSelectionMap', 'TimeSamples', 'Payload', 'DoubleVector', 'LayerOffsetVector', 'StringVector',
  'ValueBlock', 'Value', 'UnregisteredValue', 'UnregisteredValueListOp', 'PayloadListOp', 'TimeCode', 'PathExpression',
  'Relocates', 'Spline', 'AnimationBlock',
] as const;

const T = {
  Bool: 1, UChar: 2, Int: 3, UInt: 4, Int64: 5, UInt64: 6, Half: 7, Float: 8, Double: 9, String: 10, Token: 11, AssetPath: 12,
  Dictionary: 31, TokenListOp: 32, StringListOp: 33, PathListOp: 34, ReferenceListOp: 35, IntListOp: 36, Int64ListOp: 37,
  UIntListOp: 38, UInt64ListOp: 39, PathVector: 40, TokenVector: 41, Specifier: 42, Permission: 43, Variability: 44,
  VariantSelectionMap: 45, TimeSamples: 46, Payload: 47, DoubleVector: 48, LayerOffsetVector: 49, StringVector: 50,
  ValueBlock: 51, Value: 52, UnregisteredValue: 53, UnregisteredValueListOp: 54, PayloadListOp: 55, TimeCode: 56,
  PathExpression: 57, Relocates: 58,
} as const;

/** Scalar kinds of numeric values, with their sizes in bytes. */
const K = { Bool: 0, U8: 1, I32: 2, U32: 3, I64: 4, U64: 5, F16: 6, F32: 7, F64: 8 } as const;
type K = (typeof K)[keyof typeof K];
const KIND_SIZE = [1, 1, 4, 4, 8, 8, 2, 4, 8] as const;

interface Numeric {
  kind: K;
  /** Components per element. */
  n: number;
  shape: 'scalar' | 'vec' | 'matrix' | 'quat' | 'timecode';
}

const NUMERIC: Partial<Record<number, Numeric>> = {};
{
  const add = (type: number, kind: K, n: number, shape: Numeric['shape']) => (NUMERIC[type] = { kind, n, shape });
  add(T.Bool, K.Bool, 1, 'scalar');
  add(T.UChar, K.U8, 1, 'scalar');
  add(T.Int, K.I32, 1, 'scalar');
  add(T.UInt, K.U32, 1, 'scalar');
  add(T.Int64, K.I64, 1, 'scalar');
  add(T.UInt64, K.U64, 1, 'scalar');
  add(T.Half, K.F16, 1, 'scalar');
  add(T.Float, K.F32, 1, 'scalar');
  add(T.Double, K.F64, 1, 'scalar');
  add(13, K.F64, 4, 'matrix');
  add(14, K.F64, 9, 'matrix');
  add(15, K.F64, 16, 'matrix');
  add(16, K.F64, 4, 'quat');
  add(17, K.F32, 4, 'quat');
  add(18, K.F16, 4, 'quat');
  const vecKinds = [K.F64, K.F32, K.F16, K.I32];
  for (let dim = 2; dim <= 4; dim++) vecKinds.forEach((kind, i) => add(19 + (dim - 2) * 4 + i, kind, dim, 'vec'));
  add(T.TimeCode, K.F64, 1, 'timecode');
}

/** Scalars OpenUSD always stores in the value rep itself. */
const ALWAYS_INLINED = new Set<number>([T.Bool, T.UChar, T.Int, T.UInt, T.Half, T.Float]);

/** ListOp header bits. */
const LISTOP_IS_EXPLICIT = 0x01;
const LISTOP_EXPLICIT = 0x02;
const LISTOP_ADDED = 0x04;
const LISTOP_DELETED = 0x08;
const LISTOP_ORDERED = 0x10;
const LISTOP_PREPENDED = 0x20;
const LISTOP_APPENDED = 0x40;

/** OpenUSD compresses numeric arrays only from this many elements on. */
const MIN_COMPRESSED_ARRAY = 16;
/** Largest input of one LZ4 chunk (LZ4_MAX_INPUT_SIZE). */
const LZ4_MAX_CHUNK = 0x7e000000;
/** LZ4 expands at most about 255:1; no claim of decompressed size may exceed this ratio. */
const LZ4_MAX_RATIO = 256;
/** Upper bound on any single count a crate file may claim. */
const MAX_ELEMENTS = 200_000_000;
/** Values may nest (dictionaries in dictionaries, VtValues in VtValues) at most this deep. */
const MAX_DEPTH = 64;
/** Spec types a crate may hold (SdfSpecType: attribute 1 … variantSet 11). */
const MAX_SPEC_TYPE = 11;

const SPECIFIERS = ['def', 'over', 'class'] as const;
const PERMISSIONS = ['public', 'private'] as const;

const STRUCTURAL_SECTIONS = ['TOKENS', 'STRINGS', 'FIELDS', 'FIELDSETS', 'PATHS', 'SPECS'] as const;

// ---------------------------------------------------------------- errors

/** Malformed bytes; becomes an InputError at the boundary. */
class Corrupt extends Error {}

/** A value of a type this reader does not decode; the field holding it is dropped with a warning. */
class Unreadable extends Error {
  constructor(readonly typeName: string) {
    super(`value of type ${typeName} is not read`);
  }
}

function corrupt(why: string): never {
  throw new Corrupt(why);
}

// ---------------------------------------------------------------- numbers

const HALF_TABLE = (() => {
  const table = new Float64Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    table[h] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return table;
})();

const bitsView = new DataView(new ArrayBuffer(4));
function float32FromBits(bits: number): number {
  bitsView.setUint32(0, bits >>> 0, true);
  return bitsView.getFloat32(0, true);
}

/** Sign-extends byte `i` of a little-endian 32-bit word. */
const int8At = (word: number, i: number) => ((word >>> (8 * i)) << 24) >> 24;

/** Wraps a (possibly out-of-range) integer to the signed 64-bit range. */
function wrapInt64(v: number): number {
  if (v >= 2 ** 63) return v - 2 ** 64;
  if (v < -(2 ** 63)) return v + 2 ** 64;
  return v;
}

// ---------------------------------------------------------------- LZ4 (TfFastCompression)

/** Decompresses one LZ4 block from src[ip, ipEnd) into dst[op, opEnd); returns the bytes written. */
function lz4Block(src: Uint8Array, ip: number, ipEnd: number, dst: Uint8Array, op: number, opEnd: number): number {
  const opStart = op;
  if (ip >= ipEnd) corrupt('empty LZ4 block');
  for (;;) {
    const token = src[ip++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      for (;;) {
        if (ip >= ipEnd) corrupt('LZ4 literal length runs past its block');
        const b = src[ip++]!;
        literals += b;
        if (b !== 255) break;
      }
    }
    if (ip + literals > ipEnd) corrupt('LZ4 literals run past their block');
    if (op + literals > opEnd) corrupt('LZ4 data decompresses to more than its declared size');
    if (literals > 0) {
      dst.set(src.subarray(ip, ip + literals), op);
      ip += literals;
      op += literals;
    }
    if (ip === ipEnd) return op - opStart; // the last sequence has literals only
    if (ip + 2 > ipEnd) corrupt('LZ4 match offset runs past its block');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op - opStart) corrupt('LZ4 match refers to data before the start of its block');
    let length = (token & 15) + 4;
    if (length === 19) {
      for (;;) {
        if (ip >= ipEnd) corrupt('LZ4 match length runs past its block');
        const b = src[ip++]!;
        length += b;
        if (b !== 255) break;
      }
    }
    if (op + length > opEnd) corrupt('LZ4 data decompresses to more than its declared size');
    let from = op - offset;
    if (offset >= length) {
      dst.copyWithin(op, from, from + length);
      op += length;
    } else {
      for (const end = op + length; op < end; ) dst[op++] = dst[from++]!;
    }
  }
}

/** TfFastCompression: a chunk count byte (0: one chunk) and LZ4 blocks, each after its int32 size when chunked. */
function tfDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  if (src.length === 0) corrupt('empty compressed block');
  const out = new Uint8Array(maxOut);
  const chunks = src[0]!;
  if (chunks === 0) return out.subarray(0, lz4Block(src, 1, src.length, out, 0, maxOut));
  let ip = 1;
  let op = 0;
  for (let c = 0; c < chunks; c++) {
    if (ip + 4 > src.length) corrupt('compressed chunk header runs past its block');
    const size = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24)) >>> 0;
    ip += 4;
    if (ip + size > src.length) corrupt('compressed chunk runs past its block');
    op += lz4Block(src, ip, ip + size, out, op, Math.min(op + LZ4_MAX_CHUNK, maxOut));
    ip += size;
  }
  return out.subarray(0, op);
}

// ---------------------------------------------------------------- integer coding (integerCoding.cpp)

/**
 * Decodes `n` integers: a common delta, 2-bit codes (common, small, medium, large; four per byte,
 * low bits first), then the variable-width deltas. 32-bit: int8/int16/int32 deltas.
 */
function decodeInts32(data: Uint8Array, n: number): Int32Array {
  const out = new Int32Array(n);
  if (n === 0) return out;
  const codeBytes = (n * 2 + 7) >>> 3;
  const len = data.length;
  if (4 + codeBytes > len) corrupt('compressed integers are shorter than their codes');
  const view = new DataView(data.buffer, data.byteOffset, len);
  const common = view.getInt32(0, true);
  let v = 4 + codeBytes;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const code = (data[4 + (i >>> 2)]! >>> ((i & 3) * 2)) & 3;
    if (code === 0) prev = (prev + common) | 0;
    else if (code === 1) {
      if (v + 1 > len) corrupt('compressed integers run past their data');
      prev = (prev + view.getInt8(v)) | 0;
      v += 1;
    } else if (code === 2) {
      if (v + 2 > len) corrupt('compressed integers run past their data');
      prev = (prev + view.getInt16(v, true)) | 0;
      v += 2;
    } else {
      if (v + 4 > len) corrupt('compressed integers run past their data');
      prev = (prev + view.getInt32(v, true)) | 0;
      v += 4;
    }
    out[i] = prev;
  }
  return out;
}

/** 64-bit variant: int16/int32/int64 deltas; values as numbers (exact up to 2^53). */
function decodeInts64(data: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  const codeBytes = (n * 2 + 7) >>> 3;
  const len = data.length;
  if (8 + codeBytes > len) corrupt('compressed integers are shorter than their codes');
  const view = new DataView(data.buffer, data.byteOffset, len);
  const int64 = (at: number) => view.getInt32(at + 4, true) * 4294967296 + view.getUint32(at, true);
  const common = int64(0);
  let v = 8 + codeBytes;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const code = (data[8 + (i >>> 2)]! >>> ((i & 3) * 2)) & 3;
    let delta: number;
    if (code === 0) delta = common;
    else if (code === 1) {
      if (v + 2 > len) corrupt('compressed integers run past their data');
      delta = view.getInt16(v, true);
      v += 2;
    } else if (code === 2) {
      if (v + 4 > len) corrupt('compressed integers run past their data');
      delta = view.getInt32(v, true);
      v += 4;
    } else {
      if (v + 8 > len) corrupt('compressed integers run past their data');
      delta = int64(v);
      v += 8;
    }
    prev = wrapInt64(prev + delta);
    out[i] = prev;
  }
  return out;
}

// ---------------------------------------------------------------- paths

/** SdfPath::AppendElementToken on path strings: prim children, variant selections, ".prop", "[target]". */
function appendElement(parent: string, token: string): string {
  const c = token.charCodeAt(0);
  if (c === 0x7b /* { */ || c === 0x2e /* . */ || c === 0x5b /* [ */) return parent + token;
  if (parent === '/') return '/' + token;
  return parent.endsWith('}') ? parent + token : parent + '/' + token;
}

/** A typed array as a plain array (a plain loop: much faster than Array.from). */
function toArray(typed: ArrayLike<number>): number[] {
  const n = typed.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = typed[i]!;
  return out;
}

function setField(fields: Record<string, unknown>, name: string, value: unknown) {
  if (name === '__proto__') Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  else fields[name] = value;
}

// ---------------------------------------------------------------- the reader

interface Section {
  start: number;
  size: number;
}

class CrateReader {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly size: number;
  private pos = 0;
  /** (major << 16) | (minor << 8) | patch */
  private version = 0;

  private tokens: string[] = [];
  /** STRINGS: string index → token index. */
  private strings: Uint32Array = new Uint32Array(0);
  private fieldTokens: Uint32Array = new Uint32Array(0);
  /** Value reps of the fields, two words each: low, high. */
  private fieldReps: Uint32Array = new Uint32Array(0);
  private fieldSets: Uint32Array = new Uint32Array(0);
  private paths: (string | undefined)[] = [];
  private specPaths: Uint32Array = new Uint32Array(0);
  private specFieldSets: Uint32Array = new Uint32Array(0);
  private specTypes: Uint32Array = new Uint32Array(0);

  /** Elements (numbers, items, entries) still allowed to be decoded. */
  private budget: number;
  private readonly budgetTotal: number;
  /** Path characters still allowed to be built. */
  private pathChars: number;
  /** Out-of-line values already decoded, by value rep: files share them and so do we. */
  private readonly cache = new Map<string, unknown>();
  /** Reps being decoded right now, to catch values that claim to contain themselves. */
  private readonly active = new Set<string>();
  private depth = 0;
  /** The field being read, for warnings. */
  private where = '';
  private readonly warnings: string[] = [];
  /** Warnings of the field set being read (the spec path is added per spec). */
  private setWarnings: string[] = [];
  private readonly fieldSetCache = new Map<number, { entries: [string, unknown][]; warnings: string[] }>();

  constructor(
    bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
    this.budgetTotal = this.budget = 16_000_000 + 64 * this.size;
    this.pathChars = 32_000_000 + 256 * this.size;
  }

  read(): CrateReadResult {
    this.readBootstrap();
    const sections = this.readToc();
    this.readTokens(sections.TOKENS!);
    this.readStrings(sections.STRINGS!);
    this.readFields(sections.FIELDS!);
    this.readFieldSets(sections.FIELDSETS!);
    this.readPaths(sections.PATHS!);
    this.readSpecs(sections.SPECS!);
    return { specs: this.buildSpecs(), warnings: this.warnings };
  }

  // ---- bytes

  private at(n: number): number {
    const at = this.pos;
    if (at + n > this.size) corrupt(`a read of ${n} bytes at offset ${at} runs past the end of the file (${this.size} bytes)`);
    this.pos = at + n;
    return at;
  }
  private seek(offset: number) {
    if (!(offset >= 0 && offset <= this.size)) corrupt(`offset ${offset} lies outside the file (${this.size} bytes)`);
    this.pos = offset;
  }
  private u8(): number {
    return this.bytes[this.at(1)]!;
  }
  private u32(): number {
    return this.view.getUint32(this.at(4), true);
  }
  /** An unsigned 64-bit count or offset, as a number (inexact only beyond 2^53, where every check fails anyway). */
  private u64(): number {
    const at = this.at(8);
    return this.view.getUint32(at + 4, true) * 4294967296 + this.view.getUint32(at, true);
  }
  private i64(): number {
    const at = this.at(8);
    return this.view.getInt32(at + 4, true) * 4294967296 + this.view.getUint32(at, true);
  }
  private f64(): number {
    return this.view.getFloat64(this.at(8), true);
  }
  private ver(major: number, minor: number, patch = 0): boolean {
    return this.version >= ((major << 16) | (minor << 8) | patch);
  }

  /** Checks a claimed element count against the bytes left (each element at least `minBytes`) and the budget. */
  private count(n: number, minBytes: number, what: string): number {
    if (!(n <= MAX_ELEMENTS && n * minBytes <= this.size - this.pos)) corrupt(`${what} claims ${n} elements, more than the file can hold`);
    this.spend(n);
    return n;
  }
  private spend(n: number) {
    this.budget -= n;
    if (this.budget < 0) corrupt(`its values expand to more than ${this.budgetTotal} elements`);
  }

  /** `uint64 compressedSize` + TfFastCompression'd integer coding of `n` integers. */
  private compressedBytes(n: number, wide: boolean, what: string): Uint8Array {
    const compressedSize = this.u64();
    if (!(compressedSize <= this.size - this.pos)) corrupt(`${what}: compressed integers run past the end of the file`);
    const start = this.at(compressedSize);
    if (n === 0) return new Uint8Array(0);
    const codeBytes = Math.floor((n * 2 + 7) / 8);
    if (!(n <= MAX_ELEMENTS && codeBytes <= compressedSize * LZ4_MAX_RATIO + 64)) corrupt(`${what} claims ${n} integers in ${compressedSize} compressed bytes`);
    this.spend(n);
    const width = wide ? 8 : 4;
    return tfDecompress(this.bytes.subarray(start, start + compressedSize), width + codeBytes + n * width);
  }
  private compressedInts(n: number, what: string): Int32Array {
    return decodeInts32(this.compressedBytes(n, false, what), n);
  }

  // ---- structure

  private readBootstrap() {
    const magic = 'PXR-USDC';
    if (this.size < 8 || [...magic].some((ch, i) => this.bytes[i] !== ch.charCodeAt(0))) {
      throw new InputError(this.file, "not a USDC crate file (it does not start with 'PXR-USDC')");
    }
    if (this.size < 88) corrupt('the file is too small to hold the crate bootstrap header');
    const [major, minor, patch] = [this.bytes[8]!, this.bytes[9]!, this.bytes[10]!];
    if (major !== 0) throw new InputError(this.file, `unsupported USDC crate version ${major}.${minor}.${patch} (this reader reads versions 0.x)`);
    this.version = (major << 16) | (minor << 8) | patch;
    if (minor > 11) this.warnings.push(`/: crate version ${major}.${minor}.${patch} is newer than 0.11.0; read as 0.11`);
  }

  private readToc(): Record<string, Section> {
    this.pos = 16;
    const tocOffset = this.i64();
    if (!(tocOffset >= 88 && tocOffset < this.size)) corrupt(`the table of contents at offset ${tocOffset} lies outside the file`);
    this.seek(tocOffset);
    const n = this.u64();
    if (!(n <= 64 && n * 32 <= this.size - this.pos)) corrupt(`implausible table of contents (${n} sections)`);
    const sections: Record<string, Section> = Object.create(null) as Record<string, Section>;
    for (let i = 0; i < n; i++) {
      const nameAt = this.at(16);
      let name = '';
      for (let j = 0; j < 16 && this.bytes[nameAt + j] !== 0; j++) name += String.fromCharCode(this.bytes[nameAt + j]!);
      const start = this.i64();
      const size = this.i64();
      if (!(start >= 0 && size >= 0 && start + size <= this.size)) corrupt(`section ${name} lies outside the file`);
      sections[name] ??= { start, size };
    }
    for (const name of STRUCTURAL_SECTIONS) if (!sections[name]) corrupt(`section ${name} is missing`);
    return sections;
  }

  private readTokens(section: Section) {
    this.seek(section.start);
    const n = this.u64();
    let chars: Uint8Array;
    if (!this.ver(0, 4)) {
      const numBytes = this.u64();
      if (!(numBytes <= this.size - this.pos)) corrupt('the token section runs past the end of the file');
      const start = this.at(numBytes);
      chars = this.bytes.subarray(start, start + numBytes);
    } else {
      const uncompressed = this.u64();
      const compressed = this.u64();
      if (!(compressed <= this.size - this.pos && uncompressed <= compressed * LZ4_MAX_RATIO + 64)) corrupt('token section sizes are inconsistent');
      const start = this.at(compressed);
      chars = uncompressed === 0 ? new Uint8Array(0) : tfDecompress(this.bytes.subarray(start, start + compressed), uncompressed);
    }
    // Every token takes at least its NUL byte.
    if (!(n <= chars.length + 1 && n <= MAX_ELEMENTS)) corrupt(`the token section claims ${n} tokens in ${chars.length} bytes`);
    const all = new TextDecoder().decode(chars).split('\u0000');
    const found = chars.length === 0 ? 0 : chars[chars.length - 1] === 0 ? all.length - 1 : all.length;
    if (found < n) corrupt(`the token section claims ${n} tokens, holds ${found}`);
    all.length = n;
    this.tokens = all;
    this.spend(n);
  }

  private readStrings(section: Section) {
    this.seek(section.start);
    const n = this.count(this.u64(), 4, 'the string section');
    const start = this.at(n * 4);
    this.strings = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.strings[i] = this.view.getUint32(start + i * 4, true);
  }

  private readFields(section: Section) {
    this.seek(section.start);
    if (!this.ver(0, 4)) {
      const n = this.count(this.u64(), 16, 'the field section');
      this.fieldTokens = new Uint32Array(n);
      this.fieldReps = new Uint32Array(n * 2);
      for (let i = 0; i < n; i++) {
        this.at(4); // padding
        this.fieldTokens[i] = this.u32();
        this.fieldReps[2 * i] = this.u32();
        this.fieldReps[2 * i + 1] = this.u32();
      }
      return;
    }
    const n = this.u64();
    if (!(n <= MAX_ELEMENTS)) corrupt(`the field section claims ${n} fields`);
    this.fieldTokens = new Uint32Array(this.compressedInts(n, 'the field section').buffer);
    const repsSize = this.u64();
    if (!(repsSize <= this.size - this.pos && n * 8 <= repsSize * LZ4_MAX_RATIO + 64)) corrupt('the field section value reps are inconsistent');
    const start = this.at(repsSize);
    const reps = n === 0 ? new Uint8Array(0) : tfDecompress(this.bytes.subarray(start, start + repsSize), n * 8);
    if (reps.length !== n * 8) corrupt(`the field section holds ${reps.length / 8} value reps for ${n} fields`);
    this.fieldReps = new Uint32Array(n * 2);
    const view = new DataView(reps.buffer, reps.byteOffset, reps.length);
    for (let i = 0; i < n * 2; i++) this.fieldReps[i] = view.getUint32(i * 4, true);
  }

  private readFieldSets(section: Section) {
    this.seek(section.start);
    if (!this.ver(0, 4)) {
      const n = this.count(this.u64(), 4, 'the field set section');
      const start = this.at(n * 4);
      this.fieldSets = new Uint32Array(n);
      for (let i = 0; i < n; i++) this.fieldSets[i] = this.view.getUint32(start + i * 4, true);
      return;
    }
    const n = this.u64();
    if (!(n <= MAX_ELEMENTS)) corrupt(`the field set section claims ${n} entries`);
    this.fieldSets = new Uint32Array(this.compressedInts(n, 'the field set section').buffer);
  }

  private readPaths(section: Section) {
    this.seek(section.start);
    const numPaths = this.u64();
    if (!(numPaths <= MAX_ELEMENTS && numPaths <= section.size * 1024 + 64)) corrupt(`the path section claims ${numPaths} paths`);
    this.paths = new Array<string | undefined>(numPaths);
    if (!this.ver(0, 4)) {
      this.readPathTree(numPaths);
      return;
    }
    const n = this.u64();
    if (!(n <= numPaths)) corrupt(`the path section encodes ${n} paths for a table of ${numPaths}`);
    const pathIndexes = this.compressedInts(n, 'the path indexes');
    const elements = this.compressedInts(n, 'the path element tokens');
    const jumps = this.compressedInts(n, 'the path jumps');
    if (n > 0) this.buildPaths(pathIndexes, elements, jumps);
  }

  private setPath(index: number, path: string) {
    if (!(index >= 0 && index < this.paths.length)) corrupt(`path index ${index} out of range (${this.paths.length} paths)`);
    this.pathChars -= path.length;
    if (this.pathChars < 0) corrupt('its paths are implausibly long');
    this.paths[index] = path;
  }

  private elementToken(index: number): string {
    const token = this.tokens[index];
    if (token === undefined) corrupt(`path element token ${index} out of range (${this.tokens.length} tokens)`);
    return token!;
  }

  /** The compressed path tree (0.4.0 on), walked iteratively: each entry is visited once. */
  private buildPaths(pathIndexes: Int32Array, elements: Int32Array, jumps: Int32Array) {
    const n = pathIndexes.length;
    const visited = new Uint8Array(n);
    const pending: [number, string][] = [[0, '']];
    while (pending.length) {
      let [current, parent] = pending.pop()!;
      for (;;) {
        if (current >= n) corrupt(`the path tree runs past its ${n} entries`);
        if (visited[current]) corrupt('the path tree refers back to an entry already read');
        visited[current] = 1;
        const index = current++;
        let path: string;
        if (parent === '') path = '/';
        else {
          const element = elements[index]!;
          path = element < 0 ? `${parent}.${this.elementToken(-element)}` : appendElement(parent, this.elementToken(element));
        }
        this.setPath(pathIndexes[index]!, path);
        const jump = jumps[index]!;
        const hasChild = jump > 0 || jump === -1;
        const hasSibling = jump >= 0;
        if (hasChild) {
          if (hasSibling) {
            if (index + jump >= n) corrupt(`the path tree jumps past its ${n} entries`);
            pending.push([index + jump, parent]);
          }
          parent = path;
        } else if (!hasSibling) break;
      }
    }
  }

  /** The uncompressed path tree of versions before 0.4.0: headers with absolute sibling offsets. */
  private readPathTree(numPaths: number) {
    const headerSize = this.version === 1 ? 16 : 12;
    const seen = new Set<number>();
    const pending: [number, string][] = [[this.pos, '']];
    while (pending.length) {
      let [offset, parent] = pending.pop()!;
      this.seek(offset);
      for (;;) {
        if (seen.has(this.pos) || seen.size > numPaths) corrupt('the path tree refers back to an entry already read');
        seen.add(this.pos);
        const at = this.at(headerSize) + (headerSize === 16 ? 4 : 0);
        const index = this.view.getUint32(at, true);
        const element = this.view.getUint32(at + 4, true);
        const bits = this.bytes[at + 8]!;
        const path = parent === '' ? '/' : bits & 4 ? `${parent}.${this.elementToken(element)}` : appendElement(parent, this.elementToken(element));
        this.setPath(index, path);
        const hasChild = (bits & 1) !== 0;
        const hasSibling = (bits & 2) !== 0;
        if (hasChild) {
          if (hasSibling) pending.push([this.i64(), parent]);
          parent = path;
        } else if (!hasSibling) break;
      }
    }
  }

  private readSpecs(section: Section) {
    this.seek(section.start);
    if (!this.ver(0, 4)) {
      const padded = this.version === 1;
      const n = this.count(this.u64(), padded ? 16 : 12, 'the spec section');
      this.specPaths = new Uint32Array(n);
      this.specFieldSets = new Uint32Array(n);
      this.specTypes = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        if (padded) this.at(4);
        this.specPaths[i] = this.u32();
        this.specFieldSets[i] = this.u32();
        this.specTypes[i] = this.u32();
      }
      return;
    }
    const n = this.u64();
    if (!(n <= MAX_ELEMENTS)) corrupt(`the spec section claims ${n} specs`);
    this.specPaths = new Uint32Array(this.compressedInts(n, 'the spec paths').buffer);
    this.specFieldSets = new Uint32Array(this.compressedInts(n, 'the spec field sets').buffer);
    this.specTypes = new Uint32Array(this.compressedInts(n, 'the spec types').buffer);
  }

  private buildSpecs(): SdfSpecs {
    const specs: SdfSpecs = new Map();
    const n = this.specPaths.length;
    for (let i = 0; i < n; i++) {
      const pathIndex = this.specPaths[i]!;
      const path = this.paths[pathIndex];
      if (path === undefined) corrupt(`spec ${i} has path index ${pathIndex}, which names no path`);
      const specType = this.specTypes[i]!;
      if (!(specType >= 1 && specType <= MAX_SPEC_TYPE)) corrupt(`spec <${path}> has invalid spec type ${specType}`);
      if (specs.has(path!)) corrupt(`spec <${path}> appears twice`);
      const set = this.fieldSet(this.specFieldSets[i]!, path!);
      // Specs share field sets (OpenUSD dedups them); each spec gets its own fields object.
      this.spend(set.entries.length);
      const fields: Record<string, unknown> = {};
      for (const [name, value] of set.entries) setField(fields, name, value);
      for (const warning of set.warnings) this.warnings.push(`${path}: ${warning}`);
      const spec: SdfSpec = { specType, fields };
      specs.set(path!, spec);
    }
    return specs;
  }

  /** The fields of the field set starting at `start`, decoded once; warnings without the spec path. */
  private fieldSet(start: number, path: string): { entries: [string, unknown][]; warnings: string[] } {
    const known = this.fieldSetCache.get(start);
    if (known) return known;
    if (start > this.fieldSets.length) corrupt(`spec <${path}> has field set ${start}, out of range`);
    const set = { entries: [] as [string, unknown][], warnings: [] as string[] };
    this.setWarnings = set.warnings;
    for (let f = start; f < this.fieldSets.length; f++) {
      const fieldIndex = this.fieldSets[f]!;
      if (fieldIndex === 0xffffffff) break;
      this.spend(1);
      if (fieldIndex >= this.fieldTokens.length) corrupt(`spec <${path}> refers to field ${fieldIndex}, out of range`);
      const name = this.tokens[this.fieldTokens[fieldIndex]!];
      if (name === undefined) corrupt(`field ${fieldIndex} has token index ${this.fieldTokens[fieldIndex]}, out of range`);
      this.where = `field ${name}`;
      try {
        set.entries.push([name!, this.fieldValue(name!, this.fieldReps[2 * fieldIndex + 1]!, this.fieldReps[2 * fieldIndex]!)]);
      } catch (e) {
        if (!(e instanceof Unreadable)) throw e;
        set.warnings.push(`field ${name}: ${e.message}`);
      }
    }
    this.fieldSetCache.set(start, set);
    return set;
  }

  /** A field's value, with the conversions Usd_CrateData applies (a lone payload becomes a list-op). */
  private fieldValue(name: string, hi: number, lo: number): unknown {
    const value = this.value(hi, lo);
    if (name === 'payload' && ((hi >>> 16) & 0xff) === T.Payload) {
      const payload = value as SdfReference;
      return payload.assetPath === '' ? { listOp: true, explicit: [] } : { listOp: true, explicit: [payload] };
    }
    return value;
  }

  // ---- values

  private token(index: number): string {
    const token = this.tokens[index];
    if (token === undefined) corrupt(`token index ${index} out of range (${this.tokens.length} tokens)`);
    return token!;
  }
  private string(index: number): string {
    const token = this.strings[index];
    if (token === undefined) corrupt(`string index ${index} out of range (${this.strings.length} strings)`);
    return this.token(token!);
  }
  private path(index: number): string {
    if (!(index < this.paths.length)) corrupt(`path index ${index} out of range (${this.paths.length} paths)`);
    return this.paths[index] ?? ''; // the empty path is in the table but not in the tree
  }

  /** Decodes a value rep (high and low 32-bit words). Leaves the read position where it was. */
  private value(hi: number, lo: number): unknown {
    const type = (hi >>> 16) & 0xff;
    const isArray = hi >>> 31 === 1;
    const inlined = ((hi >>> 30) & 1) === 1;
    const payload = (hi & 0xffff) * 4294967296 + lo;
    const numeric = NUMERIC[type];
    if (numeric) {
      if (isArray) return this.outOfLine(hi, lo, payload, () => this.numericArray(numeric, payload, ((hi >>> 29) & 1) === 1));
      if (ALWAYS_INLINED.has(type) || inlined) return this.inlineNumeric(numeric, lo);
      return this.outOfLine(hi, lo, payload, () => this.numericElement(numeric));
    }
    switch (type) {
      case T.String:
      case T.Token:
      case T.AssetPath:
      case T.PathExpression: {
        // Token arrays hold token indices; other out-of-line strings (asset paths too) string indices.
        const item = type === T.Token ? () => this.token(this.u32()) : () => this.string(this.u32());
        if (isArray) return this.outOfLine(hi, lo, payload, () => this.array(item, 4, payload, 'string array'));
        if (type === T.PathExpression) return this.outOfLine(hi, lo, payload, item);
        return type === T.String ? this.string(lo) : this.token(lo);
      }
      case T.Specifier:
        return SPECIFIERS[lo] ?? corrupt(`invalid specifier ${lo}`);
      case T.Permission:
        return PERMISSIONS[lo] ?? corrupt(`invalid permission ${lo}`);
      case T.Variability:
        // 2 was SdfVariabilityConfig, read as uniform.
        return lo === 0 ? 'varying' : lo === 1 || lo === 2 ? 'uniform' : corrupt(`invalid variability ${lo}`);
      case T.ValueBlock:
        return VALUE_BLOCK;
      case T.Dictionary:
        if (inlined) return {}; // only the empty dictionary is inlined
        return this.outOfLine(hi, lo, payload, () => this.dictionary());
      default:
        break;
    }
    if (type === 0 || type > T.Relocates) throw new Unreadable(TYPE_NAMES[type] ?? `#${type}`);
    if (inlined) corrupt(`a ${TYPE_NAMES[type]} value is marked inlined`);
    return this.outOfLine(hi, lo, payload, () => this.structured(type));
  }

  /** Non-numeric values stored out of line, read at the current position. */
  private structured(type: number): unknown {
    switch (type) {
      case T.TokenListOp:
        return this.listOp(() => this.token(this.u32()), 4);
      case T.StringListOp:
        return this.listOp(() => this.string(this.u32()), 4);
      case T.PathListOp:
        return this.listOp(() => this.path(this.u32()), 4);
      case T.ReferenceListOp:
        return this.listOp(() => this.reference(), 32);
      case T.IntListOp:
        return this.listOp(() => this.view.getInt32(this.at(4), true), 4);
      case T.UIntListOp:
        return this.listOp(() => this.u32(), 4);
      case T.Int64ListOp:
        return this.listOp(() => this.i64(), 8);
      case T.UInt64ListOp:
        return this.listOp(() => this.u64(), 8);
      case T.PayloadListOp:
        return this.listOp(() => this.payload(), 8);
      case T.UnregisteredValueListOp:
        return this.listOp(() => this.vtValue(), 8);
      case T.PathVector:
        return this.vector(() => this.path(this.u32()), 4, 'path vector');
      case T.TokenVector:
        return this.vector(() => this.token(this.u32()), 4, 'token vector');
      case T.StringVector:
        return this.vector(() => this.string(this.u32()), 4, 'string vector');
      case T.DoubleVector:
        return this.vector(() => this.f64(), 8, 'double vector');
      case T.LayerOffsetVector:
        return this.vector(() => this.layerOffset(), 16, 'layer offset vector');
      case T.VariantSelectionMap: {
        const n = this.count(this.u64(), 8, 'variant selection map');
        const entries: [string, string][] = [];
        for (let i = 0; i < n; i++) entries.push([this.string(this.u32()), this.string(this.u32())]);
        return Object.fromEntries(entries);
      }
      case T.TimeSamples:
        return this.timeSamples();
      case T.Payload:
        return this.payload();
      case T.Value:
      case T.UnregisteredValue:
        return this.vtValue();
      case T.Relocates:
        return this.vector(() => [this.path(this.u32()), this.path(this.u32())] as [string, string], 8, 'relocates');
      default:
        return corrupt(`unexpected value type ${type}`);
    }
  }

  /** Decodes an out-of-line value once per rep; guards against self-containing and too deeply nested values. */
  private outOfLine<V>(hi: number, lo: number, payload: number, read: () => V): V {
    const key = `${hi}:${lo}`;
    if (this.cache.has(key)) return this.cache.get(key) as V;
    if (this.active.has(key)) corrupt('a value claims to contain itself');
    if (this.depth >= MAX_DEPTH) corrupt(`values nest more than ${MAX_DEPTH} deep`);
    const saved = this.pos;
    this.active.add(key);
    this.depth++;
    try {
      this.seek(payload);
      const value = read();
      this.cache.set(key, value);
      return value;
    } finally {
      this.depth--;
      this.active.delete(key);
      this.pos = saved;
    }
  }

  /** A VtValue written in line: an int64 offset (from its own position) to its value rep. */
  private vtValue(): unknown {
    const start = this.pos;
    this.seek(start + this.i64());
    const lo = this.u32();
    const hi = this.u32();
    return this.value(hi, lo);
  }

  private dictionary(): Record<string, unknown> {
    const n = this.count(this.u64(), 12, 'dictionary');
    const entries: [string, unknown][] = [];
    const where = this.where;
    for (let i = 0; i < n; i++) {
      const key = this.string(this.u32());
      try {
        entries.push([key, this.vtValue()]);
      } catch (e) {
        if (!(e instanceof Unreadable)) throw e;
        // The entry is dropped; the read position is already past its value rep.
        this.setWarnings.push(`${where}: dictionary entry "${key}": ${e.message}`);
      }
    }
    return Object.fromEntries(entries);
  }

  private vector<V>(item: () => V, minBytes: number, what: string): V[] {
    const n = this.count(this.u64(), minBytes, what);
    const out: V[] = new Array<V>(n);
    for (let i = 0; i < n; i++) out[i] = item();
    return out;
  }

  /** An array of non-numeric items (strings, tokens, asset paths): count, then items. */
  private array<V>(item: () => V, minBytes: number, payload: number, what: string): V[] {
    if (payload === 0) return [];
    if (!this.ver(0, 5)) this.at(4); // rank, before 0.5.0
    const n = this.count(this.ver(0, 7) ? this.u64() : this.u32(), minBytes, what);
    const out: V[] = new Array<V>(n);
    for (let i = 0; i < n; i++) out[i] = item();
    return out;
  }

  private listOp<V>(item: () => V, minBytes: number): SdfListOp<V> {
    const header = this.u8();
    // Sdf's SdfListOp: setting explicit items makes the op explicit; any other list makes it not.
    let isExplicit = (header & LISTOP_IS_EXPLICIT) !== 0;
    let lists: Partial<Record<'explicit' | 'added' | 'prepended' | 'appended' | 'deleted' | 'ordered', V[]>> = {};
    const read = (bit: number, key: keyof typeof lists) => {
      if (!(header & bit)) return;
      const explicit = key === 'explicit';
      if (explicit !== isExplicit) lists = {};
      isExplicit = explicit;
      lists[key] = this.vector(item, minBytes, 'list-op');
    };
    read(LISTOP_EXPLICIT, 'explicit');
    read(LISTOP_ADDED, 'added');
    read(LISTOP_PREPENDED, 'prepended');
    read(LISTOP_APPENDED, 'appended');
    read(LISTOP_DELETED, 'deleted');
    read(LISTOP_ORDERED, 'ordered');
    if (isExplicit) return { listOp: true, explicit: lists.explicit ?? [] };
    return { listOp: true, ...lists };
  }

  private layerOffset(): LayerOffset {
    const offset = this.f64();
    const scale = this.f64();
    return { offset, scale };
  }

  private reference(): SdfReference {
    const assetPath = this.string(this.u32());
    const primPath = this.path(this.u32());
    const layerOffset = this.layerOffset();
    const customData = this.dictionaryInline();
    const ref: SdfReference = { assetPath, primPath };
    if (layerOffset.offset !== 0 || layerOffset.scale !== 1) ref.layerOffset = layerOffset;
    if (Object.keys(customData).length) ref.customData = customData;
    return ref;
  }

  /** A dictionary written in line (inside a reference), not through a value rep. */
  private dictionaryInline(): Record<string, unknown> {
    if (this.depth >= MAX_DEPTH) corrupt(`values nest more than ${MAX_DEPTH} deep`);
    this.depth++;
    try {
      return this.dictionary();
    } finally {
      this.depth--;
    }
  }

  private payload(): SdfReference {
    const assetPath = this.string(this.u32());
    const primPath = this.path(this.u32());
    const ref: SdfReference = { assetPath, primPath };
    // Layer offsets in payloads came with 0.8.0.
    if (this.ver(0, 8)) {
      const layerOffset = this.layerOffset();
      if (layerOffset.offset !== 0 || layerOffset.scale !== 1) ref.layerOffset = layerOffset;
    }
    return ref;
  }

  private timeSamples(): TimeSamples {
    // An offset to the times' rep, then an offset to the count and the values' reps.
    let start = this.pos;
    this.seek(start + this.i64());
    const timesLo = this.u32();
    const timesHi = this.u32();
    start = this.pos;
    this.seek(start + this.i64());
    const n = this.count(this.u64(), 8, 'time samples');
    const repsAt = this.at(n * 8);
    const times = this.value(timesHi, timesLo);
    if (!Array.isArray(times) || !times.every((t) => typeof t === 'number')) corrupt('time sample times are not numbers');
    if ((times as number[]).length !== n) corrupt(`${(times as number[]).length} sample times for ${n} values`);
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      values[i] = this.value(this.view.getUint32(repsAt + i * 8 + 4, true), this.view.getUint32(repsAt + i * 8, true));
    }
    return { times: times as number[], values };
  }

  // ---- numeric values

  private inlineNumeric(t: Numeric, lo: number): unknown {
    if (t.shape === 'scalar') {
      switch (t.kind) {
        case K.Bool:
          return (lo & 0xff) !== 0;
        case K.U8:
          return lo & 0xff;
        case K.I32:
        case K.I64:
          return lo | 0;
        case K.U32:
        case K.U64:
          return lo >>> 0;
        case K.F16:
          return HALF_TABLE[lo & 0xffff]!;
        case K.F32:
        case K.F64: // a double that is exactly a float
          return float32FromBits(lo);
      }
    }
    if (t.shape === 'vec') return Array.from({ length: t.n }, (_, i) => int8At(lo, i));
    if (t.shape === 'matrix') {
      // Zero off the diagonal; the diagonal as int8s.
      const dim = Math.round(Math.sqrt(t.n));
      const m = new Array<number>(t.n).fill(0);
      for (let i = 0; i < dim; i++) m[i * dim + i] = int8At(lo, i);
      return m;
    }
    if (t.shape === 'timecode') return 0; // OpenUSD never inlines a timecode; it would read the default
    return corrupt('a quaternion value is marked inlined');
  }

  /** One numeric element at the current position: a number (boolean), or its components. */
  private numericElement(t: Numeric): unknown {
    const at = this.at(t.n * KIND_SIZE[t.kind]);
    const values = this.readNumbers(t.kind, at, t.n);
    if (t.n === 1 && t.shape !== 'vec') return t.kind === K.Bool ? values[0] !== 0 : values[0];
    return values;
  }

  private numericArray(t: Numeric, payload: number, compressed: boolean): number[] | boolean[] {
    if (payload === 0) return []; // the empty array
    if (!this.ver(0, 5)) this.at(4); // rank, before 0.5.0
    const count = this.ver(0, 7) ? this.u64() : this.u32();
    const size = KIND_SIZE[t.kind];
    const isInt = t.kind === K.I32 || t.kind === K.U32 || t.kind === K.I64 || t.kind === K.U64;
    const isFloat = t.kind === K.F16 || t.kind === K.F32 || t.kind === K.F64;
    const mayCompress = compressed && t.shape === 'scalar' && ((isInt && this.ver(0, 5)) || (isFloat && this.ver(0, 6)));
    if (!mayCompress || count < MIN_COMPRESSED_ARRAY) {
      const total = count * t.n;
      if (!(count <= MAX_ELEMENTS && total * size <= this.size - this.pos)) corrupt(`an array claims ${count} elements, more than the file can hold`);
      this.spend(total);
      const values = this.readNumbers(t.kind, this.at(total * size), total);
      return t.kind === K.Bool ? values.map((v) => v !== 0) : values;
    }
    if (isInt) {
      if (t.kind === K.I64 || t.kind === K.U64) {
        const ints = toArray(decodeInts64(this.compressedBytes(count, true, 'an int64 array'), count));
        if (t.kind === K.U64) for (let i = 0; i < count; i++) if (ints[i]! < 0) ints[i] = ints[i]! + 2 ** 64;
        return ints;
      }
      const ints = this.compressedInts(count, 'an int array');
      return toArray(t.kind === K.U32 ? new Uint32Array(ints.buffer, ints.byteOffset, ints.length) : ints);
    }
    const code = this.u8();
    if (code === 0x69 /* 'i': integers */) return toArray(this.compressedInts(count, 'a float array'));
    if (code === 0x74 /* 't': lookup table and indexes */) {
      const lutSize = this.u32();
      if (!(lutSize * size <= this.size - this.pos)) corrupt(`a lookup table claims ${lutSize} entries, more than the file can hold`);
      this.spend(lutSize);
      const lut = this.readNumbers(t.kind, this.at(lutSize * size), lutSize);
      const indexes = this.compressedInts(count, 'a float array');
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        const v = lut[indexes[i]! >>> 0];
        if (v === undefined) corrupt(`a lookup table index ${indexes[i]! >>> 0} is out of range (${lutSize} entries)`);
        out[i] = v!;
      }
      return out;
    }
    return corrupt(`unknown float array compression code ${code}`);
  }

  /** `n` scalars of one kind starting at byte `at` (already bounds-checked). */
  private readNumbers(kind: K, at: number, n: number): number[] {
    const view = this.view;
    const out = new Array<number>(n);
    switch (kind) {
      case K.Bool:
      case K.U8:
        for (let i = 0; i < n; i++) out[i] = this.bytes[at + i]!;
        break;
      case K.I32:
        for (let i = 0; i < n; i++) out[i] = view.getInt32(at + 4 * i, true);
        break;
      case K.U32:
        for (let i = 0; i < n; i++) out[i] = view.getUint32(at + 4 * i, true);
        break;
      case K.I64:
        for (let i = 0; i < n; i++) out[i] = view.getInt32(at + 8 * i + 4, true) * 4294967296 + view.getUint32(at + 8 * i, true);
        break;
      case K.U64:
        for (let i = 0; i < n; i++) out[i] = view.getUint32(at + 8 * i + 4, true) * 4294967296 + view.getUint32(at + 8 * i, true);
        break;
      case K.F16:
        for (let i = 0; i < n; i++) out[i] = HALF_TABLE[view.getUint16(at + 2 * i, true)]!;
        break;
      case K.F32:
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + 4 * i, true);
        break;
      case K.F64:
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(at + 8 * i, true);
        break;
    }
    return out;
  }
}
