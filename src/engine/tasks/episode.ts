/**
 * One episode of a task: the scene randomized for (seed, episode index) — the task's randomization
 * spec, named colours, the target, the goal point or region — a physics world with the robot under
 * its controllers, and the success predicate checked on simulator state after every control step.
 * Episode k depends only on (seed, k): every draw is unit(seed, k, path) and physics is
 * deterministic for the same inputs.
 *
 * Observation: `state` = the arm's joint positions then the finger positions (rad, m). Action
 * (7 numbers, per control step): the tool point's displacement (m) and rotation vector (rad) in
 * the world frame, then the gripper (< 0 open, ≥ 0 close), as robosuite's OSC_POSE controller
 * and LIBERO's datasets do (there, normalised to [-1, 1]; here in SI units).
 */
import { Box3, Quaternion, Vector3 } from 'three';
import { PhysicsWorld } from '../physics/world.ts';
import { choiceIndex, unit } from '../randomize/draw.ts';
import { subtreeWorldBounds } from '../randomize/bounds.ts';
import { sampleFrame } from '../randomize/sample.ts';
import { matchPrims } from '../randomize/select.ts';
import { primIndex } from '../scene/hierarchy.ts';
import { newPrim } from '../scene/prim.ts';
import { DEFAULT_LOOK, type Prim, type SceneDocument } from '../scene/schema.ts';
import { ROBOT_PHYSICS, RobotArm } from '../robot/arm.ts';
import { type RobotModel, robotFromScene } from '../robot/model.ts';
import { fromFeature, parseRobotProfile, resolveProfile, type RobotProfile, toFeature } from '../robot/profile.ts';
import { setUpRobot } from '../robot/setup.ts';

/** A robot profile and the file it came from (errors name it). */
export interface RobotProfileFile {
  profile: RobotProfile;
  file: string;
}

/** A profile file's text read (checked; errors name `file`). */
export function readRobotProfileFile(text: string, file: string): RobotProfileFile {
  return { profile: parseRobotProfile(text, file), file };
}
import { type GraspRecord, type Outcome, OutcomeTracker, REACH_MARGIN } from './outcome.ts';
import type { TaskSpec } from './spec.ts';

export const ACTION_NAMES = ['dx', 'dy', 'dz', 'drx', 'dry', 'drz', 'gripper'] as const;
export const GOAL_PRIM = '/World/TaskGoal';
export const REGION_PRIM = '/World/TaskRegion';

export interface Region {
  center: Vector3;
  /** Along world X and Z. */
  size: [number, number];
}

export interface Observation {
  /** Joint positions then finger positions. */
  state: Float32Array;
  ee: { position: Vector3; quaternion: Quaternion };
  gripperWidth: number;
}

const TABLE_GAP = 0.01;

/** A visual-only prim (no body, no collider) the cameras see. */
function markerPrim(path: string, geometry: Prim['geometry'], position: Vector3, color: [number, number, number]): Prim {
  return newPrim(path, geometry!.kind === 'sphere' ? 'Sphere' : 'Cube', {
    transform: { position: [position.x, position.y, position.z], orientation: [0, 0, 0, 1], scale: [1, 1, 1] },
    geometry,
    material: { color, roughness: 0.8, metallic: 0, opacity: 1 },
  });
}

export class Episode {
  steps = 0;
  success = false;
  done = false;
  /** Where each task object started (its centre), and its size. */
  readonly start = new Map<string, Vector3>();
  readonly size = new Map<string, Vector3>();
  private readonly tracker: OutcomeTracker;

  private constructor(
    readonly task: TaskSpec,
    readonly seed: number,
    readonly index: number,
    readonly doc: SceneDocument,
    readonly world: PhysicsWorld,
    readonly arm: RobotArm,
    readonly objects: string[],
    readonly target: string | null,
    readonly support: string | null,
    readonly goal: Vector3 | null,
    readonly region: Region | null,
    readonly instruction: string,
    readonly randomized: Record<string, unknown>,
  ) {
    const bounds = (path: string) => subtreeWorldBounds(doc, path);
    for (const path of objects) {
      const box = bounds(path);
      this.start.set(path, box.getCenter(new Vector3()));
      this.size.set(path, box.getSize(new Vector3()));
    }
    const kind = Object.keys(task.success)[0];
    const reach = 'reach' in task.success ? task.success.reach.tolerance + REACH_MARGIN : target ? Math.max(...this.size.get(target)!.toArray()) / 2 + REACH_MARGIN : 0;
    this.tracker = new OutcomeTracker(objects, target, reach, kind !== 'push' && kind !== 'reach', goal);
  }

