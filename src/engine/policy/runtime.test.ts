import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { parsePolicyManifest, resolvePolicy } from './manifest.ts';
import { PolicyError, PolicyRuntime, type SessionLike, type TensorFactory, type TensorLike } from './runtime.ts';

const DIR = 'scenes/fixtures/policy/tiny/';
const read = (path: string): string | null => {
  try {
    return readFileSync(DIR + path, 'utf8');
  } catch {
    return null;
  }
};
const manifestText = read('policy.json')!;
const policy = () => resolvePolicy(parsePolicyManifest(manifestText, 'policy.json'), 'policy.json', read);
/** Inputs and PyTorch's outputs written by scripts/policy-fixture.py. */
const expected = JSON.parse(read('expected.json')!) as {
  inputs: Record<string, { dims: number[]; type: string; data: number[] }>;
  actions: { dims: number[]; data: number[] };
};
const nodeTensor: TensorFactory = (type, data, dims) => new ortNode.Tensor(type, data, dims);
const webTensor: TensorFactory = (type, data, dims) => new ortWeb.Tensor(type, data, dims);
const modelBytes = new Uint8Array(readFileSync(DIR + 'policy.onnx'));

function typed(input: { type: string; data: number[] }): Float32Array | Uint8Array | BigInt64Array {
  if (input.type === 'float32') return Float32Array.from(input.data);
  if (input.type === 'uint8') return Uint8Array.from(input.data);
  return BigInt64Array.from(input.data, (v) => BigInt(v));
}
function feedsOf(make: TensorFactory): Record<string, TensorLike> {
  return Object.fromEntries(Object.entries(expected.inputs).map(([name, input]) => [name, make(input.type as never, typed(input), input.dims)]));
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

describe('PolicyRuntime on the tiny test policy', () => {
  it('onnxruntime-node gives PyTorch`s actions (max difference < 1e-5), de-normalised with the manifest`s stats', async () => {
    const session = await ortNode.InferenceSession.create(modelBytes);
    const runtime = PolicyRuntime.create(policy(), session as unknown as SessionLike, nodeTensor, 'policy.json');
    const { raw, chunk } = await runtime.run(feedsOf(nodeTensor));
    expect(raw).toHaveLength(4 * 7);
    expect(maxDiff(raw, expected.actions.data)).toBeLessThan(1e-5);
    // action stats: mean 0, std 0.01 for xyz, 0.05 for rotation, 1 for the gripper.
    expect(chunk[0]).toBeCloseTo(raw[0]! * 0.01, 7);
    expect(chunk[4]).toBeCloseTo(raw[4]! * 0.05, 7);
    expect(chunk[6]).toBeCloseTo(raw[6]!, 6);
  });

  it('onnxruntime-web (WASM, in Node) agrees with onnxruntime-node within 1e-5', async () => {
    ortWeb.env.wasm.numThreads = 1;
    const web = await ortWeb.InferenceSession.create(modelBytes, { executionProviders: ['wasm'] });
    const node = await ortNode.InferenceSession.create(modelBytes);
    const a = await PolicyRuntime.create(policy(), web as unknown as SessionLike, webTensor, 'policy.json').run(feedsOf(webTensor));
    const b = await PolicyRuntime.create(policy(), node as unknown as SessionLike, nodeTensor, 'policy.json').run(feedsOf(nodeTensor));
    expect(maxDiff(a.raw, b.raw)).toBeLessThan(1e-5);
  });

  it('builds its inputs from an observation: camera images fitted, state normalised, instruction tokenized', async () => {
    const session = await ortNode.InferenceSession.create(modelBytes);
    const runtime = PolicyRuntime.create(policy(), session as unknown as SessionLike, nodeTensor, 'policy.json');
    const rgba = (w: number, h: number, value: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(value) });
    const obs = {
      images: { scene: rgba(64, 64, 51), wrist: rgba(16, 16, 200) },
      jointPositions: [0, -0.3, 0, -2.2, 0, 2, 0.8],
      fingerPositions: [0.03, 0.01],
      eePosition: [0, 0, 0],
      eeQuaternion: [0, 0, 0, 1],
      gripperWidth: 0.04,
      instruction: 'Pick up the purple cube',
    };
    const { feeds, unknownWords } = runtime.feeds(obs);
    expect(unknownWords).toEqual(['purple']);
    expect(feeds.image_scene!.dims).toEqual([1, 3, 24, 32]);
    expect((feeds.image_scene!.data as Float32Array)[0]).toBeCloseTo(0.2, 6);
    expect(feeds.image_wrist!.dims).toEqual([1, 16, 16, 3]);
    expect((feeds.image_wrist!.data as Uint8Array)[5]).toBe(200);
    // State at the mean except the fingers: (0.03 − 0.02) / 0.01 = 1, (0.01 − 0.02) / 0.01 = −1.
    expect(Array.from(feeds.state!.data as Float32Array).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, -1]);
    expect(Array.from(feeds.tokens!.data as BigInt64Array, Number)).toEqual([2, 3, 4, 1, 8, 0]);
    expect(Array.from(feeds.token_mask!.data as BigInt64Array, Number)).toEqual([1, 1, 1, 1, 1, 0]);
    const result = await runtime.infer(obs);
    expect(result.chunk).toHaveLength(28);
    expect(result.chunk.every(Number.isFinite)).toBe(true);
  });

  it('names the manifest field when the graph disagrees with it', async () => {
    const session = (await ortNode.InferenceSession.create(modelBytes)) as unknown as SessionLike;
    const withManifest = (change: (m: Record<string, any>) => void) => {
      const m = JSON.parse(manifestText);
      change(m);
      return () => PolicyRuntime.create(resolvePolicy(parsePolicyManifest(JSON.stringify(m), 'policy.json'), 'policy.json', read), session, nodeTensor, 'policy.json');
    };
    const cases: [(m: Record<string, any>) => void, string][] = [
      [(m) => (m.inputs.images[0].width = 64), 'policy.json: inputs.images[0]: "image_scene" has shape [batch, 3, 24, 32] in graphs[0] (policy.onnx); the manifest gives [1, 3, 24, 64]'],
      [(m) => (m.inputs.images[1].dtype = 'float32'), 'policy.json: inputs.images[1]: "image_wrist" is uint8 in graphs[0] (policy.onnx); the manifest gives float32'],
      [(m) => (m.inputs.state.tensor = 'proprio'), 'policy.json: inputs.state: the graph has no input "proprio" (graphs[0] (policy.onnx) has "image_scene", "image_wrist", "state", "tokens", "token_mask")'],
      [(m) => delete m.inputs.instruction.mask_tensor, 'policy.json: inputs: nothing in the manifest feeds the graph input "token_mask" of graphs[0] (policy.onnx)'],
      [(m) => (m.outputs.chunk = 8), 'policy.json: outputs: "actions" has shape [batch, 4, 7] in graphs[0] (policy.onnx); outputs.chunk 8 of ee_delta_pose (7 values) needs [batch, 8, 7]'],
      [(m) => (m.outputs.tensor = 'action'), 'policy.json: outputs.tensor: the graph has no output "action" (graphs[0] (policy.onnx) has "actions")'],
    ];
    for (const [change, message] of cases) {
      const create = withManifest(change);
      expect(create).toThrow(InputError);
      expect(create).toThrow(message);
    }
    // A renamed tensor bound to the graph's input name is fine.
    expect(withManifest((m) => {
      m.inputs.state.tensor = 'proprio';
      m.graphs[0].bind = { state: 'proprio' };
    })).not.toThrow();
  });

  it('refuses NaN actions and outputs of the wrong size as PolicyErrors (the episode errors, nothing crashes)', async () => {
    const real = (await ortNode.InferenceSession.create(modelBytes)) as unknown as SessionLike;
    const faking = (data: Float32Array): SessionLike => ({ ...real, inputNames: real.inputNames, outputNames: real.outputNames, inputMetadata: real.inputMetadata, outputMetadata: real.outputMetadata, run: async () => ({ actions: { type: 'float32', dims: [1, 4, 7], data } }) });
    const nan = new Float32Array(28);
    nan[9] = NaN;
    await expect(PolicyRuntime.create(policy(), faking(nan), nodeTensor, 'policy.json').run(feedsOf(nodeTensor))).rejects.toThrow(new PolicyError('the policy returned NaN in its action chunk (step 1, dimension 2)'));
    await expect(PolicyRuntime.create(policy(), faking(new Float32Array(5)), nodeTensor, 'policy.json').run(feedsOf(nodeTensor))).rejects.toThrow(PolicyError);
  });
});

