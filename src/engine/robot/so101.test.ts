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
