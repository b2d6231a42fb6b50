/**
 * `simloop demos --shard i/N` and `simloop merge` over its shards (physics only here; the camera
 * streams' MP4 files are checked in e2e/demos.test.mjs): the merged LeRobot dataset, robomimic file,
 * episodes.jsonl and manifest equal one run of the whole job byte for byte, in any order of the
 * shard directories; shards of another job, repeated or missing shards are refused by name.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, runCli } from './testing/runCli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'simloop-demo-shards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;


const JOB = ['--task', 'pick-cube', '--episodes', '5', '--seed', '11', '--no-cameras', '--json'];
const dir = (name: string) => join(tmp, name);

async function demos(out: string, ...extra: string[]) {
  const r = await run('demos', ...JOB, '--out', out, ...extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { episodes: number; frames: number };
}

describe('simloop demos --shard and merge', () => {
  beforeAll(async () => {
    await demos(dir('single'));
    for (let i = 0; i < 3; i++) await demos(dir(`s${i}`), '--shard', `${i}/3`);
  }, 120_000);

  it('each shard records its contiguous block of the episodes, drawn as in the whole run', () => {
    const single = readFileSync(join(dir('single'), 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const blocks = [0, 1, 2].map((i) => readFileSync(join(dir(`s${i}`), 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    // shardRange(5, i/3): [0, 1), [1, 3), [3, 5)
    expect(blocks.map((b) => b.map((l) => l.draw))).toEqual([[0], [1, 2], [3, 4]]);
    expect(blocks.map((b) => b.map((l) => l.episode))).toEqual([[0], [0, 1], [0, 1]]);
    for (const [i, b] of blocks.entries()) {
      const manifest = JSON.parse(readFileSync(join(dir(`s${i}`), 'manifest.json'), 'utf8'));
      expect(manifest.shard).toEqual({ index: i, count: 3 });
      expect(manifest.episodes.total).toBe(5);
      for (const line of b) expect({ ...line, episode: line.draw }).toEqual(single[line.draw]);
    }
  });

  it('merges to the single run byte for byte (LeRobot parquet, stats.json, robomimic HDF5, episodes.jsonl, manifest), whatever the order of the directories', async () => {
    const merged = dir('merged');
    const r = await run('merge', dir('s2'), dir('s0'), dir('s1'), '--out', merged, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ episodes: 5, shards: 3 });
    const files = listFiles(dir('single'));
    expect(files).toContain('lerobot/meta/stats.json');
    expect(files).toContain('robomimic.hdf5');
    expect(listFiles(merged)).toEqual(files);
    for (const f of files) expect(readFileSync(join(merged, f)).equals(readFileSync(join(dir('single'), f))), f).toBe(true);
  });

  it('refuses shards of another job naming the field, a repeated shard and a missing one', async () => {
    const other = dir('other-seed');
    const o = await run('demos', ...JOB.map((a, i) => (JOB[i - 1] === '--seed' ? '12' : a)), '--out', other, '--shard', '1/3');
    expect(o.code, o.stderr).toBe(0);
    const cases: [string[], RegExp][] = [
      [[dir('s0'), other, dir('s2')], /other-seed: comes from a different demonstration job than .*s0 \(its seed is 12, not 11\)/],
      [[dir('s0'), dir('s1'), dir('s1'), dir('s2')], /s1: is shard 1\/3 again/],
      [[dir('s0'), dir('s2')], /shards 1\/3 are missing/],
      [[dir('single'), dir('s1')], /single: is not a shard of a demonstration job/],
    ];
    for (const [k, [dirs, message]] of cases.entries()) {
      const r = await run('merge', ...dirs, '--out', dir(`refused-${k}`));
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('refuses a shard whose manifest was tampered with, and more shards than episodes', async () => {
    const path = join(dir('s1'), 'manifest.json');
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.replace('"recorded": 2', '"recorded": 1'));
    try {
      const r = await run('merge', dir('s0'), dir('s1'), dir('s2'), '--out', dir('tampered'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/s1: is incomplete: 1 of its 2 episodes recorded/);
    } finally {
      writeFileSync(path, original);
    }
    const r = await run('demos', ...JOB, '--out', dir('too-many'), '--shard', '0/6');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard: 6 shards of 5 episodes would leave some empty/);
  });
});
