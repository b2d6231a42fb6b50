import { describe, expect, it } from 'vitest';
import { COCO_ANNOTATIONS_PATH, CocoWriter, cocoImageId } from './coco.ts';
import { MemorySink } from './memorySink.ts';
import { decodeRle, rleBbox, countsFromString } from './rle.ts';
import { exportFrames, recordsOf, syntheticFrame, syntheticInfo, THREE_OBJECT_LABELS, threeObjectFrame } from './testing.ts';
import type { LabelledFrame } from './types.ts';

interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: { size: [number, number]; counts: string };
  area: number;
  bbox: [number, number, number, number];
  iscrowd: number;
}

async function cocoOf(frames: LabelledFrame[], cameras = ['/World/Camera']) {
  const sink = new MemorySink();
  const info = syntheticInfo(THREE_OBJECT_LABELS, { cameras, frames: frames.length });
  await exportFrames([new CocoWriter()], info, frames, sink);
  return { sink, info, json: JSON.parse(sink.text(COCO_ANNOTATIONS_PATH)) as { info: object; licenses: unknown[]; categories: unknown[]; images: unknown[]; annotations: CocoAnnotation[] } };
}

const instanceMask = (frame: LabelledFrame, id: number) => Array.from(frame.buffers.instance, (v) => (v === id ? 1 : 0));

