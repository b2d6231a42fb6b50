/**
 * One frame of a written dataset, as the viewer shows it: the colour image and the instance mask,
 * found through the formats' own path templates (whichever formats the dataset has) and decoded
 * with fast-png and the COCO RLE decoder. Pure over a `read(path)` function, so it runs in Node
 * tests against a MemorySink as well as in the page against OPFS or a picked folder.
 */
import { decode as decodePng } from 'fast-png';
import { BASIC_PATHS } from '../../engine/dataset/basic.ts';
import { COCO_ANNOTATION_ID_STRIDE, COCO_ANNOTATIONS_PATH, COCO_IMAGE_PATH, cocoImageId } from '../../engine/dataset/coco.ts';
import { framePath } from '../../engine/dataset/pathTemplate.ts';
import { colourKey, labelColour } from '../../engine/dataset/png.ts';
import { countsFromString, maskFromRle } from '../../engine/dataset/rle.ts';
import type { DatasetInfo } from '../../engine/dataset/types.ts';
import { KITTI_IMAGE_PATH } from '../../engine/dataset/kitti.ts';
import { YOLO_IMAGE_PATH } from '../../engine/dataset/yolo.ts';
import type { DatasetManifest } from '../../engine/jobs/manifest.ts';
import type { FrameLine } from './jsonl.ts';

export type ReadFile = (path: string) => Promise<Uint8Array | null>;

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA8, top row first. */
  data: Uint8ClampedArray<ArrayBuffer>;
}

export interface InstanceMask {
  width: number;
  height: number;
  /** Instance id per pixel (frames.jsonl `instance_id`), 0 = background. */
  ids: Uint32Array;
  /** The file it was decoded from. */
  source: string;
}

/** The DatasetInfo a manifest describes (what the path templates need). */
export function infoFromManifest(manifest: DatasetManifest): DatasetInfo {
  return { classes: manifest.classes, cameras: manifest.cameras, width: manifest.resolution[0], height: manifest.resolution[1], frames: manifest.frames.total };
}

/** Candidate colour-image paths of a frame, in the order the viewer tries them. */
export function imagePaths(manifest: DatasetManifest, frame: number, cameraIndex: number): string[] {
  const info = infoFromManifest(manifest);
  const templates: Record<string, string> = { basic: BASIC_PATHS.rgb, coco: COCO_IMAGE_PATH, yolo: YOLO_IMAGE_PATH, kitti: KITTI_IMAGE_PATH };
  return ['basic', 'coco', 'yolo', 'kitti'].filter((f) => manifest.formats.includes(f)).map((f) => framePath(templates[f]!, info, frame, cameraIndex));
}

/** A PNG (grey, grey+alpha, RGB or RGBA; 8 or 16 bits) as RGBA8. */
export function decodePngRgba(bytes: Uint8Array): RgbaImage {
  const png = decodePng(bytes);
  const { width, height, channels } = png;
  const src = png.data;
  const shift = png.depth === 16 ? 8 : 0;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const v = (k: number) => src[j + k]! >> shift;
    const grey = channels <= 2;
    data[i * 4] = v(0);
    data[i * 4 + 1] = grey ? v(0) : v(1);
    data[i * 4 + 2] = grey ? v(0) : v(2);
    data[i * 4 + 3] = channels === 4 ? v(3) : channels === 2 ? v(1) : 255;
  }
  return { width, height, data };
}

/** The frame's colour image, from the first format that has it; null when none does. */
export async function loadFrameImage(read: ReadFile, manifest: DatasetManifest, line: FrameLine): Promise<{ image: RgbaImage; path: string } | null> {
  const cameraIndex = cameraIndexOf(manifest, line);
  for (const path of imagePaths(manifest, line.frame, cameraIndex)) {
    const bytes = await read(path);
    if (bytes) return { image: decodePngRgba(bytes), path };
  }
  return null;
}

function cameraIndexOf(manifest: DatasetManifest, line: FrameLine & { camera_index?: number }): number {
  if (typeof line.camera_index === 'number') return line.camera_index;
  return Math.max(0, manifest.cameras.indexOf(line.camera.path));
}

