/**
 * Test support: wraps prim definitions in a USDA layer with the given stage metrics, and a small
 * seeded PRNG for fuzz tests (tests must be reproducible too).
 */
import { importUsd, type UsdImportResult } from '../usd/import.ts';

export interface StageMetrics {
  metersPerUnit?: number;
  kilogramsPerUnit?: number;
  upAxis?: 'Y' | 'Z';
}

export function usdaLayer(body: string, metrics: StageMetrics = {}): string {
  const { metersPerUnit = 1, kilogramsPerUnit = 1, upAxis = 'Y' } = metrics;
  return `#usda 1.0
(
    metersPerUnit = ${metersPerUnit}
    kilogramsPerUnit = ${kilogramsPerUnit}
    upAxis = "${upAxis}"
)

${body}
`;
}

export function importSnippet(body: string, metrics: StageMetrics = {}, file = 'snippet.usda'): UsdImportResult {
  return importUsd(usdaLayer(body, metrics), file);
}

/** mulberry32: a tiny deterministic PRNG for fuzz tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
