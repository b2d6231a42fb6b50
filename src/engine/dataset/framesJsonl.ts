/**
 * frames.jsonl — Simloop's own per-frame record, written for every dataset whatever the formats:
 * one JSON line per frame and camera, in frame order then camera order, with the camera, every
 * at-least-partly-visible labelled object and the randomized parameter values.
 *
 *   <out>/frames.jsonl
 *
 * Line (keys sorted, numbers as json.ts writes them; the field reference is docs/DATASETS.md):
 *   { "camera": { "K", "height", "path", "width", "world_to_camera" },
 *     "camera_index", "frame",
 *     "objects": [ { "bbox2d_loose", "bbox2d_tight", "bbox3d": { "center", "rotation", "size" },
 *                    "class_id", "instance_id", "label", "path", "pose_camera", "pose_world",
 *                    "visible_fraction" } ],
 *     "randomized": { "<parameter path>": value } }
 *
 * encodeFrame writes no file: the line is the frame's record, and finalize streams the records
 * into the file, so frames can be encoded in any order and shards merge into the same bytes.
 */
import { stableStringify } from './json.ts';
import { withTextStream } from './textStream.ts';
import type { DatasetInfo, LabelledFrame, Sink, Writer } from './types.ts';

export const FRAMES_JSONL_PATH = 'frames.jsonl';

/** The frames.jsonl line of one frame and camera (no newline). */
export function frameLine(frame: LabelledFrame): string {
  const { camera } = frame;
  return stableStringify({
    frame: frame.frame,
    camera_index: frame.cameraIndex,
    camera: { path: camera.path, width: camera.width, height: camera.height, K: camera.K, world_to_camera: camera.world_to_camera },
    objects: frame.objects
      .filter((o) => o.bbox2d_tight !== null)
      .map((o) => ({
        path: o.path,
        label: o.label,
        class_id: o.classId,
        instance_id: o.instanceId,
        bbox2d_tight: o.bbox2d_tight,
        bbox2d_loose: o.bbox2d_loose,
        visible_fraction: o.visible_fraction,
        bbox3d: { center: o.bbox3d.center, size: o.bbox3d.size, rotation: o.bbox3d.rotation },
        pose_world: o.pose_world,
        pose_camera: o.pose_camera,
      })),
    randomized: frame.randomized,
  });
}

export class FramesJsonlWriter implements Writer {
  readonly name = 'frames';

  async encodeFrame(_info: DatasetInfo, frame: LabelledFrame) {
    return { files: [], record: frameLine(frame) };
  }

  async finalize(_info: DatasetInfo, records: AsyncIterable<{ frame: number; cameraIndex: number; record: unknown }>, sink: Sink): Promise<void> {
    await withTextStream(sink, FRAMES_JSONL_PATH, async (out) => {
      for await (const { frame, cameraIndex, record } of records) {
        if (typeof record !== 'string') throw new Error(`frames.jsonl: the record of frame ${frame} camera ${cameraIndex} is not a line of JSON`);
        await out.write(`${record}\n`);
      }
    });
  }
}
