/**
 * Scripted experts: for each task, a plan of tool-point waypoints (grasp selection from the
 * object's pose, approach, descend, grip, carry, release) followed at a bounded speed, turned
 * into the episode's actions (end-effector deltas + gripper). Experts read simulator state (object
 * poses), as scripted demonstrators do; policies later learn from their camera images instead.
 * An expert that cannot reach a pose (IK fails) reports it and the episode is a recorded failure.
 */
import { Quaternion, Vector3 } from 'three';
import { normal } from '../randomize/draw.ts';
import type { Episode } from './episode.ts';

/** Tool-point speed limits while following a plan. */
const MAX_SPEED = 0.25; // m/s
const SLOW_SPEED = 0.12; // m/s, near objects
const CARRY_SPEED = 0.18; // m/s, with an object in hand
const MAX_TURN = 1.5; // rad/s

interface Waypoint {
  position: Vector3;
  quaternion: Quaternion;
  gripper: 'open' | 'close';
  speed: number;
  /** Control steps to wait at the waypoint (e.g. for the fingers to close). */
  hold: number;
}

export interface Expert {
  /** The next action (holding still once the plan is done), or null for an empty plan. */
  act(): Float32Array | null;
  /** Why the expert gave up, when it did. */
  failure: string | null;
}

const UP = new Vector3(0, 1, 0);

/**
 * Follows waypoints in order: each step moves the commanded pose toward the current waypoint by
 * at most speed / controlHz (and MAX_TURN / controlHz in angle), then holds.
 */
class WaypointFollower implements Expert {
  failure: string | null = null;
  private index = 0;
  private held = 0;
  private readonly position: Vector3;
  private readonly quaternion: Quaternion;

  private readonly waypoints: Waypoint[] = [];

  /** Waypoints, or functions making one from the state when it becomes the current one. */
  constructor(
    private readonly episode: Episode,
    private readonly plan: (Waypoint | (() => Waypoint))[],
  ) {
    const ee = episode.arm.targetEe();
    this.position = ee.position;
    this.quaternion = ee.quaternion;
  }

  act(): Float32Array | null {
    if (this.index < this.plan.length && this.waypoints.length === this.index) {
      const next = this.plan[this.index]!;
      this.waypoints.push(typeof next === 'function' ? next() : next);
    }
    const w = this.waypoints[this.index];
    if (!w) {
      // Plan done: hold still, gripper as it was.
      const last = this.waypoints[this.waypoints.length - 1];
      return last ? Float32Array.from([0, 0, 0, 0, 0, 0, last.gripper === 'close' ? 1 : -1]) : null;
    }
    const hz = this.episode.arm.controlHz;
    const toGo = w.position.clone().sub(this.position);
    const stepLength = Math.min(toGo.length(), w.speed / hz);
    const angle = this.quaternion.angleTo(w.quaternion);
    const turn = Math.min(1, angle > 1e-9 ? MAX_TURN / hz / angle : 1);
    const linearFraction = toGo.length() > 1e-9 ? stepLength / toGo.length() : 1;
    // Move and turn together: both finish when the slower one does.
    const fraction = Math.min(linearFraction, turn);
    const nextPosition = this.position.clone().addScaledVector(toGo, fraction);
    const nextQuaternion = this.quaternion.clone().slerp(w.quaternion, fraction);
    const arrived = fraction >= 1 - 1e-9;

    const target = this.episode.arm.targetEe();
    const dp = nextPosition.clone().sub(target.position);
    const rel = nextQuaternion.clone().multiply(target.quaternion.clone().invert());
    if (rel.w < 0) rel.set(-rel.x, -rel.y, -rel.z, -rel.w);
    const half = Math.acos(Math.min(1, rel.w));
    const s = Math.sin(half);
    const drot = s > 1e-9 ? new Vector3(rel.x, rel.y, rel.z).multiplyScalar((2 * half) / s) : new Vector3();
    this.position.copy(nextPosition);
    this.quaternion.copy(nextQuaternion);
    if (arrived && this.held++ >= w.hold) {
      this.index++;
      this.held = 0;
    }
    const ik = this.episode.arm.lastIk;
    if (ik && !ik.converged && ik.positionError > 0.01) this.failure ??= `could not reach a waypoint (${(ik.positionError * 100).toFixed(1)} cm off)`;
    return Float32Array.from([dp.x, dp.y, dp.z, drot.x, drot.y, drot.z, w.gripper === 'close' ? 1 : -1]);
  }
}

const DOWN = new Vector3(0, -1, 0);

/**
 * The tool orientation nearest the episode's start whose approach axis points straight down: the
 * start itself for an arm that starts pointing down (the Panda), else the start tilted until it does.
 */
