import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { listFiles, runCli } from './testing/runCli.ts';
import { PYTHON, pythonModules, requirePython, titled } from '../engine/testing/python.ts';

const tmp = mkdtempSync(join(tmpdir(), 'simloop-demos-'));
const H5PY = pythonModules('h5py');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;


async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}

/** The SO-101's profile without its description: it cannot bring its robot along. */
const NO_DESCRIPTION = join(tmp, 'so101-bare.robot.yaml');
writeFileSync(NO_DESCRIPTION, readFileSync('scenes/robots/so101/so101.robot.yaml', 'utf8').replace(/^description: .*\n/m, ''));

describe('simloop demos', () => {
  const out = join(tmp, 'stack');
  let first: { code: number; stdout: string; stderr: string };

  it('runs the expert for N episodes (physics only, --no-cameras) and prints the summary JSON', async () => {
    first = await run('demos', '--task', 'stack', '--episodes', '4', '--seed', '5', '--out', out, '--no-cameras', '--json');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(Object.keys(summary).sort()).toEqual(['episodes', 'frames', 'seconds', 'successes', 'task']);
    expect(summary).toMatchObject({ task: 'stack', episodes: 4 });
    expect(summary.successes).toBeGreaterThanOrEqual(3);
    expect(first.stderr).toMatch(/episodes 4\/4 · \d succeeded · [\d.]+ episodes\/s · ETA 0 s/);
    expect(listFiles(out)).toEqual([
      'episodes.jsonl',
      'lerobot/data/chunk-000/file-000.parquet',
      'lerobot/meta/episodes/chunk-000/file-000.parquet',
      'lerobot/meta/info.json',
      'lerobot/meta/stats.json',
      'lerobot/meta/tasks.parquet',
      'manifest.json',
      'robomimic.hdf5',
    ]);
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.episode)).toEqual([0, 1, 2, 3]);
    expect(lines.filter((l) => l.success)).toHaveLength(summary.successes);
    expect(lines.reduce((n, l) => n + l.steps, 0)).toBe(summary.frames);
  });

  it('writes the frames into LeRobot with one row per step, and the episode ranges and instructions to match', async () => {
    const summary = JSON.parse(first.stdout);
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const data = join(out, 'lerobot/data/chunk-000/file-000.parquet');
    const [count] = await query(`SELECT count(*) AS n, max("index") AS last FROM read_parquet('${data}')`);
    expect(count).toEqual({ n: String(summary.frames), last: String(summary.frames - 1) });
    const episodes = await query(`SELECT episode_index, length, tasks FROM read_parquet('${join(out, 'lerobot/meta/episodes/chunk-000/file-000.parquet')}') ORDER BY episode_index`);
    expect(episodes.map((e) => Number(e['length']))).toEqual(lines.map((l) => l.steps));
    expect(episodes.map((e) => (e['tasks'] as string[])[0])).toEqual(lines.map((l) => l.instruction));
    const info = JSON.parse(readFileSync(join(out, 'lerobot/meta/info.json'), 'utf8'));
    expect(info).toMatchObject({ fps: 20, robot_type: 'panda', total_episodes: 4, total_frames: summary.frames });
    expect(info.features['observation.state'].names).toEqual(['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6', 'joint7', 'finger_joint1', 'finger_joint2']);
    expect(info.features.action.names).toEqual(['dx', 'dy', 'dz', 'drx', 'dry', 'drz', 'gripper']);
  });

  it.skipIf(!!H5PY.skip)(titled('writes robomimic HDF5 that h5py reads: demos with their samples, obs and success masks', H5PY), () => {
    requirePython(H5PY);
    const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
d = f['data']
print(json.dumps({
  'total': int(d.attrs['total']),
  'env': json.loads(d.attrs['env_args'])['env_name'],
  'demos': {k: {'n': int(d[k].attrs['num_samples']), 'actions': list(d[k]['actions'].shape), 'obs': sorted(d[k]['obs'].keys())} for k in d.keys()},
  'successful': sorted(x.decode() for x in f['mask/successful'][:]),
}))`;
    const result = spawnSync(PYTHON, ['-c', script, join(out, 'robomimic.hdf5')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const h5 = JSON.parse(result.stdout);
    const summary = JSON.parse(first.stdout);
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(h5.total).toBe(summary.frames);
    expect(h5.env).toBe('Simloop-stack');
    expect(Object.keys(h5.demos).sort()).toEqual(['demo_0', 'demo_1', 'demo_2', 'demo_3']);
    lines.forEach((l) => {
      expect(h5.demos[`demo_${l.episode}`].n).toBe(l.steps);
      expect(h5.demos[`demo_${l.episode}`].actions).toEqual([l.steps, 7]);
    });
    expect(h5.demos.demo_0.obs).toEqual(['object', 'robot0_eef_pos', 'robot0_eef_quat', 'robot0_gripper_qpos', 'robot0_joint_pos']);
    expect(h5.successful).toEqual(lines.filter((l) => l.success).map((l) => `demo_${l.episode}`));
  });

  it('gives byte-identical datasets for the same seed (episode k depends only on (seed, k))', async () => {
    const again = join(tmp, 'stack-again');
    expect((await run('demos', '--task', 'stack', '--episodes', '4', '--seed', '5', '--out', again, '--no-cameras', '--json')).code).toBe(0);
    for (const f of listFiles(out)) expect(readFileSync(join(again, f)).equals(readFileSync(join(out, f))), f).toBe(true);
  });

  it('records at another rate with --fps and writes only the formats asked for', async () => {
    const dir = join(tmp, 'reach-10');
    const { code, stdout } = await run('demos', '--task', 'reach', '--episodes', '2', '--seed', '1', '--out', dir, '--format', 'lerobot', '--fps', '10', '--no-cameras', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).successes).toBe(2);
    expect(listFiles(dir).some((f) => f.endsWith('.hdf5'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'lerobot/meta/info.json'), 'utf8')).fps).toBe(10);
  });

  it('with the SO-101`s profile (the task`s own), records LeRobot`s so_follower features: joints in degrees, the jaw 0 … 100, joint targets as the action', async () => {
    const dir = join(tmp, 'so101');
    const { code, stderr } = await run('demos', '--task', 'so101-reach', '--episodes', '2', '--seed', '3', '--out', dir, '--no-cameras');
    expect(code, stderr).toBe(0);
    const info = JSON.parse(readFileSync(join(dir, 'lerobot/meta/info.json'), 'utf8'));
    const names = ['shoulder_pan.pos', 'shoulder_lift.pos', 'elbow_flex.pos', 'wrist_flex.pos', 'wrist_roll.pos', 'gripper.pos'];
    expect(info).toMatchObject({ robot_type: 'so_follower', fps: 30 });
    expect(info.features['observation.state']).toEqual({ dtype: 'float32', shape: [6], names });
    expect(info.features.action).toEqual({ dtype: 'float32', shape: [6], names });
    // Exactly the features lerobot-record writes for the real arm, in its order (no rewards), so
    // LeRobot's aggregation, which requires equal features, merges the two.
    expect(Object.keys(info.features)).toEqual(['action', 'observation.state', 'timestamp', 'frame_index', 'episode_index', 'index', 'task_index']);
    // Read back by DuckDB: the arm starts at the profile's home pose (0°, −30°, 10°, 93°, 0°), the
    // jaw at the model's zero, 0 rad: (0 − (−10°)) / 110° of its range = 9.09; the expert opens it
    // to the profile's 40°: 50 / 110 = 45.45.
    const data = join(dir, 'lerobot/data/chunk-000/file-000.parquet');
    const rows = await query(`SELECT "observation.state" AS state, action FROM read_parquet('${data}') WHERE episode_index = 0 ORDER BY frame_index`);
    const first = (rows[0]!['state'] as number[]).map(Number);
    [0, -30, 10, 93, 0].forEach((deg, i) => expect(first[i]).toBeCloseTo(deg, 0));
    expect(first[5]).toBeCloseTo(100 / 11, 3);
    expect(Number((rows.at(-1)!['state'] as number[])[5])).toBeCloseTo(5000 / 110, 0);
    // The reach moves the arm by degrees, not radians; the action leads the state (targets, then where the joints get).
    const last = (rows.at(-1)!['state'] as number[]).map(Number);
    expect(Math.max(...last.slice(0, 5).map((v, i) => Math.abs(v - first[i]!)))).toBeGreaterThan(5);
    const action = (rows.at(-2)!['action'] as number[]).map(Number);
    expect(Math.max(...action.slice(0, 5).map((v, i) => Math.abs(v - last[i]!)))).toBeLessThan(2);
    expect(action[5]).toBeCloseTo(((0.6981 + 0.17453297762778586) / (1.7453291995659765 + 0.17453297762778586)) * 100, 4);
  });

  it('runs a task with another arm given on the command line (--robot <MJCF>): it stands where the Panda stood, its profile inferred', async () => {
    const dir = join(tmp, 'swapped');
    const { code, stderr } = await run('demos', '--task', 'reach', '--episodes', '2', '--seed', '1', '--out', dir, '--no-cameras', '--robot', 'scenes/robots/so101/so101_new_calib.xml');
    expect(code, stderr).toBe(0);
    const info = JSON.parse(readFileSync(join(dir, 'lerobot/meta/info.json'), 'utf8'));
    expect(info.robot_type).toBe('so101_new_calib');
    expect(info.features['observation.state'].names).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper']);
    expect(readFileSync(join(dir, 'episodes.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses bad input with one line and status 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--task', 'fly', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x')], /^simloop: fly: no such task; bundled tasks: pick-cube, place, push, reach, so101-pick-cube, so101-place, so101-reach, stack/],
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--format', 'zarr'], /unknown format "zarr" \(expected lerobot, hdf5\)/],
      [['--task', 'reach', '--episodes', '0', '--seed', '1', '--out', join(tmp, 'x')], /--episodes must be at least 1/],
      [['--task', 'reach', '--seed', '1', '--out', join(tmp, 'x')], /demos needs --episodes/],
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--fps', '500'], /--fps: expected a rate between 1 and 120/],
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--image-size', '64'], /--image-size must be WxH/],
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--image-size', '8x8'], /--image-size: expected WxH with each side a whole number from 16 to 1024/],
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--action-noise=-0.01'], /--action-noise must be M or M,RAD/],
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--action-noise', '0.01,0.05,1'], /--action-noise must be M or M,RAD/],
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--action-noise', '0.2'], /offset in metres \(0 to 0.05\)/],
      // A profile for another robot, without its description: its joints are not there, and the message lists the ones that are.
      [['--task', 'reach', '--episodes', '2', '--seed', '1', '--out', join(tmp, 'x'), '--robot', NO_DESCRIPTION], /^simloop: so101-bare\.robot\.yaml: arm\[0\]: no joint "shoulder_pan" in the robot \(its joints: joint1, /],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await run('demos', ...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    }
  });

  it('stops with one line when the disk fills up, keeping the episodes finished before (SIMLOOP_FAULT test hook)', async () => {
    const dir = join(tmp, 'full');
    process.env.SIMLOOP_FAULT = 'no-space@60000';
    let result;
    try {
      result = await run('demos', '--task', 'reach', '--episodes', '6', '--seed', '2', '--out', dir, '--no-cameras', '--json');
    } finally {
      delete process.env.SIMLOOP_FAULT;
    }
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n').pop()).toMatch(/^simloop: cannot write .*: no space left on the device \(ENOSPC\)$/);
    const lines = readFileSync(join(dir, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(6);
    const info = JSON.parse(readFileSync(join(dir, 'lerobot/meta/info.json'), 'utf8'));
    expect(info.total_episodes).toBeGreaterThanOrEqual(lines.length);
  });

  it.skipIf(process.getuid?.() === 0)('stops with a message when the destination is not writable', async () => {
    const locked = join(tmp, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const { code, stderr } = await run('demos', '--task', 'reach', '--episodes', '1', '--seed', '1', '--out', join(locked, 'out'), '--no-cameras');
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/locked/);
  });
});
