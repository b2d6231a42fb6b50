/**
 * The page `simloop generate` opens in headless Chromium (generate.html). The Node process serves
 * the inputs and owns the disk; this page runs the same generation code as the studio and writes
 * through the HTTP sink; the conversation with Node is pageJob.ts.
 */
import type { GenerationProgress, GenerationResult } from '../engine/jobs/generate.ts';
import { parseGenerateJob } from '../engine/jobs/job.ts';
import type { GeneratePageRequest } from '../protocol/pages.ts';
import { generateInBrowser } from './generateInBrowser.ts';
import { memorySampler } from './memorySampler.ts';
import { fetchInput, outputSink, runPageJob } from './pageJob.ts';
import { startFrameWorker } from './workerPool.ts';

// Every job needs a frame worker: its modules load while the page asks for the job and imports the scene.
const early = startFrameWorker();

runPageJob<GeneratePageRequest, GenerationProgress, GenerationResult>(async (request, onProgress) => {
  let memory: ReturnType<typeof memorySampler> | null = null;
  try {
    const job = parseGenerateJob(request.job, '<job>');
    const sceneBytes = await fetchInput('scene');
    const specText = request.specFile !== null ? new TextDecoder().decode(await fetchInput('spec')) : null;
    memory = request.memorySampleSeconds ? memorySampler(request.memorySampleSeconds) : null;
    const sampler = memory;
    return await generateInBrowser({
      job,
      inputs: { sceneBytes, sceneFile: request.sceneFile, specText, specFile: request.specFile },
      sink: outputSink(),
      onProgress: sampler
        ? (p) => {
            const m = sampler.latest();
            onProgress(m ? { ...p, memory: m } : p);
          }
        : onProgress,
      faults: request.faults,
      early,
    });
  } finally {
    // Ends it if the pool never took it (a failure first, or nothing left to make).
    early.release();
    memory?.stop();
  }
});
