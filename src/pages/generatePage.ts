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

runPageJob<GeneratePageRequest, GenerationProgress, GenerationResult>(async (request, onProgress) => {
  const job = parseGenerateJob(request.job, '<job>');
  const sceneBytes = await fetchInput('scene');
  const specText = request.specFile !== null ? new TextDecoder().decode(await fetchInput('spec')) : null;
  const memory = request.memorySampleSeconds ? memorySampler(request.memorySampleSeconds) : null;
  try {
    return await generateInBrowser({
      job,
      inputs: { sceneBytes, sceneFile: request.sceneFile, specText, specFile: request.specFile },
      sink: outputSink(),
      onProgress: memory
        ? (p) => {
            const m = memory.latest();
            onProgress(m ? { ...p, memory: m } : p);
          }
        : onProgress,
      faults: request.faults,
    });
  } finally {
    memory?.stop();
  }
});
