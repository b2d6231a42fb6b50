import { describe, expect, it } from 'vitest';
import { boxRect, captionText, classColour, classHue, fitScale, instanceRgb, maskTint, overlayFor, type OverlayObject } from './overlay.ts';

const cube: OverlayObject = { path: '/World/Cube', label: 'cube', bbox2d_tight: [10, 20, 19, 29], bbox2d_loose: [8, 18, 21, 31], visible_fraction: 0.874 };
const hidden: OverlayObject = { path: '/World/Ball', label: 'ball', bbox2d_tight: null, bbox2d_loose: [0, 0, 3, 3], visible_fraction: 0 };

describe('box overlay geometry', () => {
  it('an inclusive one-pixel box covers exactly that pixel', () => {
    expect(boxRect([3, 4, 3, 4], 1)).toEqual({ x: 3, y: 4, width: 1, height: 1 });
  });

  it('scales with the display: a 10×10 pixel box at scale 2.5 is 25×25 display pixels from (25, 50)', () => {
    expect(boxRect([10, 20, 19, 29], 2.5)).toEqual({ x: 25, y: 50, width: 25, height: 25 });
  });

  it('a box covering the whole image covers the whole canvas', () => {
    const scale = fitScale(128, 96, 340, 300);
    const r = boxRect([0, 0, 127, 95], scale);
    expect(r.x).toBe(0);
    expect(r.width).toBeCloseTo(128 * scale, 9);
    expect(r.height).toBeCloseTo(96 * scale, 9);
  });

  it('draws loose boxes under tight ones, skips tight boxes of hidden objects, captions each object once', () => {
    const overlay = overlayFor([cube, hidden], { scale: 1, tight: true, loose: true, canvasWidth: 64, canvasHeight: 48 });
    expect(overlay.rects.map((r) => [r.kind, r.path])).toEqual([
      ['loose', '/World/Cube'],
      ['loose', '/World/Ball'],
      ['tight', '/World/Cube'],
    ]);
    expect(overlay.captions.map((c) => c.text)).toEqual(['cube 87%', 'ball 0%']);
  });

  it('toggles: only tight boxes, or none at all', () => {
    expect(overlayFor([cube, hidden], { scale: 1, tight: true, loose: false, canvasWidth: 64, canvasHeight: 48 }).rects).toHaveLength(1);
    const none = overlayFor([cube], { scale: 1, tight: false, loose: false, canvasWidth: 64, canvasHeight: 48 });
    expect(none).toEqual({ rects: [], captions: [] });
  });

  it('keeps captions inside the canvas: above the box when there is room, else inside its top edge', () => {
    const [above] = overlayFor([cube], { scale: 1, tight: true, loose: false, canvasWidth: 64, canvasHeight: 48, captionHeight: 12 }).captions;
    expect(above!.y).toBe(18); // box top 20, 2 px above
    const [inside] = overlayFor([hidden], { scale: 1, tight: false, loose: true, canvasWidth: 64, canvasHeight: 48, captionHeight: 12 }).captions;
    expect(inside!.y).toBe(12); // box top 0: the caption's baseline sits one caption height down
  });

  it('gives every class one colour, the same in every view', () => {
    expect(classColour('cube')).toBe(classColour('cube'));
    expect(classColour('cube')).not.toBe(classColour('ball'));
    // With class ids, the first classes are a golden angle apart.
    expect(classHue('ball', 1)).toBe(0);
    expect(classHue('can', 2)).toBeCloseTo(137.508, 6);
    expect(classHue('cube', 3)).toBeCloseTo(275.016, 6);
    const [rect] = overlayFor([{ ...cube, classId: 2 }], { scale: 1, tight: true, loose: false, canvasWidth: 64, canvasHeight: 48 }).rects;
    expect(rect!.colour).toBe(classColour('cube', 2));
  });
});

describe('captions', () => {
  it('rounds the visible fraction to a whole percent', () => {
    expect(captionText({ label: 'can', visible_fraction: 1 })).toBe('can 100%');
    expect(captionText({ label: 'can', visible_fraction: 0.005 })).toBe('can 1%');
  });
});

describe('instance mask tint', () => {
  it('leaves background transparent and tints each instance in its colour', () => {
    const tint = maskTint(Uint32Array.of(0, 1, 2, 1), 2, 2, 100);
    expect(Array.from(tint.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(tint.subarray(4, 7))).toEqual(instanceRgb(1));
    expect(tint[7]).toBe(100);
    expect(Array.from(tint.subarray(12, 16))).toEqual(Array.from(tint.subarray(4, 8)));
    expect(instanceRgb(1)).not.toEqual(instanceRgb(2));
  });
});

describe('fitting an image into the panel', () => {
  it('takes the smaller of the two ratios', () => {
    expect(fitScale(640, 480, 320, 1000)).toBe(0.5);
    expect(fitScale(128, 96, 340, 192)).toBe(2);
  });
});