  /** Builds episode `index` of `task` on `scene` (the task's scene file, loaded). */
  /** `robot`: the robot's profile (and its file, for messages); without one it is inferred (robot/profile.ts). */
  static async create(task: TaskSpec, scene: SceneDocument, seed: number, index: number, robot?: RobotProfileFile): Promise<Episode> {
    const draw = (path: string) => unit(seed, index, `task:${path}`);
    // The robot at its profile's home pose, with the profile's cameras, before anything is drawn.
    if (robot) scene = setUpRobot(scene, resolveProfile(robot.profile, scene, robot.file), robot.file);
    const sample = await sampleFrame(scene, task.randomizeSpec, { seed, frame: index });
    const doc = sample.scene;
    const randomized: Record<string, unknown> = { ...sample.randomized };
    const prims = primIndex(doc);

    // Named colours, all different: a random permutation of the palette (order by a hash each).
    const colourOf = new Map<string, string>();
    if (task.palette) {
      const names = Object.keys(task.palette.colors).sort((a, b) => draw(`palette:${a}`) - draw(`palette:${b}`));
      matchPrims(doc.prims, task.palette.objects).forEach((path, i) => {
        const name = names[i]!;
        const prim = prims.get(path)!;
        const base = prim.material ?? DEFAULT_LOOK;
        prim.material = { ...base, color: [...task.palette!.colors[name]!] as [number, number, number] };
        prim.labels = { ...prim.labels, color: [name] };
        colourOf.set(path, name);
        randomized[`${path}:palette`] = name;
      });
    }

    // The target (and, for stacking, the support it goes on).
    const candidates = task.target ? matchPrims(doc.prims, task.target.objects) : [];
    const objects = task.palette ? matchPrims(doc.prims, task.palette.objects) : candidates;
    let target: string | null = null;
    let support: string | null = null;
    if (task.target) {
      target = candidates[choiceIndex(seed, index, 'task:target', candidates.length, null)]!;
      if (task.target.support) {
        const rest = candidates.filter((p) => p !== target);
        support = rest[choiceIndex(seed, index, 'task:support', rest.length, null)]!;
      }
      randomized['task:target'] = target;
      if (support) randomized['task:support'] = support;
    }

    // A marked point (reach) and a region on the table (place, push), visual only.
    let goal: Vector3 | null = null;
    if (task.goal) {
      const { min, max } = task.goal.volume;
      goal = new Vector3(...[0, 1, 2].map((k) => min[k]! + (max[k]! - min[k]!) * draw(`goal[${k}]`)));
      doc.prims.push(markerPrim(GOAL_PRIM, { kind: 'sphere', radius: task.goal.radius }, goal, [0.1, 0.9, 0.3]));
      randomized['task:goal'] = goal.toArray().map((v) => Number(v.toPrecision(7)));
    }
    let region: Region | null = null;
    if (task.region) {
      const { min, max } = task.region.center;
      const starts = objects.map((p) => subtreeWorldBounds(doc, p).getCenter(new Vector3()));
      // The first draw far enough from every object's start (draws are numbered, so still pure).
      for (let attempt = 0; attempt < 100 && !region; attempt++) {
        const c = new Vector3(...[0, 1, 2].map((k) => min[k]! + (max[k]! - min[k]!) * draw(`region#${attempt}[${k}]`)));
        const clear = starts.every((s) => Math.hypot(s.x - c.x, s.z - c.z) >= task.region!.clearance + Math.max(...task.region!.size) / 2);
        if (clear || attempt === 99) region = { center: c, size: [...task.region.size] };
      }
      const thin = 0.002;
      doc.prims.push(markerPrim(REGION_PRIM, { kind: 'box', size: [region!.size[0], thin, region!.size[1]] }, region!.center, [0.95, 0.8, 0.1]));
      randomized['task:region'] = region!.center.toArray().map((v) => Number(v.toPrecision(7)));
    }

    const templates = task.instructions;
    const template = templates[choiceIndex(seed, index, 'task:instruction', templates.length, null)]!;
    // The object's class label, else its prim name without a trailing number ("cube_2" → cube).
    const classOf = (path: string | null) => (path ? (prims.get(path)?.labels['class']?.[0] ?? path.split('/').pop()!.replace(/[_-]?\d+$/, '').toLowerCase()) : '');
    const instruction = template
      .replaceAll('{color}', target ? (colourOf.get(target) ?? '') : '')
      .replaceAll('{object}', classOf(target))
      .replaceAll('{support_color}', support ? (colourOf.get(support) ?? '') : '')
      .replaceAll('{support_object}', classOf(support));

    const world = await PhysicsWorld.create(doc, ROBOT_PHYSICS);
    const arm = new RobotArm(world, robotFromScene(doc, task.robot, robot ? resolveProfile(robot.profile, doc, robot.file) : undefined), { controlHz: task.control_hz });
    return new Episode(task, seed, index, doc, world, arm, objects, target, support, goal, region, instruction, randomized);
  }

