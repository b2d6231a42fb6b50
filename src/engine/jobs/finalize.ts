/**
 * Builds a dataset's aggregate files (frames.jsonl, COCO's annotations.json, YOLO's data.yaml, …)
 * from the per-frame completion records, in frame order, streaming. Shared by generation and by
 * merging shards, which is why a merged dataset is byte-identical to a single run.
 */
import type { DatasetInfo, Sink } from '../dataset/types.ts';
import { writerFor } from '../dataset/writers.ts';
import { frameRecordPath } from './layout.ts';

/** One writer's record for one frame and camera, as stored in the frame's completion record. */
export interface FrameRecord {
  writer: string;
  cameraIndex: number;
  record: unknown;
}

interface StoredFrame {
  frame: number;
  records: FrameRecord[];
}

async function readFrame(sink: Sink, frame: number): Promise<StoredFrame> {
  const bytes = await sink.read(frameRecordPath(frame));
  if (!bytes) throw new Error(`frame ${frame} is not complete (no ${frameRecordPath(frame)})`);
  return JSON.parse(new TextDecoder().decode(bytes)) as StoredFrame;
}

/** The records of one writer over frames [start, end), read lazily one frame at a time. */
export async function* writerRecords(sink: Sink, writer: string, start: number, end: number): AsyncGenerator<{ frame: number; cameraIndex: number; record: unknown }> {
  for (let frame = start; frame < end; frame++) {
    const stored = await readFrame(sink, frame);
    const mine = stored.records.filter((r) => r.writer === writer).sort((a, b) => a.cameraIndex - b.cameraIndex);
    for (const r of mine) yield { frame, cameraIndex: r.cameraIndex, record: r.record };
  }
}

export async function finalizeFormats(sink: Sink, info: DatasetInfo, writers: readonly string[], start: number, end: number): Promise<void> {
  for (const name of writers) {
    const writer = writerFor(name);
    await writer.finalize(info, writerRecords(sink, writer.name, start, end), sink);
  }
}
