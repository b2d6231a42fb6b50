/**
 * Serial-chain kinematics: forward kinematics, the geometric Jacobian and a
 * damped-least-squares inverse-kinematics solver. Pure math on three.js
 * matrices, DOM-free and deterministic, so it runs the same in the editor, in
 * workers and in Node tests.
 *
 * FK convention: T = base; for each joint i, T = T · origin_i · motion_i(q_i),
 * where motion is a rotation by q about the joint axis (revolute) or a
 * translation by q·axis (prismatic); the tip pose is T · tip.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';

export interface ChainJoint {
  /** Joint prim path (for messages). */
  name: string;
  type: 'revolute' | 'prismatic';
  /** Pose of this joint's frame in the previous joint's frame after that joint's motion (for the first joint: in the chain's base frame). */
  origin: Matrix4;
  /** Unit axis of motion in this joint's frame. */
  axis: Vector3;
  /** Limits (rad or m); -Infinity/Infinity when unbounded. */
  lower: number;
  upper: number;
}

export interface Chain {
  /** World pose of the chain's base frame. */
  base: Matrix4;
  joints: ChainJoint[];
  /** Pose of the tool centre point in the last joint's frame after its motion. */
  tip: Matrix4;
}

/** A rigid pose in the world frame. */
export interface Pose {
  position: Vector3;
  quaternion: Quaternion;
}

export interface IkOptions {
  /** Largest number of solver steps (default 100). */
  maxIterations?: number;
  /**
   * Damping λ of the least-squares step while far from the target (default
   * 0.05); larger is steadier near singularities, smaller converges faster.
   * It fades out as the error shrinks (see solveIk).
   */
  damping?: number;
  /** Converged when the tip is this close (m) to the target position (default 1e-4). */
  positionTolerance?: number;
  /** Converged when the tip orientation is within this angle (rad) of the target (default 1e-3). */
  rotationTolerance?: number;
  /** Match the target position only and ignore its orientation. */
  positionOnly?: boolean;
  /**
   * Weight of the orientation error against the position error (default 1). An arm with fewer than
   * six joints cannot match every pose: a small weight (RobotArm uses UNDERACTUATED_ROTATION_WEIGHT)
   * makes the position come first and the orientation as close as the arm can turn it — the SO-101
   * keeps its jaw pointing down by pitch, not yaw.
   */
  rotationWeight?: number;
  /** Largest change of any joint in one step (rad or m, default 0.2). */
  maxStep?: number;
  /**
   * Restart from spread-out configurations when the solver stalls in a local
   * minimum (default true). Turn off to stay on q0's solution branch, e.g.
   * while the user drags a target and the arm must not jump.
   */
  restarts?: boolean;
}

export interface IkResult {
  /** Best joint values found (within limits). */
  q: Float64Array;
  converged: boolean;
  /** Distance (m) from the tip to the target position at `q`. */
  positionError: number;
  /** Angle (rad) between the tip and target orientations at `q` (reported even when positionOnly). */
  rotationError: number;
  /** Solver steps taken (all attempts together; at most maxIterations). */
  iterations: number;
}

/** Throws unless `q` has one value per joint. */
function checkLength(chain: Chain, q: ArrayLike<number>): void {
  const n = chain.joints.length;
  if (q.length !== n) throw new RangeError(`expected ${n} joint values (one per chain joint), got ${q.length}`);
}

/** The joint's own motion for value `q`: rotation about the axis or translation along it. */
function jointMotion(joint: ChainJoint, q: number): Matrix4 {
  // Normalise a copy: makeRotationAxis silently skews the matrix for a non-unit axis.
  const axis = joint.axis.clone().normalize();
  if (joint.type === 'revolute') return new Matrix4().makeRotationAxis(axis, q);
  return new Matrix4().makeTranslation(axis.x * q, axis.y * q, axis.z * q);
}

