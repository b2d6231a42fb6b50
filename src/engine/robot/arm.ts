/**
 * Controllers for a simulated robot arm, at a control rate decoupled from the physics rate: each
 * control step takes one command (joint positions, joint deltas, an end-effector pose or pose
 * delta through damped-least-squares IK) plus a gripper command, sets the joints' drive targets,
 * and runs physics for 1 / controlHz seconds. Joints are Rapier impulse joints with the drives'
 * motors (see PhysicsWorld.setJointTarget); grasps are friction contacts of the fingers.
 *
 * Gravity compensation (default on) makes the robot's links weightless, standing for the
 * compensation torques a real arm's controller adds (the Panda's does); the drives then only
 * track, and their gains need not fight gravity.
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import type { PhysicsWorld } from '../physics/world.ts';
import { type Pose, clampToLimits, solveIk, tipPose } from './kinematics.ts';
import type { RobotModel } from './model.ts';

export type Vec3 = [number, number, number];

/**
 * Physics settings for robot scenes (PhysicsWorld options). Measured on the bundled Panda: 8 solver
 * iterations with 4 inner PGS iterations track a moving target to ~0.1° mean and keep squeezing
 * fingers within ~3 mm of a held cube's faces; Rapier's defaults (4 and 1) lag ~0.3° and let a
 * grasped cube slip out when shaken. Contacts are predicted 5 mm ahead, not Rapier's 2 cm
 * (PhysicsOptions.predictionDistance): with 2 cm, the SO-101's fixed jaw, coming down beside a
 * 3 cm cube, pressed it into the table through a contact made with its top face.
 */
export const ROBOT_PHYSICS = { dt: 1 / 240, solverIterations: 8, pgsIterations: 4, predictionDistance: 0.005 } as const;

export type ArmCommand =
  /** Absolute joint targets (rad or m), clamped to the limits. */
  | { kind: 'joint_position'; q: ArrayLike<number> }
  /** Joint targets moved by these amounts from the current targets. */
  | { kind: 'joint_delta'; dq: ArrayLike<number> }
  /** Tool centre point to this pose (document world frame). */
  | { kind: 'ee_pose'; position: Vec3; quaternion: [number, number, number, number] }
  /**
   * Tool centre point moved by `dp` (m) and turned by the rotation vector `drot` (rad), both in the
   * world frame, from its commanded pose (the current targets' forward kinematics), so a stream of
   * small deltas does not pile up tracking lag. Pushing into an obstacle winds the target up until
   * the joints' torque limits hold, as on a stiff position-controlled arm.
   */
  | { kind: 'ee_delta'; dp: Vec3; drot: Vec3 };

/** Orientation's weight against position in the IK of arms with fewer than six joints (kinematics.ts rotationWeight). */
export const UNDERACTUATED_ROTATION_WEIGHT = 0.01;

/**
 * Gripper opening, or fully open / closed. For prismatic fingers the width is the opening between
 * the pads (m); a revolute jaw has no metric opening, and its width is the fraction open (0 … 1).
 * `joints`: the gripper joints' positions themselves (rad or m, clamped to their limits), as a
 * joint-position policy commands them.
 */
export type GripperCommand = { width: number } | 'open' | 'close' | { joints: ArrayLike<number> };

export interface ArmOptions {
  /** Control steps per second (default 20). */
  controlHz?: number;
  /** Make the robot's links weightless (default true). */
  gravityCompensation?: boolean;
  /** IK iterations per control step (default 30; warm-started from the current targets). */
  ikIterations?: number;
}

export interface ArmState {
  /** Measured joint positions and velocities. */
  q: Float64Array;
  dq: Float64Array;
  /** Current joint targets. */
  target: Float64Array;
  /** Measured tool centre point pose (world). */
  ee: Pose;
  /** Measured opening: between the finger pads (m), or a jaw's fraction open (0 … 1). */
  gripperWidth: number;
}

export class RobotArm {
  readonly controlHz: number;
  readonly substeps: number;
  readonly target: Float64Array;
  private gripperTarget: number;
  /** The gripper joints' drive targets now (they trail the commanded opening for a gripper with a speed). */
  private readonly gripperJointTargets: number[] = [];
  /** Gripper joint positions commanded directly (GripperCommand `joints`), or null: from the opening. */
  private gripperJointGoal: number[] | null = null;

