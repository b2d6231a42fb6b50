/**
 * Demonstration shards joined into one dataset (`simloop merge` over `simloop demos --shard i/N`
 * outputs), equal to the dataset one run of the whole job writes:
 *
 * - episodes.jsonl: the shards' lines in order, `episode` offset by the shard's first episode;
 * - lerobot/: every shard's frames read back from its parquet files and written again by the same
 *   writer a run uses (lerobot.ts), so episode, frame and task indices are re-offset, data and
 *   video files split as one run splits them, and meta/stats.json computed exactly from every
 *   frame (LeRobot's aggregate_datasets instead combines the shards' stats, compute_stats.py
 *   aggregate_feature_stats: means and variances weighted by count, which is exact, and each
 *   quantile as an envelope — the lowest of the shards' lower quantiles, the highest of their
 *   upper ones — which bounds the quantile but is not it; here they are the quantiles of the
 *   merged frames). Image stats are
 *   per episode (LeRobot samples frames within an episode), so they are carried over and combined
 *   as one run combines them. Videos are not re-encoded: each episode's packets are cut out of its
 *   shard's MP4 and muxed again (mp4.ts) with timestamps shifted to its place in the merged file;
 * - robomimic.hdf5: every demo read back and written again as data/demo_<global index>, with
 *   `total` and the success masks recomputed.
 *
 * Shards must come from one job (demosManifest.ts) and cover its episodes once each.
 */
import { parquetReadObjects } from 'hyparquet';
import { InputError } from '../errors.ts';
import { DEMOS_EPISODES_PATH, DEMOS_MANIFEST_PATH, DEMOS_ROBOMIMIC_PATH, demosLeRobotPath } from '../dataset/demosLayout.ts';
import { type LeRobotEpisode, type LeRobotOptions, type LeRobotVideoFeature, TASKS_PATH, VIDEO_PATH, writeLeRobotDataset } from '../dataset/lerobot.ts';
import { mp4Codec, muxEpisodes, splitEpisodes } from '../dataset/mp4.ts';
import { fillPath } from '../dataset/pathTemplate.ts';
import { readRobomimicHdf5, type RobomimicEpisode, RobomimicWriter } from '../dataset/robomimic.ts';
import type { OutputFile } from '../dataset/types.ts';
import { type EncodedEpisode, ROBOMIMIC_OBS_ORDER, VideoFiles } from './demos.ts';
import { demosJobDifference, type DemosManifest, encodeDemosManifest } from './demosManifest.ts';

/** One shard's output, read by the host: its manifest, and its files by path under the shard's directory. */
export interface DemoShard {
  dir: string;
  manifest: DemosManifest;
  read(path: string): Promise<Uint8Array | null>;
  /** Paths (under the shard's directory) of its files. */
  files: readonly string[];
}

const num = (v: unknown) => Number(v);
const buffer = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** Checks that the shards are one job's, each once, all there; returns them in shard order. */
export function checkDemoShards(shards: readonly DemoShard[]): DemoShard[] {
  if (shards.length === 0) throw new InputError('merge', 'give the shard directories to merge');
  const first = shards[0]!;
  const seen = new Map<number, string>();
  for (const s of shards) {
    if (!s.manifest.shard) throw new InputError(s.dir, `is not a shard of a demonstration job (its ${DEMOS_MANIFEST_PATH} has no "shard"; run simloop demos --shard i/N)`);
    const difference = demosJobDifference(first.manifest, s.manifest);
    if (difference) throw new InputError(s.dir, `comes from a different demonstration job than ${first.dir} (its ${difference})`);
    const { index, count } = s.manifest.shard;
    if (count !== first.manifest.shard!.count) throw new InputError(s.dir, `is shard ${index}/${count}, but ${first.dir} is one of ${first.manifest.shard!.count}`);
    const other = seen.get(index);
    if (other) throw new InputError(s.dir, `is shard ${index}/${count} again (also ${other})`);
    seen.set(index, s.dir);
    const [start, end] = s.manifest.episodes.range;
    if (s.manifest.recorded !== end - start) throw new InputError(s.dir, `is incomplete: ${s.manifest.recorded} of its ${end - start} episodes recorded`);
  }
  const count = first.manifest.shard!.count;
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new InputError('merge', `shards ${missing.map((i) => `${i}/${count}`).join(', ')} are missing`);
  const ordered = [...shards].sort((a, b) => a.manifest.shard!.index - b.manifest.shard!.index);
  let next = 0;
  for (const s of ordered) {
    if (s.manifest.episodes.range[0] !== next) throw new InputError(s.dir, `holds episodes from ${s.manifest.episodes.range[0]}, expected ${next}`);
    next = s.manifest.episodes.range[1];
  }
  if (next !== first.manifest.episodes.total) throw new InputError('merge', `the shards hold episodes 0 to ${next - 1} of ${first.manifest.episodes.total}`);
  return ordered;
}

