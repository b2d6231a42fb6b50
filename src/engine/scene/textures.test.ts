/** Bundled textures are fixed images (the same bytes everywhere) that tile; light colours follow the blackbody. */
import { describe, expect, it } from 'vitest';
import { kelvinToLinearRgb, planckianXy } from '../randomize/colorTemperature.ts';
import { TEXTURE_NAMES, textureImage } from './textures.ts';

/** Mean absolute difference between two columns (or rows) of a grey RGBA image. */
function lineDiff(img: Uint8Array, size: number, a: number, b: number, columns: boolean): number {
  let sum = 0;
  for (let k = 0; k < size; k++) {
    const [ia, ib] = columns ? [(k * size + a) * 4, (k * size + b) * 4] : [(a * size + k) * 4, (b * size + k) * 4];
    sum += Math.abs(img[ia]! - img[ib]!);
  }
  return sum / size;
}

describe('bundled textures', () => {
  it.each(TEXTURE_NAMES)('%s: a square grey RGBA8 image, opaque, with a visible pattern, the same every time', (name) => {
    const size = 64;
    const img = textureImage(name, size);
    expect(img.length).toBe(size * size * 4);
    const grey = [];
    for (let i = 0; i < img.length; i += 4) {
      expect(img[i + 3]).toBe(255);
      expect(img[i]).toBe(img[i + 1]);
      expect(img[i]).toBe(img[i + 2]);
      grey.push(img[i]!);
    }
    expect(Math.max(...grey) - Math.min(...grey)).toBeGreaterThan(40);
    expect(textureImage(name, size)).toEqual(img);
  });

  it.each(TEXTURE_NAMES)('%s tiles: the seam between the last and first column (row) is no sharper than the pattern inside', (name) => {
    const size = 128;
    const img = textureImage(name, size);
    for (const columns of [true, false]) {
      const inside = Math.max(...Array.from({ length: size - 1 }, (_, k) => lineDiff(img, size, k, k + 1, columns)));
      expect(lineDiff(img, size, size - 1, 0, columns)).toBeLessThanOrEqual(inside + 1e-9);
    }
  });

  it('checker has 8 × 8 cells', () => {
    const img = textureImage('checker', 16);
    const at = (x: number, y: number) => img[(y * 16 + x) * 4];
    expect(at(0, 0)).toBe(at(1, 1));
    expect(at(0, 0)).not.toBe(at(2, 0));
    expect(at(0, 0)).toBe(at(4, 0));
  });

  it('rejects unknown names and sizes', () => {
    expect(() => textureImage('plaid', 8)).toThrow(/unknown texture "plaid"/);
    expect(() => textureImage('checker', 0)).toThrow(RangeError);
  });
});

describe('colour temperature', () => {
  it('follows the Planckian locus: 2856 K (illuminant A) and 6504 K near D65', () => {
    const [xa, ya] = planckianXy(2856);
    // The cubic fit is good to about 1e-3 in x and y.
    expect(Math.hypot(xa - 0.4476, ya - 0.4074)).toBeLessThan(1e-3);
    const [x, y] = planckianXy(6504);
    expect(Math.hypot(x - 0.3127, y - 0.329)).toBeLessThan(0.01);
  });

  it('goes from red through white to blue as the temperature rises, brightest channel 1', () => {
    const temperatures = [1700, 2700, 4000, 5500, 6500, 9000, 15000, 25000];
    const colours = temperatures.map(kelvinToLinearRgb);
    for (const c of colours) expect(Math.max(...c)).toBeCloseTo(1, 12);
    const blueOverRed = colours.map((c) => c[2] / c[0]);
    for (let i = 1; i < blueOverRed.length; i++) expect(blueOverRed[i]!).toBeGreaterThan(blueOverRed[i - 1]!);
    expect(kelvinToLinearRgb(2700)[2]).toBeLessThan(0.3);
    expect(Math.min(...kelvinToLinearRgb(6500))).toBeGreaterThan(0.85);
  });
});
