import { Matrix4, Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/usda.ts';
import {
  type Chain,
  clampToLimits,
  forwardKinematics,
  jacobian,
  poseError,
  type Pose,
  solveIk,
  tipPose,
} from './kinematics.ts';
import { PANDA_HOME, PANDA_LIMITS, pandaDhChain, pandaDhFrames } from './pandaDh.ts';

const DEG = Math.PI / 180;

function randomPandaConfiguration(random: () => number): number[] {
  return PANDA_LIMITS.map(([lower, upper]) => lower + (upper - lower) * random());
}

/** Largest absolute difference between two matrices' elements. */
function matrixDistance(a: Matrix4, b: Matrix4): number {
  return Math.max(...a.elements.map((value, i) => Math.abs(value - (b.elements[i] as number))));
}

function expectWithinLimits(chain: Chain, q: ArrayLike<number>) {
  chain.joints.forEach((joint, i) => {
    expect(q[i], joint.name).toBeGreaterThanOrEqual(joint.lower);
    expect(q[i], joint.name).toBeLessThanOrEqual(joint.upper);
  });
}

/** Position and rotation distance between the chain's tip at `q` and `target`, computed independently of the solver's report. */
function tipDistance(chain: Chain, q: ArrayLike<number>, target: Pose) {
  const pose = tipPose(chain, q);
  return { position: pose.position.distanceTo(target.position), rotation: pose.quaternion.angleTo(target.quaternion) };
}

/**
 * Two joints in a moved and turned base: a revolute joint about z, then a
 * prismatic joint sliding along a tilted axis, then a tip offset.
 */
function revolutePrismaticChain(): Chain {
  return {
    base: new Matrix4().makeRotationZ(Math.PI / 2).setPosition(1, 2, 3),
    joints: [
      { name: '/Robot/hinge', type: 'revolute', origin: new Matrix4(), axis: new Vector3(0, 0, 1), lower: -Math.PI, upper: Math.PI },
      {
        name: '/Robot/slider',
        type: 'prismatic',
        origin: new Matrix4().makeRotationX(0.4).setPosition(0.5, 0, 0.1),
        axis: new Vector3(0, 3, 4).normalize(),
        lower: 0,
        upper: 0.3,
      },
    ],
    tip: new Matrix4().makeRotationY(0.3).setPosition(0, 0, 0.1),
  };
}

/**
 * Central finite differences of the tip pose: column j holds the linear
 * velocity (from positions) and the angular velocity (the world rotation
 * vector carrying the tip from q − h·e_j to q + h·e_j), each divided by 2h.
 */
function finiteDifferenceJacobian(chain: Chain, q: number[], h: number): Float64Array {
  const n = q.length;
  const J = new Float64Array(6 * n);
  for (let j = 0; j < n; j++) {
    const plus = [...q];
    const minus = [...q];
    plus[j] = (plus[j] as number) + h;
    minus[j] = (minus[j] as number) - h;
    const derivative = poseError(tipPose(chain, minus), tipPose(chain, plus)).map((value) => value / (2 * h));
    for (let r = 0; r < 6; r++) J[r * n + j] = derivative[r] as number;
  }
  return J;
}

describe('forwardKinematics', () => {
  it('matches the Panda DH reference at 20 random configurations', () => {
    const chain = pandaDhChain();
    const random = seededRandom(11);
    for (let trial = 0; trial < 20; trial++) {
      const q = randomPandaConfiguration(random);
      const fk = forwardKinematics(chain, q);
      const reference = pandaDhFrames(q);
      expect(matrixDistance(fk.tip, reference[9] as Matrix4)).toBeLessThan(1e-9);
      // Each joint's frame after its motion is DH frame i (origin · RotZ(q_i) = the DH link transform).
      fk.joints.forEach((frame, i) => expect(matrixDistance(frame, reference[i] as Matrix4)).toBeLessThan(1e-9));
    }
  });

  it('returns the tip as position and quaternion', () => {
    const chain = pandaDhChain();
    const pose = tipPose(chain, PANDA_HOME);
    const tcp = pandaDhFrames(PANDA_HOME)[9] as Matrix4;
    expect(pose.position.distanceTo(new Vector3().setFromMatrixPosition(tcp))).toBeLessThan(1e-12);
    expect(pose.quaternion.angleTo(new Quaternion().setFromRotationMatrix(tcp))).toBeLessThan(1e-7);
  });

  it('moves the tip along the world axis of a prismatic joint, without turning it', () => {
    const chain = revolutePrismaticChain();
    const before = tipPose(chain, [0.3, 0.1]);
    const after = tipPose(chain, [0.3, 0.25]);
    // Slider axis in world: base turn (z, 90°) · hinge turn (z, 0.3) · slider origin turn (x, 0.4) applied to the local axis.
    const worldAxis = new Vector3(0, 3, 4)
      .normalize()
      .applyAxisAngle(new Vector3(1, 0, 0), 0.4)
      .applyAxisAngle(new Vector3(0, 0, 1), 0.3 + Math.PI / 2);
    const moved = after.position.clone().sub(before.position);
    expect(moved.distanceTo(worldAxis.multiplyScalar(0.15))).toBeLessThan(1e-12);
    expect(after.quaternion.angleTo(before.quaternion)).toBeLessThan(1e-7);
    // The hinge, by contrast, swings the tip about the base's world z through (1, 2, 3): height and radius are kept.
    const swung = tipPose(chain, [1.3, 0.1]);
    expect(swung.position.z).toBeCloseTo(before.position.z, 12);
    const radius = (p: Vector3) => Math.hypot(p.x - 1, p.y - 2);
    expect(radius(swung.position)).toBeCloseTo(radius(before.position), 12);
    expect(swung.position.distanceTo(before.position)).toBeGreaterThan(0.1);
  });

  it('rejects a joint vector of the wrong length, naming the expected count', () => {
    const chain = pandaDhChain();
    const target = tipPose(chain, PANDA_HOME);
    expect(() => forwardKinematics(chain, [0, 0, 0])).toThrow(RangeError);
    expect(() => forwardKinematics(chain, [0, 0, 0])).toThrow(/expected 7 joint values/);
    expect(() => tipPose(chain, new Float64Array(8))).toThrow(/expected 7/);
    expect(() => jacobian(chain, [])).toThrow(/expected 7/);
    expect(() => clampToLimits(chain, [0])).toThrow(/expected 7/);
    expect(() => solveIk(chain, target, [0, 0])).toThrow(/expected 7/);
  });
});

describe('jacobian', () => {
  it('matches central finite differences on the Panda', () => {
    const chain = pandaDhChain();
    const random = seededRandom(23);
    for (let trial = 0; trial < 10; trial++) {
      const q = randomPandaConfiguration(random);
      const J = jacobian(chain, q);
      const numeric = finiteDifferenceJacobian(chain, q, 1e-6);
      expect(J).toHaveLength(6 * 7);
      J.forEach((value, i) => expect(Math.abs(value - (numeric[i] as number)), `entry ${i}`).toBeLessThan(1e-6));
    }
  });

  it('matches central finite differences with a prismatic joint, whose column is [axis; 0]', () => {
    const chain = revolutePrismaticChain();
    const q = [0.7, 0.2];
    const J = jacobian(chain, q);
    const numeric = finiteDifferenceJacobian(chain, q, 1e-6);
    J.forEach((value, i) => expect(Math.abs(value - (numeric[i] as number)), `entry ${i}`).toBeLessThan(1e-6));
    // Row-major 6×2: the slider's angular rows are exactly zero and its linear rows a unit vector.
    expect([J[7], J[9], J[11]]).toEqual([0, 0, 0]);
    expect(Math.hypot(J[1] as number, J[3] as number, J[5] as number)).toBeCloseTo(1, 12);
  });
});

describe('poseError', () => {
  const at = (x: number, y: number, z: number, quaternion = new Quaternion()): Pose => ({
    position: new Vector3(x, y, z),
    quaternion,
  });
  const about = (axis: Vector3, angle: number) => new Quaternion().setFromAxisAngle(axis, angle);
  const X = new Vector3(1, 0, 0);
  const Z = new Vector3(0, 0, 1);

  it('is zero for identical poses and the position difference otherwise', () => {
    expect(Array.from(poseError(at(1, 2, 3, about(X, 1)), at(1, 2, 3, about(X, 1))))).toEqual([0, 0, 0, 0, 0, 0]);
    const e = poseError(at(1, 2, 3), at(1.5, 1, 3.25));
    expect(Array.from(e.subarray(0, 3))).toEqual([0.5, -1, 0.25]);
  });

  it('gives the rotation vector of target · current⁻¹ in world coordinates', () => {
    // current is turned 90° about x; target is that turned a further 30° about WORLD z.
    // The world-frame error is therefore 30° about z, not about current's local z (which points along world −y).
    const current = about(X, Math.PI / 2);
    const target = about(Z, Math.PI / 6).multiply(current);
    const e = poseError(at(0, 0, 0, current), at(0, 0, 0, target));
    expect(e[3]).toBeCloseTo(0, 12);
    expect(e[4]).toBeCloseTo(0, 12);
    expect(e[5]).toBeCloseTo(Math.PI / 6, 12);
  });

  it('takes the short way round (angle ≤ π), whatever the quaternion signs', () => {
    // 270° about z is −90° about z; a negated quaternion is the same rotation.
    const e = poseError(at(0, 0, 0), at(0, 0, 0, about(Z, 1.5 * Math.PI)));
    expect(e[5]).toBeCloseTo(-Math.PI / 2, 12);
    const negated = about(Z, 0.2);
    negated.set(-negated.x, -negated.y, -negated.z, -negated.w);
    expect(poseError(at(0, 0, 0), at(0, 0, 0, negated))[5]).toBeCloseTo(0.2, 12);
    // A tiny rotation keeps its full precision (no 0/0 in the axis).
    expect(poseError(at(0, 0, 0), at(0, 0, 0, about(X, 1e-9)))[3]).toBeCloseTo(1e-9, 20);
  });
});

describe('clampToLimits', () => {
  it('clamps each joint into its own limits and leaves values inside alone', () => {
    const chain = pandaDhChain();
    const clamped = clampToLimits(chain, [5, -5, 0.5, 0, 0, -1, 2]);
    expect(Array.from(clamped)).toEqual([2.8973, -1.7628, 0.5, -0.0698, 0, -0.0175, 2]);
  });
});

describe('solveIk', () => {
  it('reaches at least 48 of 50 random reachable Panda targets from home, always within limits', () => {
    const chain = pandaDhChain();
    const random = seededRandom(1);
    let reached = 0;
    const misses: string[] = [];
    for (let trial = 0; trial < 50; trial++) {
      const target = tipPose(chain, randomPandaConfiguration(random));
      const result = solveIk(chain, target, PANDA_HOME);
      expectWithinLimits(chain, result.q);
      expect(result.iterations).toBeLessThanOrEqual(100);
      // The reported errors are those of the returned q, not of some other iterate.
      const distance = tipDistance(chain, result.q, target);
      expect(result.positionError).toBeCloseTo(distance.position, 9);
      expect(result.rotationError).toBeCloseTo(distance.rotation, 6);
      if (result.converged) {
        expect(result.positionError).toBeLessThanOrEqual(1e-4);
        expect(result.rotationError).toBeLessThanOrEqual(1e-3);
      }
      if (distance.position < 1e-3 && distance.rotation < 0.5 * DEG) reached++;
      else misses.push(`#${trial}: ${(distance.position * 1000).toFixed(1)} mm, ${(distance.rotation / DEG).toFixed(2)}°`);
    }
    expect(reached, `reached ${reached}/50 targets; missed ${misses.join('; ')}`).toBeGreaterThanOrEqual(48);
  });

  it('is deterministic', () => {
    const chain = pandaDhChain();
    const target = tipPose(chain, [1, 0.5, -1, -2, 1, 2, 0]);
    const first = solveIk(chain, target, PANDA_HOME);
    const second = solveIk(chain, target, PANDA_HOME);
    expect(Array.from(second.q)).toEqual(Array.from(first.q));
    expect(second.iterations).toBe(first.iterations);
  });

  it('returns at once, without moving, when q0 already solves the target', () => {
    const chain = pandaDhChain();
    const result = solveIk(chain, tipPose(chain, PANDA_HOME), PANDA_HOME);
    expect(result.converged).toBe(true);
    expect(result.iterations).toBe(0);
    expect(Array.from(result.q)).toEqual(PANDA_HOME);
  });

  it('reaches position-only targets, whatever the orientation', () => {
    const chain = pandaDhChain();
    const random = seededRandom(5);
    let reached = 0;
    for (let trial = 0; trial < 20; trial++) {
      const position = tipPose(chain, randomPandaConfiguration(random)).position;
      // An orientation the arm could never take at that point is ignored in this mode.
      const target = { position, quaternion: new Quaternion().setFromAxisAngle(new Vector3(1, 0, 0), 2 + trial * 0.05) };
      const result = solveIk(chain, target, PANDA_HOME, { positionOnly: true });
      expectWithinLimits(chain, result.q);
      const distance = tipDistance(chain, result.q, target);
      if (result.converged && distance.position < 1e-4) reached++;
      expect(result.rotationError).toBeCloseTo(distance.rotation, 6);
    }
    expect(reached, `reached ${reached}/20 position targets`).toBe(20);
  });

  it('reports failure, the closest approach and limit-respecting joints for an unreachable target', () => {
    // 2 m from the shoulder (joint 2 at height 0.333); the arm reaches under 1 m from it, hand included.
    const chain = pandaDhChain();
    const target = { position: new Vector3(2, 0, 0.333), quaternion: new Quaternion() };
    const result = solveIk(chain, target, PANDA_HOME);
    expect(result.converged).toBe(false);
    expect(result.positionError).toBeGreaterThan(1);
    expect(result.iterations).toBe(100);
    expectWithinLimits(chain, result.q);
    expect(result.positionError).toBeCloseTo(tipDistance(chain, result.q, target).position, 9);
    // It still made progress: the best iterate is closer than home (1.67 m away).
    expect(result.positionError).toBeLessThan(tipPose(chain, PANDA_HOME).position.distanceTo(target.position));
  });

  it('starts from q0 clamped into the limits', () => {
    const chain = pandaDhChain();
    const q0 = [0, 0, 0, 0, 0, 0, 0]; // q4 = 0 and q6 = 0 lie outside the Panda's limits
    const result = solveIk(chain, tipPose(chain, clampToLimits(chain, q0)), q0);
    expect(result.converged).toBe(true);
    expect(result.iterations).toBe(0);
    expect(Array.from(result.q)).toEqual(Array.from(clampToLimits(chain, q0)));
  });

  it('rejects options it cannot honour', () => {
    const chain = pandaDhChain();
    const target = tipPose(chain, PANDA_HOME);
    expect(() => solveIk(chain, target, PANDA_HOME, { damping: 0 })).toThrow(/damping/);
    expect(() => solveIk(chain, target, PANDA_HOME, { maxStep: -1 })).toThrow(/maxStep/);
    expect(() => solveIk(chain, target, PANDA_HOME, { maxIterations: 1.5 })).toThrow(/maxIterations/);
  });
});
