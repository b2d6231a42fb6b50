/**
 * NumPy `.npy` files (format version 1.0, numpy.lib.format): plain n-d arrays and 1-d structured
 * arrays (records with named fields, each a scalar or a fixed-shape sub-array), little-endian,
 * C order. Also a reader, for tests and tools.
 *
 * Layout: the magic "\x93NUMPY", version bytes 1 0, a little-endian uint16 header length, then the
 * header — the repr of a Python dict {'descr': …, 'fortran_order': False, 'shape': (…), }, padded
 * with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes (as numpy ≥ 1.13
 * writes it) — then the raw data.
 *
 * Must not: depend on the platform's byte order (multi-byte values are written little-endian).
 */

/** Scalar types we read and write (numpy `descr` strings). */
export type NpyScalar = '<f4' | '<f8' | '<u4' | '<i4' | '<u2' | '<i2' | '|u1' | '|i1';

interface ScalarCodec {
  bytes: number;
  set(view: DataView, offset: number, value: number): void;
  get(view: DataView, offset: number): number;
}

const SCALARS: Record<NpyScalar, ScalarCodec> = {
  '<f4': { bytes: 4, set: (v, o, x) => v.setFloat32(o, x, true), get: (v, o) => v.getFloat32(o, true) },
  '<f8': { bytes: 8, set: (v, o, x) => v.setFloat64(o, x, true), get: (v, o) => v.getFloat64(o, true) },
  '<u4': { bytes: 4, set: (v, o, x) => v.setUint32(o, x, true), get: (v, o) => v.getUint32(o, true) },
  '<i4': { bytes: 4, set: (v, o, x) => v.setInt32(o, x, true), get: (v, o) => v.getInt32(o, true) },
  '<u2': { bytes: 2, set: (v, o, x) => v.setUint16(o, x, true), get: (v, o) => v.getUint16(o, true) },
  '<i2': { bytes: 2, set: (v, o, x) => v.setInt16(o, x, true), get: (v, o) => v.getInt16(o, true) },
  '|u1': { bytes: 1, set: (v, o, x) => v.setUint8(o, x), get: (v, o) => v.getUint8(o) },
  '|i1': { bytes: 1, set: (v, o, x) => v.setInt8(o, x), get: (v, o) => v.getInt8(o) },
};

export type NpyTypedArray = Float32Array | Float64Array | Uint32Array | Int32Array | Uint16Array | Int16Array | Uint8Array | Int8Array;

export interface NpyArray {
  descr: NpyScalar;
  shape: readonly number[];
  /** C-order values; its length is the product of the shape. */
  data: NpyTypedArray;
}

/** One field of a structured dtype, e.g. { name: 'transform', descr: '<f4', shape: [4, 4] }. */
export interface NpyField {
  name: string;
  descr: NpyScalar;
  shape?: readonly number[];
}

/** One record: a number per scalar field, C-order numbers for a sub-array field. */
export type NpyRow = Record<string, number | readonly number[]>;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function checkShape(shape: readonly number[]): void {
  for (const n of shape) if (!Number.isInteger(n) || n < 0) throw new RangeError(`npy: bad dimension ${n} in shape (${shape.join(', ')})`);
}

/** Python's repr of a tuple of ints: (), (3,), (2, 3). */
function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function pyString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s) || s.includes("'") || s.includes('\\')) throw new RangeError(`npy: field name ${JSON.stringify(s)} must be printable ASCII without quotes or backslashes`);
  return `'${s}'`;
}

function descrRepr(fields: readonly NpyField[]): string {
  const items = fields.map((f) => (f.shape && f.shape.length > 0 ? `(${pyString(f.name)}, '${f.descr}', ${pyTuple(f.shape)})` : `(${pyString(f.name)}, '${f.descr}')`));
  return `[${items.join(', ')}]`;
}

