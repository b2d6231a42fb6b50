/**
 * openpi's wire format against Python's msgpack: what `openpi_client.msgpack_numpy.packb` writes
 * (here training/openpi_msgpack.py, the same encoding) Simloop reads value for value, dtype for
 * dtype, shape for shape; what Simloop writes Python reads back as the same NumPy arrays, with
 * the array maps' keys as bytes (openpi's unpacker looks them up as b"__ndarray__", …). The
 * TypeScript-only checks pin down the edges a server can reach: dtypes NumPy has but a policy
 * does not send, byte counts that disagree with the shape, big-endian arrays and the msgpack
 * headers of long lists and maps.
 */
import { spawnSync } from 'node:child_process';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { PYTHON, pythonModules, requirePython, titled } from '../testing/python.ts';
import { NdArray, NpGeneric, packOpenpi, unpackOpenpi } from './openpi.ts';

const MSGPACK = pythonModules('msgpack', 'numpy');

/** Runs `script` with training/ on sys.path (openpi_msgpack importable), `input` on stdin; its stdout. */
function python(script: string, input?: Uint8Array): string {
  const run = spawnSync(PYTHON, ['-c', `import sys; sys.path.insert(0, 'training')\n${script}`], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`${PYTHON} failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stderr}`);
  return run.stdout;
}

const hex = (text: string) => Uint8Array.from(Buffer.from(text.trim(), 'hex'));
const asMap = (v: unknown) => v as Record<string, unknown>;
const nd = (v: unknown) => {
  expect(v).toBeInstanceOf(NdArray);
  return v as NdArray;
};
/** An array's dtype, shape and values (as numbers), for one toEqual. */
const seen = (v: unknown) => {
  const a = nd(v);
  return { dtype: a.dtype, shape: [...a.shape], values: Array.from(a.toNumbers()) };
};

describe('Python → Simloop: messages openpi packs', () => {
  it.skipIf(!!MSGPACK.skip)(titled('reads every array, scalar and plain value exactly as NumPy wrote it', MSGPACK), () => {
    requirePython(MSGPACK);
    const out = python(`
import numpy as np
from openpi_msgpack import packb
message = {
    'image': (np.arange(18, dtype=np.uint8) * 13).reshape(2, 3, 3),
    'f32': np.array([[0.5, -1.25], [3.0e38, 1e-45]], np.float32),
    'f64': np.array([1 / 3, np.nan, -np.inf]),
    'i64': np.array([-7, 2**33 + 5], np.int64),
    'flags': np.array([True, False]),
    'zero_d': np.array(-9, np.int32),
    'half': np.array([1.5, -2, 65504, 2**-24], np.float16),
    'nested': {'inner': np.array([1.5, 2.5], np.float32), 'label': 'cube'},
    'list': [np.array([1, -2], np.int16), np.array([[9]], np.uint16)],
    'prompt': 'pick up the red cube \\u2713',
    'count': 42,
    'big': 2**40,
    'neg': -3,
    'x': 0.1,
    'f32_scalar': np.float32(1.5),
    'i64_scalar': np.int64(-5),
}
sys.stdout.write(packb(message).hex())
`);
    const m = asMap(unpackOpenpi(hex(out)));
    expect(Object.keys(m).sort()).toEqual(['big', 'count', 'f32', 'f32_scalar', 'f64', 'flags', 'half', 'i64', 'i64_scalar', 'image', 'list', 'neg', 'nested', 'prompt', 'x', 'zero_d']);

    // uint8 H×W×C, C order: byte k is 13·k.
    const image = nd(m.image);
    expect({ dtype: image.dtype, shape: image.shape }).toEqual({ dtype: '|u1', shape: [2, 3, 3] });
    expect(Array.from(image.data)).toEqual(Array.from({ length: 18 }, (_, k) => 13 * k));

    // float32 values as float32 holds them: 3e38 and the subnormal 1e-45 rounded to float32.
    expect(seen(m.f32)).toEqual({ dtype: '<f4', shape: [2, 2], values: [0.5, -1.25, Math.fround(3e38), Math.fround(1e-45)] });
    expect(Math.fround(1e-45)).toBe(2 ** -149);
    expect(seen(m.f64)).toEqual({ dtype: '<f8', shape: [3], values: [1 / 3, Number.NaN, -Infinity] });
    expect(Number.isNaN(nd(m.f64).toNumbers()[1])).toBe(true);

    // int64 above 2^32: exact in the numbers and in the bytes.
    expect(seen(m.i64)).toEqual({ dtype: '<i8', shape: [2], values: [-7, 2 ** 33 + 5] });
    expect(Array.from(new BigInt64Array(nd(m.i64).data.slice().buffer))).toEqual([-7n, 2n ** 33n + 5n]);

    expect(seen(m.flags)).toEqual({ dtype: '|b1', shape: [2], values: [1, 0] });
    // A 0-d array has shape [] and one value.
    expect(seen(m.zero_d)).toEqual({ dtype: '<i4', shape: [], values: [-9] });
    // float16: the largest finite half (65504) and the smallest subnormal (2^-24).
    expect(seen(m.half)).toEqual({ dtype: '<f2', shape: [4], values: [1.5, -2, 65504, 2 ** -24] });

    const nested = asMap(m.nested);
    expect(seen(nested.inner)).toEqual({ dtype: '<f4', shape: [2], values: [1.5, 2.5] });
    expect(nested.label).toBe('cube');
    const list = m.list as unknown[];
    expect(list.map(seen)).toEqual([
      { dtype: '<i2', shape: [2], values: [1, -2] },
      { dtype: '<u2', shape: [1, 1], values: [9] },
    ]);

    expect(m.prompt).toBe('pick up the red cube ✓');
    expect({ count: m.count, big: m.big, neg: m.neg, x: m.x }).toEqual({ count: 42, big: 2 ** 40, neg: -3, x: 0.1 });
    // NumPy scalars keep their dtype (np.float32(1.5).item() travels as a msgpack float).
    expect(m.f32_scalar).toEqual(new NpGeneric('<f4', 1.5));
    expect(m.i64_scalar).toEqual(new NpGeneric('<i8', -5));
  });
});