describe('COCO', () => {
  it('writes the image and an annotations.json with every section', async () => {
    const { sink, json } = await cocoOf([threeObjectFrame()]);
    expect(sink.paths()).toEqual(['coco/annotations.json', 'coco/images/rgb_000000.png']);
    expect(Object.keys(json)).toEqual(['info', 'licenses', 'categories', 'annotations', 'images']);
    expect(json.licenses).toEqual([]);
    expect(json.categories).toEqual([
      { id: 1, name: 'cube', supercategory: 'object' },
      { id: 2, name: 'sphere', supercategory: 'object' },
    ]);
    expect(json.images).toEqual([{ id: 1, width: 16, height: 12, file_name: 'images/rgb_000000.png' }]);
  });

  it('annotates each visible object with its mask, pixel area and box', async () => {
    const frame = threeObjectFrame();
    const { json } = await cocoOf([frame]);
    expect(json.annotations.map((a) => [a.id, a.image_id, a.category_id, a.iscrowd])).toEqual([
      [100001, 1, 1, 0],
      [100002, 1, 2, 0],
      [100003, 1, 1, 0],
    ]);
    // Hand-worked: CubeA 30 px less 9 hidden by the sphere; the sphere 5×7; CubeB 4×5 inside the image.
    expect(json.annotations.map((a) => a.area)).toEqual([21, 35, 20]);
    expect(json.annotations.map((a) => a.bbox)).toEqual([
      [1, 1, 6, 5],
      [4, 3, 5, 7],
      [12, 6, 4, 5],
    ]);
    for (const a of json.annotations) {
      const instanceId = a.id % 100000;
      expect(Number.isInteger(a.area)).toBe(true);
      expect(a.segmentation.size).toEqual([12, 16]);
      const mask = decodeRle(a.segmentation);
      expect(Array.from(mask)).toEqual(instanceMask(frame, instanceId));
      expect(a.area).toBe(mask.reduce((s, v) => s + v, 0));
      expect(rleBbox(countsFromString(a.segmentation.counts), 16, 12)).toEqual(a.bbox);
      const [x0, y0, x1, y1] = frame.objects[instanceId - 1]!.bbox2d_tight!;
      expect(a.bbox).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    }
  });

  it('does not annotate objects hidden behind others', async () => {
    const frame = syntheticFrame({
      objects: [
        { path: '/World/Hidden', label: 'cube', rect: [2, 2, 4, 4] },
        { path: '/World/Front', label: 'sphere', rect: [1, 1, 6, 6] },
      ],
    });
    const { json } = await cocoOf([frame]);
    expect(json.annotations.map((a) => a.id)).toEqual([100002]);
  });

  it('numbers images frame by frame and camera by camera, with a folder per camera', async () => {
    const frames = [threeObjectFrame(0, 0), threeObjectFrame(0, 1), threeObjectFrame(1, 0), threeObjectFrame(1, 1)];
    const { sink, json, info } = await cocoOf(frames, ['/World/Rig/Left', '/World/Rig/Right']);
    expect(json.images).toEqual([
      { id: 1, width: 16, height: 12, file_name: 'images/Left/rgb_000000.png' },
      { id: 2, width: 16, height: 12, file_name: 'images/Right/rgb_000000.png' },
      { id: 3, width: 16, height: 12, file_name: 'images/Left/rgb_000001.png' },
      { id: 4, width: 16, height: 12, file_name: 'images/Right/rgb_000001.png' },
    ]);
    for (const image of json.images as { file_name: string }[]) expect(sink.files.has(`coco/${image.file_name}`)).toBe(true);
    expect(cocoImageId(info, 1, 1)).toBe(4);
    expect(json.annotations.filter((a) => a.image_id === 4).map((a) => a.id)).toEqual([400001, 400002, 400003]);
  });

  it('gives ids that depend only on frame, camera and instance, so shards merge into the same file', async () => {
    const info = syntheticInfo(THREE_OBJECT_LABELS, { frames: 10 });
    const writer = new CocoWriter();
    const alone = await writer.encodeFrame(info, threeObjectFrame(7));
    const again = await writer.encodeFrame(info, threeObjectFrame(7));
    expect(again.record).toEqual(alone.record);
    expect(JSON.parse(`[${alone.record.annotations}]`)[0].id).toBe(8 * 100000 + 1);

    // one run over frames 0…3 equals a finalize over the records of two "shards" concatenated
    const records = await Promise.all([0, 1, 2, 3].map(async (f) => ({ frame: f, cameraIndex: 0, record: (await writer.encodeFrame(info, threeObjectFrame(f))).record })));
    const one = new MemorySink();
    await writer.finalize(info, recordsOf(records), one);
    const merged = new MemorySink();
    const shardA = records.slice(0, 2);
    const shardB = records.slice(2);
    await writer.finalize(info, recordsOf([...shardA, ...shardB]), merged);
    expect(merged.bytes(COCO_ANNOTATIONS_PATH)).toEqual(one.bytes(COCO_ANNOTATIONS_PATH));
  });

  it('lists only the images it has records for', async () => {
    const info = syntheticInfo(THREE_OBJECT_LABELS, { frames: 5 });
    const writer = new CocoWriter();
    const records = await Promise.all([0, 1, 3].map(async (f) => ({ frame: f, cameraIndex: 0, record: (await writer.encodeFrame(info, threeObjectFrame(f))).record })));
    const sink = new MemorySink();
    await writer.finalize(info, recordsOf(records), sink);
    const json = JSON.parse(sink.text(COCO_ANNOTATIONS_PATH));
    expect(json.images.map((i: { id: number }) => i.id)).toEqual([1, 2, 4]);
    expect(new Set(json.annotations.map((a: CocoAnnotation) => a.image_id))).toEqual(new Set([1, 2, 4]));
  });

  it('refuses records out of order, and leaves no half-written file', async () => {
    const info = syntheticInfo(THREE_OBJECT_LABELS, { frames: 5 });
    const writer = new CocoWriter();
    const records = await Promise.all([1, 0].map(async (f) => ({ frame: f, cameraIndex: 0, record: (await writer.encodeFrame(info, threeObjectFrame(f))).record })));
    const sink = new MemorySink();
    await expect(writer.finalize(info, recordsOf(records), sink)).rejects.toThrow(/out of order/);
    expect(sink.paths()).toEqual([]);
    expect(sink.openStreams).toBe(0);
  });

  it('encodes the same frame to the same bytes', async () => {
    const a = await cocoOf([threeObjectFrame(), threeObjectFrame(1)]);
    const b = await cocoOf([threeObjectFrame(), threeObjectFrame(1)]);
    for (const path of a.sink.paths()) expect(b.sink.bytes(path)).toEqual(a.sink.bytes(path));
  });
});
