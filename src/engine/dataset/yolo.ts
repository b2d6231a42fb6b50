/**
 * YOLO detection layout (Ultralytics / YOLOv5–v11): an image folder, a parallel label folder, one
 * text file per image, and data.yaml naming the classes.
 *
 *   <out>/yolo/data.yaml
 *   <out>/yolo/images/{camera/}{frame:06d}.png     RGB8
 *   <out>/yolo/labels/{camera/}{frame:06d}.txt     one line per visible object; empty when none
 *
 * Label line: `class x_center y_center width height` — class = class id − 1 (0-based, the index
 * into data.yaml's names); the rest normalised by the image size, from the tight box in continuous
 * coordinates (pixel c covers [c, c+1]): x_center = (x_min + x_max + 1) / 2 / W,
 * width = (x_max + 1 − x_min) / W, and the same for y with H.
 *
 * data.yaml: `train: images`, `val: images`, `nc`, `names` (a list, YAML 1.1 quoting so PyYAML
 * reads names like "on" as strings). No `path:` key — Ultralytics resolves a relative `path`
 * against the working directory (or its datasets_dir), while without one it uses the folder of
 * data.yaml, which is where images/ and labels/ are. Ultralytics finds the labels by replacing
 * /images/ with /labels/ in each image path and searches images/ recursively, so the camera
 * sub-folders need nothing more.
 */
import { stringify } from 'yaml';
import { formatNumber, textBytes } from './json.ts';
import { framePath } from './pathTemplate.ts';
import { rgbPngOf } from './png.ts';
import type { DatasetInfo, LabelledFrame, OutputFile, Sink, Writer } from './types.ts';

export const YOLO_DATA_YAML_PATH = 'yolo/data.yaml';
export const YOLO_IMAGE_PATH = 'yolo/images/{camera/}{frame:06d}.png';
export const YOLO_LABEL_PATH = 'yolo/labels/{camera/}{frame:06d}.txt';

/** The label file text of one frame and camera. */
export function yoloLabels(frame: LabelledFrame): string {
  const { width, height } = frame.camera;
  const lines: string[] = [];
  for (const object of frame.objects) {
    if (!object.bbox2d_tight) continue;
    const [x0, y0, x1, y1] = object.bbox2d_tight;
    const values = [(x0 + x1 + 1) / 2 / width, (y0 + y1 + 1) / 2 / height, (x1 + 1 - x0) / width, (y1 + 1 - y0) / height];
    lines.push(`${object.classId - 1} ${values.map(formatNumber).join(' ')}\n`);
  }
  return lines.join('');
}

/** data.yaml for the dataset's classes. */
export function yoloDataYaml(info: DatasetInfo): string {
  const names = [...info.classes].sort((a, b) => a.id - b.id);
  names.forEach((c, i) => {
    if (c.id !== i + 1) throw new Error(`yolo: class ids must be 1…${names.length} without gaps (found ${c.id} for ${JSON.stringify(c.name)})`);
  });
  const header = '# Simloop YOLO dataset. Paths are relative to this file\'s folder (no `path:` key on purpose).\n';
  return header + stringify({ train: 'images', val: 'images', nc: names.length, names: names.map((c) => c.name) }, { version: '1.1' });
}

export class YoloWriter implements Writer {
  readonly name = 'yolo';

  async encodeFrame(info: DatasetInfo, frame: LabelledFrame): Promise<{ files: OutputFile[] }> {
    return {
      files: [
        { path: framePath(YOLO_IMAGE_PATH, info, frame.frame, frame.cameraIndex), bytes: await rgbPngOf(frame) },
        { path: framePath(YOLO_LABEL_PATH, info, frame.frame, frame.cameraIndex), bytes: textBytes(yoloLabels(frame)) },
      ],
    };
  }

  async finalize(info: DatasetInfo, _records: AsyncIterable<unknown>, sink: Sink): Promise<void> {
    await sink.write(YOLO_DATA_YAML_PATH, textBytes(yoloDataYaml(info)));
  }
}
