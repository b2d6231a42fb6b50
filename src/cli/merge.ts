/**
 * `simloop merge <shard dirs…> --out <dir>`: joins the shards of one job into one dataset (generate
 * shards here; demonstration shards in engine/tasks/demosMerge.ts; evaluation shards at the end). Every
 * shard must come from the same job (same inputs, seed, size, formats) and together they must
 * cover every shard index once. Per-frame files and completion records are copied; the aggregate
 * files are rebuilt by the same finalize step a single run uses, so the result is byte-identical
 * to an unsharded run (manifest.json aside, which records the shards and when each finished).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { InputError } from '../engine/errors.ts';
import { buildManifest, completeFrames, stateMismatch } from '../engine/jobs/generate.ts';
import { type DatasetState, parseDatasetState } from '../engine/jobs/state.ts';
import { finalizeFormats } from '../engine/jobs/finalize.ts';
import { DATASET_STATE_PATH, MANIFEST_PATH } from '../engine/jobs/layout.ts';
import { encodeManifest, parseManifest, type DatasetManifest } from '../engine/jobs/manifest.ts';
import { shardRange } from '../engine/jobs/job.ts';
import { checkWritable, fsSink, isTempName } from './sinks/fsSink.ts';
import { DEMOS_MANIFEST_PATH } from '../engine/dataset/demosLayout.ts';
import { DEMOS_MANIFEST_SCHEMA_ID, parseDemosManifest } from '../engine/tasks/demosManifest.ts';
import { checkDemoShards, type DemoShard, mergeDemoShards } from '../engine/tasks/demosMerge.ts';
import { EVAL_EPISODES_PATH, EVAL_RESULTS_PATH, EVAL_TRACES_DIR, EVAL_VIDEOS_DIR, type EvalEpisode, evalEpisodeFromLine, evalOutputFiles, type EvalResults, mergeEvaluations } from '../engine/policy/evalOutput.ts';

async function readState(dir: string): Promise<DatasetState> {
  const file = join(dir, DATASET_STATE_PATH);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new InputError(dir, `not a Simloop dataset (no ${DATASET_STATE_PATH})`);
  }
  return parseDatasetState(new Uint8Array(bytes), file);
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile() && !isTempName(entry.name)) yield path;
  }
}

export interface MergeResult {
  out: string;
  frames: number;
  shards: number;
}

export async function mergeShards(dirs: string[], outDir: string): Promise<MergeResult | EvalMergeResult | DemosMergeResult> {
  if (dirs.length === 0) throw new InputError('merge', 'give the shard directories to merge');
  // Demonstration shards hold a demos manifest; evaluation shards results.json and no dataset state.
  if (await isDemosOutput(resolve(dirs[0]!))) return mergeDemosShards(dirs, outDir);
  if (existsSync(join(resolve(dirs[0]!), EVAL_RESULTS_PATH)) && !existsSync(join(resolve(dirs[0]!), DATASET_STATE_PATH))) return mergeEvalShards(dirs, outDir);
  const shards: { dir: string; state: DatasetState; manifest: DatasetManifest }[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    const state = await readState(dir);
    const manifestPath = join(dir, MANIFEST_PATH);
    const manifest = parseManifest(new Uint8Array(await readFile(manifestPath).catch(() => {
      throw new InputError(dir, `no ${MANIFEST_PATH}`);
    })), manifestPath);
    shards.push({ dir, state, manifest });
  }
  const first = shards[0]!;
  const count = first.state.shard.count;
  const seen = new Map<number, string>();
  for (const shard of shards) {
    const field = stateMismatch(first.state, shard.state, true);
    if (field) throw new InputError(shard.dir, `comes from a different job than ${first.dir} (its ${field} differs)`);
    if (shard.state.shard.count !== count) throw new InputError(shard.dir, `is shard ${shard.state.shard.index}/${shard.state.shard.count}, but ${first.dir} is one of ${count}`);
    const other = seen.get(shard.state.shard.index);
    if (other) throw new InputError(shard.dir, `is shard ${shard.state.shard.index}/${count} again (also ${other})`);
    seen.set(shard.state.shard.index, shard.dir);
    const { start, end } = shardRange(shard.state.frames, shard.state.shard);
    const complete = [...(await completeFrames(fsSink(shard.dir)))].filter((f) => f >= start && f < end).length;
    if (complete !== end - start) throw new InputError(shard.dir, `is incomplete: ${complete} of ${end - start} frames (finish it with simloop generate … --resume)`);
    if (!shard.manifest.complete) throw new InputError(shard.dir, `is incomplete: its aggregate files were not finished (${MANIFEST_PATH} says complete: false; finish it with simloop generate … --resume)`);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new InputError('merge', `shards ${missing.map((i) => `${i}/${count}`).join(', ')} are missing`);

  const out = resolve(outDir);
  await checkWritable(out);
  const sink = fsSink(out);
  if (await sink.read(DATASET_STATE_PATH)) throw new InputError(out, 'already holds a dataset; merge into an empty directory');
  for (const shard of shards) {
    for await (const file of filesUnder(shard.dir)) {
      const rel = relative(shard.dir, file).split(sep).join('/');
      if (rel === MANIFEST_PATH || rel === DATASET_STATE_PATH) continue;
      const target = join(out, rel);
      await mkdir(resolve(target, '..'), { recursive: true });
      await copyFile(file, target);
    }
  }
  const state: DatasetState = { ...first.state, shard: { index: 0, count: 1 } };
  await sink.write(DATASET_STATE_PATH, new TextEncoder().encode(`${JSON.stringify(state)}\n`));
  await finalizeFormats(sink, state.info, ['frames', ...state.formats], 0, state.frames);
  const manifest = first.manifest;
  const lineage = { simloopVersion: manifest.simloop_version, scene: manifest.scene, randomization: manifest.randomization, annotators: manifest.annotators };
  const shardStatus = shards.flatMap((s) => s.manifest.shards).sort((a, b) => a.index - b.index);
  await sink.write(MANIFEST_PATH, encodeManifest(buildManifest(state, lineage, shardStatus, [0, state.frames])));
  return { out, frames: state.frames, shards: shards.length };
}

async function isDemosOutput(dir: string): Promise<boolean> {
  const bytes = await readFile(join(dir, DEMOS_MANIFEST_PATH)).catch(() => null);
  if (!bytes) return false;
  try {
    return (JSON.parse(bytes.toString('utf8')) as { schema?: unknown }).schema === DEMOS_MANIFEST_SCHEMA_ID;
  } catch {
    return false;
  }
}

export interface DemosMergeResult {
  out: string;
  episodes: number;
  shards: number;
}

/** `simloop demos --shard` blocks joined into one LeRobot dataset, robomimic file and episodes.jsonl (engine/tasks/demosMerge.ts). */
async function mergeDemosShards(dirs: string[], outDir: string): Promise<DemosMergeResult> {
  const shards: DemoShard[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    const path = join(dir, DEMOS_MANIFEST_PATH);
    const bytes = await readFile(path).catch(() => {
      throw new InputError(dir, `not a finished demonstration run (no ${DEMOS_MANIFEST_PATH})`);
    });
    const files: string[] = [];
    for await (const file of filesUnder(dir)) files.push(relative(dir, file).split(sep).join('/'));
    shards.push({ dir, manifest: parseDemosManifest(new Uint8Array(bytes), path), files, read: async (p) => readFile(join(dir, p)).then((b) => new Uint8Array(b), () => null) });
  }
  checkDemoShards(shards);
  const out = resolve(outDir);
  await checkWritable(out);
  const sink = fsSink(out);
  if (await sink.read(DEMOS_MANIFEST_PATH)) throw new InputError(out, 'already holds a demonstration dataset; merge into an empty directory');
  const files = await mergeDemoShards(shards);
  for (const file of files) await sink.write(file.path, file.bytes);
  return { out, episodes: shards.reduce((n, s) => n + s.manifest.recorded, 0), shards: shards.length };
}

