/**
 * Browser side of the frame worker pool: starts sdg workers (workers/sdg.worker.ts), wraps them
 * with comlink, and turns a worker that dies (an uncaught error, an out-of-memory kill) into a
 * retryable FrameFailure so the job redoes its frame on a fresh worker.
 */
import * as Comlink from 'comlink';
import { FrameFailure, type FrameWorker } from '../engine/jobs/generate.ts';
import type { PipelineInit } from '../engine/jobs/framePipeline.ts';
import type { SdgWorkerApi, WorkerFaults } from '../protocol/sdgWorker.ts';
import { type WorkerDeathWatch, watchWorkerDeath } from '../browser/workerDeath.ts';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A frame worker whose modules are loading, not yet given a job. */
export interface StartedFrameWorker {
  /** Ends it unless a pool took it (the pool ends the workers it takes). */
  release(): void;
}

interface Started extends StartedFrameWorker {
  worker: Worker;
  watch: WorkerDeathWatch<FrameFailure>;
  remote: Comlink.Remote<SdgWorkerApi>;
  /** The frame in hand, for the message of a death. */
  frame: number;
  taken: boolean;
}

function start(): Started {
  const worker = new Worker(new URL('../../workers/sdg.worker.ts', import.meta.url), { type: 'module', name: 'simloop-sdg' });
  const started: Started = {
    worker,
    // Watched from the start: a worker whose modules fail to load dies before anyone calls it.
    watch: watchWorkerDeath(worker, {
      crashed: (text) => new FrameFailure(started.frame, `a frame worker crashed (${text || 'no message'})`, true),
      unreadable: () => new FrameFailure(started.frame, 'a frame worker sent an unreadable message', true),
    }),
    remote: Comlink.wrap<SdgWorkerApi>(worker),
    frame: -1,
    taken: false,
    release() {
      if (started.taken) return;
      started.taken = true;
      started.remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
  return started;
}

/**
 * Starts a frame worker before its job is known: its modules (three.js, and Rapier's
 * WebAssembly, which it starts compiling as it loads) load while the page still reads the job
 * and imports the scene. Hand it to frameWorkerFactory, and release it after the job in case no
 * pool took it.
 */
export function startFrameWorker(): StartedFrameWorker {
  return start();
}

/** Workers for a job's pool: `early` ones first (startFrameWorker), then new ones. */
export function frameWorkerFactory(init: PipelineInit, faults: WorkerFaults = {}, early: StartedFrameWorker[] = []): (slot: number) => Promise<FrameWorker> {
  const ready = early as Started[];
  return async () => {
    let started: Started | undefined;
    while ((started = ready.shift()) && started.taken);
    started ??= start();
    started.taken = true;
    const { worker, watch, remote } = started;
    try {
      await watch.guard(remote.init(init, faults));
    } catch (error) {
      worker.terminate();
      if (error instanceof FrameFailure) throw error;
      throw new FrameFailure(-1, message(error), false);
    }
    const current = started;
    return {
      async run(frame, attempt) {
        current.frame = frame;
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