function downwardHome(episode: Episode): Quaternion {
  const home = episode.arm.targetEe().quaternion;
  const approach = episode.arm.model.grasp.approach.clone().applyQuaternion(home);
  if (approach.dot(DOWN) > 1 - 1e-9) return home;
  return new Quaternion().setFromUnitVectors(approach, DOWN).multiply(home);
}

/**
 * How high above an object the tool approaches and carries it (m): 12 cm for an arm the Panda's
 * size, less for a smaller arm (15% of its reach, the sum of its links' lengths), so a tabletop
 * arm like the SO-101 stays where it can still point its jaw down.
 */
function clearance(episode: Episode): number {
  const { chain } = episode.arm.model;
  const position = (m: { elements: ArrayLike<number> }) => Math.hypot(m.elements[12]!, m.elements[13]!, m.elements[14]!);
  const reach = chain.joints.slice(1).reduce((sum, j) => sum + position(j.origin), 0) + position(chain.tip);
  return Math.min(0.12, 0.15 * reach);
}

/** Where the fingers or jaw close along, in the world, with the tool at `q`. */
function closingAxis(episode: Episode, q: Quaternion): Vector3 {
  return episode.arm.model.grasp.closing.clone().applyQuaternion(q);
}

/** The tool orientation pointing down with the fingers' closing axis turned by `yaw` about the vertical from home. */
function downward(home: Quaternion, yaw: number): Quaternion {
  return new Quaternion().setFromAxisAngle(UP, yaw).multiply(home);
}

/**
 * The yaw (about the vertical, from the home orientation) that lines the fingers up with one pair
 * of the object's vertical faces: of the two pairs, the one whose open fingers come down farthest
 * from the other objects (the smaller turn when both are clear).
 */
function graspYaw(episode: Episode, path: string, home: Quaternion): number {
  const yaw = faceYaw(episode, path, home);
  const centre = episode.position(path);
  const fingers = closingAxis(episode, home);
  const others = episode.objects.filter((p) => p !== path).map((p) => episode.position(p));
  // Clearance of the open fingers (at ±5 cm along the closing axis) from the other objects' centres.
  const clearance = (candidate: number) => {
    const axis = fingers.clone().applyAxisAngle(UP, candidate);
    const tips = [1, -1].map((side) => centre.clone().addScaledVector(axis, side * 0.05));
    return Math.min(Infinity, ...tips.flatMap((t) => others.map((o) => Math.hypot(t.x - o.x, t.z - o.z))));
  };
  const other = yaw - Math.sign(yaw || 1) * (Math.PI / 2);
  const CLEAR = 0.06;
  const a = clearance(yaw);
  const b = clearance(other);
  return a >= CLEAR || a >= b ? yaw : other;
}

/** The smallest yaw that lines the fingers up with a pair of the object's vertical faces. */
function faceYaw(episode: Episode, path: string, home: Quaternion): number {
  const q = new Quaternion(...episode.world.bodyState(path).orientation);
  // The object's most horizontal local axis, in the world.
  const axes = [new Vector3(1, 0, 0), new Vector3(0, 1, 0), new Vector3(0, 0, 1)].map((a) => a.applyQuaternion(q));
  const face = axes.reduce((best, a) => (Math.abs(a.y) < Math.abs(best.y) ? a : best));
  const fingers = closingAxis(episode, home);
  const angle = (v: Vector3) => Math.atan2(v.z, v.x);
  // Rotating by ψ about +Y lowers atan2(z, x) by ψ.
  let yaw = angle(fingers) - angle(face);
  yaw -= (Math.PI / 2) * Math.round(yaw / (Math.PI / 2));
  return yaw;
}

function waypoint(position: Vector3, quaternion: Quaternion, gripper: 'open' | 'close', speed = MAX_SPEED, hold = 0): Waypoint {
  return { position: position.clone(), quaternion: quaternion.clone(), gripper, speed, hold };
}

/** Above, down onto, grip: the start of every pick. Returns the waypoints and the grasp orientation. */
function pickWaypoints(episode: Episode, path: string, home: Quaternion): { waypoints: Waypoint[]; grasp: Quaternion; at: Vector3 } {
  const centre = episode.position(path);
  const grasp = downward(home, graspYaw(episode, path, home));
  const above = centre.clone().addScaledVector(UP, clearance(episode));
  // Pads (2 cm tall, centred on the tool point) a little above the object's middle: held above
  // its centre of mass, the object hangs stably instead of tipping about the pads.
  const at = centre.clone().addScaledVector(UP, 0.008);
  return {
    grasp,
    at,
    waypoints: [waypoint(above, grasp, 'open'), waypoint(at, grasp, 'open', SLOW_SPEED), waypoint(at, grasp, 'close', SLOW_SPEED, 12)],
  };
}