describe('Simloop → Python: messages openpi unpacks', () => {
  const message = () => ({
    image: NdArray.of(Uint8Array.from({ length: 18 }, (_, k) => 255 - 7 * k), [2, 3, 3]),
    f32: NdArray.of(Float32Array.of(0.5, -1.25, 0.1, 1e30), [2, 2]),
    f64: NdArray.of(Float64Array.of(1 / 3, Number.NaN, Infinity), [3]),
    i64: NdArray.of(BigInt64Array.of(-7n, 2n ** 33n + 5n, 2n ** 60n + 1n), [3]),
    nested: { inner: { deep: NdArray.of(Int32Array.of(-1, 2), [2, 1]) }, label: 'cube' },
    list: [NdArray.of(Float32Array.of(4), [1]), NdArray.of(new Float64Array(0), [0, 3])],
    prompt: 'pick up the red cube ✓',
    count: 42,
    ratio: 0.25,
    scalar: new NpGeneric('<f4', 1.5),
  });

  it.skipIf(!!MSGPACK.skip)(titled('gives NumPy arrays of the same dtype, shape and values (int64 beyond 2^53 exactly)', MSGPACK), () => {
    requirePython(MSGPACK);
    const out = python(
      `
import json, math
import numpy as np
from openpi_msgpack import unpackb

def number(x):
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x if abs(x) <= 2**53 else str(x)
    return x if math.isfinite(x) else repr(x)

def describe(v):
    if isinstance(v, np.ndarray):
        return {'dtype': v.dtype.str, 'shape': list(v.shape), 'values': [number(x) for x in v.reshape(-1).tolist()]}
    if isinstance(v, np.generic):
        return {'numpy_scalar': v.dtype.str, 'value': number(v.item())}
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else 'bytes:' + k.decode()): describe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [describe(x) for x in v]
    if isinstance(v, (int, float)):
        return {type(v).__name__: number(v)}
    return {type(v).__name__: v}

print(json.dumps(describe(unpackb(sys.stdin.buffer.read()))))
`,
      packOpenpi(message()),
    );
    expect(JSON.parse(out)).toEqual({
      image: { dtype: '|u1', shape: [2, 3, 3], values: Array.from({ length: 18 }, (_, k) => 255 - 7 * k) },
      // Python prints float32 values widened to float64: the float32 nearest 0.1, not 0.1.
      f32: { dtype: '<f4', shape: [2, 2], values: [0.5, -1.25, Math.fround(0.1), Math.fround(1e30)] },
      f64: { dtype: '<f8', shape: [3], values: [1 / 3, 'nan', 'inf'] },
      i64: { dtype: '<i8', shape: [3], values: [-7, 2 ** 33 + 5, String(2n ** 60n + 1n)] },
      nested: { inner: { deep: { dtype: '<i4', shape: [2, 1], values: [-1, 2] } }, label: { str: 'cube' } },
      list: [
        { dtype: '<f4', shape: [1], values: [4] },
        { dtype: '<f8', shape: [0, 3], values: [] },
      ],
      prompt: { str: 'pick up the red cube ✓' },
      count: { int: 42 },
      ratio: { float: 0.25 },
      scalar: { numpy_scalar: '<f4', value: 1.5 },
    });
  });

  it.skipIf(!!MSGPACK.skip)(titled('writes the array maps` keys as msgpack bin (Python bytes), the message`s own keys as str', MSGPACK), () => {
    requirePython(MSGPACK);
    const out = python(
      `
import json, msgpack
m = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
print(json.dumps({k: {repr(kk): type(vv).__name__ for kk, vv in v.items()} if isinstance(v, dict) else type(v).__name__ for k, v in m.items()}))
`,
      packOpenpi({ state: NdArray.of(Float32Array.of(1, 2), [2]), scalar: new NpGeneric('<i8', 3), prompt: 'go' }),
    );
    expect(JSON.parse(out)).toEqual({
      state: { "b'__ndarray__'": 'bool', "b'data'": 'bytes', "b'dtype'": 'str', "b'shape'": 'list' },
      scalar: { "b'__npgeneric__'": 'bool', "b'data'": 'int', "b'dtype'": 'str' },
      prompt: 'str',
    });
  });
});

