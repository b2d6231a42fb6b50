/**
 * The stage ladder's worker (stagesPage.ts): `simloop generate`'s frame pipeline
 * (src/engine/jobs/framePipeline.ts), the one workers/sdg.worker.ts runs, stopped after a stage (stages.ts).
 */
import * as Comlink from 'comlink';
import { FramePipeline, type PipelineInit } from '../../src/engine/jobs/framePipeline.ts';
import type { FrameOutput } from '../../src/engine/jobs/generate.ts';
import type { PipelineStage } from './stages.ts';

let pipeline: FramePipeline | null = null;

const api = {
  async init(init: PipelineInit): Promise<void> {
    pipeline = await FramePipeline.create(new OffscreenCanvas(init.job.width, init.job.height), init);
  },
  /** Frame `frame` up to `stage`; its files (moved, not copied) when the stage is `posted`, else how many it made (none when only labelled). */
  async run(frame: number, stage: PipelineStage): Promise<FrameOutput | number> {
    if (!pipeline) throw new Error('stages worker: run() before init()');
    if (stage === 'labelled') {
      await pipeline.label(frame);
      return 0;
    }
    const output = await pipeline.run(frame);
    if (stage === 'encoded') return output.files.length;
    const buffers = new Set<ArrayBuffer>();
    for (const file of output.files) if (file.bytes.buffer instanceof ArrayBuffer) buffers.add(file.bytes.buffer);
    return Comlink.transfer(output, [...buffers]);
  },
  dispose(): void {
    pipeline?.dispose();
    pipeline = null;
  },
};

export type StagesWorkerApi = typeof api;
Comlink.expose(api);
