/**
 * Robot episodes as a LeRobot v3.0 dataset (`<out>/lerobot/`), following the layout of the
 * LeRobot source (src/lerobot/datasets: DEFAULT_DATA_PATH, DEFAULT_VIDEO_PATH, DEFAULT_EPISODES_PATH,
 * DEFAULT_TASKS_PATH, CHUNK_FILE_PATTERN, update_chunk_file_indices and the file-size splitting of
 * dataset_writer._save_episode_data), written with hyparquet-writer:
 *
 *   meta/info.json                     codebase_version "v3.0", fps, features, totals, splits, templates
 *   meta/stats.json                    per feature: min, max, mean, std, count, q01 q10 q50 q90 q99
 *   meta/tasks.parquet                 task (the pandas index) → task_index
 *   meta/episodes/chunk-000/file-000.parquet   one row per episode: indices, ranges, flattened stats
 *   data/chunk-000/file-000.parquet    one row per frame: observation.state, action, timestamp,
 *                                      frame_index, episode_index, index, task_index, next.reward,
 *                                      next.done (not with `rewards: false`: a real robot's features)
 *
 * Episodes go into the current data file until it would reach `data_files_size_in_mb`; then the
 * next file (file index + 1, or the next chunk after `chunks_size` files), as LeRobot does.
 * Stats are exact (sorted quantiles with linear interpolation, numpy's default), where LeRobot's
 * recorder estimates quantiles from histograms; per-episode stats go into the episodes file and
 * the global ones into stats.json. Camera streams (`observation.images.<camera>`) are MP4 files
 * encoded by the caller (in the browser, with WebCodecs); this module records where each episode
 * lies in them (`videos/<key>/chunk_index`, `file_index`, `from_timestamp`, `to_timestamp`), their
 * features (dtype "video", shape [h, w, 3], codec info) and their per-channel stats in [0, 1].
 */
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import type { OutputFile } from './types.ts';
import { fillPath } from './pathTemplate.ts';

export const LEROBOT_CODEBASE_VERSION = 'v3.0';
export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_DATA_FILE_SIZE_IN_MB = 100;
export const DEFAULT_VIDEO_FILE_SIZE_IN_MB = 200;
const CHUNK_FILE_PATTERN = 'chunk-{chunk_index:03d}/file-{file_index:03d}';
export const DATA_PATH = `data/${CHUNK_FILE_PATTERN}.parquet`;
export const VIDEO_PATH = `videos/{video_key}/${CHUNK_FILE_PATTERN}.mp4`;
export const EPISODES_PATH = `meta/episodes/${CHUNK_FILE_PATTERN}.parquet`;
export const TASKS_PATH = 'meta/tasks.parquet';
export const QUANTILES = [0.01, 0.1, 0.5, 0.9, 0.99] as const;
const QUANTILE_KEYS = QUANTILES.map((q) => `q${String(Math.round(q * 100)).padStart(2, '0')}`);

export interface LeRobotEpisode {
  /** Episode index in the dataset (0, 1, … in order). */
  index: number;
  /** The language instruction of this episode. */
  task: string;
  /** Per frame (same length N ≥ 1). */
  state: Float32Array[];
  action: Float32Array[];
  reward: number[];
  done: boolean[];
}

export interface LeRobotVideoFeature {
  /** The feature key, e.g. "observation.images.wrist". */
  key: string;
  width: number;
  height: number;
  /** As LeRobot names it in info.json: "av1" or "h264". */
  codec: string;
}

/** Where one episode's frames are in one camera's video files. */
export interface LeRobotVideoSpan {
  chunk: number;
  file: number;
  /** Seconds from the start of that file. */
  from: number;
  to: number;
  /** Per-channel stats (min, max, mean, std, quantiles: 3 values in [0, 1]; count: 1 value). */
  stats: Record<string, number[]>;
}

export interface LeRobotOptions {
  fps: number;
  robotType: string;
  stateNames: string[];
  actionNames: string[];
  chunksSize?: number;
  dataFilesSizeInMb?: number;
  videoFilesSizeInMb?: number;
  /**
   * Record `next.reward` and `next.done` (default true). Off, the features are exactly those
   * lerobot-record writes for a real robot (it records neither), so the dataset merges with real
   * recordings by LeRobot's aggregation, which requires equal features.
   */
  rewards?: boolean;
  /** Camera streams: the features, and per episode (in episode order) one span per feature key. */
  videos?: { features: LeRobotVideoFeature[]; spans: Record<string, LeRobotVideoSpan>[] };
}

