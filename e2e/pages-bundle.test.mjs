/**
 * What the headless pages' bundle (the pages `simloop generate`, `demos` and `eval` open; built by
 * src/cli/pagesBundle.ts) loads before a first frame: its scripts are ASCII-only (a script with one
 * non-ASCII character is decoded and scanned as UTF-16 whole, and the frame worker's is ~5 MB), and
 * the generate page and its frame worker import no URDF, MJCF or model reader until a file of
 * theirs is opened (they bring an XML parser, an XML DOM and three.js's loaders).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { pagesBundle } from '../src/cli/pagesBundle.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every file a script imports statically (import/export … from, side-effect imports), recursively. */
function staticGraph(dir, entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(dir, file), 'utf8');
    for (const match of text.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*${}\s,]+from\s*)?["']([^"']+)["']/g)) {
      const spec = match[1];
      if (!spec.startsWith('.') && !spec.startsWith('/')) continue;
      visit(spec.startsWith('/') ? spec.slice(1) : join(dirname(file), spec));
    }
  };
  visit(entry);
  return [...seen];
}

test('the headless pages are ASCII-only scripts, and a USD job loads no XML or model readers', { timeout: 300_000 }, async () => {
  const bundle = await pagesBundle(ROOT);
  assert.ok(bundle, 'SIMLOOP_PAGES=dev is set: no bundle to check');
  const assets = readdirSync(join(bundle.dir, 'assets')).filter((f) => f.endsWith('.js'));
  assert.ok(assets.length > 5, `expected the pages' scripts in ${bundle.dir}/assets`);
  for (const file of assets) {
    const bytes = readFileSync(join(bundle.dir, 'assets', file));
    const at = bytes.findIndex((b) => b > 0x7f);
    assert.equal(at, -1, `${file}: a non-ASCII byte at ${at}`);
  }

  const html = readFileSync(join(bundle.dir, 'generate.html'), 'utf8');
  const entry = /<script type="module"[^>]*src="\/([^"]+)"/.exec(html)?.[1];
  assert.ok(entry, 'generate.html names its module');
  const worker = assets.find((f) => f.startsWith('sdg.worker-'));
  assert.ok(worker, 'the frame worker is in the bundle');
  // fast-xml-parser's option name and three.js's COLLADA loader: in the bundle, not in what loads first.
  const markers = ['unpairedTags', 'ColladaLoader'];
  for (const marker of markers) assert.ok(assets.some((f) => readFileSync(join(bundle.dir, 'assets', f), 'utf8').includes(marker)), `${marker} is in the bundle`);
  for (const start of [entry, `assets/${worker}`]) {
    const graph = staticGraph(bundle.dir, start);
    assert.ok(graph.length > 1, `${start} imports modules`);
    for (const file of graph) {
      const text = readFileSync(join(bundle.dir, file), 'utf8');
      for (const marker of markers) assert.ok(!text.includes(marker), `${start} loads ${file}, which holds ${marker}`);
    }
  }
});
