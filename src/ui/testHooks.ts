/**
 * `window.__simloop`: a read-only view of the studio state for browser tests (e2e/). Tests check
 * the DOM and the viewport's pixels first; this is for numbers the page does not print exactly.
 * Nothing here changes state.
 */
import type { SimStatus } from '../engine/sim/session.ts';
import type { StudioStore } from './state/store.ts';

export interface SimloopTestHooks {
  status(): SimStatus;
  /** Latest poses, 7 numbers per moving body (x, y, z, qx, qy, qz, qw). */
  poses(): number[];
  movingBodies(): string[];
  /** The file name of the loaded scene, or null. */
  readonly scenePath: string | null;
  /** Seconds per physics step of the loaded scene, or null. */
  readonly dt: number | null;
  /** Counts pose updates; the viewport marks the last one it drew in `data-rendered-pose-version`. */
  readonly poseVersion: number;
  /** Where a world point appears in the page (CSS pixels), through the viewport's camera now; null before it draws. */
  project(point: [number, number, number]): { x: number; y: number } | null;
}

type Projector = (point: [number, number, number]) => { x: number; y: number };
let projector: Projector | null = null;

/** The viewport registers how it projects world points (its camera and canvas), for `project`. */
export function setViewportProjector(next: Projector | null): void {
  projector = next;
}

declare global {
  interface Window {
    __simloop?: SimloopTestHooks;
  }
}

export function exposeTestHooks(store: StudioStore): void {
  const hooks: SimloopTestHooks = {
    status: () => ({ ...store.getState().status }),
    poses: () => Array.from(store.getState().poses ?? []),
    movingBodies: () => [...(store.getState().scene?.movingBodies ?? [])],
    get scenePath() {
      return store.getState().scene?.fileName ?? null;
    },
    get dt() {
      return store.getState().scene?.dt ?? null;
    },
    get poseVersion() {
      return store.getState().poseVersion;
    },
    project: (point) => projector?.(point) ?? null,
  };
  Object.defineProperty(window, '__simloop', { value: Object.freeze(hooks), configurable: true });
}
