import { readFileSync } from 'node:fs';
import { encode as encodeJpeg } from 'jpeg-js';
import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImage, imageFormat, isImageKey } from './image.ts';

// Fixtures written by PIL (a decoder other than the ones under test); the expected pixels are the
// values they were written with.
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));
const rgba = (...pixels: number[][]) => Array.from(pixels.flat());

describe('decodeImage', () => {
  it('reads 1-bit grey with rows padded to a byte', () => {
    const image = decodeImage(fixture('grey1.png'), 'grey1.png');
    expect([image.width, image.height]).toEqual([5, 2]);
    const bits = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1];
    expect(Array.from(image.data)).toEqual(rgba(...bits.map((b) => [b * 255, b * 255, b * 255, 255])));
  });

  it('reads a 2-bit palette with tRNS alphas', () => {
    const image = decodeImage(fixture('palette.png'), 'palette.png');
    expect([image.width, image.height]).toEqual([3, 2]);
    const red = [255, 0, 0, 255];
    const green = [0, 255, 0, 128];
    const blue = [0, 0, 255, 0];
    const grey = [9, 9, 9, 255];
    expect(Array.from(image.data)).toEqual(rgba(red, green, blue, blue, green, grey));
  });

  it('reads 16-bit grey by its high byte and 8-bit RGBA as is', () => {
    expect(Array.from(decodeImage(fixture('grey16.png'), 'g.png').data)).toEqual(rgba([0, 0, 0, 255], [255, 255, 255, 255], [100, 100, 100, 255]));
    expect(Array.from(decodeImage(fixture('rgba.png'), 'c.png').data)).toEqual(rgba([255, 0, 0, 255], [0, 255, 0, 128], [0, 0, 255, 0], [10, 20, 30, 40]));
  });

  it('reads JPEG to within its compression error', () => {
    const image = decodeImage(fixture('halves.jpg'), 'halves.jpg');
    expect([image.width, image.height]).toEqual([16, 8]);
    const at = (x: number, y: number) => Array.from(image.data.subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 4));
    for (const [x, want] of [[2, [200, 30, 30]], [13, [30, 30, 200]]] as const) {
      const got = at(x, 4);
      for (let c = 0; c < 3; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThanOrEqual(6);
      expect(got[3]).toBe(255);
    }
  });

  it('reads RGB written by other encoders', () => {
    const data = new Uint8Array([1, 2, 3, 250, 251, 252]);
    const png = encodePng({ width: 2, height: 1, data, channels: 3, depth: 8 });
    expect(Array.from(decodeImage(png, 'x.png').data)).toEqual([1, 2, 3, 255, 250, 251, 252, 255]);
    const jpeg = encodeJpeg({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(128) }, 100).data;
    expect(imageFormat(jpeg)).toBe('jpeg');
    expect(Math.abs(decodeImage(jpeg, 'x.jpg').data[0]! - 128)).toBeLessThanOrEqual(2);
  });

  it('names the file and what was wrong', () => {
    expect(() => decodeImage(new TextEncoder().encode('#usda 1.0'), 'textures/wood.png')).toThrow(/textures\/wood\.png: not an image Simloop reads: expected PNG or JPEG/);
    const truncated = fixture('rgba.png').subarray(0, 40);
    expect(() => decodeImage(truncated, 'cut.png')).toThrow(/cut\.png: broken PNG file/);
    const huge = encodePng({ width: 8193, height: 1, data: new Uint8Array(8193), channels: 1, depth: 8 });
    expect(() => decodeImage(huge, 'wide.png')).toThrow(/wide\.png: image is 8193×1; textures may be at most 8192/);
  });

  it('knows image keys by extension', () => {
    expect(isImageKey('textures/Wood.JPG')).toBe(true);
    expect(isImageKey('assets/robot.usda')).toBe(false);
  });
});
