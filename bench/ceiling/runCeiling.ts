/** Node's side of the ceiling probe: opens bench/ceiling/ceiling.html in headless Chromium as `simloop generate` opens its page. */
import { MemorySink } from '../../src/engine/dataset/memorySink.ts';
import { runHeadlessJob } from '../../src/cli/headlessJob.ts';
import type { CeilingRequest, CeilingResult } from './ceilingPage.ts';

export function measureCeiling(request: CeilingRequest): Promise<CeilingResult> {
  return runHeadlessJob<CeilingRequest, never, CeilingResult>({ page: 'bench/ceiling/ceiling.html', request, inputs: {}, sink: new MemorySink() });
}
