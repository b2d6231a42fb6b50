/**
 * Browser side of the frame worker pool: starts sdg workers (workers/sdg.worker.ts), wraps them
 * with comlink, and turns a worker that dies (an uncaught error, an out-of-memory kill) into a
 * retryable FrameFailure so the job redoes its frame on a fresh worker.
 */
import * as Comlink from 'comlink';
import { FrameFailure, type FrameWorker } from '../engine/jobs/generate.ts';
import type { PipelineInit } from '../engine/jobs/framePipeline.ts';
import type { SdgWorkerApi, WorkerFaults } from '../protocol/sdgWorker.ts';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function frameWorkerFactory(init: PipelineInit, faults: WorkerFaults = {}): (slot: number) => Promise<FrameWorker> {
  return async () => {
    const worker = new Worker(new URL('../../workers/sdg.worker.ts', import.meta.url), { type: 'module', name: 'simloop-sdg' });
    // A call fails with the worker's death. Not Promise.race against one never-settling promise:
    // each race leaves a reaction on it, ~100 bytes a frame for the life of the worker.
    let death: FrameFailure | null = null;
    const waiting = new Set<(error: FrameFailure) => void>();
    const died = (error: FrameFailure) => {
      death ??= error;
      for (const reject of waiting) reject(death);
      waiting.clear();
    };
    const unlessDead = <T>(call: Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        if (death) return reject(death);
        waiting.add(reject);
        call.then(resolve, reject).finally(() => waiting.delete(reject));
      });
    let current = -1;
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      died(new FrameFailure(current, `a frame worker crashed (${event.message || 'no message'})`, true));
    });
    worker.addEventListener('messageerror', () => died(new FrameFailure(current, 'a frame worker sent an unreadable message', true)));
    const remote = Comlink.wrap<SdgWorkerApi>(worker);
    try {
      await unlessDead(remote.init(init, faults));
    } catch (error) {
      worker.terminate();
      if (error instanceof FrameFailure) throw error;
      throw new FrameFailure(-1, message(error), false);
    }
    return {
      async run(frame, attempt) {
        current = frame;
        try {
          return await unlessDead(remote.run(frame, attempt));
        } catch (error) {
          if (error instanceof FrameFailure) throw new FrameFailure(frame, error.message, error.retryable);
          throw new FrameFailure(frame, message(error), false);
        }
      },
      terminate() {
        remote[Comlink.releaseProxy]();
        worker.terminate();
      },
    };
  };
}
