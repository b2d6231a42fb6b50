import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import h5wasm from 'h5wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { episodeSeries, openDataset } from '../dataset/lerobotReader.ts';
import { loadSceneFile } from '../load.ts';
import { parseRobotProfile } from '../robot/profile.ts';
import { parseTaskSpec } from './spec.ts';
import { TELEOP_JOINT_SPEED, TELEOP_SPEED, TeleopSession, teleopAction } from './teleop.ts';

const file = 'scenes/tasks/reach.task.yaml';
const task = parseTaskSpec(readFileSync(file, 'utf8'), file);
const scenePath = resolve(dirname(file), task.scene);
const scene = (await loadSceneFile(readFileSync(scenePath), scenePath)).document;

const sessions: TeleopSession[] = [];
afterEach(() => sessions.splice(0).forEach((s) => s.dispose()));
const session = () => {
  const s = new TeleopSession(task, scene, 3);
  sessions.push(s);
  return s;
};

/** A person steering the tool point toward the goal at full speed, slowing near it. */
function steer(s: TeleopSession) {
  const e = s.current!;
  const to = e.goal!.clone().sub(e.arm.measuredEe().position);
  const scale = 1 / Math.max(0.02, to.length());
  return { move: [to.x * scale, to.y * scale, to.z * scale] as [number, number, number], yaw: 0, close: false };
}

describe('teleoperation', () => {
  it('turns held inputs into end-effector steps at the teleop speed, clamped to full command', () => {
    const a = teleopAction({ move: [1, -0.5, 3], yaw: -2, close: true }, 20);
    expect(Array.from(a)).toEqual(Array.from(Float32Array.from([TELEOP_SPEED.linear / 20, -0.5 * (TELEOP_SPEED.linear / 20), TELEOP_SPEED.linear / 20, 0, -TELEOP_SPEED.angular / 20, 0, 1])));
    expect(teleopAction({ move: [NaN, 0, 0], yaw: 0, close: false }, 20)[0]).toBe(0);
    expect(teleopAction({ move: [0, 0, 0], yaw: 0, close: false }, 20)[6]).toBe(-1);
  });

  it('drives a reach episode to success, keeps it, and exports it as LeRobot + HDF5 with its draw', async () => {
    const s = session();
    await s.begin(5);
    let status = s.progress();
    expect(status.instruction).not.toBe('');
    while (!status.done) status = s.control(steer(s));
    expect(status.success).toBe(true);
    expect(status.steps).toBeLessThan(task.max_steps);
    // Steps after the end change nothing.
    expect(s.control(steer(s)).steps).toBe(status.steps);
    expect(s.keep()).toBe(1);
    const files = await s.exportFiles(['lerobot', 'hdf5']);
    const paths = files.map((f) => f.path).sort();
    expect(paths).toEqual(['episodes.jsonl', 'lerobot/data/chunk-000/file-000.parquet', 'lerobot/meta/episodes/chunk-000/file-000.parquet', 'lerobot/meta/info.json', 'lerobot/meta/stats.json', 'lerobot/meta/tasks.parquet', 'robomimic.hdf5']);
    const line = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'episodes.jsonl')!.bytes));
    expect(line).toMatchObject({ episode: 0, seed: 3, draw: 5, success: true, steps: status.steps });
    const info = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'lerobot/meta/info.json')!.bytes));
    expect(info.total_frames).toBe(status.steps);
  });

  it('discards an episode, marks a kept unfinished one as a failure, and numbers kept ones 0, 1, …', async () => {
    const s = session();
    await s.begin(0);
    s.control({ move: [1, 0, 0], yaw: 0, close: false });
    s.discard();
    expect(s.progress().kept).toBe(0);
    await s.begin(1);
    for (let k = 0; k < 3; k++) s.control({ move: [0, 1, 0], yaw: 0.5, close: true });
    s.keep();
    await s.begin(2);
    for (let k = 0; k < 2; k++) s.control({ move: [0, 0, 1], yaw: 0, close: false });
    s.keep();
    const lines = new TextDecoder()
      .decode((await s.exportFiles(['hdf5'])).find((f) => f.path === 'episodes.jsonl')!.bytes)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.episode, l.draw, l.steps, l.success, l.failure])).toEqual([
      [0, 1, 3, false, 'stopped by the operator'],
      [1, 2, 2, false, 'stopped by the operator'],
    ]);
  });

  it('refuses to keep an episode with no steps, or to export nothing', async () => {
    const s = session();
    await expect(s.exportFiles(['lerobot'])).rejects.toThrow(/no demonstrations kept yet/);
    await s.begin(0);
    expect(() => s.keep()).toThrow(/has no steps yet/);
  });

  it('hands an episode to the scripted expert part way, which finishes it from there', async () => {
    const s2 = new TeleopSession(task, scene, 3);
    sessions.push(s2);
    await s2.begin(4);
    for (let k = 0; k < 5; k++) s2.control({ move: [0, 0, 1], yaw: 0, close: false });
    s2.useExpert(true);
    expect(s2.expertDriving).toBe(true);
    let status = s2.progress();
    while (!status.done) status = s2.control({ move: [0, 0, 0], yaw: 0, close: false });
    expect(status.success).toBe(true);
    s2.keep();
    const line = JSON.parse(new TextDecoder().decode((await s2.exportFiles(['lerobot'])).find((f) => f.path === 'episodes.jsonl')!.bytes));
    expect(line).toMatchObject({ draw: 4, success: true, steps: status.steps });
  });
});


