/**
 * openpi's wire format: msgpack with NumPy arrays as msgpack maps, as Physical Intelligence's
 * `openpi_client.msgpack_numpy` packs them (packages/openpi-client/src/openpi_client/msgpack_numpy.py):
 *
 *   ndarray → { b"__ndarray__": true, b"data": <bin: the array's bytes, C order>, b"dtype": "<f4", b"shape": [h, w, c] }
 *   NumPy scalar → { b"__npgeneric__": true, b"data": <the value>, b"dtype": "<i8" }
 *
 * The four keys are msgpack *bin* (Python bytes), not str: openpi's unpacker looks them up as
 * bytes, so a map with str keys reaches the policy as a plain dict. @msgpack/msgpack writes every
 * key and value here; it cannot write a map whose keys are bin, so those maps' header byte(s) are
 * written by `mapHeader` (the msgpack spec's fixmap / map 16 / map 32) and the library encodes
 * each key and value. Reading, bin keys are taken as their UTF-8 text (str keys work too).
 *
 * This module owns the encoding only; engine/policy/remote.ts owns the conversation.
 */
import { decode, encode } from '@msgpack/msgpack';

/** A NumPy array as it travels: dtype string (NumPy's `dtype.str`), shape, raw bytes in C order. */
export class NdArray {
  constructor(
    /** NumPy's `dtype.str`: byte order, kind, item size ("<f4", "|u1", "<i8", "|b1"). */
    readonly dtype: string,
    readonly shape: readonly number[],
    readonly data: Uint8Array,
  ) {
    const { size } = dtypeInfo(dtype);
    const count = shape.reduce((n, d) => n * d, 1);
    if (count * size !== data.byteLength) throw new Error(`an ndarray of dtype ${dtype} and shape [${shape.join(', ')}] needs ${count * size} bytes; it has ${data.byteLength}`);
  }

  /** An array from a typed array (little-endian, as NumPy writes on every machine Simloop runs on). */
  static of(values: Uint8Array | Float32Array | Float64Array | Int32Array | BigInt64Array, shape: readonly number[]): NdArray {
    const dtype = values instanceof Uint8Array ? '|u1' : values instanceof Float32Array ? '<f4' : values instanceof Float64Array ? '<f8' : values instanceof Int32Array ? '<i4' : '<i8';
    return new NdArray(dtype, shape, new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
  }

  get size(): number {
    return this.shape.reduce((n, d) => n * d, 1);
  }

  /** The values as numbers, C order (int64 beyond 2^53 loses precision, as a float would). */
  toNumbers(): Float64Array {
    const { kind, size, littleEndian } = dtypeInfo(this.dtype);
    const view = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    const out = new Float64Array(this.size);
    for (let i = 0; i < out.length; i++) {
      const at = i * size;
      if (kind === 'f') out[i] = size === 4 ? view.getFloat32(at, littleEndian) : size === 8 ? view.getFloat64(at, littleEndian) : halfFloat(view.getUint16(at, littleEndian));
      else if (kind === 'i') out[i] = size === 1 ? view.getInt8(at) : size === 2 ? view.getInt16(at, littleEndian) : size === 4 ? view.getInt32(at, littleEndian) : Number(view.getBigInt64(at, littleEndian));
      else out[i] = size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at, littleEndian) : size === 4 ? view.getUint32(at, littleEndian) : Number(view.getBigUint64(at, littleEndian));
    }
    return out;
  }
}

/** A NumPy scalar (np.float32(1.5), np.int64(3)) as it travels. */
export class NpGeneric {
  constructor(
    readonly dtype: string,
    readonly value: unknown,
  ) {}
}

/** The numeric dtypes NumPy writes ("<f4", ">i2", "|u1", "|b1"): kind, item size, byte order. */
function dtypeInfo(dtype: string): { kind: 'f' | 'i' | 'u'; size: number; littleEndian: boolean } {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(dtype);
  const size = m ? Number(m[3]) : 0;
  const ok = m && (m[2] === 'f' ? [2, 4, 8].includes(size) : m[2] === 'b' ? size === 1 : [1, 2, 4, 8].includes(size));
  if (!ok) throw new Error(`unsupported ndarray dtype "${dtype}" (expected a numeric NumPy dtype such as "<f4", "<f8", "<i8", "|u1" or "|b1")`);
  return { kind: m![2] === 'b' ? 'u' : (m![2] as 'f' | 'i' | 'u'), size, littleEndian: m![1] !== '>' };
}

function halfFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const utf8 = new TextEncoder();
const KEY = { ndarray: utf8.encode('__ndarray__'), npgeneric: utf8.encode('__npgeneric__'), data: utf8.encode('data'), dtype: utf8.encode('dtype'), shape: utf8.encode('shape') };

/** The msgpack header of a map with n entries (spec: fixmap 0x80–0x8f, map 16 0xde, map 32 0xdf). */
function mapHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x80 | n);
  if (n < 0x10000) return Uint8Array.of(0xde, n >> 8, n & 0xff);
  return Uint8Array.of(0xdf, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** The msgpack header of an array with n items (fixarray 0x90–0x9f, array 16 0xdc, array 32 0xdd). */
function arrayHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff);
  return Uint8Array.of(0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

const holdsArray = (value: unknown): boolean => {
  if (value instanceof NdArray || value instanceof NpGeneric) return true;
  if (Array.isArray(value)) return value.some(holdsArray);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) return Object.values(value).some(holdsArray);
  return false;
};

function packParts(value: unknown, parts: Uint8Array[]): void {
  if (value instanceof NdArray) {
    parts.push(mapHeader(4), encode(KEY.ndarray), encode(true), encode(KEY.data), encode(value.data), encode(KEY.dtype), encode(value.dtype), encode(KEY.shape), encode([...value.shape]));
  } else if (value instanceof NpGeneric) {
    parts.push(mapHeader(3), encode(KEY.npgeneric), encode(true), encode(KEY.data), encode(value.value), encode(KEY.dtype), encode(value.dtype));
  } else if (!holdsArray(value)) {
    parts.push(encode(value));
  } else if (Array.isArray(value)) {
    parts.push(arrayHeader(value.length));
    for (const item of value) packParts(item, parts);
  } else {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    parts.push(mapHeader(entries.length));
    for (const [key, v] of entries) {
      parts.push(encode(key));
      packParts(v, parts);
    }
  }
}

/** A message as openpi's `msgpack_numpy.packb` writes it (NdArray and NpGeneric as NumPy's maps). */
export function packOpenpi(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  packParts(value, parts);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const keyText = new TextDecoder('utf-8', { fatal: true });

/** Bin keys (Python bytes) read as their text; numbers and strings as they are. */
function mapKey(key: unknown): string | number {
  if (typeof key === 'string' || typeof key === 'number') return key;
  if (key instanceof Uint8Array) return keyText.decode(key);
  throw new Error(`a map key of type ${typeof key} (openpi messages have string or bytes keys)`);
}

function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const map = value as Record<string, unknown>;
  if (map.__ndarray__ === true) {
    const { data, dtype, shape } = map;
    if (!(data instanceof Uint8Array) || typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error('an __ndarray__ map needs bytes "data", a dtype string and a shape list of whole numbers');
    }
    return new NdArray(dtype, shape as number[], data);
  }
  if (map.__npgeneric__ === true) {
    if (typeof map.dtype !== 'string') throw new Error('an __npgeneric__ map needs a dtype string');
    return new NpGeneric(map.dtype, map.data);
  }
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, revive(v)]));
}

/** A message as openpi's `msgpack_numpy.unpackb` reads it: NumPy maps become NdArray / NpGeneric. */
export function unpackOpenpi(bytes: Uint8Array): unknown {
  return revive(decode(bytes, { mapKeyConverter: mapKey, useBigInt64: false }));
}

/** A message as JSON-friendly values (arrays as { dtype, shape }), for logs and results files. */
export function describeMessage(value: unknown): unknown {
  if (value instanceof NdArray) return { dtype: value.dtype, shape: [...value.shape] };
  if (value instanceof NpGeneric) return value.value;
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (Array.isArray(value)) return value.map(describeMessage);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describeMessage(v)]));
  return value;
}
