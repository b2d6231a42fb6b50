import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinkFailure } from '../engine/dataset/sinks/errors.ts';
import type { Sink } from '../engine/dataset/types.ts';
import { InputError } from '../engine/errors.ts';
import { type GenerationResult, runGeneration } from '../engine/jobs/generate.ts';
import type { GenerateJob } from '../engine/jobs/job.ts';
import { DATASET_STATE_PATH, MANIFEST_PATH, frameRecordPath } from '../engine/jobs/layout.ts';
import { parseManifest } from '../engine/jobs/manifest.ts';
import { FAKE_LINEAGE, type FakeWorkerPlan, fakeInfo, fakeJob, fakeWorkers, seededDelays } from '../engine/testing/frameWorkers.ts';
import { mergeShards } from './merge.ts';
import { fsSink } from './sinks/fsSink.ts';

const FINISHED = '2030-01-02T03:04:05.000Z';

let root: string;
let serial = 0;
/** A new (not yet created) directory under the test's temp root. */
const freshDir = (name: string) => join(root, `${name}-${++serial}`);

async function generateInto(dir: string, job: GenerateJob, options: { plan?: FakeWorkerPlan; signal?: AbortSignal } = {}): Promise<GenerationResult> {
  const info = fakeInfo(job);
  const { spawn } = fakeWorkers(job, info, options.plan);
  return runGeneration(job, info, FAKE_LINEAGE, { sink: fsSink(dir), spawn, signal: options.signal, isoTime: () => FINISHED });
}

/** Every file under `dir` by forward-slash relative path, sorted. */
async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.set(relative(dir, path).split(sep).join('/'), await readFile(path));
    }
  };
  await walk(dir);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function expectSameTree(actual: Map<string, Buffer>, expected: Map<string, Buffer>, except: readonly string[] = []): void {
  const keep = (m: Map<string, Buffer>) => [...m.keys()].filter((p) => !except.includes(p));
  expect(keep(actual)).toEqual(keep(expected));
  for (const path of keep(expected)) expect(actual.get(path)!.equals(expected.get(path)!), `${path} differs`).toBe(true);
}

