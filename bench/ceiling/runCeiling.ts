/** Node's side of the ceiling probe: opens bench/ceiling/ceiling.html in headless Chromium as `simloop generate` opens its page. */
import { MemorySink } from '../../src/engine/dataset/memorySink.ts';
import { runHeadlessJob } from '../../src/cli/headlessJob.ts';
import { cpuByRole, cpuPerFrame } from '../processCpu.ts';
import type { CeilingProgress, CeilingRequest, CeilingResult } from './ceilingPage.ts';

/** The probe's rate and pass times, and every process's CPU per frame over its timed frames (see processCpu.ts). */
export async function measureCeiling(request: CeilingRequest): Promise<CeilingResult & { cpu_ms_per_frame: Record<string, number> | null }> {
  let before: ReturnType<typeof cpuByRole> = null;
  let after: ReturnType<typeof cpuByRole> = null;
  const result = await runHeadlessJob<CeilingRequest, CeilingProgress, CeilingResult>({
    page: 'bench/ceiling/ceiling.html',
    request,
    inputs: {},
    sink: new MemorySink(),
    onProgress: (p) => {
      if (p.timed === 'started') before = cpuByRole();
      else after = cpuByRole();
    },
  });
  return { ...result, cpu_ms_per_frame: cpuPerFrame(before, after, request.frames * request.workers) };
}
