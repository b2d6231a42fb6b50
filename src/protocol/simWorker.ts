/**
 * What the studio and the simulation worker (workers/sim.worker.ts) say to each other over comlink:
 * types only, so the UI, the worker and tests share them without importing each other.
 */
import type { EvalClock, InstructionMode, PolicyEpisodeResult } from '../engine/policy/closedLoop.ts';
import type { RgbaImage } from '../engine/policy/image.ts';
import type { SceneDocument } from '../engine/scene/schema.ts';
import type { SceneSummary, SimStatus } from '../engine/sim/session.ts';
import type { DemoFormat } from '../engine/tasks/demos.ts';
import type { OptionalRandomization } from '../engine/tasks/spec.ts';
import type { TeleopInput, TeleopRobot, TeleopStatus } from '../engine/tasks/teleop.ts';
import type { VariantSelection } from '../engine/usd/variantChoice.ts';

/** One update for the UI. `generation` names the loaded scene the poses belong to. */
export interface PoseFrame {
  generation: number;
  /** 7 floats per moving body (x, y, z, qx, qy, qz, qw), in `SceneSummary.movingBodies` order. */
  poses: Float32Array;
  status: SimStatus;
}

export type PoseListener = (frame: PoseFrame) => void;

/** Errors are values at this boundary: a bad file comes back as one line, never as a throw. */
export type LoadResult =
  | { ok: true; generation: number; summary: SceneSummary; poses: Float32Array; status: SimStatus }
  | { ok: false; error: string };

/** A scene composed again with other variant choices (the simulation is not touched). */
export type ComposeResult = { ok: true; document: SceneDocument; warnings: string[] } | { ok: false; error: string };

/** A task's files as the worker needs them: the task, its scene and what the scene names, its robot profile. */
export interface TaskFiles {
  taskText: string;
  taskFile: string;
  sceneBytes: ArrayBuffer;
  sceneFile: string;
  /** Files the scene names (an MJCF model's includes and meshes), by path relative to the scene file. */
  sceneCompanions?: Record<string, ArrayBuffer>;
  /** The robot profile the task names (`profile:`): its text and file name. */
  profile?: { text: string; file: string };
}

/** A teleoperated task episode to start. */
export interface TeleopStartRequest extends TaskFiles {
  seed: number;
  draw: number;
}

/** A started teleoperation episode: its scene as a load, its status, and its robot's joints for the joint panel. */
export type TeleopStartResult = LoadResult & { teleop?: TeleopStatus; robot?: TeleopRobot };

/** A policy run (the studio's Policy tab): one live episode, or an evaluation of many. */
export interface PolicyRunRequest extends TaskFiles {
  /** An ONNX manifest (the policy worker runs it) or a served policy's (the simulation worker connects to the server). */
  manifestText: string;
  manifestFile: string;
  /** A served policy's server, when the manifest is one (overrides the manifest's `remote.url`). */
  remoteUrl?: string;
  /** The execution provider the policy worker opened the policy with (for the results). */
  provider: string;
  seed: number;
  indices: number[];
  clock: EvalClock;
  instructions: InstructionMode;
  /** Typed words told instead of the episode's instruction. */
  instruction?: string;
  /** Randomization groups left at their authored values. */
  randomizationsOff: OptionalRandomization[];
  imageSize: [number, number];
  videos: boolean;
  /** Only show the episode's first state (a reset): no steps run. */
  startOnly?: boolean;
  /** Step at the control rate in wall time (to watch); otherwise as fast as it goes. */
  pace: boolean;
  /** Send what the policy sees every this many steps (0: never). */
  viewEvery: number;
}

export type PolicyEvent =
  | { type: 'start'; index: number; instruction: string; target: string; maxSteps: number; load: Extract<LoadResult, { ok: true }> }
  | {
      type: 'step';
      index: number;
      step: number;
      action: number[];
      state: number[];
      /** The latest inference's latency (ms), when this step ran one (a served policy's: the round trip). */
      inferenceMs: number | null;
      /** A served policy's own inference time for that request (server_timing.infer_ms). */
      serverMs: number | null;
      success: boolean;
      views: Partial<Record<'scene' | 'wrist', RgbaImage>> | null;
    }
  | { type: 'episode'; result: PolicyEpisodeResult; video: Uint8Array | null };

export type PolicyRunResult = { ok: true; results: PolicyEpisodeResult[] } | { ok: false; error: string };

/** The simulation worker's API: the scene played, a teleoperated episode, or a policy run. */
export interface SimWorkerApi {
  subscribe(callback: PoseListener): void;
  load(bytes: ArrayBuffer, fileName: string, companions?: Record<string, ArrayBuffer>): Promise<LoadResult>;
  compose(bytes: ArrayBuffer, fileName: string, companions: Record<string, ArrayBuffer> | undefined, variants: VariantSelection[]): Promise<ComposeResult>;
  play(): void;
  pause(): void;
  step(count?: number): void;
  reset(): Promise<void>;

  teleopSubscribe(callback: (status: TeleopStatus) => void): void;
  teleopStart(request: TeleopStartRequest): Promise<TeleopStartResult>;
  teleopInput(input: TeleopInput): void;
  teleopDrive(on: boolean): void;
  teleopExpert(): void;
  teleopKeep(): TeleopStatus;
  teleopDiscard(): TeleopStatus;
  teleopExport(formats: DemoFormat[]): Promise<{ path: string; bytes: Uint8Array }[]>;

  /** Connects the policy worker (the other end of a MessagePort the page made). */
  policyAttach(port: MessagePort): void;
  policyRun(request: PolicyRunRequest, callback: (event: PolicyEvent) => void): Promise<PolicyRunResult>;
  policyStop(): void;
}
