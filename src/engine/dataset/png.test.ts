import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/usda.ts';
import { colourKey, encodeGrey16Png, encodeLabelPng, encodeNormalsPng, encodeRgbPng, encodeRgbaPng, labelColour, rgbPngOf } from './png.ts';
import { threeObjectFrame } from './testing.ts';

describe('PNG images', () => {
  it('stores the colour image as RGB8 with the same pixels', async () => {
    const random = seededRandom(1);
    const rgba = Uint8Array.from({ length: 5 * 3 * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(random() * 256)));
    const png = decode(await encodeRgbPng(5, 3, rgba));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([5, 3, 3, 8]);
    expect(Array.from(png.data)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
  });

  it('leaves nothing of one image in the next, though row buffers are reused', async () => {
    // Same row-buffer size, other strides: 1×10 RGBA (5 bytes a row) then 12×2 grey16 (25 a row),
    // so the first image's samples sit where the second has filter bytes, and the other way round.
    await encodeRgbaPng(1, 10, new Uint8Array(40).fill(255));
    expect(Array.from(decode(await encodeGrey16Png(12, 2, new Uint16Array(24))).data)).toEqual(new Array(24).fill(0));
    // Normals: a full image, then one that is all background, at the same size (and at once).
    const full = Float32Array.from({ length: 4 * 3 * 3 }, (_, i) => (i % 3 === 2 ? -1 : 0.5));
    const [a, b] = await Promise.all([encodeNormalsPng(4, 3, full), encodeNormalsPng(4, 3, new Float32Array(36))]);
    await encodeNormalsPng(4, 3, full);
    expect(Array.from(decode(await encodeNormalsPng(4, 3, new Float32Array(36))).data)).toEqual(new Array(48).fill(0));
    expect(Array.from(decode(b).data)).toEqual(new Array(48).fill(0));
    expect(Array.from(decode(a).data).slice(0, 4)).toEqual([191, 191, 0, 255]);
  });

  it('stores 16-bit grey exactly', async () => {
    const grey = Uint16Array.from([0, 1, 256, 65535, 40000, 7]);
    const png = decode(await encodeGrey16Png(3, 2, grey));
    expect([png.channels, png.depth]).toEqual([1, 16]);
    expect(Array.from(png.data)).toEqual(Array.from(grey));
  });

  it('gives every label id its own opaque colour, and the background none', async () => {
    expect(labelColour(0)).toEqual([0, 0, 0, 0]);
    const seen = new Set<number>();
    let translucent = 0;
    for (let id = 1; id <= 200_000; id++) {
      const [r, g, b, a] = labelColour(id);
      if (a !== 255) translucent++;
      seen.add((r << 16) | (g << 8) | b);
    }
    expect(translucent).toBe(0);
    expect(seen.size).toBe(200_000);
    expect(seen.has(0)).toBe(false);
    expect(colourKey([1, 2, 3, 255])).toBe('(1, 2, 3, 255)');
  });

  it('colourises an id image pixel by pixel', async () => {
    const ids = Uint32Array.from([0, 1, 1, 2, 0, 70000]);
    const png = decode(await encodeLabelPng(3, 2, ids));
    expect([png.channels, png.depth]).toEqual([4, 8]);
    expect(Array.from(png.data)).toEqual(Array.from(ids).flatMap((id) => labelColour(id)));
  });

  it('colourises normals as Replicator does, with a transparent background', async () => {
    const normals = Float32Array.from([0, 0, -1, 0, 0, 0, 1, 1, 1, -1, -1, -1]);
    const png = decode(await encodeNormalsPng(2, 2, normals));
    expect(Array.from(png.data)).toEqual([127, 127, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255]);
  });

  it('is deterministic, and encodes a frame’s colour image once for all formats', async () => {
    const frame = threeObjectFrame();
    const first = rgbPngOf(frame);
    expect(rgbPngOf(frame)).toBe(first); // the same promise: not encoded again
    const twin = threeObjectFrame(); // equal content, another object
    const second = rgbPngOf(twin);
    expect(second).not.toBe(first);
    expect(Array.from(await second)).toEqual(Array.from(await first));
    // a frame that got a new colour buffer is encoded again
    twin.buffers.rgb = twin.buffers.rgb.map((v, i) => (i % 4 === 3 ? 255 : 255 - v));
    expect(Array.from(await rgbPngOf(twin))).not.toEqual(Array.from(await first));
  });
});