  /**
   * Where the gripper joints are being driven to (rad or m): the positions commanded directly, or
   * from the opening — fingers share it equally; jaws turn the same fraction of the way from closed to open.
   */
  gripperGoal(): number[] {
    const g = this.model.gripper;
    if (!g) return [];
    const n = this.model.gripperJoints.length;
    return this.model.gripperJoints.map((_, i) => this.gripperJointGoal?.[i] ?? (g.type === 'prismatic' ? g.closed[i]! + this.gripperTarget / n : g.closed[i]! + this.gripperTarget * (g.open[i]! - g.closed[i]!)));
  }
  private readonly ikIterations: number;
  /** IK result of the last pose command: did it reach the pose? */
  lastIk: { converged: boolean; positionError: number; rotationError: number } | null = null;

  constructor(
    readonly world: PhysicsWorld,
    readonly model: RobotModel,
    options: ArmOptions = {},
  ) {
    this.controlHz = options.controlHz ?? 20;
    this.substeps = Math.max(1, Math.round(1 / (this.controlHz * world.dt)));
    this.ikIterations = options.ikIterations ?? 30;
    if (options.gravityCompensation ?? true) for (const link of model.links.slice(1)) world.setGravityScale(link, 0);
    for (const joint of [...model.armJoints, ...model.gripperJoints]) {
      if (!joint.hasDrive) throw new Error(`${joint.path}: the robot's joints need drives (PhysicsDriveAPI) to be controlled`);
    }
    this.target = Float64Array.from(model.armJoints.map((j) => j.target));
    this.gripperTarget = this.maxWidth;
    this.applyTargets(new Float64Array(this.target.length));
    this.applyGripper();
  }

  /** Largest opening of one finger (m); 0 for a jaw gripper or none. */
  fingerTravel(): number {
    const g = this.model.gripper;
    if (g?.type !== 'prismatic') return 0;
    return Math.min(...g.open.map((open, i) => Math.abs(open - g.closed[i]!)));
  }

  /** The gripper's largest opening: between the pads (m) for fingers, 1 (fully open) for a jaw. */
  get maxWidth(): number {
    const g = this.model.gripper;
    if (!g) return 0;
    return g.type === 'prismatic' ? this.fingerTravel() * this.model.gripperJoints.length : 1;
  }

  state(): ArmState {
    const q = Float64Array.from(this.model.armJoints, (j) => this.world.jointPosition(j.path));
    const dq = Float64Array.from(this.model.armJoints, (j) => this.world.jointVelocity(j.path));
    return { q, dq, target: this.target.slice(), ee: this.measuredEe(), gripperWidth: this.measuredGripper() };
  }

  /** The gripper's opening as the simulation has it (see ArmState.gripperWidth). */
  private measuredGripper(): number {
    const g = this.model.gripper;
    if (!g) return 0;
    const travel = this.model.gripperJoints.map((j, i) => this.world.jointPosition(j.path) - g.closed[i]!);
    // Fingers: the pads' opening is the sum of their travels. A jaw: its mean fraction open.
    if (g.type === 'prismatic') return travel.reduce((sum, t) => sum + t, 0);
    return travel.reduce((sum, t, i) => sum + t / (g.open[i]! - g.closed[i]! || 1), 0) / Math.max(1, travel.length);
  }

  /** The tool centre point as the simulated end-effector body carries it. */
  measuredEe(): Pose {
    const s = this.world.bodyState(this.model.endEffector);
    const body = new Matrix4().compose(new Vector3(...s.position), new Quaternion(...s.orientation), new Vector3(1, 1, 1));
    const tcp = body.multiply(this.model.tcp);
    const position = new Vector3();
    const quaternion = new Quaternion();
    tcp.decompose(position, quaternion, new Vector3());
    return { position, quaternion };
  }

  /** The tool centre point the current targets would put it at (forward kinematics). */
  targetEe(): Pose {
    return tipPose(this.model.chain, this.target);
  }