async function need(shard: DemoShard, path: string): Promise<Uint8Array> {
  const bytes = await shard.read(path);
  if (!bytes) throw new InputError(shard.dir, `has no ${path}`);
  return bytes;
}

/** episodes.jsonl of every shard, `episode` re-offset. */
async function mergedJsonl(shards: readonly DemoShard[]): Promise<string> {
  const lines: string[] = [];
  for (const s of shards) {
    const text = new TextDecoder().decode(await need(s, DEMOS_EPISODES_PATH));
    const own = text.split('\n').filter((l) => l.trim());
    const [start, end] = s.manifest.episodes.range;
    if (own.length !== end - start) throw new InputError(`${s.dir}/${DEMOS_EPISODES_PATH}`, `${own.length} episodes listed, expected ${end - start}`);
    own.forEach((line, k) => {
      const o = JSON.parse(line) as { episode: number };
      if (o.episode !== k) throw new InputError(`${s.dir}/${DEMOS_EPISODES_PATH}`, `line ${k + 1}: episode ${o.episode}, expected ${k}`);
      lines.push(JSON.stringify({ ...o, episode: start + k }));
    });
  }
  return lines.map((l) => `${l}\n`).join('');
}

interface LeRobotShard {
  info: Record<string, unknown> & { fps: number; features: Record<string, { dtype: string; names: string[] | null; info?: Record<string, unknown> }> };
  episodes: LeRobotEpisode[];
  /** Per episode, per camera key (without the observation.images. prefix): its packets and stats. */
  videos: Record<string, { encoded: EncodedEpisode; stats: Record<string, number[]> }>[];
}

