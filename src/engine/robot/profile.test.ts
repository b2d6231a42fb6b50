import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { importMjcf } from '../mjcf/import.ts';
import { fromFeature, inferProfile, parseRobotProfile, resolveProfile, toFeature } from './profile.ts';

const open = async (path: string) => (await loadSceneFile(readFileSync(path), path, { resolveAsset: (key) => readFileSync(join(dirname(path), key)), resolveMesh: (uri) => readFileSync(join(dirname(path), uri)) })).document;
const so101Profile = () => parseRobotProfile(readFileSync('scenes/robots/so101/so101.robot.yaml', 'utf8'), 'so101.robot.yaml');
const errorOf = async (f: () => unknown) => {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
};

describe('robot profiles', () => {
  it('resolves the SO-101 profile on its MJCF: five arm joints, a revolute jaw, the gripperframe site, LeRobot`s features', async () => {
    const doc = await open('scenes/robots/so101/so101_new_calib.xml');
    const robot = resolveProfile(so101Profile(), doc, 'so101.robot.yaml');
    expect(robot.root).toBe('/so101_new_calib/base');
    expect(robot.arm.map((j) => j.path.split('/').pop())).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll']);
    // Opened 40° to grasp, closed at the range's end, turning at the servo's speed.
    expect(robot.gripper).toMatchObject({ type: 'revolute', open: [0.6981], closed: [-0.17453297762778586], speed: 4.7 });
    expect(robot.tool).toEqual({ prim: '/so101_new_calib/gripper/gripperframe', body: '/so101_new_calib/gripper', offset: [-0.015, 0, 0.017], approach: '+x' });
    expect(robot.features.map((f) => f.name)).toEqual(['shoulder_pan.pos', 'shoulder_lift.pos', 'elbow_flex.pos', 'wrist_flex.pos', 'wrist_roll.pos', 'gripper.pos']);
  });

  it('records joints in degrees and the jaw as LeRobot`s 0 (closed) … 100 (open), and reads them back', async () => {
    const robot = resolveProfile(so101Profile(), await open('scenes/robots/so101/so101_new_calib.xml'), 'so101.robot.yaml');
    const [pan, , , , , jaw] = robot.features;
    expect(toFeature(pan!, Math.PI / 2)).toBeCloseTo(90, 12);
    expect(fromFeature(pan!, -45)).toBeCloseTo(-Math.PI / 4, 12);
    expect(toFeature(jaw!, 1.7453291995659765)).toBeCloseTo(100, 9);
    expect(toFeature(jaw!, -0.17453297762778586)).toBeCloseTo(0, 9);
    expect(fromFeature(jaw!, 50)).toBeCloseTo((1.7453291995659765 - 0.17453297762778586) / 2, 9);
    for (const f of robot.features) for (const v of [-0.3, 0, 0.7]) expect(fromFeature(f, toFeature(f, v))).toBeCloseTo(v, 12);
  });

  it('resolves the bundled Panda profile on scenes/panda_tabletop.usda', async () => {
    const profile = parseRobotProfile(readFileSync('scenes/robots/panda.robot.yaml', 'utf8'), 'panda.robot.yaml');
    const robot = resolveProfile(profile, await open('scenes/panda_tabletop.usda'), 'panda.robot.yaml');
    expect(robot.arm).toHaveLength(7);
    expect(robot.gripper).toMatchObject({ type: 'prismatic', open: [0.04, 0.04], closed: [0, 0] });
    expect(robot.tool.prim).toMatch(/\/tcp$/);
    expect(robot.features.map((f) => [f.name, f.units])).toEqual([...[1, 2, 3, 4, 5, 6, 7].map((i) => [`joint${i}.pos`, 'radians']), ['finger_joint1.pos', 'radians'], ['finger_joint2.pos', 'radians']]);
  });

  it('names the field of a bad profile, and what there is', async () => {
    const doc = await open('scenes/robots/so101/so101_new_calib.xml');
    const text = readFileSync('scenes/robots/so101/so101.robot.yaml', 'utf8');
    expect(await errorOf(() => parseRobotProfile(text.replace('robot_type: so_follower\n', 'robot_type: so_follower\nspeed: 3\n'), 'p.yaml'))).toMatch(/^p\.yaml: speed: unknown field \(line \d+\)/);
    expect(await errorOf(() => parseRobotProfile(text.replace('simloop_robot: 2', 'simloop_robot: 9'), 'p.yaml'))).toMatch(/^p\.yaml: simloop_robot: 9: this robot profile was written by a newer Simloop/);
    expect(await errorOf(() => parseRobotProfile(text.replace('  open: 0.6981', '  open: [1, 2]'), 'p.yaml'))).toBe('p.yaml: gripper.open: expected one value, or one per gripper joint (1), got 2');
    const wrong = parseRobotProfile(text.replace('elbow_flex, wrist_flex', 'elbow, wrist_flex'), 'p.yaml');
    expect(await errorOf(() => resolveProfile(wrong, doc, 'p.yaml'))).toBe('p.yaml: arm[2]: no joint "elbow" in the robot (its joints: shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, wrist_roll, gripper)');
    const noSite = parseRobotProfile(text.replace('prim: gripperframe', 'prim: tip'), 'p.yaml');
    expect(await errorOf(() => resolveProfile(noSite, doc, 'p.yaml'))).toBe('p.yaml: tool_frame.prim: no prim "tip" on the robot');
  });
});

