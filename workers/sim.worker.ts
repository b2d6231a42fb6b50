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
import { SimSession, type SceneSummary, type SimStatus } from '../src/engine/sim/session.ts';

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

const TICK_MS = 1000 / 60;

const session = new SimSession();
let generation = 0;
let listener: Comlink.Remote<PoseListener> | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
let lastTick = 0;

function publish(): void {
  if (!listener || generation === 0) return;
  const poses = session.poses();
  const frame: PoseFrame = { generation, poses, status: session.status() };
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

  async load(bytes: ArrayBuffer, fileName: string): Promise<LoadResult> {
    try {
      const summary = await session.load(bytes, fileName);
      stopLoop();
      generation++;
      const poses = session.poses();
      const result: LoadResult = { ok: true, generation, summary, poses, status: session.status() };
      return Comlink.transfer(result, [poses.buffer]);
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  },

  play(): void {
    session.play();
    startLoop();
    publish();
  },

  pause(): void {
    session.pause();
    stopLoop();
    publish();
  },

  step(count = 1): void {
    session.step(count);
    publish();
  },

  reset(): void {
    session.reset();
    stopLoop();
    publish();
  },
};

export type SimWorkerApi = typeof api;

Comlink.expose(api);
