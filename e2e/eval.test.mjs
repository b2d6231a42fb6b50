/**
 * `simloop eval` end to end: the tiny test policy (scenes/fixtures/policy/tiny, untrained) drives
 * the Panda through reach episodes in headless Chromium on onnxruntime-web. Checks the results
 * contract, episodes.jsonl, one MP4 per episode named by its outcome with one frame per control
 * step (PyAV, an independent decoder), sim-time reproducibility, and bad input refused in one line
 * before any browser starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { PYTHON, pythonModules, requirePython, titled } from '../src/engine/testing/python.ts';

const AV = pythonModules('av');
const POLICY = 'scenes/fixtures/policy/tiny/policy.json';

async function run(...args) {
  const stdout = [];
  const stderr = [];
  const code = await main(args, { write: (s) => stdout.push(s) }, { write: (s) => stderr.push(s) });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

test('simloop eval writes results.json, episodes.jsonl and a video per episode; sim time is reproducible', { timeout: 240_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-eval-e2e-'));
  try {
    const out = join(tmp, 'a');
    const first = await run('eval', '--policy', POLICY, '--task', 'reach', '--episodes', '2', '--seed', '5', '--out', out, '--ep', 'wasm', '--image-size', '64x48', '--json');
    assert.equal(first.code, 0, first.stderr);
    const results = JSON.parse(first.stdout);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')), results);
    for (const key of ['task', 'policy', 'episodes', 'successes', 'success_rate', 'ci95', 'mean_steps', 'ep', 'clock', 'inference_ms']) assert.ok(key in results, `results has ${key}`);
    assert.equal(results.task, 'reach');
    assert.equal(results.policy, 'tiny-test-policy');
    assert.equal(results.ep, 'wasm');
    assert.equal(results.clock, 'sim');
    assert.equal(results.episodes, 2);
    assert.equal(results.success_rate, results.successes / 2);
    assert.ok(results.ci95[0] <= results.success_rate && results.success_rate <= results.ci95[1]);
    assert.ok(results.inference_ms.p50 > 0 && results.inference_ms.p95 >= results.inference_ms.p50);
    assert.ok(results.control_rate_hz > 0, 'control rate measured');

    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.episode, l.seed]), [[0, 5], [1, 5]]);
    const outcomes = {};
    for (const l of lines) {
      assert.match(l.instruction, /\w+/);
      assert.equal(l.outcome === 'success', l.success, `episode ${l.episode}: outcome ${l.outcome}`);
      assert.ok(['success', 'never_reached', 'timed_out'].includes(l.outcome), `a reach episode ends reached or not, got ${l.outcome}`);
      assert.ok(Number.isInteger(l.grasp_attempts));
      outcomes[l.outcome] = (outcomes[l.outcome] ?? 0) + 1;
      assert.equal(l.video, `videos/episode_${l.episode}_${l.success ? 'success' : 'failure'}.mp4`);
    }
    assert.deepEqual(readdirSync(join(out, 'videos')).sort(), lines.map((l) => l.video.slice('videos/'.length)).sort());
    assert.equal(results.mean_steps, (lines[0].steps + lines[1].steps) / 2);
    assert.deepEqual(results.outcomes, outcomes);

    await t.test(titled('PyAV decodes one frame per control step from each video', AV), { skip: AV.skip }, () => {
      requirePython(AV);
      const script = 'import av, sys\nfor p in sys.argv[1:]:\n    c = av.open(p); s = c.streams.video[0]\n    print(sum(1 for _ in c.decode(s)), s.width, s.height)';
      const probe = spawnSync(PYTHON, ['-c', script, ...lines.map((l) => join(out, l.video))], { encoding: 'utf8' });
      assert.equal(probe.status, 0, probe.stderr);
      assert.deepEqual(probe.stdout.trim().split('\n'), lines.map((l) => `${l.steps} 64 48`));
    });

    // Sim time: the same seed gives the same episodes.
    const again = await run('eval', '--policy', POLICY, '--task', 'reach', '--episodes', '2', '--seed', '5', '--out', join(tmp, 'b'), '--ep', 'wasm', '--image-size', '64x48', '--no-videos', '--traces', '--json');
    assert.equal(again.code, 0, again.stderr);
    const strip = (l) => ({ ...l, video: null, inference_ms: null });
    assert.deepEqual(readFileSync(join(tmp, 'b', 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => strip(JSON.parse(l))), lines.map(strip));
    // --traces: one line per control step, numbered from 1, with the action applied and where the tool is.
    for (const l of lines) {
      const rows = readFileSync(join(tmp, 'b', 'traces', `episode_${l.episode}.jsonl`), 'utf8').trim().split('\n').map((r) => JSON.parse(r));
      assert.deepEqual(rows.map((r) => r.step), Array.from({ length: l.steps }, (_, i) => i + 1));
      for (const r of rows) {
        assert.equal(r.action.length, 7);
        assert.equal(r.tool.length, 3);
        assert.equal(r.tool_target.length, 3);
        assert.ok(r.gripper_width >= 0);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('simloop eval refuses bad input in one line, before starting a browser', { timeout: 60_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-eval-bad-'));
  try {
    // A manifest that does not match its graph.
    const pkg = join(tmp, 'pkg');
    mkdirSync(pkg);
    for (const f of ['policy.onnx', 'stats.json', 'vocab.json']) copyFileSync(join('scenes/fixtures/policy/tiny', f), join(pkg, f));
    const manifest = JSON.parse(readFileSync(POLICY, 'utf8'));
    manifest.inputs.images[0].width = 64;
    writeFileSync(join(pkg, 'policy.json'), JSON.stringify(manifest));
    // A graph with an operator onnxruntime does not have.
    const unsupported = join(tmp, 'unsupported');
    mkdirSync(unsupported);
    for (const f of ['stats.json', 'vocab.json']) copyFileSync(join('scenes/fixtures/policy/tiny', f), join(unsupported, f));
    copyFileSync('scenes/fixtures/policy/unsupported_op.onnx', join(unsupported, 'policy.onnx'));
    writeFileSync(join(unsupported, 'policy.json'), readFileSync(POLICY));
    const cases = [
      [['--policy', join(unsupported, 'policy.json')], /^simloop: policy\.json: graphs\[0\]\.file: "policy\.onnx" could not be opened as an ONNX graph \(.*com\.example:FancyAttention\(-1\) is not a registered function\/op\)\n$/],
      [['--policy', join(pkg, 'policy.json')], /^simloop: policy\.json: inputs\.images\[0\]: "image_scene" has shape \[batch, 3, 24, 32\] in graphs\[0\] \(policy\.onnx\); the manifest gives \[1, 3, 24, 64\]\n$/],
      [['--policy', join(tmp, 'missing.json')], /missing\.json: cannot read the policy manifest file\n$/],
      [['--policy', POLICY, '--ep', 'cuda'], /--ep must be webgpu or wasm, got "cuda"/],
      [['--policy', POLICY, '--clock', 'wall'], /--clock must be sim or real, got "wall"/],
    ];
    for (const [args, message] of cases) {
      const r = await run('eval', '--task', 'reach', '--episodes', '1', '--seed', '1', '--out', join(tmp, 'out'), ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
    // A Panda policy on an SO-101 task (the task names the SO-101 profile): refused, naming both robots.
    const r = await run('eval', '--task', 'so101-reach', '--episodes', '1', '--seed', '1', '--out', join(tmp, 'out'), '--policy', POLICY);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^simloop: policy\.json: robot: the policy is for "panda", the task's robot is "so101" \(so101\.robot\.yaml\)\n$/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('simloop eval --shard i/N runs a block of the episodes; simloop merge joins the blocks into what one run writes', { timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'simloop-eval-shards-'));
  try {
    const common = ['--policy', POLICY, '--task', 'reach', '--episodes', '3', '--seed', '5', '--ep', 'wasm', '--image-size', '64x48', '--json'];
    const single = await run('eval', ...common, '--out', join(tmp, 'single'));
    assert.equal(single.code, 0, single.stderr);
    const shards = [];
    for (const i of [0, 1]) {
      const r = await run('eval', ...common, '--shard', `${i}/2`, '--out', join(tmp, `shard${i}`));
      assert.equal(r.code, 0, r.stderr);
      shards.push(JSON.parse(r.stdout));
    }
    // Contiguous blocks, as generate splits frames: 3 episodes in 2 shards are [0] and [1, 2].
    assert.deepEqual(shards.map((s) => [s.episodes, s.shard]), [[1, { index: 0, count: 2, episodes: 3 }], [2, { index: 1, count: 2, episodes: 3 }]]);
    assert.deepEqual(readFileSync(join(tmp, 'shard1', 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).episode), [1, 2]);

    const merged = await run('merge', join(tmp, 'shard1'), join(tmp, 'shard0'), '--out', join(tmp, 'merged'), '--json');
    assert.equal(merged.code, 0, merged.stderr);
    assert.deepEqual(JSON.parse(merged.stdout), { out: join(tmp, 'merged'), episodes: 3, shards: 2 });
    // The same files as the single run, but for wall-clock measurements (latencies, the control rate).
    const timeless = (o) => ({ ...o, inference_ms: null, server_ms: null, control_rate_hz: null });
    const results = (dir) => timeless(JSON.parse(readFileSync(join(tmp, dir, 'results.json'), 'utf8')));
    assert.deepEqual(Object.keys(results('merged')), Object.keys(results('single')), 'the same fields in the same order');
    assert.deepEqual(results('merged'), results('single'));
    const lines = (dir) => readFileSync(join(tmp, dir, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.stringify(timeless(JSON.parse(l))));
    assert.deepEqual(lines('merged'), lines('single'));
    assert.deepEqual(readdirSync(join(tmp, 'merged', 'videos')).sort(), readdirSync(join(tmp, 'single', 'videos')).sort());
    for (const name of readdirSync(join(tmp, 'single', 'videos'))) assert.ok(readFileSync(join(tmp, 'merged', 'videos', name)).length > 0);
    assert.match(readFileSync(join(tmp, 'merged', 'latency.svg'), 'utf8'), /^<svg/);

    // Shards of another evaluation, a block given twice, a block missing: refused, saying which.
    const other = join(tmp, 'other');
    mkdirSync(other);
    copyFileSync(join(tmp, 'shard1', 'episodes.jsonl'), join(other, 'episodes.jsonl'));
    writeFileSync(join(other, 'results.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(tmp, 'shard1', 'results.json'), 'utf8')), seed: 6 }));
    const refusals = [
      [[join(tmp, 'shard0'), other], /other: comes from a different evaluation than .*shard0 \(its seed is 6, not 5\)\n$/],
      [[join(tmp, 'shard0'), join(tmp, 'shard0')], /shard0: is shard 0\/2 again \(also .*shard0\)\n$/],
      [[join(tmp, 'shard0')], /^simloop: merge: shards 1\/2 are missing\n$/],
      [[join(tmp, 'single')], /single: is not a shard of an evaluation/],
    ];
    for (const [dirs, message] of refusals) {
      const r = await run('merge', ...dirs, '--out', join(tmp, `out-${Math.random().toString(36).slice(2)}`));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
