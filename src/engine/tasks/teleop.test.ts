import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { parseTaskSpec } from './spec.ts';
import { TELEOP_SPEED, TeleopSession, teleopAction } from './teleop.ts';

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

