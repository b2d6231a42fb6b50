/**
 * Teleoperation: a person drives a task episode with end-effector velocity commands (keyboard or
 * gamepad in the studio), one control step at a time; the steps are recorded as a demonstration,
 * which the person keeps or discards; the kept ones are exported in the same formats as the
 * scripted demonstrations (demos.ts), camera videos included when the caller gives cameras.
 * DOM-free: the studio runs it in its simulation worker, as one of the simulation host's modes
 * (sim/mode.ts): played in real time at the task's control rate with the input held now.
 */
import { MemorySink } from '../dataset/memorySink.ts';
import type { OutputFile } from '../dataset/types.ts';
import type { SceneDocument } from '../scene/schema.ts';
import type { SimMode, SimStatus } from '../sim/mode.ts';
import { FixedStepClock } from '../sim/session.ts';
import { type DemoCameras, type DemoFormat, DemoDatasets, EpisodeRecorder, type Recording } from './demos.ts';
import { Episode } from './episode.ts';
import { type Expert, expertFor } from './experts.ts';
import type { TaskSpec } from './spec.ts';

/** Tool-point speeds at full command. */
export const TELEOP_SPEED = { linear: 0.15, angular: 0.8 } as const;

/** What a person holds: motion in the world frame (−1 … 1 per axis), a turn about the vertical, the gripper. */
export interface TeleopInput {
  move: [number, number, number];
  yaw: number;
  close: boolean;
}

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
}

/** No input: the arm holds still and the gripper stays open. */
export const NO_TELEOP_INPUT: TeleopInput = { move: [0, 0, 0], yaw: 0, close: false };

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

  /** With `cameras`, every step also renders the cameras, and exports carry their videos. */
  constructor(
    readonly task: TaskSpec,
    private readonly scene: SceneDocument,
    readonly seed: number,
    private readonly cameras?: DemoCameras,
  ) {
    // A few steps at most per tick: a slow step (cameras rendering) drops time rather than bursting.
    this.clock = new FixedStepClock(1 / task.control_hz, 4);
  }

  /** Starts episode `draw` (its randomization, target and instruction), dropping an unkept one. */
  async begin(draw: number): Promise<Episode> {
    this.drop();
    this.draw = draw;
    this.episode = await Episode.create(this.task, this.scene, this.seed, draw);
    this.recorder = new EpisodeRecorder(this.episode, this.kept.length, this.cameras);
    this.expert = null;
    return this.episode;
  }

  get current(): Episode | null {
    return this.episode;
  }

  /** Steps, success and kept demonstrations (what the Robot tab shows). */
  progress(): TeleopStatus {
    const e = this.episode;
    return { steps: e?.steps ?? 0, maxSteps: this.task.max_steps, success: e?.success ?? false, done: e?.done ?? false, instruction: e?.instruction ?? '', kept: this.kept.length };
  }

  /** Hands the episode to the scripted expert from where it is now (or back to the person). */
  useExpert(on: boolean): void {
    if (!this.episode) throw new Error('teleoperation: no episode started');
    this.expert = on ? expertFor(this.episode) : null;
  }

  get expertDriving(): boolean {
    return this.expert !== null;
  }

  /** One control step with the person's input (or the expert's action); nothing happens once the episode is over. */
  control(input: TeleopInput = this.input): TeleopStatus {
    const e = this.episode;
    if (!e || !this.recorder) throw new Error('teleoperation: no episode started');
    if (!e.done) {
      const action = (this.expert ? this.expert.act() : null) ?? teleopAction(input, this.task.control_hz);
      this.recorder.record(action);
      e.step(action);
    }
    const status = this.progress();
    if (status.done) this.playing = false;
    this.onControl?.(status);
    return status;
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
