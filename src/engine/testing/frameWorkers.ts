/**
 * Test support for the job runner (jobs/generate.ts) and `simloop merge`: fake FrameWorkers that
 * make each frame from synthetic LabelledFrames (dataset/testing.ts), one per camera, encoded by the
 * real writers — so a frame's bytes are a pure function of (job, frame), whatever worker makes it
 * and in whatever order. The fakes log spawns, runs and terminations, can be slowed down per frame
 * (to finish out of order) and can be told to fail.
 */
import { syntheticFrame, syntheticInfo } from '../dataset/testing.ts';
import type { DatasetInfo, LabelledFrame, OutputFile, Sink } from '../dataset/types.ts';
import { encodeFrameWith, writersFor } from '../dataset/writers.ts';
import type { FrameRecord } from '../jobs/finalize.ts';
import type { FrameOutput, FrameWorker, Lineage } from '../jobs/generate.ts';
import { type GenerateJob, type GenerateJobInput, parseGenerateJob } from '../jobs/job.ts';
import { seededRandom } from './usda.ts';

export const FAKE_LABELS = ['ball', 'cube'];
export const FAKE_CAMERAS = ['/World/Cams/Left', '/World/Cams/Right'];

export const FAKE_LINEAGE: Lineage = {
  simloopVersion: '0.1.0',
  scene: { file: 'scenes/fake.usda', sha256: 'ab'.repeat(32) },
  randomization: null,
  annotators: ['rgb', 'instance_segmentation', 'bounding_box_2d_tight'],
};

/** A small job: 16×12 pixels, COCO and YOLO, one worker, seed 7 (override anything). */
export function fakeJob(input: Partial<GenerateJobInput> = {}): GenerateJob {
  return parseGenerateJob({ scene: 'scenes/fake.usda', out: 'out', frames: 8, width: 16, height: 12, formats: ['coco', 'yolo'], workers: 1, seed: 7, ...input });
}

export function fakeInfo(job: GenerateJob): DatasetInfo {
  return syntheticInfo(FAKE_LABELS, { cameras: FAKE_CAMERAS, width: job.width, height: job.height, frames: job.frames });
}

/** Frame `frame` seen by every camera: a cube sliding right with the frame, a ball in front of it. */
export function fakeLabelledFrames(job: GenerateJob, info: DatasetInfo, frame: number): LabelledFrame[] {
  return info.cameras.map((cameraPath, cameraIndex) => {
    const x = (frame * 3 + cameraIndex * 2 + job.seed) % (job.width - 4);
    const y = (frame + cameraIndex) % (job.height - 6);
    return syntheticFrame({
      frame,
      cameraIndex,
      cameraPath,
      width: job.width,
      height: job.height,
      classes: info.classes,
      objects: [
        { path: '/World/Cube', label: 'cube', rect: [x, y, x + 5, y + 4] },
        { path: '/World/Ball', label: 'ball', rect: [x + 3, y + 2, x + 7, y + 6] },
      ],
      randomized: { '/World/Cube.x': x, '/World/Light.intensity': 1000 + frame, seed: job.seed },
    });
  });
}

/** What a real worker would return for the frame: every format's files and records, every camera. */
export async function fakeFrameOutput(job: GenerateJob, info: DatasetInfo, frame: number): Promise<FrameOutput> {
  const writers = writersFor(job.formats);
  const files: OutputFile[] = [];
  const records: FrameRecord[] = [];
  for (const labelled of fakeLabelledFrames(job, info, frame)) {
    const out = await encodeFrameWith(writers, info, labelled);
    files.push(...out.files);
    for (const r of out.records) records.push({ writer: r.writer, cameraIndex: labelled.cameraIndex, record: r.record });
  }
  return { frame, files, records, ms: { sample: 1, encode: frame } };
}

export interface FakeRun {
  /** Id of the worker (spawn order, from 0). */
  worker: number;
  slot: number;
  frame: number;
  attempt: number;
}

export interface FakeWorkerPlan {
  /** Milliseconds the worker takes for the frame (0: a microtask). */
  delayMs?: (frame: number, attempt: number) => number;
  /** A value to reject with instead of making the frame; undefined to make it. */
  fail?: (run: FakeRun) => unknown;
  /** Called when a run starts (before any delay). */
  onRun?: (run: FakeRun) => void;
}

export interface FakeWorkerLog {
  /** Slot of each spawn, in spawn order (index = worker id). */
  spawned: number[];
  /** Worker ids, in termination order. */
  terminated: number[];
  runs: FakeRun[];
  /** Frames in the order their outputs were returned. */
  finished: number[];
  /** Spawns and returned frames in the order they happened: "spawn <slot>", "frame <frame>". */
  events: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function fakeWorkers(job: GenerateJob, info: DatasetInfo, plan: FakeWorkerPlan = {}): { spawn: (slot: number) => Promise<FrameWorker>; log: FakeWorkerLog } {
  const log: FakeWorkerLog = { spawned: [], terminated: [], runs: [], finished: [], events: [] };
  const spawn = async (slot: number): Promise<FrameWorker> => {
    const id = log.spawned.length;
    log.spawned.push(slot);
    log.events.push(`spawn ${slot}`);
    let terminated = false;
    return {
      async run(frame, attempt) {
        if (terminated) throw new Error(`fake worker ${id} was asked for frame ${frame} after it was terminated`);
        const run = { worker: id, slot, frame, attempt };
        log.runs.push(run);
        plan.onRun?.(run);
        const ms = plan.delayMs?.(frame, attempt) ?? 0;
        if (ms > 0) await sleep(ms);
        else await Promise.resolve();
        const failure = plan.fail?.(run);
        if (failure !== undefined) throw failure;
        const output = await fakeFrameOutput(job, info, frame);
        log.finished.push(frame);
        log.events.push(`frame ${frame}`);
        return output;
      },
      terminate() {
        if (terminated) throw new Error(`fake worker ${id} terminated twice`);
        terminated = true;
        log.terminated.push(id);
      },
    };
  };
  return { spawn, log };
}

/** Per-frame delays of 0…maxMs milliseconds drawn from a seeded PRNG (the same for every attempt). */
export function seededDelays(seed: number, maxMs: number): (frame: number) => number {
  return (frame) => Math.floor(seededRandom(seed * 7919 + frame)() * (maxMs + 1));
}

/** A sink that passes everything through to `inner` and logs the paths written, in order. */
export function loggingSink(inner: Sink, written: string[]): Sink {
  return {
    async write(path, bytes) {
      await inner.write(path, bytes);
      written.push(path);
    },
    async create(path) {
      const stream = await inner.create(path);
      return {
        write: (chunk) => stream.write(chunk),
        async close() {
          await stream.close();
          written.push(path);
        },
        abort: () => stream.abort(),
      };
    },
    read: (path) => inner.read(path),
    list: (dir) => inner.list(dir),
    remove: (path) => inner.remove(path),
  };
}
