import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/usda.ts';
import { countsFromString, countsToString, decodeRle, encodeRle, maskFromRle, rleArea, rleBbox, rleByInstance, rleFromMask } from './rle.ts';

/** A random row-major mask with blobs, so runs have varied lengths. */
function randomMask(random: () => number, width: number, height: number, density: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = random() < density ? 1 : 0;
  // smear some runs so there are long runs as well as short ones
  for (let i = 1; i < mask.length; i++) if (random() < 0.6) mask[i] = mask[i - 1]!;
  return mask;
}

function maskBbox(mask: Uint8Array, width: number, height: number): [number, number, number, number] {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

describe('COCO RLE', () => {
  it('reads pixels column by column and starts with a background run (hand-computed)', () => {
    // 3 wide, 2 high:   . # #
    //                   . # .
    // columns: (0, 0) (1, 1) (1, 0) → runs 2 zeros, 3 ones, 1 zero
    const mask = [0, 1, 1, 0, 1, 0];
    expect(rleFromMask(mask, 3, 2)).toEqual([2, 3, 1]);
    expect(encodeRle(mask, 3, 2)).toEqual({ size: [2, 3], counts: '231' });
    // a mask that starts inside begins with an empty background run
    expect(rleFromMask([1, 1, 0, 0], 2, 2)).toEqual([0, 1, 1, 1, 1]);
    expect(rleFromMask([0, 0, 0, 0], 2, 2)).toEqual([4]);
  });

  it("writes counts as COCO's 5-bit groups, deltas from the fourth count on (hand-computed)", () => {
    // 0 → '0'; 40 = 8 + 1·32 → groups 8|0x20, 1 → 'X1'; 5 → '5'; 38 − 40 = −2 → 30 (sign bit set) → 'N'
    expect(countsToString([0, 40, 5, 38])).toBe('0X15N');
    expect(countsFromString('0X15N')).toEqual([0, 40, 5, 38]);
    // 16 needs a second group: alone, 16 would set the sign bit of its group
    expect(countsToString([16])).toBe('`0');
    expect(countsFromString('`0')).toEqual([16]);
  });

  it('produces the strings pycocotools produces (mask.encode 2.0.11, captured)', () => {
    const bits = (s: string) => Array.from(s, Number);
    // 6×6, row-major
    expect(encodeRle(bits('000100011001001100000001001000011000'), 6, 6).counts).toBe('7130N1010N90G01');
    // 15 high, 1 wide
    expect(encodeRle(bits('101010010010000'), 1, 15).counts).toBe('01100010002');
    // 700×600 of ones with a 350×100 hole: long runs, and the deltas of equal columns are all 0
    const mask = new Uint8Array(600 * 700).fill(1);
    for (let y = 100; y < 200; y++) mask.fill(0, y * 700 + 50, y * 700 + 400);
    const rle = encodeRle(mask, 700, 600);
    expect(rle.counts).toBe(`0d\\m0T3PSSO${'0'.repeat(697)}le_5`);
    expect(rleArea(countsFromString(rle.counts))).toBe(385000);
  });

  it('round-trips counts through the string form, including huge and negative deltas', () => {
    const random = seededRandom(11);
    for (let t = 0; t < 200; t++) {
      const counts = Array.from({ length: 1 + Math.floor(random() * 30) }, () => Math.floor(random() ** 3 * 5_000_000));
      expect(countsFromString(countsToString(counts))).toEqual(counts);
    }
  });

  it('decodes what it encodes for random masks of every shape', () => {
    const random = seededRandom(3);
    const shapes: [number, number][] = [[1, 1], [1, 9], [9, 1], [7, 5], [32, 24], [64, 3]];
    for (const [w, h] of shapes) {
      for (const density of [0, 0.1, 0.5, 1]) {
        const mask = randomMask(random, w, h, density);
        const rle = encodeRle(mask, w, h);
        expect(rle.size).toEqual([h, w]);
        expect(Array.from(decodeRle(rle))).toEqual(Array.from(mask));
      }
    }
  });

  it('gives the area and box that follow from the mask', () => {
    const random = seededRandom(5);
    for (let t = 0; t < 50; t++) {
      const [w, h] = [1 + Math.floor(random() * 20), 1 + Math.floor(random() * 20)];
      const mask = randomMask(random, w, h, random() * 0.3);
      const counts = rleFromMask(mask, w, h);
      const decoded = maskFromRle(counts, w, h);
      expect(rleArea(counts)).toBe(decoded.reduce((a, b) => a + b, 0));
      expect(rleBbox(counts, w, h)).toEqual(maskBbox(decoded, w, h));
    }
  });

  it('encodes every instance of an id image in one pass, as if each were its own mask', () => {
    const random = seededRandom(9);
    for (let t = 0; t < 30; t++) {
      const [w, h] = [1 + Math.floor(random() * 24), 1 + Math.floor(random() * 24)];
      const ids = new Uint32Array(w * h);
      for (let i = 0; i < ids.length; i++) ids[i] = random() < 0.5 && i > 0 ? ids[i - 1]! : Math.floor(random() * 5);
      const wanted = [1, 2, 3, 4, 7]; // 7 never occurs; 0 is background
      const all = rleByInstance(ids, w, h, wanted);
      for (const id of wanted) {
        expect(all.get(id)).toEqual(rleFromMask(Array.from(ids, (v) => (v === id ? 1 : 0)), w, h));
      }
    }
  });

  it('rejects malformed input', () => {
    expect(() => countsFromString('0X')).toThrow(/ends inside/);
    expect(() => countsFromString('0 1')).toThrow(/alphabet/);
    expect(() => maskFromRle([5], 2, 2)).toThrow(/does not fit/);
    expect(() => maskFromRle([2], 2, 2)).toThrow(/cover 2 of 4/);
  });
});
