/**
 * onnxruntime-web in headless Chromium — WebGPU on the SwiftShader adapter and threaded WASM —
 * against onnxruntime-node and PyTorch, on the tiny test policy (scripts/policy-fixture.py).
 */
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runHeadlessJob } from '../cli/headlessJob.ts';
import { MemorySink } from '../engine/dataset/memorySink.ts';
import type { PolicyPageRequest, PolicyPageResult } from '../protocol/pages.ts';

const DIR = 'scenes/fixtures/policy/tiny/';
const FILES = ['policy.json', 'policy.onnx', 'stats.json', 'vocab.json'];
const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as { inputs: Record<string, { type: string; dims: number[]; data: number[] }>; actions: { data: number[] } };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

async function nodeActions(): Promise<Float32Array> {
  const session = await ortNode.InferenceSession.create(DIR + 'policy.onnx');
  const feeds = Object.fromEntries(
    Object.entries(expected.inputs).map(([name, t]) => {
      const data = t.type === 'float32' ? Float32Array.from(t.data) : t.type === 'uint8' ? Uint8Array.from(t.data) : BigInt64Array.from(t.data, (v) => BigInt(v));
      return [name, new ortNode.Tensor(t.type as 'float32', data as Float32Array, t.dims)];
    }),
  );
  return (await session.run(feeds)).actions!.data as Float32Array;
}

describe('policy runtime in the browser', () => {
  it('WebGPU (SwiftShader) and WASM give the same actions within 1e-3, and match onnxruntime-node and PyTorch', async () => {
    const inputs: Record<string, Uint8Array> = Object.fromEntries(FILES.map((f) => [f, new Uint8Array(readFileSync(DIR + f))]));
    inputs['tensors.json'] = new TextEncoder().encode(JSON.stringify(expected.inputs));
    const request: PolicyPageRequest = { manifestFile: 'policy.json', files: FILES, runs: [['webgpu'], ['wasm']], tensorsInput: 'tensors.json', warmup: 1, repeats: 2 };
    const result = await runHeadlessJob<PolicyPageRequest, unknown, PolicyPageResult>({ page: 'policy.html', request, inputs, sink: new MemorySink() });
    const [webgpu, wasm] = result.runs;
    expect(webgpu!.provider).toBe('webgpu');
    expect(wasm!.provider).toBe('wasm');
    // The page is cross-origin isolated, so WASM runs threaded.
    expect(wasm!.crossOriginIsolated).toBe(true);
    expect(maxDiff(webgpu!.raw, wasm!.raw)).toBeLessThan(1e-3);
    const node = await nodeActions();
    expect(maxDiff(wasm!.raw, node)).toBeLessThan(1e-5);
    expect(maxDiff(webgpu!.raw, node)).toBeLessThan(1e-3);
    expect(maxDiff(wasm!.raw, expected.actions.data)).toBeLessThan(1e-5);
    expect(wasm!.ms).toHaveLength(2);
  }, 180_000);

  it('runs a two-graph flow-matching policy (encoder, then a step looped 5 times) on WebGPU and WASM as PyTorch does', async () => {
    const dir = 'scenes/fixtures/policy/flow/';
    const files = ['policy.json', 'encoder.onnx', 'flow_step.onnx', 'stats.json', 'vocab.json'];
    const flow = JSON.parse(readFileSync(dir + 'expected.json', 'utf8')) as typeof expected;
    const inputs: Record<string, Uint8Array> = Object.fromEntries(files.map((f) => [f, new Uint8Array(readFileSync(dir + f))]));
    inputs['tensors.json'] = new TextEncoder().encode(JSON.stringify(flow.inputs));
    const request: PolicyPageRequest = { manifestFile: 'policy.json', files, runs: [['webgpu'], ['wasm']], tensorsInput: 'tensors.json', warmup: 1, repeats: 1 };
    const result = await runHeadlessJob<PolicyPageRequest, unknown, PolicyPageResult>({ page: 'policy.html', request, inputs, sink: new MemorySink() });
    const [webgpu, wasm] = result.runs;
    expect([webgpu!.provider, wasm!.provider]).toEqual(['webgpu', 'wasm']);
    // On WebGPU the encoder's context and the loop's carry stay on the device between runs.
    expect(webgpu!.gpuResident).toEqual(['context', 'x_next']);
    expect(wasm!.gpuResident).toEqual([]);
    expect(maxDiff(wasm!.raw, flow.actions.data)).toBeLessThan(1e-5);
    expect(maxDiff(webgpu!.raw, flow.actions.data)).toBeLessThan(1e-3);
  }, 180_000);

  it('a lost WebGPU device fails the inference it hits with a clear message, then the policy runs on WASM with the same numbers', async () => {
    const inputs: Record<string, Uint8Array> = Object.fromEntries(FILES.map((f) => [f, new Uint8Array(readFileSync(DIR + f))]));
    inputs['tensors.json'] = new TextEncoder().encode(JSON.stringify(expected.inputs));
    const request: PolicyPageRequest = { manifestFile: 'policy.json', files: FILES, runs: [['webgpu']], tensorsInput: 'tensors.json', warmup: 0, repeats: 1, loseDevice: true };
    const result = await runHeadlessJob<PolicyPageRequest, unknown, PolicyPageResult>({ page: 'policy.html', request, inputs, sink: new MemorySink() });
    const [run] = result.runs;
    expect(run!.provider).toBe('webgpu');
    expect(run!.afterLoss!.error).toMatch(/^the WebGPU device was lost \(destroyed.*\); the policy was reopened on WASM \(this inference failed; the next ones run on WASM\)$/);
    expect(run!.afterLoss!.provider).toBe('wasm');
    expect(run!.afterLoss!.fallbacks.join('; ')).toMatch(/webgpu: the WebGPU device was lost/);
    expect(maxDiff(run!.afterLoss!.raw, expected.actions.data)).toBeLessThan(1e-5);
  }, 180_000);
});
