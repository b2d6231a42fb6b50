/**
 * Runs a generation job over a pool of frame workers and a sink: hands out frames, writes each
 * frame's files and then its completion record, redoes frames whose worker crashed, keeps the
 * manifest saying what is complete, and finally builds the aggregate files (frames.jsonl, COCO's
 * annotations.json, …) from the records in frame order. DOM-free: the studio runs it on the page
 * with browser workers and an OPFS or directory sink; the CLI runs it in headless Chromium with an
 * HTTP sink into Node's file system. What a frame contains is decided by the workers
 * (framePipeline.ts); this module only schedules and records.
 */
import type { DatasetInfo, OutputFile, Sink } from '../dataset/types.ts';
import { writeFiles } from '../dataset/sinks/writeFiles.ts';
import { type FinalizeProgress, finalizeFormats, type FrameRecord } from './finalize.ts';
import { type GenerateJob, shardRange } from './job.ts';
import { DATASET_STATE_PATH, FRAME_RECORDS_DIR, MANIFEST_PATH, frameOfRecordName, frameRecordPath } from './layout.ts';
import { type DatasetManifest, MANIFEST_SCHEMA_ID, MANIFEST_VERSION, encodeManifest } from './manifest.ts';
import { DATASET_STATE_SCHEMA_ID, DATASET_STATE_VERSION, type DatasetState, encodeDatasetState, parseDatasetState } from './state.ts';

/** What a worker returns for one frame (all cameras). Buffers are transferred, not copied. */
export interface FrameOutput {
  frame: number;
  files: OutputFile[];
  records: FrameRecord[];
  /** Milliseconds per stage of the frame (sample, physics, render, readback, labels, encode). */
  ms: Record<string, number>;
}

export interface FrameWorker {
  run(frame: number, attempt: number): Promise<FrameOutput>;
  terminate(): void;
}

/**
 * A frame that could not be produced. `retryable` failures (a worker that died) are redone on a
 * fresh worker; the others (bad input such as a camera inside an object) stop the job.
 */
