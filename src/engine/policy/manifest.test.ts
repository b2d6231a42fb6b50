import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.ts';
import { isRemotePolicy, ownImageSize, parseAnyPolicyManifest, parsePolicyManifest, type PolicyManifest, resolvePolicy } from './manifest.ts';

/** A complete manifest: two cameras, state, instruction, an 8-step chunk of end-effector actions. */
const MANIFEST = {
  simloop_policy: 1,
  name: 'pick-cube-test',
  robot: 'panda',
  inputs: {
    images: [
      { tensor: 'image_scene', camera: 'scene', width: 64, height: 48, fit: 'crop' },
      { tensor: 'image_wrist', camera: 'wrist', width: 32, height: 32, layout: 'NHWC', dtype: 'uint8' },
    ],
    state: { tensor: 'state', quantities: ['joint_positions', 'finger_positions'], normalization: { mode: 'mean_std', stats_file: 'stats.json', feature: 'observation.state' } },
    instruction: { ids_tensor: 'tokens', mask_tensor: 'token_mask', max_length: 6, tokenizer: { kind: 'words', vocabulary_file: 'vocab.json' } },
  },
  outputs: { tensor: 'actions', chunk: 8, space: 'ee_delta_pose', normalization: { mode: 'quantiles', stats_file: 'stats.json', feature: 'action' }, limits: { low: [-0.05, -0.05, -0.05, -0.2, -0.2, -0.2, -1], high: [0.05, 0.05, 0.05, 0.2, 0.2, 0.2, 1] } },
  control: { hz: 20, n_action_steps: 4 },
  graphs: [{ name: 'policy', file: 'policy.onnx' }],
};
const text = (over: (m: typeof MANIFEST) => unknown = (m) => m) => JSON.stringify(over(structuredClone(MANIFEST)));
const files: Record<string, string> = {
  'stats.json': JSON.stringify({
    'observation.state': { mean: [0, 0, 0, -2, 0, 2, 0.8, 0.02, 0.02], std: [1, 1, 1, 1, 1, 1, 1, 0.01, 0.01] },
    action: { q01: [-0.02, -0.02, -0.02, -0.1, -0.1, -0.1, -1], q99: [0.02, 0.02, 0.02, 0.1, 0.1, 0.1, 1], mean: [0, 0, 0, 0, 0, 0, 0], std: [1, 1, 1, 1, 1, 1, 1] },
  }),
  'vocab.json': JSON.stringify(['<pad>', '<unk>', 'pick', 'up', 'the', 'red', 'cube']),
};
const read = (path: string) => files[path] ?? null;

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('policy manifest', () => {
  it('parses a complete manifest and fills defaults', () => {
    const m = parsePolicyManifest(text(), 'policy.json');
    expect(m.inputs.images[0]).toMatchObject({ fit: 'crop', layout: 'NCHW', dtype: 'float32', range: [0, 1] });
    expect(m.control.temporal_ensemble).toBeNull();
    expect(m.inputs.history).toBe(1);
  });

  it('resolves stats.json and the vocabulary into working processors', () => {
    const policy = resolvePolicy(parsePolicyManifest(text(), 'policy.json'), 'policy.json', read);
    expect(policy.state!.normalizer.dim).toBe(9);
    expect(policy.state!.normalizer.normalize([0, 0, 0, -2, 0, 2, 0.8, 0.03, 0.01])[7]).toBeCloseTo(1, 5);
    // Quantile de-normalisation: −1 → q01, 1 → q99.
    expect(policy.action.normalizer.denormalize([-1, 1, 0, 0, 0, 0, 0])[0]).toBeCloseTo(-0.02, 6);
    expect(policy.action.normalizer.denormalize([-1, 1, 0, 0, 0, 0, 0])[1]).toBeCloseTo(0.02, 6);
    expect(policy.instruction!.tokenize('Pick up the red cube')).toMatchObject({ ids: [2, 3, 4, 5, 6, 0], mask: [1, 1, 1, 1, 1, 0] });
    expect(policy.images.map((i) => [i.tensor, i.camera, i.width, i.height])).toEqual([['image_scene', 'scene', 64, 48], ['image_wrist', 'wrist', 32, 32]]);
  });

  it.each<[string, (m: PolicyManifest & Record<string, unknown>) => unknown, string]>([
    ['version', (m) => ({ ...m, simloop_policy: 3 }), 'simloop_policy: 3: this policy manifest was written by a newer Simloop (this one reads versions up to 2); update Simloop to open it'],
    ['camera', (m) => (((m.inputs.images[0] as Record<string, unknown>).camera = 'Top Camera'), m), 'inputs.images[0].camera: expected a camera name such as "scene", "wrist" or "front"'],
    ['robot', (m) => ((m.robot = 'my arm'), m), 'robot: expected a robot profile name such as "panda" or "so101"'],
    ['state by both', (m) => ((m.inputs.state!.features = ['shoulder_pan.pos']), m), 'inputs.state.quantities: give exactly one of quantities and features'],
    ['features space without names', (m) => ((m.outputs.space = 'features'), delete m.outputs.limits, m), 'outputs.features: space "features" needs the feature names the action sets'],
    ['feature names in another space', (m) => ((m.outputs.features = ['gripper.pos']), m), 'outputs.features: only space "features" takes feature names (space is "ee_delta_pose")'],
    ['state quantity', (m) => ((m.inputs.state!.quantities = ['joint_torques' as never]), m), 'inputs.state.quantities[0]:'],
    ['stats without feature', (m) => (delete (m.outputs.normalization as Record<string, unknown>).feature, m), 'outputs.normalization.feature: stats_file needs the feature to read'],
    ['inline stats missing', (m) => ((m.outputs.normalization = { mode: 'min_max', min: [0] } as never), m), 'outputs.normalization.max: min_max needs "max"'],
    ['n_action_steps > chunk', (m) => ((m.control.n_action_steps = 9), m), 'control.n_action_steps: 9 is more than outputs.chunk (8)'],
    ['ensembling with n > 1', (m) => ((m.control.temporal_ensemble = 0.01), m), 'control.temporal_ensemble: temporal ensembling runs the policy every step: n_action_steps must be 1'],
    ['limits length', (m) => ((m.outputs.limits!.low = [0]), m), 'outputs.limits.low: 1 values; ee_delta_pose actions have 7'],
    ['graph file', (m) => ((m.graphs[0]!.file = '../policy.onnx'), m), 'graphs[0].file: expected a file path relative to the manifest'],
    ['unknown field', (m) => ({ ...m, extra: 1 }), 'extra: unknown field'],
    ['duplicate tensor', (m) => ((m.inputs.images[1]!.tensor = 'state'), m), 'inputs: tensor name "state" is used twice'],
  ])('names the field: %s', (_, change, message) => {
    expect(errorOf(() => parsePolicyManifest(text(change as never), 'policy.json'))).toContain(`policy.json: ${message}`);
  });

  it('resolves a Hugging Face tokenizer.json and its config', () => {
    const dir = 'scenes/fixtures/policy/tokenizers/';
    const withHf = text((m) => {
      (m.inputs.instruction as Record<string, unknown>).tokenizer = { kind: 'huggingface', file: 'tokenizer.json', config_file: 'tokenizer_config.json' };
      return m;
    });
    const hfFiles: Record<string, string> = { ...files, 'tokenizer.json': readFileSync(dir + 'wordlevel.tokenizer.json', 'utf8'), 'tokenizer_config.json': readFileSync(dir + 'wordlevel.tokenizer_config.json', 'utf8') };
    const policy = resolvePolicy(parsePolicyManifest(withHf, 'policy.json'), 'policy.json', (p) => hfFiles[p] ?? null);
    expect(policy.instruction!.tokenize('pick up the green cube')).toMatchObject({ ids: [2, 3, 4, 6, 7, 0], mask: [1, 1, 1, 1, 1, 0] });
    expect(errorOf(() => resolvePolicy(parsePolicyManifest(withHf, 'policy.json'), 'policy.json', (p) => (p === 'tokenizer.json' ? null : hfFiles[p] ?? null)))).toBe('policy.json: inputs.instruction.tokenizer.file: "tokenizer.json" was not found beside the manifest');
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(errorOf(() => parsePolicyManifest('{ name: ', 'broken.json'))).toMatch(/^broken\.json: not JSON/);
  });

  it('names the file and field when what the manifest points at is missing or wrong', () => {
    const m = parsePolicyManifest(text(), 'policy.json');
    expect(errorOf(() => resolvePolicy(m, 'policy.json', (p) => (p === 'stats.json' ? null : read(p))))).toBe('policy.json: inputs.state.normalization.stats_file: "stats.json" was not found beside the manifest');
    const shortStats = JSON.stringify({ 'observation.state': { mean: [0], std: [1] }, action: JSON.parse(files['stats.json']!).action });
    expect(errorOf(() => resolvePolicy(m, 'policy.json', (p) => (p === 'stats.json' ? shortStats : read(p))))).toBe('policy.json: inputs.state.normalization: "mean" has 1 values; expected 9');
    expect(errorOf(() => resolvePolicy(m, 'policy.json', (p) => (p === 'vocab.json' ? '["a", "b"]' : read(p))))).toBe('policy.json: inputs.instruction.tokenizer: the padding token "<pad>" is not in the vocabulary');
    const noFeature = parsePolicyManifest(text((x) => ((x.outputs.normalization.feature = 'next.action'), x)), 'policy.json');
    expect(errorOf(() => resolvePolicy(noFeature, 'policy.json', read))).toBe('policy.json: outputs.normalization: stats.json has no feature "next.action" (it has observation.state, action)');
  });
});

