/**
 * The page `npm run bench:sdg` opens for the ceiling probe: starts `workers` probe workers, warms
 * each up (shader compile, shadow map), then has every worker draw `frames` frames at once and
 * reports frames per second over all of them.
 */
import * as Comlink from 'comlink';
import { runPageJob } from '../../src/pages/pageJob.ts';
import type { CeilingWorkerApi } from './ceiling.worker.ts';

export interface CeilingRequest {
  width: number;
  height: number;
  shadows: boolean;
  workers: number;
  frames: number;
}

/** Said when the timed frames start and when they end, so Node can read the processes' CPU time around them. */
export interface CeilingProgress {
  timed: 'started' | 'ended';
}

export interface CeilingResult {
  frames_per_second: number;
  colour_ms: number;
  id_ms: number;
  object_pixels: number;
}

runPageJob<CeilingRequest, CeilingProgress, CeilingResult>(async (request, progress) => {
  const workers = Array.from({ length: request.workers }, () => new Worker(new URL('./ceiling.worker.ts', import.meta.url), { type: 'module' }));
  const remotes = workers.map((w) => Comlink.wrap<CeilingWorkerApi>(w));
  try {
    await Promise.all(remotes.map((r, index) => r.init({ width: request.width, height: request.height, shadows: request.shadows, index })));
    await Promise.all(remotes.map((r) => r.run(0, 3)));
    progress({ timed: 'started' });
    const started = performance.now();
    const runs = await Promise.all(remotes.map((r) => r.run(3, request.frames)));
    const seconds = (performance.now() - started) / 1000;
    progress({ timed: 'ended' });
    const total = request.frames * request.workers;
    return {
      frames_per_second: total / seconds,
      colour_ms: runs.reduce((s, r) => s + r.colour, 0) / total,
      id_ms: runs.reduce((s, r) => s + r.id, 0) / total,
      object_pixels: Math.min(...runs.map((r) => r.objectPixels)),
    };
  } finally {
    await Promise.all(remotes.map((r) => r.dispose().catch(() => {})));
    workers.forEach((w) => w.terminate());
  }
});
