import { describe, expect, it } from 'vitest';
import { approxDiff } from '../testing/approx.ts';
import { KittiWriter, kittiBox } from './kitti.ts';
import { MemorySink } from './memorySink.ts';
import { exportFrames, syntheticFrame, syntheticInfo, THREE_OBJECT_LABELS, threeObjectFrame } from './testing.ts';
import type { Box3D } from './types.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const aboutAxis = (axis: [number, number, number], angle: number): [number, number, number, number] => [axis[0] * Math.sin(angle / 2), axis[1] * Math.sin(angle / 2), axis[2] * Math.sin(angle / 2), Math.cos(angle / 2)];

describe('KITTI', () => {
  it('writes image_2, label_2 and calib per frame', async () => {
    const sink = new MemorySink();
    await exportFrames([new KittiWriter()], syntheticInfo(THREE_OBJECT_LABELS), [threeObjectFrame(3)], sink);
    expect(sink.paths()).toEqual(['kitti/calib/000003.txt', 'kitti/image_2/000003.png', 'kitti/label_2/000003.txt']);
    const multi = new MemorySink();
    await exportFrames([new KittiWriter()], syntheticInfo(THREE_OBJECT_LABELS, { cameras: ['/a/Left', '/b/Left'] }), [threeObjectFrame(0, 0), threeObjectFrame(0, 1)], multi);
    expect(multi.paths().filter((p) => p.includes('image_2'))).toEqual(['kitti/Left_0/image_2/000000.png', 'kitti/Left_1/image_2/000000.png']);
  });

  it('writes 15 fields per visible object, worked out by hand', async () => {
    const [, labels] = (await new KittiWriter().encodeFrame(syntheticInfo(THREE_OBJECT_LABELS), threeObjectFrame())).files;
    const lines = text(labels!.bytes).trimEnd().split('\n').map((l) => l.split(' '));
    expect(lines.map((l) => l.length)).toEqual([15, 15, 15]);
    // CubeA at depth 5, f = 16, principal point (8, 6), rectangle columns 1…6, rows 1…5:
    //   not truncated; 21 of 30 in-image pixels visible (0.7) → occluded 1;
    //   box 1 1 7 6; h = 5·5/16, w = 0.4 (box z), l = 6·5/16; centre (−1.25, −0.78125, 5), bottom y = 0;
    //   rotation_y 0; alpha = −atan2(−1.25, 5)
    expect(lines[0]).toEqual(['cube', '0', '1', String(Number(Math.atan2(1.25, 5).toPrecision(7))), '1', '1', '7', '6', '1.5625', '0.4', '1.875', '-1.25', '0', '5', '0']);
    // The ball, in front of CubeA, fully visible.
    expect(lines[1]!.slice(0, 3)).toEqual(['sphere', '0', '0']);
    // CubeB: columns 12…18 of which 12…15 are inside the 16-px image → truncated 1 − 20/35; all in-image pixels visible.
    expect(lines[2]!.slice(0, 8)).toEqual(['cube', String(Number((1 - 20 / 35).toPrecision(7))), '0', lines[2]![3], '12', '6', '16', '11']);
  });

  it('leaves out objects with no visible pixel and writes an empty file when none is left', async () => {
    const frame = syntheticFrame({ objects: [{ path: '/World/Gone', label: 'cube', rect: [2, 2, 3, 3] }, { path: '/World/Wall', label: 'wall', rect: [0, 0, 15, 11] }] });
    const [, labels] = (await new KittiWriter().encodeFrame(syntheticInfo(['cube', 'wall']), frame)).files;
    expect(text(labels!.bytes)).toMatch(/^wall /);
    expect(text(labels!.bytes).trimEnd().split('\n')).toHaveLength(1);
    const [, empty] = (await new KittiWriter().encodeFrame(syntheticInfo(['cube']), syntheticFrame({ objects: [] }))).files;
    expect(empty!.bytes.length).toBe(0);
  });

  it('turns a box that only yaws into the same KITTI box', async () => {
    const box: Box3D = { center: [1, 0.5, 8], size: [4, 1.5, 1.8], rotation: aboutAxis([0, 1, 0], 0.5) };
    const k = kittiBox(box);
    expect(approxDiff(k, { dimensions: [1.5, 1.8, 4], location: [1, 1.25, 8], rotationY: 0.5 })).toEqual([]);
    // KITTI's object x axis at rotation_y = ry is (cos ry, 0, −sin ry): the box's own x axis here.
    expect(approxDiff(kittiBox({ ...box, rotation: aboutAxis([0, 1, 0], -2.5) }).rotationY, -2.5)).toEqual([]);
  });

  it('picks the box axis nearest the camera y axis as height when the object lies on its side', async () => {
    // Rotated 90° about camera x: the box's z axis now points along camera −y (up).
    const box: Box3D = { center: [0, 0, 6], size: [2, 3, 0.5], rotation: aboutAxis([1, 0, 0], Math.PI / 2) };
    const k = kittiBox(box);
    expect(approxDiff(k, { dimensions: [0.5, 3, 2], location: [0, 0.25, 6], rotationY: 0 })).toEqual([]);
  });

  it('writes the calibration from K and the world → camera transform', async () => {
    const frame = threeObjectFrame();
    const [, , calib] = (await new KittiWriter().encodeFrame(syntheticInfo(THREE_OBJECT_LABELS), frame)).files;
    expect(text(calib!.bytes)).toBe(
      [
        'P0: 16 0 8 0 0 16 6 0 0 0 1 0',
        'P1: 16 0 8 0 0 16 6 0 0 0 1 0',
        'P2: 16 0 8 0 0 16 6 0 0 0 1 0',
        'P3: 16 0 8 0 0 16 6 0 0 0 1 0',
        'R0_rect: 1 0 0 0 1 0 0 0 1',
        'Tr_velo_to_cam: 1 0 0 0 0 -1 0 1 0 0 -1 5',
        'Tr_imu_to_velo: 1 0 0 0 0 1 0 0 0 0 1 0',
        '',
      ].join('\n'),
    );
  });
});
