import { readFileSync } from 'node:fs';
import { Quaternion, Vector3 } from 'three';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSceneFile } from '../load.ts';
import { PhysicsWorld } from '../physics/world.ts';
import type { SceneDocument } from '../scene/schema.ts';
import { ROBOT_PHYSICS, RobotArm } from './arm.ts';
import { tipPose } from './kinematics.ts';
import { robotFromScene } from './model.ts';
import { PANDA_HOME } from './pandaDh.ts';

const panda = (await loadSceneFile(readFileSync('scenes/panda_tabletop.usda'), 'panda_tabletop.usda')).document;
const DEG = 180 / Math.PI;
const CUBE = '/World/Objects/RedCube';

let world: PhysicsWorld | null = null;
afterEach(() => {
  world?.free();
  world = null;
});

async function setup(doc: SceneDocument = panda) {
  world = await PhysicsWorld.create(doc, ROBOT_PHYSICS);
  const arm = new RobotArm(world, robotFromScene(doc), { controlHz: 20 });
  return { world, arm };
}

const position = (w: PhysicsWorld, path: string) => new Vector3(...w.bodyState(path).position);

/** Straight-line TCP motion to `goal` over `seconds` (smoothstep timing), keeping `orientation`. */
function moveTo(arm: RobotArm, goal: Vector3, orientation: Quaternion, seconds: number, gripper: 'open' | 'close' | null = null) {
  const start = arm.targetEe().position;
  const steps = Math.round(seconds * arm.controlHz);
  for (let k = 1; k <= steps; k++) {
    const s = k / steps;
    const p = start.clone().lerp(goal, s * s * (3 - 2 * s));
    arm.step({ kind: 'ee_pose', position: [p.x, p.y, p.z], quaternion: [orientation.x, orientation.y, orientation.z, orientation.w] }, gripper);
  }
}

describe('the Panda under joint control', () => {
  it('starts at home and holds it (gravity compensated) to a thousandth of a degree', async () => {
    const { arm } = await setup();
    for (let k = 0; k < 20; k++) arm.step(null);
    const s = arm.state();
    s.q.forEach((q, i) => expect(Math.abs(q - PANDA_HOME[i]!) * DEG, `joint ${i + 1}`).toBeLessThan(1e-3));
    expect(s.gripperWidth).toBeCloseTo(0.08, 4);
    // The measured tool point is where forward kinematics puts it.
    expect(s.ee.position.distanceTo(tipPose(arm.model.chain, s.q).position)).toBeLessThan(1e-4);
  });

  it('tracks a 0.3 rad, 0.25 Hz sinusoid on all seven joints at once: mean error under 0.3°, worst under 1.5°', async () => {
    const { arm } = await setup();
    const errors: number[] = [];
    for (let k = 1; k <= 80; k++) {
      const t = k / 20;
      const ramp = Math.min(1, t);
      arm.step({ kind: 'joint_position', q: PANDA_HOME.map((h, i) => h + 0.3 * ramp * Math.sin(2 * Math.PI * 0.25 * t + i)) });
      const s = arm.state();
      errors.push(...s.q.map((q, i) => Math.abs(q - s.target[i]!) * DEG));
    }
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    expect(mean).toBeLessThan(0.3);
    expect(Math.max(...errors)).toBeLessThan(1.5);
  });

  it('reaches joint 6 beyond half a turn (its range is −1° … 215°) and reads it back there', async () => {
    const { arm, world } = await setup();
    const q = [...PANDA_HOME];
    q[5] = 3.5; // 200°
    for (let k = 0; k < 40; k++) arm.step({ kind: 'joint_position', q });
    expect(world.jointPosition('/World/Panda/joint6')).toBeCloseTo(3.5, 2);
  });

  it('clamps joint targets to the limits and applies joint deltas from the current targets', async () => {
    const { arm } = await setup();
    arm.step({ kind: 'joint_position', q: [10, 0, 0, 0, 0, 0, 0] });
    expect(arm.target[0]).toBeCloseTo(2.8973, 4);
    expect(arm.target[3]).toBeCloseTo(-0.0698, 4); // joint 4 cannot reach 0
    arm.step({ kind: 'joint_delta', dq: [-0.1, 0, 0, -0.2, 0, 0, 0] });
    expect(arm.target[0]).toBeCloseTo(2.7973, 4);
    expect(arm.target[3]).toBeCloseTo(-0.2698, 4);
  });
});