type Feature = { dtype: string; shape: number[]; names: string[] | null };
type Stats = Record<string, number[]>;

/** LeRobot's update_chunk_file_indices: the next file, or the first file of the next chunk. */
export function nextFile(chunk: number, file: number, chunksSize: number): [number, number] {
  return file === chunksSize - 1 ? [chunk + 1, 0] : [chunk, file + 1];
}

/**
 * Stats of several parts combined as LeRobot's aggregate_feature_stats does: counts add, means
 * weighted by count, variances with the spread of the means, min of mins and max of maxes, and
 * for quantiles the envelope (lowest of the lower ones, highest of the upper ones).
 */
export function aggregateStats(parts: readonly Record<string, number[]>[]): Record<string, number[]> {
  const total = parts.reduce((n, p) => n + p.count![0]!, 0);
  const d = parts[0]!.mean!.length;
  const out: Record<string, number[]> = { count: [total], min: [], max: [], mean: [], std: [] };
  for (let j = 0; j < d; j++) {
    const mean = parts.reduce((s, p) => s + p.mean![j]! * p.count![0]!, 0) / total;
    const variance = parts.reduce((s, p) => s + (p.std![j]! ** 2 + (p.mean![j]! - mean) ** 2) * p.count![0]!, 0) / total;
    out.min!.push(Math.min(...parts.map((p) => p.min![j]!)));
    out.max!.push(Math.max(...parts.map((p) => p.max![j]!)));
    out.mean!.push(mean);
    out.std!.push(Math.sqrt(variance));
  }
  for (const key of QUANTILE_KEYS) {
    const lower = Number(key.slice(1)) <= 50;
    out[key] = Array.from({ length: d }, (_, j) => (lower ? Math.min : Math.max)(...parts.map((p) => p[key]![j]!)));
  }
  return out;
}

/**
 * Per-channel stats of RGBA8 frames (top row first), scaled to [0, 1] as LeRobot's image stats
 * are, over at most `maxFrames` frames spread evenly through the episode.
 */
export function imageStats(frames: readonly Uint8Array[], maxFrames = 100): Record<string, number[]> {
  const step = Math.max(1, Math.ceil(frames.length / maxFrames));
  const picked = frames.filter((_, i) => i % step === 0);
  const pixels = picked.reduce((n, f) => n + f.length / 4, 0);
  const channels = [new Float64Array(pixels), new Float64Array(pixels), new Float64Array(pixels)];
  let at = 0;
  for (const f of picked) {
    for (let i = 0; i < f.length; i += 4, at++) {
      channels[0]![at] = f[i]! / 255;
      channels[1]![at] = f[i + 1]! / 255;
      channels[2]![at] = f[i + 2]! / 255;
    }
  }
  // LeRobot counts images, not pixels.
  return columnsStats(channels, picked.length);
}

/** numpy.quantile's default (linear interpolation between order statistics). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** min, max, mean, std (population), count and quantiles of each column (sorts them in place). */
function columnsStats(columns: Float64Array[], count: number): Stats {
  const stats: Stats = { min: [], max: [], mean: [], std: [], count: [count] };
  for (const key of QUANTILE_KEYS) stats[key] = [];
  for (const column of columns) {
    const n = column.length;
    let sum = 0;
    for (const v of column) sum += v;
    const mean = sum / n;
    let squares = 0;
    for (const v of column) squares += (v - mean) ** 2;
    column.sort();
    stats.min!.push(column[0]!);
    stats.max!.push(column[n - 1]!);
    stats.mean!.push(mean);
    stats.std!.push(Math.sqrt(squares / n));
    QUANTILES.forEach((q, k) => stats[QUANTILE_KEYS[k]!]!.push(quantile(column, q)));
  }
  return stats;
}

/** min, max, mean, std (population), count and quantiles of each column of `rows`. */
export function featureStats(rows: readonly ArrayLike<number>[]): Stats {
  const d = rows[0]?.length ?? 0;
  return columnsStats(Array.from({ length: d }, (_, j) => Float64Array.from(rows, (r) => r[j]!)), rows.length);
}

