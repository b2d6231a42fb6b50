/**
 * The studio's simulation, whole: one host holding one active mode (engine/sim/mode.ts) — the open
 * scene playing (SimSession), a teleoperated task episode (TeleopSession) or a policy run
 * (policyRun.ts) — and the clock that plays it. Every control (play, pause, step, reset) goes to the
 * active mode; pose frames of the shown world go to one listener. workers/sim.worker.ts only exposes
 * this over comlink; tests drive it directly.
 *
 * Switching modes disposes the one left (a teleoperation session and its kept demonstrations end
 * when a scene is opened or a policy run starts), except the scene session, which stays loaded.
 */
import { describeError } from '../engine/errors.ts';
import { loadSceneWithFiles, sceneOptionsFromFiles } from '../engine/load.ts';
import type { SimMode } from '../engine/sim/mode.ts';
import { SimSession } from '../engine/sim/session.ts';
import type { DemoCameras, DemoFormat } from '../engine/tasks/demos.ts';
import { demoCameras } from '../engine/tasks/demos.ts';
import { readRobotProfileFile, type RobotProfileFile } from '../engine/tasks/episode.ts';
import { checkTaskAgainstScene, parseTaskSpec } from '../engine/tasks/spec.ts';
import { NO_TELEOP_INPUT, TeleopSession, type TeleopInput, type TeleopStatus } from '../engine/tasks/teleop.ts';
import type { SceneDocument } from '../engine/scene/schema.ts';
import type { VariantSelection } from '../engine/usd/variantChoice.ts';
import type { ComposeResult, LoadResult, PolicyEvent, PolicyRunRequest, PolicyRunResult, PoseFrame, PoseListener, TeleopStartRequest, TeleopStartResult } from '../protocol/simWorker.ts';
import type { CameraStack } from './cameraStack.ts';
import { episodeSummary, PolicyRun } from './policyRun.ts';
import type { OpenSocket } from '../engine/policy/remote.ts';
import type { RemoteInfer } from './policyEpisodes.ts';

/** Size of the camera streams recorded during teleoperation. */
export const TELEOP_IMAGE_SIZE: [number, number] = [128, 128];

export interface SimHostOptions {
  /**
   * Marks the buffers of a value for moving, not copying, across the worker boundary (the worker
   * passes Comlink.transfer). Values are returned as they are without it.
   */
  transfer?: <T>(value: T, buffers: Transferable[]) => T;
  /** Makes the robot's camera stack at a size (the worker renders on an OffscreenCanvas). */
  cameraStack: (width: number, height: number) => CameraStack;
  /** Milliseconds between ticks of the play clock (60 per second unless given). */
  tickMs?: number;
  /** Opens a WebSocket, for served policies (the worker's own WebSocket). */
  openSocket?: OpenSocket;
}

/** Calls a listener that may be remote (a comlink proxy answers with a promise) and ignores a page gone away. */
function tell<T>(listener: ((value: T) => unknown) | null, value: T): void {
  if (!listener) return;
  try {
    void Promise.resolve(listener(value)).catch(() => {});
  } catch {
    // The page went away; nothing to tell.
  }
}

export class SimHost {
  /** The open scene. Robots hold their pose in Play, as their controllers would (gravity compensation). */
  readonly scene = new SimSession(undefined, { robots: true });
  private mode: SimMode = this.scene;
  /** Names the shown world: frames of an older one are dropped by the page. 0 = nothing shown yet. */
  private generation = 0;
  private listener: PoseListener | null = null;
  private teleopListener: ((status: TeleopStatus) => void) | null = null;
  private teleopHeld: TeleopInput = NO_TELEOP_INPUT;
  private teleopStack: CameraStack | null = null;
  private policyStack: CameraStack | null = null;
  private infer: RemoteInfer | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastTick = 0;
  private readonly transfer: <T>(value: T, buffers: Transferable[]) => T;

  constructor(private readonly options: SimHostOptions) {
    this.transfer = options.transfer ?? ((value) => value);
  }

  /** The mode controls go to now. */
  get active(): SimMode {
    return this.mode;
  }

  /** Receives every pose frame from now on (and the current one at once). */
  subscribe(callback: PoseListener): void {
    this.listener = callback;
    this.publish();
  }

