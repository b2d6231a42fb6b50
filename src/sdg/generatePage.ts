/**
 * The page `simloop generate` opens in headless Chromium (generate.html). The Node process serves
 * the inputs and owns the disk; this page runs the same generation code as the studio and writes
 * through the HTTP sink. The page is opened without DevTools (src/cli/browser.ts): it asks Node for
 * the job (GET /__simloop/job), posts progress (/__simloop/progress), uncaught errors
 * (/__simloop/page-error) and finally its PageResponse (/__simloop/done).
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

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Progress to Node, in order, at most one request in flight (the newest state wins). */
function progressReporter() {
  let pending: GenerationProgress | null = null;
  let flushing: Promise<void> | null = null;
  const flush = async () => {
    while (pending) {
      const p = pending;
      pending = null;
      await post('/__simloop/progress', p).catch(() => {});
    }
    flushing = null;
  };
  return {
    report(p: GenerationProgress) {
      pending = p;
      flushing ??= flush();
    },
    settled: () => flushing ?? Promise.resolve(),
  };
}

async function generate(request: PageRequest, onProgress: (p: GenerationProgress) => void): Promise<PageResponse> {
  try {
    const job = parseGenerateJob(request.job, '<job>');
    const sceneBytes = await fetchBytes('/__simloop/input/scene');
    const specText = request.specFile !== null ? new TextDecoder().decode(await fetchBytes('/__simloop/input/spec')) : null;
    const result = await generateInBrowser({
      job,
      inputs: { sceneBytes, sceneFile: request.sceneFile, specText, specFile: request.specFile },
      sink: createHttpSink(`${location.origin}/__simloop/sink`),
      onProgress,
      faults: request.faults,
    });
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

addEventListener('error', (event) => void post('/__simloop/page-error', { message: String(event.message ?? event) }).catch(() => {}));
addEventListener('unhandledrejection', (event) => void post('/__simloop/page-error', { message: describeError(event.reason) }).catch(() => {}));

(async () => {
  let response: PageResponse;
  const progress = progressReporter();
  try {
    const request = (await (await fetch('/__simloop/job')).json()) as PageRequest;
    response = await generate(request, (p) => progress.report(p));
  } catch (error) {
    response = { ok: false, error: describeError(error) };
  }
  await progress.settled();
  await post('/__simloop/done', response);
})();