  /** Applies one command and runs physics for one control period. */
  step(command: ArmCommand | null, gripper: GripperCommand | null = null): void {
    const previous = this.target.slice();
    if (command) this.setTargets(command);
    if (gripper !== null) {
      if (typeof gripper === 'object' && 'joints' in gripper) {
        this.gripperJointGoal = this.model.gripperJoints.map((j, i) => Math.min(Math.max(gripper.joints[i] ?? this.gripperJointTargets[i] ?? 0, j.lower), j.upper));
      } else {
        this.gripperJointGoal = null;
        this.gripperTarget = gripper === 'open' ? this.maxWidth : gripper === 'close' ? 0 : Math.min(Math.max(gripper.width, 0), this.maxWidth);
      }
      if (!this.model.gripper?.speed) this.applyGripper();
    }
    // As a real arm's servo loop does, the drives follow the targets interpolated over the control
    // period (not a jump at its start), with the targets' rate of change fed forward as velocity.
    const velocity = Float64Array.from(this.target, (t, i) => (t - previous[i]!) * this.controlHz);
    const goal = this.target.slice();
    for (let s = 1; s <= this.substeps; s++) {
      const f = s / this.substeps;
      this.target.set(Float64Array.from(goal, (t, i) => previous[i]! + (t - previous[i]!) * f));
      this.applyTargets(s === this.substeps ? new Float64Array(goal.length) : velocity);
      if (this.model.gripper?.speed) this.applyGripper(this.world.dt);
      this.world.step(1);
    }
    this.target.set(goal);
  }

  private setTargets(command: ArmCommand): void {
    const chain = this.model.chain;
    switch (command.kind) {
      case 'joint_position':
        this.target.set(clampToLimits(chain, command.q));
        return;
      case 'joint_delta':
        this.target.set(clampToLimits(chain, Array.from(this.target, (t, i) => t + (command.dq[i] ?? 0))));
        return;
      case 'ee_pose':
        this.solve({ position: new Vector3(...command.position), quaternion: new Quaternion(...command.quaternion).normalize() });
        return;
      case 'ee_delta': {
        const ee = this.targetEe();
        const axis = new Vector3(...command.drot);
        const angle = axis.length();
        const turn = angle > 0 ? new Quaternion().setFromAxisAngle(axis.divideScalar(angle), angle) : new Quaternion();
        this.solve({ position: ee.position.add(new Vector3(...command.dp)), quaternion: turn.multiply(ee.quaternion) });
      }
    }
  }

  private solve(goal: Pose): void {
    // No restarts: a control step must move on from where the arm is, never jump to another branch.
    // An arm with fewer than six joints reaches the position first and turns as near the orientation as it can.
    const rotationWeight = this.model.chain.joints.length < 6 ? UNDERACTUATED_ROTATION_WEIGHT : 1;
    const result = solveIk(this.model.chain, goal, this.target, { maxIterations: this.ikIterations, maxStep: 0.3, restarts: false, rotationWeight });
    this.target.set(result.q);
    this.lastIk = { converged: result.converged, positionError: result.positionError, rotationError: result.rotationError };
  }

  private applyTargets(velocity: Float64Array): void {
    this.model.armJoints.forEach((j, i) => this.world.setJointTarget(j.path, this.target[i]!, velocity[i]!));
  }

  /**
   * Sets the gripper joints' drive targets toward the commanded opening: at once, or — for a
   * gripper with a speed (its profile's) — moved at most speed·dt per physics step, as its motor
   * turns (a light jaw pulled there in one step would pass through what it should grasp).
   */
  private applyGripper(dt: number | null = null): void {
    const g = this.model.gripper;
    if (!g) return;
    const goals = this.gripperGoal();
    this.model.gripperJoints.forEach((j, i) => {
      const goal = goals[i]!;
      let target = goal;
      if (g.speed !== null && dt !== null) {
        const now = this.gripperJointTargets[i] ?? goal;
        const stepMax = g.speed * dt;
        target = now + Math.max(-stepMax, Math.min(stepMax, goal - now));
      }
      this.gripperJointTargets[i] = target;
      this.world.setJointTarget(j.path, target);
    });
  }
}
