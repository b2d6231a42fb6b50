import { describe, expect, it } from 'vitest';
import { BBOX_2D_FIELDS, BBOX_3D_FIELDS } from './basic.ts';
import { decodeNpy, encodeNpy, encodeStructuredNpy, npyRows, npyValues, parsePythonLiteral, structuredItemSize } from './npy.ts';

const text = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);

describe('NPY 1.0 files', () => {
  it('start with the magic, version 1.0 and a header that ends on a 64-byte boundary', () => {
    const bytes = encodeNpy({ descr: '<f4', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = text(bytes.subarray(10, 10 + headerLength));
    expect(header.endsWith('\n')).toBe(true);
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(bytes.length).toBe(10 + headerLength + 6 * 4);
  });

  it('writes tuples the way Python prints them', () => {
    const header = (shape: number[]) => decodeNpy(encodeNpy({ descr: '|u1', shape, data: new Uint8Array(shape.reduce((a, b) => a * b, 1)) })).headerText;
    expect(header([5])).toContain("'shape': (5,)");
    expect(header([])).toContain("'shape': ()");
    expect(header([2, 0, 3])).toContain("'shape': (2, 0, 3)");
  });

  it('stores values little-endian in C order', () => {
    const file = encodeNpy({ descr: '<u4', shape: [2], data: new Uint32Array([1, 0x01020304]) });
    const data = decodeNpy(file).data;
    expect(Array.from(data)).toEqual([1, 0, 0, 0, 4, 3, 2, 1]);
    const floats = new Float32Array([0.5, -1, Infinity, Number.NaN]);
    expect(npyValues(decodeNpy(encodeNpy({ descr: '<f4', shape: [2, 2], data: floats })))).toEqual([0.5, -1, Infinity, Number.NaN]);
  });

  it('writes structured dtypes as numpy lists them, sub-array fields included', () => {
    const file = decodeNpy(encodeStructuredNpy(BBOX_3D_FIELDS, []));
    expect(file.headerText).toContain(
      "'descr': [('semanticId', '<u4'), ('x_min', '<f4'), ('y_min', '<f4'), ('z_min', '<f4'), ('x_max', '<f4'), ('y_max', '<f4'), ('z_max', '<f4'), ('transform', '<f4', (4, 4)), ('occlusionRatio', '<f4')]",
    );
    expect(file.shape).toEqual([0]);
    expect(file.data.length).toBe(0);
    expect(structuredItemSize(BBOX_2D_FIELDS)).toBe(24);
    expect(structuredItemSize(BBOX_3D_FIELDS)).toBe(4 + 6 * 4 + 16 * 4 + 4);
  });

  it('reads back the records it wrote', () => {
    const rows = [
      { semanticId: 3, x_min: -1, y_min: 2, x_max: 40, y_max: 50, occlusionRatio: 0.25 },
      { semanticId: 4_000_000_000, x_min: 0, y_min: 0, x_max: 0, y_max: 0, occlusionRatio: 1 },
    ];
    const file = decodeNpy(encodeStructuredNpy(BBOX_2D_FIELDS, rows));
    expect(file.descr).toEqual(BBOX_2D_FIELDS);
    expect(npyRows(file)).toEqual(rows);
    const transform = Array.from({ length: 16 }, (_, i) => i / 4);
    const row3d = { semanticId: 1, x_min: -0.5, y_min: -1, z_min: -2, x_max: 0.5, y_max: 1, z_max: 2, transform, occlusionRatio: 0 };
    expect(npyRows(decodeNpy(encodeStructuredNpy(BBOX_3D_FIELDS, [row3d])))).toEqual([row3d]);
  });

  it('refuses data that does not match its description', () => {
    expect(() => encodeNpy({ descr: '<f4', shape: [3], data: new Float32Array(2) })).toThrow(/2 values for shape \(3\)/);
    expect(() => encodeNpy({ descr: '<f4', shape: [2], data: new Uint8Array(2) })).toThrow(/cannot hold/);
    expect(() => encodeStructuredNpy(BBOX_3D_FIELDS, [{ semanticId: 1 }])).toThrow(/x_min needs a number/);
    expect(() => encodeStructuredNpy([{ name: "it's", descr: '<f4' }], [])).toThrow(/field name/);
  });

  it('parses the Python literals numpy headers use', () => {
    expect(parsePythonLiteral("{'a': (1, -2,), 'b': [True, False, None], \"c\": ()}")).toEqual({ a: [1, -2], b: [true, false, null], c: [] });
    expect(() => parsePythonLiteral("{'a': 1")).toThrow(SyntaxError);
    expect(() => decodeNpy(new Uint8Array(16))).toThrow(/magic/);
  });
});
