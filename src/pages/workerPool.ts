/**
 * Browser side of the frame worker pool: starts sdg workers (workers/sdg.worker.ts), wraps them
 * with comlink, and turns a worker that dies (an uncaught error, an out-of-memory kill) into a
 * retryable FrameFailure so the job redoes its frame on a fresh worker.
 */
import * as Comlink from 'comlink';
import { FrameFailure, type FrameWorker } from '../engine/jobs/generate.ts';
import type { PipelineInit } from '../engine/jobs/framePipeline.ts';
import type { SdgWorkerApi, WorkerFaults } from '../protocol/sdgWorker.ts';
import { watchWorkerDeath } from '../browser/workerDeath.ts';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function frameWorkerFactory(init: PipelineInit, faults: WorkerFaults = {}): (slot: number) => Promise<FrameWorker> {
  return async () => {
    const worker = new Worker(new URL('../../workers/sdg.worker.ts', import.meta.url), { type: 'module', name: 'simloop-sdg' });
    let current = -1;
    const watch = watchWorkerDeath(worker, {
      crashed: (text) => new FrameFailure(current, `a frame worker crashed (${text || 'no message'})`, true),
      unreadable: () => new FrameFailure(current, 'a frame worker sent an unreadable message', true),
    });
    const remote = Comlink.wrap<SdgWorkerApi>(worker);
    try {
      await watch.guard(remote.init(init, faults));
    } catch (error) {
      worker.terminate();
      if (error instanceof FrameFailure) throw error;
      throw new FrameFailure(-1, message(error), false);
    }
    return {
      async run(frame, attempt) {
        current = frame;
        try {
          return await watch.guard(remote.run(frame, attempt));
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
