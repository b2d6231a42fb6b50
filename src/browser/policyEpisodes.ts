/**
 * Policy episodes in a browser context (the eval page's main thread, or the studio's simulation
 * worker): the robot's cameras rendered by three.js on an OffscreenCanvas, the policy in its own
 * worker (reached through comlink over a Worker or a MessagePort), the closed loop of
 * engine/policy/closedLoop.ts, and one MP4 of the scene camera per episode (WebCodecs).
 */
import type { InstructionMode, EvalClock, PolicyDriver, PolicyEpisodeResult, PolicyEpisodeRun } from '../engine/policy/closedLoop.ts';
import { runPolicyEpisode } from '../engine/policy/closedLoop.ts';
import type { RgbaImage } from '../engine/policy/image.ts';
import { actionSize, type AnyPolicyManifest, type PolicyManifest } from '../engine/policy/manifest.ts';
import { PolicyError, type InferenceResult, type PolicyObservation } from '../engine/policy/runtime.ts';
import type { SceneDocument } from '../engine/scene/schema.ts';
import { demoCameras } from '../engine/tasks/demos.ts';
import type { Episode, RobotProfileFile } from '../engine/tasks/episode.ts';
import type { TaskSpec } from '../engine/tasks/spec.ts';
import type { CameraStack } from './cameraStack.ts';

/** The policy worker's inference, as comlink exposes it. */
export type RemoteInfer = (obs: PolicyObservation) => Promise<InferenceResult>;

/** What the policy worker says when a lost WebGPU device moved the policy to WASM. */
const REOPENED_ON_WASM = /the policy was reopened on WASM/;

/**
 * The closed loop's view of a policy open in a worker: latency measured here, worker failures →
 * PolicyError. After a lost WebGPU device the worker runs the policy on WASM, and the driver's
 * provider says so from then on (summaries report where the episodes really ran).
 */
export function policyDriver(manifest: PolicyManifest, provider: string, infer: RemoteInfer, onInference?: (result: InferenceResult, ms: number) => void): PolicyDriver {
  const driver: PolicyDriver = {
    name: manifest.name,
    provider,
    robot: manifest.robot,
    features: manifest.outputs.features ?? null,
    space: manifest.outputs.space,
    horizon: manifest.outputs.chunk,
    dim: actionSize(manifest.outputs),
    hz: manifest.control.hz,
    nActionSteps: manifest.control.n_action_steps,
    temporalEnsemble: manifest.control.temporal_ensemble,
    history: manifest.inputs.history,
    async infer(obs) {
      const t0 = performance.now();
      let result: InferenceResult;
      try {
        result = await infer(obs);
      } catch (e) {
        // Failures inside the worker (NaN actions, a lost device) end the episode, not the run.
        const message = e instanceof Error ? e.message : String(e);
        if (REOPENED_ON_WASM.test(message)) driver.provider = 'wasm';
        throw new PolicyError(message);
      }
      const ms = performance.now() - t0;
      onInference?.(result, ms);
      return { chunk: result.chunk, ms };
    },
  };
  return driver;
}

/** Warm-up inferences on blank frames (the first runs compile kernels and allocate). */
export async function warmUp(infer: (obs: PolicyObservation) => Promise<unknown>, [width, height]: [number, number], times: number, manifest?: AnyPolicyManifest): Promise<void> {
  const blank = (): RgbaImage => ({ width, height, data: new Uint8Array(width * height * 4) });
  // Every camera and feature the policy reads, blank (the Panda's by default).
  const cameras = manifest ? manifest.inputs.images.map((i) => i.camera) : ['scene', 'wrist'];
  const features = Object.fromEntries((manifest?.inputs.state?.features ?? []).map((name) => [name, 0]));
  for (let i = 0; i < times; i++) {
    await infer({ images: Object.fromEntries(cameras.map((c) => [c, blank()])), features, jointPositions: new Array(7).fill(0), fingerPositions: [0, 0], eePosition: [0, 0, 0], eeQuaternion: [0, 0, 0, 1], gripperWidth: 0, instruction: '' });
  }
}

