/**
 * Multi-graph policies: the two-graph flow-matching fixture (scripts/policy-fixture-flow.py) —
 * an encoder, then a flow step run five times from Gaussian noise, the loop written in the
 * manifest — against the actions PyTorch computed by running the same loop.
 */
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { parsePolicyManifest, resolvePolicy } from './manifest.ts';
import { PolicyRuntime, type SessionLike, type TensorFactory, type TensorLike } from './runtime.ts';

const DIR = 'scenes/fixtures/policy/flow/';
const read = (path: string): string | null => {
  try {
    return readFileSync(DIR + path, 'utf8');
  } catch {
    return null;
  }
};
const manifestText = read('policy.json')!;
const resolved = (change?: (m: Record<string, any>) => void) => {
  const m = JSON.parse(manifestText);
  change?.(m);
  return resolvePolicy(parsePolicyManifest(JSON.stringify(m), 'policy.json'), 'policy.json', read);
};
const expected = JSON.parse(read('expected.json')!) as {
  inputs: Record<string, { dims: number[]; type: string; data: number[] }>;
  actions: { dims: number[]; data: number[] };
};
const tensor: TensorFactory = (type, data, dims) => new ortNode.Tensor(type, data, dims);
const open = async (file: string) => (await ortNode.InferenceSession.create(new Uint8Array(readFileSync(DIR + file)))) as unknown as SessionLike;
const sessions = async () => [await open('encoder.onnx'), await open('flow_step.onnx')];
const feedsOf = (): Record<string, TensorLike> =>
  Object.fromEntries(
    Object.entries(expected.inputs).map(([name, t]) => [name, tensor(t.type as never, t.type === 'int64' ? BigInt64Array.from(t.data, (v) => BigInt(v)) : Float32Array.from(t.data), t.dims)]),
  );
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
const obs = (instruction: string) => ({
  images: { scene: { width: 40, height: 30, data: new Uint8Array(40 * 30 * 4).fill(90) } },
  jointPositions: [0, -0.3, 0, -2.2, 0, 2, 0.8],
  fingerPositions: [0.02, 0.02],
  eePosition: [0.4, 0, 0.5],
  eeQuaternion: [1, 0, 0, 0],
  gripperWidth: 0.04,
  instruction,
});

describe('a two-graph flow-matching policy', () => {
  it('runs encoder → flow step ×5 (t = 1, 0.8, …, 0.2, the carry fed back) and gives PyTorch`s actions (< 1e-5)', async () => {
    const runtime = PolicyRuntime.create(resolved(), await sessions(), tensor, 'policy.json');
    const { raw } = await runtime.run(feedsOf());
    expect(raw).toHaveLength(28);
    expect(maxDiff(raw, expected.actions.data)).toBeLessThan(1e-5);
    // Running the step fewer times gives other actions: the loop count matters.
    const fewer = PolicyRuntime.create(resolved((m) => (m.graphs[1].repeat.times = 4)), await sessions(), tensor, 'policy.json');
    expect(maxDiff((await fewer.run(feedsOf())).raw, expected.actions.data)).toBeGreaterThan(1e-3);
  });

  it('draws the starting noise from (seed, episode, step): standard normal, reproducible, fresh each step', async () => {
    const runtime = PolicyRuntime.create(resolved(), await sessions(), tensor, 'policy.json');
    const noise = (seed: number, episode: number, step: number) => Array.from(runtime.feeds({ ...obs('pick up the red cube'), noise: { seed, episode, step } }).feeds.noise!.data as Float32Array);
    expect(noise(3, 1, 7)).toEqual(noise(3, 1, 7));
    expect(maxDiff(noise(3, 1, 7), noise(3, 1, 8))).toBeGreaterThan(0.1);
    expect(maxDiff(noise(3, 1, 7), noise(3, 2, 7))).toBeGreaterThan(0.1);
    // 100 steps × 28 values: mean ≈ 0 and variance ≈ 1 (standard errors 0.019 and 0.027).
    const all = Array.from({ length: 100 }, (_, s) => noise(9, 0, s)).flat();
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan(0.08);
    expect(Math.abs(variance - 1)).toBeLessThan(0.11);
    const result = await runtime.infer({ ...obs('pick up the red cube'), noise: { seed: 3, episode: 1, step: 7 } });
    const again = await runtime.infer({ ...obs('pick up the red cube'), noise: { seed: 3, episode: 1, step: 7 } });
    expect(Array.from(result.chunk)).toEqual(Array.from(again.chunk));
  });

  it('zeros latents make inference deterministic without a noise key', async () => {
    const runtime = PolicyRuntime.create(resolved((m) => (m.latents[0].init = 'zeros')), await sessions(), tensor, 'policy.json');
    const { feeds } = runtime.feeds(obs('pick up the blue cube'));
    expect(Array.from(feeds.noise!.data as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('names the field when the graph program does not fit together', async () => {
    const cases: [(m: Record<string, any>) => void, string][] = [
      [(m) => (m.graphs[1].bind = {}), 'graphs[1]: nothing feeds the graph input "x_t" of graphs[1] (flow_step.onnx) (no input, latent or earlier graph output is named "x_t")'],
      [(m) => (m.graphs[1].repeat.carry.from = 'velocity'), 'graphs[1].repeat.carry.from: graphs[1] (flow_step.onnx) has no output "velocity" (it has "x_next")'],
      [(m) => (m.graphs[1].repeat.carry.to = 'image_scene'), 'graphs[1].repeat.carry.to: "image_scene" feeds no input of graphs[1] (flow_step.onnx)'],
      [(m) => delete m.graphs[1].repeat.time, 'graphs[1]: nothing feeds the graph input "t" of graphs[1] (flow_step.onnx)'],
      [(m) => (m.latents[0].shape = [1, 4, 8]), 'latents[0]: "x_t" has shape [1, 4, 7] in graphs[1] (flow_step.onnx); the manifest gives [1, 4, 8]'],
      [(m) => (m.outputs.tensor = 'context'), 'outputs.tensor: the graph has no output "context" (graphs[1] (flow_step.onnx) has "x_next")'],
      [(m) => m.graphs.reverse(), 'graphs[0]: nothing feeds the graph input "context" of graphs[0] (flow_step.onnx)'],
    ];
    for (const [change, message] of cases) {
      const s = await sessions();
      if (message.startsWith('graphs[0]: nothing feeds the graph input "context"')) s.reverse();
      const create = () => PolicyRuntime.create(resolved(change), s, tensor, 'policy.json');
      expect(create).toThrow(InputError);
      expect(create).toThrow(message);
    }
    expect(() => resolved((m) => (m.graphs[1].name = 'encoder'))).toThrow('policy.json: graphs[1].name: "encoder" names two graphs');
  });
});