/** World frame of each joint after its motion, and the world pose of the tip. */
export function forwardKinematics(chain: Chain, q: ArrayLike<number>): { joints: Matrix4[]; tip: Matrix4 } {
  checkLength(chain, q);
  const pose = chain.base.clone();
  const joints = chain.joints.map((joint, i) => {
    pose.multiply(joint.origin).multiply(jointMotion(joint, q[i] as number));
    return pose.clone();
  });
  return { joints, tip: pose.multiply(chain.tip) };
}

/** World position and orientation of the tip. */
export function tipPose(chain: Chain, q: ArrayLike<number>): Pose {
  const position = new Vector3();
  const quaternion = new Quaternion();
  forwardKinematics(chain, q).tip.decompose(position, quaternion, new Vector3());
  return { position, quaternion };
}

/**
 * The 6×n geometric Jacobian of the tip in the world frame, row-major: rows
 * 0..2 map joint velocities to the tip's linear velocity, rows 3..5 to its
 * angular velocity. A revolute joint contributes [z × (p_tip − p_i); z], a
 * prismatic one [z; 0], with z the joint axis in world and p_i the joint
 * frame's origin (which the axis passes through).
 */
export function jacobian(chain: Chain, q: ArrayLike<number>): Float64Array {
  const fk = forwardKinematics(chain, q);
  const n = chain.joints.length;
  const J = new Float64Array(6 * n);
  const tip = new Vector3().setFromMatrixPosition(fk.tip);
  const z = new Vector3();
  const p = new Vector3();
  const offset = new Vector3();
  const linear = new Vector3();
  chain.joints.forEach((joint, i) => {
    const frame = fk.joints[i] as Matrix4;
    // The motion about/along the axis leaves the axis itself fixed, so the frame after motion carries it.
    z.copy(joint.axis).transformDirection(frame);
    if (joint.type === 'revolute') {
      p.setFromMatrixPosition(frame);
      linear.crossVectors(z, offset.subVectors(tip, p));
      J[0 * n + i] = linear.x;
      J[1 * n + i] = linear.y;
      J[2 * n + i] = linear.z;
      J[3 * n + i] = z.x;
      J[4 * n + i] = z.y;
      J[5 * n + i] = z.z;
    } else {
      J[0 * n + i] = z.x;
      J[1 * n + i] = z.y;
      J[2 * n + i] = z.z;
    }
  });
  return J;
}

/**
 * Error that moves `current` onto `target`, as a 6-vector: the position
 * difference target − current, then the rotation vector (axis·angle, world
 * frame, angle in [0, π]) of target · current⁻¹.
 */
export function poseError(current: Pose, target: Pose): Float64Array {
  const e = new Float64Array(6);
  e[0] = target.position.x - current.position.x;
  e[1] = target.position.y - current.position.y;
  e[2] = target.position.z - current.position.z;
  const delta = current.quaternion.clone().normalize().invert().premultiply(target.quaternion.clone().normalize());
  // q and −q are the same rotation; pick w ≥ 0 so the angle is the short way round (≤ π).
  const sign = delta.w < 0 ? -1 : 1;
  const w = sign * delta.w;
  const vx = sign * delta.x;
  const vy = sign * delta.y;
  const vz = sign * delta.z;
  const s = Math.hypot(vx, vy, vz);
  // angle = 2·atan2(s, w), rotation vector = angle · v / s; as s → 0 the factor tends to 2 / w.
  const factor = s > 1e-12 ? (2 * Math.atan2(s, w)) / s : 2 / w;
  e[3] = factor * vx;
  e[4] = factor * vy;
  e[5] = factor * vz;
  return e;
}

/** Copy of `q` with every value clamped into its joint's limits. */
export function clampToLimits(chain: Chain, q: ArrayLike<number>): Float64Array {
  checkLength(chain, q);
  return Float64Array.from(chain.joints, (joint, i) => Math.min(joint.upper, Math.max(joint.lower, q[i] as number)));
}

/**
 * Solves A·x = b in place for a symmetric positive-definite m×m matrix A
 * (row-major) by Cholesky factorisation; returns x. A is overwritten with its
 * lower factor. The damping term λ²I keeps J·Jᵀ + λ²I positive definite, so a
 * non-positive pivot only means λ is too small for floating point.
 */