  /**
   * Opens a scene file. `companions` are files given with it (a dropped folder, several picked
   * files) by relative path: a URDF's meshes, a USD layer's references and textures (load.ts).
   * A file that fails to load leaves everything as it was (a running policy run is stopped).
   */
  async load(bytes: ArrayBuffer, fileName: string, companions?: Record<string, ArrayBuffer>): Promise<LoadResult> {
    try {
      this.stopPolicy();
      const files = new Map(Object.entries(companions ?? {}).map(([path, data]) => [path, new Uint8Array(data)] as const));
      const summary = await this.scene.load(bytes, fileName, files.size > 0 ? sceneOptionsFromFiles(files, fileName) : {});
      this.activate(this.scene);
      this.generation++;
      const poses = this.scene.poses();
      return this.transfer({ ok: true, generation: this.generation, summary, poses, status: this.scene.status() }, [poses.buffer as ArrayBuffer]);
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  }

  /**
   * Composes a USD scene again from its files with these variant choices and returns the document
   * (usd/compose.ts); the studio puts it in the simulation as an edit, so it can be undone.
   */
  async compose(bytes: ArrayBuffer, fileName: string, companions: Record<string, ArrayBuffer> | undefined, variants: VariantSelection[]): Promise<ComposeResult> {
    try {
      const { document, warnings } = await loadSceneWithFiles(new Uint8Array(bytes), fileName, companions, variants);
      return { ok: true, document, warnings };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  }

  play(): void {
    this.mode.play();
    if (this.mode.playing) this.startClock();
    this.publish();
  }

  pause(): void {
    this.mode.pause();
    this.stopClock();
    this.publish();
  }

  step(count = 1): void {
    this.mode.step(count);
    this.publish();
  }

  async reset(): Promise<void> {
    this.stopClock();
    await this.mode.reset();
    this.publish();
  }

  // Teleoperation of a task episode (engine/tasks/teleop.ts), driven from the studio's Robot tab.

  /** Receives the teleoperation status after every control step. */
  teleopSubscribe(callback: (status: TeleopStatus) => void): void {
    this.teleopListener = callback;
  }

  /**
   * Starts episode `draw` of the task (parsed and checked here) and shows it: the answer is a load
   * of the episode's randomized scene, with the robot's joints for the Robot tab's joint panel.
   * The scene opens with its companion files (an MJCF's includes and meshes); the task's robot
   * profile, when given, is the episode's robot. Kept demonstrations stay while the task, seed and
   * profile do.
   */
  async teleopStart(request: TeleopStartRequest): Promise<TeleopStartResult> {
    try {
      this.stopPolicy();
      const task = parseTaskSpec(request.taskText, request.taskFile);
      const scene = (await loadSceneWithFiles(new Uint8Array(request.sceneBytes), request.sceneFile, request.sceneCompanions)).document;
      checkTaskAgainstScene(task, scene, request.taskFile);
      const robot = request.profile ? readRobotProfileFile(request.profile.text, request.profile.file) : undefined;
      let teleop = this.teleop;
      if (!teleop || teleop.task.id !== task.id || teleop.seed !== request.seed || teleop.robot?.file !== robot?.file) {
        teleop = new TeleopSession(task, scene, request.seed, await this.teleopCameras(scene, task.robot, robot), robot);
        teleop.input = this.teleopHeld;
        teleop.onControl = (status) => tell(this.teleopListener, status);
      }
      this.activate(teleop);
      teleop.pause();
      const episode = await teleop.begin(request.draw);
      this.teleopHeld = teleop.input;
      this.generation++;
      const poses = episode.world.readPoses();
      return { ok: true, generation: this.generation, summary: episodeSummary(episode), poses, status: teleop.status(), teleop: teleop.progress(), robot: teleop.robotJoints() ?? undefined };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  }

  /**
   * The input held now; the control loop applies it at every step until the next call. A joint
   * goal that does not fit the episode's arm is refused (the error names the joints).
   */
  teleopInput(input: TeleopInput): void {
    this.teleop?.hold(input);
    this.teleopHeld = input;
  }

  /** Runs (or stops) the episode's control loop. */
  teleopDrive(on: boolean): void {
    if (!this.teleop?.current) return;
    if (on) this.play();
    else this.pause();
  }

  /** Lets the scripted expert drive the episode from where it is (and starts the control loop). */
  teleopExpert(): void {
    const teleop = this.teleop;
    if (!teleop?.current) throw new Error('no teleoperation episode');
    teleop.useExpert(true);
    this.teleopDrive(true);
  }

  teleopKeep(): TeleopStatus {
    const teleop = this.requireTeleop();
    this.stopClock();
    teleop.keep();
    return teleop.progress();
  }

  teleopDiscard(): TeleopStatus {
    const teleop = this.requireTeleop();
    this.stopClock();
    teleop.discard();
    return teleop.progress();
  }

  /** The kept demonstrations as dataset files (transferred). */
  async teleopExport(formats: DemoFormat[]): Promise<{ path: string; bytes: Uint8Array }[]> {
    const files = await this.requireTeleop().exportFiles(formats);
    return this.transfer(files, [...new Set(files.map((f) => f.bytes.buffer as ArrayBuffer))]);
  }

  // Policy runs (policyRun.ts), the policy answering from its own worker.

  /** The policy worker's inference (the page connects the two workers). */
  attachPolicy(infer: RemoteInfer): void {
    this.infer = infer;
  }

  /**
   * Runs policy episodes here. Each episode is shown as it runs (a 'start' event carries its scene
   * as a load), steps stream out as 'step' events, and each finished episode comes back with its
   * video. Stopped runs return the finished episodes.
   */
  async policyRun(request: PolicyRunRequest, callback: (event: PolicyEvent) => void): Promise<PolicyRunResult> {
    const infer = this.infer;
    if (!infer && request.remoteUrl === undefined) return { ok: false, error: 'no policy is open' };
    this.stopPolicy();
    this.scene.pause();
    const run = new PolicyRun(request, {
      infer: infer ?? (() => Promise.reject(new Error('no policy is open'))),
      ...(this.options.openSocket ? { openSocket: this.options.openSocket } : {}),
      cameraStack: (width, height) => {
        if (!this.policyStack?.fits(width, height)) {
          this.policyStack?.dispose();
          this.policyStack = this.options.cameraStack(width, height);
        }
        return this.policyStack;
      },
      show: () => ++this.generation,
      publish: () => this.publish(),
      emit: (event) => callback(event),
    });
    this.activate(run);
    return run.run();
  }

  /** Stops the running policy episode (or evaluation) before its next control step. */
  policyStop(): void {
    this.stopPolicy();
  }

  private get teleop(): TeleopSession | null {
    return this.mode instanceof TeleopSession ? this.mode : null;
  }

  private requireTeleop(): TeleopSession {
    if (!this.teleop) throw new Error('no teleoperation session');
    return this.teleop;
  }

  private stopPolicy(): void {
    if (this.mode instanceof PolicyRun) this.mode.stop();
  }

  /** Makes `mode` the active one; the one left is disposed (the scene session only paused). */
  private activate(mode: SimMode): void {
    this.stopClock();
    if (this.mode === mode) return;
    if (this.mode === this.scene) this.scene.pause();
    else this.mode.dispose();
    this.mode = mode;
  }

  /**
   * The robot's and the scene's cameras for teleoperated demonstrations, so they export with their
   * videos. Undefined where this context cannot render or encode (then exports have no camera streams).
   */
  private async teleopCameras(scene: SceneDocument, robot: string | undefined, profile?: RobotProfileFile): Promise<DemoCameras | undefined> {
    try {
      const cameras = demoCameras(scene, robot, TELEOP_IMAGE_SIZE, profile);
      if (!cameras.length) return undefined;
      this.teleopStack ??= this.options.cameraStack(...TELEOP_IMAGE_SIZE);
      return await this.teleopStack.demoCameras(cameras);
    } catch {
      return undefined;
    }
  }

  private publish(): void {
    if (!this.listener || this.generation === 0) return;
    const poses = this.mode.poses();
    if (!poses) return;
    const frame: PoseFrame = { generation: this.generation, poses, status: this.mode.status() };
    tell(this.listener, this.transfer(frame, [poses.buffer as ArrayBuffer]));
  }

  private startClock(): void {
    if (this.timer !== null) return;
    this.lastTick = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const steps = this.mode.tick((now - this.lastTick) / 1000);
      this.lastTick = now;
      if (steps > 0) this.publish();
      if (!this.mode.playing) this.stopClock();
    }, this.options.tickMs ?? 1000 / 60);
  }

  private stopClock(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops the clock and frees every world and renderer (the worker is closing, or a test ends). */
  dispose(): void {
    this.stopClock();
    if (this.mode !== this.scene) this.mode.dispose();
    this.scene.dispose();
    this.teleopStack?.dispose();
    this.policyStack?.dispose();
  }
}
