/**
 * Policy benchmark: inference latency (p50/p95 after warm-up) of the shipped policy on
 * onnxruntime-web's WASM in headless Chromium (the policy worker, as the studio and `simloop eval`
 * run it) against onnxruntime-node on the same machine — the ratio is the browser's overhead —
 * and on WebGPU (on a machine without a GPU that is Chromium's SwiftShader software adapter, which
 * says nothing about GPU speed; the adapter is reported); then the closed-loop control rate
 * `simloop eval` achieves (steps of physics + both cameras rendered + inference per wall-clock
 * second) in sim time and in real time. Prints one JSON object.
 *
 * Run with `npm run bench:policy` (options: POLICY_BENCH_MANIFEST, POLICY_BENCH_REPEATS,
 * POLICY_BENCH_EPISODES, POLICY_BENCH_TASK).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { runEvalCommand } from '../src/cli/eval.ts';
import { runHeadlessJob } from '../src/cli/headlessJob.ts';
import { MemorySink } from '../src/engine/dataset/memorySink.ts';
import { quantile } from '../src/engine/policy/closedLoop.ts';
import { packageFiles, parsePolicyManifest, resolvePolicy } from '../src/engine/policy/manifest.ts';
import { PolicyRuntime, type SessionLike, type TensorLike } from '../src/engine/policy/runtime.ts';
import type { PolicyPageRequest, PolicyPageResult } from '../src/protocol/pages.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const shipped = join(root, 'public/policies/pick-cube/policy.json');
const manifestPath = process.env.POLICY_BENCH_MANIFEST ?? (existsSync(shipped) ? shipped : join(root, 'scenes/fixtures/policy/tiny/policy.json'));
const repeats = Number(process.env.POLICY_BENCH_REPEATS ?? 200);
const episodes = Number(process.env.POLICY_BENCH_EPISODES ?? 3);
const taskId = process.env.POLICY_BENCH_TASK ?? 'pick-cube';
const folder = dirname(manifestPath);
const manifestFile = basename(manifestPath);
const read = (p: string) => readFileSync(join(folder, p), 'utf8');
const round = (v: number) => Number(v.toFixed(3));
const stats = (ms: number[]) => ({ p50: round(quantile(ms, 0.5)), p95: round(quantile(ms, 0.95)), runs: ms.length });

async function main() {
  const manifest = parsePolicyManifest(read(manifestFile), manifestFile);
  const policy = resolvePolicy(manifest, manifestFile, read);

  // One observation's tensors, built by the runtime itself (a mid-grey frame, a typical instruction).
  const sessions = await Promise.all(manifest.graphs.map((g) => ort.InferenceSession.create(join(folder, g.file))));
  const runtime = PolicyRuntime.create(policy, sessions as unknown as SessionLike[], (t, d, dims) => new ort.Tensor(t, d, dims) as unknown as TensorLike, manifestFile);
  const image = (w: number, h: number) => ({ width: w, height: h, data: Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 7) % 256) });
  const { feeds } = runtime.feeds({
    images: Object.fromEntries(policy.images.map((i) => [i.camera, image(i.width, i.height)])),
    jointPositions: [0, -0.3, 0, -2.2, 0, 2, 0.8],
    fingerPositions: [0.04, 0.04],
    eePosition: [0.5, 0.3, 0],
    eeQuaternion: [1, 0, 0, 0],
    gripperWidth: 0.08,
    instruction: 'pick up the red cube',
  });
  const nodeMs: number[] = [];
  for (let i = 0; i < 10 + repeats; i++) {
    const t0 = performance.now();
    await runtime.run(feeds);
    if (i >= 10) nodeMs.push(performance.now() - t0);
  }
  for (const s of sessions) await s.release();

  const raw = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, { type: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) }]));
  const files = [manifestFile, ...packageFiles(manifest)];
  const inputs: Record<string, Uint8Array> = Object.fromEntries(files.map((f) => [f, new Uint8Array(readFileSync(join(folder, f)))]));
  inputs['tensors.json'] = new TextEncoder().encode(JSON.stringify(raw));
  const request: PolicyPageRequest = { manifestFile, files, runs: [['wasm'], ['webgpu']], tensorsInput: 'tensors.json', warmup: 10, repeats };
  const browser = await runHeadlessJob<PolicyPageRequest, unknown, PolicyPageResult>({ page: 'policy.html', request, inputs, sink: new MemorySink() });
  const [wasm, webgpu] = browser.runs;

  // The closed loop through `simloop eval` (physics, both cameras, inference, no videos).
  const closedLoop: Record<string, unknown> = {};
  for (const clock of ['sim', 'real'] as const) {
    const out = mkdtempSync(join(tmpdir(), 'simloop-policy-bench-'));
    try {
      const t0 = performance.now();
      const r = await runEvalCommand({ policy: manifestPath, task: taskId, episodes, seed: 1000, out, ep: 'wasm', clock, videos: false });
      const seconds = (performance.now() - t0) / 1000;
      closedLoop[clock] = { episodes, steps: r.mean_steps * episodes, control_rate_hz: r.control_rate_hz, command_seconds: round(seconds), success_rate: r.success_rate, inference_ms: r.inference_ms };
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }

  const result = {
    policy: manifest.name,
    manifest: manifestPath.replace(root, ''),
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model.trim(),
    inference_ms: {
      onnxruntime_node: stats(nodeMs),
      wasm_chromium: { ...stats(wasm!.ms), threads: wasm!.threads, cross_origin_isolated: wasm!.crossOriginIsolated },
      webgpu_chromium: webgpu ? { ...stats(webgpu.ms), provider: webgpu.provider, fallbacks: webgpu.fallbacks, note: 'without a GPU this is SwiftShader (software): a correctness path, not a speed figure' } : null,
      wasm_over_node_p50: round(quantile(wasm!.ms, 0.5) / quantile(nodeMs, 0.5)),
    },
    closed_loop: closedLoop,
    goal: 'a closed loop of at least 30 Hz with the shipped policy on WASM on a 2-core machine',
    user_agent: browser.userAgent,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:policy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
