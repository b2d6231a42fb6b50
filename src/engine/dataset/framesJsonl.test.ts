import { describe, expect, it } from 'vitest';
import { FRAMES_JSONL_PATH, FramesJsonlWriter, frameLine } from './framesJsonl.ts';
import { MemorySink } from './memorySink.ts';
import { exportFrames, recordsOf, syntheticFrame, syntheticInfo, threeObjectFrame } from './testing.ts';

describe('frames.jsonl', () => {
  it('holds one line per frame and camera with the camera, the visible objects and the randomized values', async () => {
    const sink = new MemorySink();
    const info = syntheticInfo(['cube', 'sphere'], { cameras: ['/World/Left', '/World/Right'], frames: 2 });
    const frames = [threeObjectFrame(0, 0), threeObjectFrame(0, 1), threeObjectFrame(1, 0), threeObjectFrame(1, 1)];
    await exportFrames([new FramesJsonlWriter()], info, frames, sink);
    expect(sink.paths()).toEqual([FRAMES_JSONL_PATH]);
    const text = sink.text(FRAMES_JSONL_PATH);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.frame, l.camera_index])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const first = lines[0];
    expect(first.camera).toEqual({
      path: '/World/Camera',
      width: 16,
      height: 12,
      K: [
        [16, 0, 8],
        [0, 16, 6],
        [0, 0, 1],
      ],
      world_to_camera: [
        [1, 0, 0, 0],
        [0, -1, 0, 1],
        [0, 0, -1, 5],
        [0, 0, 0, 1],
      ],
    });
    expect(first.randomized).toEqual({ '/World/Light.intensity': 1000, '/World/Cube.color': [0.25, 0.5, 0.3333333] });
    const cube = first.objects[0];
    expect(Object.keys(cube).sort()).toEqual(['bbox2d_loose', 'bbox2d_tight', 'bbox3d', 'class_id', 'instance_id', 'label', 'path', 'pose_camera', 'pose_world', 'visible_fraction']);
    // CubeA spans columns 1…6, rows 1…5 (30 px); the sphere in front hides columns 4…6 of rows 3…5 (9 px)
    expect(cube).toMatchObject({ path: '/World/CubeA', label: 'cube', class_id: 1, instance_id: 1, bbox2d_tight: [1, 1, 6, 5], bbox2d_loose: [1, 1, 6, 5], visible_fraction: 0.7 });
    expect(Object.keys(cube.bbox3d).sort()).toEqual(['center', 'rotation', 'size']);
    expect(cube.pose_world).toEqual({ position: [-1.25, 1.78125, 0], orientation: [1, 0, 0, 0] });
    // CubeB is cut by the right border: its loose box is clipped to the image
    expect(first.objects[2]).toMatchObject({ path: '/World/CubeB', bbox2d_tight: [12, 6, 15, 10], bbox2d_loose: [12, 6, 15, 10] });
  });

  it('leaves out objects with no visible pixel', async () => {
    const frame = syntheticFrame({
      objects: [
        { path: '/World/Hidden', label: 'cube', rect: [2, 2, 4, 4] },
        { path: '/World/Wall', label: 'wall', rect: [1, 1, 6, 6] },
      ],
    });
    expect(frame.objects[0]!.bbox2d_tight).toBeNull();
    const line = JSON.parse(frameLine(frame));
    expect(line.objects.map((o: { path: string }) => o.path)).toEqual(['/World/Wall']);
  });

  it('encodes the same frame to the same line, whatever order its objects were built in', async () => {
    const a = threeObjectFrame(3);
    const b = threeObjectFrame(3);
    b.randomized = Object.fromEntries(Object.entries(b.randomized).reverse());
    const writer = new FramesJsonlWriter();
    expect(await writer.encodeFrame(syntheticInfo(['cube', 'sphere']), a)).toEqual({ files: [], record: frameLine(b) });
  });

  it('rejects a record that is not a line', async () => {
    const sink = new MemorySink();
    const writer = new FramesJsonlWriter();
    await expect(writer.finalize(syntheticInfo(['cube']), recordsOf([{ frame: 0, cameraIndex: 0, record: { not: 'a line' } }]), sink)).rejects.toThrow(/frame 0 camera 0/);
    expect(sink.paths()).toEqual([]);
    expect(sink.openStreams).toBe(0);
  });
});