/** One shard's LeRobot dataset read back: episodes (indices from `offset`) with their frames and video packets. */
async function readLeRobotShard(shard: DemoShard, offset: number): Promise<LeRobotShard> {
  const at = (path: string) => need(shard, demosLeRobotPath(path));
  const info = JSON.parse(new TextDecoder().decode(await at('meta/info.json'))) as LeRobotShard['info'];
  const where = (path: string) => `${shard.dir}/${demosLeRobotPath(path)}`;
  const tasks = new Map((await parquetReadObjects({ file: buffer(await at(TASKS_PATH)) })).map((r) => [num(r['task_index']), String(r['task'])]));
  const episodeRows = (
    await Promise.all(
      shard.files
        .filter((p) => p.startsWith(demosLeRobotPath('meta/episodes/')) && p.endsWith('.parquet'))
        .sort()
        .map(async (p) => parquetReadObjects({ file: buffer(await need(shard, p)) })),
    )
  )
    .flat()
    .sort((a, b) => num(a['episode_index']) - num(b['episode_index']));
  const rewards = 'next.reward' in info.features;
  const frames = new Map<number, { state: Float32Array[]; action: Float32Array[]; reward: number[]; done: boolean[]; task: number }>();
  const dataFiles = shard.files.filter((p) => p.startsWith(demosLeRobotPath('data/')) && p.endsWith('.parquet')).sort();
  for (const path of dataFiles) {
    for (const r of await parquetReadObjects({ file: buffer(await need(shard, path)) })) {
      const e = num(r['episode_index']);
      const series = frames.get(e) ?? { state: [], action: [], reward: [], done: [], task: num(r['task_index']) };
      frames.set(e, series);
      const t = num(r['frame_index']);
      series.state[t] = Float32Array.from(r['observation.state'] as number[]);
      series.action[t] = Float32Array.from(r['action'] as number[]);
      series.reward[t] = rewards ? Number(r['next.reward']) : 0;
      series.done[t] = rewards ? Boolean(r['next.done']) : false;
    }
  }
  const episodes = episodeRows.map((row, k): LeRobotEpisode => {
    const index = num(row['episode_index']);
    if (index !== k) throw new InputError(where('meta/episodes'), `episode ${index} where ${k} was expected`);
    const series = frames.get(index);
    if (!series || series.state.length !== num(row['length'])) throw new InputError(where('data'), `episode ${index}: ${series?.state.length ?? 0} frames, its metadata says ${num(row['length'])}`);
    const task = tasks.get(series.task);
    if (task === undefined) throw new InputError(where(TASKS_PATH), `no task ${series.task} (episode ${index})`);
    return { index: offset + k, task, state: series.state, action: series.action, reward: series.reward, done: series.done };
  });

  // Camera streams: each file split back into its episodes' packets.
  const keys = Object.entries(info.features)
    .filter(([, f]) => f.dtype === 'video')
    .map(([k]) => k);
  const videos: LeRobotShard['videos'] = episodes.map(() => ({}));
  for (const key of keys) {
    const byFile = new Map<string, number[]>();
    episodeRows.forEach((row, k) => {
      const path = fillPath(VIDEO_PATH, { video_key: key, chunk_index: num(row[`videos/${key}/chunk_index`]), file_index: num(row[`videos/${key}/file_index`]) });
      byFile.set(path, [...(byFile.get(path) ?? []), k]);
    });
    for (const [path, members] of byFile) {
      const split = await splitEpisodes(await at(path), members.map((k) => episodes[k]!.state.length), info.fps, where(path));
      members.forEach((k, j) => {
        const row = episodeRows[k]!;
        const prefix = `stats/${key}/`;
        // The episode's image stats in the order they were written (min, max, mean, std, count, quantiles).
        const stats = Object.fromEntries(
          Object.keys(row)
            .filter((c) => c.startsWith(prefix))
            .map((c) => [c.slice(prefix.length), Array.from(row[c] as ArrayLike<number | bigint>, Number)]),
        );
        videos[k]![key.slice('observation.images.'.length)] = { encoded: split[j]!, stats };
      });
    }
  }
  return { info, episodes, videos };
}