export class FrameFailure extends Error {
  override readonly name = 'FrameFailure';
  constructor(
    readonly frame: number,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface Lineage {
  simloopVersion: string;
  scene: { file: string; sha256: string };
  randomization: { file: string; sha256: string } | null;
  annotators: readonly string[];
}

export interface GenerationProgress {
  /** Frames of this shard complete (including ones found complete on resume). */
  done: number;
  total: number;
  /** Frames made by this run per second, over the recent window. */
  framesPerSecond: number;
  etaSeconds: number | null;
  phase: 'frames' | 'finalize' | 'done';
  /**
   * While finalizing: the frames whose records every aggregate file has taken so far (of `total`
   * frames; `etaSeconds` is then the time left to finish them).
   */
  aggregated?: number;
  /** Frames redone after a worker crash, so far. */
  retried: number;
  /** The page's latest memory measurement, when the run asked for them (src/pages/memorySampler.ts). */
  memory?: PageMemory;
}

/** JavaScript and DOM memory of a page and its dedicated workers, in bytes, as the browser measured it. */
export interface PageMemory {
  page: number;
  workers: number;
  /** Dedicated workers measured. */
  workerCount: number;
}

export interface GenerationResult {
  status: 'complete' | 'cancelled';
  frames: number;
  produced: number;
  resumedFrom: number;
  retried: number;
  seconds: number;
  /**
   * Mean milliseconds per stage over the frames this run produced, leaving out each worker's first
   * frame (shader compiles and uploads: warm-up, not the steady rate) when there are others.
   */
  stageMs: Record<string, number>;
  /**
   * Start-up, in milliseconds from the start of the run: `workers` when the first frame worker was
   * ready (modules, physics, scene), `first_frame` when the first frame was written; the browser's
   * runner adds `scene_import` (planning the job on the page, counted in the others); `stages`: the
   * first frame's own time per stage (shader compiles and first runs of the code included). Absent
   * when no frame was made.
   */
  startupMs?: { scene_import?: number; workers: number; first_frame: number; stages: Record<string, number> };
}

export interface GenerationHost {
  sink: Sink;
  /** A new worker for pool slot `slot` (called again after a crash). */
  spawn(slot: number): Promise<FrameWorker>;
  onProgress?(progress: GenerationProgress): void;
  signal?: AbortSignal;
  /** Wall clock: milliseconds (performance.now-like) and ISO time for the manifest. */
  now?(): number;
  isoTime?(): string;
}

/** Everything that must match for a resume (or a merge) to continue the same dataset. */
export type { DatasetState } from './state.ts';

export const MAX_ATTEMPTS = 3;

export function datasetState(job: GenerateJob, info: DatasetInfo, lineage: Lineage): DatasetState {
  return {
    schema: DATASET_STATE_SCHEMA_ID,
    version: DATASET_STATE_VERSION,
    scene_sha256: lineage.scene.sha256,
    randomization_sha256: lineage.randomization?.sha256 ?? null,
    seed: job.seed,
    frames: job.frames,
    width: job.width,
    height: job.height,
    formats: [...job.formats],
    shadows: job.shadows,
    quality: job.quality,
    shard: { ...job.shard },
    info,
  };
}

/** The first field where two states differ, or null when they describe the same dataset. */
export function stateMismatch(a: DatasetState, b: DatasetState, ignoreShard = false): string | null {
  const keys: (keyof DatasetState)[] = ['scene_sha256', 'randomization_sha256', 'seed', 'frames', 'width', 'height', 'formats', 'shadows', 'quality', 'info'];
  if (!ignoreShard) keys.push('shard');
  for (const key of keys) if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return key;
  return null;
}

const encodeJson = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value)}\n`);

export function buildManifest(state: DatasetState, lineage: Lineage, shards: DatasetManifest['shards'], range: [number, number]): DatasetManifest {
  return {
    schema: MANIFEST_SCHEMA_ID,
    version: MANIFEST_VERSION,
    simloop_version: lineage.simloopVersion,
    scene: lineage.scene,
    randomization: lineage.randomization,
    seed: state.seed,
    frames: { total: state.frames, range },
    resolution: [state.width, state.height],
    cameras: state.info.cameras,
    classes: state.info.classes,
    annotators: [...lineage.annotators],
    formats: state.formats,
    shards,
    complete: shards.every((s) => s.complete),
  };
}

/** Frames whose completion record exists in the sink. */
export async function completeFrames(sink: Sink): Promise<Set<number>> {
  const names = await sink.list(FRAME_RECORDS_DIR);
  const out = new Set<number>();
  for (const name of names) {
    const frame = frameOfRecordName(name);
    if (frame !== null) out.add(frame);
  }
  return out;
}

async function prepareDestination(sink: Sink, job: GenerateJob, state: DatasetState): Promise<void> {
  const existing = await sink.read(DATASET_STATE_PATH);
  if (existing) {
    if (!job.resume) throw new Error(`the destination already holds a dataset (${DATASET_STATE_PATH}); pass --resume to continue it or choose an empty directory`);
    const previous = parseDatasetState(existing, DATASET_STATE_PATH);
    const field = stateMismatch(previous, state);
    if (field) throw new Error(`cannot resume: the dataset in the destination was made with a different ${field}`);
  } else {
    await sink.write(DATASET_STATE_PATH, encodeDatasetState(state));
  }
}

/** Which frames of [start, end) are complete, one bit each. */
export class FrameBits {
  private readonly bits: Uint8Array;
  size = 0;

  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.bits = new Uint8Array(Math.ceil(Math.max(0, end - start) / 8));
  }

  has(frame: number): boolean {
    const i = frame - this.start;
    return i >= 0 && frame < this.end && (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  add(frame: number): void {
    if (frame < this.start || frame >= this.end) throw new RangeError(`frame ${frame} is outside [${this.start}, ${this.end})`);
    if (this.has(frame)) return;
    const i = frame - this.start;
    this.bits[i >> 3]! |= 1 << (i & 7);
    this.size++;
  }
}

export async function runGeneration(job: GenerateJob, info: DatasetInfo, lineage: Lineage, host: GenerationHost): Promise<GenerationResult> {
  const { sink } = host;
  const now = host.now ?? (() => performance.now());
  const isoTime = host.isoTime ?? (() => new Date().toISOString());
  const started = now();
  const { start, end } = shardRange(job.frames, job.shard);
  const total = end - start;
  const state = datasetState(job, info, lineage);
  await prepareDestination(sink, job, state);

  const done = new FrameBits(start, end);
  for (const f of await completeFrames(sink)) if (f >= start && f < end) done.add(f);
  const resumedFrom = done.size;
  // Frames to make: the next one not done in order, after the ones a crashed worker left (no
  // object per frame, so a run of millions of frames keeps a flat heap).
  const retries: { frame: number; attempt: number }[] = [];
  let cursor = start;
  const nextFrame = (): { frame: number; attempt: number } | undefined => {
    const retry = retries.shift();
    if (retry) return retry;
    while (cursor < end && done.has(cursor)) cursor++;
    return cursor < end ? { frame: cursor++, attempt: 0 } : undefined;
  };

  const shardStatus = (finished: boolean): DatasetManifest['shards'][number] => ({
    index: job.shard.index,
    count: job.shard.count,
    range: [start, end],
    complete_frames: done.size,
    complete: finished,
    finished_at: finished ? isoTime() : null,
  });
  let manifestWrite: Promise<void> = Promise.resolve();
  let lastManifest = now();
  const writeManifest = (finished: boolean) => {
    const bytes = encodeManifest(buildManifest(state, lineage, [shardStatus(finished)], [start, end]));
    manifestWrite = manifestWrite.then(() => sink.write(MANIFEST_PATH, bytes));
    return manifestWrite;
  };
  await writeManifest(false);

  let produced = 0;
  let retried = 0;
  let workersReady: number | undefined;
  let firstFrame: number | undefined;
  let firstStages: Record<string, number> = {};
  let failure: unknown = null;
  const stageTotals: Record<string, number> = {};
  /** The same for each worker's first frame, kept apart (see GenerationResult.stageMs). */
  const warmupTotals: Record<string, number> = {};
  let warmups = 0;
  const recent: number[] = [];
  /** Frames made per second over the recent window (over the whole run until there is one). */
  const rate = () => {
    const window = recent.length >= 2 ? (recent[recent.length - 1]! - recent[0]!) / 1000 : 0;
    return window > 0 ? (recent.length - 1) / window : produced > 0 ? produced / Math.max((now() - started) / 1000, 1e-3) : 0;
  };
  const report = (phase: GenerationProgress['phase']) => {
    if (!host.onProgress) return;
    const fps = rate();
    const remaining = total - done.size;
    host.onProgress({ done: done.size, total, framesPerSecond: fps, etaSeconds: fps > 0 ? remaining / fps : null, phase, retried });
  };
  report('frames');

  const stopped = () => failure !== null || host.signal?.aborted === true;

  async function writeFrame(output: FrameOutput): Promise<void> {
    const t = now();
    // The record goes last, with the batch (one round trip to a remote sink): its presence is what
    // says the frame is complete, so it is written only once every other file of the frame is.
    await writeFiles(sink, output.files, { commit: { path: frameRecordPath(output.frame), bytes: encodeJson({ frame: output.frame, records: output.records }) } });
    // Wall time of the frame's writes, which overlap the worker's next frame.
    output.ms = { ...output.ms, write: now() - t };
  }

  function recordDone(output: FrameOutput, warmup: boolean): void {
    done.add(output.frame);
    produced++;
    if (firstFrame === undefined) {
      firstFrame = now() - started;
      firstStages = output.ms;
    }
    const totals = warmup ? warmupTotals : stageTotals;
    if (warmup) warmups++;
    for (const [stage, ms] of Object.entries(output.ms)) totals[stage] = (totals[stage] ?? 0) + ms;
    recent.push(now());
    if (recent.length > 32) recent.shift();
    report('frames');
  }

  // Slots after the first start their workers once a first frame is made (or the first slot has
  // stopped): a worker's start (its modules, Rapier's WebAssembly, its shader programs) takes the
  // same cores the first frame needs, so starting all at once only delays the first frame.
  let firstMade!: () => void;
  const firstFrameMade = new Promise<void>((resolve) => (firstMade = resolve));

  async function slotLoop(slot: number): Promise<void> {
    let worker: FrameWorker | null = null;
    if (slot > 0) await firstFrameMade;
    // Each slot writes frame k while its worker already makes frame k + 1 (one write in flight).
    let writing: Promise<void> = Promise.resolve();
    try {
      while (!stopped()) {
        const next = nextFrame();
        if (!next) break;
        let warmup = false;
        if (!worker) {
          worker = await host.spawn(slot);
          workersReady ??= now() - started;
          warmup = true;
        }
        let output: FrameOutput;
        try {
          output = await worker.run(next.frame, next.attempt);
          firstMade();
        } catch (error) {
          const retryable = error instanceof FrameFailure ? error.retryable : false;
          if (retryable && next.attempt + 1 < MAX_ATTEMPTS) {
            // The worker died with this frame: drop it, redo the frame first on a fresh one.
            worker.terminate();
            worker = null;
            retried++;
            retries.unshift({ frame: next.frame, attempt: next.attempt + 1 });
            continue;
          }
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(retryable ? `frame ${next.frame} failed ${MAX_ATTEMPTS} times: ${message}` : message);
        }
        await writing;
        // After a failure nothing more is written; a cancel still keeps the frame it had in flight.
        if (failure !== null) break;
        writing = writeFrame(output).then(async () => {
          recordDone(output, warmup);
          if (now() - lastManifest > 2000) {
            lastManifest = now();
            await writeManifest(false);
          }
        });
        writing.catch((error) => (failure ??= error));
      }
      await writing;
    } catch (error) {
      failure ??= error;
    } finally {
      if (slot === 0) firstMade();
      await writing.catch(() => {});
      worker?.terminate();
    }
  }

  const stageMeans = () => (produced > warmups ? meanStages(stageTotals, produced - warmups) : meanStages(warmupTotals, warmups));
  const startupMs = () => (workersReady !== undefined && firstFrame !== undefined ? { startupMs: { workers: workersReady, first_frame: firstFrame, stages: firstStages } } : {});

  const toMake = total - done.size;
  const slots = Math.max(1, Math.min(job.workers, toMake));
  await Promise.all(Array.from({ length: toMake ? slots : 0 }, (_, slot) => slotLoop(slot)));

  if (failure !== null || host.signal?.aborted) {
    // Say what is complete; the frames already written stay. Writing may itself fail (disk full).
    await writeManifest(false).catch(() => {});
    if (failure !== null) throw failure;
    return { status: 'cancelled', frames: done.size, produced, resumedFrom, retried, seconds: (now() - started) / 1000, stageMs: stageMeans(), ...startupMs() };
  }

  report('finalize');
  const finalizeStarted = now();
  const reportAggregated = (p: FinalizeProgress) => {
    if (!host.onProgress) return;
    const seconds = (now() - finalizeStarted) / 1000;
    const etaSeconds = p.frames > 0 && seconds > 0 ? ((p.total - p.frames) * seconds) / p.frames : null;
    host.onProgress({ done: done.size, total, framesPerSecond: rate(), etaSeconds, phase: 'finalize', aggregated: p.frames, retried });
  };
  try {
    await finalizeFormats(sink, state.info, ['frames', ...job.formats], start, end, reportAggregated);
  } catch (error) {
    // Every frame is complete but the aggregate files are not: say so, as on any other stop.
    await writeManifest(false).catch(() => {});
    throw error;
  }
  await writeManifest(true);
  report('done');
  return { status: 'complete', frames: done.size, produced, resumedFrom, retried, seconds: (now() - started) / 1000, stageMs: stageMeans(), ...startupMs() };
}

function meanStages(totals: Record<string, number>, count: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [stage, ms] of Object.entries(totals)) out[stage] = count ? ms / count : 0;
  return out;
}
