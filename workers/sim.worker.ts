/**
 * The simulation worker: one engine `SimSession` behind comlink, and the play loop that pushes
 * poses to the UI. Wiring only — simulation behaviour lives in src/engine/sim/session.ts.
 *
 * Pose frames travel through one callback (a `Comlink.proxy` the UI subscribes), with the pose
 * buffer transferred, not copied. Every control call answers through that same callback, so the
 * UI sees status changes in the order they happened.
 */
import * as Comlink from 'comlink';
import { describeError } from '../src/engine/errors.ts';
import { loadSceneFile, loadSceneWithFiles, sceneOptionsFromFiles } from '../src/engine/load.ts';
import { SimSession, type SceneSummary, type SimStatus } from '../src/engine/sim/session.ts';
import type { DemoFormat } from '../src/engine/tasks/demos.ts';
import { checkTaskAgainstScene, type OptionalRandomization, parseTaskSpec, withoutRandomizations } from '../src/engine/tasks/spec.ts';
import { TeleopSession, type TeleopInput, type TeleopStatus } from '../src/engine/tasks/teleop.ts';
import { type DemoCameras, demoCameras } from '../src/engine/tasks/demos.ts';
import type { SceneDocument } from '../src/engine/scene/schema.ts';
import type { VariantSelection } from '../src/engine/usd/variantChoice.ts';
import { CameraStack } from '../src/browser/cameraStack.ts';
import type { PolicyWorkerApi } from '../src/protocol/policyWorker.ts';
import type { ComposeResult, LoadResult, PolicyEvent, PolicyRunRequest, PolicyRunResult, PoseFrame, PoseListener, SimWorkerApi, TeleopStartRequest } from '../src/protocol/simWorker.ts';
import type { EvalClock, InstructionMode, PolicyEpisodeResult } from '../src/engine/policy/closedLoop.ts';
import type { RgbaImage } from '../src/engine/policy/image.ts';
import { parsePolicyManifest } from '../src/engine/policy/manifest.ts';
import type { Episode } from '../src/engine/tasks/episode.ts';
import { policyDriver, runBrowserEpisodes } from '../src/browser/policyEpisodes.ts';

const TICK_MS = 1000 / 60;

// Robots hold their pose in Play, as their controllers would (gravity compensation).
const session = new SimSession(undefined, { robots: true });
let generation = 0;
let listener: Comlink.Remote<PoseListener> | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
let lastTick = 0;

/**
 * Teleoperation replaces the session while it runs: the task episode's world is what the poses
 * come from, stepped at the task's control rate with the latest input from the page.
 */
let teleop: TeleopSession | null = null;
let teleopInput: TeleopInput = { move: [0, 0, 0], yaw: 0, close: false };
let teleopTimer: ReturnType<typeof setInterval> | null = null;
let teleopListener: Comlink.Remote<(status: TeleopStatus) => void> | null = null;
/** The shown scene is a teleoperation episode (its draw), not the session's. */
let teleopDraw: number | null = null;

function teleopPoses(): Float32Array {
  return teleop!.current!.world.readPoses();
}

function teleopSimStatus(): SimStatus {
  const e = teleop!.current!;
  return { time: e.steps / e.task.control_hz, steps: e.steps, playing: teleopTimer !== null };
}

function stopTeleopLoop(): void {
  if (teleopTimer !== null) clearInterval(teleopTimer);
  teleopTimer = null;
}

function endTeleop(): void {
  stopTeleopLoop();
  teleop?.dispose();
  teleop = null;
  teleopDraw = null;
}

function teleopStep(): void {
  if (!teleop?.current) return stopTeleopLoop();
  const status = teleop.step(teleopInput);
  if (status.done) stopTeleopLoop();
  publish();
  teleopListener?.(status).catch(() => {});
}

