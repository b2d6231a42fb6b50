/**
 * The studio's simulation for tests: the real simulation host (src/browser/simHost.ts, what
 * workers/sim.worker.ts exposes), called directly instead of through a worker and comlink. Answers
 * are promises, as over comlink. No cameras (Node has no OffscreenCanvas).
 */
import { SimHost } from '../../browser/simHost.ts';
import type { PoseFrame, PoseListener } from '../../protocol/simWorker.ts';
import type { SimApi } from '../studio.ts';

export function directSim() {
  const host = new SimHost({
    cameraStack: () => {
      throw new Error('no cameras in tests');
    },
  });
  let listener: PoseListener = () => {};
  let generation = 0;
  const sim: SimApi = {
    subscribe: async (callback) => {
      listener = callback;
      host.subscribe(callback);
    },
    load: async (bytes, fileName, companions) => {
      const result = await host.load(bytes, fileName, companions);
      if (result.ok) generation = result.generation;
      return result;
    },
    compose: async (bytes, fileName, companions, variants) => host.compose(bytes, fileName, companions, variants),
    play: async () => host.play(),
    pause: async () => host.pause(),
    step: async (count) => host.step(count),
    reset: () => host.reset(),
  };
  return {
    sim,
    host,
    /** Delivers a frame to the studio as the worker would (a stale one, for instance). */
    send: (frame: PoseFrame) => listener(frame),
    /** The generation of the scene loaded last. */
    generation: () => generation,
  };
}
