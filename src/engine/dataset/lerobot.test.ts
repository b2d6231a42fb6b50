import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/usda.ts';
import { featureStats, type LeRobotEpisode, nextFile, writeLeRobotDataset } from './lerobot.ts';
import { fillPath } from './pathTemplate.ts';

const STATE = ['joint1', 'joint2', 'gripper'];
const ACTION = ['dx', 'dy'];
const OPTIONS = { fps: 20, robotType: 'panda', stateNames: STATE, actionNames: ACTION };

function episode(index: number, n: number, task: string, seed: number): LeRobotEpisode {
  const random = seededRandom(seed);
  return {
    index,
    task,
    state: Array.from({ length: n }, () => Float32Array.from(STATE, () => random() * 2 - 1)),
    action: Array.from({ length: n }, () => Float32Array.from(ACTION, () => random() - 0.5)),
    reward: Array.from({ length: n }, (_, t) => (t === n - 1 ? 1 : 0)),
    done: Array.from({ length: n }, (_, t) => t === n - 1),
  };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Writes the files under a temp root; returns it. */
function materialise(files: { path: string; bytes: Uint8Array }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'simloop-lerobot-'));
  dirs.push(root);
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.bytes);
  }
  return root;
}

/** Rows of a parquet file read by DuckDB (a reader that is not the writer). */
async function read(path: string, columns = '*'): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const result = await conn.runAndReadAll(`SELECT ${columns} FROM read_parquet('${path}')`);
    return result.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}
async function types(path: string): Promise<Record<string, string>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const result = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    return Object.fromEntries(result.getRowObjectsJson().map((r) => [r['column_name'] as string, r['column_type'] as string]));
  } finally {
    conn.closeSync();
  }
}

describe('LeRobot v3.0 layout', () => {
  const episodes = [episode(0, 5, 'pick up the red cube', 1), episode(1, 3, 'pick up the blue cube', 2), episode(2, 4, 'pick up the red cube', 3)];
  const files = writeLeRobotDataset(OPTIONS, episodes);
  const root = materialise(files);

  it('writes exactly the v3.0 files: info, stats, tasks, episodes metadata, one data file', () => {
    expect(files.map((f) => f.path).sort()).toEqual(['data/chunk-000/file-000.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'meta/info.json', 'meta/stats.json', 'meta/tasks.parquet']);
  });

  it('info.json has the codebase version, templates, totals, splits and typed features with names', () => {
    const info = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'meta/info.json')!.bytes));
    expect(info).toMatchObject({
      codebase_version: 'v3.0',
      robot_type: 'panda',
      fps: 20,
      total_episodes: 3,
      total_frames: 12,
      total_tasks: 2,
      chunks_size: 1000,
      data_files_size_in_mb: 100,
      video_files_size_in_mb: 200,
      splits: { train: '0:3' },
      data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
      video_path: null,
    });
    expect(info.features['observation.state']).toEqual({ dtype: 'float32', shape: [3], names: STATE });
    expect(info.features.action).toEqual({ dtype: 'float32', shape: [2], names: ACTION });
    for (const key of ['timestamp', 'next.reward']) expect(info.features[key]).toEqual({ dtype: 'float32', shape: [1], names: null });
    for (const key of ['frame_index', 'episode_index', 'index', 'task_index']) expect(info.features[key]).toEqual({ dtype: 'int64', shape: [1], names: null });
    expect(info.features['next.done']).toEqual({ dtype: 'bool', shape: [1], names: null });
  });

  it('data parquet, read by DuckDB: typed columns, every frame in order with global index, timestamps and task indices', async () => {
    const path = join(root, 'data/chunk-000/file-000.parquet');
    expect(await types(path)).toEqual({
      'observation.state': 'FLOAT[]',
      action: 'FLOAT[]',
      timestamp: 'FLOAT',
      frame_index: 'BIGINT',
      episode_index: 'BIGINT',
      index: 'BIGINT',
      task_index: 'BIGINT',
      'next.reward': 'FLOAT',
      'next.done': 'BOOLEAN',
    });
    const rows = await read(path);
    expect(rows).toHaveLength(12);
    expect(rows.map((r) => r['index'])).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    expect(rows.map((r) => r['episode_index'])).toEqual(['0', '0', '0', '0', '0', '1', '1', '1', '2', '2', '2', '2']);
    expect(rows.map((r) => r['frame_index'])).toEqual(['0', '1', '2', '3', '4', '0', '1', '2', '0', '1', '2', '3']);
    expect(rows.map((r) => r['task_index'])).toEqual(['0', '0', '0', '0', '0', '1', '1', '1', '0', '0', '0', '0']);
    expect(rows[6]!['timestamp']).toBeCloseTo(0.05, 6);
    expect(rows[6]!['observation.state']).toEqual(Array.from(episodes[1]!.state[1]!));
    expect(rows[11]!['action']).toEqual(Array.from(episodes[2]!.action[3]!));
    expect(rows.filter((r) => r['next.done']).map((r) => r['index'])).toEqual(['4', '7', '11']);
  });

  it('tasks parquet maps each instruction to its index (with the pandas index named "task")', async () => {
    const path = join(root, 'meta/tasks.parquet');
    expect(await read(path)).toEqual([
      { task_index: '0', task: 'pick up the red cube' },
      { task_index: '1', task: 'pick up the blue cube' },
    ]);
  });

  it('episodes parquet: one row per episode with data file indices, frame ranges, tasks and flattened stats', async () => {
    const path = join(root, 'meta/episodes/chunk-000/file-000.parquet');
    const rows = await read(path);
    expect(rows.map((r) => [r['episode_index'], r['length'], r['dataset_from_index'], r['dataset_to_index'], r['data/chunk_index'], r['data/file_index']])).toEqual([
      ['0', '5', '0', '5', '0', '0'],
      ['1', '3', '5', '8', '0', '0'],
      ['2', '4', '8', '12', '0', '0'],
    ]);
    expect(rows[1]!['tasks']).toEqual(['pick up the blue cube']);
    const stats = featureStats(episodes[1]!.state);
    expect(rows[1]!['stats/observation.state/max']).toEqual(stats.max);
    expect(rows[1]!['stats/observation.state/q50']).toEqual(stats.q50);
    expect(rows[1]!['stats/observation.state/count']).toEqual(['3']);
    const cols = Object.keys(rows[0]!);
    for (const f of ['observation.state', 'action', 'timestamp', 'frame_index', 'episode_index', 'index', 'task_index', 'next.reward', 'next.done']) {
      for (const s of ['min', 'max', 'mean', 'std', 'count', 'q01', 'q10', 'q50', 'q90', 'q99']) expect(cols, `stats/${f}/${s}`).toContain(`stats/${f}/${s}`);
    }
  });

  it('stats.json: per-dimension min, max, mean, std, count and quantiles over all frames', () => {
    const stats = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'meta/stats.json')!.bytes));
    const all = episodes.flatMap((e) => e.state);
    const column0 = all.map((r) => r[0]!).sort((a, b) => a - b);
    expect(stats['observation.state'].min[0]).toBe(column0[0]);
    expect(stats['observation.state'].max[0]).toBe(column0[11]);
    expect(stats['observation.state'].count).toEqual([12]);
    // numpy.quantile(linear): q50 of 12 values = mean of the 6th and 7th.
    expect(stats['observation.state'].q50[0]).toBeCloseTo((column0[5]! + column0[6]!) / 2, 12);
    expect(stats['observation.state'].q01[0]).toBeCloseTo(column0[0]! + (column0[1]! - column0[0]!) * 0.11, 12);
    const mean = column0.reduce((a, b) => a + b, 0) / 12;
    expect(stats['observation.state'].mean[0]).toBeCloseTo(mean, 12);
    expect(stats['observation.state'].std[0]).toBeCloseTo(Math.sqrt(column0.reduce((a, v) => a + (v - mean) ** 2, 0) / 12), 12);
    expect(stats.index.max).toEqual([11]);
    expect(stats['next.done'].mean[0]).toBeCloseTo(3 / 12, 12);
  });
});

