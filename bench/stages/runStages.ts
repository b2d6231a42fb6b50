/** Node's side of the stage ladder: opens bench/stages/stages.html in headless Chromium as `simloop generate` opens its page. */
import { readFileSync } from 'node:fs';
import { MemorySink } from '../../src/engine/dataset/memorySink.ts';
import type { GenerateJob } from '../../src/engine/jobs/job.ts';
import { runHeadlessJob } from '../../src/cli/headlessJob.ts';
import { cpuByRole, cpuPerFrame } from '../processCpu.ts';
import type { StagesProgress, StagesRequest, StagesResult } from './stagesPage.ts';
import type { PipelineStage } from './stages.ts';

export interface StageOptions {
  stage: PipelineStage;
  workers: number;
  /** Timed frames per worker. */
  frames: number;
  /** Untimed frames per worker first (at least one: the first frame compiles the shader programs). */
  warmup?: number;
}

/** The stage's rate, and every process's CPU per frame over its timed frames (see processCpu.ts). */
export async function measureStage(job: GenerateJob, options: StageOptions): Promise<StagesResult & { cpu_ms_per_frame: Record<string, number> | null }> {
  let before: ReturnType<typeof cpuByRole> = null;
  let after: ReturnType<typeof cpuByRole> = null;
  const request: StagesRequest = { job, sceneFile: job.scene, specFile: job.randomize ?? null, stage: options.stage, workers: options.workers, frames: options.frames, warmup: Math.max(1, options.warmup ?? 3) };
  const result = await runHeadlessJob<StagesRequest, StagesProgress, StagesResult>({
    page: 'bench/stages/stages.html',
    request,
    inputs: { scene: new Uint8Array(readFileSync(job.scene)), spec: job.randomize ? new Uint8Array(readFileSync(job.randomize)) : null },
    sink: new MemorySink(),
    onProgress: (p) => {
      if (p.timed === 'started') before = cpuByRole();
      else after = cpuByRole();
    },
  });
  return { ...result, cpu_ms_per_frame: cpuPerFrame(before, after, options.frames * options.workers) };
}