function withHeader(descr: string, shape: readonly number[], dataBytes: number): { bytes: Uint8Array; dataOffset: number } {
  const dict = `{'descr': ${descr}, 'fortran_order': False, 'shape': ${pyTuple(shape)}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  const headerLength = dict.length + 1 + ((ALIGN - (unpadded % ALIGN)) % ALIGN);
  if (headerLength > 0xffff) throw new RangeError('npy: header too long for format version 1.0');
  const dataOffset = MAGIC.length + 4 + headerLength;
  const bytes = new Uint8Array(dataOffset + dataBytes);
  bytes.set(MAGIC, 0);
  bytes[6] = 1; // major version
  bytes[7] = 0; // minor version
  bytes[8] = headerLength & 0xff;
  bytes[9] = headerLength >> 8;
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  return { bytes, dataOffset };
}

/** A plain n-d array (shape [] for a scalar). */
export function encodeNpy(array: NpyArray): Uint8Array {
  checkShape(array.shape);
  const codec = SCALARS[array.descr];
  const count = product(array.shape);
  if (array.data.length !== count) throw new RangeError(`npy: ${array.data.length} values for shape (${array.shape.join(', ')})`);
  if (array.data.BYTES_PER_ELEMENT !== codec.bytes) throw new TypeError(`npy: a ${array.data.constructor.name} cannot hold ${array.descr}`);
  const { bytes, dataOffset } = withHeader(`'${array.descr}'`, array.shape, count * codec.bytes);
  if (littleEndianHost || codec.bytes === 1) {
    bytes.set(new Uint8Array(array.data.buffer, array.data.byteOffset, count * codec.bytes), dataOffset);
  } else {
    const view = new DataView(bytes.buffer, dataOffset);
    for (let i = 0; i < count; i++) codec.set(view, i * codec.bytes, array.data[i]!);
  }
  return bytes;
}

/** Bytes of one record of a structured dtype (numpy packs fields without padding). */
export function structuredItemSize(fields: readonly NpyField[]): number {
  return fields.reduce((size, f) => size + SCALARS[f.descr].bytes * product(f.shape ?? []), 0);
}

/** A 1-d structured array: one record per row, fields in the given order. */
export function encodeStructuredNpy(fields: readonly NpyField[], rows: readonly NpyRow[]): Uint8Array {
  if (fields.length === 0) throw new RangeError('npy: a structured dtype needs at least one field');
  for (const f of fields) checkShape(f.shape ?? []);
  const itemSize = structuredItemSize(fields);
  const { bytes, dataOffset } = withHeader(descrRepr(fields), [rows.length], rows.length * itemSize);
  const view = new DataView(bytes.buffer, dataOffset);
  rows.forEach((row, r) => {
    let offset = r * itemSize;
    for (const field of fields) {
      const codec = SCALARS[field.descr];
      const count = product(field.shape ?? []);
      const value = row[field.name];
      if (field.shape && field.shape.length > 0) {
        if (typeof value === 'number' || value === undefined || value.length !== count) throw new RangeError(`npy: row ${r} field ${field.name} needs ${count} values`);
        for (let i = 0; i < count; i++) codec.set(view, offset + i * codec.bytes, value[i]!);
      } else {
        if (typeof value !== 'number') throw new RangeError(`npy: row ${r} field ${field.name} needs a number`);
        codec.set(view, offset, value);
      }
      offset += count * codec.bytes;
    }
  });
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface NpyFile {
  version: [number, number];
  /** Length of the header dict text including its padding and '\n'. */
  headerLength: number;
  /** The header dict text as stored. */
  headerText: string;
  /** A scalar type, or the fields of a structured dtype. */
  descr: NpyScalar | NpyField[];
  fortranOrder: boolean;
  shape: number[];
  /** The raw data after the header. */
  data: Uint8Array;
}

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** Parses the subset of Python literals numpy headers use: dicts, lists, tuples, strings, ints, True/False/None. */
export function parsePythonLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`npy header: ${what} at offset ${i} in ${JSON.stringify(text)}`);
  };
  const skip = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): PyValue => {
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: { [key: string]: PyValue } = {};
      for (;;) {
        skip();
        if (text[i] === '}') return i++, out;
        const key = value();
        if (typeof key !== 'string') fail('dict key is not a string');
        skip();
        if (text[i++] !== ':') fail("expected ':'");
        out[key as string] = value();
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const out: PyValue[] = [];
      for (;;) {
        skip();
        if (text[i] === close) return i++, out;
        out.push(value());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const word = /^(-?\d+|True|False|None)/.exec(text.slice(i));
    if (!word) return fail('unexpected character');
    i += word[0].length;
    return word[0] === 'True' ? true : word[0] === 'False' ? false : word[0] === 'None' ? null : Number(word[0]);
  };
  const result = value();
  skip();
  if (i !== text.length) fail('trailing text');
  return result;
}

const isScalar = (d: unknown): d is NpyScalar => typeof d === 'string' && d in SCALARS;

export function decodeNpy(bytes: Uint8Array): NpyFile {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new SyntaxError('npy: missing the \\x93NUMPY magic');
  const version: [number, number] = [bytes[6]!, bytes[7]!];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = version[0] >= 2;
  const headerLength = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = wide ? 12 : 10;
  const headerText = new TextDecoder(version[0] >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const dict = parsePythonLiteral(headerText.trim());
  if (!dict || typeof dict !== 'object' || Array.isArray(dict)) throw new SyntaxError('npy: the header is not a dict');
  const rawDescr = dict['descr'];
  let descr: NpyScalar | NpyField[];
  if (isScalar(rawDescr)) descr = rawDescr;
  else if (Array.isArray(rawDescr)) {
    descr = rawDescr.map((f) => {
      if (!Array.isArray(f) || typeof f[0] !== 'string' || !isScalar(f[1])) throw new SyntaxError(`npy: unsupported field ${JSON.stringify(f)}`);
      const shape = f[2];
      return Array.isArray(shape) ? { name: f[0], descr: f[1], shape: shape as number[] } : { name: f[0], descr: f[1] };
    });
  } else throw new SyntaxError(`npy: unsupported descr ${JSON.stringify(rawDescr)}`);
  const shape = dict['shape'];
  if (!Array.isArray(shape) || shape.some((n) => typeof n !== 'number')) throw new SyntaxError('npy: bad shape');
  return { version, headerLength, headerText, descr, fortranOrder: dict['fortran_order'] === true, shape: shape as number[], data: bytes.subarray(start + headerLength) };
}

/** The values of a plain array, as numbers in C order. */
export function npyValues(file: NpyFile): number[] {
  if (typeof file.descr !== 'string') throw new TypeError('npy: structured array; use npyRows');
  const codec = SCALARS[file.descr];
  const view = new DataView(file.data.buffer, file.data.byteOffset, file.data.byteLength);
  return Array.from({ length: product(file.shape) }, (_, i) => codec.get(view, i * codec.bytes));
}

/** The records of a 1-d structured array. */
export function npyRows(file: NpyFile): NpyRow[] {
  if (typeof file.descr === 'string') throw new TypeError('npy: plain array; use npyValues');
  const fields = file.descr;
  const itemSize = structuredItemSize(fields);
  const view = new DataView(file.data.buffer, file.data.byteOffset, file.data.byteLength);
  return Array.from({ length: product(file.shape) }, (_, r) => {
    const row: NpyRow = {};
    let offset = r * itemSize;
    for (const f of fields) {
      const codec = SCALARS[f.descr];
      const count = product(f.shape ?? []);
      const values = Array.from({ length: count }, (_, i) => codec.get(view, offset + i * codec.bytes));
      row[f.name] = f.shape && f.shape.length > 0 ? values : values[0]!;
      offset += count * codec.bytes;
    }
    return row;
  });
}
