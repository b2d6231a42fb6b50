import { describe, expect, it } from 'vitest';
import { pageMemoryOf } from './memorySampler.ts';

describe('page memory from a browser measurement', () => {
  it('adds the dedicated workers apart from the page, counting the workers', () => {
    // The shape performance.measureUserAgentSpecificMemory() answers with (its breakdown).
    const breakdown = [
      { bytes: 8_000_000, attribution: [{ url: 'http://127.0.0.1/generate.html', scope: 'Window' }], types: ['JavaScript'] },
      { bytes: 30_000_000, attribution: [{ url: 'http://127.0.0.1/assets/sdg.worker.js', scope: 'DedicatedWorkerGlobalScope' }], types: ['JavaScript'] },
      { bytes: 31_000_000, attribution: [{ url: 'http://127.0.0.1/assets/sdg.worker.js', scope: 'DedicatedWorkerGlobalScope' }], types: ['JavaScript'] },
      { bytes: 500_000, attribution: [], types: [] },
      { bytes: 200_000, attribution: [{ url: 'http://127.0.0.1/generate.html', scope: 'Window' }], types: ['DOM'] },
    ];
    expect(pageMemoryOf(breakdown)).toEqual({ page: 8_700_000, workers: 61_000_000, workerCount: 2 });
  });

  it('is all page before any worker exists', () => {
    expect(pageMemoryOf([{ bytes: 1234, attribution: [{ scope: 'Window' }] }])).toEqual({ page: 1234, workers: 0, workerCount: 0 });
  });
});
