import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { PhysicsWorld } from '../physics/world.ts';
import { RobotArm, ROBOT_PHYSICS } from './arm.ts';
import { robotFromScene } from './model.ts';
import { parseRobotProfile, resolveProfile } from './profile.ts';

const file = 'scenes/robots/so101/so101_new_calib.xml';
const document = (await loadSceneFile(readFileSync(file), file, { resolveAsset: (key) => readFileSync(join(dirname(file), key)) })).document;
const profile = parseRobotProfile(readFileSync('scenes/robots/so101/so101.robot.yaml', 'utf8'), 'so101.robot.yaml');
const worlds: PhysicsWorld[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.free();
});

async function arm() {
  const world = await PhysicsWorld.create(document, { solverIterations: ROBOT_PHYSICS.solverIterations, pgsIterations: ROBOT_PHYSICS.pgsIterations });
  worlds.push(world);
  return new RobotArm(world, robotFromScene(document, undefined, resolveProfile(profile, document, 'so101.robot.yaml')));
}

describe('the SO-101 as a controlled arm (its MJCF and its profile)', () => {
  it('is a five-joint arm with a revolute jaw, the tool point at the gripperframe site', async () => {
    const a = await arm();
    expect(a.model.armJoints.map((j) => j.path.split('/').pop())).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll']);
    expect(a.model.gripper).toMatchObject({ type: 'revolute' });
    expect(a.model.endEffector).toBe('/so101_new_calib/gripper');
    expect(a.maxWidth).toBe(1);
  });

  it('tracks joint targets within 0.5° once settled (its servo gains: kp 998 N·m/rad, 3.35 N·m at most)', async () => {
    const a = await arm();
    const goal = [0.4, -0.5, 0.6, 0.3, -0.8];
    for (let i = 0; i < 40; i++) a.step({ kind: 'joint_position', q: goal });
    const q = Array.from(a.state().q);
    const worst = Math.max(...q.map((v, i) => Math.abs(v - goal[i]!)));
    expect(worst).toBeLessThan((0.5 * Math.PI) / 180);
  });

  it('opens and closes its jaw: the measured opening is the fraction open', async () => {
    const a = await arm();
    for (let i = 0; i < 20; i++) a.step(null, 'close');
    expect(a.state().gripperWidth).toBeLessThan(0.05);
    for (let i = 0; i < 20; i++) a.step(null, 'open');
    expect(a.state().gripperWidth).toBeGreaterThan(0.95);
    for (let i = 0; i < 20; i++) a.step(null, { width: 0.5 });
    expect(a.state().gripperWidth).toBeCloseTo(0.5, 1);
  });
});

describe('inverse kinematics of the five-joint SO-101', () => {
  const chainOf = () => robotFromScene(document, undefined, resolveProfile(profile, document, 'so101.robot.yaml')).chain;

  it('reaches reachable positions with the jaw pointing down as far as pitch allows, and reports unreachable ones', async () => {
    const { solveIk, tipPose } = await import('./kinematics.ts');
    const { Quaternion, Vector3 } = await import('three');
    const chain = chainOf();
    const q0 = new Float64Array(chain.joints.length);
    const home = tipPose(chain, [0, -0.6, 0.6, 1.2, 0]);
    // The tool's current orientation, and targets around the home position in the document frame (Y up).
    for (const offset of [
      [0.03, -0.04, 0.02],
      [-0.05, 0.02, -0.04],
      [0.0, -0.06, 0.05],
    ]) {
      const position = home.position.clone().add(new Vector3(...offset));
      const result = solveIk(chain, { position, quaternion: home.quaternion }, q0, { rotationWeight: 0.1, maxIterations: 300 });
      expect(result.positionError, `target ${offset.join(', ')}`).toBeLessThan(0.001);
      // Five joints cannot hold any orientation at any position, but the weighted solve stays near it.
      expect(result.rotationError).toBeLessThan(0.5);
    }
    const far = solveIk(chain, { position: home.position.clone().add(new Vector3(2, 0, 0)), quaternion: new Quaternion() }, q0, { rotationWeight: 0.1, maxIterations: 200 });
    expect(far.converged).toBe(false);
    expect(far.positionError).toBeGreaterThan(1.5);
  });

  it('moves its tool point by end-effector deltas in the closed loop (RobotArm)', async () => {
    const a = await arm();
    for (let i = 0; i < 30; i++) a.step({ kind: 'joint_position', q: [0, -0.6, 0.6, 1.2, 0] });
    const start = a.measuredEe().position.clone();
    // 4 cm down in the document's frame (−Y), 2 mm a control step.
    for (let i = 0; i < 20; i++) a.step({ kind: 'ee_delta', dp: [0, -0.002, 0], drot: [0, 0, 0] });
    for (let i = 0; i < 20; i++) a.step(null);
    const moved = a.measuredEe().position.clone().sub(start);
    expect(moved.y).toBeCloseTo(-0.04, 2);
    expect(Math.hypot(moved.x, moved.z)).toBeLessThan(0.005);
  });
});