describe('inferring a profile', () => {
  it('finds the SO-101`s arm, its jaw (open at the far end of its range) and its tool frame, from the MJCF and from the URDF', async () => {
    for (const [file, tool] of [
      ['so101_new_calib.xml', /\/gripperframe$/],
      ['so101_new_calib.urdf', /\/gripper_frame_link$/],
    ] as const) {
      const doc = await open(`scenes/robots/so101/${file}`);
      const { profile, notes } = inferProfile(doc);
      expect(profile.arm, file).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll']);
      expect(profile.gripper).toEqual({ joints: ['gripper'], open: [expect.closeTo(1.7453, 4)], closed: [expect.closeTo(-0.1745, 4)] });
      expect(profile.tool_frame?.prim).toMatch(tool);
      expect(notes.join('\n')).toMatch(/gripper: revolute jaw gripper, open at 1\.7453, closed at -0\.1745/);
      // What it infers resolves, and agrees with the shipped profile where they overlap.
      const robot = resolveProfile(profile, doc, file);
      expect(robot.arm.map((j) => j.path)).toEqual(resolveProfile({ ...so101Profile(), tool_frame: profile.tool_frame }, doc, file).arm.map((j) => j.path));
    }
  });

  it('finds the Panda`s fingers, the bundled one`s tcp, and MuJoCo Menagerie`s hand when it names no tool frame', async () => {
    const bundled = inferProfile(await open('scenes/panda_tabletop.usda'));
    expect(bundled.profile).toMatchObject({ arm: ['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6', 'joint7'], gripper: { joints: ['finger_joint1', 'finger_joint2'], open: [0.04, 0.04], closed: [0, 0] } });
    expect(bundled.profile.tool_frame?.prim).toMatch(/\/tcp$/);
    const file = 'scenes/fixtures/third-party/menagerie/franka_emika_panda/panda.xml';
    const menagerie = inferProfile(importMjcf(readFileSync(file), file).document);
    expect(menagerie.profile.arm).toEqual(['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6', 'joint7']);
    expect(menagerie.profile.gripper?.joints).toEqual(['finger_joint1', 'finger_joint2']);
    expect(menagerie.notes.join('\n')).toMatch(/tool frame: none named like one; the origin of \/panda\/hand/);
    expect(resolveProfile(menagerie.profile, importMjcf(readFileSync(file), file).document, file).tool.body).toBe('/panda/hand');
  });

  it('infers a URDF arm that comes without a profile (the test arm: a continuous wrist, two fingers, a tcp link)', async () => {
    const { profile, notes } = inferProfile(await open('scenes/fixtures/urdf/test_arm.urdf'));
    expect(profile).toEqual({
      simloop_robot: 2,
      name: 'test_arm',
      robot_type: 'test_arm',
      root: '/test_arm/base_link',
      arm: ['shoulder', 'elbow', 'wrist'],
      gripper: { joints: ['finger_left_joint', 'finger_right_joint'], open: [0.04, 0.04], closed: [0, 0] },
      tool_frame: { prim: '/test_arm/tcp', offset: [0, 0, 0] },
    });
    expect(notes).toEqual([
      'arm: 3 joints from /test_arm/base_link (the longest chain): shoulder, elbow, wrist',
      'gripper: prismatic fingers finger_left_joint, finger_right_joint, open at 0.04, 0.04, closed at 0, 0',
      'tool frame: /test_arm/tcp',
    ]);
  });
});
