/** Decoding the label pass's texels: ids, depth and normals, top row first, with arrays reused from frame to frame. */
import { describe, expect, it } from 'vitest';
import { decodeLabelPixels, labelArrays } from './labelPass.ts';

/** Octahedron encoding of a unit vector, as the label shader writes it. */
function octEncode([x, y, z]: [number, number, number]): [number, number] {
  const l1 = Math.abs(x) + Math.abs(y) + Math.abs(z);
  let [ex, ey] = [x / l1, y / l1];
  if (z < 0) [ex, ey] = [(1 - Math.abs(ey)) * (ex >= 0 ? 1 : -1), (1 - Math.abs(ex)) * (ey >= 0 ? 1 : -1)];
  return [ex, ey];
}

describe('decodeLabelPixels', () => {
  // 2×2, GL order (bottom row first): bottom-left id 3 facing the camera (−z), bottom-right a
  // surface tilted away (normal with +z), top-left nothing, top-right id 7.
  const n1: [number, number, number] = [0, 0, -1];
  const n2: [number, number, number] = [0.6, 0, 0.8];
  const n3: [number, number, number] = [0, -0.6, -0.8];
  const texels = Float32Array.from([3, 1.5, ...octEncode(n1), 5, 2.25, ...octEncode(n2), 0, 0, 0, 0, 7, 4, ...octEncode(n3)]);

  it('gives ids, depth and normals top row first, and background as id 0, depth Infinity, normal 0', () => {
    const { instance, depth, normals } = decodeLabelPixels(texels, 2, 2);
    expect(Array.from(instance)).toEqual([0, 7, 3, 5]);
    expect(Array.from(depth)).toEqual([Infinity, 4, 1.5, 2.25]);
    const expected = [[0, 0, 0], n3, n1, n2].flat();
    Array.from(normals).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('overwrites every element of reused arrays', () => {
    const out = labelArrays(2, 2);
    decodeLabelPixels(texels, 2, 2, out);
    const empty = decodeLabelPixels(new Float32Array(16), 2, 2, out);
    expect(empty).toBe(out);
    expect(Array.from(out.instance)).toEqual([0, 0, 0, 0]);
    expect(Array.from(out.depth)).toEqual([Infinity, Infinity, Infinity, Infinity]);
    expect(Array.from(out.normals)).toEqual(new Array(12).fill(0));
    expect(() => decodeLabelPixels(texels, 2, 2, labelArrays(3, 2))).toThrow(RangeError);
  });
});
