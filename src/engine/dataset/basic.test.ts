import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { approxDiff } from '../testing/approx.ts';
import { BBOX_2D_FIELDS, BBOX_3D_FIELDS, BasicWriter, cameraParams } from './basic.ts';
import { MemorySink } from './memorySink.ts';
import { decodeNpy, npyRows, npyValues } from './npy.ts';
import { colourKey, labelColour, rgbPngOf } from './png.ts';
import { exportFrames, syntheticFrame, syntheticInfo, THREE_OBJECT_LABELS, threeObjectFrame } from './testing.ts';
import type { LabelledFrame } from './types.ts';

async function basicOf(frames: LabelledFrame[], cameras = ['/World/Camera']) {
  const sink = new MemorySink();
  await exportFrames([new BasicWriter()], syntheticInfo(THREE_OBJECT_LABELS, { cameras, frames: 10 }), frames, sink);
  return sink;
}

const json = (sink: MemorySink, path: string) => JSON.parse(sink.text(path));
const f32 = (x: number) => Math.fround(x);

describe('Replicator BasicWriter layout', () => {
  it("names every file as Replicator does, frame number padded to 4 digits", async () => {
    const sink = await basicOf([threeObjectFrame(7)]);
    const names = [
      'rgb_0007.png',
      'distance_to_image_plane_0007.npy',
      'normals_0007.png',
      'semantic_segmentation_0007.png',
      'semantic_segmentation_labels_0007.json',
      'instance_segmentation_0007.png',
      'instance_segmentation_mapping_0007.json',
      'instance_segmentation_semantics_mapping_0007.json',
      'bounding_box_2d_tight_0007.npy',
      'bounding_box_2d_tight_labels_0007.json',
      'bounding_box_2d_tight_prim_paths_0007.json',
      'bounding_box_2d_loose_0007.npy',
      'bounding_box_2d_loose_labels_0007.json',
      'bounding_box_2d_loose_prim_paths_0007.json',
      'bounding_box_3d_0007.npy',
      'bounding_box_3d_labels_0007.json',
      'bounding_box_3d_prim_paths_0007.json',
      'camera_params_0007.json',
    ];
    expect(sink.paths()).toEqual(names.map((n) => `basic/${n}`).sort());
  });

  it('puts each camera in its own folder', async () => {
    const sink = await basicOf([threeObjectFrame(0, 0), threeObjectFrame(0, 1)], ['/World/Left', '/World/Right']);
    expect(sink.paths().filter((p) => p.endsWith('rgb_0000.png'))).toEqual(['basic/Left/rgb_0000.png', 'basic/Right/rgb_0000.png']);
  });

  it('stores the colour image and the depth as they were rendered', async () => {
    const frame = threeObjectFrame();
    const sink = await basicOf([frame]);
    expect(sink.bytes('basic/rgb_0000.png')).toEqual(await rgbPngOf(frame));
    const depth = decodeNpy(sink.bytes('basic/distance_to_image_plane_0000.npy'));
    expect([depth.descr, depth.shape]).toEqual(['<f4', [12, 16]]);
    expect(npyValues(depth)).toEqual(Array.from(frame.buffers.depth));
    expect(npyValues(depth)[0]).toBe(Infinity); // background: nothing hit
  });

  it('colourises semantic and instance segmentation and maps each colour to its class or prim', async () => {
    const frame = threeObjectFrame();
    const sink = await basicOf([frame]);
    const semantic = decode(sink.bytes('basic/semantic_segmentation_0000.png'));
    expect([semantic.width, semantic.height, semantic.channels]).toEqual([16, 12, 4]);
    expect(Array.from(semantic.data)).toEqual(Array.from(frame.buffers.semantic).flatMap(labelColour));
    expect(json(sink, 'basic/semantic_segmentation_labels_0000.json')).toEqual({
      '(0, 0, 0, 0)': { class: 'BACKGROUND' },
      [colourKey(labelColour(1))]: { class: 'cube' },
      [colourKey(labelColour(2))]: { class: 'sphere' },
    });
    const instance = decode(sink.bytes('basic/instance_segmentation_0000.png'));
    expect(Array.from(instance.data)).toEqual(Array.from(frame.buffers.instance).flatMap(labelColour));
    expect(json(sink, 'basic/instance_segmentation_mapping_0000.json')).toEqual({
      '(0, 0, 0, 0)': 'BACKGROUND',
      [colourKey(labelColour(1))]: '/World/CubeA',
      [colourKey(labelColour(2))]: '/World/Ball',
      [colourKey(labelColour(3))]: '/World/CubeB',
    });
    expect(json(sink, 'basic/instance_segmentation_semantics_mapping_0000.json')).toEqual({
      '(0, 0, 0, 0)': { class: 'BACKGROUND' },
      [colourKey(labelColour(1))]: { class: 'cube' },
      [colourKey(labelColour(2))]: { class: 'sphere' },
      [colourKey(labelColour(3))]: { class: 'cube' },
    });
    const normals = decode(sink.bytes('basic/normals_0000.png'));
    const cubePixel = (1 * 16 + 1) * 4; // (1, 1) faces the camera: (0, 0, −1)
    expect(Array.from(normals.data.slice(cubePixel, cubePixel + 4))).toEqual([127, 127, 0, 255]);
    expect(Array.from(normals.data.slice(0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('writes tight boxes for visible objects and loose boxes for all, with their labels and prim paths', async () => {
    const frame = syntheticFrame({
      objects: [
        { path: '/World/CubeA', label: 'cube', rect: [1, 1, 6, 5] },
        { path: '/World/Ball', label: 'sphere', rect: [4, 3, 8, 9] },
        { path: '/World/Hidden', label: 'cube', rect: [5, 4, 6, 5], depth: 9 },
        { path: '/World/Front', label: 'sphere', rect: [5, 4, 6, 5], depth: 1 },
      ],
    });
    expect(frame.objects[2]!.bbox2d_tight).toBeNull();
    const sink = await basicOf([frame]);
    const tight = decodeNpy(sink.bytes('basic/bounding_box_2d_tight_0000.npy'));
    expect(tight.descr).toEqual(BBOX_2D_FIELDS);
    expect(npyRows(tight)).toEqual([
      // CubeA: 30 px, 9 behind the ball → occlusion 0.3 (as float32)
      { semanticId: 1, x_min: 1, y_min: 1, x_max: 6, y_max: 5, occlusionRatio: f32(1 - 21 / 30) },
      // Ball: 35 px, 4 behind the front sphere
      { semanticId: 2, x_min: 4, y_min: 3, x_max: 8, y_max: 9, occlusionRatio: f32(1 - 31 / 35) },
      { semanticId: 2, x_min: 5, y_min: 4, x_max: 6, y_max: 5, occlusionRatio: 0 },
    ]);
    expect(json(sink, 'basic/bounding_box_2d_tight_prim_paths_0000.json')).toEqual(['/World/CubeA', '/World/Ball', '/World/Front']);
    expect(json(sink, 'basic/bounding_box_2d_tight_labels_0000.json')).toEqual({ '1': { class: 'cube' }, '2': { class: 'sphere' } });

    const loose = npyRows(decodeNpy(sink.bytes('basic/bounding_box_2d_loose_0000.npy')));
    expect(loose.map((r) => [r['x_min'], r['y_min'], r['x_max'], r['y_max'], r['occlusionRatio']])).toEqual([
      [1, 1, 6, 5, f32(0.3)],
      [4, 3, 8, 9, f32(1 - 31 / 35)],
      [5, 4, 6, 5, 1],
      [5, 4, 6, 5, 0],
    ]);
    expect(json(sink, 'basic/bounding_box_2d_loose_prim_paths_0000.json')).toEqual(['/World/CubeA', '/World/Ball', '/World/Hidden', '/World/Front']);
  });

  it('writes 3D boxes as local extents and a box → world transform in row-vector form', async () => {
    const frame = syntheticFrame({ objects: [{ path: '/World/Crate', label: 'cube', rect: [2, 2, 9, 5], depth: 4, length: 0.6, rotation: [0, Math.sin(0.25), 0, Math.cos(0.25)] }] });
    const sink = await basicOf([frame]);
    const file = decodeNpy(sink.bytes('basic/bounding_box_3d_0000.npy'));
    expect(file.descr).toEqual(BBOX_3D_FIELDS);
    const [row] = npyRows(file);
    const [sx, sy, sz] = frame.objects[0]!.bbox3d.size;
    expect(approxDiff([row!['x_min'], row!['y_min'], row!['z_min'], row!['x_max'], row!['y_max'], row!['z_max']], [-sx / 2, -sy / 2, -sz / 2, sx / 2, sy / 2, sz / 2])).toEqual([]);
    const t = row!['transform'] as number[];
    // Row-vector convention: p_world = [x, y, z, 1] · T. The box centre lands on the object's world position…
    const apply = (p: number[]) => [0, 1, 2].map((j) => p[0]! * t[j]! + p[1]! * t[4 + j]! + p[2]! * t[8 + j]! + t[12 + j]!);
    expect(approxDiff(apply([0, 0, 0]), frame.objects[0]!.pose_world.position)).toEqual([]);
    // …and the box's +y axis (camera "down" rotated about camera y) points to world −Y.
    const up = apply([0, 1, 0]).map((v, i) => v - apply([0, 0, 0])[i]!);
    expect(approxDiff(up, [0, -1, 0])).toEqual([]);
    expect([t[3], t[7], t[11], t[15]]).toEqual([0, 0, 0, 1]);
  });

  it("writes Replicator's camera_params", async () => {
    const frame = threeObjectFrame();
    const sink = await basicOf([frame]);
    const params = json(sink, 'basic/camera_params_0000.json');
    expect(Object.keys(params).sort()).toEqual(
      ['cameraAperture', 'cameraApertureOffset', 'cameraFStop', 'cameraFocalLength', 'cameraFocusDistance', 'cameraModel', 'cameraNearFar', 'cameraProjection', 'cameraViewTransform', 'metersPerSceneUnit', 'renderProductResolution'].sort(),
    );
    expect(params.cameraModel).toBe('pinhole');
    expect(params.renderProductResolution).toEqual([16, 12]);
    expect(params.metersPerSceneUnit).toBe(1);
    expect(params.cameraNearFar).toEqual([0.05, 100]);
    // The view matrix (world → USD camera) in row-vector form: translation in the last row.
    expect(params.cameraViewTransform).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -1, -5, 1]);
    expect(params.cameraProjection.length).toBe(16);
    expect(params.cameraProjection[11]).toBe(-1); // OpenGL's −1 (row 3, column 2) moves to row 2, column 3
    expect(approxDiff(params, JSON.parse(JSON.stringify(cameraParams(frame))), { rel: 1e-6 })).toEqual([]);
  });

  it('refuses a label buffer that disagrees with the objects', async () => {
    const frame = threeObjectFrame();
    frame.buffers.instance[0] = 9;
    await expect(new BasicWriter().encodeFrame(syntheticInfo(THREE_OBJECT_LABELS), frame)).rejects.toThrow(/instance id 9/);
    const other = threeObjectFrame();
    other.buffers.semantic[0] = 5;
    await expect(new BasicWriter().encodeFrame(syntheticInfo(THREE_OBJECT_LABELS), other)).rejects.toThrow(/class id 5/);
  });

  it('encodes the same frame to the same bytes', async () => {
    const a = await basicOf([threeObjectFrame(2)]);
    const b = await basicOf([threeObjectFrame(2)]);
    for (const path of a.paths()) expect(b.bytes(path)).toEqual(a.bytes(path));
  });
});