export interface EvalMergeResult {
  out: string;
  episodes: number;
  shards: number;
}

/**
 * `simloop eval --shard` blocks joined: results.json and episodes.jsonl as one run writes them
 * (the summary recomputed over every episode), latency.svg redrawn, videos and traces copied.
 */
async function mergeEvalShards(dirs: string[], outDir: string): Promise<EvalMergeResult> {
  const shards: { dir: string; results: EvalResults; episodes: EvalEpisode[] }[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    const read = async (path: string) => {
      try {
        return await readFile(join(dir, path), 'utf8');
      } catch {
        throw new InputError(dir, `not a finished evaluation (no ${path})`);
      }
    };
    const results = JSON.parse(await read(EVAL_RESULTS_PATH)) as EvalResults;
    const lines = (await read(EVAL_EPISODES_PATH)).split('\n').filter((l) => l.trim());
    const episodes = lines.map((l, i) => {
      try {
        return evalEpisodeFromLine(JSON.parse(l), null);
      } catch (e) {
        throw new InputError(join(dir, EVAL_EPISODES_PATH), `line ${i + 1}: not JSON (${(e as Error).message})`);
      }
    });
    shards.push({ dir, results, episodes });
  }
  const merged = mergeEvaluations(shards);
  const out = resolve(outDir);
  await checkWritable(out);
  const sink = fsSink(out);
  if (await sink.read(EVAL_RESULTS_PATH)) throw new InputError(out, 'already holds an evaluation; merge into an empty directory');
  for (const shard of shards) {
    for (const folder of [EVAL_VIDEOS_DIR, EVAL_TRACES_DIR]) {
      if (!existsSync(join(shard.dir, folder))) continue;
      for await (const file of filesUnder(join(shard.dir, folder))) {
        const target = join(out, relative(shard.dir, file));
        await mkdir(resolve(target, '..'), { recursive: true });
        await copyFile(file, target);
      }
    }
  }
  for (const file of evalOutputFiles(merged.results, merged.episodes)) await sink.write(file.path, file.bytes);
  return { out, episodes: merged.episodes.length, shards: shards.length };
}
