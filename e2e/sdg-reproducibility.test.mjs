/**
 * `simloop generate` end to end on the bundled tabletop and its randomization spec, in headless
 * Chromium: the same command twice gives the same bytes; 1 worker and 3 give the same bytes;
 * shards 0/2 + 1/2 merged equal the single run; a worker crash is redone; a full or read-only
 * destination stops with one line, keeps what was written, and --resume finishes the dataset
 * identically; bad input fails fast with the file and field named.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { ROOT, datasetFiles } from './harness.mjs';

const SCENE = join(ROOT, 'scenes/tabletop.usda');
const SPEC = join(ROOT, 'scenes/tabletop.randomize.yaml');
const FRAMES = 5;
let tmp;

async function generate(out, extra = [], env = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const stdout = [];
  const stderr = [];
  try {
    const code = await main(
      ['generate', '--scene', SCENE, '--randomize', SPEC, '--frames', String(FRAMES), '--seed', '7', '--out', out, '--width', '128', '--height', '96', '--json', ...extra],
      { write: (s) => stdout.push(s) },
      { write: (s) => stderr.push(s) },
    );
    return { code, stdout: stdout.join(''), stderr: stderr.join(''), summary: code === 0 ? JSON.parse(stdout.join('')) : null };
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const files = datasetFiles;

function assertSameFiles(actualDir, expectedDir, what) {
  const a = files(actualDir);
  const e = files(expectedDir);
  assert.deepEqual([...a.keys()].sort(), [...e.keys()].sort(), `${what}: same file names`);
  for (const [name, bytes] of e) assert.ok(bytes.equals(a.get(name)), `${what}: ${name} differs`);
}

const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const lastLine = (text) => text.trim().split('\n').pop();

describe('simloop generate', { timeout: 600_000 }, () => {
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'simloop-generate-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('writes every format and a complete manifest', async () => {
    const run = await generate(join(tmp, 'one'), ['--workers', '1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.summary.frames, FRAMES);
    const dir = join(tmp, 'one');
    for (const path of ['frames.jsonl', 'coco/annotations.json', 'yolo/data.yaml', 'basic/rgb_0000.png', 'basic/bounding_box_2d_tight_0004.npy', 'kitti/label_2/000004.txt', 'yolo/labels/000004.txt']) {
      assert.ok(existsSync(join(dir, path)), `${path} exists`);
    }
    const m = manifest(dir);
    assert.equal(m.complete, true);
    assert.equal(m.shards[0].complete_frames, FRAMES);
    assert.match(m.scene.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.seed, 7);
    assert.deepEqual(m.resolution, [128, 96]);
    const lines = readFileSync(join(dir, 'frames.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, FRAMES);
    assert.ok(lines.every((l, i) => JSON.parse(l).frame === i));
    assert.match(run.stderr, /frames 5\/5 \(100%\)/, 'progress line');
    // Start-up milestones, in order; the page comes from the built pages (src/cli/pagesBundle.ts).
    const s = run.summary.startup_ms;
    assert.equal(s.served, 'bundle');
    const order = ['server_ready', 'page_ready', 'scene_imported', 'worker_ready', 'first_frame_written'];
    for (let i = 1; i < order.length; i++) assert.ok(s[order[i]] >= s[order[i - 1]], `${order[i]} (${s[order[i]]}) after ${order[i - 1]} (${s[order[i - 1]]})`);
    // The first frame's own stages: its head start on shader programs, then the frame as every other.
    for (const stage of ['prepare', 'physics', 'scene', 'colourRender', 'colourReadback', 'labels', 'encode', 'write']) {
      assert.equal(typeof s.first_frame_stages[stage], 'number', `first_frame_stages.${stage}`);
    }
    assert.ok(s.first_frame_stages.colourReadback > 0, 'the first colour readback waits for its draw');
  });

  test('the pages served from the sources (SIMLOOP_PAGES=dev, vite dev server) give the same bytes as the built pages', async () => {
    const run = await generate(join(tmp, 'dev'), ['--workers', '1'], { SIMLOOP_PAGES: 'dev' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.summary.startup_ms.served, 'sources');
    assertSameFiles(join(tmp, 'dev'), join(tmp, 'one'), 'served from the sources');
  });

  test('--quality fast changes only the colour images: every label file is the same bytes as the default preset', async () => {
    const run = await generate(join(tmp, 'fast'), ['--workers', '1', '--quality', 'fast']);
    assert.equal(run.code, 0, run.stderr);
    const fast = files(join(tmp, 'fast'));
    const normal = files(join(tmp, 'one'));
    assert.deepEqual([...fast.keys()].sort(), [...normal.keys()].sort(), 'same file names');
    const colour = /^(basic\/rgb_|coco\/images\/|yolo\/images\/|kitti\/image_2\/)/;
    let differing = 0;
    for (const [name, bytes] of normal) {
      if (name === '.simloop/dataset.json') continue;
      if (colour.test(name)) differing += bytes.equals(fast.get(name)) ? 0 : 1;
      else assert.ok(bytes.equals(fast.get(name)), `${name}: a label file differs between the presets`);
    }
    assert.equal(differing, 4 * FRAMES, 'every colour image differs (no shadows, diffuse shading)');
    assert.equal(JSON.parse(fast.get('.simloop/dataset.json').toString()).quality, 'fast');
    assert.equal(JSON.parse(fast.get('.simloop/dataset.json').toString()).shadows, false);
    // A resume must be the same preset.
    const resumed = await generate(join(tmp, 'fast'), ['--workers', '1', '--resume']);
    assert.equal(resumed.code, 1);
    assert.match(lastLine(resumed.stderr), /different (shadows|quality)/);
  });

  test('the same command twice gives byte-identical files', async () => {
    const run = await generate(join(tmp, 'again'), ['--workers', '1']);
    assert.equal(run.code, 0, run.stderr);
    assertSameFiles(join(tmp, 'again'), join(tmp, 'one'), 'second run');
  });

  test('3 workers give the same bytes as 1', async () => {
    const run = await generate(join(tmp, 'three'), ['--workers', '3']);
    assert.equal(run.code, 0, run.stderr);
    assertSameFiles(join(tmp, 'three'), join(tmp, 'one'), '3 workers');
  });

  test('shards 0/2 and 1/2 merged equal the unsharded run', async () => {
    for (const shard of ['0/2', '1/2']) {
      const run = await generate(join(tmp, `shard${shard[0]}`), ['--shard', shard, '--workers', '2']);
      assert.equal(run.code, 0, run.stderr);
    }
    const lines = readFileSync(join(tmp, 'shard0', 'frames.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l).frame), [0, 1], 'shard 0 holds frames 0-1');
    const out = [];
    const code = await main(['merge', join(tmp, 'shard0'), join(tmp, 'shard1'), '--out', join(tmp, 'merged')], { write: (s) => out.push(s) }, { write: (s) => out.push(s) });
    assert.equal(code, 0, out.join(''));
    assertSameFiles(join(tmp, 'merged'), join(tmp, 'one'), 'merged shards');
    const m = manifest(join(tmp, 'merged'));
    assert.equal(m.complete, true);
    assert.deepEqual(m.shards.map((s) => s.range), [[0, 2], [2, 5]]);
  });

  test('a worker that crashes mid-run has its frame redone', async () => {
    const run = await generate(join(tmp, 'crash'), ['--workers', '2'], { SIMLOOP_FAULT: 'crash-worker@2' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.summary.retried, 1);
    assertSameFiles(join(tmp, 'crash'), join(tmp, 'one'), 'after a crash');
  });

  test('a full disk stops with one line, keeps complete frames, and --resume finishes identically', async () => {
    const dir = join(tmp, 'full');
    const run = await generate(dir, ['--workers', '1'], { SIMLOOP_FAULT: 'no-space@250000' });
    assert.equal(run.code, 1);
    assert.match(lastLine(run.stderr), /^simloop: .*no space left/);
    const m = manifest(dir);
    assert.equal(m.complete, false);
    const complete = readdirSync(join(dir, '.simloop/frames')).filter((n) => /^\d{8}\.json$/.test(n)).length;
    assert.ok(complete >= 1 && complete < FRAMES, `${complete} frames complete before the disk filled`);
    for (let f = 0; f < complete; f++) assert.ok(existsSync(join(dir, `basic/rgb_000${f}.png`)), `frame ${f} kept`);
    assert.ok(!existsSync(join(dir, 'frames.jsonl')), 'no aggregate files for an incomplete dataset');

    const refused = await generate(dir, ['--workers', '1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--resume/);

    const resumed = await generate(dir, ['--workers', '2', '--resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.summary.resumed_from, complete);
    assert.equal(resumed.summary.produced, FRAMES - complete);
    assertSameFiles(dir, join(tmp, 'one'), 'resumed');
  });

  test('a read-only destination stops with one line naming the file', async () => {
    const run = await generate(join(tmp, 'readonly'), [], { SIMLOOP_FAULT: 'read-only@0' });
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim().split('\n').filter((l) => l.startsWith('simloop:')).length, 1);
    assert.match(lastLine(run.stderr), /read-only/);
    writeFileSync(join(tmp, 'a-file'), 'x');
    const blocked = await generate(join(tmp, 'a-file', 'out'));
    assert.notEqual(blocked.code, 0);
    assert.match(lastLine(blocked.stderr), /a-file/);
  });

  test('bad input fails fast with the file and field named', async () => {
    const badSpec = join(tmp, 'bad.yaml');
    writeFileSync(badSpec, readFileSync(SPEC, 'utf8').replace(/margin: [^\n]+/, 'margin: -3'));
    // Chromium starts with the command (src/cli/earlyPage.ts) and bad input closes it: nothing is left behind.
    const profiles = () => readdirSync(tmpdir()).filter((name) => name.startsWith('simloop-chromium-')).length;
    const before = profiles();
    let run = await generate(join(tmp, 'bad1'), ['--randomize', badSpec]);
    assert.equal(run.code, 2);
    assert.match(lastLine(run.stderr), /bad\.yaml: objects\[0\]\.scatter\.margin/);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
    assert.equal(profiles(), before, 'no Chromium profile left behind');
    assert.equal(existsSync(join(tmp, 'bad1')), false, 'nothing written');

    run = await generate(join(tmp, 'bad2'), ['--width', '0']);
    assert.equal(run.code, 2);
    assert.match(lastLine(run.stderr), /width: at least 1 pixel/);

    const inside = join(tmp, 'inside.yaml');
    writeFileSync(inside, 'version: 1\ncameras:\n  - prim: /World/Camera\n    box: { min: [-0.01, 0.74, -0.01], max: [0.01, 0.76, 0.01] }\n');
    run = await generate(join(tmp, 'bad3'), ['--randomize', inside, '--frames', '1']);
    assert.equal(run.code, 1);
    assert.match(lastLine(run.stderr), /camera \/World\/Camera is inside \/World\/Table/);
    assert.equal(manifest(join(tmp, 'bad3')).complete, false);
  });
});