/** The InputError `promise` rejects with (fails the test if it resolves or throws something else). */
async function inputErrorOf(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

const job = fakeJob({ frames: 7, workers: 2 });
let shardA: string;
let shardB: string;
let whole: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'simloop-merge-'));
  shardA = freshDir('shard0');
  shardB = freshDir('shard1');
  whole = freshDir('whole');
  const results = await Promise.all([
    generateInto(shardA, { ...job, shard: { index: 0, count: 2 } }, { plan: { delayMs: seededDelays(1, 3) } }),
    generateInto(shardB, { ...job, shard: { index: 1, count: 2 } }, { plan: { delayMs: seededDelays(2, 3) } }),
    generateInto(whole, { ...job, workers: 1 }),
  ]);
  for (const result of results) expect(result.status).toBe('complete');
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('mergeShards', () => {
  it('joins shards 0/2 and 1/2 into the bytes of the unsharded run', async () => {
    const out = freshDir('merged');
    const beforeA = await readTree(shardA);
    const result = await mergeShards([shardA, shardB], out);
    expect(result).toEqual({ out, frames: 7, shards: 2 });

    const merged = await readTree(out);
    const single = await readTree(whole);
    expectSameTree(merged, single, [MANIFEST_PATH]);
    expect(merged.has(MANIFEST_PATH)).toBe(true);
    for (let frame = 0; frame < 7; frame++) expect(merged.has(frameRecordPath(frame))).toBe(true);
    expect([...merged.keys()].some((p) => p.includes('.tmp-') || p.includes('write-probe'))).toBe(false);

    const manifest = parseManifest(merged.get(MANIFEST_PATH)!, MANIFEST_PATH);
    expect(manifest.complete).toBe(true);
    expect(manifest.frames).toEqual({ total: 7, range: [0, 7] });
    expect(manifest.shards).toEqual([
      { index: 0, count: 2, range: [0, 3], complete_frames: 3, complete: true, finished_at: FINISHED },
      { index: 1, count: 2, range: [3, 7], complete_frames: 4, complete: true, finished_at: FINISHED },
    ]);
    // Everything but the shards list is the unsharded run's manifest.
    const singleManifest = parseManifest(single.get(MANIFEST_PATH)!, MANIFEST_PATH);
    expect({ ...manifest, shards: [] }).toEqual({ ...singleManifest, shards: [] });
    // The shards themselves are left as they were.
    expectSameTree(await readTree(shardA), beforeA);
  });

  it('gives the same bytes whatever order the shards are named in', async () => {
    const first = freshDir('merged');
    const second = freshDir('merged');
    await mergeShards([shardA, shardB], first);
    await mergeShards([shardB, shardA], second);
    expectSameTree(await readTree(second), await readTree(first));
  });

  it('makes a dataset that a resume of the unsharded job finds complete', async () => {
    const out = freshDir('merged');
    await mergeShards([shardA, shardB], out);
    const result = await generateInto(out, { ...job, resume: true });
    expect(result).toMatchObject({ status: 'complete', resumedFrom: 7, produced: 0 });
    expectSameTree(await readTree(out), await readTree(whole));
  });

  it('fails when a shard is missing', async () => {
    const out = freshDir('merged');
    const error = await inputErrorOf(mergeShards([shardA], out));
    expect(error.message).toBe('merge: shards 1/2 are missing');
    expect(await readdir(root)).not.toContain(out.split(sep).pop());
  });

  it('fails on an incomplete shard, naming it and how many frames it has', async () => {
    const partial = freshDir('partial1');
    const controller = new AbortController();
    const cancelled = await generateInto(partial, { ...job, shard: { index: 1, count: 2 } }, { signal: controller.signal, plan: { onRun: (r) => r.frame === 5 && controller.abort() } });
    expect(cancelled.status).toBe('cancelled');
    const out = freshDir('merged');
    const error = await inputErrorOf(mergeShards([shardA, partial], out));
    expect(error.file).toBe(partial);
    expect(error.detail).toBe(`is incomplete: ${cancelled.frames} of 4 frames (finish it with simloop generate … --resume)`);
    expect(cancelled.frames).toBeLessThan(4);
    expect(await readdir(root)).not.toContain(out.split(sep).pop());
  });

  it('fails on a shard whose frames are all there but whose aggregate files were not finished', async () => {
    const unfinished = freshDir('unfinished1');
    const shard1 = { ...job, shard: { index: 1, count: 2 } };
    const info = fakeInfo(shard1);
    const disk = fsSink(unfinished);
    // The disk fills up while the shard writes frames.jsonl: every frame is written, the aggregates are not.
    const sink: Sink = { ...disk, create: async (path) => (path === 'frames.jsonl' ? Promise.reject(sinkFailure('no-space', 'write', path)) : disk.create(path)) };
    await expect(runGeneration(shard1, info, FAKE_LINEAGE, { sink, spawn: fakeWorkers(shard1, info).spawn, isoTime: () => FINISHED })).rejects.toMatchObject({ kind: 'no-space' });
    const out = freshDir('merged');
    const error = await inputErrorOf(mergeShards([shardA, unfinished], out));
    expect(error.file).toBe(unfinished);
    expect(error.detail).toBe(`is incomplete: its aggregate files were not finished (${MANIFEST_PATH} says complete: false; finish it with simloop generate … --resume)`);
    expect(await readdir(root)).not.toContain(out.split(sep).pop());

    // As the message says: a resume finishes the shard, and then it merges.
    expect(await generateInto(unfinished, { ...shard1, resume: true })).toMatchObject({ status: 'complete', produced: 0, resumedFrom: 4 });
    const merged = freshDir('merged');
    await mergeShards([shardA, unfinished], merged);
    expectSameTree(await readTree(merged), await readTree(whole), [MANIFEST_PATH]);
    expect(parseManifest(await readFile(join(merged, MANIFEST_PATH)), MANIFEST_PATH)).toMatchObject({ complete: true, shards: [{ complete: true }, { complete: true }] });
  });

  it('fails on a shard whose frame record was lost', async () => {
    const damaged = freshDir('damaged1');
    await cp(shardB, damaged, { recursive: true });
    await rm(join(damaged, frameRecordPath(4)));
    const error = await inputErrorOf(mergeShards([shardA, damaged], freshDir('merged')));
    expect(error.file).toBe(damaged);
    expect(error.detail).toMatch(/^is incomplete: 3 of 4 frames/);
  });

  it('fails on two copies of the same shard', async () => {
    const copy = freshDir('shard0-copy');
    await cp(shardA, copy, { recursive: true });
    const error = await inputErrorOf(mergeShards([shardA, copy, shardB], freshDir('merged')));
    expect(error.file).toBe(copy);
    expect(error.detail).toBe(`is shard 0/2 again (also ${shardA})`);
  });

  it('fails on shards of different jobs, naming the field', async () => {
    const other = freshDir('shard1-seed8');
    await generateInto(other, { ...job, seed: 8, shard: { index: 1, count: 2 } });
    const error = await inputErrorOf(mergeShards([shardA, other], freshDir('merged')));
    expect(error.file).toBe(other);
    expect(error.detail).toBe(`comes from a different job than ${shardA} (its seed differs)`);
  });

  it('fails on shards of different shard counts', async () => {
    const third = freshDir('shard1of3');
    await generateInto(third, { ...job, shard: { index: 1, count: 3 } });
    const error = await inputErrorOf(mergeShards([shardA, third], freshDir('merged')));
    expect(error.file).toBe(third);
    expect(error.detail).toBe(`is shard 1/3, but ${shardA} is one of 2`);
  });

  it('fails on a directory that is not a dataset', async () => {
    const empty = freshDir('empty');
    await mkdir(empty);
    const error = await inputErrorOf(mergeShards([shardA, empty], freshDir('merged')));
    expect(error.file).toBe(empty);
    expect(error.detail).toBe(`not a Simloop dataset (no ${DATASET_STATE_PATH})`);
  });

  it('fails on a shard without a manifest', async () => {
    const bare = freshDir('no-manifest');
    await cp(shardB, bare, { recursive: true });
    await rm(join(bare, MANIFEST_PATH));
    const error = await inputErrorOf(mergeShards([shardA, bare], freshDir('merged')));
    expect(error.file).toBe(bare);
    expect(error.detail).toBe(`no ${MANIFEST_PATH}`);
  });

  it('fails with no shard directories', async () => {
    const error = await inputErrorOf(mergeShards([], freshDir('merged')));
    expect(error.detail).toMatch(/give the shard directories/);
  });

  it('refuses to merge into a directory that holds a dataset, leaving it alone', async () => {
    const target = freshDir('occupied');
    await cp(whole, target, { recursive: true });
    await writeFile(join(target, MANIFEST_PATH), 'not touched');
    const before = await readTree(target);
    const error = await inputErrorOf(mergeShards([shardA, shardB], target));
    expect(error.file).toBe(target);
    expect(error.detail).toBe('already holds a dataset; merge into an empty directory');
    expectSameTree(await readTree(target), before);
  });
});
