import { describe, expect, it } from 'vitest';
import { imageTensor, imageTensorShape, type ImageInputSpec, type RgbaImage } from './image.ts';

/** An RGBA image from rows of [r, g, b] pixels (alpha 255). */
function image(rows: [number, number, number][][]): RgbaImage {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint8Array(width * height * 4);
  rows.flat().forEach(([r, g, b], i) => data.set([r, g, b, 255], i * 4));
  return { width, height, data };
}
const spec = (over: Partial<ImageInputSpec>): ImageInputSpec => ({ width: 1, height: 1, fit: 'stretch', layout: 'NHWC', dtype: 'float32', range: [0, 255], ...over });

describe('imageTensor', () => {
  it('downsamples 2×2 → 1×1 to the mean (bilinear, pixel centres aligned)', () => {
    const src = image([[[0, 0, 0], [100, 10, 1]], [[200, 20, 2], [255, 30, 3]]]);
    expect([...imageTensor(src, spec({}))]).toEqual([138.75, 15, 1.5]);
    // Range [0, 1]: divided by 255.
    expect(imageTensor(src, spec({ range: [0, 1] }))[0]).toBeCloseTo(138.75 / 255, 6);
  });

  it('upsamples 2 → 4 as torch`s interpolate(align_corners=False) does: edges clamped, ¼ ¾ in between', () => {
    const src = image([[[0, 0, 0], [100, 0, 0]]]);
    const t = imageTensor(src, spec({ width: 4, height: 1 }));
    expect([0, 3, 6, 9].map((i) => t[i])).toEqual([0, 25, 75, 100]);
  });

  it('lays out NCHW as channel planes and NHWC as pixels, range [−1, 1] and per-channel mean/std on top', () => {
    const src = image([[[0, 255, 51], [255, 0, 102]]]);
    const nchw = imageTensor(src, spec({ width: 2, layout: 'NCHW', range: [-1, 1] }));
    expect([...nchw]).toEqual([-1, 1, 1, -1, 51 * (2 / 255) - 1, 102 * (2 / 255) - 1].map((v) => Math.fround(v)));
    const nhwc = imageTensor(src, spec({ width: 2, range: [0, 1], mean: [0.5, 0.5, 0.2], std: [0.5, 0.25, 0.1] }));
    expect(nhwc[0]).toBeCloseTo((0 - 0.5) / 0.5, 6);
    expect(nhwc[1]).toBeCloseTo((1 - 0.5) / 0.25, 6);
    expect(nhwc[2]).toBeCloseTo((0.2 - 0.2) / 0.1, 6);
    expect(imageTensorShape({ width: 2, height: 1, layout: 'NCHW' })).toEqual([1, 3, 1, 2]);
    expect(imageTensorShape({ width: 2, height: 1, layout: 'NHWC' })).toEqual([1, 1, 2, 3]);
  });

  it('crop keeps the centre at the model`s aspect ratio', () => {
    const src = image([[[10, 0, 0], [20, 0, 0], [30, 0, 0], [40, 0, 0]], [[50, 0, 0], [60, 0, 0], [70, 0, 0], [80, 0, 0]]]);
    const t = imageTensor(src, spec({ width: 2, height: 2, fit: 'crop' }));
    expect([0, 3, 6, 9].map((i) => t[i])).toEqual([20, 30, 60, 70]);
  });

  it('pad keeps the aspect ratio and fills the rest (centred, or padding left and top)', () => {
    const src = image([[[10, 0, 0], [20, 0, 0]]]);
    const centred = imageTensor(src, spec({ width: 2, height: 4, fit: 'pad', padValue: 0 }));
    // 2×1 fits 2×4 at scale 1, rows 1 (centred: floor(3/2) = 1).
    expect(Array.from({ length: 8 }, (_, p) => centred[p * 3])).toEqual([0, 0, 10, 20, 0, 0, 0, 0]);
    const bottom = imageTensor(src, spec({ width: 2, height: 4, fit: 'pad', padAlign: 'bottom-right', padValue: 255 }));
    expect(Array.from({ length: 8 }, (_, p) => bottom[p * 3])).toEqual([255, 255, 255, 255, 255, 255, 10, 20]);
  });

  it('gives uint8 tensors rounded, and refuses a buffer of the wrong size', () => {
    const src = image([[[0, 0, 0], [101, 0, 0]]]);
    const t = imageTensor(src, spec({ dtype: 'uint8' }));
    expect(t).toBeInstanceOf(Uint8Array);
    expect(t[0]).toBe(51); // 50.5 rounds up
    expect(() => imageTensor({ width: 2, height: 2, data: new Uint8Array(12) }, spec({}))).toThrow('12 bytes for a 2×2 RGBA image');
  });
});