function solveSpd(A: Float64Array, b: Float64Array, m: number): Float64Array {
  for (let j = 0; j < m; j++) {
    let diag = A[j * m + j] as number;
    for (let k = 0; k < j; k++) diag -= (A[j * m + k] as number) ** 2;
    if (!(diag > 0)) throw new RangeError('IK damping is too small: J·Jᵀ + λ²I is not numerically positive definite');
    const l = Math.sqrt(diag);
    A[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let sum = A[i * m + j] as number;
      for (let k = 0; k < j; k++) sum -= (A[i * m + k] as number) * (A[j * m + k] as number);
      A[i * m + j] = sum / l;
    }
  }
  const x = Float64Array.from(b);
  // Forward substitution L·y = b, then back substitution Lᵀ·x = y.
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < i; k++) x[i] = (x[i] as number) - (A[i * m + k] as number) * (x[k] as number);
    x[i] = (x[i] as number) / (A[i * m + i] as number);
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let k = i + 1; k < m; k++) x[i] = (x[i] as number) - (A[k * m + i] as number) * (x[k] as number);
    x[i] = (x[i] as number) / (A[i * m + i] as number);
  }
  return x;
}

/**
 * Damped-least-squares step Δq = Jᵀ (J Jᵀ + λ² I)⁻¹ e over the first `m` rows
 * of the 6×n Jacobian `J`, using only the joints marked free (the others get
 * Δq = 0, as if their columns were removed).
 */
function dlsStep(J: Float64Array, n: number, m: number, e: Float64Array, damping: number, free: boolean[]): Float64Array {
  const A = new Float64Array(m * m);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c <= r; c++) {
      let sum = r === c ? damping * damping : 0;
      for (let k = 0; k < n; k++) if (free[k]) sum += (J[r * n + k] as number) * (J[c * n + k] as number);
      A[r * m + c] = sum;
      A[c * m + r] = sum;
    }
  }
  const y = solveSpd(A, e.subarray(0, m), m);
  const dq = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    if (!free[k]) continue;
    let sum = 0;
    for (let r = 0; r < m; r++) sum += (J[r * n + k] as number) * (y[r] as number);
    dq[k] = sum;
  }
  return dq;
}

/** Fills in defaults and rejects options the solver cannot honour. */
function resolveOptions(options: IkOptions): Required<IkOptions> {
  const resolved: Required<IkOptions> = {
    maxIterations: options.maxIterations ?? 100,
    damping: options.damping ?? 0.05,
    positionTolerance: options.positionTolerance ?? 1e-4,
    rotationTolerance: options.rotationTolerance ?? 1e-3,
    positionOnly: options.positionOnly ?? false,
    rotationWeight: options.rotationWeight ?? 1,
    maxStep: options.maxStep ?? 0.2,
    restarts: options.restarts ?? true,
  };
  if (!(Number.isInteger(resolved.maxIterations) && resolved.maxIterations >= 0)) {
    throw new RangeError(`maxIterations must be a non-negative integer, got ${resolved.maxIterations}`);
  }
  for (const key of ['damping', 'positionTolerance', 'rotationTolerance', 'maxStep', 'rotationWeight'] as const) {
    const value = resolved[key];
    if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`${key} must be a positive number, got ${value}`);
  }
  return resolved;
}

/**
 * Error norm (m and rad mixed, as the least-squares step sees it) below which
 * the damping fades out. With λ = damping·‖e‖/FADE the step along any
 * direction is at most ‖e‖·σ/(σ² + λ²) ≤ ‖e‖/(2λ) = FADE/(2·damping), so it
 * stays bounded even at a singularity, while a well-conditioned Jacobian gets
 * an almost undamped (Gauss–Newton) step. λ² ∝ ‖e‖² is the Levenberg–Marquardt
 * choice of Yamashita and Fukushima, which converges quadratically near a
 * solution instead of crawling at the rate λ²/(σ² + λ²) per step that a fixed
 * λ gives along a small singular value σ.
 */
const DAMPING_FADE_ERROR = 0.1;