// The SO-101 (its MJCF with the include and meshes beside it) with the profile its task names.
const so101File = 'scenes/tasks/so101-reach.task.yaml';
const so101Task = parseTaskSpec(readFileSync(so101File, 'utf8'), so101File);
const so101ScenePath = resolve(dirname(so101File), so101Task.scene);
const so101Scene = (await loadSceneFile(readFileSync(so101ScenePath), so101ScenePath, { resolveAsset: (key) => readFileSync(join(dirname(so101ScenePath), key)) })).document;
const so101ProfilePath = resolve(dirname(so101File), so101Task.profile ?? '../robots/so101/so101.robot.yaml');
const so101Profile = { profile: parseRobotProfile(readFileSync(so101ProfilePath, 'utf8'), basename(so101ProfilePath)), file: basename(so101ProfilePath) };
const so101Session = () => {
  const s = new TeleopSession(so101Task, so101Scene, 1, undefined, so101Profile);
  sessions.push(s);
  return s;
};
const ARM = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll'];
const still = { move: [0, 0, 0] as [number, number, number], yaw: 0, close: false };
const deg = (rad: number) => (rad * 180) / Math.PI;

describe('teleoperation of the SO-101 by its joints (the Robot tab`s sliders)', () => {
  it('names the arm joints with their limits and the profile`s features (degrees), and the gripper`s 0 … 100 feature', async () => {
    const s = so101Session();
    await s.begin(0);
    const robot = s.robotJoints()!;
    expect(robot.joints.map((j) => j.name)).toEqual(ARM);
    expect(robot.joints.map((j) => j.feature?.name)).toEqual(ARM.map((n) => `${n}.pos`));
    expect(robot.joints.every((j) => j.feature?.units === 'degrees')).toBe(true);
    // shoulder_pan's range in so101_new_calib.xml: ±1.91986 rad (±110°).
    expect(robot.joints[0]!.lower).toBeCloseTo(-1.9198621771937616, 12);
    expect(robot.joints[0]!.upper).toBeCloseTo(1.9198621771937634, 12);
    expect(robot.gripper).toMatchObject({ name: 'gripper', feature: { name: 'gripper.pos', units: { range: [0, 100] } } });
    expect(s.progress().joints).toHaveLength(5);
  });

  it('moves a joint toward its goal at the bounded jog speed, never a jump, and holds it there', async () => {
    const s = so101Session();
    await s.begin(0);
    const start = s.progress().joints;
    const goal = [...start];
    goal[0] = start[0]! + 0.6; // 0.6 rad of shoulder pan: 12 steps at 1.5 rad/s and 30 Hz
    s.hold({ ...still, joints: goal });
    const most = TELEOP_JOINT_SPEED.revolute / so101Task.control_hz;
    let previous = start;
    let steps = 0;
    while (Math.abs(s.progress().joints[0]! - goal[0]!) > 1e-9) {
      const status = s.control();
      expect(status.jogging).toBe(true);
      status.joints.forEach((q, i) => expect(Math.abs(q - previous[i]!)).toBeLessThanOrEqual(most + 1e-12));
      // The other joints keep their targets.
      for (let i = 1; i < 5; i++) expect(status.joints[i]).toBeCloseTo(start[i]!, 12);
      previous = status.joints;
      steps++;
      expect(steps).toBeLessThan(40);
    }
    expect(steps).toBe(Math.ceil(0.6 / most - 1e-9));
    // Held at the goal; the servo follows it (within 0.5° after a third of a second).
    for (let k = 0; k < 10; k++) expect(s.control().joints[0]).toBe(goal[0]);
    const measured = s.current!.arm.state().q[0]!;
    expect(Math.abs(deg(measured - goal[0]!))).toBeLessThan(0.5);
  });

  it('a goal beyond a joint`s limit stops at the limit; a goal of the wrong length is refused, naming the joints', async () => {
    const s = so101Session();
    await s.begin(0);
    const goal = [...s.progress().joints];
    goal[1] = 5;
    s.hold({ ...still, joints: goal });
    for (let k = 0; k < 80; k++) s.control();
    expect(s.progress().joints[1]).toBeCloseTo(1.7453292519943366, 12);
    expect(() => s.hold({ ...still, joints: [0, 0] })).toThrow(/joint goal has 2 values; the arm has 5 joints \(shoulder_pan, shoulder_lift/);
    expect(() => s.hold({ ...still, joints: [0, NaN, 0, 0, 0] })).toThrow(/shoulder_lift is not a finite number/);
  });

  it('a key press drops the joint goal: the tool moves as the key says and the joints stop following the goal', async () => {
    const s = so101Session();
    await s.begin(0);
    const goal = [...s.progress().joints];
    goal[2] = goal[2]! - 0.8;
    s.hold({ ...still, joints: goal });
    for (let k = 0; k < 3; k++) s.control();
    const before = s.current!.arm.targetEe().position.clone();
    s.hold({ move: [0, 1, 0], yaw: 0, close: false, joints: goal });
    const status = s.control();
    expect(status.jogging).toBe(false);
    expect(s.input.joints).toBeNull();
    const after = s.current!.arm.targetEe().position;
    // R (up): the commanded tool point rose by one step of the teleop speed.
    expect(after.y - before.y).toBeCloseTo(TELEOP_SPEED.linear / so101Task.control_hz, 3);
    // Keys released: the arm holds where the key left it; the dropped goal is not resumed.
    s.hold(still);
    const held = s.progress().joints;
    for (let k = 0; k < 5; k++) s.control();
    s.progress().joints.forEach((q, i) => expect(q).toBeCloseTo(held[i]!, 6));
  });

  it('records a joint-driven step as the tool-pose change it commands; exports LeRobot with the profile`s features and joint targets', async () => {
    const s = so101Session();
    await s.begin(3);
    const goal = [...s.progress().joints];
    goal[0] = goal[0]! - 0.3;
    goal[3] = goal[3]! + 0.5;
    s.hold({ ...still, joints: goal, close: true });
    const startState = Array.from(s.current!.featureState()!);
    const expected: number[][] = [];
    const targets: number[][] = [];
    for (let k = 0; k < 8; k++) {
      const before = s.current!.arm.targetEe();
      s.control();
      const after = s.current!.arm.targetEe();
      const turn = after.quaternion.clone().multiply(before.quaternion.clone().invert());
      if (turn.w < 0) turn.set(-turn.x, -turn.y, -turn.z, -turn.w);
      const angle = 2 * Math.acos(Math.min(1, turn.w));
      const axis = Math.hypot(turn.x, turn.y, turn.z);
      const rotvec = axis > 0 ? [turn.x, turn.y, turn.z].map((v) => (v / axis) * angle) : [0, 0, 0];
      expected.push([...after.position.clone().sub(before.position).toArray(), ...rotvec, 1]);
      targets.push(Array.from(s.current!.arm.target));
    }
    // The wrist turned: a real rotation, not only a translation.
    expect(Math.hypot(...expected[0]!.slice(3, 6))).toBeGreaterThan(0.01);
    s.keep();
    const files = await s.exportFiles(['lerobot', 'hdf5']);
    const byPath = new Map(files.map((f) => [f.path, f.bytes]));

    // robomimic: the end-effector actions, the commanded tool-pose change of every step.
    const { FS } = await h5wasm.ready;
    FS.writeFile('/teleop-so101.hdf5', byPath.get('robomimic.hdf5')!);
    const file = new h5wasm.File('/teleop-so101.hdf5', 'r');
    try {
      const actions = (file.get('data/demo_0/actions') as InstanceType<typeof h5wasm.Dataset>).value as Float32Array;
      expect(actions).toHaveLength(8 * 7);
      for (let t = 0; t < 8; t++) for (let k = 0; k < 7; k++) expect(actions[t * 7 + k]).toBeCloseTo(expected[t]![k]!, 6);
    } finally {
      file.close();
      FS.unlink('/teleop-so101.hdf5');
    }

    // LeRobot: the so_follower's features (degrees, the gripper 0 … 100); the action is the joint targets each step set.
    const info = JSON.parse(new TextDecoder().decode(byPath.get('lerobot/meta/info.json')));
    expect(info.robot_type).toBe('so_follower');
    const names = [...ARM.map((n) => `${n}.pos`), 'gripper.pos'];
    expect(info.features['observation.state'].names).toEqual(names);
    expect(info.features.action.names).toEqual(names);
    const dataset = await openDataset(byPath);
    const series = await episodeSeries(dataset, dataset.episodes[0]!);
    expect(series.action).toHaveLength(8);
    for (let t = 0; t < 8; t++) {
      targets[t]!.forEach((q, i) => expect(series.action[t]![i]).toBeCloseTo(deg(q), 3));
      expect(series.action[t]![5]).toBeCloseTo(0, 4); // closed: LeRobot's 0
    }
    // The state is where the joints were (degrees, the gripper 0 … 100) before each step.
    startState.forEach((v, i) => expect(series.state[0]![i]).toBeCloseTo(v, 3));
    // The jaw as the profile records it: 0 (closed) … 100 (open); it starts where the description puts it (0 rad: 9.1).
    expect(startState[5]).toBeCloseTo((100 * 0.17453297762778586) / (1.7453291995659765 + 0.17453297762778586), 1);
  });
});
