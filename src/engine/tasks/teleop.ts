/**
 * Teleoperation: a person drives a task episode with end-effector velocity commands (keyboard or
 * gamepad in the studio) or jogs its joints to goals (the studio's joint sliders), one control step
 * at a time; the steps are recorded as a demonstration,
 * which the person keeps or discards; the kept ones are exported in the same formats as the
 * scripted demonstrations (demos.ts), camera videos included when the caller gives cameras.
 * DOM-free: the studio runs it in its simulation worker, as one of the simulation host's modes
 * (sim/mode.ts): played in real time at the task's control rate with the input held now.
 */
import { MemorySink } from '../dataset/memorySink.ts';
import type { OutputFile } from '../dataset/types.ts';
import { clampToLimits, poseError, tipPose } from '../robot/kinematics.ts';
import type { ResolvedRobot } from '../robot/profile.ts';
import type { SceneDocument } from '../scene/schema.ts';
import type { SimMode, SimStatus } from '../sim/mode.ts';
import { FixedStepClock } from '../sim/session.ts';
import { type DemoCameras, type DemoFormat, DemoDatasets, EpisodeRecorder, type Recording } from './demos.ts';
import { Episode, type RobotProfileFile } from './episode.ts';
import { type Expert, expertFor } from './experts.ts';
import type { TaskSpec } from './spec.ts';

/** Tool-point speeds at full command. */
export const TELEOP_SPEED = { linear: 0.15, angular: 0.8 } as const;

/**
 * Joint speeds while jogging to a joint goal: a goal far away is approached at this speed, never
 * jumped to (a real arm's jog speed; the SO-101's servos turn at about 5 rad/s unloaded).
 */
export const TELEOP_JOINT_SPEED = { revolute: 1.5, prismatic: 0.1 } as const;

/**
 * What a person holds: motion in the world frame (−1 … 1 per axis), a turn about the vertical, the
 * gripper; or, with `joints`, a goal for the arm's joints (rad or m, base to tip) that each control
 * step approaches at TELEOP_JOINT_SPEED. Motion (a key, a stick) drops a joint goal.
 */
export interface TeleopInput {
  move: [number, number, number];
  yaw: number;
  close: boolean;
  joints?: number[] | null;
}

/** Whether the input moves the tool (a key or stick held), which takes over from a joint goal. */
export const movesTool = (input: TeleopInput) => input.yaw !== 0 || input.move.some((v) => v !== 0);

/** The 7-number action (TASKS.md) for one control step of `input`. */
export function teleopAction(input: TeleopInput, controlHz: number): Float32Array {
  const clamp = (v: number) => Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const step = TELEOP_SPEED.linear / controlHz;
  const turn = TELEOP_SPEED.angular / controlHz;
  return Float32Array.from([clamp(input.move[0]) * step, clamp(input.move[1]) * step, clamp(input.move[2]) * step, 0, clamp(input.yaw) * turn, 0, input.close ? 1 : -1]);
}

export interface TeleopStatus {
  steps: number;
  maxSteps: number;
  success: boolean;
  done: boolean;
  instruction: string;
  /** Demonstrations kept so far. */
  kept: number;
  /** The arm's joint targets now (rad or m, as TeleopJoint lists them): where the arm is commanded to be. */
  joints: number[];
  /** Whether a joint goal is being approached or held (the sliders drive; keys take over). */
  jogging: boolean;
}

/** One arm joint as the studio's sliders show it. */
export interface TeleopJoint {
  /** The joint's name (its prim's). */
  name: string;
  type: 'revolute' | 'prismatic';
  /** Its limits (rad or m); a joint without limits gets ±π rad or ±1 m. */
  lower: number;
  upper: number;
  /** How datasets record it when the robot's profile names features (engine/robot/profile.ts toFeature), else null. */
  feature: ResolvedRobot['features'][number] | null;
}

/** The episode's robot as the studio's joint panel shows it: its arm joints and its gripper's feature. */
export interface TeleopRobot {
  joints: TeleopJoint[];
  /** The gripper: its joint's name ("gripper" for several fingers) and its first joint's state feature (closed → open as the profile records them), when it has one. */
  gripper: { name: string; feature: ResolvedRobot['features'][number] | null } | null;
}

/** No input: the arm holds still and the gripper stays open. */
export const NO_TELEOP_INPUT: TeleopInput = { move: [0, 0, 0], yaw: 0, close: false };

/** Checks a joint goal against the arm: one finite number per arm joint. */
function checkJointGoal(goal: readonly number[], joints: readonly string[]): void {
  if (goal.length !== joints.length) throw new RangeError(`teleoperation: the joint goal has ${goal.length} values; the arm has ${joints.length} joints (${joints.join(', ')})`);
  const bad = goal.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`teleoperation: the joint goal's value for ${joints[bad]} is not a finite number (${String(goal[bad])})`);
}