/** The LeRobot dataset of every shard, as one run writes it. */
async function mergedLeRobot(shards: readonly DemoShard[]): Promise<OutputFile[]> {
  const parts: LeRobotShard[] = [];
  for (const s of shards) parts.push(await readLeRobotShard(s, s.manifest.episodes.range[0]));
  const { info } = parts[0]!;
  const features = info.features;
  const videoFeatures: LeRobotVideoFeature[] = Object.entries(features)
    .filter(([, f]) => f.dtype === 'video')
    .map(([key, f]) => ({ key, width: Number(f.info!['video.width']), height: Number(f.info!['video.height']), codec: String(f.info!['video.codec']) }));
  const chunksSize = Number(info['chunks_size']);
  const videoLimit = Number(info['video_files_size_in_mb']);
  let videoFiles: OutputFile[] = [];
  let spans: LeRobotOptions['videos'] | undefined;
  if (videoFeatures.length) {
    const codec = mp4Codec(videoFeatures[0]!.codec);
    const files = new VideoFiles(
      videoFeatures.map((v) => v.key.slice('observation.images.'.length)),
      (episodes, fps) => muxEpisodes(episodes, fps, codec),
      info.fps,
      chunksSize,
      videoLimit,
    );
    for (const part of parts) for (const episode of part.videos) await files.addEncoded(episode);
    videoFiles = await files.files();
    spans = { features: videoFeatures, spans: files.spans };
  }
  const options: LeRobotOptions = {
    fps: info.fps,
    robotType: String(info['robot_type']),
    stateNames: features['observation.state']!.names ?? [],
    actionNames: features['action']!.names ?? [],
    rewards: 'next.reward' in features,
    chunksSize,
    dataFilesSizeInMb: Number(info['data_files_size_in_mb']),
    videoFilesSizeInMb: videoLimit,
    ...(spans ? { videos: spans } : {}),
  };
  const files = writeLeRobotDataset(
    options,
    parts.flatMap((p) => p.episodes),
  );
  return [...files, ...videoFiles].map((f) => ({ path: demosLeRobotPath(f.path), bytes: f.bytes }));
}

/** Low-dimensional observations in the order a run writes them. */
function orderedObs(obs: Record<string, Float32Array[]>): Record<string, Float32Array[]> {
  const rank = (key: string) => {
    const i = (ROBOMIMIC_OBS_ORDER as readonly string[]).indexOf(key);
    return i < 0 ? ROBOMIMIC_OBS_ORDER.length : i;
  };
  return Object.fromEntries(Object.keys(obs).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)).map((k) => [k, obs[k]!]));
}

/** The robomimic file of every shard, demos renamed to their place in the job. */
async function mergedRobomimic(shards: readonly DemoShard[], cameras: readonly string[]): Promise<Uint8Array> {
  let writer: RobomimicWriter | null = null;
  try {
    for (const s of shards) {
      const { info, episodes } = await readRobomimicHdf5(await need(s, DEMOS_ROBOMIMIC_PATH), `${s.dir}/${DEMOS_ROBOMIMIC_PATH}`);
      writer ??= await RobomimicWriter.create(info);
      const offset = s.manifest.episodes.range[0];
      for (const e of episodes) {
        const images = e.images ? Object.fromEntries(cameras.map((c) => [`${c}_image`, e.images![`${c}_image`]!])) : undefined;
        const episode: RobomimicEpisode = { ...e, index: offset + e.index, obs: orderedObs(e.obs), ...(images ? { images } : {}) };
        writer.add(episode);
      }
    }
    return writer!.finish();
  } catch (error) {
    writer?.abort();
    throw error;
  }
}

/** Every file of the merged dataset (manifest.json last) for shards that checkDemoShards accepted. */
export async function mergeDemoShards(shards: readonly DemoShard[]): Promise<OutputFile[]> {
  const ordered = checkDemoShards(shards);
  const first = ordered[0]!.manifest;
  const files: OutputFile[] = [];
  if (first.formats.includes('lerobot')) files.push(...(await mergedLeRobot(ordered)));
  if (first.formats.includes('hdf5')) files.push({ path: DEMOS_ROBOMIMIC_PATH, bytes: await mergedRobomimic(ordered, first.cameras.map((c) => c.key)) });
  files.push({ path: DEMOS_EPISODES_PATH, bytes: new TextEncoder().encode(await mergedJsonl(ordered)) });
  const manifest: DemosManifest = {
    ...first,
    episodes: { total: first.episodes.total, range: [0, first.episodes.total] },
    shard: null,
    recorded: ordered.reduce((n, s) => n + s.manifest.recorded, 0),
    successes: ordered.reduce((n, s) => n + s.manifest.successes, 0),
  };
  files.push({ path: DEMOS_MANIFEST_PATH, bytes: encodeDemosManifest(manifest) });
  return files;
}