describe('observation history (inputs.history)', () => {
  const withHistory = (h: number) => {
    const m = JSON.parse(manifestText);
    m.inputs.history = h;
    return resolvePolicy(parsePolicyManifest(JSON.stringify(m), 'policy.json'), 'policy.json', read);
  };
  /** A graph that takes two steps of images and state (as a diffusion policy with n_obs_steps 2 does). */
  const twoStepGraph = async (): Promise<SessionLike> => {
    const real = (await ortNode.InferenceSession.create(modelBytes)) as unknown as SessionLike;
    const timed = (shape: readonly (number | string)[] | undefined) => (shape ? [shape[0]!, 2, ...shape.slice(1)] : shape);
    return {
      ...real,
      inputNames: real.inputNames,
      outputNames: real.outputNames,
      inputMetadata: real.inputMetadata.map((m) => (['image_scene', 'image_wrist', 'state'].includes(m.name) ? { ...m, shape: timed(m.shape)! } : m)),
      outputMetadata: real.outputMetadata,
      run: async () => ({ actions: { type: 'float32', dims: [1, 4, 7], data: new Float32Array(28) } }),
    };
  };
  const rgba = (w: number, h: number, value: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(value) });
  const obs = (value: number, joint0: number) => ({
    images: { scene: rgba(32, 24, value), wrist: rgba(16, 16, value) },
    jointPositions: [joint0, -0.3, 0, -2.2, 0, 2, 0.8],
    fingerPositions: [0.02, 0.02],
    eePosition: [0, 0, 0],
    eeQuaternion: [0, 0, 0, 1],
    gripperWidth: 0.04,
    instruction: 'pick up the red cube',
  });

  it('stacks the last h steps oldest first on a time axis after the batch, repeating the first at an episode`s start', async () => {
    const runtime = PolicyRuntime.create(withHistory(2), await twoStepGraph(), nodeTensor, 'policy.json');
    // Start of an episode: no past, the current observation twice.
    let { feeds } = runtime.feeds(obs(51, 0.5));
    expect(feeds.image_scene!.dims).toEqual([1, 2, 3, 24, 32]);
    expect(feeds.image_wrist!.dims).toEqual([1, 2, 16, 16, 3]);
    expect(feeds.state!.dims).toEqual([1, 2, 9]);
    const frame = 3 * 24 * 32;
    let scene = feeds.image_scene!.data as Float32Array;
    expect([scene[0], scene[frame]]).toEqual([scene[frame], scene[0]]);
    expect(scene[0]).toBeCloseTo(0.2, 6);
    // Later: the previous step first, then this one. Joint 0 normalised: (x − 0) / 0.5.
    ({ feeds } = runtime.feeds({ ...obs(102, 1), past: [obs(0, 9), obs(51, 0.5)] }));
    scene = feeds.image_scene!.data as Float32Array;
    expect(scene[0]).toBeCloseTo(0.2, 6);
    expect(scene[frame]).toBeCloseTo(0.4, 6);
    const state = feeds.state!.data as Float32Array;
    expect(state[0]).toBeCloseTo(1, 5);
    expect(state[9]).toBeCloseTo(2, 5);
    expect((feeds.image_wrist!.data as Uint8Array)[16 * 16 * 3]).toBe(102);
  });

  it('checks the time axis against the graph: a one-step graph refuses a history of 2, naming the field', async () => {
    const session = (await ortNode.InferenceSession.create(modelBytes)) as unknown as SessionLike;
    expect(() => PolicyRuntime.create(withHistory(2), session, nodeTensor, 'policy.json')).toThrow(
      'policy.json: inputs.images[0]: "image_scene" has shape [batch, 3, 24, 32] in graphs[0] (policy.onnx); the manifest gives [1, 2, 3, 24, 32]',
    );
    expect(() => withHistory(0)).toThrow('inputs.history');
  });
});