/** Half an object's height (from its size at the start). */
const halfHeight = (episode: Episode, path: string) => episode.size.get(path)!.y / 2;

/**
 * Pick `path`, carry it so its centre ends at `drop()` (read when the object is in the air), let
 * go, and back off upward. Where the tool point goes follows from where the object sits in the
 * hand once lifted (closing the fingers shifts it), not from where it was grasped.
 */
function pickAndPlace(episode: Episode, path: string, drop: () => Vector3): (Waypoint | (() => Waypoint))[] {
  const home = downwardHome(episode);
  const { waypoints, grasp, at } = pickWaypoints(episode, path, home);
  // Where the tool point must be for the object's centre to be at the drop point, from where the
  // object sits in the hand now. Aimed twice: in the air, and again just above the drop.
  let release = new Vector3();
  const aim = () => {
    const inHand = episode.arm.targetEe().position.sub(episode.position(path));
    release = drop().add(inHand);
    return release;
  };
  const carry = at.y + clearance(episode);
  return [
    ...waypoints,
    waypoint(new Vector3(at.x, carry, at.z), grasp, 'close', SLOW_SPEED),
    () => {
      const r = aim();
      // Hold over the drop so the object, which can swing a little about the pads, settles.
      return waypoint(new Vector3(r.x, Math.max(carry, r.y + 0.06), r.z), grasp, 'close', CARRY_SPEED, 12);
    },
    () => waypoint(aim().clone().addScaledVector(UP, 0.015), grasp, 'close', SLOW_SPEED, 8),
    () => waypoint(aim(), grasp, 'close', SLOW_SPEED / 2, 4),
    () => waypoint(release, grasp, 'open', SLOW_SPEED, 10),
    () => waypoint(release.clone().addScaledVector(UP, clearance(episode) * (0.1 / 0.12)), grasp, 'open', SLOW_SPEED, 40),
  ];
}

const experts: Record<string, (episode: Episode) => Expert> = {
  reach(episode) {
    const home = episode.arm.targetEe().quaternion;
    return new WaypointFollower(episode, [waypoint(episode.goal!, home, 'open', MAX_SPEED, 40)]);
  },

  lift(episode) {
    const home = downwardHome(episode);
    const { waypoints, grasp, at } = pickWaypoints(episode, episode.target!, home);
    // Up to 1.6 times the height the task asks for (16 cm for the Panda's 10).
    const height = 'lift' in episode.task.success ? episode.task.success.lift.height : 0.1;
    return new WaypointFollower(episode, [...waypoints, waypoint(at.clone().addScaledVector(UP, 1.6 * height), grasp, 'close', SLOW_SPEED, 40)]);
  },

  place(episode) {
    const target = episode.target!;
    const start = episode.start.get(target)!;
    // Set it down where it started in height (resting on the table), over the region's centre.
    return new WaypointFollower(episode, pickAndPlace(episode, target, () => new Vector3(episode.region!.center.x, start.y + 0.004, episode.region!.center.z)));
  },

  stack(episode) {
    const target = episode.target!;
    const onSupport = () => episode.position(episode.support!).addScaledVector(UP, halfHeight(episode, episode.support!) + halfHeight(episode, target) + 0.006);
    return new WaypointFollower(episode, pickAndPlace(episode, target, onSupport));
  },

  push(episode) {
    const home = downwardHome(episode);
    const target = episode.target!;
    const cube = episode.position(target);
    const goal = episode.region!.center;
    const along = new Vector3(goal.x - cube.x, 0, goal.z - cube.z);
    const distance = along.length();
    along.normalize();
    // Closed fingers side by side across the push direction: the closing axis perpendicular to it.
    const across = new Vector3(-along.z, 0, along.x);
    const fingers = closingAxis(episode, home);
    const yaw0 = Math.atan2(fingers.z, fingers.x) - Math.atan2(across.z, across.x);
    const yaw = yaw0 - Math.PI * Math.round(yaw0 / Math.PI);
    const q = downward(home, yaw);
    // Fingertips a centimetre above the table, behind the object by half its size and a finger.
    const low = episode.start.get(target)!.y - halfHeight(episode, target) + 0.01 + 0.01;
    const back = halfHeight(episode, target) * Math.SQRT2 + 0.03;
    const behind = new Vector3(cube.x, low, cube.z).addScaledVector(along, -back);
    // Push until the object's centre is past the region's centre by a little.
    const end = behind.clone().addScaledVector(along, distance + 0.01);
    return new WaypointFollower(episode, [
      waypoint(behind.clone().addScaledVector(UP, 0.12), q, 'close'),
      waypoint(behind, q, 'close', SLOW_SPEED),
      waypoint(end, q, 'close', 0.08),
      waypoint(end.clone().addScaledVector(UP, 0.1), q, 'close', SLOW_SPEED, 40),
    ]);
  },
};

