import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSceneFile } from '../../engine/load.ts';
import { parseRobotProfile } from '../../engine/robot/profile.ts';
import { parseTaskSpec } from '../../engine/tasks/spec.ts';
import { TeleopSession } from '../../engine/tasks/teleop.ts';
import { armSliders, formatJointValue, fromSliderUnits, gripperClosedAt, gripperSlider, toSliderUnits } from './jointSliders.ts';

/** The robot of a bundled task's first episode, as the simulation worker reports it. */
async function robotOf(taskFile: string, withProfile: boolean) {
  const task = parseTaskSpec(readFileSync(taskFile, 'utf8'), taskFile);
  const scenePath = resolve(dirname(taskFile), task.scene);
  const scene = (await loadSceneFile(readFileSync(scenePath), scenePath, { resolveAsset: (key) => readFileSync(join(dirname(scenePath), key)) })).document;
  const profilePath = task.profile ? resolve(dirname(taskFile), task.profile) : null;
  const robot = withProfile && profilePath ? { profile: parseRobotProfile(readFileSync(profilePath, 'utf8'), basename(profilePath)), file: basename(profilePath) } : undefined;
  const session = new TeleopSession(task, scene, 1, undefined, robot);
  sessions.push(session);
  await session.begin(0);
  return { robot: session.robotJoints()!, targets: session.progress().joints };
}
const sessions: TeleopSession[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));

const deg = (rad: number) => (rad * 180) / Math.PI;

describe('the joint panel`s sliders', () => {
  it('shows the SO-101`s joints in degrees over their limits, at their targets, or at the goal being jogged to', async () => {
    const { robot, targets } = await robotOf('scenes/tasks/so101-reach.task.yaml', true);
    const sliders = armSliders(robot, targets, null);
    expect(sliders.map((s) => s.label)).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll']);
    expect(sliders[0]).toMatchObject({ units: '°', step: 0.5 });
    // shoulder_pan: ±1.91986 rad in so101_new_calib.xml = ±110°.
    expect(sliders[0]!.min).toBeCloseTo(-110, 4);
    expect(sliders[0]!.max).toBeCloseTo(110, 4);
    // elbow_flex: ±1.69 rad = ±96.83°.
    // elbow_flex: ±1.69 rad = ±96.83°; the slider's ends on its half-degree grid, inside the limits.
    expect(sliders[2]!.max).toBeCloseTo(96.5, 9);
    expect(sliders[2]!.min).toBeCloseTo(-96.5, 9);
    sliders.forEach((s, i) => {
      expect(s.reading).toBeCloseTo(deg(targets[i]!), 9);
      expect(s.value).toBe(s.reading);
    });
    const goal = [...targets];
    goal[1] = 0.5;
    const jogging = armSliders(robot, targets, goal);
    expect(jogging[1]!.value).toBeCloseTo(deg(0.5), 9);
    expect(jogging[1]!.reading).toBeCloseTo(deg(targets[1]!), 9);
    // A slider's value back to the joint goal it stands for (rad).
    expect(fromSliderUnits(robot.joints[0]!, 45)).toBeCloseTo(Math.PI / 4, 12);
    expect(toSliderUnits(robot.joints[0]!, Math.PI / 4)).toBeCloseTo(45, 12);
    expect(formatJointValue(sliders[0]!, 12.345)).toBe('12.3°');
  });

  it('gives the SO-101`s jaw two stops, LeRobot`s 0 (closed) and 100 (open)', async () => {
    const { robot } = await robotOf('scenes/tasks/so101-reach.task.yaml', true);
    expect(gripperSlider(robot, false)).toMatchObject({ label: 'gripper', min: 0, max: 100, step: 100, value: 100, units: '' });
    expect(gripperSlider(robot, true)!.value).toBeCloseTo(0, 9);
    expect(gripperClosedAt(robot, 20)).toBe(true);
    expect(gripperClosedAt(robot, 80)).toBe(false);
  });

  it('shows a robot whose profile names no features in radians, its fingers as the fraction open', async () => {
    const { robot, targets } = await robotOf('scenes/tasks/reach.task.yaml', false);
    const sliders = armSliders(robot, targets, null);
    expect(sliders).toHaveLength(7);
    expect(sliders.every((s) => s.units === 'rad' && s.step === 0.01)).toBe(true);
    // The Panda's joint 1: ±2.8973 rad; the slider's ends on its 0.01 rad grid, inside the limits.
    expect(sliders[0]!.min).toBeCloseTo(-2.89, 9);
    expect(sliders[0]!.max).toBeCloseTo(2.89, 9);
    expect(sliders[0]!.reading).toBe(targets[0]);
    expect(formatJointValue(sliders[0]!, 0.1234)).toBe('0.12 rad');
    expect(gripperSlider(robot, false)).toMatchObject({ label: 'gripper', min: 0, max: 1, value: 1 });
  });
});
