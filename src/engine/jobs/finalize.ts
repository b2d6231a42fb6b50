/**
 * Builds a dataset's aggregate files (frames.jsonl, COCO's annotations.json, YOLO's data.yaml, …)
 * from the per-frame completion records, in frame order, streaming. Shared by generation and by
 * merging shards, which is why a merged dataset is byte-identical to a single run.
 *
 * The records are read once for all writers, FINALIZE_BATCH_FRAMES at a time (one request to the
 * CLI's sink, not one per frame and writer), the next batch read while the writers take the
 * current one; every writer runs at once over the same records, and none gets more than one batch
 * ahead of the slowest, so memory stays at a couple of batches whatever the dataset's length.
 */
import type { DatasetInfo, Sink } from '../dataset/types.ts';
import { readFiles } from '../dataset/sinks/readFiles.ts';
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

/** Frames whose completion records are read in one call. */
export const FINALIZE_BATCH_FRAMES = 256;

/** Records read so far, for progress: every writer has taken the records of `frames` of `total` frames. */
export interface FinalizeProgress {
  frames: number;
  total: number;
}

async function readBatch(sink: Sink, start: number, end: number): Promise<StoredFrame[]> {
  const paths = Array.from({ length: end - start }, (_, i) => frameRecordPath(start + i));
  const files = await readFiles(sink, paths);
  const decoder = new TextDecoder();
  return files.map((bytes, i) => {
    if (!bytes) throw new Error(`frame ${start + i} is not complete (no ${paths[i]})`);
    return JSON.parse(decoder.decode(bytes)) as StoredFrame;
  });
}

type WriterRecord = { frame: number; cameraIndex: number; record: unknown };

/**
 * The batches of records over frames [start, end), shared by `readers` readers that each go
 * through every batch in order. A batch is read when the first reader needs it (the one after it
 * too, ahead of time) and dropped once every reader is past it; a reader more than one batch ahead
 * of the slowest waits. A reader that stops (its writer finished or failed) no longer holds the
 * others back. The first failure reaches every reader still going.
 */
function sharedBatches(sink: Sink, start: number, end: number, readers: number, onPassed?: (frames: number) => void) {
  const count = Math.ceil((end - start) / FINALIZE_BATCH_FRAMES);
  const loaded = new Map<number, Promise<StoredFrame[]>>();
  const at = new Array<number>(readers).fill(0); // the batch each reader needs next; Infinity once it stopped
  let failure: { error: unknown } | null = null;
  let waiting: (() => void)[] = [];
  const slowest = () => Math.min(...at);
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resume of woken) resume();
  };
  const load = (b: number) => {
    if (b >= count || loaded.has(b)) return;
    const from = start + b * FINALIZE_BATCH_FRAMES;
    const batch = readBatch(sink, from, Math.min(end, from + FINALIZE_BATCH_FRAMES));
    batch.catch((error: unknown) => {
      failure ??= { error };
      wake();
    });
    loaded.set(b, batch);
  };

  return {
    count,
    async get(b: number): Promise<StoredFrame[]> {
      while (failure === null && b > slowest() + 1) await new Promise<void>((resume) => waiting.push(resume));
      if (failure) throw failure.error;
      load(b);
      if (b + 1 <= slowest() + 1) load(b + 1);
      return loaded.get(b)!;
    },
    passed(reader: number, b: number) {
      const before = slowest();
      at[reader] = Math.max(at[reader]!, b + 1);
      const now = slowest();
      if (now === before) return;
      for (const key of loaded.keys()) if (key < now) loaded.delete(key);
      if (now !== Infinity) {
        load(now);
        onPassed?.(Math.min(end - start, now * FINALIZE_BATCH_FRAMES));
      }
      wake();
    },
    stopped(reader: number, error?: unknown) {
      if (error !== undefined) failure ??= { error };
      this.passed(reader, Infinity);
      wake();
    },
  };
}

/** The records of `writer` over frames [start, end), in frame then camera order, read through the shared batches. */
async function* writerRecords(shared: ReturnType<typeof sharedBatches>, reader: number, writer: string): AsyncGenerator<WriterRecord> {
  for (let b = 0; b < shared.count; b++) {
    for (const stored of await shared.get(b)) {
      const mine = stored.records.filter((r) => r.writer === writer).sort((a, b) => a.cameraIndex - b.cameraIndex);
      for (const r of mine) yield { frame: stored.frame, cameraIndex: r.cameraIndex, record: r.record };
    }
    shared.passed(reader, b);
  }
}

export async function finalizeFormats(
  sink: Sink,
  info: DatasetInfo,
  writers: readonly string[],
  start: number,
  end: number,
  onProgress?: (progress: FinalizeProgress) => void,
): Promise<void> {
  const total = end - start;
  if (sink.oneStreamAtATime) {
    // One writer after another, each over its own pass of the records; progress counts every pass.
    for (const [i, name] of writers.entries()) {
      const pass = (frames: number) => onProgress?.({ frames: Math.floor((i * total + frames) / writers.length), total });
      await runWriters(sink, info, [name], start, end, pass);
    }
  } else {
    await runWriters(sink, info, writers, start, end, (frames) => onProgress?.({ frames, total }));
  }
  onProgress?.({ frames: total, total });
}

/** Runs `writers` at once over one shared pass of the records; every writer has settled when this does. */
async function runWriters(sink: Sink, info: DatasetInfo, writers: readonly string[], start: number, end: number, onPassed: (frames: number) => void): Promise<void> {
  const shared = sharedBatches(sink, start, end, writers.length, onPassed);
  const results = await Promise.allSettled(
    writers.map(async (name, reader) => {
      const writer = writerFor(name);
      try {
        await writer.finalize(info, writerRecords(shared, reader, writer.name), sink);
      } catch (error) {
        shared.stopped(reader, error);
        throw error;
      }
      shared.stopped(reader);
    }),
  );
  // The failed writers' files are aborted by now; the first failure in writer order is the one reported.
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
