/**
 * robomimic HDF5 files: written from three synthetic demos (different lengths, one with two
 * cameras, one failed, indices out of order and not contiguous) and read back independently by
 * h5py with the idioms robomimic itself uses (json.loads of env_args, the mask's decode("utf-8"),
 * demo sorting by int(name[5:])), then compared value for value with what was written. Also read
 * back with h5wasm, and fed bad input.
 *
 * Without h5py the h5py tests are skipped with the reason (a failure in CI): testing/python.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, pythonModules, requirePython, titled } from '../testing/python.ts';
import { type RobomimicEpisode, type RobomimicInfo, RobomimicWriter, writeRobomimicHdf5 } from './robomimic.ts';

const H5PY = pythonModules('h5py', 'numpy');

const OBS_SIZES = { robot0_eef_pos: 3, robot0_eef_quat: 4, robot0_gripper_qpos: 2, robot0_joint_pos: 7, object: 10 } as const;
const ACTION_SIZE = 7;
const STATE_SIZE = 5;

/** Values exact in float32 (multiples of 1/8), distinct per demo, key, step and component. */
function f32Row(seed: number, t: number, size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, j) => seed * 100 + t + j / 8 - 20);
}

/** Values that need float64 (0.1 steps and a 1e-9 offset), to see that states keep their precision. */
function f64Row(seed: number, t: number, size: number): Float64Array {
  return Float64Array.from({ length: size }, (_, j) => seed + t * 0.1 + j * 1e-9);
}

function frame(seed: number, t: number, width: number, height: number): Uint8Array {
  return Uint8Array.from({ length: width * height * 3 }, (_, i) => (seed * 31 + t * 7 + i) % 256);
}

function syntheticEpisode(index: number, steps: number, success: boolean, instruction: string, cameras: string[] = []): RobomimicEpisode {
  const t = [...Array(steps).keys()];
  const obs = Object.fromEntries(Object.entries(OBS_SIZES).map(([key, size], k) => [key, t.map((s) => f32Row(index + k * 10, s, size))]));
  const images = Object.fromEntries(cameras.map((key, c) => [key, { width: 8, height: 6, frames: t.map((s) => frame(index + c, s, 8, 6)) }]));
  return {
    index,
    instruction,
    success,
    actions: t.map((s) => f32Row(index, s, ACTION_SIZE)),
    rewards: t.map((s) => (success && s === steps - 1 ? 1 : s / 4)),
    dones: t.map((s) => s === steps - 1),
    states: t.map((s) => f64Row(index, s, STATE_SIZE)),
    obs,
    ...(cameras.length > 0 ? { images } : {}),
  };
}

const INFO: RobomimicInfo = { envName: 'SimloopPickCube', envKwargs: { scene: 'panda_tabletop', control_freq: 20, robots: ['Panda'] } };
const EPISODES: RobomimicEpisode[] = [
  syntheticEpisode(7, 5, true, 'pick up the red cube and lift it — café ☕', ['agentview_image', 'robot0_eye_in_hand_image']),
  syntheticEpisode(0, 3, true, 'push the cube to the goal'),
  syntheticEpisode(12, 1, false, 'stack the blue cube on the red cube'),
];
const TOTAL = 5 + 3 + 1;

/** Reads the file as robomimic's loaders do, and dumps everything as JSON. */
const READER = String.raw`
import json, sys
import h5py
import numpy as np

f = h5py.File(sys.argv[1], 'r')

def attr(v):
    if isinstance(v, str):
        return {'type': 'str', 'value': v}
    a = np.asarray(v)
    return {'type': a.dtype.str, 'shape': list(a.shape), 'value': a.tolist()}

def dataset(d):
    return {'dtype': d.dtype.str, 'shape': list(d.shape), 'values': np.asarray(d[()]).reshape(-1).tolist()}

def group(g):
    return {k: dataset(g[k]) for k in g.keys()}

data = f['data']
demos = list(data.keys())
inds = np.argsort([int(elem[5:]) for elem in demos])  # robomimic's demo order
out = {
    'root_keys': sorted(f.keys()),
    'data_attrs': {k: attr(v) for k, v in data.attrs.items()},
    'env_meta': json.loads(data.attrs['env_args']),
    'demo_order': [demos[i] for i in inds],
    'demos': {},
    'mask': {k: [elem.decode('utf-8') for elem in np.array(f['mask/{}'.format(k)][:])] for k in f['mask'].keys()},
    'mask_dtypes': {k: f['mask'][k].dtype.str for k in f['mask'].keys()},
}
for name in demos:
    g = data[name]
    out['demos'][name] = {
        'keys': sorted(g.keys()),
        'attrs': {k: attr(v) for k, v in g.attrs.items()},
        'datasets': {k: dataset(g[k]) for k in ('actions', 'rewards', 'dones', 'states')},
        'obs': group(g['obs']),
        'next_obs': group(g['next_obs']),
    }
print(json.dumps(out))
`;

