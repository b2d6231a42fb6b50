/** Decoding the label pass's texels: ids, depth and normals, top row first, with arrays reused from frame to frame. */
import { describe, expect, it } from 'vitest';
import { decodeIdPixels, decodeLabelPixels, labelArrays, labelTexels } from './labelPass.ts';

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
    expect(Array.from(out.depth!)).toEqual([Infinity, Infinity, Infinity, Infinity]);
    expect(Array.from(out.normals!)).toEqual(new Array(12).fill(0));
    expect(() => decodeLabelPixels(texels, 2, 2, labelArrays(3, 2))).toThrow(RangeError);
  });
});

describe('decodeIdPixels', () => {
  it('gives 24-bit ids from the bytes of an RGBA8 id target, top row first', () => {
    // 3×2, GL order (bottom row first): ids 1, 256, 70 000 below; 0 (nothing drawn), 16 777 215, 65 536 above.
    const ids = [1, 256, 70_000, 0, 0xffffff, 65_536];
    const pixels = Uint8Array.from(ids.flatMap((id, i) => [id & 0xff, (id >> 8) & 0xff, id >> 16, i === 3 ? 0 : 255]));
    expect(Array.from(decodeIdPixels(pixels, 3, 2))).toEqual([0, 0xffffff, 65_536, 1, 256, 70_000]);
  });

  it('fills a reused array, and refuses arrays of another size', () => {
    const out = labelArrays(2, 1, 'ids');
    expect(out.depth).toBeUndefined();
    expect(decodeIdPixels(Uint8Array.from([5, 0, 0, 255, 0, 1, 0, 255]), 2, 1, out.instance)).toBe(out.instance);
    expect(Array.from(out.instance)).toEqual([5, 256]);
    expect(labelTexels(2, 1, 'ids')).toBeInstanceOf(Uint8Array);
    expect(labelTexels(2, 1, 'full')).toBeInstanceOf(Float32Array);
    expect(() => decodeIdPixels(new Uint8Array(12), 2, 1, out.instance)).toThrow(RangeError);
    expect(() => decodeLabelPixels(new Float32Array(8), 2, 1, out)).toThrow(/full layout/);
  });
});
