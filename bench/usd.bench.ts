/**
 * USD composition and import benchmarks. Prints one JSON object; `npm run bench` runs it after the
 * physics benchmarks.
 * Measures, on USD other people wrote (scenes/fixtures/third-party): the Open Chess Set (payloads,
 * sublayers, inherits, variants, a PointInstancer, crate geometry) and the usd-wg teapot, each as
 * the time to read its layers, to compose them (prim indexes + flattening), to make the scene
 * document, and end to end — cold (first open in the process) and warm (median of repeats, the
 * layer and composition caches cleared), and opened again unchanged (caches kept) and with another
 * variant chosen (layers reused, composition redone). Also OpenUSD's composition museum, end to end.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearCompositionCaches, composeUsd, type VariantSelection } from '../src/engine/usd/compose.ts';
import { importUsd, importUsdLayer } from '../src/engine/usd/import.ts';
import { readUsdLayer } from '../src/engine/usd/layer.ts';
import { museumTests, runMuseumTest } from '../src/engine/testing/pcpMuseum.ts';

const THIRD_PARTY = new URL('../scenes/fixtures/third-party/', import.meta.url).pathname;

const ms = (t0: number) => Number((performance.now() - t0).toFixed(1));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const resolverFor = (folder: string) => (key: string) => {
  const path = join(folder, key);
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
};

function measure(folder: string, root: string, variant: VariantSelection | null) {
  const resolve = resolverFor(folder);
  const bytes = readFileSync(join(folder, root));
  const usdFiles = filesUnder(folder).filter((f) => /\.usd[ac]?$/.test(f));
  const parse = () => {
    const t0 = performance.now();
    for (const file of usdFiles) readUsdLayer(new Uint8Array(readFileSync(file)), file);
    return ms(t0);
  };
  /** Composition and document from nothing cached. */
  const stages = () => {
    clearCompositionCaches({ layers: true });
    const t0 = performance.now();
    const composed = composeUsd(readUsdLayer(bytes, root), { resolve });
    const composeMs = ms(t0);
    const t1 = performance.now();
    importUsdLayer(composed.layer, resolve);
    return { compose_ms: composeMs, document_ms: ms(t1) };
  };
  const endToEnd = (variants: VariantSelection[] = []) => {
    const t0 = performance.now();
    const { document } = importUsd(bytes, root, { resolve, variants });
    return { ms: ms(t0), document };
  };
  clearCompositionCaches({ layers: true });
  const cold = endToEnd();
  const meshes = cold.document.prims.filter((p) => p.geometry?.kind === 'mesh');
  const points = meshes.reduce((n, p) => n + (p.geometry!.kind === 'mesh' ? p.geometry!.points.length / 3 : 0), 0);
  const warm = Array.from({ length: 5 }, () => stages());
  const parseRuns = Array.from({ length: 3 }, parse);
  // Opened again unchanged: the composition is reused (its layers' content checked).
  endToEnd();
  const reopened = Array.from({ length: 5 }, () => endToEnd().ms);
  // Another variant: the layers are reused, the composition is made anew.
  const otherVariant = variant
    ? Array.from({ length: 3 }, () => {
        clearCompositionCaches();
        return endToEnd([variant]).ms;
      })
    : null;
  return {
    layers: usdFiles.length,
    bytes: usdFiles.reduce((n, f) => n + statSync(f).size, 0),
    prims: cold.document.prims.length,
    meshes: meshes.length,
    points,
    cold_end_to_end_ms: cold.ms,
    parse_all_layers_ms_median: median(parseRuns),
    compose_ms_median: median(warm.map((w) => w.compose_ms)),
    document_ms_median: median(warm.map((w) => w.document_ms)),
    reopen_unchanged_ms_median: median(reopened),
    other_variant_ms_median: otherVariant ? median(otherVariant) : null,
  };
}

const chess = measure(join(THIRD_PARTY, 'OpenChessSet'), 'chess_set.usda', { prim: '/ChessSet/Black/King', set: 'shadingVariant', selection: 'White' });
const teapot = measure(join(THIRD_PARTY, 'teapot'), 'teapot.usd', null);

const tests = museumTests();
const t0 = performance.now();
let composedCases = 0;
for (const test of tests) {
  try {
    runMuseumTest(test);
    composedCases++;
  } catch {
    // --dumpPath cases are not supported (museum.test.ts lists them)
  }
}
const museumMs = ms(t0);

console.log(
  JSON.stringify(
    {
      benchmark: 'usd',
      node: process.version,
      open_chess_set: chess,
      teapot,
      pcp_museum: { cases: composedCases, total_ms: museumMs },
    },
    null,
    2,
  ),
);
