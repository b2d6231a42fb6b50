import { describe, expect, it } from 'vitest';
import { MemorySink } from '../dataset/memorySink.ts';
import { SinkError, sinkFailure } from '../dataset/sinks/errors.ts';
import { faultySink } from '../dataset/sinks/faulty.ts';
import { exportFrames } from '../dataset/testing.ts';
import { frameLine } from '../dataset/framesJsonl.ts';
import type { Sink } from '../dataset/types.ts';
import { writersFor } from '../dataset/writers.ts';
import { InputError } from '../errors.ts';
import {
  FAKE_LINEAGE,
  type FakeWorkerPlan,
  fakeFrameOutput,
  fakeInfo,
  fakeJob,
  fakeLabelledFrames,
  fakeWorkers,
  loggingSink,
  seededDelays,
} from '../testing/frameWorkers.ts';
import { FrameFailure, type GenerationHost, type GenerationProgress, MAX_ATTEMPTS, completeFrames, runGeneration, FrameBits } from './generate.ts';
import type { GenerateJob, GenerateJobInput } from './job.ts';
import { DATASET_STATE_PATH, MANIFEST_PATH, frameRecordPath } from './layout.ts';
import { type DatasetManifest, parseManifest } from './manifest.ts';

const FIXED_TIME = '2030-01-02T03:04:05.000Z';

interface Run {
  sink: MemorySink;
  log: ReturnType<typeof fakeWorkers>['log'];
  progress: GenerationProgress[];
}

/** runGeneration over fake workers into `sink` (a new MemorySink by default). */
async function generate(job: GenerateJob, options: { sink?: Sink; memory?: MemorySink; plan?: FakeWorkerPlan; signal?: AbortSignal; host?: Partial<GenerationHost> } = {}) {
  const memory = options.memory ?? new MemorySink();
  const info = fakeInfo(job);
  const workers = fakeWorkers(job, info, options.plan);
  const progress: GenerationProgress[] = [];
  const run: Run = { sink: memory, log: workers.log, progress };
  const promise = runGeneration(job, info, FAKE_LINEAGE, {
    sink: options.sink ?? memory,
    spawn: workers.spawn,
    onProgress: (p) => progress.push(p),
    signal: options.signal,
    isoTime: () => FIXED_TIME,
    ...options.host,
  });
  return { run, promise };
}

async function generated(job: GenerateJob, options: Parameters<typeof generate>[1] = {}) {
  const { run, promise } = await generate(job, options);
  const result = await promise;
  return { ...run, result };
}