  /** Where an object's centre is now. */
  position(path: string): Vector3 {
    return new Vector3(...this.world.bodyState(path).position);
  }

  observe(): Observation {
    const s = this.arm.state();
    const fingers = this.arm.model.gripperJoints.map((j) => this.world.jointPosition(j.path));
    return { state: Float32Array.from([...s.q, ...fingers]), ee: s.ee, gripperWidth: s.gripperWidth };
  }

  /** Names of the `state` entries datasets record: the profile's feature names, else the joints'. */
  stateNames(): string[] {
    const features = this.arm.model.features;
    if (features) return features.map((f) => f.name);
    return [...this.arm.model.armJoints, ...this.arm.model.gripperJoints].map((j) => j.path.split('/').pop()!);
  }

  /**
   * The state as the profile's features record it (degrees, normalised ranges, …), or null when the
   * profile names no features. With `targets`, the joints' commanded positions instead of where they
   * are (the joint-position action a leader arm gives); `gripperClosed` then says the gripper's.
   */
  featureState(targets?: { gripperClosed: boolean }): Float32Array | null {
    const { features, gripper } = this.arm.model;
    if (!features) return null;
    const grip = targets ? (gripper ? (targets.gripperClosed ? gripper.closed : gripper.open) : []) : null;
    return Float32Array.from(features, (f) => this.featureValue(f, grip));
  }

  /**
   * A feature's value: where its joint is now, or with `gripperTargets` (the gripper joints'
   * commanded positions) where the arm's targets and those put it.
   */
  private featureValue(f: NonNullable<RobotModel['features']>[number], gripperTargets: readonly number[] | null): number {
    if (gripperTargets) {
      const arm = this.arm.model.armJoints.findIndex((j) => j.path === f.joint.path);
      const grip = this.arm.model.gripperJoints.findIndex((j) => j.path === f.joint.path);
      if (arm >= 0) return toFeature(f, this.arm.target[arm]!);
      if (grip >= 0) return toFeature(f, gripperTargets[grip]!);
    }
    return toFeature(f, this.world.jointPosition(f.joint.path));
  }

  /** One control step with a 7-number action; then checks success. Returns whether the episode is over. */
  step(action: ArrayLike<number>): boolean {
    return this.stepIn('ee_delta_pose', action);
  }

  /**
   * One control step with an action in `space`: ee_delta_pose as `step` (7 numbers);
   * joint_position and joint_delta are the 7 arm joints (rad) then the gripper (< 0 open, ≥ 0
   * close). Then checks success; returns whether the episode is over.
   */
  stepIn(space: 'ee_delta_pose' | 'joint_position' | 'joint_delta' | 'features', action: ArrayLike<number>, featureNames?: readonly string[]): boolean {
    if (this.done) throw new Error(`episode ${this.index} is over (${this.success ? 'succeeded' : 'ran out of steps'})`);
    if (space === 'features') return this.stepFeatures(featureNames ?? [], action);
    const joints = this.arm.model.armJoints.length;
    const expected = space === 'ee_delta_pose' ? ACTION_NAMES.length : joints + 1;
    if (action.length !== expected) throw new RangeError(space === 'ee_delta_pose' ? `expected ${ACTION_NAMES.length} action values (${ACTION_NAMES.join(', ')}), got ${action.length}` : `expected ${expected} ${space} action values (${joints} joints, then the gripper), got ${action.length}`);
    const a = Array.from(action);
    if (a.some((v) => !Number.isFinite(v))) throw new RangeError(`action has a value that is not a finite number: [${a.join(', ')}]`);
    const gripper = a[a.length - 1]! >= 0 ? 'close' : 'open';
    if (space === 'ee_delta_pose') this.arm.step({ kind: 'ee_delta', dp: [a[0]!, a[1]!, a[2]!], drot: [a[3]!, a[4]!, a[5]!] }, gripper);
    else if (space === 'joint_position') this.arm.step({ kind: 'joint_position', q: a.slice(0, joints) }, gripper);
    else this.arm.step({ kind: 'joint_delta', dq: a.slice(0, joints) }, gripper);
    return this.afterStep(gripper === 'close');
  }

