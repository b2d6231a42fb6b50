/**
 * Runs a generation job in the browser: plans it on the page, starts the frame workers and hands
 * both to the engine's job runner with a sink. The studio's generate panel and the CLI's
 * headless page (generatePage.ts) both come through here, so a dataset is the same bytes either way.
 */
import type { Sink } from '../engine/dataset/types.ts';
import { type GenerationProgress, type GenerationResult, runGeneration } from '../engine/jobs/generate.ts';
import type { GenerateJob } from '../engine/jobs/job.ts';
import { type GenerationInputs, planGeneration } from '../engine/jobs/plan.ts';
import type { WorkerFaults } from '../protocol/sdgWorker.ts';
import { type StartedFrameWorker, frameWorkerFactory } from './workerPool.ts';

export interface BrowserGeneration {
  job: GenerateJob;
  inputs: GenerationInputs;
  sink: Sink;
  onProgress?: (progress: GenerationProgress) => void;
  signal?: AbortSignal;
  faults?: WorkerFaults;
  /** A frame worker started before the job was known (startFrameWorker): the pool's first. The caller releases it after the job, in case the pool never took it. */
  early?: StartedFrameWorker;
}

export async function generateInBrowser(options: BrowserGeneration): Promise<GenerationResult> {
  const { job, inputs } = options;
  const started = performance.now();
  const plan = await planGeneration(inputs, job);
  const sceneImport = performance.now() - started;
  const spawn = frameWorkerFactory({ ...inputs, job, info: plan.info }, options.faults, options.early ? [options.early] : []);
  const result = await runGeneration(job, plan.info, plan.lineage, { sink: options.sink, spawn, onProgress: options.onProgress, signal: options.signal });
  if (!result.startupMs) return result;
  const { workers, first_frame } = result.startupMs;
  return { ...result, startupMs: { ...result.startupMs, scene_import: sceneImport, workers: sceneImport + workers, first_frame: sceneImport + first_frame } };
}
