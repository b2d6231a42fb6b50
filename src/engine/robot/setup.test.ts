import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { loadSceneFile } from '../load.ts';
import { worldMatrices } from '../scene/hierarchy.ts';
import { bodyPosesAt } from './articulation.ts';
import { tipPose } from './kinematics.ts';
import { robotFromScene } from './model.ts';
import { parseRobotProfile, resolveProfile } from './profile.ts';
import { setUpRobot } from './setup.ts';

const scenePath = 'scenes/robots/so101/so101_tabletop.xml';
const scene = (await loadSceneFile(readFileSync(scenePath), scenePath, { resolveAsset: (key) => readFileSync(join(dirname(scenePath), key)) })).document;
const profileFile = 'scenes/robots/so101/so101.robot.yaml';
const profileText = readFileSync(profileFile, 'utf8');
const profile = parseRobotProfile(profileText, 'so101.robot.yaml');
const errorOf = (run: () => unknown): string => {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
};

describe('a robot set up as its profile says (robot/setup.ts)', () => {
  const doc = setUpRobot(scene, resolveProfile(profile, scene, 'so101.robot.yaml'), 'so101.robot.yaml');
  const jointPath = (name: string) => doc.joints.find((j) => j.path.endsWith(`/${name}`))!.path;

  it('puts every body where forward kinematics at the home pose puts it, and the drives there', () => {
    const home = new Map(Object.entries(profile.home!).map(([name, q]) => [jointPath(name), q]));
    const expected = bodyPosesAt(scene, home);
    const world = worldMatrices(doc);
    for (const link of ['shoulder', 'upper_arm', 'lower_arm', 'wrist', 'gripper', 'moving_jaw_so101_v1']) {
      const path = `/so101_tabletop/${link}`;
      const got = new Vector3().setFromMatrixPosition(world.get(path)!);
      const want = new Vector3().setFromMatrixPosition(expected.get(path)!);
      expect(got.distanceTo(want), link).toBeLessThan(1e-9);
    }
    for (const [name, q] of Object.entries(profile.home!)) expect(doc.joints.find((j) => j.path === jointPath(name))!.drives[0]!.targetPosition).toBe(q);
    // The robot model starts its targets there: the tool points straight down, 12 cm up.
    const model = robotFromScene(doc, undefined, resolveProfile(profile, doc, 'so101.robot.yaml'));
    expect(model.armJoints.map((j) => j.target)).toEqual(profile.arm.map((name) => profile.home![name]));
    // The input document is left as it was.
    expect(scene.joints.find((j) => j.path.endsWith('/shoulder_lift'))!.drives[0]!.targetPosition).toBe(0);
  });

  it('mounts the wrist camera on its link, looking at the point the profile names', () => {
    const camera = doc.prims.find((p) => p.path === '/so101_tabletop/gripper/wrist')!;
    expect(camera.camera?.projection).toBe('perspective');
    expect((camera.camera!.fovY * 180) / Math.PI).toBeCloseTo(70, 9);
    const world = worldMatrices(doc);
    const link = world.get('/so101_tabletop/gripper')!;
    const mount = profile.cameras![0]!;
    const at = new Vector3(...mount.position).applyMatrix4(link);
    const target = new Vector3(...mount.look_at).applyMatrix4(link);
    const cam = world.get(camera.path)!;
    const position = new Vector3();
    const orientation = new Quaternion();
    cam.decompose(position, orientation, new Vector3());
    expect(position.distanceTo(at)).toBeLessThan(1e-9);
    // Cameras look along their −Z.
    const view = new Vector3(0, 0, -1).applyQuaternion(orientation);
    expect(view.angleTo(target.clone().sub(at))).toBeLessThan(1e-6);
    // The robot model counts it as one of the robot's cameras.
    expect(robotFromScene(doc).cameras).toContain(camera.path);
  });

  it('reads a version-1 profile (no home, no cameras) unchanged, adding nothing', () => {
    const v1 = profileText
      .replace('simloop_robot: 2', 'simloop_robot: 1')
      .replace(/^home: .*\n/m, '')
      .replace(/^cameras:\n(?: {2}.*\n)+/m, '')
      .replace(/^ {2}# The STS3215[^\n]*\n {2}speed: .*\n/m, '')
      .replace(/^ {2}approach: .*\n/m, '');
    const old = parseRobotProfile(v1, 'old.robot.yaml');
    expect(old.simloop_robot).toBe(2);
    expect(old.home).toBeUndefined();
    const same = setUpRobot(scene, resolveProfile(old, scene, 'old.robot.yaml'), 'old.robot.yaml');
    expect(same).toBe(scene);
  });

  it('names the profile field when the home pose or a camera mount is wrong', () => {
    const bad = (text: string) => () => setUpRobot(scene, resolveProfile(parseRobotProfile(text, 'bad.robot.yaml'), scene, 'bad.robot.yaml'), 'bad.robot.yaml');
    expect(errorOf(bad(profileText.replace('home: { shoulder_pan: 0,', 'home: { elbow: 0.1, shoulder_pan: 0,')))).toMatch(/^bad\.robot\.yaml: home\.elbow: not one of the robot's arm or gripper joints \(shoulder_pan, .*gripper\)$/);
    expect(errorOf(bad(profileText.replace('shoulder_lift: -0.5236', 'shoulder_lift: -2.5')))).toMatch(/^bad\.robot\.yaml: home\.shoulder_lift: -2\.5 is outside the joint's limits \[-1\.74/);
    expect(errorOf(bad(profileText.replace('link: gripper,', 'link: hand,')))).toBe('bad.robot.yaml: cameras[0].link: no link "hand" on the robot');
    expect(errorOf(bad(profileText.replace('look_at: [-0.008, 0, -0.11]', 'look_at: [0, -0.045, -0.03]')))).toBe('bad.robot.yaml: cameras[0].look_at: the camera looks at the point it stands on');
  });

  it('infers the grasp axes: the SO-101 jaw points along its site`s +x and closes along −z; the Panda`s fingers point along +z and close along y', async () => {
    const model = robotFromScene(doc);
    expect(model.grasp.approach.toArray()).toEqual([1, 0, 0]);
    expect(model.grasp.closing.toArray()).toEqual([0, 0, -1]);
    const panda = (await loadSceneFile(readFileSync('scenes/panda_tabletop.usda'), 'panda_tabletop.usda')).document;
    const pandaModel = robotFromScene(panda);
    expect(pandaModel.grasp.approach.toArray()).toEqual([0, 0, 1]);
    expect(Math.abs(pandaModel.grasp.closing.y)).toBe(1);
    // At the Panda's home the approach axis points straight down.
    const home = tipPose(pandaModel.chain, Float64Array.from(pandaModel.armJoints, (j) => j.target));
    expect(pandaModel.grasp.approach.clone().applyQuaternion(home.quaternion).y).toBeCloseTo(-1, 9);
  });
});
