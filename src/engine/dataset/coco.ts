/**
 * COCO object detection / instance segmentation (cocodataset.org/#format-data), as pycocotools,
 * detectron2, mmdetection and FiftyOne read it.
 *
 *   <out>/coco/annotations.json
 *   <out>/coco/images/{camera/}rgb_{frame:06d}.png      RGB8; `file_name` is relative to coco/
 *
 * annotations.json = { "info", "licenses": [], "categories", "annotations", "images" }:
 *   categories   { id: class id (1-based, DatasetInfo.classes), name, supercategory: "object" }
 *   images       { id, width, height, file_name }, id = frame · cameras + camera index + 1
 *   annotations  one per object with at least one pixel in the instance buffer:
 *                { id: image id · 100000 + instance id, image_id, category_id,
 *                  segmentation: compressed RLE { size: [h, w], counts } of the instance mask,
 *                  area: mask pixel count (an integer), bbox: [x, y, w, h], iscrowd: 0 }
 *
 * Boxes: COCO coordinates are continuous, with pixel (c, r) covering [c, c+1] × [r, r+1], so the
 * inclusive tight box [x_min, y_min, x_max, y_max] is [x_min, y_min, x_max − x_min + 1,
 * y_max − y_min + 1] — exactly what pycocotools' mask.toBbox gives for the segmentation.
 *
 * Ids depend only on (frame, camera, instance), so shards merged by one finalize give the same
 * bytes as one run. The "annotations" array comes before "images": finalize sees the records once,
 * and writing annotations first lets it stream them straight out while remembering only which
 * images exist (runs of consecutive ids) — readers load the whole object, where key order has no
 * meaning.
 */
import { stableStringify } from './json.ts';
import { cameraFolders, expandPath, framePath } from './pathTemplate.ts';
import { rgbPngOf } from './png.ts';
import { countsToString, rleArea, rleByInstance } from './rle.ts';
import { withTextStream } from './textStream.ts';
import type { DatasetInfo, LabelledFrame, OutputFile, Sink, Writer } from './types.ts';

export const COCO_ANNOTATIONS_PATH = 'coco/annotations.json';
export const COCO_IMAGE_PATH = 'coco/images/{camera/}rgb_{frame:06d}.png';
/** `file_name` in the image entries: COCO_IMAGE_PATH relative to the coco/ folder. */
export const COCO_FILE_NAME = 'images/{camera/}rgb_{frame:06d}.png';
/** Annotation id = image id · this + instance id (instance ids must be below it). */
export const COCO_ANNOTATION_ID_STRIDE = 100_000;

export const COCO_INFO = {
  description: 'Simloop synthetic dataset',
  contributor: 'Simloop',
  url: '',
  version: '1.0',
};

/** What encodeFrame hands to finalize for one frame and camera. */
export interface CocoRecord {
  width: number;
  height: number;
  /** The frame's annotation objects as JSON, comma-separated ("" when none). */
  annotations: string;
}

const cameraCount = (info: DatasetInfo) => Math.max(1, info.cameras.length);

export function cocoImageId(info: DatasetInfo, frame: number, cameraIndex: number): number {
  if (!Number.isInteger(cameraIndex) || cameraIndex < 0 || cameraIndex >= cameraCount(info)) throw new Error(`coco: camera index ${cameraIndex} is not one of the dataset's ${cameraCount(info)} cameras`);
  return frame * cameraCount(info) + cameraIndex + 1;
}

export class CocoWriter implements Writer {
  readonly name = 'coco';

