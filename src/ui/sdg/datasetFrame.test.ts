import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { colouriseIds } from '../../engine/dataset/png.ts';
import { decodePngRgba, idsFromInstancePng, imagePaths } from './datasetFrame.ts';
import type { FrameLine } from './jsonl.ts';
import type { DatasetManifest } from '../../engine/jobs/manifest.ts';

const line = (ids: number[]): FrameLine => ({
  frame: 7,
  camera: { path: '/World/Camera', width: 2, height: 2 },
  objects: ids.map((id) => ({ path: `/World/O${id}`, label: 'x', bbox2d_tight: [0, 0, 0, 0], bbox2d_loose: [0, 0, 0, 0], visible_fraction: 1, instance_id: id })),
});

describe('reading a dataset frame', () => {
  it('decodes grey, 16-bit and RGB PNGs to RGBA8', () => {
    const grey = decodePngRgba(encode({ width: 2, height: 1, data: Uint8Array.of(10, 200), channels: 1, depth: 8 }));
    expect(Array.from(grey.data)).toEqual([10, 10, 10, 255, 200, 200, 200, 255]);
    const deep = decodePngRgba(encode({ width: 1, height: 1, data: Uint16Array.of(0x1234), channels: 1, depth: 16 }));
    expect(Array.from(deep.data)).toEqual([0x12, 0x12, 0x12, 255]);
    const rgb = decodePngRgba(encode({ width: 1, height: 1, data: Uint8Array.of(1, 2, 3), channels: 3, depth: 8 }));
    expect(Array.from(rgb.data)).toEqual([1, 2, 3, 255]);
  });

  it('turns the Basic writer’s instance colours back into the instance ids of the frame’s objects', () => {
    const ids = [0, 5, 9, 5];
    const rgba = decodePngRgba(encode({ width: 2, height: 2, data: colouriseIds(ids, 2, 2), channels: 4, depth: 8 }));
    expect(Array.from(idsFromInstancePng(rgba, line([5, 9])))).toEqual(ids);
    // A colour no listed object has still shows, under an id of its own.
    expect(Array.from(idsFromInstancePng(rgba, line([5])))).toEqual([0, 5, 6, 5]);
  });

  it('looks for the colour image in the formats the dataset has, Basic first', () => {
    const manifest = { formats: ['coco', 'kitti'], classes: [], cameras: ['/World/Camera'], resolution: [2, 2], frames: { total: 10, range: [0, 10] } } as unknown as DatasetManifest;
    expect(imagePaths(manifest, 7, 0)).toEqual(['coco/images/rgb_000007.png', 'kitti/image_2/000007.png']);
    expect(imagePaths({ ...manifest, formats: ['yolo', 'basic'] }, 7, 0)).toEqual(['basic/rgb_0007.png', 'yolo/images/000007.png']);
  });
});
