import { Matrix4, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/usda.ts';
import {
  PANDA_DH,
  PANDA_HAND_ROTATION_Z,
  PANDA_HOME,
  PANDA_LIMITS,
  PANDA_TCP_OFFSET,
  pandaDhChain,
  pandaDhFrames,
} from './pandaDh.ts';

const position = (m: Matrix4) => new Vector3().setFromMatrixPosition(m);
/** Column `i` of the rotation part: frame axis x (0), y (1) or z (2) in base coordinates. */
const axis = (m: Matrix4, i: 0 | 1 | 2) => new Vector3().setFromMatrixColumn(m, i);

function expectVector(actual: Vector3, expected: [number, number, number], tolerance: number) {
  const error = actual.distanceTo(new Vector3(...expected));
  expect(error, `${actual.toArray().map((v) => v.toFixed(6))} vs ${expected}`).toBeLessThan(tolerance);
}

function randomConfiguration(random: () => number): number[] {
  return PANDA_LIMITS.map(([lower, upper]) => lower + (upper - lower) * random());
}

describe('Panda modified-DH reference kinematics', () => {
  it('has the published table, limits and home pose', () => {
    expect(PANDA_DH).toHaveLength(8);
    expect(PANDA_DH.map((row) => row.d)).toEqual([0.333, 0, 0.316, 0, 0.384, 0, 0, 0.107]);
    expect(PANDA_DH.map((row) => row.a)).toEqual([0, 0, 0, 0.0825, -0.0825, 0, 0.088, 0]);
    expect(PANDA_DH.map((row) => row.alpha / (Math.PI / 2))).toEqual([0, -1, 1, 1, -1, 1, 1, 0]);
    expect(PANDA_LIMITS).toHaveLength(7);
    PANDA_HOME.forEach((q, i) => {
      const [lower, upper] = PANDA_LIMITS[i] as [number, number];
      expect(q).toBeGreaterThanOrEqual(lower);
      expect(q).toBeLessThanOrEqual(upper);
    });
  });

  it('puts the flange at (0.088, 0, 0.926) pointing down at q = 0', () => {
    // At q = 0 every link transform is RotX(alpha)·TransX(a)·TransZ(d). All the
    // rotations are about x, so they add up: cumulative twist after frames
    // 1..7 = 0, −π/2, 0, π/2, 0, π/2, π, and the flange keeps π. TransX(a) is
    // along the previous frame's x, which RotX leaves equal to world x, so the
    // a's add straight to world x: 0.0825 − 0.0825 + 0.088 = 0.088.
    // TransZ(d) is along the frame's own z, which is world +z where the
    // cumulative twist is 0 (d1 = 0.333, d3 = 0.316, d5 = 0.384) and world −z
    // where it is π (flange d = 0.107): z = 0.333 + 0.316 + 0.384 − 0.107 = 0.926.
    // The flange orientation is RotX(π): x = (1, 0, 0), y = (0, −1, 0), z = (0, 0, −1).
    const frames = pandaDhFrames([0, 0, 0, 0, 0, 0, 0]);
    expect(frames).toHaveLength(10);
    const flange = frames[7] as Matrix4;
    expectVector(position(flange), [0.088, 0, 0.926], 1e-12);
    expectVector(axis(flange, 0), [1, 0, 0], 1e-12);
    expectVector(axis(flange, 1), [0, -1, 0], 1e-12);
    expectVector(axis(flange, 2), [0, 0, -1], 1e-12);
    // Intermediate origins of the same derivation: frame 4 carries the first offset, frame 5 cancels it.
    expectVector(position(frames[3] as Matrix4), [0.0825, 0, 0.649], 1e-12);
    expectVector(position(frames[4] as Matrix4), [0, 0, 1.033], 1e-12);
  });

  it('puts the TCP at the ready pose (0.307, 0, 0.487) with the hand pointing down at PANDA_HOME', () => {
    // With q1 = q3 = q5 = 0 the arm is planar (xz-plane): joints 2, 4, 6 all
    // turn about axes parallel to world y. Write u(φ) = (sin φ, 0, cos φ) for
    // the direction at pitch φ from +z towards +x. Following the frames:
    //   upper arm z3 at pitch q2,            elbow offset x3 at q2 + 90°,
    //   x4 at q2 − q4 + 90°,                 forearm z5 at q2 − q4,
    //   x6 at q2 − q4 − q6 + 90°,            flange z7 at q2 − q4 − q6 + 180°.
    // (At q = 0 these give the vertical arm of the previous test.) At home,
    // q2 = −45°, q4 = −135°, q6 = 90°: the upper arm leans back 45°, the
    // forearm is horizontal (pitch 90°), x4 points down, x6 forward and the
    // flange z straight down. Then
    //   TCP = (0, 0, 0.333) + 0.316 u(−45°) + 0.0825 u(45°) − 0.0825 u(180°)
    //         + 0.384 u(90°) + 0.088 u(90°) + (0.107 + 0.1034) u(180°)
    //   x = −0.223446 + 0.058336 + 0.384 + 0.088                   = 0.306891
    //   z = 0.333 + 0.223446 + 0.058336 + 0.0825 − 0.107 − 0.1034  = 0.486882
    // which is franka_ros' ready pose O_T_EE ≈ (0.307, 0, 0.487). q7 = +45°
    // about the downward flange z turns the flange x to (1, −1, 0)/√2 and the
    // hand's −45° turns it back, so the hand/TCP frame is x = (1, 0, 0),
    // y = (0, −1, 0), z = (0, 0, −1).
    const frames = pandaDhFrames(PANDA_HOME);
    const tcp = frames[9] as Matrix4;
    expectVector(position(tcp), [0.307, 0, 0.487], 1e-3);
    expectVector(position(tcp), [0.306891, 0, 0.486882], 1e-6);
    expectVector(position(frames[7] as Matrix4), [0.306891, 0, 0.486882 + PANDA_TCP_OFFSET], 1e-6);
    // Frame 5 sits at the wrist end of the horizontal forearm: x = −0.223446 + 0.058336 + 0.384, z = 0.614782 + 0.0825.
    expectVector(position(frames[4] as Matrix4), [0.218891, 0, 0.697282], 1e-6);
    expectVector(axis(tcp, 0), [1, 0, 0], 1e-12);
    expectVector(axis(tcp, 1), [0, -1, 0], 1e-12);
    expectVector(axis(tcp, 2), [0, 0, -1], 1e-12);
  });

  it('orders frames 1..7, flange, hand, TCP with the fixed offsets between them', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 10; trial++) {
      const q = randomConfiguration(random);
      const frames = pandaDhFrames(q);
      const [frame7, flange, hand, tcp] = frames.slice(6) as [Matrix4, Matrix4, Matrix4, Matrix4];
      // Flange = frame 7 moved 0.107 along its own z; hand = flange turned about z; TCP = hand moved along z.
      expect(position(flange).sub(position(frame7)).dot(axis(frame7, 2))).toBeCloseTo(0.107, 12);
      expect(position(hand).distanceTo(position(flange))).toBeLessThan(1e-12);
      expect(axis(flange, 0).angleTo(axis(hand, 0))).toBeCloseTo(Math.abs(PANDA_HAND_ROTATION_Z), 9);
      expect(axis(hand, 2).dot(axis(flange, 2))).toBeCloseTo(1, 12);
      expect(position(tcp).sub(position(hand)).dot(axis(hand, 2))).toBeCloseTo(PANDA_TCP_OFFSET, 12);
      // Every frame is rigid: orthonormal axes, right-handed.
      for (const frame of frames) expect(frame.determinant()).toBeCloseTo(1, 12);
      // Frame i turns about its own z by q_i: frame i's x makes angle q_i with the un-rotated one.
      const zeroed = [...q];
      zeroed[2] = 0;
      const unrotated = pandaDhFrames(zeroed)[2] as Matrix4;
      const rotated = frames[2] as Matrix4;
      const angle = Math.atan2(axis(rotated, 0).dot(axis(unrotated, 1)), axis(rotated, 0).dot(axis(unrotated, 0)));
      expect(angle).toBeCloseTo(q[2] as number, 12);
    }
  });

  it('builds a chain with +z axes and the Panda limits', () => {
    const chain = pandaDhChain();
    expect(chain.joints.map((joint) => joint.name)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `panda_joint${i}`));
    chain.joints.forEach((joint, i) => {
      expect(joint.type).toBe('revolute');
      expect(joint.axis.toArray()).toEqual([0, 0, 1]);
      expect([joint.lower, joint.upper]).toEqual(PANDA_LIMITS[i]);
    });
    expect(chain.base.equals(new Matrix4())).toBe(true);
    // The tip is flange · hand · TCP: 0.107 + 0.1034 along the last joint's z.
    expectVector(position(chain.tip), [0, 0, 0.107 + PANDA_TCP_OFFSET], 1e-15);
  });

  it('rejects a joint vector of the wrong length', () => {
    expect(() => pandaDhFrames([0, 0, 0])).toThrow(RangeError);
    expect(() => pandaDhFrames([0, 0, 0])).toThrow(/7 joints/);
  });
});
