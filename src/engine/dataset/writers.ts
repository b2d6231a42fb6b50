/**
 * The registry of dataset formats: adding a format is one module beside the others and one entry
 * here. `frames` (frames.jsonl) is always written; the others are chosen by name.
 *
 * The pipeline, per frame and camera: `encodeFrameWith(writersFor(formats), info, frame)` →
 * write `files` to the sink, keep each writer's `record` with the frame. At the end, per writer:
 * `writerFor(name).finalize(info, thatWriter'sRecordsInFrameThenCameraOrder, sink)`.
 */
import { InputError } from '../errors.ts';
import { BasicWriter } from './basic.ts';
import { CocoWriter } from './coco.ts';
import { FramesJsonlWriter } from './framesJsonl.ts';
import { KittiWriter } from './kitti.ts';
import type { DatasetInfo, LabelledFrame, OutputFile, Writer } from './types.ts';
import { YoloWriter } from './yolo.ts';

/** The formats a person can ask for. */
export const WRITER_NAMES = ['coco', 'basic', 'yolo', 'kitti'] as const;
export type WriterName = (typeof WRITER_NAMES)[number];
/** The writer that always runs (frames.jsonl). */
export const FRAMES_WRITER_NAME = 'frames';

const FACTORIES: Record<WriterName | typeof FRAMES_WRITER_NAME, () => Writer> = {
  frames: () => new FramesJsonlWriter(),
  coco: () => new CocoWriter(),
  basic: () => new BasicWriter(),
  yolo: () => new YoloWriter(),
  kitti: () => new KittiWriter(),
};

export function isWriterName(name: string): name is WriterName {
  return (WRITER_NAMES as readonly string[]).includes(name);
}

/** The writer of a format name (or "frames"); an InputError naming the choices otherwise. */
export function writerFor(name: string): Writer {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name as keyof typeof FACTORIES] : undefined;
  if (!factory) throw new InputError('<formats>', `unknown dataset format ${JSON.stringify(name)}; expected one of ${WRITER_NAMES.join(', ')}`);
  return factory();
}

/** frames.jsonl's writer, then one per requested format (duplicates dropped). */
export function writersFor(formats: readonly string[]): Writer[] {
  const names = [FRAMES_WRITER_NAME, ...formats.filter((f) => f !== FRAMES_WRITER_NAME)];
  return [...new Set(names)].map(writerFor);
}

/** Everything the given writers produce for one frame and camera. */
export async function encodeFrameWith(writers: readonly Writer[], info: DatasetInfo, frame: LabelledFrame): Promise<{ files: OutputFile[]; records: { writer: string; record: unknown }[] }> {
  const files: OutputFile[] = [];
  const records: { writer: string; record: unknown }[] = [];
  for (const writer of writers) {
    const out = await writer.encodeFrame(info, frame);
    files.push(...out.files);
    if (out.record !== undefined) records.push({ writer: writer.name, record: out.record });
  }
  return { files, records };
}