  /**
   * One control step that sets the named profile features (joint targets in their units: degrees,
   * LeRobot's gripper 0 … 100, …; LeRobot's joint-position action); arm joints not named keep their
   * targets, and the gripper's joints go where its features say. Then checks success.
   */
  private stepFeatures(names: readonly string[], action: ArrayLike<number>): boolean {
    const { features, armJoints, gripperJoints } = this.arm.model;
    if (!features) throw new RangeError(`the robot's profile names no features, so an action by feature (${names.join(', ')}) cannot be applied`);
    if (action.length !== names.length) throw new RangeError(`expected ${names.length} feature action values (${names.join(', ')}), got ${action.length}`);
    const a = Array.from(action);
    if (a.some((v) => !Number.isFinite(v))) throw new RangeError(`action has a value that is not a finite number: [${a.join(', ')}]`);
    const q = Array.from(this.arm.target);
    const grip = this.arm.gripperGoal();
    let gripperSet = false;
    names.forEach((name, k) => {
      const f = features.find((x) => x.name === name);
      if (!f) throw new RangeError(`the robot has no feature "${name}" (its features: ${features.map((x) => x.name).join(', ')})`);
      const value = fromFeature(f, a[k]!);
      const i = armJoints.findIndex((j) => j.path === f.joint.path);
      const g = gripperJoints.findIndex((j) => j.path === f.joint.path);
      if (i >= 0) q[i] = value;
      else if (g >= 0) ((grip[g] = value), (gripperSet = true));
    });
    this.arm.step({ kind: 'joint_position', q }, gripperSet ? { joints: grip } : null);
    const g = this.arm.model.gripper;
    // Closing when the gripper is commanded nearer closed than open.
    const closing = g !== null && grip.length > 0 && grip.every((v, i) => Math.abs(v - g.closed[i]!) < Math.abs(v - g.open[i]!));
    return this.afterStep(closing);
  }

  /** The named features at the robot's current targets (what holding still commands). */
  featureTargets(names: readonly string[]): Float64Array {
    const grip = this.arm.gripperGoal();
    return Float64Array.from(names, (name) => {
      const f = this.arm.model.features?.find((x) => x.name === name);
      if (!f) throw new RangeError(`the robot has no feature "${name}"`);
      return this.featureValue(f, grip);
    });
  }

  /** The profile's features by name, where the joints are now (for policies taking state by feature). */
  featureValues(): Record<string, number> | undefined {
    const features = this.arm.model.features;
    if (!features) return undefined;
    const values = this.featureState()!;
    return Object.fromEntries(features.map((f, i) => [f.name, values[i]!]));
  }

  private afterStep(closing: boolean): boolean {
    this.steps++;
    this.tracker.observe({ rise: (p) => this.position(p).y - this.start.get(p)!.y, tool: () => this.arm.measuredEe().position, position: (p) => this.position(p), closing });
    this.success = this.check();
    this.done = this.success || this.steps >= this.task.max_steps;
    return this.done;
  }

  /** Why the episode ended as it did, from what happened over its steps so far (see outcome.ts). */
  outcome(): Outcome {
    return this.tracker.classify(this.success);
  }

  /** Grasp attempts and where the first one closed (see outcome.ts). */
  grasps(): GraspRecord {
    return this.tracker.grasps;
  }

  /** The success predicate on the current simulator state. */
  check(): boolean {
    const success = this.task.success;
    const released = () => this.arm.state().gripperWidth > 0.9 * this.arm.maxWidth;
    const slow = (path: string) => Math.hypot(...this.world.bodyState(path).linearVelocity) < 0.05;
    const inRegion = (p: Vector3) => Math.abs(p.x - this.region!.center.x) <= this.region!.size[0] / 2 && Math.abs(p.z - this.region!.center.z) <= this.region!.size[1] / 2;
    const onTable = (path: string) => this.position(path).y - this.start.get(path)!.y < TABLE_GAP;
    if ('reach' in success) return this.arm.measuredEe().position.distanceTo(this.goal!) <= success.reach.tolerance;
    const target = this.target!;
    if ('lift' in success) {
      const risen = (path: string) => this.position(path).y - this.start.get(path)!.y;
      return risen(target) >= success.lift.height && this.objects.every((p) => p === target || risen(p) < success.lift.others_below);
    }
    if ('place' in success) return inRegion(this.position(target)) && onTable(target) && slow(target) && (!success.place.released || released());
    if ('push' in success) return inRegion(this.position(target)) && onTable(target);
    // stack: centred on the support, resting on its top face.
    const t = this.position(target);
    const s = this.position(this.support!);
    const restingHeight = (this.size.get(target)!.y + this.size.get(this.support!)!.y) / 2;
    const centred = Math.hypot(t.x - s.x, t.z - s.z) <= success.stack.tolerance;
    const onTop = Math.abs(t.y - s.y - restingHeight) < TABLE_GAP;
    return centred && onTop && slow(target) && (!success.stack.released || released());
  }

  /** World bounds of an object now (for experts and tests). */
  bounds(path: string): Box3 {
    const b = this.world.bodyState(path);
    const size = this.size.get(path) ?? new Vector3();
    return new Box3().setFromCenterAndSize(new Vector3(...b.position), size);
  }

  free(): void {
    this.world.free();
  }
}
