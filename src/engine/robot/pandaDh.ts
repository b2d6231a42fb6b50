/**
 * Franka Emika Panda reference kinematics, straight from Franka's published
 * modified (Craig) Denavit–Hartenberg table. It is an independent ground truth
 * for the generic serial-chain code in `kinematics.ts` (and, later, for chains
 * read from a USD asset): the per-link transform is written out in closed form
 * here rather than composed from three.js helpers, so the two paths share no
 * code beyond `Matrix4` itself.
 */
import { Matrix4, Vector3 } from 'three';
import type { Chain, ChainJoint } from './kinematics.ts';

/** One row of a modified-DH table: T = RotX(alpha)·TransX(a)·RotZ(theta)·TransZ(d). */
export interface DhRow {
  /** Link length a_{i-1} (m), along the previous frame's x. */
  a: number;
  /** Link offset d_i (m), along this frame's z. */
  d: number;
  /** Link twist alpha_{i-1} (rad), about the previous frame's x. */
  alpha: number;
}

/**
 * Panda modified-DH table: rows 0..6 are joints 1..7 (theta_i = q_i), row 7 is
 * the flange (theta fixed at 0).
 */
export const PANDA_DH: readonly DhRow[] = [
  { a: 0, d: 0.333, alpha: 0 },
  { a: 0, d: 0, alpha: -Math.PI / 2 },
  { a: 0, d: 0.316, alpha: Math.PI / 2 },
  { a: 0.0825, d: 0, alpha: Math.PI / 2 },
  { a: -0.0825, d: 0.384, alpha: -Math.PI / 2 },
  { a: 0, d: 0, alpha: Math.PI / 2 },
  { a: 0.088, d: 0, alpha: Math.PI / 2 },
  { a: 0, d: 0.107, alpha: 0 },
];

/** Joint limits [lower, upper] (rad) of joints 1..7, from Franka's datasheet. */
export const PANDA_LIMITS: [number, number][] = [
  [-2.8973, 2.8973],
  [-1.7628, 1.7628],
  [-2.8973, 2.8973],
  [-3.0718, -0.0698],
  [-2.8973, 2.8973],
  [-0.0175, 3.7525],
  [-2.8973, 2.8973],
];

/** The "ready" configuration used by franka_ros / MoveIt: elbow up, hand pointing down. */
export const PANDA_HOME = [0, -Math.PI / 4, 0, (-3 * Math.PI) / 4, 0, Math.PI / 2, Math.PI / 4];

/** The hand (gripper) frame is the flange rotated by this angle (rad) about the flange z. */
export const PANDA_HAND_ROTATION_Z = -Math.PI / 4;

/** Distance (m) from the hand frame to the tool centre point (between the fingertips), along the hand's z. */
export const PANDA_TCP_OFFSET = 0.1034;

/** Number of actuated joints. */
const PANDA_DOF = 7;

/** Closed-form modified-DH link transform RotX(alpha)·TransX(a)·RotZ(theta)·TransZ(d) (Craig, eq. 3.6). */
export function dhTransform(row: DhRow, theta: number): Matrix4 {
  const ct = Math.cos(theta);
  const st = Math.sin(theta);
  const ca = Math.cos(row.alpha);
  const sa = Math.sin(row.alpha);
  // Matrix4.set takes row-major arguments.
  return new Matrix4().set(
    ct, -st, 0, row.a,
    st * ca, ct * ca, -sa, -sa * row.d,
    st * sa, ct * sa, ca, ca * row.d,
    0, 0, 0, 1,
  );
}

/** Fixed transform from the flange to the tool centre point: rotate into the hand frame, then step along its z. */
function flangeToTcp(): { hand: Matrix4; tcp: Matrix4 } {
  const hand = new Matrix4().makeRotationZ(PANDA_HAND_ROTATION_Z);
  const tcp = new Matrix4().makeTranslation(0, 0, PANDA_TCP_OFFSET);
  return { hand, tcp };
}

/**
 * Base-frame poses for joint angles `q` (7 values, rad). Returns 10 matrices,
 * in this order: frames 1..7 (indices 0..6, each after its joint's rotation),
 * flange (7), hand (8), tool centre point (9).
 */
export function pandaDhFrames(q: ArrayLike<number>): Matrix4[] {
  if (q.length !== PANDA_DOF) throw new RangeError(`Panda has ${PANDA_DOF} joints, got ${q.length} joint values`);
  const frames: Matrix4[] = [];
  const pose = new Matrix4();
  PANDA_DH.forEach((row, i) => {
    const theta = i < PANDA_DOF ? (q[i] as number) : 0;
    pose.multiply(dhTransform(row, theta));
    frames.push(pose.clone());
  });
  const { hand, tcp } = flangeToTcp();
  pose.multiply(hand);
  frames.push(pose.clone());
  pose.multiply(tcp);
  frames.push(pose.clone());
  return frames;
}

/**
 * Link-fixed part of a DH row: RotX(alpha)·TransX(a)·TransZ(d). RotZ(theta)
 * and TransZ(d) commute (both act along z), so the row equals this origin
 * followed by a rotation of theta about +z — exactly a revolute ChainJoint.
 */
function dhOrigin(row: DhRow): Matrix4 {
  return new Matrix4()
    .makeRotationX(row.alpha)
    .multiply(new Matrix4().makeTranslation(row.a, 0, 0))
    .multiply(new Matrix4().makeTranslation(0, 0, row.d));
}

/** The Panda as a generic serial Chain (base = identity, tip = tool centre point); its FK equals `pandaDhFrames`' TCP. */
export function pandaDhChain(): Chain {
  const joints: ChainJoint[] = PANDA_LIMITS.map(([lower, upper], i) => ({
    name: `panda_joint${i + 1}`,
    type: 'revolute',
    origin: dhOrigin(PANDA_DH[i] as DhRow),
    axis: new Vector3(0, 0, 1),
    lower,
    upper,
  }));
  const { hand, tcp } = flangeToTcp();
  const tip = dhOrigin(PANDA_DH[PANDA_DOF] as DhRow).multiply(hand).multiply(tcp);
  return { base: new Matrix4(), joints, tip };
}
