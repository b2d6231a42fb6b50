/**
 * The sim worker's API over a real SimSession, called directly (no worker, no comlink transport):
 * what the studio's tests drive instead of workers/sim.worker.ts, doing what the worker does.
 */
import { describeError } from '../../engine/errors.ts';
import { loadSceneWithFiles, sceneOptionsFromFiles } from '../../engine/load.ts';
import { SimSession } from '../../engine/sim/session.ts';
import type { LoadResult, PoseFrame, PoseListener } from '../../protocol/simWorker.ts';
import type { SimApi } from '../studio.ts';

/** The worker API over a real session, called directly (no worker, no comlink transport). */
export function fakeSim() {
  const session = new SimSession();
  let generation = 0;
  let listener: PoseListener = () => {};
  const publish = () => listener({ generation, poses: session.poses(), status: session.status() });
  const sim: SimApi = {
    subscribe: async (callback) => {
      listener = callback;
    },
    load: async (bytes, fileName, companions): Promise<LoadResult> => {
      try {
        // As the worker does (workers/sim.worker.ts).
        const files = new Map(Object.entries(companions ?? {}).map(([path, data]) => [path, new Uint8Array(data)] as const));
        const summary = await session.load(bytes, fileName, files.size > 0 ? sceneOptionsFromFiles(files, fileName) : {});
        generation++;
        return { ok: true, generation, summary, poses: session.poses(), status: session.status() };
      } catch (e) {
        return { ok: false, error: describeError(e) };
      }
    },
    compose: async (bytes, fileName, companions, variants) => {
      // As the worker does (workers/sim.worker.ts).
      try {
        const { document, warnings } = loadSceneWithFiles(new Uint8Array(bytes), fileName, companions, variants);
        return { ok: true, document, warnings };
      } catch (e) {
        return { ok: false, error: describeError(e) };
      }
    },
    play: async () => (session.play(), publish()),
    pause: async () => (session.pause(), publish()),
    step: async (count) => (session.step(count), publish()),
    reset: async () => (session.reset(), publish()),
  };
  return { sim, session, send: (frame: PoseFrame) => listener(frame), generation: () => generation };
}