describe('the Panda under end-effector control', () => {
  it('moves the tool point along a straight line to a pose within 2 mm and 1°', async () => {
    const { arm } = await setup();
    const home = arm.measuredEe();
    const goal = home.position.clone().add(new Vector3(0.1, -0.15, 0.12));
    const turned = new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), 0.4).multiply(home.quaternion);
    moveTo(arm, goal, turned, 2);
    for (let k = 0; k < 5; k++) arm.step(null);
    const ee = arm.measuredEe();
    expect(arm.lastIk!.converged).toBe(true);
    expect(ee.position.distanceTo(goal)).toBeLessThan(0.002);
    expect(ee.quaternion.angleTo(turned) * DEG).toBeLessThan(1);
  });

  it('applies pose deltas in the world frame from the commanded pose, without drift', async () => {
    const { arm } = await setup();
    const before = arm.measuredEe();
    for (let k = 0; k < 10; k++) arm.step({ kind: 'ee_delta', dp: [0, 0.01, 0], drot: [0, 0, 0] });
    for (let k = 0; k < 5; k++) arm.step(null);
    const after = arm.measuredEe();
    const moved = after.position.clone().sub(before.position);
    expect(moved.y).toBeCloseTo(0.1, 2);
    expect(Math.hypot(moved.x, moved.z)).toBeLessThan(0.003);
    expect(after.quaternion.angleTo(before.quaternion) * DEG).toBeLessThan(0.2);
    // A turn about the vertical, in place.
    for (let k = 0; k < 10; k++) arm.step({ kind: 'ee_delta', dp: [0, 0, 0], drot: [0, 0.05, 0] });
    for (let k = 0; k < 5; k++) arm.step(null);
    const turned = arm.measuredEe();
    expect(turned.position.distanceTo(after.position)).toBeLessThan(0.002);
    expect(turned.quaternion.angleTo(new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), 0.5).multiply(after.quaternion)) * DEG).toBeLessThan(0.5);
  });

  it('says when a pose is out of reach, and still moves as close as it can', async () => {
    const { arm } = await setup();
    const far = arm.measuredEe().position.add(new Vector3(2, 0, 0));
    const q = arm.measuredEe().quaternion;
    arm.step({ kind: 'ee_pose', position: [far.x, far.y, far.z], quaternion: [q.x, q.y, q.z, q.w] });
    expect(arm.lastIk!.converged).toBe(false);
    expect(arm.lastIk!.positionError).toBeGreaterThan(1);
  });
});

describe('grasping with friction', () => {
  /** Pick the red cube: over it, down, gripper `closing`, up 10 cm, then shake. */
  async function pick(closing: boolean) {
    const { arm, world } = await setup();
    const start = position(world, CUBE);
    const down = arm.measuredEe().quaternion;
    moveTo(arm, start.clone().add(new Vector3(0, 0.15, 0)), down, 1.5, 'open');
    moveTo(arm, start, down, 1);
    for (let k = 0; k < 20; k++) arm.step(null, closing ? 'close' : 'open');
    const width = arm.state().gripperWidth;
    moveTo(arm, start.clone().add(new Vector3(0, 0.1, 0)), down, 1);
    const lifted = position(world, CUBE).y - start.y;
    // Shake: ±4 cm circles at 1.5 Hz for two seconds.
    const centre = arm.targetEe().position;
    for (let k = 0; k < 40; k++) {
      const t = k / 20;
      const p = centre.clone().add(new Vector3(0.04 * Math.sin(3 * Math.PI * t), 0, 0.04 * Math.cos(3 * Math.PI * t) - 0.04));
      arm.step({ kind: 'ee_pose', position: [p.x, p.y, p.z], quaternion: [down.x, down.y, down.z, down.w] });
    }
    return { width, lifted, afterShake: position(world, CUBE).y - start.y, fromTcp: position(world, CUBE).distanceTo(arm.measuredEe().position) };
  }

  it('closes on a 5 cm cube, lifts it 10 cm and keeps it through a shake', async () => {
    const { width, lifted, afterShake, fromTcp } = await pick(true);
    // The pads stop at the cube's faces (they may sink a few millimetres into the soft contact).
    expect(width).toBeGreaterThan(0.042);
    expect(width).toBeLessThan(0.05);
    expect(lifted).toBeGreaterThan(0.095);
    expect(afterShake).toBeGreaterThan(0.09);
    expect(fromTcp).toBeLessThan(0.01);
  });

  it('without closing, the cube stays on the table (nothing sticks to the fingers)', async () => {
    const { width, lifted, afterShake } = await pick(false);
    expect(width).toBeCloseTo(0.08, 3);
    expect(Math.abs(lifted)).toBeLessThan(0.002);
    expect(Math.abs(afterShake)).toBeLessThan(0.002);
  });
});