/** Damping never fades below this fraction: J·Jᵀ + λ²I must stay positive definite at an exact singularity. */
const MIN_DAMPING_FRACTION = 1e-3;

/** A step counts as progress when it brings the score below this fraction of the attempt's best so far (a 5% cut). */
const PROGRESS_FACTOR = 0.95;

/** Steps in a row without progress after which an attempt counts as stalled (in a local minimum or against limits). */
const STALL_STEPS = 3;

/** Candidate configurations scored per restart; the one whose tip is closest to the target starts the next attempt. */
const RESTART_CANDIDATES = 8;

/** The first `count` primes (bases of the Halton sequence, one per joint). */
function firstPrimes(count: number): number[] {
  const primes: number[] = [];
  for (let k = 2; primes.length < count; k++) if (primes.every((p) => k % p !== 0)) primes.push(k);
  return primes;
}

/** Van der Corput radical inverse of `index` in `base`: the Halton sequence's coordinate, in [0, 1). */
function radicalInverse(index: number, base: number): number {
  let result = 0;
  let scale = 1 / base;
  for (let i = index; i > 0; i = Math.floor(i / base), scale /= base) result += scale * (i % base);
  return result;
}

/**
 * Halton point number `index` (≥ 1) mapped into the joint ranges: a
 * deterministic, evenly spread restart configuration. A side without a limit
 * is replaced by q0 ± π for a revolute joint (a full turn covers it) and by q0
 * itself for a prismatic one (there is no natural length scale to search).
 */
function haltonConfiguration(chain: Chain, q0: Float64Array, primes: number[], index: number): Float64Array {
  return Float64Array.from(chain.joints, (joint, i) => {
    const reach = joint.type === 'revolute' ? Math.PI : 0;
    const lower = Number.isFinite(joint.lower) ? joint.lower : (q0[i] as number) - reach;
    const upper = Number.isFinite(joint.upper) ? joint.upper : (q0[i] as number) + reach;
    return lower + (upper - lower) * radicalInverse(index, primes[i] as number);
  });
}

/**
 * Inverse kinematics by damped least squares, Δq = Jᵀ (J Jᵀ + λ² I)⁻¹ e,
 * starting from `q0` (clamped to the limits). Deterministic: same inputs,
 * same answer.
 *
 * - Each step is scaled down so no joint moves more than maxStep (the
 *   linearisation is only trusted locally), then clamped to the limits.
 * - A joint already at a limit that the step would push further out is frozen
 *   for that step and the step is re-solved without it, so the other joints
 *   take up its share instead of the step being lost to the clamp.
 * - λ = damping while the error is large and fades with it (see
 *   DAMPING_FADE_ERROR), so the last millimetres take a few steps, not dozens.
 * - With `restarts` (default), an attempt that stalls is abandoned and the
 *   next one starts from the best of a few Halton configurations; all
 *   attempts share the maxIterations budget. A 7-joint arm with tight limits
 *   has many local minima, and one start from q0 misses ~1 in 5 random
 *   reachable targets.
 *
 * Returns the best iterate seen (errors in units of their tolerances), which
 * is the first converged one when the solver converges.
 */