describe('LeRobot file splitting', () => {
  it('fills templates as Python str.format does, and rolls over to the next chunk after chunks_size files', () => {
    expect(fillPath('data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet', { chunk_index: 2, file_index: 17 })).toBe('data/chunk-002/file-017.parquet');
    expect(nextFile(0, 0, 1000)).toEqual([0, 1]);
    expect(nextFile(0, 999, 1000)).toEqual([1, 0]);
  });

  it('starts a new data file when the current one would reach data_files_size_in_mb, with the episodes pointing at theirs', async () => {
    const episodes = Array.from({ length: 6 }, (_, i) => episode(i, 400, `task ${i % 2}`, 10 + i));
    const one = writeLeRobotDataset(OPTIONS, [episodes[0]!]).find((f) => f.path.startsWith('data/'))!.bytes.byteLength;
    // Room for two and a half episodes: two fit, a third would cross the limit.
    const limit = (one * 2.5) / 2 ** 20;
    const files = writeLeRobotDataset({ ...OPTIONS, dataFilesSizeInMb: limit, chunksSize: 2 }, episodes);
    const data = files.filter((f) => f.path.startsWith('data/')).map((f) => f.path);
    expect(data).toEqual(['data/chunk-000/file-000.parquet', 'data/chunk-000/file-001.parquet', 'data/chunk-001/file-000.parquet']);
    const root = materialise(files);
    const meta = await read(join(root, 'meta/episodes/chunk-000/file-000.parquet'), '"episode_index", "data/chunk_index", "data/file_index", dataset_from_index');
    expect(meta.map((r) => [r['episode_index'], r['data/chunk_index'], r['data/file_index']])).toEqual([
      ['0', '0', '0'],
      ['1', '0', '0'],
      ['2', '0', '1'],
      ['3', '0', '1'],
      ['4', '1', '0'],
      ['5', '1', '0'],
    ]);
    // Each data file holds exactly its episodes' frames, global indices continuing across files.
    const second = await read(join(root, 'data/chunk-000/file-001.parquet'), 'min("index") AS lo, max("index") AS hi, count(*) AS n');
    expect(second).toEqual([{ lo: '800', hi: '1599', n: '800' }]);
  });
});

describe('LeRobot bad input', () => {
  it('names the episode, the feature and the frame', () => {
    const e = episode(0, 3, 't', 1);
    e.action[1] = Float32Array.from([1, 2, 3]);
    expect(() => writeLeRobotDataset(OPTIONS, [e])).toThrow('lerobot: episode 0: action at frame 1 has 3 values, expected 2');
    const f = episode(0, 3, 't', 1);
    f.state[2]![0] = NaN;
    expect(() => writeLeRobotDataset(OPTIONS, [f])).toThrow('lerobot: episode 0: observation.state at frame 2 is not all finite numbers');
    expect(() => writeLeRobotDataset(OPTIONS, [episode(1, 3, 't', 1)])).toThrow(/indices must be 0, 1, 2, … in order; found 1 at position 0/);
  });
});