  async encodeFrame(info: DatasetInfo, frame: LabelledFrame): Promise<{ files: OutputFile[]; record: CocoRecord }> {
    const { width, height } = frame.camera;
    const imageId = cocoImageId(info, frame.frame, frame.cameraIndex);
    const visible = frame.objects.filter((o) => o.bbox2d_tight !== null);
    const runs = rleByInstance(frame.buffers.instance, width, height, visible.map((o) => o.instanceId));
    const annotations: string[] = [];
    for (const object of visible) {
      if (object.instanceId <= 0 || object.instanceId >= COCO_ANNOTATION_ID_STRIDE) {
        throw new Error(`coco: frame ${frame.frame}: instance id ${object.instanceId} of ${object.path} is outside 1…${COCO_ANNOTATION_ID_STRIDE - 1}`);
      }
      const counts = runs.get(object.instanceId)!;
      const area = rleArea(counts);
      if (area === 0) continue;
      const [x0, y0, x1, y1] = object.bbox2d_tight!;
      annotations.push(
        stableStringify({
          id: imageId * COCO_ANNOTATION_ID_STRIDE + object.instanceId,
          image_id: imageId,
          category_id: object.classId,
          segmentation: { size: [height, width], counts: countsToString(counts) },
          area,
          bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1],
          iscrowd: 0,
        }),
      );
    }
    return {
      files: [{ path: framePath(COCO_IMAGE_PATH, info, frame.frame, frame.cameraIndex), bytes: await rgbPngOf(frame) }],
      record: { width, height, annotations: annotations.join(',') },
    };
  }

  async finalize(info: DatasetInfo, records: AsyncIterable<{ frame: number; cameraIndex: number; record: unknown }>, sink: Sink): Promise<void> {
    const cameras = cameraCount(info);
    const folders = cameraFolders(info);
    const categories = [...info.classes].sort((a, b) => a.id - b.id).map((c) => ({ id: c.id, name: c.name, supercategory: 'object' }));
    /** Image ids seen, as [first, last] runs; records arrive in id order, so usually one run. */
    const imageRuns: [number, number][] = [];
    const sizes = new Map<number, [number, number]>();

    await withTextStream(sink, COCO_ANNOTATIONS_PATH, async (out) => {
      await out.write(`{"info":${stableStringify(COCO_INFO)},"licenses":[],"categories":${stableStringify(categories)},"annotations":[`);
      let first = true;
      let lastId = 0;
      for await (const { frame, cameraIndex, record } of records) {
        const r = checkRecord(record, frame, cameraIndex);
        const id = cocoImageId(info, frame, cameraIndex);
        if (id <= lastId) throw new Error(`coco: the record of frame ${frame} camera ${cameraIndex} is out of order (records must come in frame order, then camera order)`);
        lastId = id;
        const size = sizes.get(cameraIndex);
        if (!size) sizes.set(cameraIndex, [r.width, r.height]);
        else if (size[0] !== r.width || size[1] !== r.height) throw new Error(`coco: camera ${cameraIndex} changes size at frame ${frame}`);
        const run = imageRuns[imageRuns.length - 1];
        if (run && run[1] === id - 1) run[1] = id;
        else imageRuns.push([id, id]);
        if (r.annotations) {
          await out.write(first ? r.annotations : `,${r.annotations}`);
          first = false;
        }
      }
      await out.write('],"images":[');
      first = true;
      for (const [start, end] of imageRuns) {
        for (let id = start; id <= end; id++) {
          const frame = Math.floor((id - 1) / cameras);
          const cameraIndex = (id - 1) % cameras;
          const [width, height] = sizes.get(cameraIndex)!;
          const fileName = expandPath(COCO_FILE_NAME, { frame, camera: folders[cameraIndex] ?? '' });
          await out.write(`${first ? '' : ','}${stableStringify({ id, width, height, file_name: fileName })}`);
          first = false;
        }
      }
      await out.write(']}\n');
    });
  }
}

function checkRecord(record: unknown, frame: number, cameraIndex: number): CocoRecord {
  const r = record as Partial<CocoRecord> | null;
  if (!r || typeof r !== 'object' || typeof r.width !== 'number' || typeof r.height !== 'number' || typeof r.annotations !== 'string') {
    throw new Error(`coco: the record of frame ${frame} camera ${cameraIndex} is not a COCO record`);
  }
  return r as CocoRecord;
}