const instanceIdOf = (o: FrameLine['objects'][number]): number => o.instance_id ?? o.instanceId ?? 0;

/**
 * Instance ids from Replicator's colourised instance image: each colour is labelColour(id) of an
 * object listed in the frame's line. A colour of no listed object (which the writers never make)
 * gets an id above every listed one, so it still shows.
 */
export function idsFromInstancePng(rgba: RgbaImage, line: FrameLine): Uint32Array {
  const byColour = new Map<string, number>();
  let next = 1;
  for (const object of line.objects) {
    const id = instanceIdOf(object);
    byColour.set(colourKey(labelColour(id)), id);
    next = Math.max(next, id + 1);
  }
  const ids = new Uint32Array(rgba.width * rgba.height);
  const { data } = rgba;
  for (let i = 0; i < ids.length; i++) {
    if (data[i * 4 + 3] === 0) continue; // background is transparent
    const key = `(${data[i * 4]}, ${data[i * 4 + 1]}, ${data[i * 4 + 2]}, ${data[i * 4 + 3]})`;
    let id = byColour.get(key);
    if (id === undefined) byColour.set(key, (id = next++));
    ids[i] = id;
  }
  return ids;
}

interface CocoAnnotation {
  id: number;
  image_id: number;
  segmentation: { size: [number, number]; counts: string | number[] };
}

/** COCO annotations grouped by image id; annotations.json is read once per dataset. */
export type CocoIndex = Map<number, CocoAnnotation[]>;

export function indexCocoAnnotations(bytes: Uint8Array): CocoIndex {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as { annotations?: CocoAnnotation[] };
  const index: CocoIndex = new Map();
  for (const a of json.annotations ?? []) {
    let list = index.get(a.image_id);
    if (!list) index.set(a.image_id, (list = []));
    list.push(a);
  }
  return index;
}

/** Instance ids painted from the RLE masks of one image's COCO annotations. */
export function idsFromCoco(annotations: readonly CocoAnnotation[], width: number, height: number): Uint32Array {
  const ids = new Uint32Array(width * height);
  for (const a of annotations) {
    const [h, w] = a.segmentation.size;
    if (h !== height || w !== width) continue;
    const counts = typeof a.segmentation.counts === 'string' ? countsFromString(a.segmentation.counts) : a.segmentation.counts;
    const mask = maskFromRle(counts, width, height);
    const id = a.id % COCO_ANNOTATION_ID_STRIDE;
    for (let i = 0; i < mask.length; i++) if (mask[i]) ids[i] = id;
  }
  return ids;
}

/**
 * The frame's instance mask: the Basic writer's instance PNG when the dataset has it, else the
 * COCO RLE masks; null when neither format was written. `coco` caches the parsed annotations.
 */
export async function loadInstanceMask(
  read: ReadFile,
  manifest: DatasetManifest,
  line: FrameLine,
  coco: { index: CocoIndex | null },
): Promise<InstanceMask | null> {
  const info = infoFromManifest(manifest);
  const cameraIndex = cameraIndexOf(manifest, line);
  const { width, height } = line.camera;
  if (manifest.formats.includes('basic')) {
    const path = framePath(BASIC_PATHS.instanceSegmentation, info, line.frame, cameraIndex);
    const bytes = await read(path);
    if (bytes) {
      const rgba = decodePngRgba(bytes);
      return { width: rgba.width, height: rgba.height, ids: idsFromInstancePng(rgba, line), source: path };
    }
  }
  if (manifest.formats.includes('coco')) {
    if (!coco.index) {
      const bytes = await read(COCO_ANNOTATIONS_PATH);
      if (!bytes) return null;
      coco.index = indexCocoAnnotations(bytes);
    }
    const annotations = coco.index.get(cocoImageId(info, line.frame, cameraIndex)) ?? [];
    return { width, height, ids: idsFromCoco(annotations, width, height), source: COCO_ANNOTATIONS_PATH };
  }
  return null;
}