export interface BrowserEpisodesJob {
  task: TaskSpec;
  scene: SceneDocument;
  /** The task's robot profile, when it has one. */
  robot?: RobotProfileFile;
  /** The policy's manifest (ONNX or served): which cameras it needs. */
  manifest: AnyPolicyManifest;
  /** Where the manifest came from, for messages. */
  manifestFile: string;
  seed: number;
  /** Episode indices to run, in order. */
  indices: readonly number[];
  clock: EvalClock;
  instructions: InstructionMode;
  /** Typed words told instead of the episode's instruction. */
  instruction?: string;
  /** The size the robot's cameras render at. */
  imageSize: [number, number];
  videos: boolean;
  signal?: { readonly aborted: boolean };
  onStart?: PolicyEpisodeRun['onStart'];
  onStep?: (episode: Episode, action: Float64Array, images: Partial<Record<string, RgbaImage>> | null) => void | Promise<void>;
  /** After each episode, with its video (MP4 bytes) when videos are on. */
  onEpisode?: (result: PolicyEpisodeResult, video: Uint8Array | null) => void | Promise<void>;
}

/** Runs the job's episodes one after another; a stopped job returns the episodes that finished. */
export async function runBrowserEpisodes(job: BrowserEpisodesJob, policy: PolicyDriver, stack: CameraStack): Promise<PolicyEpisodeResult[]> {
  const [width, height] = job.imageSize;
  const cameras = demoCameras(job.scene, job.task.robot, [width, height], job.robot);
  for (const key of new Set(job.manifest.inputs.images.map((i) => i.camera))) {
    if (!cameras.some((c) => c.key === key)) throw new Error(`${job.manifestFile}: the policy needs the ${key} camera; the task's scene has ${cameras.map((c) => c.key).join(', ') || 'none'}`);
  }
  // Videos show the scene camera (else the first: the scene's own cameras come first).
  const shown = cameras.find((c) => c.key === 'scene')?.key ?? cameras[0]?.key;
  if (!stack.fits(width, height)) throw new Error(`cameras render at ${width}×${height}, the camera stack at ${stack.width}×${stack.height}`);
  const video = job.videos ? await stack.video() : null;
  const results: PolicyEpisodeResult[] = [];
  for (const index of job.indices) {
    if (job.signal?.aborted) break;
    const frames: Uint8Array[] = [];
    let last: Uint8Array | null = null;
    const result = await runPolicyEpisode({
      task: job.task,
      scene: job.scene,
      seed: job.seed,
      index,
      ...(job.robot ? { robot: job.robot } : {}),
      policy,
      clock: job.clock,
      instructions: job.instructions,
      ...(job.instruction ? { instruction: job.instruction } : {}),
      ...(job.signal ? { signal: job.signal } : {}),
      ...(job.onStart ? { onStart: job.onStart } : {}),
      cameras: (episode) => {
        const rig = stack.rig(episode, cameras);
        return {
          render: () => {
            const images = rig.render();
            const out: Partial<Record<string, RgbaImage>> = {};
            for (const c of cameras) out[c.key] = { width: c.width, height: c.height, data: images.get(c.path)! };
            if (shown && out[shown]) last = out[shown].data as Uint8Array;
            return out;
          },
          dispose: () => rig.dispose(),
        };
      },
      // One video frame per control step: what the scene camera showed when the step's action
      // was chosen; steps that passed while the policy was thinking (real time) repeat it.
      onStep: async (episode, action, images) => {
        const frame = ((shown ? images?.[shown] : undefined)?.data as Uint8Array | undefined) ?? last;
        if (video && frame) frames.push(frame);
        await job.onStep?.(episode, action, images);
      },
    });
    if (result.error === 'stopped') break;
    let bytes: Uint8Array | null = null;
    if (video && frames.length > 0) bytes = await video.mux([await video.encode(frames, width, height, policy.hz)], policy.hz);
    results.push(result);
    await job.onEpisode?.(result, bytes);
  }
  return results;
}

/**
 * One control step of an episode, for `simloop eval --traces`: the action applied, the tool point
 * where the simulation has it and where the controller's target puts it (they part when contact
 * stops the arm), the gripper's opening, and the target object's centre. World frame, metres.
 */
export function stepTrace(episode: Episode, action: Float64Array) {
  const r = (v: number) => Number(v.toPrecision(6));
  const xyz = (v: { x: number; y: number; z: number }) => [r(v.x), r(v.y), r(v.z)];
  return {
    step: episode.steps,
    action: Array.from(action, r),
    tool: xyz(episode.arm.measuredEe().position),
    tool_target: xyz(episode.arm.targetEe().position),
    gripper_width: r(episode.arm.state().gripperWidth),
    target: episode.target ? xyz(episode.position(episode.target)) : null,
  };
}
