/** What the page says to a synthetic-data worker (workers/sdg.worker.ts) over comlink: types only. */
import type { LabelledFrame } from '../engine/dataset/types.ts';
import type { PipelineInit } from '../engine/jobs/framePipeline.ts';
import type { FrameOutput } from '../engine/jobs/generate.ts';

/** Test hooks: make this worker die the first time it is given `crashAtFrame`. */
export interface WorkerFaults {
  crashAtFrame?: number;
}

export interface SdgWorkerApi {
  init(init: PipelineInit, testFaults?: WorkerFaults): Promise<void>;
  /** One frame, encoded (its files and records); buffers are transferred. */
  run(frame: number, attempt: number): Promise<FrameOutput>;
  /** Frame `frame` with its labels and colour image, not encoded: the studio's previews. */
  preview(frame: number): Promise<LabelledFrame[]>;
}
