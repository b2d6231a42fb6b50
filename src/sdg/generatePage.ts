/**
 * The page `simloop generate` opens in headless Chromium (generate.html). The Node process serves
 * the inputs and owns the disk; this page runs the same generation code as the studio and writes
 * through the HTTP sink. Progress goes back through a function Playwright exposes.
 */
import { describeError } from '../engine/errors.ts';
import { createHttpSink } from '../engine/dataset/sinks/httpSink.ts';
import type { GenerationProgress, GenerationResult } from '../engine/jobs/generate.ts';
import { parseGenerateJob } from '../engine/jobs/job.ts';
import type { WorkerFaults } from '../../workers/sdg.worker.ts';
import { generateInBrowser } from './generateInBrowser.ts';

export interface PageRequest {
  job: unknown;
  sceneFile: string;
  specFile: string | null;
  faults?: WorkerFaults;
}

export type PageResponse = { ok: true; result: GenerationResult } | { ok: false; error: string };

declare global {
  interface Window {
    __simloopGenerate?: (request: PageRequest) => Promise<PageResponse>;
    __simloopProgress?: (progress: GenerationProgress) => void;
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

window.__simloopGenerate = async (request) => {
  try {
    const job = parseGenerateJob(request.job, '<job>');
    const sceneBytes = await fetchBytes('/__simloop/input/scene');
    const specText = request.specFile !== null ? new TextDecoder().decode(await fetchBytes('/__simloop/input/spec')) : null;
    const result = await generateInBrowser({
      job,
      inputs: { sceneBytes, sceneFile: request.sceneFile, specText, specFile: request.specFile },
      sink: createHttpSink(`${location.origin}/__simloop/sink`),
      onProgress: (p) => window.__simloopProgress?.(p),
      faults: request.faults,
    });
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
};
document.body.dataset.ready = 'true';