export class TeleopSession implements SimMode {
  readonly kind = 'teleop' as const;
  /** The input held now: every control step while playing applies it. */
  input: TeleopInput = NO_TELEOP_INPUT;
  /** Told after every control step (the studio shows steps, success and kept demonstrations). */
  onControl: ((status: TeleopStatus) => void) | null = null;
  playing = false;
  private draw: number | null = null;
  private readonly clock: FixedStepClock;
  private episode: Episode | null = null;
  private recorder: EpisodeRecorder | null = null;
  /** When set, the scripted expert drives instead of the person (a demonstration to watch or keep). */
  private expert: Expert | null = null;
  private readonly kept: Recording[] = [];

  /**
   * With `cameras`, every step also renders the cameras, and exports carry their videos. With
   * `robot` (the task's profile), episodes use it: its arm, gripper and tool frame, and datasets
   * record its features (LeRobot's names and units); without one the profile is inferred.
   */
  constructor(
    readonly task: TaskSpec,
    private readonly scene: SceneDocument,
    readonly seed: number,
    private readonly cameras?: DemoCameras,
    readonly robot?: RobotProfileFile,
  ) {
    // A few steps at most per tick: a slow step (cameras rendering) drops time rather than bursting.
    this.clock = new FixedStepClock(1 / task.control_hz, 4);
  }

  /** Starts episode `draw` (its randomization, target and instruction), dropping an unkept one. */
  async begin(draw: number): Promise<Episode> {
    this.drop();
    this.draw = draw;
    // A joint goal belongs to the episode it was set in.
    if (this.input.joints) this.input = { ...this.input, joints: null };
    this.episode = await Episode.create(this.task, this.scene, this.seed, draw, this.robot);
    this.recorder = new EpisodeRecorder(this.episode, this.kept.length, this.cameras);
    this.expert = null;
    return this.episode;
  }

  /** Holds `input` from now on (every control step while playing applies it); a joint goal is checked against the arm. */
  hold(input: TeleopInput): void {
    if (input.joints && this.episode) checkJointGoal(input.joints, this.jointNames(this.episode));
    this.input = input;
  }

  /** The episode's arm joints and gripper, for the studio's joint panel (null before an episode). */
  robotJoints(): TeleopRobot | null {
    const e = this.episode;
    if (!e) return null;
    const model = e.arm.model;
    const featureOf = (path: string) => model.features?.find((f) => f.joint.path === path) ?? null;
    const names = this.jointNames(e);
    const joints = model.armJoints.map((j, i): TeleopJoint => {
      const unbounded = j.type === 'revolute' ? Math.PI : 1;
      return { name: names[i]!, type: j.type, lower: Number.isFinite(j.lower) ? j.lower : -unbounded, upper: Number.isFinite(j.upper) ? j.upper : unbounded, feature: featureOf(j.path) };
    });
    const jaws = model.gripperJoints;
    // One jaw goes by its joint's name; fingers together are "gripper".
    const name = jaws.length === 1 ? jaws[0]!.path.slice(jaws[0]!.path.lastIndexOf('/') + 1) : 'gripper';
    return { joints, gripper: model.gripper && jaws.length ? { name, feature: featureOf(jaws[0]!.path) } : null };
  }

  private jointNames(e: Episode): string[] {
    return e.arm.model.armJoints.map((j) => j.path.slice(j.path.lastIndexOf('/') + 1));
  }

  get current(): Episode | null {
    return this.episode;
  }

  /** Steps, success and kept demonstrations (what the Robot tab shows). */
  progress(): TeleopStatus {
    const e = this.episode;
    return {
      steps: e?.steps ?? 0,
      maxSteps: this.task.max_steps,
      success: e?.success ?? false,
      done: e?.done ?? false,
      instruction: e?.instruction ?? '',
      kept: this.kept.length,
      joints: e ? Array.from(e.arm.target) : [],
      jogging: e !== null && !e.done && !this.expert && !!this.input.joints && !movesTool(this.input),
    };
  }

  /** Hands the episode to the scripted expert from where it is now (or back to the person). */
  useExpert(on: boolean): void {
    if (!this.episode) throw new Error('teleoperation: no episode started');
    this.expert = on ? expertFor(this.episode) : null;
  }

  get expertDriving(): boolean {
    return this.expert !== null;
  }