interface PyDataset {
  dtype: string;
  shape: number[];
  values: number[];
}
interface PyAttr {
  type: string;
  shape?: number[];
  value: unknown;
}
interface PyDemo {
  keys: string[];
  attrs: Record<string, PyAttr>;
  datasets: Record<'actions' | 'rewards' | 'dones' | 'states', PyDataset>;
  obs: Record<string, PyDataset>;
  next_obs: Record<string, PyDataset>;
}
interface PyReport {
  root_keys: string[];
  data_attrs: Record<string, PyAttr>;
  env_meta: unknown;
  demo_order: string[];
  demos: Record<string, PyDemo>;
  mask: Record<string, string[]>;
  mask_dtypes: Record<string, string>;
}

const flat = (rows: readonly ArrayLike<number>[]) => rows.flatMap((row) => Array.from(row));
/** next_obs rows: obs[t + 1], and the last obs again for the last step. */
function shifted<T>(rows: readonly T[]): T[] {
  return [...rows.slice(1), rows[rows.length - 1]!];
}

describe.skipIf(!!H5PY.skip)(titled('robomimic HDF5 read by h5py', H5PY), () => {
  let dir = '';
  let report: PyReport;

  beforeAll(async () => {
    requirePython(H5PY);
    const bytes = await writeRobomimicHdf5(INFO, EPISODES);
    dir = mkdtempSync(join(tmpdir(), 'simloop-robomimic-'));
    const path = join(dir, 'demos.hdf5');
    writeFileSync(path, bytes);
    const run = spawnSync(PYTHON, ['-c', READER, path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`h5py failed (${run.status}): ${run.stderr}`);
    report = JSON.parse(run.stdout) as PyReport;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has data (total, env_args of type 2) and mask at the root', () => {
    expect(report.root_keys).toEqual(['data', 'mask']);
    expect(report.data_attrs.total).toEqual({ type: '<i8', shape: [], value: TOTAL });
    expect(report.data_attrs.env_args?.type).toBe('str');
    expect(report.env_meta).toEqual({ env_name: 'SimloopPickCube', type: 2, env_kwargs: INFO.envKwargs });
  });

  it('names the demos demo_<index>, in index order as robomimic sorts them', () => {
    expect(report.demo_order).toEqual(['demo_0', 'demo_7', 'demo_12']);
  });

  it('has the mask filter keys robomimic decodes, in index order', () => {
    expect(report.mask).toEqual({ successful: ['demo_0', 'demo_7'], failed: ['demo_12'] });
    expect(report.mask_dtypes).toEqual({ successful: '|S6', failed: '|S7' });
  });

  for (const episode of EPISODES) {
    const name = `demo_${episode.index}`;
    const n = episode.actions.length;
    const demo = () => report.demos[name]!;

    describe(name, () => {
      it('has num_samples (int64), success (uint8) and the UTF-8 instruction', () => {
        expect(demo().keys).toEqual(['actions', 'dones', 'next_obs', 'obs', 'rewards', 'states']);
        expect(demo().attrs).toEqual({
          num_samples: { type: '<i8', shape: [], value: n },
          success: { type: '|u1', shape: [], value: episode.success ? 1 : 0 },
          instruction: { type: 'str', value: episode.instruction },
        });
      });

      it('stores actions, rewards, dones and states with their dtypes, shapes and exact values', () => {
        const { actions, rewards, dones, states } = demo().datasets;
        expect(actions).toEqual({ dtype: '<f4', shape: [n, ACTION_SIZE], values: flat(episode.actions) });
        expect(rewards).toEqual({ dtype: '<f4', shape: [n], values: Array.from(Float32Array.from(episode.rewards)) });
        expect(dones).toEqual({ dtype: '|u1', shape: [n], values: episode.dones.map(Number) });
        expect(states).toEqual({ dtype: '<f8', shape: [n, STATE_SIZE], values: flat(episode.states) });
        expect(actions.values.slice(0, ACTION_SIZE)).toEqual(Array.from(episode.actions[0]!));
        expect(actions.values.slice(-ACTION_SIZE)).toEqual(Array.from(episode.actions[n - 1]!));
      });

      it('stores each obs key as float32 N×D, and next_obs one step later (the last step repeated)', () => {
        const cameras = Object.keys(episode.images ?? {});
        expect(Object.keys(demo().obs).sort()).toEqual([...Object.keys(OBS_SIZES), ...cameras].sort());
        expect(Object.keys(demo().next_obs).sort()).toEqual(Object.keys(demo().obs).sort());
        for (const [key, rows] of Object.entries(episode.obs)) {
          const size = OBS_SIZES[key as keyof typeof OBS_SIZES];
          expect(demo().obs[key]).toEqual({ dtype: '<f4', shape: [n, size], values: flat(rows) });
          expect(demo().next_obs[key]).toEqual({ dtype: '<f4', shape: [n, size], values: flat(shifted(rows)) });
        }
      });

      if (episode.images) {
        it('stores each camera as uint8 N×H×W×3, row-major, in obs and next_obs', () => {
          for (const [key, { frames }] of Object.entries(episode.images!)) {
            expect(demo().obs[key]).toEqual({ dtype: '|u1', shape: [n, 6, 8, 3], values: flat(frames) });
            expect(demo().next_obs[key]).toEqual({ dtype: '|u1', shape: [n, 6, 8, 3], values: flat(shifted(frames)) });
            // Pixel (y 2, x 5) of frame 3, green: index ((3·6 + 2)·8 + 5)·3 + 1.
            expect(demo().obs[key]!.values[((3 * 6 + 2) * 8 + 5) * 3 + 1]).toBe(frames[3]![(2 * 8 + 5) * 3 + 1]);
          }
        });
      }
    });
  }
});

describe('robomimic HDF5 read back by h5wasm', () => {
  it('round-trips attributes, shapes and values', async () => {
    const bytes = await writeRobomimicHdf5(INFO, EPISODES);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]); // HDF5 signature
    const { FS } = await h5wasm.ready;
    FS.writeFile('/robomimic-readback.hdf5', bytes);
    const file = new h5wasm.File('/robomimic-readback.hdf5', 'r');
    try {
      const dataset = (path: string) => file.get(path) as InstanceType<typeof h5wasm.Dataset>;
      const data = file.get('data') as InstanceType<typeof h5wasm.Group>;
      expect(data.keys().sort()).toEqual(['demo_0', 'demo_12', 'demo_7']);
      expect(data.attrs.total?.value).toBe(BigInt(TOTAL));
      expect(JSON.parse(data.attrs.env_args?.value as string)).toEqual({ env_name: INFO.envName, type: 2, env_kwargs: INFO.envKwargs });
      const demo7 = file.get('data/demo_7') as InstanceType<typeof h5wasm.Group>;
      expect(demo7.attrs.instruction?.value).toBe(EPISODES[0]!.instruction);
      expect(dataset('data/demo_7/actions').shape).toEqual([5, ACTION_SIZE]);
      expect(dataset('data/demo_7/actions').value).toEqual(Float32Array.from(flat(EPISODES[0]!.actions)));
      expect(dataset('data/demo_7/obs/agentview_image').shape).toEqual([5, 6, 8, 3]);
      expect(dataset('data/demo_12/next_obs/robot0_eef_pos').value).toEqual(EPISODES[2]!.obs.robot0_eef_pos![0]);
      expect(dataset('mask/failed').value).toEqual(['demo_12']);
    } finally {
      file.close();
      FS.unlink('/robomimic-readback.hdf5');
    }
  });
});