export function solveIk(chain: Chain, target: Pose, q0: ArrayLike<number>, options: IkOptions = {}): IkResult {
  const opts = resolveOptions(options);
  const n = chain.joints.length;
  const rows = opts.positionOnly ? 3 : 6;
  const goal: Pose = { position: target.position.clone(), quaternion: target.quaternion.clone().normalize() };
  const start = clampToLimits(chain, q0);
  const primes = firstPrimes(n);

  /** Errors at `q`, and their sum in units of the tolerances so metres and radians compare. */
  const evaluate = (config: Float64Array) => {
    const e = poseError(tipPose(chain, config), goal);
    const positionError = Math.hypot(e[0] as number, e[1] as number, e[2] as number);
    const rotationError = Math.hypot(e[3] as number, e[4] as number, e[5] as number);
    const converged =
      positionError <= opts.positionTolerance && (opts.positionOnly || rotationError <= opts.rotationTolerance);
    const score = positionError / opts.positionTolerance + (opts.positionOnly ? 0 : (opts.rotationWeight * rotationError) / opts.rotationTolerance);
    return { e, positionError, rotationError, converged, score };
  };

  const q = Float64Array.from(start);
  let current = evaluate(q);
  let best = { q: Float64Array.from(q), ...current };
  /** Keeps the best iterate; a converged one always wins (the loop stops at the first). */
  const record = () => {
    if (current.converged || current.score < best.score) best = { q: Float64Array.from(q), ...current };
  };
  let attemptBest = current.score;
  let stalledSteps = 0;
  let restarts = 0;
  let steps = 0;

  while (!current.converged && steps < opts.maxIterations) {
    q.set(ikStep(chain, q, current.e, rows, opts));
    steps++;
    current = evaluate(q);
    record();
    if (current.score < PROGRESS_FACTOR * attemptBest) {
      attemptBest = current.score;
      stalledSteps = 0;
    } else if (++stalledSteps >= STALL_STEPS && opts.restarts && n > 0 && !current.converged) {
      restarts++;
      q.set(bestRestart(chain, start, primes, restarts, evaluate));
      current = evaluate(q);
      record();
      attemptBest = current.score;
      stalledSteps = 0;
    }
  }
  return {
    q: best.q,
    converged: best.converged,
    positionError: best.positionError,
    rotationError: best.rotationError,
    iterations: steps,
  };
}

/** Of the Halton candidates for restart number `restart` (≥ 1), the one with the lowest error score. */
function bestRestart(
  chain: Chain,
  q0: Float64Array,
  primes: number[],
  restart: number,
  evaluate: (q: Float64Array) => { score: number },
): Float64Array {
  // Index 0 of the Halton sequence is the all-lower-limits corner, so numbering starts at 1.
  const first = (restart - 1) * RESTART_CANDIDATES + 1;
  let chosen = haltonConfiguration(chain, q0, primes, first);
  let chosenScore = evaluate(chosen).score;
  for (let index = first + 1; index < first + RESTART_CANDIDATES; index++) {
    const candidate = haltonConfiguration(chain, q0, primes, index);
    const { score } = evaluate(candidate);
    if (score < chosenScore) {
      chosen = candidate;
      chosenScore = score;
    }
  }
  return chosen;
}

/** One damped-least-squares step from `q` towards error `e` (first `rows` entries), limited and clamped. */
function ikStep(chain: Chain, q: Float64Array, e: Float64Array, rows: number, opts: Required<IkOptions>): Float64Array {
  const n = chain.joints.length;
  let norm = 0;
  for (let r = 0; r < rows; r++) norm += (e[r] as number) ** 2;
  const fade = Math.min(1, Math.max(MIN_DAMPING_FRACTION, Math.sqrt(norm) / DAMPING_FADE_ERROR));
  const damping = opts.damping * fade;

  const J = jacobian(chain, q);
  if (rows === 6 && opts.rotationWeight !== 1) {
    // Weighted least squares: the orientation rows of J and e scaled by the weight.
    e = Float64Array.from(e, (v, r) => (r >= 3 ? v * opts.rotationWeight : v));
    for (let k = 3 * n; k < 6 * n; k++) J[k] = (J[k] as number) * opts.rotationWeight;
  }
  const free = chain.joints.map(() => true);
  let dq = dlsStep(J, n, rows, e, damping, free);
  // Each pass that changes anything freezes at least one more joint, so this ends within n passes.
  for (let changed = true; changed; ) {
    changed = false;
    chain.joints.forEach((joint, k) => {
      const value = q[k] as number;
      const step = dq[k] as number;
      if (free[k] && ((value <= joint.lower && step < 0) || (value >= joint.upper && step > 0))) {
        free[k] = false;
        changed = true;
      }
    });
    if (changed) dq = dlsStep(J, n, rows, e, damping, free);
  }

  let largest = 0;
  for (const step of dq) largest = Math.max(largest, Math.abs(step));
  const scale = largest > opts.maxStep ? opts.maxStep / largest : 1;
  return clampToLimits(chain, q.map((value, k) => value + scale * (dq[k] as number)));
}