function checkEpisode(e: LeRobotEpisode, options: LeRobotOptions): void {
  const n = e.state.length;
  const where = `lerobot: episode ${e.index}`;
  if (n < 1) throw new RangeError(`${where}: has no frames`);
  for (const [name, rows, width] of [
    ['action', e.action, options.actionNames.length],
    ['observation.state', e.state, options.stateNames.length],
  ] as const) {
    if (rows.length !== n) throw new RangeError(`${where}: ${name} has ${rows.length} frames, expected ${n}`);
    rows.forEach((r, t) => {
      if (r.length !== width) throw new RangeError(`${where}: ${name} at frame ${t} has ${r.length} values, expected ${width}`);
      if (!r.every(Number.isFinite)) throw new RangeError(`${where}: ${name} at frame ${t} is not all finite numbers`);
    });
  }
  if (e.reward.length !== n || e.done.length !== n) throw new RangeError(`${where}: next.reward and next.done need ${n} values each`);
}

/** The `features` of info.json (shapes as lists, names per dimension). */
function featuresOf(options: LeRobotOptions): Record<string, Feature | Record<string, unknown>> {
  const videos = Object.fromEntries(
    (options.videos?.features ?? []).map((v) => [
      v.key,
      {
        dtype: 'video',
        shape: [v.height, v.width, 3],
        names: ['height', 'width', 'channels'],
        info: {
          'video.height': v.height,
          'video.width': v.width,
          'video.codec': v.codec,
          'video.pix_fmt': 'yuv420p',
          'video.is_depth_map': false,
          'video.fps': options.fps,
          'video.channels': 3,
          'video.g': 2,
          has_audio: false,
        },
      },
    ]),
  );
  // In lerobot-record's order (hw_to_dataset_features, then DEFAULT_FEATURES): action, state, cameras.
  return {
    action: { dtype: 'float32', shape: [options.actionNames.length], names: options.actionNames },
    'observation.state': { dtype: 'float32', shape: [options.stateNames.length], names: options.stateNames },
    ...videos,
    timestamp: { dtype: 'float32', shape: [1], names: null },
    frame_index: { dtype: 'int64', shape: [1], names: null },
    episode_index: { dtype: 'int64', shape: [1], names: null },
    index: { dtype: 'int64', shape: [1], names: null },
    task_index: { dtype: 'int64', shape: [1], names: null },
    ...(options.rewards === false
      ? {}
      : {
          'next.reward': { dtype: 'float32', shape: [1], names: null },
          'next.done': { dtype: 'bool', shape: [1], names: null },
        }),
  };
}

// ------------------------------------------------------------------ parquet

type Column = { name: string; data: unknown[]; element: 'FLOAT' | 'DOUBLE' | 'INT64' | 'BOOLEAN' | 'STRING'; list: boolean };

const LEAF: Record<Column['element'], Record<string, unknown>> = {
  FLOAT: { type: 'FLOAT' },
  DOUBLE: { type: 'DOUBLE' },
  INT64: { type: 'INT64' },
  BOOLEAN: { type: 'BOOLEAN' },
  STRING: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
};

/** A parquet file of `columns`: plain columns, or 3-level LISTs (what pyarrow writes for list<T>). */
function parquetOf(columns: Column[], kvMetadata: { key: string; value: string }[] = []): Uint8Array {
  const schema: Record<string, unknown>[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) {
    if (c.list) {
      schema.push(
        { name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', ...LEAF[c.element] },
      );
    } else {
      schema.push({ name: c.name, repetition_type: 'OPTIONAL', ...LEAF[c.element] });
    }
  }
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: columns.map((c) => ({ name: c.name, data: c.data as never })),
    schema: schema as never,
    kvMetadata,
    createdBy: 'simloop (hyparquet-writer)',
  });
  return new Uint8Array(writer.getBuffer());
}

const int = (v: number) => BigInt(v);

/** The data rows of one episode, from global frame index `from`. */
function dataColumns(episodes: { e: LeRobotEpisode; from: number; taskIndex: number }[], fps: number, rewards: boolean): Column[] {
  const rows = episodes.flatMap(({ e, from, taskIndex }) => e.state.map((_, t) => ({ e, t, from, taskIndex })));
  const columns: Column[] = [
    { name: 'observation.state', element: 'FLOAT', list: true, data: rows.map(({ e, t }) => Array.from(e.state[t]!)) },
    { name: 'action', element: 'FLOAT', list: true, data: rows.map(({ e, t }) => Array.from(e.action[t]!)) },
    { name: 'timestamp', element: 'FLOAT', list: false, data: rows.map(({ t }) => Math.fround(t / fps)) },
    { name: 'frame_index', element: 'INT64', list: false, data: rows.map(({ t }) => int(t)) },
    { name: 'episode_index', element: 'INT64', list: false, data: rows.map(({ e }) => int(e.index)) },
    { name: 'index', element: 'INT64', list: false, data: rows.map(({ t, from }) => int(from + t)) },
    { name: 'task_index', element: 'INT64', list: false, data: rows.map(({ taskIndex }) => int(taskIndex)) },
    { name: 'next.reward', element: 'FLOAT', list: false, data: rows.map(({ e, t }) => Math.fround(e.reward[t]!)) },
    { name: 'next.done', element: 'BOOLEAN', list: false, data: rows.map(({ e, t }) => e.done[t]!) },
  ];
  return rewards ? columns : columns.filter((c) => !c.name.startsWith('next.'));
}