describe('robomimic input checks', () => {
  /** A valid 40-step demo to break in one place. */
  const base = (index = 3) => syntheticEpisode(index, 40, true, 'reach');
  const rejects = async (episodes: RobomimicEpisode[], message: string) => {
    const error: unknown = await writeRobomimicHdf5(INFO, episodes).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RangeError);
    expect((error as RangeError).message).toBe(message);
  };

  it('rejects an obs key with a different number of rows', async () => {
    const episode = base();
    episode.obs.robot0_eef_pos!.push(new Float32Array(3));
    await rejects([episode], 'robomimic: episode 3: obs/robot0_eef_pos has 41 rows, expected 40 (the number of actions)');
  });

  it('rejects rewards, dones, states and camera frames of the wrong length', async () => {
    const rewards = base();
    rewards.rewards.pop();
    await rejects([rewards], 'robomimic: episode 3: rewards has 39 values, expected 40 (the number of actions)');
    const dones = base();
    dones.dones.push(true);
    await rejects([dones], 'robomimic: episode 3: dones has 41 values, expected 40 (the number of actions)');
    const states = base();
    states.states.shift();
    await rejects([states], 'robomimic: episode 3: states has 39 rows, expected 40 (the number of actions)');
    const frames = syntheticEpisode(3, 4, true, 'look', ['agentview_image']);
    frames.images!.agentview_image!.frames.pop();
    await rejects([frames], 'robomimic: episode 3: images/agentview_image has 3 frames, expected 4 (the number of actions)');
  });

  it('rejects rows of different widths within a key, and frames of the wrong size', async () => {
    const episode = base();
    episode.actions[5] = new Float32Array(6);
    await rejects([episode], 'robomimic: episode 3: actions row 5 has 6 values, expected 7 (as row 0)');
    const frames = syntheticEpisode(3, 4, true, 'look', ['agentview_image']);
    frames.images!.agentview_image!.frames[2] = new Uint8Array(10);
    await rejects([frames], 'robomimic: episode 3: images/agentview_image frame 2 has 10 bytes, expected 144 (6×8×3)');
  });

  it('rejects NaN and infinite values', async () => {
    const obs = base();
    obs.obs.object![2]![4] = Number.NaN;
    await rejects([obs], 'robomimic: episode 3: obs/object row 2 value 4 is NaN; values must be finite');
    const states = base();
    states.states[0]![1] = Number.POSITIVE_INFINITY;
    await rejects([states], 'robomimic: episode 3: states row 0 value 1 is Infinity; values must be finite');
    const rewards = base();
    rewards.rewards[7] = 1e39; // finite as a double, not as float32
    await rejects([rewards], 'robomimic: episode 3: rewards[7] is 1e+39; rewards must be finite float32 numbers');
  });

  it('rejects duplicate and invalid demo indices, and empty demos', async () => {
    await rejects([base(3), base(4), base(3)], 'robomimic: episode 3: index 3 is used by more than one episode (data/demo_3 would be written twice)');
    await rejects([base(-1)], 'robomimic: episode -1: index -1 must be a non-negative integer (it names data/demo_<index>)');
    const empty = syntheticEpisode(5, 0, false, 'nothing');
    await rejects([empty], 'robomimic: episode 5: actions is empty; a demo needs at least one step');
  });

  it('rejects demos that disagree on action size or obs keys, and keys HDF5 cannot name', async () => {
    const actions = base(4);
    actions.actions = actions.actions.map(() => new Float32Array(6));
    await rejects([base(3), actions], "robomimic: episode 4: actions rows have 6 values, but episode 3's have 7; all demos must share the action size");
    const keys = base(4);
    delete keys.obs.object;
    await rejects(
      [base(3), keys],
      "robomimic: episode 4: obs keys [robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos, robot0_joint_pos] differ from episode 3's [object, robot0_eef_pos, robot0_eef_quat, robot0_gripper_qpos, robot0_joint_pos]",
    );
    const slash = base();
    slash.obs['a/b'] = slash.obs.object!;
    await rejects([slash], "robomimic: episode 3: obs/a/b: a key must be non-empty, not '.', and without '/'");
  });
});