function publish(): void {
  if (!listener || generation === 0) return;
  if (policyLive) {
    const poses = policyLive.episode.world.readPoses();
    const e = policyLive.episode;
    const frame: PoseFrame = { generation, poses, status: { time: e.steps / e.task.control_hz, steps: e.steps, playing: !e.done } };
    listener(Comlink.transfer(frame, [poses.buffer])).catch(() => {});
    return;
  }
  const live = teleopDraw !== null;
  // A kept or discarded episode is no longer simulated: its last poses stay on screen.
  if (live && !teleop?.current) return;
  const poses = live ? teleopPoses() : session.poses();
  const frame: PoseFrame = { generation, poses, status: live ? teleopSimStatus() : session.status() };
  listener(Comlink.transfer(frame, [poses.buffer])).catch(() => {
    // The page went away; nothing to tell.
  });
}

function startLoop(): void {
  if (timer !== null) return;
  lastTick = performance.now();
  timer = setInterval(() => {
    const now = performance.now();
    const steps = session.tick((now - lastTick) / 1000);
    lastTick = now;
    if (steps > 0) publish();
    if (!session.playing) stopLoop();
  }, TICK_MS);
}

function stopLoop(): void {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

const api = {
  /** Receives every pose frame from now on. The UI passes `Comlink.proxy(callback)`. */
  subscribe(callback: PoseListener): void {
    // Across comlink the callback is a remote proxy: calls return promises.
    listener = callback as unknown as Comlink.Remote<PoseListener>;
    publish();
  },

  /**
   * Opens a scene file. `companions` are files given with it (a dropped folder, several picked
   * files) by relative path: a URDF's meshes, a USD layer's references and textures (load.ts).
   */
  async load(bytes: ArrayBuffer, fileName: string, companions?: Record<string, ArrayBuffer>): Promise<LoadResult> {
    try {
      stopPolicy();
      const files = new Map(Object.entries(companions ?? {}).map(([path, data]) => [path, new Uint8Array(data)] as const));
      const summary = await session.load(bytes, fileName, files.size > 0 ? sceneOptionsFromFiles(files, fileName) : {});
      endTeleop();
      stopLoop();
      generation++;
      const poses = session.poses();
      const result: LoadResult = { ok: true, generation, summary, poses, status: session.status() };
      return Comlink.transfer(result, [poses.buffer]);
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  },

  /**
   * Composes a USD scene again from its files with these variant choices and returns the document
   * (usd/compose.ts); the studio puts it in the simulation as an edit, so it can be undone.
   */
  compose(bytes: ArrayBuffer, fileName: string, companions: Record<string, ArrayBuffer> | undefined, variants: VariantSelection[]): ComposeResult {
    try {
      const { document, warnings } = loadSceneWithFiles(new Uint8Array(bytes), fileName, companions, variants);
      return { ok: true, document, warnings };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  },

  play(): void {
    if (policyLive) return;
    if (teleopDraw !== null) return teleopApi.teleopDrive(true);
    session.play();
    startLoop();
    publish();
  },

  pause(): void {
    if (policyLive) return;
    if (teleopDraw !== null) return teleopApi.teleopDrive(false);
    session.pause();
    stopLoop();
    publish();
  },

  step(count = 1): void {
    if (policyLive) return;
    if (teleopDraw !== null) {
      for (let i = 0; i < count; i++) teleopStep();
      return;
    }
    session.step(count);
    publish();
  },

  async reset(): Promise<void> {
    if (policyLive) return;
    if (teleopDraw !== null) {
      // Start the same episode over (the unkept steps are dropped).
      stopTeleopLoop();
      await teleop!.begin(teleopDraw);
      publish();
      teleopListener?.(teleop!.status()).catch(() => {});
      return;
    }
    session.reset();
    stopLoop();
    publish();
  },
};

/** What the UI needs to show a task episode's world (its answer to a load). */
function episodeSummary(episode: Episode): SceneSummary {
  return { document: episode.doc, warnings: [], movingBodies: [...episode.world.movingBodies], dt: 1 / episode.task.control_hz };
}

/** Size of the camera streams recorded during teleoperation. */
const TELEOP_IMAGE_SIZE: [number, number] = [128, 128];
let teleopStack: CameraStack | null = null;

/**
 * The robot's and the scene's cameras, rendered here on an OffscreenCanvas and encoded with
 * WebCodecs, so teleoperated demonstrations export with their videos. Null where this worker
 * cannot render or encode (then exports have no camera streams).
 */
async function teleopCameras(scene: SceneDocument, robot: string | undefined): Promise<DemoCameras | undefined> {
  try {
    const cameras = demoCameras(scene, robot, TELEOP_IMAGE_SIZE);
    if (!cameras.length) return undefined;
    teleopStack ??= new CameraStack(...TELEOP_IMAGE_SIZE);
    return await teleopStack.demoCameras(cameras);
  } catch {
    return undefined;
  }
}

/** Teleoperation of a task episode (src/engine/tasks/teleop.ts), driven from the studio's Robot tab. */
const teleopApi = {
  /** Receives the teleoperation status after every control step. */
  teleopSubscribe(callback: (status: TeleopStatus) => void): void {
    teleopListener = callback as unknown as Comlink.Remote<(status: TeleopStatus) => void>;
  },

  /**
   * Starts episode `draw` of the task (parsed and checked here) and shows it: the answer is a load
   * of the episode's randomized scene. Kept demonstrations stay while the task and seed do.
   */
  async teleopStart(request: TeleopStartRequest): Promise<LoadResult & { teleop?: TeleopStatus }> {
    try {
      stopPolicy();
      const task = parseTaskSpec(request.taskText, request.taskFile);
      const scene = loadSceneFile(new Uint8Array(request.sceneBytes), request.sceneFile).document;
      checkTaskAgainstScene(task, scene, request.taskFile);
      if (!teleop || teleop.task.id !== task.id || teleop.seed !== request.seed) {
        endTeleop();
        teleop = new TeleopSession(task, scene, request.seed, await teleopCameras(scene, task.robot));
      }
      stopTeleopLoop();
      stopLoop();
      session.pause();
      const episode = await teleop.begin(request.draw);
      teleopDraw = request.draw;
      generation++;
      const summary = episodeSummary(episode);
      const poses = teleopPoses();
      return { ok: true, generation, summary, poses, status: teleopSimStatus(), teleop: teleop.status() };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  },

  /** The input held now; the control loop applies it at every step until the next call. */
  teleopInput(input: TeleopInput): void {
    teleopInput = input;
  },

  /** Runs (or stops) the episode's control loop. */
  teleopDrive(on: boolean): void {
    if (!teleop?.current) return;
    if (!on) {
      stopTeleopLoop();
      publish();
      return;
    }
    if (teleopTimer !== null) return;
    teleopTimer = setInterval(teleopStep, 1000 / teleop.task.control_hz);
    publish();
  },

  /** Lets the scripted expert drive the episode from where it is (and starts the control loop). */
  teleopExpert(): void {
    if (!teleop?.current) throw new Error('no teleoperation episode');
    teleop.useExpert(true);
    teleopApi.teleopDrive(true);
  },

  teleopKeep(): TeleopStatus {
    if (!teleop) throw new Error('no teleoperation session');
    stopTeleopLoop();
    teleop.keep();
    return teleop.status();
  },

  teleopDiscard(): TeleopStatus {
    if (!teleop) throw new Error('no teleoperation session');
    stopTeleopLoop();
    teleop.discard();
    return teleop.status();
  },

  /** The kept demonstrations as dataset files (transferred). */
  async teleopExport(formats: DemoFormat[]): Promise<{ path: string; bytes: Uint8Array }[]> {
    if (!teleop) throw new Error('no teleoperation session');
    const files = await teleop.exportFiles(formats);
    return Comlink.transfer(files, [...new Set(files.map((f) => f.bytes.buffer as ArrayBuffer))]);
  },
};

/** The live policy episode the viewport shows, and the flag that stops the run. */
let policyLive: { episode: Episode; signal: { aborted: boolean } } | null = null;
let policySignal: { aborted: boolean } | null = null;
let policyRemote: Comlink.Remote<PolicyWorkerApi> | null = null;
let policyStack: CameraStack | null = null;

function stopPolicy(): void {
  if (policySignal) policySignal.aborted = true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const policyApi = {
  /** The policy worker's API, served on this port (the page connects the two workers). */
  policyAttach(port: MessagePort): void {
    policyRemote = Comlink.wrap<PolicyWorkerApi>(port);
  },

  /**
   * Runs policy episodes here, the policy answering from its worker. Each episode is shown as it
   * runs (a 'start' event carries its scene as a load), steps stream out as 'step' events, and
   * each finished episode comes back with its video. Stopped runs return the finished episodes.
   */
  async policyRun(request: PolicyRunRequest, callback: (event: PolicyEvent) => void): Promise<PolicyRunResult> {
    const emit = callback as unknown as Comlink.Remote<(event: PolicyEvent) => void>;
    if (!policyRemote) return { ok: false, error: 'no policy is open' };
    stopPolicy();
    endTeleop();
    stopLoop();
    session.pause();
    const signal = { aborted: false };
    policySignal = signal;
    try {
      const task = withoutRandomizations(parseTaskSpec(request.taskText, request.taskFile), request.randomizationsOff);
      const scene = loadSceneFile(new Uint8Array(request.sceneBytes), request.sceneFile).document;
      checkTaskAgainstScene(task, scene, request.taskFile);
      const manifest = parsePolicyManifest(request.manifestText, request.manifestFile);
      const [width, height] = request.imageSize;
      if (!policyStack?.fits(width, height)) {
        policyStack?.dispose();
        policyStack = new CameraStack(width, height);
      }
      const remote = policyRemote;
      let lastMs: number | null = null;
      const policy = policyDriver(manifest, request.provider, (obs) => remote.infer(obs), (_, ms) => (lastMs = ms));
      let wallStart = 0;
      const results = await runBrowserEpisodes(
        {
          task,
          scene,
          manifest,
          manifestFile: request.manifestFile,
          seed: request.seed,
          indices: request.indices,
          clock: request.clock,
          instructions: request.instructions,
          ...(request.instruction ? { instruction: request.instruction } : {}),
          imageSize: request.imageSize,
          videos: request.videos,
          signal,
          onStart: (episode, instruction) => {
            policyLive = { episode, signal };
            generation++;
            wallStart = performance.now();
            const poses = episode.world.readPoses();
            const load = { ok: true as const, generation, summary: episodeSummary(episode), poses, status: { time: 0, steps: 0, playing: true } };
            void emit({ type: 'start', index: episode.index, instruction, target: episode.instruction, maxSteps: episode.task.max_steps, load });
            if (request.startOnly) signal.aborted = true;
          },
          onStep: async (episode, action, images) => {
            // Paced runs report every step; fast ones (evaluations) every viewEvery-th, and the last.
            const every = request.pace ? 1 : Math.max(1, request.viewEvery);
            if (episode.steps % every === 0 || episode.done) {
              const show = request.viewEvery > 0 && images !== null && (request.pace ? episode.steps % request.viewEvery === 1 % request.viewEvery : true);
              const views = show ? Object.fromEntries(Object.entries(images).map(([k, v]) => [k, { width: v.width, height: v.height, data: Uint8Array.from(v.data as ArrayLike<number>) }])) : null;
              void emit({ type: 'step', index: episode.index, step: episode.steps, action: Array.from(action), state: Array.from(episode.observe().state), inferenceMs: lastMs, success: episode.success, views });
              lastMs = null;
              publish();
            }
            if (request.pace) {
              const due = wallStart + (episode.steps * 1000) / episode.task.control_hz;
              const wait = due - performance.now();
              if (wait > 0) await sleep(wait);
            } else if (episode.steps % 10 === 0) {
              // Let the page's messages (Stop) in.
              await sleep(0);
            }
          },
          onEpisode: async (result, video) => {
            policyLive = null;
            await emit({ type: 'episode', result, video });
          },
        },
        policy,
        policyStack,
      );
      return { ok: true, results };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    } finally {
      if (policySignal === signal) policySignal = null;
      // The last episode's final poses stay on screen; the worker stops following it.
      if (policyLive?.signal === signal) policyLive = null;
    }
  },

  /** Stops the running policy episode (or evaluation) before its next control step. */
  policyStop(): void {
    stopPolicy();
  },
};

const simWorkerApi: SimWorkerApi = { ...api, ...teleopApi, ...policyApi };
Comlink.expose(simWorkerApi);