  /**
   * One control step with the person's input (or the expert's action); nothing happens once the
   * episode is over. Motion moves the tool (an end-effector delta) and drops the held input's joint
   * goal; otherwise a joint goal moves the arm's joint targets toward it (joint_position, at most
   * TELEOP_JOINT_SPEED per second) and the step is recorded as the tool-pose change it commands, so
   * the end-effector-delta datasets describe every step alike.
   */
  control(input: TeleopInput = this.input): TeleopStatus {
    const e = this.episode;
    const recorder = this.recorder;
    if (!e || !recorder) throw new Error('teleoperation: no episode started');
    if (!e.done) {
      const expert = this.expert ? this.expert.act() : null;
      if (expert) {
        recorder.record(expert);
        e.step(expert);
      } else if (input.joints && !movesTool(input)) {
        this.jog(e, recorder, input.joints, input.close);
      } else {
        if (input.joints && input === this.input) this.input = { ...input, joints: null };
        const action = teleopAction(input, this.task.control_hz);
        recorder.record(action);
        e.step(action);
      }
    }
    const status = this.progress();
    if (status.done) this.playing = false;
    this.onControl?.(status);
    return status;
  }

  /** One control step toward a joint goal, recorded as the commanded tool-pose change (world frame) and the gripper. */
  private jog(e: Episode, recorder: EpisodeRecorder, goal: readonly number[], close: boolean): void {
    checkJointGoal(goal, this.jointNames(e));
    const { arm } = e;
    const chain = arm.model.chain;
    const wanted = clampToLimits(chain, goal);
    const next = clampToLimits(
      chain,
      Array.from(arm.target, (t, i) => {
        const most = TELEOP_JOINT_SPEED[chain.joints[i]!.type] / this.task.control_hz;
        return t + Math.max(-most, Math.min(most, wanted[i]! - t));
      }),
    );
    const before = arm.targetEe();
    const after = tipPose(chain, next);
    const gripper = close ? 1 : -1;
    // The commanded tool pose's change: displacement, then the rotation vector of after · before⁻¹.
    recorder.record(Float32Array.from([...poseError(before, after), gripper]));
    e.stepIn('joint_position', [...next, gripper]);
  }

  // The simulation host's interface (sim/mode.ts).

  poses(): Float32Array | null {
    // A kept or discarded episode is no longer simulated: its last poses stay on screen.
    return this.episode?.world.readPoses() ?? null;
  }

  status(): SimStatus {
    const e = this.episode;
    return { time: e ? e.steps / this.task.control_hz : 0, steps: e?.steps ?? 0, playing: this.playing };
  }

  /** Runs the episode's control loop in real time (nothing to run without an episode). */
  play(): void {
    if (!this.episode) return;
    this.clock.reset();
    this.playing = true;
  }

  pause(): void {
    this.playing = false;
  }

  step(count = 1): void {
    if (!this.episode) return;
    for (let i = 0; i < count; i++) this.control();
  }

  tick(elapsedSeconds: number): number {
    if (!this.playing || !this.episode) return 0;
    const steps = this.clock.advance(elapsedSeconds);
    let taken = 0;
    while (taken < steps && this.playing) {
      this.control();
      taken++;
    }
    return taken;
  }

  /** Starts the same episode over (its unkept steps are dropped). */
  async reset(): Promise<void> {
    this.playing = false;
    if (this.draw === null) return;
    await this.begin(this.draw);
    this.onControl?.(this.progress());
  }

  /** Keeps the episode as a demonstration (successful or not: it is marked). Returns how many are kept. */
  keep(): number {
    if (!this.recorder || !this.episode) throw new Error('teleoperation: no episode to keep');
    if (this.recorder.recording.action.length === 0) throw new Error('teleoperation: the episode has no steps yet');
    this.kept.push(this.recorder.finish(this.episode.success ? null : this.expert ? (this.expert.failure ?? 'stopped before the expert finished') : 'stopped by the operator'));
    this.release();
    return this.kept.length;
  }

  /** Drops the current episode without keeping it. */
  discard(): void {
    this.drop();
  }

  /** The kept demonstrations as dataset files (paths relative to the dataset root). */
  async exportFiles(formats: readonly DemoFormat[]): Promise<OutputFile[]> {
    if (!this.kept.length) throw new Error('teleoperation: no demonstrations kept yet');
    const datasets = await DemoDatasets.create(this.task, this.seed, formats, this.cameras);
    const sink = new MemorySink();
    try {
      for (const r of this.kept) await datasets.add(structuredClone(r));
      await datasets.finish(sink);
    } catch (error) {
      datasets.abort();
      throw error;
    }
    return [...sink.files.entries()].map(([path, bytes]) => ({ path, bytes }));
  }

  dispose(): void {
    this.drop();
    this.draw = null;
  }

  private drop(): void {
    this.recorder?.finish();
    this.release();
  }

  private release(): void {
    this.playing = false;
    this.episode?.free();
    this.episode = null;
    this.recorder = null;
    this.expert = null;
  }
}
