/**
 * The page's own memory, measured by the browser (performance.measureUserAgentSpecificMemory:
 * JavaScript heaps and DOM, attributed to the page and each dedicated worker). Needs a
 * cross-origin isolated page (the CLI's and the studio's are). The browser may take a while
 * (until its next garbage collection, at most ~20 s) to answer a measurement, so the sampler keeps
 * at most one in flight and hands out the latest answer.
 */
import type { PageMemory } from '../engine/jobs/generate.ts';

interface MemoryBreakdown {
  bytes: number;
  attribution: { scope?: string }[];
}
type MeasureMemory = () => Promise<{ bytes: number; breakdown: MemoryBreakdown[] }>;

/** Sums a measurement's breakdown by where the memory lives: its dedicated workers, or the page (the window, and memory the browser attributes to no one). */
export function pageMemoryOf(breakdown: readonly MemoryBreakdown[]): PageMemory {
  let page = 0;
  let workers = 0;
  let workerCount = 0;
  for (const entry of breakdown) {
    const scopes = entry.attribution.map((a) => a.scope);
    if (scopes.includes('DedicatedWorkerGlobalScope')) {
      workers += entry.bytes;
      workerCount += scopes.filter((s) => s === 'DedicatedWorkerGlobalScope').length;
    } else page += entry.bytes;
  }
  return { page, workers, workerCount };
}

/** Measures every `seconds`; `latest()` is the newest answer (undefined before the first). `stop()` ends it. */
export function memorySampler(seconds: number): { latest(): PageMemory | undefined; stop(): void } {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory?: MeasureMemory }).measureUserAgentSpecificMemory;
  if (!measure || !globalThis.crossOriginIsolated) throw new Error('memory sampling needs performance.measureUserAgentSpecificMemory in a cross-origin isolated page');
  let latest: PageMemory | undefined;
  let inFlight = false;
  const tick = () => {
    if (inFlight) return;
    inFlight = true;
    measure.call(performance).then(
      (result) => {
        latest = pageMemoryOf(result.breakdown);
        inFlight = false;
      },
      () => (inFlight = false),
    );
  };
  tick();
  const timer = setInterval(tick, seconds * 1000);
  return { latest: () => latest, stop: () => clearInterval(timer) };
}
