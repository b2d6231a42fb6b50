import { describe, expect, it } from 'vitest';
import { MemorySink } from '../dataset/memorySink.ts';
import { exportFrames, syntheticFrame, syntheticInfo } from '../dataset/testing.ts';
import type { DatasetInfo, LabelledFrame, Sink } from '../dataset/types.ts';
import { encodeFrameWith, writersFor } from '../dataset/writers.ts';
const encodeJson = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value)}\n`);
import { FINALIZE_BATCH_FRAMES, type FinalizeProgress, finalizeFormats } from './finalize.ts';
import { frameRecordPath } from './layout.ts';

const FORMATS = ['coco', 'yolo'];
const AGGREGATES = ['frames.jsonl', 'coco/annotations.json', 'yolo/data.yaml'];
// More than two batches and a part batch, so batches, the look-ahead and the tail are all exercised.
const N = 2 * FINALIZE_BATCH_FRAMES + 37;

function frameOf(info: DatasetInfo, frame: number, cameraIndex: number): LabelledFrame {
  const objects = [{ path: '/World/Cube', label: 'cube', rect: [frame % 5, cameraIndex, 3, 2] as [number, number, number, number] }];
  if (frame % 3 === 0) objects.push({ path: '/World/Ball', label: 'ball', rect: [1, 4, 2, 2] });
  return syntheticFrame({ frame, cameraIndex, width: 8, height: 6, objects });
}

/** N frames' completion records in a sink, as generation leaves them, and the frames themselves. */
async function recordedDataset(cameras = ['cam0']) {
  const info = syntheticInfo(['cube', 'ball'], { frames: N, cameras, width: 8, height: 6 });
  const writers = writersFor(FORMATS);
  const sink = new MemorySink();
  const frames: LabelledFrame[] = [];
  for (let frame = 0; frame < N; frame++) {
    const records = [];
    // Cameras stored out of order: finalize puts them back in camera order.
    for (const cameraIndex of [...cameras.keys()].reverse()) {
      const labelled = frameOf(info, frame, cameraIndex);
      frames.push(labelled);
      const out = await encodeFrameWith(writers, info, labelled);
      records.push(...out.records.map((r) => ({ ...r, cameraIndex })));
    }
    await sink.write(frameRecordPath(frame), encodeJson({ frame, records }));
  }
  frames.sort((a, b) => a.frame - b.frame || a.cameraIndex - b.cameraIndex);
  return { info, sink, frames };
}

/** A sink that counts reads and the files read, and can be made to stream one file at a time. */
function counting(inner: Sink, options: { oneStreamAtATime?: boolean; batched?: boolean } = {}) {
  const counts = { read: 0, readFiles: 0, filesRead: 0, maxOpenStreams: 0 };
  let open = 0;
  const sink: Sink = {
    oneStreamAtATime: options.oneStreamAtATime ?? false,
    write: (path, bytes) => inner.write(path, bytes),
    async create(path) {
      const stream = await inner.create(path);
      counts.maxOpenStreams = Math.max(counts.maxOpenStreams, ++open);
      const done = () => void open--;
      return { write: (c) => stream.write(c), close: () => stream.close().finally(done), abort: () => stream.abort().finally(done) };
    },
    read: (path) => {
      counts.read++;
      counts.filesRead++;
      return inner.read(path);
    },
    list: (dir) => inner.list(dir),
    remove: (path) => inner.remove(path),
  };
  if (options.batched !== false) {
    sink.readFiles = async (paths) => {
      counts.readFiles++;
      counts.filesRead += paths.length;
      return Promise.all(paths.map((p) => inner.read(p)));
    };
  }
  return { sink, counts };
}

const aggregatesOf = (sink: MemorySink) => Object.fromEntries(AGGREGATES.map((p) => [p, sink.text(p)]));

describe('finalizeFormats', () => {
  it('reads each frame record once, in batches, for every writer at once, and writes what the writers make in one pass', async () => {
    const { info, sink: memory, frames } = await recordedDataset(['left', 'right']);
    const { sink, counts } = counting(memory);
    const progress: FinalizeProgress[] = [];
    await finalizeFormats(sink, info, ['frames', ...FORMATS], 0, N, (p) => progress.push(p));

    // The same bytes as the writers make when handed the frames directly.
    const direct = new MemorySink();
    await exportFrames(writersFor(FORMATS), info, frames, direct);
    expect(aggregatesOf(memory)).toEqual(aggregatesOf(direct));

    expect(counts.filesRead).toBe(N);
    expect(counts.read).toBe(0);
    expect(counts.readFiles).toBe(Math.ceil(N / FINALIZE_BATCH_FRAMES));
    expect(counts.maxOpenStreams).toBe(2); // frames.jsonl and annotations.json together (YOLO's data.yaml is written whole)
    expect(memory.openStreams).toBe(0);

    // Progress: whole batches taken by every writer, rising, ending at every frame.
    const seen = progress.map((p) => p.frames);
    expect(seen.every((f, i) => i === 0 || f >= seen[i - 1]!)).toBe(true);
    expect(seen).toContain(FINALIZE_BATCH_FRAMES);
    expect(progress.at(-1)).toEqual({ frames: N, total: N });
  });

  it('builds one file after another on a sink that streams one at a time, with the same bytes', async () => {
    const together = await recordedDataset();
    await finalizeFormats(together.sink, together.info, ['frames', ...FORMATS], 0, N);

    const { info, sink: memory } = await recordedDataset();
    const { sink, counts } = counting(memory, { oneStreamAtATime: true, batched: false });
    const progress: number[] = [];
    await finalizeFormats(sink, info, ['frames', ...FORMATS], 0, N, (p) => progress.push(p.frames));
    expect(aggregatesOf(memory)).toEqual(aggregatesOf(together.sink));
    expect(counts.maxOpenStreams).toBe(1);
    // One pass per writer that reads records (YOLO's data.yaml needs none), one read per record.
    expect(counts.read).toBe(2 * N);
    expect(progress.every((f, i) => i === 0 || f >= progress[i - 1]!)).toBe(true);
    expect(progress.at(-1)).toBe(N);
  });

  it('finalizes a range of frames (a shard) from that range’s records only', async () => {
    const { info, sink: memory, frames } = await recordedDataset();
    const start = FINALIZE_BATCH_FRAMES - 10;
    const end = start + FINALIZE_BATCH_FRAMES + 20;
    await finalizeFormats(memory, info, ['frames'], start, end);
    const lines = memory.text('frames.jsonl').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).frame)).toEqual(frames.slice(start, end).map((f) => f.frame));
  });

  it('names a missing frame record, and leaves no aggregate file half written', async () => {
    const { info, sink: memory } = await recordedDataset();
    const gap = FINALIZE_BATCH_FRAMES + 5;
    await memory.remove(frameRecordPath(gap));
    await expect(finalizeFormats(memory, info, ['frames', ...FORMATS], 0, N)).rejects.toThrow(`frame ${gap} is not complete (no ${frameRecordPath(gap)})`);
    // (YOLO's data.yaml takes no records: it is whole either way.)
    for (const path of ['frames.jsonl', 'coco/annotations.json']) expect(memory.files.has(path), path).toBe(false);
    expect(memory.openStreams).toBe(0);
  });

  it('stops every writer when one fails: its failure is the one reported, the other files are aborted', async () => {
    const { info, sink: memory } = await recordedDataset();
    // Frame 10's COCO record is damaged: COCO fails there, while frames.jsonl is at most one batch ahead.
    const stored = JSON.parse(memory.text(frameRecordPath(10)));
    stored.records = stored.records.map((r: { writer: string }) => (r.writer === 'coco' ? { ...r, record: 42 } : r));
    await memory.write(frameRecordPath(10), encodeJson(stored));
    await expect(finalizeFormats(memory, info, ['frames', ...FORMATS], 0, N)).rejects.toThrow('coco: the record of frame 10 camera 0 is not a COCO record');
    for (const path of ['frames.jsonl', 'coco/annotations.json']) expect(memory.files.has(path), path).toBe(false);
    expect(memory.openStreams).toBe(0);
  });

  it('finalizes an empty range to files with no records', async () => {
    const { info, sink: memory } = await recordedDataset();
    const progress: FinalizeProgress[] = [];
    await finalizeFormats(memory, info, ['frames', 'coco'], 5, 5, (p) => progress.push(p));
    expect(memory.text('frames.jsonl')).toBe('');
    expect(JSON.parse(memory.text('coco/annotations.json'))).toMatchObject({ annotations: [], images: [] });
    expect(progress.at(-1)).toEqual({ frames: 0, total: 0 });
  });
});