/** The scripted expert for an episode's task (by its success predicate). */
export function expertFor(episode: Episode): Expert {
  const kind = Object.keys(episode.task.success)[0]!;
  const make = experts[kind];
  if (!make) throw new Error(`no scripted expert for ${kind} tasks yet`);
  return make(episode);
}

/**
 * DART-style action noise (Laskey et al., 2017): the robot executes the expert's action plus a
 * perturbation while the demonstration records the expert's own action, so the data holds states a
 * little off the expert's path labelled with the expert's correction back onto it, which is what a
 * cloned policy needs once its own errors take it off that path. The expert tracks its commanded
 * pose, so each step's label undoes the offset the perturbation left; the offset follows an
 * Ornstein–Uhlenbeck process per axis (standard deviation `position` metres / `rotation` radians,
 * correlation time `tau` seconds), drifting as a policy's errors do rather than jittering. Every
 * draw comes from (seed, episode, step, axis). The gripper is never perturbed.
 */
export interface ActionNoise {
  /** Stationary standard deviation of the tool point's offset, metres. */
  position: number;
  /** Stationary standard deviation of the tool's rotation offset per axis, radians. */
  rotation: number;
  /** Correlation time, seconds (default 0.5). */
  tau?: number;
}

/** The offsets (6 numbers: position then rotation vector) for each control step of one episode. */
export class NoiseProcess {
  private readonly offset = new Float64Array(6);
  private readonly rho: number;
  private step = 0;

  constructor(
    private readonly noise: ActionNoise,
    private readonly seed: number,
    private readonly episode: number,
    controlHz: number,
  ) {
    if (!(noise.position >= 0 && noise.rotation >= 0)) throw new RangeError(`action noise must be non-negative, got position ${noise.position}, rotation ${noise.rotation}`);
    const tau = noise.tau ?? 0.5;
    if (!(tau > 0)) throw new RangeError(`action noise correlation time must be positive, got ${tau}`);
    this.rho = Math.exp(-1 / (controlHz * tau));
    // Start at a stationary draw, so the first steps are as perturbed as the rest.
    for (let i = 0; i < 6; i++) this.offset[i] = this.std(i) * this.draw(i);
  }

  /** The offset to add to the next executed action (the change that moves the state to this step's offset). */
  next(): Float64Array {
    this.step++;
    const kick = Math.sqrt(1 - this.rho * this.rho);
    for (let i = 0; i < 6; i++) this.offset[i] = this.rho * this.offset[i]! + kick * this.std(i) * this.draw(i);
    return this.offset;
  }

  private std(axis: number): number {
    return axis < 3 ? this.noise.position : this.noise.rotation;
  }

  private draw(axis: number): number {
    return normal(this.seed, this.episode, `dart:${this.step}:${axis}`, 0, 1);
  }
}

/**
 * Runs an episode with its expert to the end; returns whether it succeeded and how many steps it
 * took. `onStep` sees the expert's action (what a demonstration records) and, with `noise`, the
 * offset of the commanded pose from the expert's path at that moment (position, then rotation
 * vector): the action undoes it, and the expert's actions from the next step on, plus the offset
 * then, are its path's own steps. With `noise` the robot executes the action perturbed (ActionNoise).
 */
export function runExpert(
  episode: Episode,
  onStep?: (action: Float32Array, offset: Float32Array | null) => void,
  noise?: ActionNoise,
): { success: boolean; steps: number; failure: string | null } {
  const expert = expertFor(episode);
  const perturb = noise && (noise.position > 0 || noise.rotation > 0) ? new NoiseProcess(noise, episode.seed, episode.index, episode.arm.controlHz) : null;
  // Where the commanded pose is off the expert's path now (none before the first perturbation).
  let offset = perturb ? new Float32Array(6) : null;
  while (!episode.done) {
    const action = expert.act() ?? Float32Array.from([0, 0, 0, 0, 0, 0, -1]);
    onStep?.(action, offset);
    if (perturb) {
      // The expert steers its commanded pose back onto its path every step, so executing
      // action + next offset leaves the commanded pose that offset away from the path.
      const next = perturb.next();
      const executed = Float32Array.from(action);
      for (let i = 0; i < 6; i++) executed[i] = action[i]! + next[i]!;
      offset = Float32Array.from(next);
      episode.step(executed);
    } else {
      episode.step(action);
    }
    if (expert.failure) break;
  }
  return { success: episode.success, steps: episode.steps, failure: episode.success ? null : (expert.failure ?? 'ran out of steps') };
}
