import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { faultySink } from '../dataset/sinks/faulty.ts';
import { MemorySink } from '../dataset/memorySink.ts';
import type { Sink } from '../dataset/types.ts';
import { loadSceneFile } from '../load.ts';
import { runDemos } from './demos.ts';
import { parseTaskSpec } from './spec.ts';

const file = 'scenes/tasks/reach.task.yaml';
const task = parseTaskSpec(readFileSync(file, 'utf8'), file);
const scenePath = resolve(dirname(file), task.scene);
const scene = (await loadSceneFile(readFileSync(scenePath), scenePath)).document;
const job = { task, scene, episodes: 3, seed: 4, formats: ['lerobot', 'hdf5'] as ('lerobot' | 'hdf5')[] };

/** A sink that notes how many bytes had been written whenever episodes.jsonl is (once per episode). */
function counting(inner: Sink, marks: number[]): Sink {
  let bytes = 0;
  return {
    ...inner,
    async write(path, data) {
      await inner.write(path, data);
      bytes += data.byteLength;
      if (path === 'episodes.jsonl') marks.push(bytes);
    },
    async writeFiles(files) {
      for (const f of files) {
        await inner.write(f.path, f.bytes);
        bytes += f.bytes.byteLength;
      }
    },
  };
}

describe('demonstrations on a destination that fills up', () => {
  it('stops with the disk error, and the episodes finished before stay readable (episodes.jsonl, LeRobot)', async () => {
    // Where the bytes stand after each episode's checkpoint, measured on a disk that never fills.
    const marks: number[] = [];
    await runDemos(job, counting(new MemorySink(), marks));
    expect(marks.length).toBeGreaterThanOrEqual(3);

    // Room for the first two episodes' checkpoints, and not quite for the third's.
    const disk = new MemorySink();
    const full = faultySink(disk, { error: 'no-space', failAfterBytes: marks[1]! + 100 });
    await expect(runDemos(job, full)).rejects.toMatchObject({ name: 'SinkError', kind: 'no-space' });

    const lines = new TextDecoder().decode(disk.files.get('episodes.jsonl')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).episode)).toEqual([0, 1]);
    const info = JSON.parse(new TextDecoder().decode(disk.files.get('lerobot/meta/info.json')));
    expect([info.total_episodes, info.total_frames]).toEqual([2, lines.reduce((n, l) => n + JSON.parse(l).steps, 0)]);
    const data = disk.files.get('lerobot/data/chunk-000/file-000.parquet')!;
    const rows = await parquetReadObjects({ file: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer, columns: ['episode_index'] });
    expect(new Set(rows.map((r) => Number(r['episode_index'])))).toEqual(new Set([0, 1]));
    // The HDF5 file is written at the end only: absent, not half-written.
    expect(disk.files.has('robomimic.hdf5')).toBe(false);
  });
});

describe('an unreachable target', () => {
  it('makes the expert report failure for that episode, and the run moves on to the next', async () => {
    // The reach task with its marker 1.7 m in front of the base: out of the arm's reach.
    const far = parseTaskSpec(readFileSync(file, 'utf8').replace(/volume: \{ min: \[[^\]]*\], max: \[[^\]]*\] \}/, 'volume: { min: [1.2, 1.0, -0.1], max: [1.3, 1.1, 0.1] }'), 'far.task.yaml');
    expect(far.goal!.volume.min[0]).toBe(1.2);
    const disk = new MemorySink();
    const summary = await runDemos({ ...job, task: far, episodes: 2, formats: ['lerobot'] }, disk);
    expect(summary).toMatchObject({ episodes: 2, successes: 0 });
    const lines = new TextDecoder().decode(disk.files.get('episodes.jsonl')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.episode)).toEqual([0, 1]);
    for (const l of lines) {
      expect(l.success).toBe(false);
      expect(l.failure).toMatch(/^could not reach a waypoint \(\d+\.\d cm off\)$/);
      expect(l.steps).toBeLessThan(far.max_steps);
    }
  });
});