describe('RobomimicWriter, demo by demo', () => {
  const INFO: RobomimicInfo = { envName: 'Simloop-test', envKwargs: { task: 'test' } };

  it('writes the same bytes as the one-call writer, and the same bytes a second later (times stamped as the epoch)', async () => {
    const episodes = [syntheticEpisode(0, 4, true, 'a', ['scene_image']), syntheticEpisode(1, 2, false, 'b', ['scene_image'])];
    const whole = await writeRobomimicHdf5(INFO, episodes);
    await new Promise((r) => setTimeout(r, 1100));
    const writer = await RobomimicWriter.create(INFO);
    for (const e of episodes) writer.add(e);
    expect(Buffer.from(writer.finish()).equals(Buffer.from(whole))).toBe(true);
  });

  it('refuses a demo that does not match the first, writes nothing of it, and still finishes the rest', async () => {
    const writer = await RobomimicWriter.create(INFO);
    writer.add(syntheticEpisode(0, 3, true, 'a'));
    const odd = syntheticEpisode(1, 3, true, 'b');
    odd.actions = odd.actions.map((r) => r.slice(0, 6));
    expect(() => writer.add(odd)).toThrow("robomimic: episode 1: actions rows have 6 values, but episode 0's have 7; all demos must share the action size");
    expect(() => writer.add(syntheticEpisode(0, 2, true, 'again'))).toThrow(/index 0 appears twice/);
    const bytes = writer.finish();
    const { FS } = await h5wasm.ready;
    const path = '/writer-check.h5';
    FS.writeFile(path, bytes);
    const file = new h5wasm.File(path, 'r');
    try {
      const data = file.get('data') as InstanceType<typeof h5wasm.Group>;
      expect(data.keys()).toEqual(['demo_0']);
      expect(data.attrs.total?.value).toBe(3n);
    } finally {
      file.close();
      FS.unlink(path);
    }
    expect(() => writer.add(syntheticEpisode(2, 2, true, 'late'))).toThrow(/already finished/);
  });
});