/** Every numeric feature of one episode, as rows per frame. */
function episodeFeatureRows(e: LeRobotEpisode, from: number, taskIndex: number, fps: number, rewards: boolean): Record<string, number[][]> {
  const n = e.state.length;
  const frames = Array.from({ length: n }, (_, t) => t);
  const rows: Record<string, number[][]> = {
    'observation.state': e.state.map((r) => Array.from(r)),
    action: e.action.map((r) => Array.from(r)),
    timestamp: frames.map((t) => [Math.fround(t / fps)]),
    frame_index: frames.map((t) => [t]),
    episode_index: frames.map(() => [e.index]),
    index: frames.map((t) => [from + t]),
    task_index: frames.map(() => [taskIndex]),
    'next.reward': e.reward.map((r) => [Math.fround(r)]),
    'next.done': e.done.map((d) => [d ? 1 : 0]),
  };
  if (!rewards) {
    delete rows['next.reward'];
    delete rows['next.done'];
  }
  return rows;
}

/** The pandas metadata pyarrow stores so read_parquet restores the "task" index. */
function pandasTasksMetadata(): string {
  return JSON.stringify({
    index_columns: ['task'],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    ],
    creator: { library: 'simloop', version: '1' },
    pandas_version: '2.2.0',
  });
}

/** The whole dataset's files, relative to the dataset root (`<out>/lerobot/`). */
export function writeLeRobotDataset(options: LeRobotOptions, episodes: readonly LeRobotEpisode[]): OutputFile[] {
  if (!(options.fps > 0)) throw new RangeError(`lerobot: fps must be > 0, got ${options.fps}`);
  episodes.forEach((e, i) => {
    if (e.index !== i) throw new RangeError(`lerobot: episode indices must be 0, 1, 2, … in order; found ${e.index} at position ${i}`);
    checkEpisode(e, options);
  });
  const chunksSize = options.chunksSize ?? DEFAULT_CHUNK_SIZE;
  const limitMb = options.dataFilesSizeInMb ?? DEFAULT_DATA_FILE_SIZE_IN_MB;
  const features = featuresOf(options);
  const encoder = new TextEncoder();
  const json = (value: unknown) => encoder.encode(`${JSON.stringify(value, null, 4)}\n`);

  // Tasks in order of first use.
  const taskIndex = new Map<string, number>();
  for (const e of episodes) if (!taskIndex.has(e.task)) taskIndex.set(e.task, taskIndex.size);

  // Data files: episodes accumulate in a file until the next would take it to the size limit.
  const files: OutputFile[] = [];
  const episodeRows: Record<string, unknown>[] = [];
  const allRows: Record<string, number[][]> = {};
  const videoStats: Record<string, Record<string, number[]>[]> = {};
  let chunk = 0;
  let file = 0;
  let inFile: { e: LeRobotEpisode; from: number; taskIndex: number }[] = [];
  let fileBytes = 0;
  let fileFrames = 0;
  let from = 0;
  const flush = () => {
    if (!inFile.length) return;
    files.push({ path: fillPath(DATA_PATH, { chunk_index: chunk, file_index: file }), bytes: parquetOf(dataColumns(inFile, options.fps, options.rewards !== false)) });
    inFile = [];
    fileBytes = 0;
    fileFrames = 0;
  };
  for (const e of episodes) {
    const n = e.state.length;
    const t = taskIndex.get(e.task)!;
    const own = { e, from, taskIndex: t };
    const size = parquetOf(dataColumns([own], options.fps, options.rewards !== false)).byteLength;
    const perFrame = fileFrames > 0 ? fileBytes / fileFrames : 0;
    if (inFile.length && (fileBytes + perFrame * n) / 2 ** 20 >= limitMb) {
      flush();
      [chunk, file] = nextFile(chunk, file, chunksSize);
    }
    inFile.push(own);
    fileBytes += size;
    fileFrames += n;

    const rows = episodeFeatureRows(e, from, t, options.fps, options.rewards !== false);
    const stats: Record<string, unknown> = {};
    for (const [name, featureRows] of Object.entries(rows)) {
      (allRows[name] ??= []).push(...featureRows);
      for (const [stat, values] of Object.entries(featureStats(featureRows))) stats[`stats/${name}/${stat}`] = values;
    }
    const videoColumns: Record<string, unknown> = {};
    const spans = options.videos?.spans[e.index];
    for (const v of options.videos?.features ?? []) {
      const span = spans?.[v.key];
      if (!span) throw new RangeError(`lerobot: episode ${e.index}: no video span for ${v.key}`);
      Object.assign(videoColumns, {
        [`videos/${v.key}/chunk_index`]: span.chunk,
        [`videos/${v.key}/file_index`]: span.file,
        [`videos/${v.key}/from_timestamp`]: span.from,
        [`videos/${v.key}/to_timestamp`]: span.to,
      });
      for (const [stat, values] of Object.entries(span.stats)) stats[`stats/${v.key}/${stat}`] = values;
      (videoStats[v.key] ??= []).push(span.stats);
    }
    episodeRows.push({
      episode_index: e.index,
      tasks: [e.task],
      length: n,
      'data/chunk_index': chunk,
      'data/file_index': file,
      dataset_from_index: from,
      dataset_to_index: from + n,
      ...videoColumns,
      ...stats,
      'meta/episodes/chunk_index': 0,
      'meta/episodes/file_index': 0,
    });
    from += n;
  }
  flush();

  // Episodes metadata (one file: a few hundred bytes per episode).
  const keys = episodeRows.length ? Object.keys(episodeRows[0]!) : [];
  const episodeColumns: Column[] = keys.map((key) => {
    const sample = episodeRows[0]![key];
    if (key === 'tasks') return { name: key, element: 'STRING', list: true, data: episodeRows.map((r) => r[key]) };
    if (key.endsWith('_timestamp')) return { name: key, element: 'DOUBLE', list: false, data: episodeRows.map((r) => r[key] as number) };
    if (Array.isArray(sample)) {
      const isCount = key.endsWith('/count');
      return { name: key, element: isCount ? 'INT64' : 'DOUBLE', list: true, data: episodeRows.map((r) => (r[key] as number[]).map((v) => (isCount ? int(v) : v))) };
    }
    return { name: key, element: 'INT64', list: false, data: episodeRows.map((r) => int(r[key] as number)) };
  });
  if (episodeRows.length) files.push({ path: fillPath(EPISODES_PATH, { chunk_index: 0, file_index: 0 }), bytes: parquetOf(episodeColumns) });

  const tasks = [...taskIndex.entries()];
  files.push({
    path: TASKS_PATH,
    bytes: parquetOf(
      [
        { name: 'task_index', element: 'INT64', list: false, data: tasks.map(([, i]) => int(i)) },
        { name: 'task', element: 'STRING', list: false, data: tasks.map(([task]) => task) },
      ],
      [{ key: 'pandas', value: pandasTasksMetadata() }],
    ),
  });

  const stats: Record<string, unknown> = Object.fromEntries(Object.entries(allRows).map(([name, rows]) => [name, featureStats(rows)]));
  // Image stats have LeRobot's shape (3, 1, 1) per statistic, count (1,).
  for (const [key, list] of Object.entries(videoStats)) {
    stats[key] = Object.fromEntries(Object.entries(aggregateStats(list)).map(([stat, values]) => [stat, stat === 'count' ? values : values.map((v) => [[v]])]));
  }
  files.push({ path: 'meta/stats.json', bytes: json(stats) });
  files.push({
    path: 'meta/info.json',
    bytes: json({
      codebase_version: LEROBOT_CODEBASE_VERSION,
      robot_type: options.robotType,
      total_episodes: episodes.length,
      total_frames: from,
      total_tasks: tasks.length,
      chunks_size: chunksSize,
      data_files_size_in_mb: limitMb,
      video_files_size_in_mb: options.videoFilesSizeInMb ?? DEFAULT_VIDEO_FILE_SIZE_IN_MB,
      fps: options.fps,
      splits: { train: `0:${episodes.length}` },
      data_path: DATA_PATH,
      video_path: options.videos?.features.length ? VIDEO_PATH : null,
      features,
    }),
  });
  return files;
}
