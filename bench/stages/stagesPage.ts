/**
 * The page `npm run bench:sdg` opens for its stage ladder: the tabletop job's frames made by
 * `simloop generate`'s own frame pipeline in `workers` workers, stopped after one stage (see
 * PipelineStage), so the rate and the CPU of each stage are measured rather than inferred. Each
 * worker warms up on its first frames (shader programs, Rapier's first runs), then all of them
 * make `frames` frames each, the same frame numbers a job of that many workers would.
 */
import * as Comlink from 'comlink';
import { parseGenerateJob } from '../../src/engine/jobs/job.ts';
import { planGeneration } from '../../src/engine/jobs/plan.ts';
import { fetchInput, runPageJob } from '../../src/pages/pageJob.ts';
import type { PipelineStage } from './stages.ts';
import type { StagesWorkerApi } from './stages.worker.ts';

export interface StagesRequest {
  /** A generate job as `simloop generate` takes it (job.ts). */
  job: unknown;
  sceneFile: string;
  specFile: string | null;
  stage: PipelineStage;
  workers: number;
  /** Timed frames per worker. */
  frames: number;
  /** Untimed frames per worker first. */
  warmup: number;
}

/** Said when the timed frames start and when they end, so Node can read the processes' CPU time around them. */
export interface StagesProgress {
  timed: 'started' | 'ended';
}

export interface StagesResult {
  frames_per_second: number;
  /** Files the last frame made (0 for `labelled`): a check that the stage did its work. */
  files_per_frame: number;
}

runPageJob<StagesRequest, StagesProgress, StagesResult>(async (request, progress) => {
  const job = parseGenerateJob(request.job, '<job>');
  const sceneBytes = await fetchInput('scene');
  const specText = request.specFile !== null ? new TextDecoder().decode(await fetchInput('spec')) : null;
  const inputs = { sceneBytes, sceneFile: request.sceneFile, specText, specFile: request.specFile };
  const plan = await planGeneration(inputs, job);
  const workers = Array.from({ length: request.workers }, () => new Worker(new URL('./stages.worker.ts', import.meta.url), { type: 'module' }));
  const remotes = workers.map((w) => Comlink.wrap<StagesWorkerApi>(w));
  let files = 0;
  // Worker k makes frames k, k + workers, k + 2 × workers, …
  const make = async (k: number, from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      const made = await remotes[k]!.run(k + i * request.workers, request.stage);
      files = typeof made === 'number' ? made : made.files.length;
    }
  };
  try {
    await Promise.all(remotes.map((r) => r.init({ ...inputs, job, info: plan.info })));
    await Promise.all(remotes.map((_, k) => make(k, 0, request.warmup)));
    progress({ timed: 'started' });
    const started = performance.now();
    await Promise.all(remotes.map((_, k) => make(k, request.warmup, request.frames)));
    const seconds = (performance.now() - started) / 1000;
    progress({ timed: 'ended' });
    return { frames_per_second: (request.frames * request.workers) / seconds, files_per_frame: files };
  } finally {
    await Promise.all(remotes.map((r) => r.dispose().catch(() => {})));
    workers.forEach((w) => w.terminate());
  }
});