describe('served policies (remote manifests)', () => {
  // The manifest issue 19 gives, exactly as written: π0.5 on LIBERO behind openpi's serve_policy.py.
  const PI05 = `{ "simloop_policy": 2, "name": "pi05-libero", "robot": "panda",
    "remote": { "protocol": "openpi-websocket", "url": "ws://127.0.0.1:8000", "api_key_env": null },
    "inputs": {
      "images": [ { "key": "observation/image", "camera": "scene", "width": 224, "height": 224, "fit": "pad", "dtype": "uint8", "layout": "HWC" },
                  { "key": "observation/wrist_image", "camera": "wrist", "width": 224, "height": 224, "fit": "pad", "dtype": "uint8", "layout": "HWC" } ],
      "state": { "key": "observation/state", "quantities": ["ee_position", "ee_quaternion", "gripper_width"] },
      "instruction": { "key": "prompt" } },
    "outputs": { "key": "actions", "space": "ee_delta_pose" },
    "control": { "hz": 20, "n_action_steps": 5 } }`;

  it('reads the openpi manifest as written, with defaults filled in', () => {
    const m = parseAnyPolicyManifest(PI05, 'pi05.json');
    expect(isRemotePolicy(m)).toBe(true);
    if (!isRemotePolicy(m)) return;
    expect(m.remote).toEqual({ protocol: 'openpi-websocket', url: 'ws://127.0.0.1:8000', api_key_env: null, timeout_s: 30 });
    expect(m.inputs.images.map((i) => [i.key, i.camera, i.width, i.fit, i.layout, i.dtype])).toEqual([
      ['observation/image', 'scene', 224, 'pad', 'HWC', 'uint8'],
      ['observation/wrist_image', 'wrist', 224, 'pad', 'HWC', 'uint8'],
    ]);
    expect(m.inputs.state).toEqual({ key: 'observation/state', quantities: ['ee_position', 'ee_quaternion', 'gripper_width'], dtype: 'float32' });
    expect(m.control).toEqual({ hz: 20, n_action_steps: 5, temporal_ensemble: null });
    expect(ownImageSize(m)).toEqual([224, 224]);
  });

  it('keeps version-1 ONNX manifests loading, and says what is wrong with a bad remote one', () => {
    expect(isRemotePolicy(parseAnyPolicyManifest(text(), 'policy.json'))).toBe(false);
    const bad = (change: (m: Record<string, any>) => void) => {
      const m = JSON.parse(PI05);
      change(m);
      try {
        parseAnyPolicyManifest(JSON.stringify(m), 'pi05.json');
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(bad((m) => (m.remote.protocol = 'grpc'))).toMatch(/^pi05\.json: remote\.protocol: expected one of openpi-websocket/);
    expect(bad((m) => (m.remote.url = 'http://gpu-box:8000'))).toMatch(/^pi05\.json: remote\.url: expected a WebSocket URL/);
    expect(bad((m) => (m.inputs.images[0].layout = 'NCHW'))).toMatch(/^pi05\.json: inputs\.images\.0\.layout|^pi05\.json: inputs\.images\[0\]\.layout/);
    expect(bad((m) => (m.inputs.state.key = 'prompt'))).toMatch(/key "prompt" is used twice/);
    expect(bad((m) => (m.graphs = [{ name: 'p', file: 'p.onnx' }]))).toMatch(/graphs/);
    // An ONNX reader refuses a served policy by name.
    expect(() => parsePolicyManifest(PI05, 'pi05.json')).toThrow('pi05.json: remote: this manifest names a policy server (ws://127.0.0.1:8000), not ONNX graphs run here');
  });
});