/** Every file but manifest.json, by path. */
function filesOf(sink: MemorySink, except: readonly string[] = [MANIFEST_PATH]): Map<string, Uint8Array> {
  return new Map([...sink.files].filter(([path]) => !except.includes(path)).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function expectSameFiles(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [path, bytes] of expected) expect(Buffer.from(actual.get(path)!).equals(Buffer.from(bytes)), `${path} differs`).toBe(true);
}

const manifestOf = (sink: MemorySink): DatasetManifest => parseManifest(sink.bytes(MANIFEST_PATH), MANIFEST_PATH);

/** Frame numbers whose completion record is in the sink, ascending. */
const recordedFrames = async (sink: MemorySink) => [...(await completeFrames(sink))].sort((a, b) => a - b);

function copyOf(sink: MemorySink): MemorySink {
  const copy = new MemorySink();
  for (const [path, bytes] of sink.files) copy.files.set(path, bytes.slice());
  return copy;
}

/** Checks that every frame with a record has exactly the files and records the fake worker makes. */
async function expectFramesIntact(sink: MemorySink, job: GenerateJob, frames: readonly number[]): Promise<void> {
  const info = fakeInfo(job);
  for (const frame of frames) {
    const output = await fakeFrameOutput(job, info, frame);
    for (const file of output.files) expect(Buffer.from(sink.bytes(file.path)).equals(Buffer.from(file.bytes)), `${file.path} of frame ${frame}`).toBe(true);
    expect(JSON.parse(sink.text(frameRecordPath(frame)))).toEqual(JSON.parse(JSON.stringify({ frame, records: output.records })));
  }
}

const cleanRuns = new Map<string, Promise<MemorySink>>();
/** A clean, single-worker run of the job (cached per job). */
function cleanRun(job: GenerateJob): Promise<MemorySink> {
  const key = JSON.stringify({ ...job, workers: 1, resume: false });
  let sink = cleanRuns.get(key);
  if (!sink) {
    sink = generated({ ...job, workers: 1, resume: false }).then((r) => r.sink);
    cleanRuns.set(key, sink);
  }
  return sink;
}

describe('runGeneration: a complete run', () => {
  it('writes every frame, a record per frame, the aggregates in frame order and a complete manifest', async () => {
    const job = fakeJob({ frames: 6 });
    const info = fakeInfo(job);
    // A clock that only the sink's writes move (3 ms each), so the measured write time is exact.
    let clock = 0;
    const memory = new (class extends MemorySink {
      override async write(path: string, bytes: Uint8Array): Promise<void> {
        clock += 3;
        await super.write(path, bytes);
      }
    })();
    const { sink, result, progress, log } = await generated(job, { memory, host: { now: () => clock } });

    expect(result).toMatchObject({ status: 'complete', frames: 6, produced: 6, resumedFrom: 0, retried: 0 });
    // The workers' own stage times, plus the writing of each frame's files (and its record), measured
    // here; frame 0, the worker's first (its warm-up), is left out of the means.
    const filesPerFrame = (await fakeFrameOutput(job, info, 0)).files.length;
    expect(result.stageMs).toEqual({ sample: 1, encode: (1 + 2 + 3 + 4 + 5) / 5, write: 3 * (filesPerFrame + 1) });
    expect(log.spawned).toEqual([0]);
    expect(log.terminated).toEqual([0]);
    expect(log.runs.map((r) => [r.frame, r.attempt])).toEqual([0, 1, 2, 3, 4, 5].map((f) => [f, 0]));

    expect(await recordedFrames(sink)).toEqual([0, 1, 2, 3, 4, 5]);
    await expectFramesIntact(sink, job, [0, 1, 2, 3, 4, 5]);
    // Per-camera folders for two cameras, one image per format and frame.
    expect(sink.paths().filter((p) => p.endsWith('.png'))).toHaveLength(6 * 2 * 2);

    // frames.jsonl: one line per frame and camera, frame order then camera order.
    const lines = sink.text('frames.jsonl').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(6 * 2);
    const expectedLines = [0, 1, 2, 3, 4, 5].flatMap((f) => fakeLabelledFrames(job, info, f).map(frameLine));
    expect(lines).toEqual(expectedLines);
    expect(lines.map((l) => [JSON.parse(l).frame, JSON.parse(l).camera_index])).toEqual([0, 1, 2, 3, 4, 5].flatMap((f) => [[f, 0], [f, 1]]));

    // The aggregates are exactly what the writers make for these frames in one pass.
    const direct = new MemorySink();
    await exportFrames(writersFor(job.formats), info, [0, 1, 2, 3, 4, 5].flatMap((f) => fakeLabelledFrames(job, info, f)), direct);
    expectSameFiles(filesOf(sink, [MANIFEST_PATH, DATASET_STATE_PATH, ...[0, 1, 2, 3, 4, 5].map(frameRecordPath)]), filesOf(direct, []));
    expect(sink.paths()).toContain('coco/annotations.json');
    expect(sink.paths()).toContain('yolo/data.yaml');
    expect(sink.openStreams).toBe(0);

    const manifest = manifestOf(sink);
    expect(manifest).toMatchObject({
      seed: 7,
      frames: { total: 6, range: [0, 6] },
      resolution: [16, 12],
      cameras: info.cameras,
      classes: info.classes,
      formats: ['coco', 'yolo'],
      scene: FAKE_LINEAGE.scene,
      complete: true,
      shards: [{ index: 0, count: 1, range: [0, 6], complete_frames: 6, complete: true, finished_at: FIXED_TIME }],
    });
    expect(JSON.parse(sink.text(DATASET_STATE_PATH))).toMatchObject({ schema: 'simloop.dataset-state', seed: 7, frames: 6, formats: ['coco', 'yolo'], shard: { index: 0, count: 1 } });

    // Progress: starts at 0, counts every frame, ends with done = total in phase done.
    expect(progress[0]).toMatchObject({ done: 0, total: 6, phase: 'frames' });
    const dones = progress.filter((p) => p.phase === 'frames').map((p) => p.done);
    expect(dones).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(progress.map((p) => p.phase).slice(-2)).toEqual(['finalize', 'done']);
    // While finalizing: how many frames' records the aggregate files have taken, up to all of them.
    const finalizing = progress.filter((p) => p.phase === 'finalize');
    expect(finalizing[0]).not.toHaveProperty('aggregated');
    expect(finalizing.at(-1)).toMatchObject({ done: 6, total: 6, aggregated: 6, etaSeconds: 0 });
    expect(progress.at(-1)).toMatchObject({ done: 6, total: 6, phase: 'done', retried: 0 });
  });

  it('starts the other workers once the first frame is made, and none after a first failure', async () => {
    // A worker's start takes the cores the first frame needs: the others wait for it.
    const { log } = await generated(fakeJob({ frames: 8, workers: 3 }), { plan: { delayMs: seededDelays(5, 4) } });
    expect(log.events[0]).toBe('spawn 0');
    expect(log.events[1]).toBe('frame 0');
    expect(log.events.filter((e) => e.startsWith('spawn')).sort()).toEqual(['spawn 0', 'spawn 1', 'spawn 2']);
    const job = fakeJob({ frames: 8, workers: 3 });
    const failed = await generate(job, { plan: { fail: (r) => (r.frame === 0 ? new FrameFailure(0, 'frame 0: bad camera', false) : undefined) } });
    await expect(failed.promise).rejects.toThrow('frame 0: bad camera');
    expect(failed.run.log.spawned).toEqual([0]);
  });

  it('leaves each worker’s first frame out of the stage means, unless there is nothing else', async () => {
    // Two workers: frames 0 and 1 are their warm-ups (in either order), 2–5 the steady state.
    const two = await generated(fakeJob({ frames: 6, workers: 2 }));
    expect(two.log.spawned).toHaveLength(2);
    expect(two.result.stageMs.encode).toBe((2 + 3 + 4 + 5) / 4);
    // One frame: its warm-up is all there is.
    const one = await generated(fakeJob({ frames: 1 }));
    expect(one.result.stageMs.encode).toBe(0);
    expect(one.result.stageMs.sample).toBe(1);
  });

  it('writes each frame record after all of that frame’s files', async () => {
    const job = fakeJob({ frames: 4, workers: 2 });
    const written: string[] = [];
    const memory = new MemorySink();
    await generated(job, { memory, sink: loggingSink(memory, written) });
    const info = fakeInfo(job);
    for (let frame = 0; frame < 4; frame++) {
      const recordAt = written.indexOf(frameRecordPath(frame));
      expect(recordAt).toBeGreaterThan(-1);
      for (const file of (await fakeFrameOutput(job, info, frame)).files) {
        const at = written.indexOf(file.path);
        expect(at, file.path).toBeGreaterThan(-1);
        expect(at, file.path).toBeLessThan(recordAt);
      }
    }
    // Aggregates come after every record; the complete manifest last.
    const lastRecord = Math.max(...[0, 1, 2, 3].map((f) => written.indexOf(frameRecordPath(f))));
    expect(written.indexOf('frames.jsonl')).toBeGreaterThan(lastRecord);
    expect(written.at(-1)).toBe(MANIFEST_PATH);
  });

  it('makes byte-identical datasets with 1 and 3 workers finishing out of order', async () => {
    const job = fakeJob({ frames: 12 });
    const one = await generated({ ...job, workers: 1 }, { plan: { delayMs: seededDelays(1, 6) } });
    const three = await generated({ ...job, workers: 3 }, { plan: { delayMs: seededDelays(2, 6) } });
    expect(three.result).toMatchObject({ status: 'complete', frames: 12, produced: 12 });
    expect(three.log.spawned).toEqual([0, 1, 2]);
    expect([...three.log.terminated].sort()).toEqual([0, 1, 2]);
    // The workers really did finish out of order, and every frame was made once.
    expect(three.log.finished).not.toEqual([...three.log.finished].sort((a, b) => a - b));
    expect([...three.log.finished].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(new Set(three.log.runs.map((r) => r.worker)).size).toBe(3);
    expectSameFiles(filesOf(three.sink), filesOf(one.sink));
    expect(manifestOf(three.sink)).toEqual(manifestOf(one.sink));
    expect(three.progress.at(-1)).toMatchObject({ done: 12, total: 12, phase: 'done' });
  });

  it('uses no more workers than there are frames', async () => {
    const { log, result } = await generated(fakeJob({ frames: 2, workers: 5 }));
    expect(result.status).toBe('complete');
    expect(log.spawned).toHaveLength(2);
  });

  it('refreshes the manifest while running (every 2 s of its clock)', async () => {
    const job = fakeJob({ frames: 6 });
    let clock = 0;
    const manifests: number[] = [];
    const memory = new MemorySink();
    const spy: Sink = {
      write: async (path, bytes) => {
        await memory.write(path, bytes);
        if (path === MANIFEST_PATH) manifests.push(parseManifest(bytes, path).shards[0]!.complete_frames);
      },
      create: (path) => memory.create(path),
      read: (path) => memory.read(path),
      list: (dir) => memory.list(dir),
      remove: (path) => memory.remove(path),
    };
    await generated(job, { memory, sink: spy, host: { now: () => (clock += 1500) } });
    expect(manifests[0]).toBe(0);
    expect(manifests.at(-1)).toBe(6);
    expect(manifests.length).toBeGreaterThan(3);
    expect(manifests).toEqual([...manifests].sort((a, b) => a - b));
    expect(manifestOf(memory).complete).toBe(true);
  });
});

describe('runGeneration: worker failures', () => {
  it('redoes a frame whose worker crashed on a new worker, with the same result', async () => {
    const job = fakeJob({ frames: 6 });
    let crashed = false;
    const { sink, result, log, progress } = await generated(job, {
      plan: {
        fail: (run) => {
          if (run.frame !== 3 || crashed) return undefined;
          crashed = true;
          return new FrameFailure(3, 'boom', true);
        },
      },
    });
    expect(result).toMatchObject({ status: 'complete', frames: 6, produced: 6, retried: 1 });
    expect(log.spawned).toEqual([0, 0]); // the slot's worker, then its replacement
    expect(log.terminated).toEqual([0, 1]); // the crashed one at once, the new one at the end
    const runsOf3 = log.runs.filter((r) => r.frame === 3);
    expect(runsOf3).toEqual([
      { worker: 0, slot: 0, frame: 3, attempt: 0 },
      { worker: 1, slot: 0, frame: 3, attempt: 1 },
    ]);
    expect(log.runs.filter((r) => r.worker === 0).every((r) => r.frame <= 3)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', done: 6, retried: 1 });
    expectSameFiles(filesOf(sink), filesOf(await cleanRun(job)));
  });

  it('redoes a crashed frame with several workers too', async () => {
    const job = fakeJob({ frames: 9, workers: 3 });
    let crashed = false;
    const { sink, result, log } = await generated(job, {
      plan: {
        delayMs: seededDelays(5, 4),
        fail: (run) => (run.frame === 3 && !crashed ? ((crashed = true), new FrameFailure(3, 'boom', true)) : undefined),
      },
    });
    expect(result).toMatchObject({ status: 'complete', retried: 1, produced: 9 });
    expect(log.spawned).toHaveLength(4);
    expect([...log.terminated].sort()).toEqual([0, 1, 2, 3]);
    const crashedOn = log.runs.find((r) => r.frame === 3 && r.attempt === 0)!;
    const redoneOn = log.runs.find((r) => r.frame === 3 && r.attempt === 1)!;
    expect(redoneOn.worker).toBe(3);
    expect(redoneOn.slot).toBe(crashedOn.slot);
    expectSameFiles(filesOf(sink), filesOf(await cleanRun(job)));
  });

  it(`fails the job when a frame crashes ${MAX_ATTEMPTS} times, naming the frame and the attempts`, async () => {
    const job = fakeJob({ frames: 6 });
    const { run, promise } = await generate(job, { plan: { fail: (r) => (r.frame === 3 ? new FrameFailure(3, 'worker lost its GPU context', true) : undefined) } });
    await expect(promise).rejects.toThrow(`frame 3 failed ${MAX_ATTEMPTS} times: worker lost its GPU context`);
    const { sink, log } = run;
    expect(log.runs.filter((r) => r.frame === 3).map((r) => r.attempt)).toEqual([0, 1, 2]);
    expect(log.spawned).toHaveLength(MAX_ATTEMPTS);
    expect([...log.terminated].sort()).toEqual([0, 1, 2]);
    expect(await recordedFrames(sink)).toEqual([0, 1, 2]);
    await expectFramesIntact(sink, job, [0, 1, 2]);
    expect(sink.files.has('frames.jsonl')).toBe(false);
    expect(manifestOf(sink)).toMatchObject({ complete: false, shards: [{ complete: false, complete_frames: 3, finished_at: null }] });
    expect(run.progress.at(-1)).toMatchObject({ phase: 'frames', done: 3 });
  });

  it('stops at once on a non-retryable failure, keeping the frames already written', async () => {
    const job = fakeJob({ frames: 8 });
    const message = 'frame 4: camera /World/Cams/Left is inside /World/Table; move the camera or narrow its randomization';
    const { run, promise } = await generate(job, { plan: { fail: (r) => (r.frame === 4 ? new FrameFailure(4, message, false) : undefined) } });
    await expect(promise).rejects.toThrow(message);
    const { sink, log } = run;
    expect(log.runs.filter((r) => r.frame === 4)).toHaveLength(1); // not retried
    expect(log.runs.some((r) => r.frame > 4)).toBe(false);
    expect(log.spawned).toHaveLength(1);
    expect(log.terminated).toEqual([0]);
    expect(await recordedFrames(sink)).toEqual([0, 1, 2, 3]);
    await expectFramesIntact(sink, job, [0, 1, 2, 3]);
    expect(sink.paths().some((p) => p.includes('000004') || p.includes('000005'))).toBe(false);
    expect(sink.files.has('frames.jsonl')).toBe(false);
    expect(sink.files.has('coco/annotations.json')).toBe(false);
    expect(manifestOf(sink)).toMatchObject({ complete: false, shards: [{ complete: false, complete_frames: 4 }] });
  });

  it('writes nothing more once another worker failed, not even a frame already made', async () => {
    // The second worker starts after the first frame; then one worker fails frame 1 while the other makes frame 2.
    const job = fakeJob({ frames: 3, workers: 2 });
    const { run, promise } = await generate(job, {
      plan: { delayMs: (frame) => (frame === 2 ? 40 : frame === 1 ? 10 : 0), fail: (r) => (r.frame === 1 ? new FrameFailure(1, 'frame 1: bad camera', false) : undefined) },
    });
    await expect(promise).rejects.toThrow('frame 1: bad camera');
    expect(run.log.finished).toEqual([0, 2]); // frame 2 was made after the failure…
    expect(await recordedFrames(run.sink)).toEqual([0]); // …and dropped
    expect(run.sink.paths().some((p) => p.includes('000002'))).toBe(false);
    expect(run.log.spawned).toHaveLength(2);
    expect([...run.log.terminated].sort()).toEqual([0, 1]);
  });

  it('reports an InputError from a worker with its own message, not retrying it', async () => {
    const job = fakeJob({ frames: 4, workers: 2 });
    const { run, promise } = await generate(job, { plan: { fail: (r) => (r.frame === 2 ? new InputError('scenes/fake.usda', '/World/Cube: bad extent') : undefined) } });
    await expect(promise).rejects.toThrow('scenes/fake.usda: /World/Cube: bad extent');
    expect(run.log.runs.filter((r) => r.frame === 2)).toHaveLength(1);
    expect(manifestOf(run.sink).complete).toBe(false);
    await expectFramesIntact(run.sink, job, await recordedFrames(run.sink));
  });

  it('fails when a worker cannot be spawned', async () => {
    const job = fakeJob({ frames: 3 });
    const sink = new MemorySink();
    await expect(
      runGeneration(job, fakeInfo(job), FAKE_LINEAGE, { sink, spawn: () => Promise.reject(new Error('WebGL2 is not available')) }),
    ).rejects.toThrow('WebGL2 is not available');
    expect(manifestOf(sink).complete).toBe(false);
  });
});

describe('runGeneration: sink failures and resume', () => {
  it('stops on a full disk with the SinkError, keeps whole frames, and resumes to the same bytes', async () => {
    const job = fakeJob({ frames: 10, workers: 2 });
    const clean = await cleanRun(job);
    const frameBytes = [...clean.files].filter(([p]) => p !== MANIFEST_PATH && p !== DATASET_STATE_PATH).reduce((n, [, b]) => n + b.byteLength, 0);
    const inner = new MemorySink();
    const full = faultySink(inner, { failAfterBytes: Math.floor(frameBytes / 2), error: 'no-space' });
    const { promise } = await generate(job, { memory: inner, sink: full, plan: { delayMs: seededDelays(3, 3) } });
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).kind).toBe('no-space');
    expect((error as SinkError).message).toMatch(/^cannot write .*: no space left on the device \(ENOSPC\)$/);

    const complete = await recordedFrames(inner);
    expect(complete.length).toBeGreaterThan(0);
    expect(complete.length).toBeLessThan(10);
    await expectFramesIntact(inner, job, complete);
    expect(inner.files.has('frames.jsonl')).toBe(false);
    // The manifest could not be rewritten on a full disk: the one from the start says incomplete.
    expect(manifestOf(inner)).toMatchObject({ complete: false, shards: [{ complete: false }] });

    // Space freed: resume over the same stored files.
    const resumedSink = copyOf(inner);
    const resumed = await generated({ ...job, resume: true }, { memory: resumedSink, plan: { delayMs: seededDelays(4, 3) } });
    expect(resumed.result).toMatchObject({ status: 'complete', resumedFrom: complete.length, produced: 10 - complete.length, frames: 10 });
    expect(resumed.log.runs.map((r) => r.frame).some((f) => complete.includes(f))).toBe(false);
    expect(resumed.progress[0]).toMatchObject({ done: complete.length, total: 10 });
    expect(resumed.progress.at(-1)).toMatchObject({ done: 10, phase: 'done' });
    expectSameFiles(filesOf(resumedSink), filesOf(clean));
    expect(manifestOf(resumedSink)).toMatchObject({ complete: true, shards: [{ complete_frames: 10, complete: true }] });
  });

  it('resumes a failed run over the same inner sink once the fault is gone', async () => {
    const job = fakeJob({ frames: 6 });
    const inner = new MemorySink();
    const { promise } = await generate(job, { memory: inner, sink: faultySink(inner, { failAfterWrites: 9, error: 'no-space' }) });
    await expect(promise).rejects.toMatchObject({ name: 'SinkError', kind: 'no-space' });
    const before = await recordedFrames(inner);
    const resumed = await generated({ ...job, resume: true }, { memory: inner });
    expect(resumed.result).toMatchObject({ status: 'complete', resumedFrom: before.length });
    expectSameFiles(filesOf(inner), filesOf(await cleanRun(job)));
  });

  it('a failure while finalizing leaves a manifest counting every frame, not complete; resume finishes it', async () => {
    const job = fakeJob({ frames: 5, workers: 2 });
    const inner = new MemorySink();
    const sink: Sink = {
      write: (path, bytes) => inner.write(path, bytes),
      create: async (path) => {
        if (path === 'coco/annotations.json') throw sinkFailure('no-space', 'write', path);
        return inner.create(path);
      },
      read: (path) => inner.read(path),
      list: (dir) => inner.list(dir),
      remove: (path) => inner.remove(path),
    };
    const { run, promise } = await generate(job, { memory: inner, sink });
    await expect(promise).rejects.toMatchObject({ name: 'SinkError', kind: 'no-space', message: 'cannot write coco/annotations.json: no space left on the device' });
    expect(run.progress.at(-1)).toMatchObject({ phase: 'finalize', done: 5 });
    expect(await recordedFrames(inner)).toEqual([0, 1, 2, 3, 4]);
    expect(inner.files.has('coco/annotations.json')).toBe(false);
    expect(inner.openStreams).toBe(0);
    expect(manifestOf(inner)).toMatchObject({ complete: false, shards: [{ complete: false, complete_frames: 5, finished_at: null }] });

    const resumed = await generated({ ...job, resume: true }, { memory: inner });
    expect(resumed.result).toMatchObject({ status: 'complete', resumedFrom: 5, produced: 0 });
    expect(resumed.log.spawned).toEqual([]);
    expectSameFiles(filesOf(inner), filesOf(await cleanRun(job)));
    expect(manifestOf(inner)).toMatchObject({ complete: true, shards: [{ complete: true, complete_frames: 5, finished_at: FIXED_TIME }] });
  });

  it('fails at once when the destination is read-only', async () => {
    const job = fakeJob({ frames: 3 });
    const inner = new MemorySink();
    const { run, promise } = await generate(job, { memory: inner, sink: faultySink(inner, { error: 'read-only' }) });
    await expect(promise).rejects.toMatchObject({ kind: 'read-only', message: expect.stringContaining(DATASET_STATE_PATH) });
    expect(run.log.spawned).toEqual([]);
    expect(inner.paths()).toEqual([]);
  });

  it('refuses to write into a destination holding a dataset without resume', async () => {
    const job = fakeJob({ frames: 3 });
    const sink = copyOf(await cleanRun(job));
    const before = filesOf(sink, []);
    const { run, promise } = await generate(job, { memory: sink });
    await expect(promise).rejects.toThrow(/already holds a dataset \(\.simloop\/dataset\.json\); pass --resume/);
    expect(run.log.spawned).toEqual([]);
    expectSameFiles(filesOf(sink, []), before);
  });

  it.each<[string, Partial<GenerateJobInput>]>([
    ['seed', { seed: 8 }],
    ['frames', { frames: 4 }],
    ['width', { width: 20 }],
    ['formats', { formats: ['coco'] }],
    ['shadows', { shadows: false }],
    ['shard', { shard: { index: 1, count: 2 } }],
  ])('refuses to resume a dataset made with a different %s', async (field, change) => {
    const job = fakeJob({ frames: 3 });
    const sink = copyOf(await cleanRun(job));
    const before = filesOf(sink, []);
    const { run, promise } = await generate(fakeJob({ frames: 3, ...change, resume: true }), { memory: sink });
    await expect(promise).rejects.toThrow(`cannot resume: the dataset in the destination was made with a different ${field}`);
    expect(run.log.spawned).toEqual([]);
    expectSameFiles(filesOf(sink, []), before);
  });

  it('resuming a complete dataset makes nothing and leaves the same bytes', async () => {
    const job = fakeJob({ frames: 4 });
    const sink = copyOf(await cleanRun(job));
    const { result, log } = await generated({ ...job, resume: true, workers: 3 }, { memory: sink });
    expect(result).toMatchObject({ status: 'complete', frames: 4, produced: 0, resumedFrom: 4 });
    expect(log.spawned).toEqual([]);
    expectSameFiles(filesOf(sink), filesOf(await cleanRun(job)));
    expect(manifestOf(sink).complete).toBe(true);
  });

  it('resume into an empty destination starts a new dataset', async () => {
    const job = fakeJob({ frames: 3, resume: true });
    const { sink, result } = await generated(job);
    expect(result).toMatchObject({ status: 'complete', resumedFrom: 0, produced: 3 });
    expectSameFiles(filesOf(sink), filesOf(await cleanRun(job)));
  });
});

describe('runGeneration: cancel', () => {
  it('stops when aborted, finalizes nothing, and a resume completes the dataset', async () => {
    const job = fakeJob({ frames: 10, workers: 2 });
    const controller = new AbortController();
    const { run, promise } = await generate(job, {
      signal: controller.signal,
      plan: { delayMs: seededDelays(6, 3), onRun: (r) => r.frame === 5 && controller.abort() },
    });
    const result = await promise;
    expect(result.status).toBe('cancelled');
    const { sink, log } = run;
    const complete = await recordedFrames(sink);
    expect(result.frames).toBe(complete.length);
    expect(result.produced).toBe(complete.length);
    expect(complete.length).toBeLessThan(10);
    expect(log.runs.some((r) => r.frame > 5)).toBe(false); // nothing was handed out after the abort
    // The frames in flight when it was cancelled (5 among them) are finished and kept.
    expect(complete).toEqual(log.runs.map((r) => r.frame).sort((a, b) => a - b));
    expect(complete).toContain(5);
    expect([...log.terminated].sort()).toEqual(log.spawned.map((_, id) => id));
    await expectFramesIntact(sink, job, complete);
    for (const aggregate of ['frames.jsonl', 'coco/annotations.json', 'yolo/data.yaml']) expect(sink.files.has(aggregate), aggregate).toBe(false);
    expect(manifestOf(sink)).toMatchObject({ complete: false, shards: [{ complete: false, complete_frames: complete.length, finished_at: null }] });
    expect(run.progress.some((p) => p.phase !== 'frames')).toBe(false);

    const resumed = await generated({ ...job, resume: true }, { memory: sink });
    expect(resumed.result).toMatchObject({ status: 'complete', resumedFrom: complete.length, produced: 10 - complete.length });
    expectSameFiles(filesOf(sink), filesOf(await cleanRun(job)));
    expect(manifestOf(sink).complete).toBe(true);
  });

  it('an already-aborted signal makes no frame and spawns no worker', async () => {
    const job = fakeJob({ frames: 3 });
    const controller = new AbortController();
    controller.abort();
    const { result, log, sink } = await generated(job, { signal: controller.signal });
    expect(result).toMatchObject({ status: 'cancelled', frames: 0, produced: 0 });
    expect(log.spawned).toEqual([]);
    expect(manifestOf(sink).complete).toBe(false);
    expect(sink.paths()).toEqual([DATASET_STATE_PATH, MANIFEST_PATH]);
  });
});

describe('runGeneration: shards', () => {
  it('shards 0/2 and 1/2 cover disjoint ranges whose union is the whole dataset', async () => {
    const job = fakeJob({ frames: 7, workers: 2 });
    const whole = await cleanRun(job);
    const a = await generated({ ...job, shard: { index: 0, count: 2 } });
    const b = await generated({ ...job, shard: { index: 1, count: 2 } });
    expect(a.result).toMatchObject({ status: 'complete', frames: 3 });
    expect(b.result).toMatchObject({ status: 'complete', frames: 4 });
    expect(await recordedFrames(a.sink)).toEqual([0, 1, 2]);
    expect(await recordedFrames(b.sink)).toEqual([3, 4, 5, 6]);
    expect(a.log.runs.map((r) => r.frame).sort()).toEqual([0, 1, 2]);
    expect(b.log.runs.map((r) => r.frame).sort()).toEqual([3, 4, 5, 6]);
    expect(manifestOf(a.sink)).toMatchObject({ complete: true, frames: { total: 7, range: [0, 3] }, shards: [{ index: 0, count: 2, range: [0, 3], complete_frames: 3, complete: true }] });
    expect(manifestOf(b.sink)).toMatchObject({ complete: true, frames: { total: 7, range: [3, 7] }, shards: [{ index: 1, count: 2, range: [3, 7], complete_frames: 4, complete: true }] });
    expect(b.progress.at(-1)).toMatchObject({ done: 4, total: 4 });

    // Per-frame files (everything but the aggregates and bookkeeping) are disjoint and add up to the whole run's.
    const aggregates = [MANIFEST_PATH, DATASET_STATE_PATH, 'frames.jsonl', 'coco/annotations.json', 'yolo/data.yaml'];
    const perFrameA = filesOf(a.sink, aggregates);
    const perFrameB = filesOf(b.sink, aggregates);
    expect([...perFrameA.keys()].filter((p) => perFrameB.has(p))).toEqual([]);
    expectSameFiles(new Map([...perFrameA, ...perFrameB].sort(([x], [y]) => (x < y ? -1 : 1))), filesOf(whole, aggregates));

    // Each shard's frames.jsonl holds its own frames, in order: together, the whole file.
    const framesOf = (s: MemorySink) => s.text('frames.jsonl').trimEnd().split('\n').map((l) => JSON.parse(l).frame as number);
    expect(framesOf(a.sink)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(framesOf(b.sink)).toEqual([3, 3, 4, 4, 5, 5, 6, 6]);
    expect(a.sink.text('frames.jsonl') + b.sink.text('frames.jsonl')).toBe(whole.text('frames.jsonl'));
  });
});

describe('FrameBits', () => {
  it('keeps which frames of a shard are complete, one bit each, counting each frame once', () => {
    const bits = new FrameBits(10, 27);
    expect(bits.size).toBe(0);
    for (const f of [10, 17, 18, 26, 17]) bits.add(f);
    expect(bits.size).toBe(4);
    expect([...Array(30).keys()].filter((f) => bits.has(f))).toEqual([10, 17, 18, 26]);
    expect(() => bits.add(27)).toThrow(/outside \[10, 27\)/);
    expect(() => bits.add(9)).toThrow(RangeError);
    expect(new FrameBits(5, 5).size).toBe(0);
  });
});