describe('openpi encoding in TypeScript', () => {
  it('refuses dtypes that are not numeric, naming the dtype (a NumPy string array, complex numbers)', () => {
    // NumPy packs a str array (dtype "<U2") without complaint; a policy reply holding one is an error here.
    const strings = encode({ __ndarray__: true, data: new Uint8Array(16), dtype: '<U2', shape: [2] });
    expect(() => unpackOpenpi(strings)).toThrow('unsupported ndarray dtype "<U2"');
    expect(() => new NdArray('<c8', [1], new Uint8Array(8))).toThrow('unsupported ndarray dtype "<c8"');
    expect(() => new NdArray('<f3', [1], new Uint8Array(3))).toThrow('unsupported ndarray dtype "<f3"');
  });

  it('refuses an array whose byte count is not its shape times its item size', () => {
    expect(() => new NdArray('<f4', [2, 3], new Uint8Array(20))).toThrow('an ndarray of dtype <f4 and shape [2, 3] needs 24 bytes; it has 20');
    const short = encode({ __ndarray__: true, data: new Uint8Array(5), dtype: '|u1', shape: [2, 3] });
    expect(() => unpackOpenpi(short)).toThrow('needs 6 bytes; it has 5');
    expect(() => unpackOpenpi(encode({ __ndarray__: true, data: new Uint8Array(2), dtype: '|u1', shape: [2, -1] }))).toThrow('a shape list of whole numbers');
  });

  it('reads big-endian arrays (">f4", ">i8", ">u2") in their byte order', () => {
    const bytes = new Uint8Array(12);
    const view = new DataView(bytes.buffer);
    [1.5, -0.1, Infinity].forEach((v, i) => view.setFloat32(4 * i, v, false));
    expect(Array.from(new NdArray('>f4', [3], bytes).toNumbers())).toEqual([1.5, Math.fround(-0.1), Infinity]);
    // The same bytes read little-endian are other numbers: the byte order is honoured, not assumed.
    expect(new NdArray('<f4', [3], bytes).toNumbers()[0]).not.toBe(1.5);

    const wide = new Uint8Array(16);
    new DataView(wide.buffer).setBigInt64(0, -(2n ** 40n) - 3n, false);
    new DataView(wide.buffer).setBigInt64(8, 12345n, false);
    expect(Array.from(new NdArray('>i8', [2], wide).toNumbers())).toEqual([-(2 ** 40) - 3, 12345]);
    expect(Array.from(new NdArray('>u2', [2], Uint8Array.of(0x01, 0x02, 0xff, 0xfe)).toNumbers())).toEqual([0x0102, 0xfffe]);

    // Through the wire as a server would send it.
    const message = packOpenpi({ actions: new NdArray('>f4', [1, 3], bytes) });
    expect(seen(asMap(unpackOpenpi(message)).actions)).toEqual({ dtype: '>f4', shape: [1, 3], values: [1.5, Math.fround(-0.1), Infinity] });
  });

  it('writes lists and maps of 16 and 70000 entries holding an array with the spec`s array 16/32 and map 16/32 headers, and reads them back', () => {
    const array = NdArray.of(Float32Array.of(0.5, -2), [2]);
    for (const [n, arrayHead, mapHead] of [
      [15, [0x9f], [0x8f]],
      [16, [0xdc, 0x00, 0x10], [0xde, 0x00, 0x10]],
      [70000, [0xdd, 0x00, 0x01, 0x11, 0x70], [0xdf, 0x00, 0x01, 0x11, 0x70]],
    ] as const) {
      const list: unknown[] = Array.from({ length: n }, (_, i) => i);
      list[n - 1] = array;
      const packedList = packOpenpi(list);
      expect(Array.from(packedList.subarray(0, arrayHead.length))).toEqual(arrayHead);
      const readList = unpackOpenpi(packedList) as unknown[];
      expect(readList).toHaveLength(n);
      expect(readList.slice(0, 3)).toEqual([0, 1, 2]);
      expect(readList[n - 2]).toBe(n - 2);
      expect(seen(readList[n - 1])).toEqual({ dtype: '<f4', shape: [2], values: [0.5, -2] });

      const map: Record<string, unknown> = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
      map.k7 = array;
      const packedMap = packOpenpi(map);
      expect(Array.from(packedMap.subarray(0, mapHead.length))).toEqual(mapHead);
      const readMap = asMap(unpackOpenpi(packedMap));
      expect(Object.keys(readMap)).toHaveLength(n);
      expect(readMap[`k${n - 1}`]).toBe(n - 1);
      expect(seen(readMap.k7)).toEqual({ dtype: '<f4', shape: [2], values: [0.5, -2] });
    }
  });
});
