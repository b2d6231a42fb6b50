/**
 * The studio's state and its transitions: which scene is loaded, the latest pose frame and sim
 * status, measured speed, and the messages panel. Plain data and pure functions; the zustand
 * store (store.ts) holds it and the controller (../studio.ts) drives it.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { SceneDocument } from '../../engine/scene/schema.ts';
import type { SimStatus } from '../../engine/sim/session.ts';
import type { LoadResult, PoseFrame } from '../../protocol/simWorker.ts';
import { addSample, stepsPerSecond, type StepSample } from './stepRate.ts';

export interface LoadedScene {
  /** Names this load in the worker; pose frames of other generations are stale. */
  generation: number;
  /** Counts scenes opened (not edits): the viewport frames the camera anew only when it changes. */
  opened: number;
  fileName: string;
  /** The file's bytes as opened (a copy; the worker got the original), for the synthetic-data panels. */
  source: Uint8Array;
  document: SceneDocument;
  /** Bodies whose poses arrive in frames, in order. */
  movingBodies: string[];
  /** Every prim that is a rigid body (static ones included). */
  bodyCount: number;
  dt: number;
}

export type MessageLevel = 'error' | 'warning' | 'info';

export interface Message {
  id: number;
  level: MessageLevel;
  text: string;
}

export interface StudioState {
  scene: LoadedScene | null;
  status: SimStatus;
  /** Latest poses of `scene` (7 floats per moving body); replaced, never mutated. */
  poses: Float32Array | null;
  /** Counts pose updates, so views can tell whether they have drawn the latest. */
  poseVersion: number;
  stepSamples: StepSample[];
  stepsPerSecond: number | null;
  /** The file being opened, while it is. */
  loading: string | null;
  messages: Message[];
  nextMessageId: number;
}

export const initialStudioState = (): StudioState => ({
  scene: null,
  status: { time: 0, steps: 0, playing: false },
  poses: null,
  poseVersion: 0,
  stepSamples: [],
  stepsPerSecond: null,
  loading: null,
  messages: [],
  nextMessageId: 1,
});

/** One line per message: anything after the first line (a stack, say) is never shown. */
const oneLine = (text: string) => text.split('\n')[0]!.trim();

export function withMessages(state: StudioState, level: MessageLevel, texts: readonly string[]): Pick<StudioState, 'messages' | 'nextMessageId'> {
  let id = state.nextMessageId;
  const added = texts.map((text) => ({ id: id++, level, text: oneLine(text) }));
  return { messages: [...state.messages, ...added], nextMessageId: id };
}

export function loadStarted(fileName: string): Partial<StudioState> {
  return { loading: fileName };
}

/** A new scene replaces the old one; the messages panel now describes the new scene. */
/**
 * What the studio keeps as a shown scene's source (what generation and the designer read): the
 * scene file itself, or, for a scene opened with companion files (a URDF's or MJCF's meshes), the
 * document the import made of them all, as JSON.
 */
export function sceneSource(file: Uint8Array, withCompanions: boolean, document: SceneDocument): Uint8Array {
  return withCompanions ? new TextEncoder().encode(JSON.stringify(document)) : file;
}

export function loadSucceeded(state: StudioState, fileName: string, result: Extract<LoadResult, { ok: true }>, source: Uint8Array): Partial<StudioState> {
  const { summary } = result;
  const fresh = { ...state, messages: [] };
  const messages = withMessages(fresh, 'info', [
    `Opened ${fileName}: ${summary.document.prims.length} prims, ${summary.movingBodies.length} moving bodies`,
  ]);
  return {
    scene: {
      generation: result.generation,
      opened: (state.scene?.opened ?? 0) + 1,
      fileName,
      source,
      document: summary.document,
      movingBodies: summary.movingBodies,
      bodyCount: summary.document.prims.filter((p) => p.body).length,
      dt: summary.dt,
    },
    status: result.status,
    poses: result.poses,
    poseVersion: state.poseVersion + 1,
    stepSamples: [],
    stepsPerSecond: null,
    loading: null,
    ...withMessages({ ...fresh, ...messages }, 'warning', summary.warnings),
  };
}

/**
 * An edited document, loaded in the worker: the same scene, so the camera stays and the messages
 * stay; physics starts over from the edited document. `source` becomes the document's JSON, which
 * is what generation and the Robot tab read from now on.
 */
export function documentReloaded(state: StudioState, document: SceneDocument, result: Extract<LoadResult, { ok: true }>, source: Uint8Array): Partial<StudioState> {
  if (!state.scene) return state;
  return {
    scene: {
      ...state.scene,
      generation: result.generation,
      source,
      document,
      movingBodies: result.summary.movingBodies,
      bodyCount: document.prims.filter((p) => p.body).length,
      dt: result.summary.dt,
    },
    status: result.status,
    poses: result.poses,
    poseVersion: state.poseVersion + 1,
    stepSamples: [],
    stepsPerSecond: null,
  };
}

/** A failed load leaves the current scene as it was and says why. */
export function loadFailed(state: StudioState, error: string): Partial<StudioState> {
  return { loading: null, ...withMessages(state, 'error', [error]) };
}

/** A pose frame from the worker; frames of a scene no longer loaded leave the state as it is. */
export function frameReceived(state: StudioState, frame: PoseFrame, now: number): Partial<StudioState> {
  if (!state.scene || frame.generation !== state.scene.generation) return state;
  const stepSamples = frame.status.playing ? addSample(state.stepSamples, { at: now, steps: frame.status.steps }) : [];
  return {
    status: frame.status,
    poses: frame.poses,
    poseVersion: state.poseVersion + 1,
    stepSamples,
    stepsPerSecond: frame.status.playing ? stepsPerSecond(stepSamples) : null,
  };
}

/** The studio's store (a vanilla zustand store of this state); store.ts makes it and its React hooks. */
export type StudioStore = StoreApi<StudioState>;
